"""Resolve a follow-up against its history into the standalone question that is read ("understood as")."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from qa.conversation.history import HistoryConfig, Turn, parse_history
from qa.conversation.rules import RuleLimits, carry_subject, follow_up_cue, refer_back, swap_slot
from qa.conversation.slots import text_language
from qa.errors import InputError

log = logging.getLogger("qa")


@dataclass(frozen=True)
class ResolverConfig:
    """The history's limits and the rules' limits."""

    history: HistoryConfig = HistoryConfig()
    rules: RuleLimits = RuleLimits()


@dataclass(frozen=True)
class Resolution:
    """What a question was read as, by which rule, and anything the caller should be told.

    ``rule``: "no_history", "standalone" (no follow-up cue), "other_language" (history ignored),
    "unresolved" (a cue, but nothing to resolve it with), or the rule that rewrote it ("swap_time",
    "swap_entity", "refer_answer", "refer_subject", "carry_subject", "carry_answer").
    """

    question: str
    understood_as: str
    rule: str
    warnings: tuple[str, ...] = ()

    @property
    def rewritten(self) -> bool:
        return self.understood_as != self.question


class Resolver:
    """Applies the rules in order of evidence to the last turn of a history."""

    def __init__(self, config: ResolverConfig = ResolverConfig()) -> None:
        self.config = config

    def resolve(self, question: str, history: Any) -> Resolution:
        """One question with its raw history (see :func:`qa.conversation.history.parse_history`)."""
        return self.resolve_batch([question], [history])[0]

    def resolve_batch(self, questions: Sequence[str], histories: Sequence[Any]) -> list[Resolution]:
        """Each question with its own history; warnings are also logged."""
        if len(questions) != len(histories):
            raise InputError(
                f"{len(questions)} questions but {len(histories)} histories: give one history per question"
            )
        out = []
        for question, raw in zip(questions, histories, strict=True):
            turns, warnings = parse_history(raw, self.config.history)
            resolution = self._resolve(question, turns, warnings)
            for warning in resolution.warnings:
                log.warning("%s", warning)
            out.append(resolution)
        return out

    def _resolve(self, question: str, turns: Sequence[Turn], warnings: tuple[str, ...]) -> Resolution:
        if not turns:
            return Resolution(question, question, "no_history", warnings)
        previous = turns[-1]
        lang, prev_lang = text_language(question), text_language(previous.standalone)
        if lang != prev_lang:
            note = (f"the history is in another language ({prev_lang}) than the question ({lang}); it was "
                    "ignored: ask the follow-up in the language of the previous question, or ask it in full")
            return Resolution(question, question, "other_language", (*warnings, note))
        limits = self.config.rules
        cue = follow_up_cue(question, limits)
        if cue is None:
            return Resolution(question, question, "standalone", warnings)
        rule = {"swap": swap_slot, "reference": refer_back, "elided": carry_subject}[cue]
        rewrite = rule(question, previous, limits)
        if rewrite is None:
            return Resolution(question, question, "unresolved", warnings)
        return Resolution(question, rewrite.text, rewrite.rule, warnings)


_DEFAULT: Resolver | None = None


def default_resolver() -> Resolver:
    """The process-wide resolver with the default config (stateless, so shared)."""
    global _DEFAULT
    if _DEFAULT is None:
        _DEFAULT = Resolver()
    return _DEFAULT
