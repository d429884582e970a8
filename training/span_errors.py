"""Where a reader's spans miss: each prediction against its gold answers, by kind of miss.

    python -m training.span_errors PREDICTIONS.json ../shared/data/cmrc2018/cmrc2018_dev.json [--json F]

PREDICTIONS.json is a `training.reader_eval --json` file (its "predictions": id -> span). Kinds, first that
applies: exact (equals a gold answer), longer (holds a gold answer and more), shorter (lies inside a gold
answer), overlap (shares characters with one), disjoint, none (no prediction). Longer spans are the EM
that F1 still credits; their extra characters are summarised too.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path

from training.reader_eval import load_squad

KINDS = ("exact", "longer", "shorter", "overlap", "disjoint", "none")


def miss_kind(prediction: str | None, golds: Sequence[str]) -> str:
    """The kind of ``prediction`` against ``golds`` (see the module docstring)."""
    if not prediction:
        return "none"
    if prediction in golds:
        return "exact"
    if any(g and g in prediction for g in golds):
        return "longer"
    if any(prediction in g for g in golds):
        return "shorter"
    if any(set(prediction) & set(g) for g in golds):
        return "overlap"
    return "disjoint"


def span_errors(
    predictions: Mapping[str, str | None], gold: Sequence[tuple[str, str, str, list[str]]]
) -> dict:
    """Counts and shares of each kind over the gold questions, and the extra characters of longer spans
    (median and quartiles, against the longest gold answer they hold)."""
    counts = dict.fromkeys(KINDS, 0)
    extra: list[int] = []
    for qid, _question, _context, golds in gold:
        pred = predictions.get(qid)
        kind = miss_kind(pred, golds)
        counts[kind] += 1
        if kind == "longer":
            extra.append(len(pred) - max(len(g) for g in golds if g and g in pred))
    n = len(gold)
    out: dict = {
        "questions": n,
        "counts": counts,
        "shares": {k: round(v / n, 4) if n else 0.0 for k, v in counts.items()},
    }
    if extra:
        q = statistics.quantiles(extra, n=4) if len(extra) > 1 else [extra[0]] * 3
        out["longer_extra_chars"] = {"median": statistics.median(extra), "q1": q[0], "q3": q[2]}
    return out


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(
        prog="python -m training.span_errors",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("predictions", type=Path, help="a training.reader_eval --json file")
    p.add_argument("data", type=Path, help="the SQuAD-format file it was scored on")
    p.add_argument("--json", type=Path, default=None, help="also write the summary here")
    args = p.parse_args(argv)
    try:
        preds = json.loads(args.predictions.read_text(encoding="utf-8"))["predictions"]
    except (OSError, ValueError, KeyError) as e:
        p.error(f"{args.predictions}: not a reader_eval --json file with predictions ({e})")
    gold = [g for g in load_squad(args.data, None) if g[0] in preds]
    if not gold:
        p.error(f"no question of {args.data} has a prediction in {args.predictions}")
    summary = span_errors(preds, gold)
    text = json.dumps(summary, indent=1)
    print(text)
    if args.json:
        args.json.write_text(text + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
