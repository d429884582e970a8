"""Retrieval for English questions over Chinese passages: dense, BM25 and hybrid, with the coverage-aware BM25
weight of the fusion (`RetrievalConfig.bm25_min_coverage` .. `bm25_full_coverage`) at several settings and
without it (plain RRF), one run.

    .venv/bin/python bench/english_fusion.py [--sources csquad-en,cmrc] [--min-coverage 0,0.3] [--json OUT]

Each source's answerable questions over all of its contexts (the English SQuAD 2.0 dev questions asked of
ChineseSquad's Chinese contexts; CMRC 2018 train as the Chinese control) are written as a SQuAD file and
evaluated like `qa eval FILE --modes dense,bm25,hybrid --retrieval-only --batch 64` (default int8 encoder,
an index of the source's contexts). These are training sources, so settings may be chosen here; the sets we
report (CMRC dev, the gold set) are only measured after the choice.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
from dataclasses import replace
from pathlib import Path

from common import write_report

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

METRICS = ("recall@1", "recall@5", "recall@20", "mrr@10")


def main() -> None:
    from eval.gold import load_gold
    from eval.runner import evaluate
    from qa.api import QA
    from training.heldout import heldout_squad

    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--sources", default="csquad-en,cmrc")
    p.add_argument(
        "--min-coverage",
        type=lambda v: [float(x) for x in v.split(",")],
        default=[0.0],
        help="bm25_min_coverage values to compare, e.g. 0,0.2,0.3",
    )
    p.add_argument("--json", type=Path, default=None)
    args = p.parse_args()
    report = {}
    with tempfile.TemporaryDirectory() as tmp:
        for source in args.sources.split(","):
            squad = Path(tmp) / f"{source}.json"
            squad.write_text(
                json.dumps(heldout_squad([source], 1.0, 0), ensure_ascii=False), encoding="utf-8"
            )
            gold = load_gold(squad)
            qa = QA.build_from_documents(gold.documents, Path(tmp) / f"idx-{source}", progress=False)
            default = qa.retriever.config
            configs = [("dense", "dense", default), ("bm25", "bm25", default)]
            configs.append(("hybrid (plain)", "hybrid", replace(default, bm25_full_coverage=0)))
            for lo in args.min_coverage:
                name = f"hybrid (min {lo}, full {default.bm25_full_coverage})"
                configs.append((name, "hybrid", replace(default, bm25_min_coverage=lo)))
            rows = {}
            for name, mode, config in configs:
                qa.retriever.config = config
                res = evaluate(qa, gold, mode=mode, k=5, reader=False, progress=False, batch_size=64)
                rows[name] = {m: round(res.metrics[m], 4) for m in METRICS}
                print(source, name, rows[name], flush=True)
            report[source] = {
                "questions": len(gold.questions),
                "contexts": len(gold.documents),
                "modes": rows,
            }
    print(json.dumps(report, indent=1))
    write_report(args.json, report)


if __name__ == "__main__":
    main()
