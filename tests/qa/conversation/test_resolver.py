"""The resolver: rules in order, languages, warnings, batches."""

from __future__ import annotations

import logging

import pytest

from qa.conversation.history import HistoryConfig
from qa.conversation.resolver import Resolver, ResolverConfig
from qa.errors import InputError

FIRST = {"question": "截至2022年9月，我国已培育了多少家专精特新“小巨人”企业？", "answer": "8997家"}


def test_a_follow_up_is_resolved_against_the_last_turn() -> None:
    r = Resolver().resolve("那2023年呢？", [FIRST])
    assert r.understood_as == "截至2023年，我国已培育了多少家专精特新“小巨人”企业？"
    assert r.rule == "swap_time" and r.rewritten and r.warnings == ()
    again = Resolver().resolve("那2024年呢？", [FIRST, {"question": "那2023年呢？", "understood_as": r.understood_as}])
    assert again.understood_as.startswith("截至2024年，我国已培育")


@pytest.mark.parametrize(
    ("question", "history", "rule"),
    [
        ("那2023年呢？", None, "no_history"),
        ("金坤新材的总经理是谁？", [FIRST], "standalone"),
        ("它的董事长是谁？", [{"question": "哪个城市最多？"}], "unresolved"),
    ],
)
def test_questions_that_are_left_alone(question: str, history: object, rule: str) -> None:
    r = Resolver().resolve(question, history)
    assert (r.understood_as, r.rule, r.rewritten) == (question, rule, False)


def test_a_history_in_another_language_is_ignored_with_a_warning(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.WARNING, logger="qa"):
        r = Resolver().resolve("And in 2023?", [FIRST])
    assert r.rule == "other_language" and r.understood_as == "And in 2023?"
    assert "another language" in r.warnings[0] and "another language" in caplog.text


def test_too_long_a_history_is_cut_with_a_warning() -> None:
    resolver = Resolver(ResolverConfig(history=HistoryConfig(max_turns=2)))
    r = resolver.resolve("那2023年呢？", [{"question": "金坤新材的总经理是谁？"}] * 3 + [FIRST])
    assert r.rule == "swap_time" and "only the last 2" in r.warnings[0]


def test_batches_need_one_history_per_question() -> None:
    out = Resolver().resolve_batch(["那2023年呢？", "那2023年呢？"], [[FIRST], None])
    assert [r.rule for r in out] == ["swap_time", "no_history"]
    with pytest.raises(InputError, match="one history per question"):
        Resolver().resolve_batch(["q"], [])
