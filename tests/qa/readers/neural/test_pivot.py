"""Pivot questions from an answer's clause."""

from __future__ import annotations

import pytest

from qa.readers.neural.pivot import pivot_question


def _pivot(text: str, answer: str, answer_type: str) -> str | None:
    i = text.index(answer)
    return pivot_question(text, i, i + len(answer), answer_type)


@pytest.mark.parametrize(
    ("text", "answer", "answer_type", "expected"),
    [
        # the answer's clause, the quantity asked with its measure word, the date clause before it left out
        (
            "工信部发布的数据显示，截至2022年9月，我国已培育了四批共计8997家专精特新“小巨人”企业，带动认定",
            "8997家",
            "quantity",
            "我国已培育了四批共计多少家专精特新“小巨人”企业？",
        ),
        # a date that opens the answer's own clause goes too, with its lead
        ("截至2022年9月底我国已培育8997家小巨人企业。", "8997家", "quantity", "我国已培育多少家小巨人企业？"),
        # a period inside the clause stays; a percentage is asked with 多少 alone
        (
            "今年1—6月山东省规上工业增加值增长6.9%，高于全国3.1个百分点",
            "6.9%",
            "quantity",
            "今年1—6月山东省规上工业增加值增长多少？",
        ),
        # a date answer alone in its clause: the clause after it says what happened then
        (
            "2020年11月，金坤新材跻身第二批专精特新“小巨人”企业名单中。",
            "2020年11月",
            "date",
            "什么时候金坤新材跻身第二批专精特新“小巨人”企业名单中？",
        ),
        # too little in the answer's clause: the clause before it joins
        (
            "山东省规上工业增加值今年上半年，增长6.9%。",
            "6.9%",
            "quantity",
            "山东省规上工业增加值今年上半年，增长多少？",
        ),
        (
            "截至目前，工信部已公布三批专精特新“小巨人”名单。",
            "三批",
            "quantity",
            "工信部已公布多少批专精特新“小巨人”名单？",
        ),
    ],
)
def test_the_clause_of_an_answer_asks_what_it_answers(
    text: str, answer: str, answer_type: str, expected: str
) -> None:
    assert _pivot(text, answer, answer_type) == expected


def test_no_pivot_without_a_clause_or_for_other_types() -> None:
    assert _pivot("8997家。", "8997家", "quantity") is None  # nothing but the answer
    assert _pivot("金坤新材的实际控制人是陈亮。", "陈亮", "person") is None  # only dates and quantities
    # an English clause: the question was asked in the text's own language, no pivot
    assert _pivot("By September 2022, China had cultivated 8997 little giants.", "8997", "quantity") is None
    # a Chinese clause naming a company in Latin letters is still Chinese
    assert (
        _pivot("Loock鹿客掌静脉智能门锁V5于2023年3月上市。", "2023年3月", "date")
        == "Loock鹿客掌静脉智能门锁V5于什么时候上市？"
    )
    assert pivot_question("abc", 2, 1, "date") is None  # an empty or reversed span
    assert pivot_question("abc", 0, 9, "date") is None
