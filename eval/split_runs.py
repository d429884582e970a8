"""Split a `qa eval --runs` file by a gold field (e.g. lang) and answerability: EM, F1, abstention rate.

Usage: python -m eval.split_runs RUNS GOLD.jsonl [--mode hybrid] [--field lang]
"""

from __future__ import annotations

import argparse
import json
from collections import defaultdict
from pathlib import Path


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("runs", type=Path)
    p.add_argument("gold", type=Path)
    p.add_argument("--mode", default="hybrid")
    p.add_argument("--field", default="lang")
    args = p.parse_args(argv)
    gold = {}
    for line in args.gold.read_text(encoding="utf-8").splitlines():
        if line.strip():
            row = json.loads(line)
            gold[row["id"]] = row
    groups: dict[str, list[dict]] = defaultdict(list)
    for line in args.runs.read_text(encoding="utf-8").splitlines():
        rec = json.loads(line)
        if rec.get("mode") != args.mode:
            continue
        g = gold[rec["id"]]
        kind = "answerable" if g["answers"] else "unanswerable"
        groups[f"{kind} {g.get(args.field)}"].append(rec)
        groups[kind].append(rec)
    print(f"| subset ({args.mode}) | n | EM | F1 | abstained |\n|---|---|---|---|---|")
    for name in sorted(groups):
        recs = groups[name]
        n = len(recs)
        em = sum(r["em"] for r in recs) / n
        f1 = sum(r["f1"] for r in recs) / n
        abstained = sum(r["prediction"] is None for r in recs) / n
        print(f"| {name} | {n} | {em:.3f} | {f1:.3f} | {abstained:.3f} |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
