"""Load a gold question set: our JSONL format, or SQuAD v1/v2-style JSON (CMRC 2018, DRCD, SQuAD).

Public gold files hold malformed rows (an empty question, an answer that is not in its context, an
``answer_start`` off by a character, a missing field, a bad JSON line). Such a row is skipped with a warning
and counted by reason; an ``answer_start`` that misses its answer text is corrected to the nearest occurrence
of that text in the context and counted separately. Only a file with no valid question at all, or one that
is not a gold file, raises :class:`GoldFormatError`.
"""

from __future__ import annotations

import hashlib
import json
import logging
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from types import MappingProxyType
from typing import Any, Literal

from qa.errors import InputError, QAError
from qa.types import Document

log = logging.getLogger(__name__)

GoldFormat = Literal["jsonl", "squad"]
SkipReason = Literal[
    "bad_json",  # a JSONL line that is not JSON
    "wrong_type",  # a row or field of the wrong JSON type (a list for an object, a number for a string)
    "missing_field",  # a required field is absent or null
    "empty_field",  # an id, context or answer text that is empty
    "empty_question",  # a question with no printable text (the product would refuse it)
    "answer_not_in_context",  # an answerable SQuAD question none of whose answers occurs in its context
    "duplicate_id",  # a question id (or explicit paragraph id) seen earlier in the file
]
SKIP_REASONS: tuple[SkipReason, ...] = (
    "bad_json",
    "wrong_type",
    "missing_field",
    "empty_field",
    "empty_question",
    "answer_not_in_context",
    "duplicate_id",
)
LOGGED_ROWS = 10  # skipped rows and corrections warned about one by one; the rest only in the summary
_JSONL_FIELDS = frozenset({"id", "question", "answers", "doc_id"})


class GoldFormatError(QAError):
    """The file is not a gold file (unreadable, not JSON/JSONL, no valid question); names file and place."""


@dataclass(frozen=True)
class Skip:
    """One row left out of the gold set: why, where (line or JSON path), its question id when known."""

    reason: SkipReason
    where: str
    id: str | None
    detail: str

    def to_dict(self) -> dict[str, Any]:
        return {"reason": self.reason, "where": self.where, "id": self.id, "detail": self.detail}


@dataclass(frozen=True)
class Correction:
    """An ``answer_start`` that did not point at its answer text, moved to the nearest occurrence."""

    id: str
    where: str
    text: str
    given: Any  # the offset as written in the file (-1, off by some characters, or not an int)
    start: int

    def to_dict(self) -> dict[str, Any]:
        return {"id": self.id, "where": self.where, "text": self.text, "given": self.given,
                "start": self.start}


@dataclass(frozen=True)
class GoldQuestion:
    """One gold question; ``answers == ()`` marks it unanswerable (the system should abstain)."""

    id: str
    question: str
    answers: tuple[str, ...]
    doc_id: str | None = None  # when set, a retrieval hit must come from this document
    extra: Mapping[str, Any] = field(default_factory=dict)  # any other fields of the JSONL line, kept
    # SQuAD files: per answer, its (corrected) offset in the context, None where the answer is free text
    # that does not occur there (CMRC dev's human answers); empty for JSONL, which gives no contexts.
    answer_starts: tuple[int | None, ...] = ()

    def __post_init__(self) -> None:
        object.__setattr__(self, "answers", tuple(self.answers))
        object.__setattr__(self, "extra", MappingProxyType(dict(self.extra)))
        object.__setattr__(self, "answer_starts", tuple(self.answer_starts))

    @property
    def answerable(self) -> bool:
        return bool(self.answers)


@dataclass(frozen=True)
class GoldSet:
    """Questions in file order, plus the contexts as documents for SQuAD-style files (else ``None``).

    ``skipped`` and ``corrected`` describe the whole file (also after :meth:`limit`).
    """

    questions: tuple[GoldQuestion, ...]
    documents: tuple[Document, ...] | None
    path: Path
    sha256: str  # of the file bytes: keys the cached index built from the contexts
    format: GoldFormat
    skipped: tuple[Skip, ...] = ()
    corrected: tuple[Correction, ...] = ()

    def limit(self, n: int | None) -> GoldSet:
        """The first ``n`` questions (all when ``None``); documents are kept whole so the index is shared."""
        if n is None:
            return self
        if n < 1:
            raise InputError(f"limit must be a positive number of questions, got {n}")
        return replace(self, questions=self.questions[:n])

    def skip_counts(self) -> dict[str, int]:
        """Skipped rows per reason, in :data:`SKIP_REASONS` order, reasons with none left out."""
        counts = Counter(s.reason for s in self.skipped)
        return {r: counts[r] for r in SKIP_REASONS if counts[r]}

    def load_report(self, examples: int = 3) -> dict[str, Any]:
        """What loading left out or corrected: counts per reason and the first few rows (``--json``)."""
        return {
            "path": str(self.path),
            "questions": len(self.questions),
            "skipped": len(self.skipped),
            "skipped_by_reason": self.skip_counts(),
            "skipped_examples": [s.to_dict() for s in self.skipped[:examples]],
            "corrected": len(self.corrected),
            "corrected_examples": [c.to_dict() for c in self.corrected[:examples]],
            # answers kept as reference text though not in their context (another answer of theirs is)
            "free_text_answers": sum(start is None for q in self.questions for start in q.answer_starts),
        }


class _Rows:
    """Collects the questions, skipped rows and corrections of one file while it is parsed."""

    def __init__(self, source: str) -> None:
        self.source = source
        self.questions: list[GoldQuestion] = []
        self.skipped: list[Skip] = []
        self.corrected: list[Correction] = []
        self._first_at: dict[str, str] = {}

    def skip(self, reason: SkipReason, where: str, qid: Any, detail: str) -> None:
        self.skipped.append(Skip(reason, where, qid if isinstance(qid, str) else None, detail))

    def add(self, question: GoldQuestion, where: str) -> None:
        first = self._first_at.get(question.id)
        if first is not None:
            detail = f"duplicate question id {question.id!r} (first at {first})"
            self.skip("duplicate_id", where, question.id, detail)
            return
        self._first_at[question.id] = where
        self.questions.append(question)

    def finish(self, what: str) -> tuple[GoldQuestion, ...]:
        """The questions; warns about skipped rows and corrections; raises when no question is valid."""
        if not self.questions:
            if not self.skipped:
                raise GoldFormatError(f"{self.source}: no questions {what}")
            first = self.skipped[0]
            raise GoldFormatError(
                f"{self.source}: no valid questions: all {len(self.skipped)} rows skipped "
                f"({_counts_text(self.skipped)}); first: {first.where}: {first.detail}"
            )
        for s in self.skipped[:LOGGED_ROWS]:
            log.warning("%s: %s: skipped (%s): %s", self.source, s.where, s.reason, s.detail)
        for c in self.corrected[:LOGGED_ROWS]:
            log.warning(
                "%s: %s: answer_start %r corrected to %d (%r)", self.source, c.where, c.given, c.start, c.text
            )
        if self.skipped or self.corrected:
            log.warning(
                "%s: %d questions loaded; %d rows skipped%s; %d answer offsets corrected",
                self.source,
                len(self.questions),
                len(self.skipped),
                f" ({_counts_text(self.skipped)})" if self.skipped else "",
                len(self.corrected),
            )
        return tuple(self.questions)


def _counts_text(skipped: Sequence[Skip]) -> str:
    counts = Counter(s.reason for s in skipped)
    return ", ".join(f"{r} {counts[r]}" for r in SKIP_REASONS if counts[r])


class _RowError(Exception):
    """A malformed row: the reason and message of its :class:`Skip` (internal to parsing)."""

    def __init__(self, reason: SkipReason, detail: str) -> None:
        super().__init__(detail)
        self.reason = reason
        self.detail = detail


def load_gold(path: str | Path) -> GoldSet:
    """Read a gold file; format from content (a JSON object with ``data`` is SQuAD, else JSONL)."""
    path = Path(path)
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise GoldFormatError(f"{path}: cannot read gold file ({exc.strerror or exc})") from exc
    digest = hashlib.sha256(raw).hexdigest()
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise GoldFormatError(f"{path}: not UTF-8 text ({exc.reason} at byte {exc.start})") from exc
    if not text.strip():
        raise GoldFormatError(f"{path}: empty gold file; expected JSONL questions or SQuAD-format JSON")
    source = str(path)
    try:
        data = json.loads(text)
    except json.JSONDecodeError:
        data = None  # JSONL (several documents): parsed line by line below
    if isinstance(data, dict) and "data" in data and "question" not in data:
        rows, documents = _parse_squad(data, source)
        return GoldSet(rows.finish("found under data[].paragraphs[].qas[]"), documents, path, digest, "squad",
                       tuple(rows.skipped), tuple(rows.corrected))
    one_line = sum(1 for line in text.splitlines() if line.strip()) == 1
    if data is not None and not (isinstance(data, dict) and one_line):  # one JSON document, not JSON lines
        raise GoldFormatError(
            f"{path}: a JSON {type(data).__name__} that is not a gold file: expected JSON lines of question "
            "objects or SQuAD-format JSON with a top-level 'data' list"
        )
    rows = _parse_jsonl(text, source)
    return GoldSet(rows.finish("(only blank lines)"), None, path, digest, "jsonl",
                   tuple(rows.skipped), tuple(rows.corrected))


def parse_jsonl(text: str, *, source: str = "<gold>") -> tuple[GoldQuestion, ...]:
    """Parse ``{"id", "question", "answers": [str], "doc_id"?}`` lines; blank and malformed lines skipped."""
    return _parse_jsonl(text, source).finish("(only blank lines)")


def parse_squad(
    data: Mapping[str, Any], *, source: str = "<gold>"
) -> tuple[tuple[GoldQuestion, ...], tuple[Document, ...]]:
    """Parse ``data[].paragraphs[].{id?, context, qas[]}``; each context becomes one Document.

    A paragraph without ``id`` gets ``f"{title}-{i}"`` (i = its index in the article); SQuAD v2
    ``is_impossible: true`` (or no answers) makes a question unanswerable. Malformed rows are skipped.
    """
    rows, documents = _parse_squad(data, source)
    return rows.finish("found under data[].paragraphs[].qas[]"), documents


# --------------------------------------------------------------------------- fields


def _str_field(obj: Mapping[str, Any], key: str, *, required: bool = True) -> str | None:
    """``obj[key]`` as a string; :class:`_RowError` when absent or null (if required), not a str, or empty."""
    if key not in obj or obj[key] is None:
        if required:
            raise _RowError("missing_field", f"missing required field {key!r}")
        return None
    value = obj[key]
    if not isinstance(value, str):
        raise _RowError("wrong_type", f"field {key!r} must be a string, got {type(value).__name__}")
    if required and not value.strip():
        raise _RowError("empty_field", f"field {key!r} is empty")
    return value


def _question_field(obj: Mapping[str, Any]) -> str:
    """The question text; one the product would refuse (no printable text) is an ``empty_question``."""
    from qa.retriever import check_question  # the product's own rule, so every kept question can be asked

    if obj.get("question") is None:
        raise _RowError("missing_field", "missing required field 'question'")
    question = obj["question"]
    if not isinstance(question, str):
        raise _RowError("wrong_type", f"field 'question' must be a string, got {type(question).__name__}")
    try:
        check_question(question)
    except ValueError:
        raise _RowError("empty_question", "field 'question' is empty") from None
    return question


def _expect(value: Any, kind: type, what: str) -> Any:
    if value is None:
        raise _RowError("missing_field", f"missing required field {what!r}")
    if not isinstance(value, kind):
        raise _RowError("wrong_type", f"{what}: expected {kind.__name__}, got {type(value).__name__}")
    return value


def _dedupe(answers: Sequence[str]) -> tuple[str, ...]:
    return tuple(dict.fromkeys(answers))


# --------------------------------------------------------------------------- JSONL


def _parse_jsonl(text: str, source: str) -> _Rows:
    rows = _Rows(source)
    for lineno, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        where = f"line {lineno}"
        try:
            obj = json.loads(line)
        except json.JSONDecodeError as exc:
            rows.skip("bad_json", where, None, f"not valid JSON ({exc.msg} at column {exc.colno})")
            continue
        if not isinstance(obj, dict):
            rows.skip("wrong_type", where, None, f"expected a JSON object per line, got {type(obj).__name__}")
            continue
        try:
            rows.add(_jsonl_question(obj), where)
        except _RowError as err:
            rows.skip(err.reason, where, obj.get("id"), err.detail)
    return rows


def _jsonl_question(obj: Mapping[str, Any]) -> GoldQuestion:
    qid = _str_field(obj, "id") or ""
    question = _question_field(obj)
    if "answers" not in obj:
        raise _RowError("missing_field", "missing required field 'answers' (use [] for unanswerable)")
    answers = obj["answers"]
    if not isinstance(answers, list) or not all(isinstance(a, str) for a in answers):
        raise _RowError("wrong_type", "field 'answers' must be a list of strings")
    if any(not a.strip() for a in answers):
        raise _RowError("empty_field", "field 'answers' holds an empty string")
    doc_id = _str_field(obj, "doc_id", required=False)
    extra = {k: v for k, v in obj.items() if k not in _JSONL_FIELDS}
    return GoldQuestion(qid, question, _dedupe(answers), doc_id, extra)


# --------------------------------------------------------------------------- SQuAD


def _parse_squad(data: Mapping[str, Any], source: str) -> tuple[_Rows, tuple[Document, ...]]:
    articles = data.get("data")
    if not isinstance(articles, list):
        raise GoldFormatError(f"{source}: data: expected list, got {type(articles).__name__}")
    rows = _Rows(source)
    documents: list[Document] = []
    doc_ids: set[str] = set()
    for a, article in enumerate(articles):
        aloc = f"data[{a}]"
        try:
            _expect(article, dict, "article")
            title = article.get("title") or ""
            if not isinstance(title, str):
                raise _RowError("wrong_type", f"title: expected str, got {type(title).__name__}")
            paragraphs = _expect(article.get("paragraphs"), list, "paragraphs")
        except _RowError as err:
            rows.skip(err.reason, aloc, None, err.detail)
            continue
        for p, para in enumerate(paragraphs):
            ploc = f"{aloc}.paragraphs[{p}]"
            try:
                _expect(para, dict, "paragraph")
                qas = _expect(para.get("qas"), list, "qas")
            except _RowError as err:
                rows.skip(err.reason, ploc, None, err.detail)
                continue
            try:
                context = _str_field(para, "context") or ""
                doc_id = _str_field(para, "id", required=False) or f"{title or f'article{a}'}-{p}"
                if doc_id in doc_ids:
                    if "id" in para:
                        raise _RowError("duplicate_id", f"duplicate paragraph id {doc_id!r}")
                    doc_id = f"{title or 'article'}-{a}-{p}"
            except _RowError as err:  # the paragraph is unusable: each of its questions is skipped
                for j, qa in enumerate(qas):
                    qid = qa.get("id") if isinstance(qa, dict) else None
                    rows.skip(err.reason, f"{ploc}.qas[{j}]", qid, f"{ploc}: {err.detail}")
                if not qas:
                    rows.skip(err.reason, ploc, None, err.detail)
                continue
            doc_ids.add(doc_id)
            documents.append(Document(doc_id=doc_id, title=title, text=context, source=source))
            for j, qa in enumerate(qas):
                qloc = f"{ploc}.qas[{j}]"
                try:
                    _expect(qa, dict, "question")
                    rows.add(_squad_question(qa, context, doc_id, qloc, rows), qloc)
                except _RowError as err:
                    rows.skip(err.reason, qloc, qa.get("id") if isinstance(qa, dict) else None, err.detail)
    return rows, tuple(documents)


def _squad_question(qa: Mapping[str, Any], context: str, doc_id: str, qloc: str, rows: _Rows) -> GoldQuestion:
    qid = (_str_field(qa, "id") or "").strip()
    question = _question_field(qa).strip()
    impossible = qa.get("is_impossible", False)
    if not isinstance(impossible, bool):
        raise _RowError("wrong_type", f"is_impossible: expected bool, got {type(impossible).__name__}")
    raw_answers = qa.get("answers", [])
    if not isinstance(raw_answers, list):
        raise _RowError("wrong_type", f"answers: expected list, got {type(raw_answers).__name__}")
    if impossible:
        return GoldQuestion(qid, question, (), doc_id)
    answers: list[tuple[str, int | None]] = []
    corrections: list[Correction] = []
    for k, ans in enumerate(raw_answers):
        aloc = f"answers[{k}]"
        if not isinstance(ans, dict):
            raise _RowError("wrong_type", f"{aloc}: expected dict, got {type(ans).__name__}")
        try:
            text = _str_field(ans, "text") or ""
        except _RowError as err:
            raise _RowError(err.reason, f"{aloc}: {err.detail}") from None
        start = _locate(context, text, ans.get("answer_start"))
        given = ans.get("answer_start")
        if start is not None and "answer_start" in ans and given != start:
            corrections.append(Correction(qid, f"{qloc}.{aloc}", text, given, start))
        answers.append((text, start))
    if answers and all(start is None for _, start in answers):
        shown = " | ".join(text for text, _ in answers[:3])
        raise _RowError("answer_not_in_context", f"no answer occurs in the context ({shown})")
    rows.corrected.extend(corrections)
    firsts = dict(reversed(answers))  # one offset per distinct answer text: the first answer's
    texts = _dedupe([text for text, _ in answers])
    return GoldQuestion(qid, question, texts, doc_id, answer_starts=tuple(firsts[t] for t in texts))


def _locate(context: str, text: str, given: Any) -> int | None:
    """Offset of ``text`` in ``context``: ``given`` when it points at it, else the nearest occurrence.

    ``given`` of -1, off by some characters, absent or not an int all land on the occurrence nearest to it
    (nearest to 0 when it is not a usable int), like the SQuAD/CMRC preprocessing scripts; None when
    ``text`` does not occur in ``context`` at all.
    """
    usable = isinstance(given, int) and not isinstance(given, bool)
    if usable and given >= 0 and context.startswith(text, given):
        return given
    target = given if usable and given > 0 else 0
    best: int | None = None
    i = context.find(text)
    while i != -1:
        if best is None or abs(i - target) < abs(best - target):
            best = i
        if i > target:
            break  # later occurrences are only farther away
        i = context.find(text, i + 1)
    return best
