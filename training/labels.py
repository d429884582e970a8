"""Short answer labels: the training answers of factoid questions cut to the fact the question asks for.

CMRC 2018's training annotators often mark a whole clause ("2009年1月中旬出版" for 何时出版; median 12
characters against 4 in DRCD and ChineseSquad), and a span model learns that habit, which the product's
users (and short-answer sets) count as wrong. ``shorten`` cuts such a label to the one date or quantity it
holds for a date or quantity question, strips a leading preposition or copula (在, 于, 是 ...) and a
trailing 的 from factoid answers, and says to drop the example when a factoid answer is still a clause.
Reason and term questions ("为什么", "什么是") keep their labels: a clause is their answer.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, replace
from typing import Literal

from training.data import Example

LabelPolicy = Literal["as-given", "short-factoid"]
LABEL_POLICIES: tuple[str, ...] = ("as-given", "short-factoid")

# a factoid answer (date, quantity, person, organization, place) longer than this after shortening is a
# clause, not the fact asked for: the example is dropped rather than taught
MAX_FACTOID_CHARS = 16
# labels of these lengths or shorter are left as they are
SHORT_CHARS = 4
_LEADING = ("是在", "是由", "位于", "在", "于", "是", "由", "从", "为", "被", "到", "向", "对")
_TRAILING = ("的", "等")
_FACTOID = ("date", "quantity", "person", "organization", "place")


@dataclass(frozen=True)
class Shortened:
    """What ``shorten`` did to one example: ``kind`` is "kept", "typed", "edges" or "dropped"."""

    example: Example | None
    kind: str


def shorten(ex: Example) -> Shortened:
    """The example with its answer cut to the fact its question asks for (see the module docstring)."""
    from qa.readers.rules.answer_types import classify_question

    if ex.start < 0 or len(ex.answer) <= SHORT_CHARS:
        return Shortened(ex, "kept")
    qtype = classify_question(ex.question)
    if qtype.answer_type not in _FACTOID:
        return Shortened(ex, "kept")
    start, end, kind = ex.start, ex.start + len(ex.answer), "kept"
    typed = _typed_expression(ex.answer, qtype.answer_type)
    if typed is not None:
        start, end, kind = ex.start + typed[0], ex.start + typed[1], "typed"
    else:
        s, e = _strip_edges(ex.context, start, end)
        if (s, e) != (start, end):
            start, end, kind = s, e, "edges"
    if end - start > MAX_FACTOID_CHARS:
        return Shortened(None, "dropped")
    if kind == "kept":
        return Shortened(ex, kind)
    return Shortened(replace(ex, answer=ex.context[start:end], start=start), kind)


def apply_policy(examples: Iterable[Example], policy: str) -> tuple[list[Example], dict[str, int]]:
    """The examples under a label policy, with a count of what it did to them by kind."""
    if policy not in LABEL_POLICIES:
        raise ValueError(f"unknown label policy {policy!r}; choose from {LABEL_POLICIES}")
    examples = list(examples)
    if policy == "as-given":
        return examples, {"kept": len(examples)}
    out: list[Example] = []
    counts: Counter[str] = Counter()
    for ex in examples:
        s = shorten(ex)
        counts[s.kind] += 1
        if s.example is not None:
            out.append(s.example)
    return out, dict(sorted(counts.items()))


def _typed_expression(answer: str, answer_type: str) -> tuple[int, int] | None:
    """The one date (date questions) or quantity (quantity questions) that ``answer`` holds, as offsets
    into it, when it holds exactly one and more than that; None otherwise."""
    from qa.readers.neural.typed import find_typed

    found = find_typed(answer, answer_type)
    if len(found) != 1 or found[0].end - found[0].start >= len(answer):
        return None
    return found[0].start, found[0].end


def _strip_edges(text: str, start: int, end: int) -> tuple[int, int]:
    """[start, end) without a leading preposition or copula and a trailing 的/等 (never emptied)."""
    for lead in _LEADING:
        if text.startswith(lead, start) and end - start - len(lead) >= 2:
            start += len(lead)
            break
    for trail in _TRAILING:
        if text.endswith(trail, start, end) and end - start - len(trail) >= 2:
            end -= len(trail)
            break
    return start, end
