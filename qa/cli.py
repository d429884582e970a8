"""The `qa` command line: index, search, ask, eval, info. A thin layer over qa.api."""

from __future__ import annotations

import argparse
import json
import logging
import os
import sys
from collections.abc import Sequence
from pathlib import Path

from qa import __version__
from qa.errors import QAError
from qa.filetypes import supported_list
from qa.readers.factory import DEFAULT_READER, parse_reader_options, reader_names
from qa.types import MODES, Answer, Filters, Hit
from qa.vectors.factory import backend_names

log = logging.getLogger("qa")
INDEX_HELP = "index directory (default: $QA_INDEX_DIR or ~/.cache/qa/index/default)"


class _WarningHandler(logging.Handler):
    def emit(self, record: logging.LogRecord) -> None:
        print(f"{record.levelname.lower()}: {record.getMessage()}", file=sys.stderr)


def _filters(args: argparse.Namespace) -> Filters | None:
    f = Filters(
        doc_ids=frozenset(args.doc) if getattr(args, "doc", None) else None,
        date_from=getattr(args, "date_from", None),
        date_to=getattr(args, "date_to", None),
    )
    return f if f.active else None


def _add_query_options(
    p: argparse.ArgumentParser, k_default: int | None, *, one_question: bool = True
) -> None:
    """The options of a command that asks (search, ask, chat); ``one_question``: it takes the question and
    ``--json`` on the command line (chat reads its questions from the terminal)."""
    if one_question:
        p.add_argument("question", help="the question (Chinese, English, ...)")
    p.add_argument(
        "--index", type=Path, default=None, help=INDEX_HELP
    )
    p.add_argument("-k", type=int, default=k_default, help="number of passages")
    p.add_argument("--mode", choices=MODES, default="hybrid", help="retrieval mode (default: hybrid)")
    p.add_argument("--doc", action="append", metavar="DOC_ID", help="only search this document (repeatable)")
    p.add_argument("--date-from", metavar="YYYY-MM-DD", help="only documents dated on or after this day")
    p.add_argument("--date-to", metavar="YYYY-MM-DD", help="only documents dated on or before this day")
    p.add_argument("--model", default=None, help="query model (default: the one that built the index)")
    if one_question:
        p.add_argument("--json", action="store_true", help="print one JSON object")


def _open(args: argparse.Namespace):  # -> QA
    from qa.api import QA

    return QA.open(args.index, model=args.model)


def _vector_config(args: argparse.Namespace, target: Path):  # -> VectorIndexConfig
    """The vector store for `qa index`: the existing index's (so a plain re-run keeps its backend), with
    --backend/--uri/--collection applied on top; a new index without them uses the local default."""
    from dataclasses import replace

    from qa.errors import InputError
    from qa.store import MANIFEST, manifest_config, read_manifest
    from qa.vectors.base import VectorIndexConfig

    config = VectorIndexConfig()
    if (Path(target) / MANIFEST).is_file():
        try:
            saved = read_manifest(target).get("config", {}).get("vector_index")
            config = manifest_config(VectorIndexConfig, saved, target)
        except QAError:  # a damaged index is rebuilt by the indexer; start from the defaults
            config = VectorIndexConfig()
    if args.backend is not None and args.backend != config.backend:
        config = replace(config, backend=args.backend, uri="", collection="")
    if args.uri is not None or args.collection is not None:
        if config.backend == "faiss":
            raise InputError("--uri and --collection are for a server-side backend: add --backend milvus")
        config = replace(
            config,
            uri=config.uri if args.uri is None else args.uri,
            collection=config.collection if args.collection is None else args.collection,
        )
    if config.backend != "faiss" and not config.collection:
        from qa.vectors.milvus import default_collection

        config = replace(config, collection=default_collection(Path(target)))
    return config


def cmd_index(args: argparse.Namespace) -> int:
    from qa.api import QA
    from qa.indexer import IndexConfig
    from qa.paths import default_index_dir

    target = args.index or default_index_dir()
    qa = QA.build(
        args.paths or None,
        target,
        model=args.model,
        config=IndexConfig(vector_index=_vector_config(args, target)),
        mode="add" if args.add else "sync",
        progress=not args.quiet,
    )
    r = qa.last_build
    if r is None:  # pragma: no cover - build always reports
        return 0
    if not r.written:
        print(
            f"index at {target} is up to date: {r.documents} documents, "
            f"{r.passages} passages (nothing embedded)"
        )
    else:
        print(
            f"indexed {r.documents} documents, {r.passages} passages into {target} "
            f"(embedded {r.embedded}, reused {r.reused}; added {len(r.added)}, changed {len(r.changed)}, "
            f"removed {len(r.removed)} documents)"
        )
    return 0


def _print_hit(h: Hit) -> None:
    date = f" {h.date}" if h.date else ""
    print(f"[{h.rank}] {h.score:.4f}  {h.title}{date}  ({h.passage_id}, paragraph {h.passage.paragraph + 1})")
    print(f"    {h.text}")


def cmd_search(args: argparse.Namespace) -> int:
    qa = _open(args)
    hits = qa.retrieve(args.question, k=args.k, mode=args.mode, filters=_filters(args))
    if args.json:
        print(
            json.dumps(
                {"question": args.question, "mode": args.mode, "hits": [h.to_json() for h in hits]},
                ensure_ascii=False,
            )
        )
        return 0
    if not hits:
        print("no passages match (check the filters)")
    for h in hits:
        _print_hit(h)
    return 0


def format_answer(ans: Answer) -> str:
    """Human-readable answer: the answer, its sentence with the span marked, the citation, alternatives."""
    lines: list[str] = []
    if ans.text is None:
        lines.append("The corpus does not answer this question.")
        if ans.hits:
            lines.append("Closest passages:")
            for h in ans.hits[:3]:
                lines.append(f"  [{h.rank}] {h.title} ({h.doc_id}): {h.text[:120]}")
        return "\n".join(lines)
    lines.append(f"Answer: {ans.text}   (confidence {ans.confidence:.2f})")
    if ans.citations:
        c = ans.citations[0]
        sent = ans.supporting_sentence or c.text
        marked = sent.replace(ans.text, f"【{ans.text}】", 1) if ans.text in sent else sent
        lines.append(f"Evidence: {marked}")
        date = c.date or "undated"
        lines.append(
            f"Source: {c.title} — {date} — {c.doc_id}, paragraph {c.paragraph + 1} ({c.passage_id}, "
            f"chars {c.start}-{c.end})"
        )
    if ans.alternatives:
        lines.append("Other sources say:")
        for a in ans.alternatives:
            lines.append(f"  {a.answer}  ({a.date or 'undated'}, {a.doc_id})")
    return "\n".join(lines)


def cmd_ask(args: argparse.Namespace) -> int:
    qa = _open(args)
    options = parse_reader_options(args.reader_option)
    if args.reader != DEFAULT_READER or options:
        qa.use_reader(args.reader, **options)
    qa.warm_up()
    from qa.conversation.session import default_session_path, load_session

    session = args.session or default_session_path()
    history = load_session(session) if args.follow_up else ()
    if args.follow_up and not history:
        log.warning("no earlier question in %s: the question is read alone", session)
    ans = qa.ask(args.question, k=args.k, mode=args.mode, filters=_filters(args),
                 history=history if args.follow_up else None)
    if args.json:
        print(json.dumps(ans.to_json(), ensure_ascii=False))
    else:
        if ans.understood_as and ans.understood_as != ans.question:
            print(f"Understood as: {ans.understood_as}")
        print(format_answer(ans))
    _record_turn(session, history, ans, explicit=args.follow_up or args.session is not None)
    return 0


def _record_turn(session: Path, history: Sequence[object], ans: Answer, *, explicit: bool) -> None:
    """Keep this turn in the session file so `qa ask --follow-up` can continue; a plain `qa ask` that
    cannot write it says nothing (the answer is what was asked for)."""
    from qa.conversation.history import Turn
    from qa.conversation.session import save_session

    try:
        save_session(session, [*history, Turn(ans.question, ans.text, ans.understood_as)])
    except OSError as exc:
        if explicit:
            log.warning("could not save the session to %s (%s): the next --follow-up will not see this turn",
                        session, exc.strerror or exc)


def cmd_chat(args: argparse.Namespace) -> int:
    """`qa chat`: ask questions one per line; each is read with the earlier ones as its history."""
    from qa.conversation.session import Conversation

    qa = _open(args)
    options = parse_reader_options(args.reader_option)
    if args.reader != DEFAULT_READER or options:
        qa.use_reader(args.reader, **options)
    qa.warm_up()
    conv = Conversation(qa)
    print("Ask a question (an empty line or Ctrl-D ends, /new starts a new conversation).")
    while True:
        try:
            line = input("> ").strip()
        except EOFError:
            print()
            return 0
        if not line:
            return 0
        if line == "/new":
            conv.clear()
            continue
        try:
            ans = conv.ask(line, k=args.k, mode=args.mode, filters=_filters(args))
        except QAError as exc:
            print(f"error: {exc}", file=sys.stderr)
            continue
        if ans.understood_as and ans.understood_as != ans.question:
            print(f"Understood as: {ans.understood_as}")
        print(format_answer(ans))


def cmd_info(args: argparse.Namespace) -> int:
    from qa.paths import default_index_dir
    from qa.store import read_manifest

    manifest = read_manifest(args.index or default_index_dir())
    print(json.dumps(manifest, ensure_ascii=False, indent=2))
    return 0


COMMANDS_GROUP = "qa.commands"  # entry points of commands that packages above qa add to it (eval: `qa eval`)


def cmd_eval(args: argparse.Namespace) -> int:
    """`qa eval ...`: hand the arguments after `eval` to the evaluation harness, found by its entry point
    (pyproject's `qa.commands` group), so that qa, the bottom layer, never imports eval."""
    from importlib.metadata import entry_points

    found = [e for e in entry_points(group=COMMANDS_GROUP) if e.name == "eval"]
    if not found:
        print("error: the evaluation harness is not installed: pip install -e . (from the project root)",
              file=sys.stderr)
        return 2
    return found[0].load()(args.eval_argv)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="qa", description="Cited extractive question answering over documents."
    )
    parser.add_argument("--version", action="version", version=f"qa {__version__}")
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("index", help="index files/folders (default: the bundled corpus), incrementally")
    p.add_argument("paths", nargs="*", type=Path, help=f"files or folders ({supported_list()})")
    p.add_argument(
        "--index", type=Path, default=None, help=INDEX_HELP
    )
    p.add_argument(
        "--model",
        default=None,
        help="embedding model: multilingual-e5-small-int8 (default, ONNX Runtime), multilingual-e5-small "
        "(fp32, torch), or a sentence-transformers name or folder",
    )
    p.add_argument("--add", action="store_true", help="add/replace these documents, keep the others indexed")
    p.add_argument("-q", "--quiet", action="store_true", help="no progress bar")
    p.add_argument(
        "--backend",
        choices=backend_names(),
        default=None,
        help="vector store: faiss (local, default) or milvus (needs --uri); a re-run keeps the index's",
    )
    p.add_argument(
        "--uri",
        default=None,
        help="milvus: http://HOST:19530 (token from $QA_MILVUS_TOKEN) or PATH.db for embedded Milvus Lite",
    )
    p.add_argument(
        "--collection", default=None, help="milvus: collection (default: qa_<index dir name>_<path hash>)"
    )
    p.set_defaults(func=cmd_index)

    p = sub.add_parser("search", help="show the best passages for a question")
    _add_query_options(p, 5)
    p.set_defaults(func=cmd_search)

    p = sub.add_parser("ask", help="answer a question with a cited span, or abstain")
    _add_query_options(p, None)
    p.add_argument("--reader", choices=reader_names(), default=DEFAULT_READER,
                   help=f"answer reader (default: {DEFAULT_READER})")
    p.add_argument("--reader-option", action="append", metavar="KEY=VALUE",
                   help="set a field of the reader's config, e.g. runtime=onnx-int8 (repeatable)")
    p.add_argument("--follow-up", action="store_true",
                   help="read the question as a follow-up of the previous `qa ask` (\"那2023年呢？\")")
    p.add_argument("--session", type=Path, default=None, metavar="FILE",
                   help="the conversation file --follow-up continues (default: ~/.cache/qa/session.json)")
    p.set_defaults(func=cmd_ask)

    p = sub.add_parser("chat", help="ask follow-up questions interactively, one per line")
    _add_query_options(p, None, one_question=False)
    p.add_argument("--reader", choices=reader_names(), default=DEFAULT_READER,
                   help=f"answer reader (default: {DEFAULT_READER})")
    p.add_argument("--reader-option", action="append", metavar="KEY=VALUE",
                   help="set a field of the reader's config (repeatable)")
    p.set_defaults(func=cmd_chat)

    p = sub.add_parser("info", help="print the manifest of an index")
    p.add_argument("--index", type=Path, default=None)
    p.set_defaults(func=cmd_info)

    # `qa eval` is the evaluation harness's command (eval/): it parses the arguments after `eval` itself
    # (`qa eval --help`), and is found by its entry point only when the command runs.
    p = sub.add_parser(
        "eval", add_help=False, help="evaluate answers and retrieval on a gold set (JSONL or SQuAD/CMRC JSON)"
    )
    p.set_defaults(func=cmd_eval)
    return parser


def _quiet_model_loading() -> None:
    """Hide transformers' per-load "Loading weights" bar and load reports in CLI output (our own progress
    bars stay). Set through its environment variables, so a command that never loads a torch model (the
    int8 ONNX encoder and reader) does not pay for importing transformers (~0.7 s)."""
    os.environ.setdefault("TRANSFORMERS_VERBOSITY", "error")
    os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")
    if "transformers" in sys.modules:  # already imported: its settings were read, set them directly
        from transformers.utils import logging as hf_logging

        hf_logging.disable_progress_bar()
        hf_logging.set_verbosity_error()


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args, rest = parser.parse_known_args(argv)
    if args.command == "eval":
        args.eval_argv = rest
    elif rest:
        parser.error(f"unrecognized arguments: {' '.join(rest)}")
    handler = _WarningHandler(level=logging.WARNING)
    log.addHandler(handler)
    if args.command in ("index", "search", "ask", "chat", "eval"):
        _quiet_model_loading()
    try:
        return int(args.func(args) or 0)
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
    except QAError as exc:  # anything else is a bug: let it show its traceback
        print(f"error: {exc}", file=sys.stderr)
        return 2
    finally:
        log.removeHandler(handler)


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
