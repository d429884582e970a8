"""Typed, frozen result and data records shared by every part of the package."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any, Literal

Mode = Literal["dense", "bm25", "hybrid"]
MODES: tuple[Mode, ...] = ("dense", "bm25", "hybrid")


def _frozen_mapping(data: Mapping[str, Any] | None) -> Mapping[str, Any]:
    return MappingProxyType(dict(data or {}))


@dataclass(frozen=True)
class Document:
    """One cleaned source document; `text` is what passage offsets point into."""

    doc_id: str
    title: str
    text: str
    date: str | None = None  # ISO 8601 date (YYYY-MM-DD) or None
    source: str = ""  # path the document was read from
    metadata: Mapping[str, Any] = field(default_factory=dict)  # front matter fields (author, tags, ...)

    def __post_init__(self) -> None:
        object.__setattr__(self, "metadata", _frozen_mapping(self.metadata))


@dataclass(frozen=True)
class Passage:
    """A retrievable unit: a paragraph or a sentence-aligned piece of one.

    Invariant: ``document.text[start:end] == text``.
    """

    passage_id: str  # f"{doc_id}#{seq}" where seq is the passage's position in the document
    doc_id: str
    paragraph: int  # 0-based paragraph number in the cleaned document
    start: int  # character offset of the passage in the cleaned document text
    end: int
    text: str
    title: str = ""
    date: str | None = None

    def to_json(self) -> dict[str, Any]:
        return {
            "passage_id": self.passage_id,
            "doc_id": self.doc_id,
            "paragraph": self.paragraph,
            "start": self.start,
            "end": self.end,
            "text": self.text,
            "title": self.title,
            "date": self.date,
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Passage:
        return cls(
            passage_id=str(data["passage_id"]),
            doc_id=str(data["doc_id"]),
            paragraph=int(data["paragraph"]),
            start=int(data["start"]),
            end=int(data["end"]),
            text=str(data["text"]),
            title=str(data.get("title") or ""),
            date=data.get("date"),
        )


@dataclass(frozen=True)
class Hit:
    """One retrieved passage with its fused score and 1-based rank."""

    passage: Passage
    score: float
    rank: int
    dense_score: float | None = None  # cosine similarity, when the dense retriever saw it
    bm25_score: float | None = None  # raw BM25 score, when BM25 saw it

    @property
    def passage_id(self) -> str:
        return self.passage.passage_id

    @property
    def doc_id(self) -> str:
        return self.passage.doc_id

    @property
    def text(self) -> str:
        return self.passage.text

    @property
    def title(self) -> str:
        return self.passage.title

    @property
    def date(self) -> str | None:
        return self.passage.date

    def to_json(self) -> dict[str, Any]:
        return {
            "rank": self.rank,
            "score": self.score,
            "dense_score": self.dense_score,
            "bm25_score": self.bm25_score,
            **self.passage.to_json(),
        }


@dataclass(frozen=True)
class Filters:
    """Restrict retrieval to some documents and/or a date range (inclusive, ISO dates)."""

    doc_ids: frozenset[str] | None = None
    date_from: str | None = None
    date_to: str | None = None

    def __post_init__(self) -> None:
        if self.doc_ids is not None and not isinstance(self.doc_ids, frozenset):
            object.__setattr__(self, "doc_ids", frozenset(self.doc_ids))

    @property
    def active(self) -> bool:
        return self.doc_ids is not None or self.date_from is not None or self.date_to is not None

    def accepts(self, passage: Passage) -> bool:
        if self.doc_ids is not None and passage.doc_id not in self.doc_ids:
            return False
        if self.date_from is not None or self.date_to is not None:
            if passage.date is None:
                return False
            day = passage.date[:10]
            if self.date_from is not None and day < self.date_from[:10]:
                return False
            if self.date_to is not None and day > self.date_to[:10]:
                return False
        return True


@dataclass(frozen=True)
class Citation:
    """Where an answer came from. Invariant: ``text[start:end] == answer``."""

    doc_id: str
    title: str
    date: str | None
    passage_id: str
    paragraph: int
    text: str  # the full passage text
    start: int  # answer offsets inside `text`
    end: int

    def to_json(self) -> dict[str, Any]:
        return {
            "doc_id": self.doc_id,
            "title": self.title,
            "date": self.date,
            "passage_id": self.passage_id,
            "paragraph": self.paragraph,
            "text": self.text,
            "start": self.start,
            "end": self.end,
        }


@dataclass(frozen=True)
class Alternative:
    """A differing answer from another source (e.g. an older count), with its date."""

    answer: str
    doc_id: str
    date: str | None
    passage_id: str
    start: int
    end: int
    score: float = 0.0

    def to_json(self) -> dict[str, Any]:
        return {
            "answer": self.answer,
            "doc_id": self.doc_id,
            "date": self.date,
            "passage_id": self.passage_id,
            "start": self.start,
            "end": self.end,
        }


@dataclass(frozen=True)
class Answer:
    """An extractive answer; ``text is None`` means the corpus does not answer (abstention)."""

    question: str
    text: str | None
    confidence: float  # in [0, 1]
    supporting_sentence: str | None
    citations: tuple[Citation, ...] = ()
    alternatives: tuple[Alternative, ...] = ()
    answer_type: str = "term"
    hits: tuple[Hit, ...] = ()  # the passages the reader looked at, best first
    understood_as: str | None = None  # the standalone question read for a follow-up (None: `question`)

    def to_json(self) -> dict[str, Any]:
        """The `qa ask --json` object (also returned by the UI's `/ask` endpoint)."""
        return {
            "question": self.question,
            "understood_as": self.understood_as or self.question,
            "answer": self.text,
            "confidence": self.confidence,
            "supporting_sentence": self.supporting_sentence,
            "citations": [c.to_json() for c in self.citations],
            "alternatives": [a.to_json() for a in self.alternatives],
        }
