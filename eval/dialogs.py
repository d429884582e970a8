"""Dialog gold sets (JSONL, 2-3 turns each) and their evaluation: every turn asked with the system's own
history, follow-up turns also asked alone and as their gold standalone rewrite, scored apart from first turns.

A line: ``{"id", "split": "tune"|"heldout", "lang", "turns": [{"question", "answers", "doc_id", "doc_ids"?,
"standalone"?, "kind"?}, ...]}``; every turn after the first has ``standalone`` (the question it means) and
``kind`` (swap, pronoun_subject, pronoun_answer, attribute). See docs/follow-ups.md.
"""

from __future__ import annotations

import json
import logging
from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from eval import metrics
from eval.gold import GoldFormatError
from qa.errors import QAError

log = logging.getLogger("eval")

SPLITS = ("tune", "heldout")
KINDS = ("swap", "pronoun_subject", "pronoun_answer", "attribute")


@dataclass(frozen=True)
class DialogTurn:
    """One gold turn; ``standalone`` is None for a first turn (the question stands alone)."""

    question: str
    answers: tuple[str, ...]
    doc_ids: tuple[str, ...]  # a retrieved passage must come from one of these (empty: any document)
    standalone: str | None = None
    kind: str | None = None


@dataclass(frozen=True)
class Dialog:
    """A gold dialog; ``split`` says whether choices may be tuned on it."""

    id: str
    split: str
    lang: str
    turns: tuple[DialogTurn, ...]


def is_dialog_file(path: Path) -> bool:
    """Whether ``path`` is a dialog gold file: its first JSON line is an object with ``turns``."""
    try:
        with open(path, encoding="utf-8-sig") as f:
            for line in f:
                if line.strip():
                    row = json.loads(line)
                    return isinstance(row, dict) and "turns" in row
    except (OSError, ValueError):
        return False
    return False


def _turn(raw: Any, first: bool) -> DialogTurn:
    if not isinstance(raw, Mapping):
        raise ValueError("a turn must be an object")
    question, answers = raw.get("question"), raw.get("answers")
    if not isinstance(question, str) or not question.strip():
        raise ValueError("a turn needs a non-empty 'question'")
    if not isinstance(answers, list) or not all(isinstance(a, str) and a for a in answers):
        raise ValueError("'answers' must be a list of non-empty strings ([] = unanswerable)")
    doc_ids = raw.get("doc_ids") or ([raw["doc_id"]] if raw.get("doc_id") else [])
    standalone = raw.get("standalone")
    if not first and (not isinstance(standalone, str) or not standalone.strip()):
        raise ValueError("a follow-up turn needs its 'standalone' rewrite")
    return DialogTurn(question, tuple(answers), tuple(doc_ids), standalone if not first else None,
                      raw.get("kind") if not first else None)


def load_dialogs(path: str | Path) -> tuple[Dialog, ...]:
    """The dialogs of a JSONL file; a malformed line is skipped with a warning; none valid is an error."""
    path = Path(path)
    try:
        lines = path.read_text(encoding="utf-8-sig").splitlines()
    except OSError as exc:
        raise GoldFormatError(f"{path}: cannot read ({exc.strerror or exc})") from exc
    out: list[Dialog] = []
    seen: set[str] = set()
    for n, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
            if not isinstance(row, dict) or not isinstance(row.get("id"), str):
                raise ValueError("a dialog is an object with an 'id'")
            if row["id"] in seen:
                raise ValueError(f"duplicate dialog id {row['id']!r}")
            split = row.get("split")
            if split not in SPLITS:
                raise ValueError(f"'split' must be one of {', '.join(SPLITS)}")
            raw_turns = row.get("turns")
            if not isinstance(raw_turns, list) or not raw_turns:
                raise ValueError("'turns' must be a non-empty list")
            turns = tuple(_turn(t, i == 0) for i, t in enumerate(raw_turns))
        except ValueError as exc:
            log.warning("%s: line %d: skipped: %s", path, n, exc)
            continue
        seen.add(row["id"])
        out.append(Dialog(row["id"], split, str(row.get("lang") or ""), turns))
    if not out:
        raise GoldFormatError(f"{path}: no valid dialogs (see the warnings); format: eval/dialogs.py")
    return tuple(out)


@dataclass(frozen=True)
class TurnRecord:
    """One turn's outcome: asked with history; for a follow-up also asked alone and as its standalone."""

    dialog: str
    split: str
    lang: str
    turn: int  # 0-based
    kind: str | None
    question: str
    understood_as: str
    prediction: str | None
    em: float
    f1: float
    retrieved_gold: bool  # a passage retrieved for `understood_as` holds a gold answer (in a gold document)
    alone_prediction: str | None = None  # the follow-up read without its history
    alone_em: float | None = None
    standalone_prediction: str | None = None  # the gold rewrite asked alone
    standalone_em: float | None = None
    standalone_f1: float | None = None

    def to_json(self) -> dict[str, Any]:
        return dict(self.__dict__)


def _score(prediction: str | None, answers: Sequence[str]) -> tuple[float, float]:
    return metrics.exact_match(prediction, answers), metrics.f1_score(prediction, answers)


def _retrieved(qa: Any, question: str, turn: DialogTurn, k: int, mode: str) -> bool:
    hits = qa.retrieve(question, k=k, mode=mode)
    return any(
        (not turn.doc_ids or h.doc_id in turn.doc_ids) and metrics.contains_answer(h.text, turn.answers)
        for h in hits
    )


def evaluate_dialogs(qa: Any, dialogs: Sequence[Dialog], *, k: int | None = None, mode: str = "hybrid",
                     progress: bool = False) -> list[TurnRecord]:
    """Ask every dialog turn by turn with the system's own answers as history (first turns: no history)."""
    records: list[TurnRecord] = []
    read_k = k if k is not None else int(qa.reader.max_passages)
    for n, dialog in enumerate(dialogs, start=1):
        if progress:
            print(f"\rdialog {n}/{len(dialogs)}", end="", flush=True)
        history: list[dict[str, Any]] = []
        for i, turn in enumerate(dialog.turns):
            asked = qa.ask(turn.question, k=k, mode=mode, history=history if i else None)
            understood = asked.understood_as or turn.question
            em, f1 = _score(asked.text, turn.answers)
            extra: dict[str, Any] = {}
            if i:
                alone = qa.ask(turn.question, k=k, mode=mode)
                standalone = qa.ask(turn.standalone or turn.question, k=k, mode=mode)
                s_em, s_f1 = _score(standalone.text, turn.answers)
                extra = {
                    "alone_prediction": alone.text,
                    "alone_em": _score(alone.text, turn.answers)[0],
                    "standalone_prediction": standalone.text,
                    "standalone_em": s_em,
                    "standalone_f1": s_f1,
                }
            records.append(TurnRecord(
                dialog.id, dialog.split, dialog.lang, i, turn.kind, turn.question, understood, asked.text,
                em, f1, _retrieved(qa, understood, turn, read_k, mode), **extra,
            ))
            history.append({"question": turn.question, "answer": asked.text, "understood_as": understood})
    if progress:
        print()
    return records


def _mean(values: Sequence[float | None]) -> float | None:
    kept = [v for v in values if v is not None]
    return sum(kept) / len(kept) if kept else None


def summarize(records: Sequence[TurnRecord]) -> dict[str, Any]:
    """Per split: first turns and follow-up turns apart (EM, F1, abstention, gold passage retrieved), the
    follow-ups also read alone and as their standalone rewrites, the EM ratio, and follow-ups per kind."""
    groups: dict[tuple[str, str], list[TurnRecord]] = defaultdict(list)
    for r in records:
        for split in (r.split, "all"):
            groups[(split, "first" if r.turn == 0 else "follow_up")].append(r)
            if r.turn:
                groups[(split, f"follow_up:{r.kind}")].append(r)
    out: dict[str, Any] = {}
    for (split, part), rows in sorted(groups.items()):
        em = _mean([r.em for r in rows])
        standalone = _mean([r.standalone_em for r in rows])
        out.setdefault(split, {})[part] = {
            "turns": len(rows),
            "exact_match": em,
            "f1": _mean([r.f1 for r in rows]),
            "abstain_rate": _mean([1.0 if r.prediction is None else 0.0 for r in rows]),
            "retrieved_gold": _mean([1.0 if r.retrieved_gold else 0.0 for r in rows]),
            "alone_exact_match": _mean([r.alone_em for r in rows]),
            "standalone_exact_match": standalone,
            "em_vs_standalone": (em / standalone) if em is not None and standalone else None,
        }
    return out


def format_dialog_summary(summary: Mapping[str, Any]) -> str:
    """A plain-text table: one row per split and part (first turns, follow-ups, follow-ups per kind)."""
    keys = ["turns", "exact_match", "f1", "abstain_rate", "retrieved_gold", "alone_exact_match",
            "standalone_exact_match", "em_vs_standalone"]
    order = ["first", "follow_up", *(f"follow_up:{k}" for k in KINDS)]
    rows = []
    for split in (*SPLITS, "all"):
        for part in order:
            m = summary.get(split, {}).get(part)
            if m is None:
                continue
            rows.append([split, part, *("-" if m[k] is None else f"{m[k]:.3f}" if isinstance(m[k], float)
                                         else str(m[k]) for k in keys)])
    header = ["split", "part", *(k.replace("exact_match", "em") for k in keys)]
    widths = [max(len(str(x)) for x in col) for col in zip(header, *rows, strict=True)]
    lines = ["  ".join(f"{c:>{w}}" for c, w in zip(row, widths, strict=True)) for row in [header, *rows]]
    return "\n".join(lines)


def run_dialogs(args: Any, qa: Any) -> int:
    """`qa eval DIALOGS.jsonl`: evaluate, print the table, write --json (summary) and --runs (per turn)."""
    dialogs = load_dialogs(args.gold)
    if args.limit is not None:
        dialogs = dialogs[: args.limit]
    records = evaluate_dialogs(qa, dialogs, k=args.k, mode=args.mode, progress=not args.quiet)
    summary = summarize(records)
    print(format_dialog_summary(summary))
    meta = {"gold": str(args.gold), "dialogs": len(dialogs), "index": str(qa.index_dir), "model": qa.model_id,
            "reader": qa.reader.name, "mode": args.mode}
    try:
        if args.json is not None:
            args.json.parent.mkdir(parents=True, exist_ok=True)
            payload = json.dumps({**meta, "summary": summary}, ensure_ascii=False, indent=2)
            args.json.write_text(payload + "\n", encoding="utf-8")
        if args.runs is not None:
            args.runs.parent.mkdir(parents=True, exist_ok=True)
            lines = [json.dumps({"meta": meta}, ensure_ascii=False)]
            lines += [json.dumps(r.to_json(), ensure_ascii=False) for r in records]
            args.runs.write_text("\n".join(lines) + "\n", encoding="utf-8")
    except OSError as exc:
        raise QAError(f"cannot write the results ({exc.strerror or exc})") from exc
    return 0
