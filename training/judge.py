"""Judge a training run against the shipped reader by a decision rule fixed before the run.

    python -m training.judge CANDIDATE.json BASELINE.json --baseline-variant strip+whole+inner@0.2 \
        [--short drcd,csquad-en,csquad-zh] [--guard cmrc] [--mean-em-gain 0.01] [--max-f1-loss 0.01] \
        [--guard-f1-loss 0.03] [--ask-p50-ms MS --max-ask-p50-ms 80] [--json runs/rN/comparison.json]

Both files are `training.reader_decode --json` outputs over the same held-out files: the candidate's with
the length priors it may choose from, the baseline's with its shipped decoding. The candidate's prior is the
one with the highest mean EM + F1 over the short-answer sets (ties to the weaker prior); then the rule the
runs' decision rules share (runs/rN/decision-rule.md): (a) mean EM over the short sets at least the
baseline's plus ``--mean-em-gain``; (b) no short set loses more than ``--max-f1-loss`` F1; (c) the guard set
loses at most ``--guard-f1-loss`` F1; (d) when ``--ask-p50-ms`` is given, it is at most
``--max-ask-p50-ms``. Prints each criterion and the verdict; exit status 0 when it ships, 1 when it does not.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any


@dataclass(frozen=True)
class Criterion:
    """One line of a decision rule: what it asks, the two values compared and whether it holds."""

    name: str
    asks: str
    candidate: float
    bound: float
    holds: bool


def _sets(row: dict[str, Any], names: list[str]) -> dict[str, dict[str, float]]:
    """The row's scores of the held-out sets ``names`` (the stems' "heldout-" dropped), a clear error for a
    set the row lacks."""
    out = {}
    for name in names:
        key = name if name in row else f"heldout-{name}"
        if key not in row:
            raise ValueError(f"{row.get('variant')!r} has no scores for the set {name!r}")
        out[name] = row[key]
    return out


def best_variant(results: list[dict[str, Any]], short: list[str]) -> dict[str, Any]:
    """The variant with the highest mean EM + F1 over the short sets; ties to the weaker length prior."""

    def key(row: dict[str, Any]) -> tuple[float, float]:
        scores = _sets(row, short)
        mean = statistics.fmean(s["em"] + s["f1"] for s in scores.values())
        return round(mean, 6), -float(row.get("length_penalty", 0.0))

    if not results:
        raise ValueError("the candidate's file holds no decoding results")
    return max(results, key=key)


def judge(
    candidate: dict[str, Any],
    baseline: dict[str, Any],
    short: list[str],
    guard: str | None,
    mean_em_gain: float,
    max_f1_loss: float,
    guard_f1_loss: float,
    ask_p50_ms: float | None = None,
    max_ask_p50_ms: float = 80.0,
) -> list[Criterion]:
    """The rule's criteria for a candidate row against a baseline row (see the module docstring)."""
    cand, base = _sets(candidate, short), _sets(baseline, short)
    c_em = statistics.fmean(s["em"] for s in cand.values())
    b_em = statistics.fmean(s["em"] for s in base.values())
    out = [
        Criterion(
            "a",
            f"mean EM over {'+'.join(short)} >= baseline + {mean_em_gain:g}",
            round(c_em, 4),
            round(b_em + mean_em_gain, 4),
            c_em >= b_em + mean_em_gain - 1e-9,
        )
    ]
    for name in short:
        floor = base[name]["f1"] - max_f1_loss
        out.append(
            Criterion(
                "b",
                f"{name} F1 >= baseline - {max_f1_loss:g}",
                cand[name]["f1"],
                round(floor, 4),
                cand[name]["f1"] >= floor - 1e-9,
            )
        )
    if guard:
        c_g, b_g = _sets(candidate, [guard])[guard], _sets(baseline, [guard])[guard]
        floor = b_g["f1"] - guard_f1_loss
        out.append(
            Criterion(
                "c",
                f"{guard} F1 >= baseline - {guard_f1_loss:g}",
                c_g["f1"],
                round(floor, 4),
                c_g["f1"] >= floor - 1e-9,
            )
        )
    if ask_p50_ms is not None:
        out.append(
            Criterion(
                "d",
                f"ask p50 <= {max_ask_p50_ms:g} ms",
                ask_p50_ms,
                max_ask_p50_ms,
                ask_p50_ms <= max_ask_p50_ms,
            )
        )
    return out


def _load(path: Path) -> dict[str, Any]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as e:
        raise ValueError(f"cannot read {path}: {e}") from None
    if not isinstance(data, dict) or not isinstance(data.get("results"), list):
        raise ValueError(f"{path} is not a `training.reader_decode --json` output (no results list)")
    return data


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(
        prog="python -m training.judge",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("candidate", type=Path)
    p.add_argument("baseline", type=Path)
    p.add_argument(
        "--baseline-variant",
        required=True,
        help="the baseline's shipped decoding, e.g. strip+whole+inner@0.2",
    )
    p.add_argument("--short", default="drcd,csquad-en,csquad-zh")
    p.add_argument("--guard", default="cmrc", help="the set that guards against collapse ('' for none)")
    p.add_argument("--mean-em-gain", type=float, default=0.01)
    p.add_argument("--max-f1-loss", type=float, default=0.01)
    p.add_argument("--guard-f1-loss", type=float, default=0.03)
    p.add_argument("--ask-p50-ms", type=float, default=None)
    p.add_argument("--max-ask-p50-ms", type=float, default=80.0)
    p.add_argument("--json", type=Path, default=None)
    args = p.parse_args(argv)
    short = [x for x in args.short.split(",") if x]
    try:
        cand_data, base_data = _load(args.candidate), _load(args.baseline)
        chosen = best_variant(cand_data["results"], short)
    except ValueError as e:
        p.error(str(e))
    base = [r for r in base_data["results"] if r.get("variant") == args.baseline_variant]
    if not base:
        names = sorted(str(r.get("variant")) for r in base_data["results"])
        p.error(f"{args.baseline} has no variant {args.baseline_variant!r}; it has {names}")
    try:
        criteria = judge(
            chosen,
            base[0],
            short,
            args.guard or None,
            args.mean_em_gain,
            args.max_f1_loss,
            args.guard_f1_loss,
            args.ask_p50_ms,
            args.max_ask_p50_ms,
        )
    except ValueError as e:
        p.error(str(e))
    ships = all(c.holds for c in criteria)
    print(f"candidate decoding: {chosen['variant']}; baseline: {args.baseline_variant}")
    for c in criteria:
        verdict = "holds" if c.holds else "FAILS"
        print(f"({c.name}) {c.asks}: {c.candidate:.4f} against {c.bound:.4f} -> {verdict}")
    print("verdict: ships" if ships else "verdict: does not ship")
    if args.json:
        args.json.write_text(
            json.dumps(
                {
                    "candidate": {
                        "file": str(args.candidate),
                        "weights": cand_data.get("weights"),
                        "chosen": chosen,
                    },
                    "baseline": {
                        "file": str(args.baseline),
                        "weights": base_data.get("weights"),
                        "row": base[0],
                    },
                    "criteria": [asdict(c) for c in criteria],
                    "ships": ships,
                },
                ensure_ascii=False,
                indent=1,
            )
        )
    return 0 if ships else 1


if __name__ == "__main__":
    sys.exit(main())
