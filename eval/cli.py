"""The ``qa eval`` subcommand: score a gold set per retrieval mode, write JSON/runs/report, compare runs."""

from __future__ import annotations

import argparse
import contextlib
import json
import logging
import re
import sys
import time
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

from eval.gold import GoldSet, load_gold
from eval.runner import DEFAULT_K, EvalResult, evaluate, reader_info, write_runs
from qa.errors import InputError, QAError
from qa.readers.factory import DEFAULT_READER, parse_reader_options, reader_names
from qa.types import MODES
from qa.vectors.base import DEFAULT_BACKEND
from qa.vectors.factory import backend_names

log = logging.getLogger("eval")

_EPILOG = """examples:
  qa eval eval/gold/corpus.jsonl --modes dense,bm25,hybrid --report out/
  qa eval ../shared/data/cmrc2018/cmrc2018_dev.json --mode hybrid --limit 200 --json m.json
  qa eval --compare runs_a.jsonl runs_b.jsonl:hybrid"""


def build_parser() -> argparse.ArgumentParser:
    """The ``qa eval`` options (``qa`` hands everything after ``eval`` to :func:`main`)."""
    p = argparse.ArgumentParser(
        prog="qa eval",
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
                   help="retrieve and read N questions at a time (faster on big sets; a question's latency "
                        "is then its share of its batch's time)")
    p.add_argument("--retrieval-only", action="store_true", help="skip the reader; answer metrics are null")
    p.add_argument("--reader", choices=reader_names(), default=DEFAULT_READER,
                   help=f"answer reader (default: {DEFAULT_READER})")
    p.add_argument("--reader-option", action="append", metavar="KEY=VALUE",
                   help="set a field of the reader's config, e.g. runtime=onnx-int8 (repeatable)")
    p.add_argument("--model", default=None, help="embedding model when building an index (e.g. 'fake')")
    p.add_argument("--backend", choices=backend_names(), default=None,
                   help="vector store when building the eval index of SQuAD contexts (default: faiss)")
    p.add_argument("--uri", default=None,
                   help="with --backend milvus: http://HOST:19530 or PATH.db (Milvus Lite)")
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
    return p


def _modes(args: argparse.Namespace) -> list[str]:
    if not args.modes:
        return [args.mode]
    modes = [m.strip() for m in args.modes.split(",") if m.strip()]
    bad = [m for m in modes if m not in MODES]
    if bad or not modes:
        raise InputError(f"--modes: unknown mode(s) {', '.join(bad) or '(none)'}; use {', '.join(MODES)}")
    return list(dict.fromkeys(modes))


def _slug(name: str) -> str:
    return re.sub(r"[^A-Za-z0-9._-]+", "_", name).strip("_") or "model"


def eval_index_dir(gold: GoldSet, model: str | None, backend: str | None = None) -> Path:
    """Cache folder for the index built from a SQuAD file's contexts: keyed by file hash, model and (when
    not the local default) vector backend."""
    from embeddings.base import DEFAULT_MODEL
    from qa.paths import cache_dir

    suffix = f"-{backend}" if backend not in (None, DEFAULT_BACKEND) else ""
    return cache_dir() / "eval" / f"{gold.sha256[:16]}-{_slug(model or DEFAULT_MODEL)}{suffix}"


def _index_config(args: argparse.Namespace, target: Path) -> Any:
    """The eval index's config: the local default, or --backend/--uri (a collection per index dir)."""
    from qa.indexer import IndexConfig
    from qa.vectors.base import VectorIndexConfig

    backend = getattr(args, "backend", None) or DEFAULT_BACKEND
    uri = getattr(args, "uri", None)
    if backend == DEFAULT_BACKEND:
        if uri:
            raise InputError("--uri is for a server-side backend: add --backend milvus")
        return IndexConfig()
    from qa.vectors.milvus import default_collection

    vector_index = VectorIndexConfig(backend=backend, uri=uri or "", collection=default_collection(target))
    return IndexConfig(vector_index=vector_index)


def open_qa(args: argparse.Namespace, gold: GoldSet) -> Any:
    """The QA to evaluate: ``--index``; else the gold contexts (SQuAD) or the bundled corpus (JSONL)."""
    from qa.api import QA
    from qa.paths import default_index_dir

    progress = not args.quiet
    if args.index is not None:
        return QA.open(args.index, model=args.model)
    if gold.documents is not None:
        target = eval_index_dir(gold, args.model, getattr(args, "backend", None))
        return QA.build_from_documents(
            gold.documents, target, model=args.model, progress=progress, config=_index_config(args, target)
        )
    target = default_index_dir()
    if target.exists() and args.model is None:
        return QA.open(target)
    return QA.build(None, target, model=args.model, progress=progress)


def _reader_k(qa: Any, k: int | None) -> int:
    """-k, else the reader's own passage count (``max_passages``)."""
    if k is not None:
        if k < 1:
            raise InputError(f"-k must be a positive number of passages, got {k}")
        return k
    return int(qa.reader.max_passages)


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


def _gold_text(gold: GoldSet) -> str:
    counts = ", ".join(f"{reason} {n}" for reason, n in gold.skip_counts().items())
    return (
        f"{gold.path}: {len(gold.questions)} questions; {len(gold.skipped)} rows skipped"
        + (f" ({counts})" if counts else "")
        + f"; {len(gold.corrected)} answer offsets corrected"
    )


def gold_lines(gold: GoldSet, examples: int = 3) -> list[str]:
    """Console lines on the gold file: questions used, rows skipped (per reason, first ids), corrections."""
    lines = [f"gold: {_gold_text(gold)}"]
    for s in gold.skipped[:examples]:
        lines.append(f"  skipped {s.where}" + (f" ({s.id})" if s.id else "") + f": {s.reason}: {s.detail}")
    for c in gold.corrected[:examples]:
        lines.append(f"  corrected {c.where} ({c.id}): answer_start {c.given!r} -> {c.start}")
    return lines


@contextlib.contextmanager
def _writing(option: str, path: Path) -> Iterator[None]:
    """Create ``path``'s folder; a file that cannot be written is the user's to fix (``error:``, exit 2)."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        yield
    except OSError as exc:
        raise InputError(f"{option} {path}: cannot write ({exc.strerror or exc})") from exc


def run(args: argparse.Namespace) -> int:
    """Evaluate (or compare) as the parsed arguments say; raises QAError on bad input."""
    if args.compare:
        from eval.compare import compare_files, format_comparison

        sys.stdout.write(format_comparison(compare_files(*args.compare)))
        return 0
    if args.gold is None:
        raise InputError("give a GOLD file to evaluate (or --compare RUN_A RUN_B)")
    from eval.dialogs import is_dialog_file

    if is_dialog_file(args.gold):  # dialogs: every turn with its history (eval/dialogs.py)
        return _run_dialogs(args)
    modes = _modes(args)
    gold = load_gold(args.gold).limit(args.limit)
    started = time.perf_counter()
    qa = open_qa(args, gold)
    opened_s = time.perf_counter() - started
    last_build = getattr(qa, "last_build", None)
    built = last_build is not None and last_build.written
    store = getattr(qa, "store", None)
    vector_config = (store.manifest.get("config", {}).get("vector_index") or {}) if store is not None else {}
    index_facts = {  # in --json: which store served, and the build time when this run built the index
        "vector_backend": vector_config.get("backend", DEFAULT_BACKEND),
        "index_build_s": round(opened_s, 1) if built else None,
    }
    options = parse_reader_options(args.reader_option)
    if args.reader != DEFAULT_READER or options:
        qa.use_reader(args.reader, **options)
    reader = not args.retrieval_only
    k = _reader_k(qa, args.k) if reader else (DEFAULT_K if args.k is None else args.k)
    # SQuAD doc ids name the gold contexts; they only identify passages when those contexts are the corpus.
    match_doc_id = not (gold.format == "squad" and args.index is not None)
    if not match_doc_id:
        print(
            "note: --index with a SQuAD file: hits judged by answer text only",
            file=sys.stderr,
        )
    meta = {
        "index": str(qa.index_dir),
        "model": qa.model_id,
        "reader": reader_info(qa.reader) if reader else None,
        "gold": gold.load_report(),
    }
    results = [
        evaluate(qa, gold, mode=m, k=k, reader=reader, progress=not args.quiet, match_doc_id=match_doc_id,
                 batch_size=args.batch)
        for m in modes
    ]
    objs = [{**r.metrics, "mode": r.mode, **meta, **index_facts} for r in results]
    print(format_summary(results))
    print("\n".join(gold_lines(gold)))
    if args.json is not None:
        payload = objs[0] if len(objs) == 1 else objs
        with _writing("--json", args.json):
            args.json.write_text(json.dumps(payload, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    if args.runs is not None:
        with _writing("--runs", args.runs):
            write_runs(results, args.runs, meta)
    if args.report is not None:
        from eval.report import write_report

        header = [
            f"gold: {_gold_text(gold)}",
            f"index: {meta['index']}",
            f"model: {meta['model']}",
            f"reader: {meta['reader']['name']}, passages k = {k}" if meta["reader"] else "retrieval only",
        ]
        with _writing("--report", args.report / "report.md"):
            path = write_report(results, args.report, header=header)
        print(f"report: {path}", file=sys.stderr)
    return 0


def _run_dialogs(args: argparse.Namespace) -> int:
    """``qa eval DIALOGS.jsonl``: the index as for a JSONL gold file, the reader as asked."""
    from eval.dialogs import run_dialogs
    from qa.api import QA
    from qa.paths import default_index_dir

    qa = QA.open(args.index or default_index_dir(), model=args.model)
    options = parse_reader_options(args.reader_option)
    if args.reader != DEFAULT_READER or options:
        qa.use_reader(args.reader, **options)
    return run_dialogs(args, qa)


def main(argv: Sequence[str] | None = None) -> int:
    """``qa eval ...`` (or ``python -m eval.cli``): a QAError (bad gold or runs file) prints one line."""
    args = build_parser().parse_args(argv)
    handler = logging.StreamHandler(sys.stderr)  # skipped gold rows etc. as `warning: ...` lines
    handler.setLevel(logging.WARNING)
    handler.setFormatter(logging.Formatter("warning: %(message)s"))
    log.addHandler(handler)
    try:
        return run(args)
    except QAError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    finally:
        log.removeHandler(handler)


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
