"""Typed slots: leading time, subject phrase, fragment kinds, English names and dates."""

from __future__ import annotations

import pytest

from qa.conversation.slots import (
    en_subject,
    en_time_slots,
    fragment_kind,
    is_named,
    leading_time,
    subject,
    text_language,
)


@pytest.mark.parametrize(
    ("question", "expected"),
    [
        ("金坤新材的总经理是谁？", "金坤新材"),
        ("唯迈医疗成立于哪一年？", "唯迈医疗"),
        ("北京经开区有多少家各级专精特新企业？", "北京经开区"),
        ("截至2022年9月，我国已培育了多少家专精特新“小巨人”企业？", "我国"),
        ("山东2022年工业增加值总量是多少？", "山东"),
        ("哪家公司是国内POF热收缩膜市场占有率排名第一的企业？", None),
        ("成立于哪一年？", None),
        ("2022年以来，福州市新增了多少家“上云上平台”的工业企业？", "福州市"),  # the time phrase's tail too
        ("2016年至2018年间，山东的工业增加值增长了多少？", "山东"),
    ],
)
def test_subject(question: str, expected: str | None) -> None:
    found = subject(question)
    assert (found.text if found else None) == expected
    if found:
        assert question[found.start:found.end] == found.text


def test_leading_time_and_fragment_kinds() -> None:
    time = leading_time("截至2022年9月，我国已培育了多少家")
    assert time is not None and time.text == "截至2022年9月，"
    assert leading_time("金坤新材的总经理是谁？") is None
    assert [fragment_kind(x) for x in ("2023年", "到2022年9月", "今年", "山东", "埃夫特")] == [
        "time", "time", "time", "place", "entity"]


def test_named_and_generic_subjects() -> None:
    assert is_named("金坤新材") and is_named("唯迈医疗") and is_named("Efort")
    assert not is_named("我国") and not is_named("生产效率")


def test_english_names_dates_and_language() -> None:
    q = "How many little giant enterprises had China cultivated by September 2022?"
    assert [s.text for s in en_time_slots(q)] == ["September 2022"]
    assert en_subject(q) is None
    found = en_subject("Who is the chairman of Zhejiang Zhongcheng (浙江众成)?")
    assert found is not None and found.text == "Zhejiang Zhongcheng (浙江众成)"
    assert text_language("Who founded LandSpace (蓝箭航天)?") == "en"
    assert text_language("那2023年呢？") == "zh"
