"""Short factoid labels: long training answers cut to the fact their question asks for."""

from __future__ import annotations

import pytest

from training.data import Example
from training.labels import MAX_FACTOID_CHARS, apply_policy, shorten


def _ex(question: str, context: str, answer: str) -> Example:
    return Example("q1", "cmrc", "cmrc:c1", question, context, answer, context.index(answer))


def test_a_date_answer_is_cut_to_its_date() -> None:
    ex = _ex("专辑何时发行？", "该专辑于2008年11月26日正式发行。", "于2008年11月26日正式发行")
    s = shorten(ex)
    assert s.kind == "typed"
    assert s.example is not None
    assert s.example.answer == "2008年11月26日"
    assert ex.context[s.example.start : s.example.start + len(s.example.answer)] == "2008年11月26日"


def test_a_quantity_answer_is_cut_to_its_quantity() -> None:
    s = shorten(_ex("酒店有多少个房间？", "彩虹中心的酒店内有673个大房间。", "酒店内有673个大房间"))
    assert s.example is not None and s.example.answer == "673个"


def test_a_leading_preposition_is_stripped_from_a_place() -> None:
    s = shorten(_ex("他在哪里被袭击？", "他在该校端升楼201教室内被袭击。", "在该校端升楼201教室内"))
    assert s.kind == "edges"
    assert s.example is not None and s.example.answer == "该校端升楼201教室内"


def test_a_factoid_clause_is_dropped() -> None:
    answer = "位于济南市南部英雄山（原名四里山）南麓、五里山西麓"
    assert len(answer) > MAX_FACTOID_CHARS
    assert shorten(_ex("陵园在什么地方？", f"陵园{answer}。", answer)) == shorten(
        _ex("陵园在什么地方？", f"陵园{answer}。", answer)
    )
    assert shorten(_ex("陵园在什么地方？", f"陵园{answer}。", answer)).example is None


@pytest.mark.parametrize(
    ("question", "answer"),
    [
        ("为什么要这样做？", "因为这样做可以节省大量的时间和金钱"),
        ("这是什么？", "一种非常罕见的热带植物品种"),
    ],
)
def test_reason_and_term_answers_keep_their_clause(question: str, answer: str) -> None:
    ex = _ex(question, f"据说{answer}。", answer)
    assert shorten(ex).example == ex


def test_policies_count_what_they_did() -> None:
    exs = [
        _ex("专辑何时发行？", "该专辑于2008年11月26日正式发行。", "于2008年11月26日正式发行"),
        _ex("谁？", "是张三。", "张三"),
    ]
    assert apply_policy(exs, "as-given") == (exs, {"kept": 2})
    out, counts = apply_policy(exs, "short-factoid")
    assert counts == {"kept": 1, "typed": 1}
    assert [e.answer for e in out] == ["2008年11月26日", "张三"]
    with pytest.raises(ValueError, match="unknown label policy"):
        apply_policy(exs, "nope")
