"""Load a gold question set: our JSONL format, or SQuAD v1/v2-style JSON (CMRC 2018, DRCD, SQuAD)."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType
from typing import Any, Literal

from qa.types import Document

GoldFormat = Literal["jsonl", "squad"]
_JSONL_FIELDS = frozenset({"id", "question", "answers", "doc_id"})


class GoldFormatError(ValueError):
    """A gold file is unreadable or malformed; the message names the file and the line or JSON path."""


@dataclass(frozen=True)
class GoldQuestion:
    """One gold question; ``answers == ()`` marks it unanswerable (the system should abstain)."""

    id: str
    question: str
    answers: tuple[str, ...]
    doc_id: str | None = None  # when set, a retrieval hit must come from this document
    extra: Mapping[str, Any] = field(default_factory=dict)  # any other fields of the JSONL line, kept

    def __post_init__(self) -> None:
        object.__setattr__(self, "answers", tuple(self.answers))
        object.__setattr__(self, "extra", MappingProxyType(dict(self.extra)))

    @property
    def answerable(self) -> bool:
        return bool(self.answers)


@dataclass(frozen=True)
class GoldSet:
    """Questions in file order, plus the contexts as documents for SQuAD-style files (else ``None``)."""

    questions: tuple[GoldQuestion, ...]
    documents: tuple[Document, ...] | None
    path: Path
    sha256: str  # of the file bytes: keys the cached index built from the contexts
    format: GoldFormat

    def limit(self, n: int | None) -> GoldSet:
        """The first ``n`` questions (all when ``None``); documents are kept whole so the index is shared."""
        if n is None:
            return self
        if n < 1:
            raise ValueError(f"limit must be a positive number of questions, got {n}")
        return GoldSet(self.questions[:n], self.documents, self.path, self.sha256, self.format)


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
    if text.lstrip().startswith("{"):
        try:
            data = json.loads(text)
        except json.JSONDecodeError:
            data = None  # maybe JSONL whose first line is an object: parsed line by line below
        if isinstance(data, dict) and "data" in data and "question" not in data:
            questions, documents = parse_squad(data, source=str(path))
            return GoldSet(questions, documents, path, digest, "squad")
    return GoldSet(parse_jsonl(text, source=str(path)), None, path, digest, "jsonl")


def _check_unique(questions: Sequence[GoldQuestion], where: Sequence[str], source: str) -> None:
    seen: dict[str, str] = {}
    for q, loc in zip(questions, where, strict=True):
        if q.id in seen:
            raise GoldFormatError(f"{source}: {loc}: duplicate question id {q.id!r} (first at {seen[q.id]})")
        seen[q.id] = loc


def _str_field(obj: Mapping[str, Any], key: str, loc: str, *, required: bool = True) -> str | None:
    if key not in obj or obj[key] is None:
        if required:
            raise GoldFormatError(f"{loc}: missing required field {key!r}")
        return None
    value = obj[key]
    if not isinstance(value, str):
        raise GoldFormatError(f"{loc}: field {key!r} must be a string, got {type(value).__name__}")
    if required and not value.strip():
        raise GoldFormatError(f"{loc}: field {key!r} is empty")
    return value


def _dedupe(answers: Sequence[str]) -> tuple[str, ...]:
    return tuple(dict.fromkeys(answers))


def parse_jsonl(text: str, *, source: str = "<gold>") -> tuple[GoldQuestion, ...]:
    """Parse ``{"id", "question", "answers": [str], "doc_id"?}`` lines; blank lines are skipped."""
    questions: list[GoldQuestion] = []
    where: list[str] = []
    for lineno, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        loc = f"{source}:{lineno}"
        try:
            obj = json.loads(line)
        except json.JSONDecodeError as exc:
            raise GoldFormatError(f"{loc}: not valid JSON ({exc.msg} at column {exc.colno})") from exc
        if not isinstance(obj, dict):
            raise GoldFormatError(f"{loc}: expected a JSON object per line, got {type(obj).__name__}")
        qid = _str_field(obj, "id", loc)
        question = _str_field(obj, "question", loc)
        if "answers" not in obj:
            raise GoldFormatError(f"{loc}: missing required field 'answers' (use [] for unanswerable)")
        answers = obj["answers"]
        if not isinstance(answers, list) or not all(isinstance(a, str) for a in answers):
            raise GoldFormatError(f"{loc}: field 'answers' must be a list of strings")
        if any(not a.strip() for a in answers):
            raise GoldFormatError(f"{loc}: field 'answers' holds an empty string")
        doc_id = _str_field(obj, "doc_id", loc, required=False)
        extra = {k: v for k, v in obj.items() if k not in _JSONL_FIELDS}
        questions.append(GoldQuestion(qid or "", question or "", _dedupe(answers), doc_id, extra))
        where.append(f"line {lineno}")
    if not questions:
        raise GoldFormatError(f"{source}: no questions (only blank lines)")
    _check_unique(questions, where, source)
    return tuple(questions)


def _expect(value: Any, kind: type, loc: str) -> Any:
    if not isinstance(value, kind):
        raise GoldFormatError(f"{loc}: expected {kind.__name__}, got {type(value).__name__}")
    return value


def parse_squad(
    data: Mapping[str, Any], *, source: str = "<gold>"
) -> tuple[tuple[GoldQuestion, ...], tuple[Document, ...]]:
    """Parse ``data[].paragraphs[].{id?, context, qas[]}``; each context becomes one Document.

    A paragraph without ``id`` gets ``f"{title}-{i}"`` (i = its index in the article); SQuAD v2
    ``is_impossible: true`` (or no answers) makes a question unanswerable.
    """
    articles = _expect(data.get("data"), list, f"{source}: data")
    questions: list[GoldQuestion] = []
    where: list[str] = []
    documents: list[Document] = []
    doc_ids: set[str] = set()
    for a, article in enumerate(articles):
        aloc = f"{source}: data[{a}]"
        _expect(article, dict, aloc)
        title = article.get("title") or ""
        if not isinstance(title, str):
            raise GoldFormatError(f"{aloc}.title: expected str, got {type(title).__name__}")
        paragraphs = _expect(article.get("paragraphs"), list, f"{aloc}.paragraphs")
        for p, para in enumerate(paragraphs):
            ploc = f"{aloc}.paragraphs[{p}]"
            _expect(para, dict, ploc)
            context = _str_field(para, "context", ploc) or ""
            doc_id = _str_field(para, "id", ploc, required=False) or f"{title or f'article{a}'}-{p}"
            if doc_id in doc_ids:
                if "id" in para:
                    raise GoldFormatError(f"{ploc}.id: duplicate paragraph id {doc_id!r}")
                doc_id = f"{title or 'article'}-{a}-{p}"
            doc_ids.add(doc_id)
            documents.append(Document(doc_id=doc_id, title=title, text=context, source=source))
            qas = _expect(para.get("qas"), list, f"{ploc}.qas")
            for j, qa in enumerate(qas):
                qloc = f"{ploc}.qas[{j}]"
                _expect(qa, dict, qloc)
                qid = _str_field(qa, "id", qloc) or ""
                question = _str_field(qa, "question", qloc) or ""
                impossible = qa.get("is_impossible", False)
                if not isinstance(impossible, bool):
                    raise GoldFormatError(
                        f"{qloc}.is_impossible: expected bool, got {type(impossible).__name__}"
                    )
                raw_answers = _expect(qa.get("answers", []), list, f"{qloc}.answers")
                answers: list[str] = []
                for k, ans in enumerate(raw_answers):
                    _expect(ans, dict, f"{qloc}.answers[{k}]")
                    answers.append(_str_field(ans, "text", f"{qloc}.answers[{k}]") or "")
                answers_t = () if impossible else _dedupe(answers)
                questions.append(GoldQuestion(qid.strip(), question.strip(), answers_t, doc_id))
                where.append(qloc.removeprefix(f"{source}: "))
    if not questions:
        raise GoldFormatError(f"{source}: no questions found under data[].paragraphs[].qas[]")
    _check_unique(questions, where, source)
    return tuple(questions), tuple(documents)
