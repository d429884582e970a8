"""The candidate-answer record every span finder returns: offsets into its text, and a kind."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

SpanKind = Literal[
    "quantity",
    "ordinal",
    "date",
    "quote",
    "title",
    "person",
    "place",
    "organization",
    "entity",
    "noun",
    "clause",
]
SPAN_KINDS: tuple[SpanKind, ...] = (
    "quantity", "ordinal", "date", "quote", "title", "person", "place", "organization", "entity", "noun",
    "clause",
)  # fmt: skip


@dataclass(frozen=True)
class Span:
    """A candidate answer: ``source[start:end] == text``; ``unit`` is the measure word of a quantity."""

    start: int
    end: int
    text: str
    kind: SpanKind
    unit: str | None = None

