"""Comparison questions: the options a question names, their figures in the passages, and the judgement."""

from __future__ import annotations

import pytest

from qa.readers.comparison import compare, parse_comparison
from qa.types import Hit, Passage

FACTORY = "这套生产流程，让产品良率提升至99%，生产效率提升45%，产品研制周期缩短48%，生产成本降低21%。"
SHARES = "在“小巨人”企业中，超四成聚集在新材料领域，超六成深耕工业基础领域，超九成成为知名大企业配套。"
CYCLES = "项目实施后，非标产品生产周期从22天压缩至10天以下，标准产品生产周期从8天压缩到3天以下。"


def hits(*texts: str) -> list[Hit]:
    return [
        Hit(Passage(f"d{i}#0", f"d{i}", 0, 0, len(t), t, f"t{i}"), 1 / (i + 1), i + 1)
        for i, t in enumerate(texts)
    ]


@pytest.mark.parametrize(
    ("question", "options", "larger"),
    [
        (
            "生产效率的提升幅度和产品研制周期的缩短幅度，哪个更大？",
            ("生产效率的提升幅度", "产品研制周期的缩短幅度"),
            True,
        ),
        (
            "上半年，民营工业增加值的增速和全省工业增加值的增速相比，哪个更快？",
            ("民营工业增加值的增速", "全省工业增加值的增速"),
            True,
        ),
        (
            "几项比例中（研发投入过千万、属于工业基础领域、居本省首位），哪一项占比最高？",
            ("研发投入过千万", "属于工业基础领域", "居本省首位"),
            True,
        ),
        (
            "集中在新材料领域、深耕工业基础领域、给大企业做配套，这三种情况哪一种比例最低？",
            ("集中在新材料领域", "深耕工业基础领域", "给大企业做配套"),
            False,
        ),
        (
            "融到的钱，用于新技术研发的多，还是用于产线建设和智能化改造的多？",
            ("用于新技术研发", "用于产线建设和智能化改造"),
            True,
        ),
        ("民用甲烷还是航天煤油更便宜？", ("民用甲烷", "航天煤油"), False),
        ("民用甲烷和航天煤油相比哪个更便宜？", ("民用甲烷", "航天煤油"), False),
        (
            "民营工业的同比增速和全省工业的同比增速，哪个更快？",
            ("民营工业的同比增速", "全省工业的同比增速"),
            True,
        ),
    ],
)
def test_the_options_and_direction_of_a_comparison(
    question: str, options: tuple[str, ...], larger: bool
) -> None:
    parsed = parse_comparison(question)
    assert parsed is not None and parsed.options == options and parsed.larger is larger


@pytest.mark.parametrize(
    "question",
    [
        "全国哪个城市拥有的国家级专精特新中小企业最多？",  # no options named: the span model's question
        "为什么AVI已经属于老旧的技术却还是使用广泛？",
        "西美鸥生活在北美洲还是南美洲？",  # a choice, but no figure to compare
        "埃夫特的董事长是谁？",
        "在北京和上海的会议上，公司介绍了新产品，哪个更便宜？",  # the options are not listed near the cue
        "Which grew faster, private industry or all industry?",  # English options are not matched
    ],
)
def test_other_questions_are_no_comparison(question: str) -> None:
    assert parse_comparison(question) is None


def test_the_larger_figure_wins_and_the_option_is_cited_as_the_passage_writes_it() -> None:
    h = hits("老板电器的“未来工厂”很有名。", FACTORY)
    judged = compare("生产效率的提升幅度和产品研制周期的缩短幅度，哪个更大？", h)
    assert judged is not None
    assert [(f.value, f.unit) for f in judged.figures] == [(45.0, "%"), (48.0, "%")]
    assert judged.winner == 1 and FACTORY[judged.start : judged.end] == "产品研制周期"
    assert 0.3 <= judged.confidence <= 1.0
    smaller = compare("生产效率的提升幅度和产品研制周期的缩短幅度，哪个更小？", h)
    assert smaller is not None and FACTORY[smaller.start : smaller.end] == "生产效率"


def test_shares_in_words_compare_and_the_figure_answers_when_the_option_is_paraphrased() -> None:
    judged = compare("集中在新材料领域、深耕工业基础领域、给知名大企业做配套，哪一种比例最高？", hits(SHARES))
    assert judged is not None and [f.value for f in judged.figures] == [40.0, 60.0, 90.0]
    assert SHARES[judged.start : judged.end] == "超九成"  # "给…做配套" is not written whole


def test_a_change_from_one_figure_to_another_is_its_difference() -> None:
    judged = compare("非标产品和标准产品的生产周期，哪个缩短的天数更多？", hits(CYCLES))
    assert judged is not None and [f.value for f in judged.figures] == [12.0, 5.0]
    assert CYCLES[judged.start : judged.end] == "非标产品"
    # asked for the figure itself, not the change: the figure it came to
    shorter = compare("非标产品和标准产品，哪个生产周期更短？", hits(CYCLES))
    assert shorter is not None and [f.value for f in shorter.figures] == [10.0, 3.0]
    assert CYCLES[shorter.start : shorter.end] == "标准产品"


@pytest.mark.parametrize(
    ("question", "texts"),
    [
        ("北京和上海，哪个企业更多？", ("北京有100家企业。",)),  # one option not found
        ("北京和上海，哪个企业更多？", ("北京有100家企业，上海有100家企业。",)),  # a tie
        ("北京和上海，哪个企业更多？", ("北京有100家企业，上海的企业收入20亿元。",)),  # different measures
        ("北京和上海，哪个企业更多？", ("北京比上海多100家企业。",)),  # both in one clause
        (
            "北京和上海，哪个企业更多？",
            ("北京有100家企业和20个园区，上海有50家企业和30家银行。",),
        ),  # two figures
    ],
)
def test_whatever_is_unclear_gives_no_comparison(question: str, texts: tuple[str, ...]) -> None:
    assert compare(question, hits(*texts)) is None


def test_a_figure_may_stand_in_the_clause_after_its_topic() -> None:
    text = "已有近500家“小巨人”企业入驻1688.此外，还有近2000家省级企业入驻。已经被认定的单项冠军企业中，有近70家入驻。"
    judged = compare("国家级“小巨人”、省级企业和单项冠军企业，哪一类最少？", hits(text))
    assert judged is not None and [f.value for f in judged.figures] == [500.0, 2000.0, 70.0]
    assert text[judged.start : judged.end] == "单项冠军企业"
    # a clause that ends its sentence is no topic for the next sentence's figure
    assert (
        compare("北京和上海，哪个企业更多？", hits("北京的企业很多。上海有200家企业，广州有300家企业。"))
        is None
    )


def test_only_the_first_passages_are_searched() -> None:
    h = hits("无关的段落。", "北京有100家企业。", "上海有200家企业。")
    assert compare("北京和上海，哪个企业更多？", h, passages=2) is None
    judged = compare("北京和上海，哪个企业更多？", h, passages=3)
    assert judged is not None and judged.winner == 1 and judged.figures[1].hit == 2
