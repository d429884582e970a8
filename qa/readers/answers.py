"""What every reader shares when it builds an answer: input checks, citations (``text[start:end] == answer``),
abstentions, and the time-aware choice among differing answers from several documents."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Sequence
from typing import Protocol, TypeVar

from qa.errors import InputError
from qa.tokenize import normalize_same_length
from qa.types import Alternative, Answer, Citation, Hit, Passage

# --------------------------------------------------------------------------- input


def check_batch(questions: Sequence[str], hits_batch: Sequence[Sequence[Hit]]) -> None:
    """``read_batch`` arguments: a sequence of questions (not one str) and one hit list per question."""
    if isinstance(questions, str):
        raise InputError("read_batch takes a sequence of questions, not a single str; use read()")
    if len(questions) != len(hits_batch):
        raise InputError(f"read_batch got {len(questions)} questions but {len(hits_batch)} hit lists")


def check_question(question: object) -> str:
    """The question itself, or InputError when it is not a non-empty string."""
    if not isinstance(question, str) or not question.strip():
        raise InputError("the question must be a non-empty string")
    return question


def check_hits(hits: Iterable[object]) -> tuple[Hit, ...]:
    """The hits as a tuple, or InputError naming the first element that is not a :class:`Hit`."""
    out = tuple(hits)
    for h in out:
        if not isinstance(h, Hit):
            raise InputError(f"hits must be qa.types.Hit objects, got {type(h).__name__}")
    return out  # type: ignore[return-value]


# --------------------------------------------------------------------------- answers and citations


def cite(passage: Passage, start: int, end: int) -> Citation:
    """The citation of ``passage.text[start:end]`` (the answer those offsets hold)."""
    p = passage
    return Citation(p.doc_id, p.title, p.date, p.passage_id, p.paragraph, p.text, start, end)


def citations_for(answer: str, spans: Iterable[tuple[Passage, int, int]], limit: int) -> tuple[Citation, ...]:
    """Up to ``limit`` citations of ``answer``, one per passage, in the order of ``spans``.

    Only spans that are exact copies of the answer text are cited, so every citation keeps the invariant
    ``citation.text[citation.start:citation.end] == answer``.
    """
    out: list[Citation] = []
    seen: set[str] = set()
    for passage, start, end in spans:
        if len(out) >= limit:
            break
        if passage.passage_id in seen or passage.text[start:end] != answer:
            continue
        seen.add(passage.passage_id)
        out.append(cite(passage, start, end))
    return tuple(out)


def abstention(
    question: str,
    hits: Sequence[Hit],
    answer_type: str,
    confidence: float = 0.0,
    supporting_sentence: str | None = None,
) -> Answer:
    """An answer saying the passages do not answer: ``text=None``, no citations, no alternatives."""
    return Answer(
        question, None, confidence, supporting_sentence, answer_type=answer_type, hits=tuple(hits)
    )


def answer_key(text: str) -> str:
    """What two answer texts must share to count as the same answer (case, width and punctuation aside)."""
    return re.sub(r"[\W_]+", "", normalize_same_length(text))


def alternative(passage: Passage, start: int, end: int, date: str | None, score: float) -> Alternative:
    """A differing answer ``passage.text[start:end]`` from another document, with its date."""
    return Alternative(passage.text[start:end], passage.doc_id, date, passage.passage_id, start, end, score)


# --------------------------------------------------------------------------- time-aware alternatives


class Dated(Protocol):
    """A candidate answer competing on date: its score, its offset, and its date (None when unknown)."""

    @property
    def score(self) -> float: ...

    @property
    def start(self) -> int: ...

    @property
    def date(self) -> str | None: ...


D = TypeVar("D", bound=Dated)


def neg_date(date: str | None) -> tuple[int, ...]:
    """Sort key putting later ISO dates first."""
    if not date:
        return (0,)
    return tuple(-int(x) for x in date.split("-") if x.isdigit())


def choose_by_time(pool: Sequence[D], time: str | None, time_fit: Callable[[D], int]) -> tuple[D, list[D]]:
    """The answer among differing ones from several documents, and the others best first.

    Without a time in the question the most recent dated one wins (ties: the higher score); with one, the
    one whose date matches it (``time_fit``: 1 matches, 0 unknown, -1 another time).
    """
    if time:
        ranked = sorted(pool, key=lambda x: (-time_fit(x), -x.score, x.start))
    else:
        ranked = sorted(pool, key=lambda x: (x.date is None, neg_date(x.date), -x.score, x.start))
    chosen = ranked[0]
    others = [x for x in sorted(pool, key=lambda x: (-x.score, x.start)) if x is not chosen]
    return chosen, others
