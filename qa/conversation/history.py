"""A conversation's history as typed turns, parsed from what the API, CLI session file or UI hand in."""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from qa.errors import InputError

log = logging.getLogger("qa")


class HistoryError(InputError):
    """A history that cannot be used (wrong shape, a turn without a question, a turn too long)."""


@dataclass(frozen=True)
class HistoryConfig:
    """Limits on a history; a longer one keeps only its last turns (with a warning)."""

    max_turns: int = 20  # turns kept (the resolver reads the last one; the rest is context for display)
    max_chars: int = 2000  # per question / answer / understood_as text: longer is a HistoryError


DEFAULT_HISTORY = HistoryConfig()


@dataclass(frozen=True)
class Turn:
    """One earlier exchange: the question as typed, its answer (None: abstained) and what was read."""

    question: str
    answer: str | None = None
    understood_as: str | None = None  # the standalone question that was read (None: the question itself)

    @property
    def standalone(self) -> str:
        """The question this turn was read as."""
        return self.understood_as or self.question

    def to_json(self) -> dict[str, Any]:
        return {"question": self.question, "answer": self.answer, "understood_as": self.understood_as}


_HISTORY_SHAPE = (
    "a history is a list of turns, oldest first; a turn is {\"question\": ..., \"answer\": ..., "
    "\"understood_as\": ...} (an answer object from `qa ask --json` or /ask works), a [question, answer] "
    "pair, or a question string"
)


def _text(value: Any, what: str, where: str, config: HistoryConfig, *, required: bool) -> str | None:
    if value is None or (isinstance(value, str) and not value.strip()):
        if required:
            raise HistoryError(f"history {where}: the {what} is missing or empty; {_HISTORY_SHAPE}")
        return None
    if not isinstance(value, str):
        raise HistoryError(f"history {where}: the {what} must be text, got {type(value).__name__}")
    if len(value) > config.max_chars:
        raise HistoryError(
            f"history {where}: the {what} is {len(value)} characters long (at most {config.max_chars}); "
            "send the turns as asked, not whole documents"
        )
    return value.strip()


def _turn(raw: Any, where: str, config: HistoryConfig) -> Turn:
    if isinstance(raw, Turn):
        return raw
    if isinstance(raw, str):
        return Turn(_text(raw, "question", where, config, required=True) or "")
    if isinstance(raw, Mapping):
        return Turn(
            _text(raw.get("question"), "question", where, config, required=True) or "",
            _text(raw.get("answer"), "answer", where, config, required=False),
            _text(raw.get("understood_as"), "understood_as", where, config, required=False),
        )
    if isinstance(raw, Sequence) and not isinstance(raw, bytes | bytearray) and 1 <= len(raw) <= 2:
        answer = raw[1] if len(raw) == 2 else None
        return Turn(
            _text(raw[0], "question", where, config, required=True) or "",
            _text(answer, "answer", where, config, required=False),
        )
    raise HistoryError(f"history {where}: not a turn ({type(raw).__name__}); {_HISTORY_SHAPE}")


def parse_history(
    raw: Any, config: HistoryConfig = HistoryConfig()
) -> tuple[tuple[Turn, ...], tuple[str, ...]]:
    """Turns (oldest first) and warnings from a raw history; None or [] is no history.

    Raises HistoryError on a malformed history; a history longer than ``config.max_turns`` keeps its last
    turns and says so in the warnings.
    """
    if raw is None:
        return (), ()
    if isinstance(raw, str | bytes | Mapping) or not isinstance(raw, Sequence):
        raise HistoryError(f"history: got {type(raw).__name__}; {_HISTORY_SHAPE}")
    warnings: list[str] = []
    items = list(raw)
    if len(items) > config.max_turns:
        warnings.append(f"history has {len(items)} turns; only the last {config.max_turns} were used")
        offset = len(items) - config.max_turns
        items = items[offset:]
    else:
        offset = 0
    turns = tuple(_turn(item, f"turn {offset + i + 1}", config) for i, item in enumerate(items))
    return turns, tuple(warnings)
