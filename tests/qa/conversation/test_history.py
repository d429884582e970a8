"""History parsing: the shapes accepted, the limits, and clear errors for malformed input."""

from __future__ import annotations

import pytest

from qa.conversation.history import HistoryConfig, HistoryError, Turn, parse_history
from qa.errors import QAError


def test_answer_objects_pairs_and_strings_are_turns() -> None:
    turns, warnings = parse_history([
        {"question": "金坤新材的总经理是谁？", "answer": "陈亮", "understood_as": None, "confidence": 0.9},
        ["那汇博医疗呢？", "李靖远"],
        "它成立于哪一年？",
        Turn("q", None, "standalone q"),
    ])
    assert turns == (
        Turn("金坤新材的总经理是谁？", "陈亮"), Turn("那汇博医疗呢？", "李靖远"), Turn("它成立于哪一年？"),
        Turn("q", None, "standalone q"),
    )
    assert warnings == ()
    assert turns[3].standalone == "standalone q" and turns[0].standalone == "金坤新材的总经理是谁？"


@pytest.mark.parametrize("raw", [None, []])
def test_no_history(raw: object) -> None:
    assert parse_history(raw) == ((), ())


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        ("a string", "list of turns"),
        ({"question": "q"}, "list of turns"),
        ([{"answer": "8997家"}], "turn 1: the question is missing"),
        ([{"question": 42}], "must be text"),
        ([3.5], "not a turn"),
        ([["q", "a", "extra"]], "not a turn"),
    ],
)
def test_malformed_history_is_a_clear_user_error(raw: object, message: str) -> None:
    with pytest.raises(HistoryError, match=message) as info:
        parse_history(raw)
    assert isinstance(info.value, QAError)


def test_a_long_history_keeps_its_last_turns_with_a_warning() -> None:
    turns, warnings = parse_history([f"q{i}" for i in range(30)], HistoryConfig(max_turns=5))
    assert [t.question for t in turns] == ["q25", "q26", "q27", "q28", "q29"]
    assert warnings and "30 turns" in warnings[0]


def test_a_turn_longer_than_the_limit_is_refused() -> None:
    with pytest.raises(HistoryError, match="at most 10"):
        parse_history([{"question": "x" * 11}], HistoryConfig(max_chars=10))
