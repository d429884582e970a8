"""Question → expected answer type, on a table of Chinese and English question forms."""

from __future__ import annotations

import pytest

from qa.errors import InputError
from qa.readers.rules.answer_types import (
    ANSWER_TYPES,
    classify_question,
    classify_questions,
    infer_answer_type,
)

TYPE_TABLE = [
    # quantity
    ("截至2022年9月，我国共有多少家“小巨人”企业？", "quantity"),
    ("北京经开区有几家企业入围第四批名单？", "quantity"),
    ("景丰科技的智能化系统投入了多少亿元？", "quantity"),
    ("这座桥有多长？", "quantity"),
    ("开锁速度最快是几秒？", "quantity"),
    ("超过多少比例的小巨人企业属于工业基础领域？", "quantity"),
    ("高技术制造业投资的占比是多少？", "quantity"),
    ("山东省规上工业增加值增长了百分之几？", "quantity"),
    ("该公司在全球专利数排名第几？", "quantity"),
    ("How many little giant firms were there in 2022?", "quantity"),
    ("How much did the company invest in automation?", "quantity"),
    ("What percentage of the firms lead their provincial market?", "quantity"),
    # time
    ("第一批专精特新小巨人名单是什么时候公布的？", "date"),
    ("埃夫特哪一年在上交所上市？", "date"),
    ("朱雀二号是在哪一天完成飞行的？", "date"),
    ("鹿客掌心锁是几月上市的？", "date"),
    ("美国商务部何时发布禁令？", "date"),
    ("When was the first list of little giants published?", "date"),
    ("In what year did Efort go public?", "date"),
    # person
    ("浙江众成的董事长是谁？", "person"),
    ("哪位副部长介绍了小巨人企业的情况？", "person"),
    ("什么人负责1688的专精特新项目？", "person"),
    ("Who is the founder of LandSpace?", "person"),
    # organization
    ("哪家公司研制了朱雀二号遥二火箭？", "organization"),
    ("哪个部门公布了小巨人名单？", "organization"),
    ("战国无双3是由哪两个公司合作开发的？", "organization"),
    ("Which company developed the palm-vein door lock?", "organization"),
    ("Which ministry published the list?", "organization"),
    # place
    ("华益精密位于哪个城市？", "place"),
    ("景丰科技在哪里？", "place"),
    ("戴龙·罗伯斯是哪国人？", "place"),
    ("Where is Huayi Precision located?", "place"),
    ("Which province has the most specialized SMEs?", "place"),
    # reason / way
    ("为什么要发展专精特新企业？", "reason"),
    ("中小企业为何要进行数字化转型？", "reason"),
    ("如何做好数字化加减法？", "reason"),
    ("中小企业怎样降低数字化门槛？", "reason"),
    ("Why is digital transformation necessary for SMEs?", "reason"),
    ("How do small firms lower their costs?", "reason"),
    # term
    ("锣鼓经常用的节奏型称为什么？", "term"),
    ("李思摩被册封为什么官职？", "term"),
    ("专精特新企业也被称为中国工厂里的什么？", "term"),
    ("津蓟铁路沿线设置了哪几个站点？", "term"),  # "which ones", not "how many"
    ("该系列产品有哪几种口味？", "term"),
    ("银河航天的卫星采用了哪种太阳翼？", "term"),
    ("浙江众成的前身叫什么名字？", "term"),
    ("What is the palm vein recognition technology used for?", "term"),
]


@pytest.mark.parametrize(("question", "expected"), TYPE_TABLE)
def test_answer_type_table(question: str, expected: str) -> None:
    assert infer_answer_type(question) == expected


def test_table_covers_every_type_and_both_languages() -> None:
    assert len(TYPE_TABLE) >= 30
    assert {t for _, t in TYPE_TABLE} == set(ANSWER_TYPES)
    langs = {classify_question(q).lang for q, _ in TYPE_TABLE}
    assert langs == {"zh", "en"}


def test_cue_unit_and_focus() -> None:
    qt = classify_question("截至2022年9月，我国共有多少家“小巨人”企业？")
    assert (qt.cue, qt.unit) == ("多少", "家")
    assert "截至2022年9月，我国共有多少家"[qt.cue_start : qt.cue_end] == "多少"
    assert classify_question("景丰科技投入了多少亿元？").unit == "亿元"
    assert classify_question("高技术制造业投资的占比是多少？").unit == "%"
    assert classify_question("华益精密位于哪个城市？").focus == "城市"
    assert classify_question("他们采用了什么技术？").focus == "技术"
    assert classify_question("锣鼓经是什么？").focus is None


def test_untyped_and_invalid_questions() -> None:
    assert classify_question("专精特新").answer_type == "term"
    assert classify_question("专精特新").cue is None
    with pytest.raises(InputError, match="text"):
        classify_question(42)  # type: ignore[arg-type]
    batch = classify_questions(["谁？", "When?"])
    assert [b.answer_type for b in batch] == ["person", "date"]
