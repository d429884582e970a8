"""A conversation that keeps its turns (Python and `qa chat`), and the session file that lets one
`qa ask --follow-up` continue the previous `qa ask`."""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from qa.conversation.history import DEFAULT_HISTORY, HistoryConfig, HistoryError, Turn, parse_history

if TYPE_CHECKING:
    from qa.api import QA
    from qa.types import Answer

SESSION_FILE = "session.json"


class Conversation:
    """Asks questions over one QA with the turns so far as history: ``conv.ask("那2023年呢？")``."""

    def __init__(self, qa: QA, turns: Sequence[Turn] = (), config: HistoryConfig = DEFAULT_HISTORY) -> None:
        self.qa = qa
        self.config = config
        self.turns: list[Turn] = list(turns)

    def ask(self, question: str, **options: Any) -> Answer:
        """Ask with the history (options as for ``QA.ask``) and keep the turn."""
        history = self.turns[-self.config.max_turns :]
        answer = self.qa.ask(question, history=history if history else None, **options)
        self.turns.append(Turn(question, answer.text, answer.understood_as))
        return answer

    def clear(self) -> None:
        """Start a new conversation (the next question is read alone)."""
        self.turns.clear()


def default_session_path() -> Path:
    """Where `qa ask` keeps its last turns: the cache folder ($QA_CACHE_DIR or ~/.cache/qa)."""
    from qa.paths import cache_dir

    return cache_dir() / SESSION_FILE


def load_session(path: Path, config: HistoryConfig = DEFAULT_HISTORY) -> tuple[Turn, ...]:
    """The turns saved in a session file (none when it does not exist); a damaged file is a HistoryError."""
    try:
        raw = json.loads(Path(path).read_text(encoding="utf-8"))
    except FileNotFoundError:
        return ()
    except (OSError, ValueError) as exc:
        raise HistoryError(
            f"session file {path} cannot be read ({exc}); delete it, or ask without --follow-up to start anew"
        ) from exc
    turns, _ = parse_history(raw.get("turns") if isinstance(raw, dict) else raw, config)
    return turns


def save_session(path: Path, turns: Sequence[Turn], config: HistoryConfig = DEFAULT_HISTORY) -> None:
    """Write the last turns atomically (a crash leaves the old file); raises OSError when it cannot."""
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    payload = json.dumps({"turns": [t.to_json() for t in turns[-config.max_turns :]]}, ensure_ascii=False)
    fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=".session-", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write(payload + "\n")
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
