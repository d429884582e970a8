"""Each resolution rule on its own: the cue, the swapped slot, the referent, the carried subject."""

from __future__ import annotations

import pytest

from qa.conversation.history import Turn
from qa.conversation.rules import (
    Rewrite,
    carry_subject,
    described_answer,
    follow_up_cue,
    refer_back,
    referent,
    swap_modifier,
    swap_slot,
)

LITTLE_GIANTS = Turn("截至2022年9月，我国已培育了多少家专精特新“小巨人”企业？", "8997家")


@pytest.mark.parametrize(
    ("question", "cue"),
    [
        ("那2023年呢？", "swap"),
        ("山东呢？", "swap"),
        ("What about Efort?", "swap"),
        ("And in 2023?", "swap"),
        ("它的董事长是谁？", "reference"),
        ("这家公司成立于哪一年？", "reference"),
        ("When was it founded?", "reference"),
        ("成立于哪一年？", "elided"),
        ("生产效率提升了多少？", "elided"),
        ("金坤新材的总经理是谁？", None),
        ("哪个城市的国家级专精特新企业最多？", None),
        ("Who is the general manager of Huibo Medical (汇博医疗)?", None),
        ("谁呢？", None),
    ],
)
def test_follow_up_cue_decides_whether_the_history_is_needed(question: str, cue: str | None) -> None:
    assert follow_up_cue(question) == cue


def test_swap_time_replaces_the_date_of_the_previous_question() -> None:
    assert swap_slot("那2023年呢？", LITTLE_GIANTS) == Rewrite(
        "截至2023年，我国已培育了多少家专精特新“小巨人”企业？", "swap_time"
    )
    assert swap_slot("那2023年呢？", Turn("我国有多少家小巨人企业？")) == Rewrite(
        "截至2023年，我国有多少家小巨人企业？", "swap_time"
    )
    en = Turn("How many little giant enterprises had China cultivated by September 2022?")
    assert swap_slot("And in 2023?", en) == Rewrite(
        "How many little giant enterprises had China cultivated by 2023?", "swap_time"
    )


def test_swap_entity_replaces_the_subject() -> None:
    assert swap_slot("那汇博医疗呢？", Turn("金坤新材的总经理是谁？", "陈亮")) == Rewrite(
        "汇博医疗的总经理是谁？", "swap_entity"
    )
    assert swap_slot(
        "What about Shandong?", Turn("How many SMEs does Beijing E-Town (北京经开区) have?")
    ) == Rewrite("How many SMEs does Shandong have?", "swap_entity")
    assert swap_slot("它的董事长是谁？", Turn("金坤新材的总经理是谁？")) is None  # not a swap


def test_referent_prefers_a_fitting_answer_else_the_subject() -> None:
    person = Turn("金坤新材的实控人是谁？", "陈亮")
    assert referent("person", person) == ("answer", "陈亮")
    assert referent("organization", person) == ("subject", "金坤新材")
    org = Turn("哪家公司发布了“阿尔法机器狗”？", "蔚蓝智能科技有限公司")
    assert referent("neutral", org) == ("answer", "蔚蓝智能科技有限公司")
    named = Turn("浙江众成是哪一年上市的？", "2010年")
    assert referent("neutral", named) == ("subject", "浙江众成")


def test_refer_back_rewrites_zh_and_en() -> None:
    assert refer_back("它的董事长是谁？", Turn("浙江众成是哪一年上市的？", "2010年")) == Rewrite(
        "浙江众成的董事长是谁？", "refer_subject"
    )
    assert refer_back("他跟钕铁硼打交道多久了？", Turn("金坤新材的实控人是谁？", "陈亮")) == Rewrite(
        "陈亮跟钕铁硼打交道多久了？", "refer_answer"
    )
    assert refer_back(
        "When was it founded?", Turn("Who is the CEO of Weimai Medical (唯迈医疗)?", "杨贺")
    ) == Rewrite("When was Weimai Medical (唯迈医疗) founded?", "refer_subject")


def test_an_abstained_identity_question_is_referred_to_by_its_description() -> None:
    prev = Turn("Which product was the first smart door lock to use palm-vein recognition?", None)
    assert described_answer(prev) == "the first smart door lock to use palm-vein recognition"
    assert refer_back("When did it go on the market?", prev) == Rewrite(
        "When did the first smart door lock to use palm-vein recognition go on the market?", "refer_answer"
    )


def test_carry_subject_gives_an_elided_question_the_previous_subject() -> None:
    assert carry_subject("成立于哪一年？", Turn("唯迈医疗的创始人是谁？", "杨贺")) == Rewrite(
        "唯迈医疗成立于哪一年？", "carry_subject"
    )
    assert carry_subject(
        "拥有多少家国家企业技术中心？", Turn("哪个省份上半年规上工业增加值增长6.9%？", "山东省")
    ) == Rewrite("山东省拥有多少家国家企业技术中心？", "carry_answer")
    assert carry_subject("金坤新材的总经理是谁？", Turn("唯迈医疗的创始人是谁？")) is None


def test_swap_modifier_swaps_a_category_in_front_of_the_same_head_noun() -> None:
    prev = "有多少家专精特新“小巨人”企业入驻了1688？"
    assert swap_modifier("单项冠军企业", prev) == "有多少家单项冠军企业入驻了1688？"
    assert swap_modifier("小巨人企业", "山东的专精特新企业有多少家？") == "山东的小巨人企业有多少家？"
    assert (
        swap_modifier("单项冠军企业", LITTLE_GIANTS.question)
        == "截至2022年9月，我国已培育了多少家单项冠军企业？"
    )
    # a name is no category: no head noun of the previous question, or no modifier of its own
    assert swap_modifier("汇博医疗", "金坤新材的总经理是谁？") is None
    assert swap_modifier("企业", prev) is None
    got = swap_slot("那单项冠军企业呢？", Turn(prev, "近500家"))
    assert got == Rewrite("有多少家单项冠军企业入驻了1688？", "swap_modifier")
    assert swap_slot("那汇博医疗呢？", Turn("金坤新材的总经理是谁？", "陈亮")) == Rewrite(
        "汇博医疗的总经理是谁？", "swap_entity"
    )


def test_english_possessives_before_a_gloss_are_kept_possessive_and_referred_to_as_the_name() -> None:
    prev = Turn(
        "How much land did the plant of Zhejiang Zhongcheng's (浙江众成) predecessor cover?", "7.29亩"
    )
    assert swap_slot("What about Efort (埃夫特)?", prev) == Rewrite(
        "How much land did the plant of Efort's (埃夫特) predecessor cover?", "swap_entity"
    )
    assert refer_back("How many core technologies does the company have now?", prev) == Rewrite(
        "How many core technologies does Zhejiang Zhongcheng (浙江众成) have now?", "refer_subject"
    )
    assert refer_back("What are its core technologies?", prev) == Rewrite(
        "What are Zhejiang Zhongcheng's (浙江众成) core technologies?", "refer_subject"
    )


def test_an_abstained_which_question_is_referred_to_as_the_one_that_did_it() -> None:
    en = Turn("Which company became Wuhu's first stock on the STAR Market?", None)
    assert described_answer(en) == "the company that became Wuhu's first stock on the STAR Market"
    got = refer_back("In which year did it announce its first robot?", en)
    assert got is not None and got.text.startswith(
        "In which year did the company that became Wuhu's first stock"
    )
    zh = Turn("哪家公司成为了芜湖科创板第一股？", None)
    assert described_answer(zh) == "成为了芜湖科创板第一股的公司"
    assert refer_back("它成立于哪一年？", zh) == Rewrite(
        "成为了芜湖科创板第一股的公司成立于哪一年？", "refer_answer"
    )
    # too short to single anything out
    assert described_answer(Turn("哪个城市最多？", None)) is None
    assert described_answer(Turn("Which company won?", None)) is None


def test_a_clause_read_as_the_previous_answer_is_referred_to_by_the_question_s_description() -> None:
    """A reader that answered with a clause gives no name to put in place of the pronoun (dlg-63)."""
    question = 'Which company became a 1688 "super factory" member around November–December 2021?'
    clause = Turn(question, "汇博医疗负责1688平台业务的负责人张景")
    assert refer_back("Who is in charge of its 1688 business?", clause) == Rewrite(
        'Who is in charge of the company that became a 1688 "super factory" member around November–December '
        "2021's 1688 business?",
        "refer_answer",
    )
    name = Turn(question, "汇博医疗")
    assert refer_back("Who is in charge of its 1688 business?", name).text == (
        "Who is in charge of 汇博医疗's 1688 business?"
    )
    # a long company name is still a name
    zh = Turn("哪家企业拥有全球最全的微型逆变器产品系列？", "杭州禾迈电力电子股份有限公司")
    assert (
        refer_back("这家公司的研发费用占比是多少？", zh).text
        == "杭州禾迈电力电子股份有限公司的研发费用占比是多少？"
    )
