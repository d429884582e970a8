"""How close retrieval comes to a question, on the calibration's held-out data and on the bundled corpus: the
retrieval evidence the neural reader's confidence uses (best dense similarity among the hybrid top 5), by
question language, for answerable questions, one run.

    .venv/bin/python bench/evidence_shift.py [--json bench/results/evidence_shift.json]

The held-out questions are those the calibration fits on (5% of each training source's contexts, seed 0,
all their answerable questions; their contexts indexed as documents, int8 encoder); the bundled ones are the
gold set's answerable questions over the bundled corpus. A lower evidence on the bundled corpus for the same
language would mean the calibrated confidence reads an on-topic corpus as a weak one (a shift of domain).
Measured 2026-12-03 (`bench/results/evidence_shift.json`): it is not lower (English median 0.784 on the
bundled corpus against 0.780 held-out), so English abstentions come from the span margin, not the evidence.
Diagnostic only: nothing is chosen from the gold set here.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def _summary(values: list[float]) -> dict[str, float]:
    q = statistics.quantiles(values, n=4)
    return {"n": len(values), "q1": round(q[0], 4), "median": round(q[1], 4), "q3": round(q[2], 4)}


def _evidence(qa, questions: list[str]) -> list[float]:  # noqa: ANN001
    from qa.readers.neural.reader import retrieval_evidence

    return [retrieval_evidence(hits, float("nan")) for hits in qa.retrieve_batch(questions, k=5)]


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--sources", default="cmrc,drcd,csquad-en")
    p.add_argument("--json", type=Path, default=None)
    args = p.parse_args(argv)
    from embeddings.base import INT8_MODEL
    from eval.gold import load_gold
    from qa.api import QA
    from training.data import context_documents, load_source, split_heldout
    from training.reader_train import TrainConfig

    split = TrainConfig()  # the held-out split every run and its calibration use

    out: dict[str, dict[str, float]] = {}
    held = []
    for name in args.sources.split(","):
        _, he = split_heldout(load_source(name), split.heldout_share, split.seed)
        held += [e for e in he if e.start >= 0]
    with tempfile.TemporaryDirectory() as tmp:
        qa = QA.build_from_documents(
            context_documents([e.context for e in held]), Path(tmp) / "h", model=INT8_MODEL
        )
        for lang, group in (("en", [e for e in held if e.source == "csquad-en"]),
                            ("zh", [e for e in held if e.source != "csquad-en"])):  # fmt: skip
            if group:
                out[f"held-out {lang}"] = _summary(_evidence(qa, [e.question for e in group]))
        gold = load_gold(ROOT / "eval/gold/corpus.jsonl").questions
        bundled = QA.build(None, Path(tmp) / "b", model=INT8_MODEL)
        for lang in ("en", "zh"):
            qs = [g.question for g in gold if g.extra.get("lang") == lang and g.answers]
            out[f"bundled gold {lang}"] = _summary(_evidence(bundled, qs))
    for k, v in out.items():
        print(f"{k:16s} {json.dumps(v)}")
    if args.json:
        args.json.write_text(json.dumps(out, indent=1) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
