"""The ``qa eval`` subcommand: score a gold set per retrieval mode, write JSON/runs/report, compare runs."""

from __future__ import annotations

import argparse
import json
import re
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from eval.gold import GoldFormatError, GoldSet, load_gold
from eval.runner import DEFAULT_K, EvalResult, RunsFormatError, evaluate, write_runs
from qa.types import MODES

_EPILOG = """examples:
  qa eval eval/gold/corpus.jsonl --modes dense,bm25,hybrid --report out/
  qa eval ../shared/data/cmrc2018/cmrc2018_dev.json --mode hybrid --limit 200 --json m.json
  qa eval --compare runs_a.jsonl runs_b.jsonl:hybrid"""


def add_parser(subparsers: Any) -> None:
    """Register ``eval`` on an argparse subparsers object (``qa eval``)."""
    p = subparsers.add_parser(
        "eval",
        help="evaluate answers and retrieval on a gold set (JSONL or SQuAD/CMRC JSON)",
        description="Evaluate the QA system on a gold set, or compare two runs files.",
        epilog=_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("gold", nargs="?", type=Path, help="gold file: JSONL questions or SQuAD-format JSON")
    p.add_argument(
        "--index",
        type=Path,
        default=None,
        help="index to evaluate (default: SQuAD contexts -> cached eval index, JSONL -> default index)",
    )
    p.add_argument("--mode", choices=MODES, default="hybrid", help="retrieval mode (default: hybrid)")
    p.add_argument("--modes", default=None, metavar="M1,M2", help="several modes, e.g. dense,bm25,hybrid")
    p.add_argument("-k", type=int, default=None, help="passages the reader reads (default: the reader's own)")
    p.add_argument("--limit", type=int, default=None, metavar="N", help="only the first N questions")
    p.add_argument("--batch", type=int, default=1, metavar="N",
                   help="retrieve N questions at a time (faster on big sets; latency is then the amortized "
                        "retrieval share plus the read)")
    p.add_argument("--retrieval-only", action="store_true", help="skip the reader; answer metrics are null")
    p.add_argument("--reader", choices=("rules", "baseline"), default="rules",
                   help="answer reader: rules (default) or baseline (the whole best-matching clause)")
    p.add_argument("--model", default=None, help="embedding model when building an index (e.g. 'fake')")
    p.add_argument(
        "--json",
        type=Path,
        default=None,
        metavar="FILE",
        help="write metrics: one object, or a list of objects with several modes",
    )
    p.add_argument("--runs", type=Path, default=None, metavar="FILE", help="write one JSON line per question")
    p.add_argument("--report", type=Path, default=None, metavar="DIR", help="write DIR/report.md with plots")
    p.add_argument(
        "--compare",
        nargs=2,
        default=None,
        metavar=("RUN_A", "RUN_B"),
        help="compare two runs files (FILE or FILE:MODE) instead of evaluating",
    )
    p.add_argument("--quiet", action="store_true", help="no progress bars")
    p.set_defaults(func=handler)


def _modes(args: argparse.Namespace) -> list[str]:
    if not args.modes:
        return [args.mode]
    modes = [m.strip() for m in args.modes.split(",") if m.strip()]
    bad = [m for m in modes if m not in MODES]
    if bad or not modes:
        raise ValueError(f"--modes: unknown mode(s) {', '.join(bad) or '(none)'}; use {', '.join(MODES)}")
    return list(dict.fromkeys(modes))


def _slug(name: str) -> str:
    return re.sub(r"[^A-Za-z0-9._-]+", "_", name).strip("_") or "model"


def eval_index_dir(gold: GoldSet, model: str | None) -> Path:
    """Cache folder for the index built from a SQuAD file's contexts: keyed by file hash and model."""
    from embeddings.encoder import DEFAULT_MODEL
    from qa.api import cache_dir

    return cache_dir() / "eval" / f"{gold.sha256[:16]}-{_slug(model or DEFAULT_MODEL)}"


def open_qa(args: argparse.Namespace, gold: GoldSet) -> Any:
    """The QA to evaluate: ``--index``; else the gold contexts (SQuAD) or the bundled corpus (JSONL)."""
    from qa.api import QA, default_index_dir

    progress = not args.quiet
    if args.index is not None:
        return QA.open(args.index, model=args.model)
    if gold.documents is not None:
        return QA.build_from_documents(
            gold.documents, eval_index_dir(gold, args.model), model=args.model, progress=progress
        )
    target = default_index_dir()
    if target.exists() and args.model is None:
        return QA.open(target)
    return QA.build(None, target, model=args.model, progress=progress)


def _reader_k(qa: Any, k: int | None) -> int:
    """-k, else the reader's configured passage count (``max_passages``), else DEFAULT_K."""
    if k is not None:
        if k < 1:
            raise ValueError(f"-k must be a positive number of passages, got {k}")
        return k
    config = getattr(getattr(qa, "reader", None), "config", None)
    return int(getattr(config, "max_passages", DEFAULT_K))


def _fmt(value: Any) -> str:
    return "-" if value is None else f"{value:.3f}" if isinstance(value, float) else str(value)


def format_summary(results: Sequence[EvalResult]) -> str:
    """A plain-text table of the main metrics, one row per mode."""
    keys = [
        "exact_match",
        "f1",
        "no_answer_accuracy",
        "recall@1",
        "recall@5",
        "recall@20",
        "mrr@10",
        "latency_ms_p50",
        "latency_ms_p95",
    ]
    header = ["mode", *keys]
    rows = [[r.mode, *(_fmt(r.metrics.get(k)) for k in keys)] for r in results]
    widths = [max(len(str(x)) for x in col) for col in zip(header, *rows, strict=True)]
    return "\n".join(
        "  ".join(f"{c:>{w}}" for c, w in zip(row, widths, strict=True)) for row in [header, *rows]
    )


def run(args: argparse.Namespace) -> int:
    """Evaluate (or compare) as the parsed arguments say; raises on bad input."""
    if args.compare:
        from eval.compare import compare_files, format_comparison

        sys.stdout.write(format_comparison(compare_files(*args.compare)))
        return 0
    if args.gold is None:
        raise ValueError("give a GOLD file to evaluate (or --compare RUN_A RUN_B)")
    modes = _modes(args)
    gold = load_gold(args.gold).limit(args.limit)
    qa = open_qa(args, gold)
    if getattr(args, "reader", "rules") != "rules":
        qa.use_reader(args.reader)
    reader = not args.retrieval_only
    k = _reader_k(qa, args.k) if reader else (DEFAULT_K if args.k is None else args.k)
    # SQuAD doc ids name the gold contexts; they only identify passages when those contexts are the corpus.
    match_doc_id = not (gold.format == "squad" and args.index is not None)
    if not match_doc_id:
        print(
            "note: --index with a SQuAD file: hits judged by answer text only",
            file=sys.stderr,
        )
    results = [
        evaluate(qa, gold, mode=m, k=k, reader=reader, progress=not args.quiet, match_doc_id=match_doc_id,
                 batch_size=args.batch)
        for m in modes
    ]
    meta = {"index": str(qa.index_dir), "model": qa.model_id}
    objs = [{**r.metrics, "mode": r.mode, **meta} for r in results]
    print(format_summary(results))
    if args.json is not None:
        payload = objs[0] if len(objs) == 1 else objs
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(payload, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    if args.runs is not None:
        args.runs.parent.mkdir(parents=True, exist_ok=True)
        write_runs(results, args.runs)
    if args.report is not None:
        from eval.report import write_report

        header = [
            f"gold: {args.gold} ({len(gold.questions)} questions)",
            f"index: {meta['index']}",
            f"model: {meta['model']}",
            f"reader passages k = {k}" if reader else "retrieval only",
        ]
        path = write_report(results, args.report, header=header)
        print(f"report: {path}", file=sys.stderr)
    return 0


def handler(args: argparse.Namespace) -> int:
    """``qa eval`` entry point: bad gold/runs files and usage errors print one line and return 2."""
    try:
        return run(args)
    except (GoldFormatError, RunsFormatError, ValueError, OSError) as exc:  # index errors are ValueErrors too
        print(f"error: {exc}", file=sys.stderr)
        return 2


def main(argv: Sequence[str] | None = None) -> int:
    """Standalone ``python -m eval.cli GOLD ...`` (same options as ``qa eval``)."""
    parser = argparse.ArgumentParser(prog="qa")
    add_parser(parser.add_subparsers(dest="command", required=True))
    args = parser.parse_args(["eval", *(argv if argv is not None else sys.argv[1:])])
    return int(args.func(args))


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
