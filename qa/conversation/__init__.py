"""Follow-up questions: a conversation's history, the rules that rewrite a follow-up into a standalone
question ("那2023年呢？" → "截至2023年，…"), and a Conversation that keeps the turns.

Light on import: the resolver (jieba, the rule reader's typed analysis) loads only when a question comes
with a history. See docs/follow-ups.md.
"""

from __future__ import annotations

from qa.conversation.history import HistoryConfig, HistoryError, Turn, parse_history

__all__ = ["HistoryConfig", "HistoryError", "Turn", "parse_history"]
