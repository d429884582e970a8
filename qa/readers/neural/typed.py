"""Answer-type fit of a span: whether a span *is* a date or a quantity, as a date or quantity question asks.

The span model often reads a date or a figure with the words around it ("从2021年8月起" for 什么时候,
"减少600多吨" for 多少). Among the model's own n-best spans of a passage, the decoder may then prefer the
best one that is exactly of the type asked for, if it scores within a calibrated margin of the best span
(`WindowConfig.typed_span_margin`), the answer-type filtering of classic QA systems applied to a neural
reader's candidates.
"""

from __future__ import annotations

from qa.readers.rules.answer_types import QuestionType
from qa.readers.rules.dates import find_dates
from qa.readers.rules.numbers import find_quantities
from qa.readers.rules.span import Span
from qa.tokenize import normalize_same_length

TYPED_ANSWERS = ("date", "quantity")  # the question types whose answers a span can be checked against


def is_typed_span(text: str, qtype: QuestionType) -> bool:
    """Whether ``text`` (a span, edges trimmed) is wholly one expression of the type ``qtype`` asks for: a
    date for a date question ("2021年8月"), a number with its measure word or an ordinal for a quantity
    question ("600多吨", "近500家", "6.9%", "第五批"). False for other question types."""
    if qtype.answer_type not in TYPED_ANSWERS or not text:
        return False
    return bool(_whole(text, qtype.answer_type))


def answer_unit(text: str | None) -> str | None:
    """The measure word of a quantity answer ("8997家" -> "家", "6.9%" -> "%"); None when ``text`` is not
    wholly one quantity with a measure word (None, "4762", "三批次培育…")."""
    whole = [s for s in _whole(text or "", "quantity") if s.kind == "quantity"]
    return whole[0].unit if whole and whole[0].unit else None


def find_typed(text: str, answer_type: str) -> list[Span]:
    """The dates (``answer_type`` "date") or quantities and ordinals ("quantity") in ``text``, normalized
    first (full-width digits too; same length, so offsets hold); none for other answer types."""
    if answer_type not in TYPED_ANSWERS:
        return []
    finder = find_dates if answer_type == "date" else find_quantities
    return finder(normalize_same_length(text))


def _whole(text: str, answer_type: str) -> list[Span]:
    """The expressions of ``answer_type`` that cover all of ``text``."""
    return [s for s in find_typed(text, answer_type) if s.start == 0 and s.end == len(text)] if text else []
