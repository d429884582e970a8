"""The reader contract: a `Reader` turns a question and its retrieved hits into a cited `Answer`.

Every reader has a `name` (its registry name), `max_passages` (how many hits it reads; `QA.ask` retrieves
that many) and a frozen `config` whose class derives from :class:`SharedReaderConfig`, the settings every
reader shares (passages read, abstention, alternatives, citations).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, fields
from typing import Any, Protocol, runtime_checkable

from qa.errors import InputError
from qa.types import Answer, Hit


def _plain(value: Any) -> Any:
    """A JSON-ready copy: mappings become dicts, tuples and sets become lists."""
    if isinstance(value, Mapping):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, (tuple, list, set, frozenset)):
        items = sorted(value) if isinstance(value, (set, frozenset)) else value
        return [_plain(v) for v in items]
    return value


@dataclass(frozen=True)
class SharedReaderConfig:
    """The settings every reader has; a reader's own config class derives from this one."""

    max_passages: int = 5  # hits read (QA.ask retrieves this many)
    abstain_threshold: float = 0.5  # below this confidence the answer is None (0 keeps every answer)
    alternative_types: tuple[str, ...] = ("quantity", "date")  # answer types that list differing sources
    max_alternatives: int = 4
    max_citations: int = 3  # passages cited for the same answer text

    def __post_init__(self) -> None:
        name = type(self).__name__
        if not isinstance(self.max_passages, int) or self.max_passages < 1:
            raise InputError(f"{name}: max_passages must be >= 1, got {self.max_passages!r}")
        threshold = self.abstain_threshold
        if threshold is None:
            # only a reader whose threshold is calibrated with its model (default None) takes None
            if type(self).__dataclass_fields__["abstain_threshold"].default is not None:
                raise InputError(f"{name}: abstain_threshold must be a number in [0, 1], got None")
        elif not 0.0 <= threshold <= 1.0:
            raise InputError(f"{name}: abstain_threshold must be in [0, 1], got {threshold}")
        if self.max_alternatives < 0 or self.max_citations < 1:
            raise InputError(f"{name}: max_alternatives must be >= 0 and max_citations >= 1")

    def to_dict(self) -> dict[str, Any]:
        """Every field by name, JSON-ready (what eval records beside its figures)."""
        return {f.name: _plain(getattr(self, f.name)) for f in fields(self)}


@runtime_checkable


class Reader(Protocol):
    """Turns a question and its retrieved hits into a cited answer (or an abstention)."""

    name: str  # the registry name (qa.readers.factory)
    config: SharedReaderConfig

    @property
    def max_passages(self) -> int:
        """How many hits it reads (the rest are ignored)."""
        ...

    def read(self, question: str, hits: Sequence[Hit]) -> Answer:
        """Answer one question from its hits (best first)."""
        ...

    def read_batch(self, questions: Sequence[str], hits_batch: Sequence[Sequence[Hit]]) -> list[Answer]:
        """Answer many questions, each from its own hits; equal to reading them one by one."""
        ...


@runtime_checkable
class WarmsUp(Protocol):
    """Optional: a reader with a model that can start loading in the background before the first question
    (`QA.warm_up`); a failure to load surfaces at first use, as it would without the warm-up."""

    def warm_up(self) -> None:
        """Start loading; return at once."""
        ...


@runtime_checkable
class SourceSeeking(Protocol):
    """Optional: a reader that, having answered, asks for one more retrieval to find other sources' answers.

    A question asked in another language than the corpus's retrieves the passages of other sources poorly;
    the sentence its answer came from, in the corpus's language, finds them. `QA.answer_batch` retrieves
    with `source_query`, merges with `with_sources` and reads again.
    """

    def source_query(self, question: str, answer: Answer) -> str | None:
        """A query that finds other sources' passages for this answer, or None (no second retrieval)."""
        ...

    def with_sources(self, hits: Sequence[Hit], found: Sequence[Hit]) -> list[Hit]:
        """The hits to read again: the first retrieval's merged with the second's."""
        ...
