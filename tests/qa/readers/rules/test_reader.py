"""RuleReader: its answers on synthetic hits, abstention, confidence, time-aware alternatives, config."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from qa.errors import InputError
from qa.readers.rules.config import RuleReaderConfig
from qa.readers.rules.reader import RuleReader
from qa.types import Hit, Passage
from tests.qa.readers.contract import check_answer


def make_hits(
    *texts: str, dates: tuple[str | None, ...] | None = None, doc_ids: tuple[str, ...] | None = None
) -> list[Hit]:
    """One hit per text, ranked in the given order, each from its own document."""
    hits = []
    for i, text in enumerate(texts):
        doc = doc_ids[i] if doc_ids else f"doc{i}"
        date = dates[i] if dates else None
        passage = Passage(f"{doc}#{i}", doc, i, 0, len(text), text, title=f"标题{i}", date=date)
        hits.append(Hit(passage, score=1.0 / (i + 1), rank=i + 1, dense_score=0.8 - 0.05 * i))
    return hits


SYNTHETIC = [
    ("截至2022年9月，我国共有多少家“小巨人”企业？", "8997家",
     ["工信部发布的数据显示，截至2022年9月，我国已培育了四批共计8997家专精特新“小巨人”企业，带动认定省级专精特新中小企业4万多家。",
      "北京经开区有47家企业入围，总数在全国国家级经开区中保持第一。"]),
    ("工信部第一批专精特新小巨人名单是什么时候公布的？", "2019年6月18日",
     ["当支持企业的战略被上升至国家层面时，一批批企业脱颖而出。2019年6月18日，工业和信息化部公布第一批专精特新“小巨人”企业名单。"]),
    ("浙江众成的董事长是谁？", "易先云",
     ["浙江众成董事长易先云介绍，靠着在细分市场的不断打磨，目前公司产品已与世界同步。"]),
    ("智能门锁的开锁速度最后达到了多少秒？", "0.75秒",
     ["智能门锁的开锁速度一路从1.5秒，降低到1.2秒、1秒，最后实现了0.75秒的开锁速度。"]),
    ("华益精密位于哪个城市？", "浙江省诸暨市",
     ["在位于浙江省诸暨市的浙江华益精密机械有限公司（以下简称华益精密）生产车间，红冲机器人特别醒目。"]),
    ("锣鼓经常用的节奏型称为什么？", "锣鼓点",
     ["锣鼓经是大陆传统器乐及戏曲里面常用的打击乐记谱方法。常用的节奏型称为「锣鼓点」。"]),
    ("景丰科技的智能化系统和设备投入了多少亿元？", "1.6亿元",
     ["景丰科技厂长算了一笔账：“智能化系统和设备费用大约投入1.6亿元，但是实现了全流程智能自动化管理后，年直接经济效益就增加了1.6亿元。”"]),
    ("埃夫特哪一年在上交所上市？", "2020年7月",
     ["2020年7月，埃夫特在上交所挂牌上市，成为芜湖科创板第一股。", "埃夫特前身为芜湖奇瑞装备有限责任公司。"]),
    ("哪家公司研制了朱雀二号遥二火箭？", "蓝箭航天",
     ["经过8年的坚持和努力，蓝箭航天研制的朱雀二号遥二火箭终于在2023年7月12日完成预定飞行。"]),
]  # fmt: skip


@pytest.fixture(scope="module")
def reader() -> RuleReader:
    return RuleReader()


@pytest.mark.parametrize(("question", "expected", "texts"), SYNTHETIC)
def test_synthetic_answers_are_exact_cited_spans(
    reader: RuleReader, question: str, expected: str, texts: list[str]
) -> None:
    answer = reader.read(question, make_hits(*texts))
    assert answer.text == expected
    check_answer(answer)
    assert answer.supporting_sentence is not None and expected in answer.supporting_sentence
    assert answer.confidence >= reader.config.abstain_threshold
    assert answer.hits and all(isinstance(h, Hit) for h in answer.hits)


def test_citation_fields_come_from_the_hit(reader: RuleReader) -> None:
    hits = make_hits("无关的句子。", "2020年7月，埃夫特在上交所挂牌上市。", dates=(None, "2023-08-01"))
    answer = reader.read("埃夫特哪一年在上交所上市？", hits)
    cit = answer.citations[0]
    passage = hits[1].passage
    assert (cit.doc_id, cit.title, cit.date, cit.passage_id, cit.paragraph, cit.text) == (
        passage.doc_id, passage.title, passage.date, passage.passage_id, passage.paragraph, passage.text)  # fmt: skip
    assert (cit.start, cit.end) == (0, len("2020年7月"))
    assert answer.answer_type == "date"


def test_reason_answer_is_a_trimmed_clause(reader: RuleReader) -> None:
    hits = make_hits(
        "陆军告诉红星新闻：“发展‘专精特新’就是要解决‘卡脖子’问题。近两年，国外采取了一些限制措施。”"
    )
    answer = reader.read("为什么要发展专精特新？", hits)
    assert answer.answer_type == "reason"
    assert answer.text is not None and "卡脖子" in answer.text
    check_answer(answer)


UNRELATED = (
    "锣鼓经是大陆传统器乐及戏曲里面常用的打击乐记谱方法，以中文字的声音模拟敲击乐的声音。",
    "钕铁硼磁铁是一种稀土磁铁，是磁能性最大的物质之一。",
    "在成都武侯祠的几百幅楹联中，最受后人推崇的是一幅对联。",
)


@pytest.mark.parametrize(
    "question",
    [
        "月球上有多少只兔子？",
        "火星探测器是哪一年发射的？",
        "谁发明了蒸汽机？",
        "北极熊生活在哪个城市？",
        "How many moons does Jupiter have?",
    ],
)
def test_abstains_on_unrelated_passages(reader: RuleReader, question: str) -> None:
    answer = reader.read(question, make_hits(*UNRELATED))
    assert answer.text is None
    assert answer.citations == () and answer.alternatives == ()
    assert answer.confidence < reader.config.abstain_threshold


def test_no_hits_abstains(reader: RuleReader) -> None:
    answer = reader.read("我国共有多少家小巨人企业？", [])
    assert (answer.text, answer.confidence, answer.hits) == (None, 0.0, ())


def test_confidence_grows_with_evidence(reader: RuleReader) -> None:
    q = "截至2022年9月，我国共有多少家“小巨人”企业？"
    strong = reader.read(q, make_hits("截至2022年9月，我国已培育了四批共计8997家专精特新“小巨人”企业。"))
    weak = reader.read(q, make_hits("一些企业在2022年获得了8997元的补贴。"))
    assert strong.confidence > weak.confidence


# the conflicting "little giant" counts of the bundled corpus, as three dated sources
GIANTS_TEXTS = (
    "目前，工信部已分三批次培育“专精特新小巨人”企业4762家，这些企业主要集中在中高端产业领域。",
    "工信部发布的数据显示，截至2022年9月，我国已培育了四批共计8997家专精特新“小巨人”企业。",
    "数据显示，截至2023年7月，我国已累计培育专精特新“小巨人”企业1.2万家。",
)
GIANTS_DATES = ("2022-03-23", None, None)


def test_alternatives_prefer_the_most_recent_source(reader: RuleReader) -> None:
    hits = make_hits(*GIANTS_TEXTS, dates=GIANTS_DATES)
    answer = reader.read("我国已培育了多少家专精特新“小巨人”企业？", hits)
    assert answer.text == "1.2万家"
    check_answer(answer)
    alts = {a.answer: a.date for a in answer.alternatives}
    assert alts == {"4762家": "2022-03-23", "8997家": "2022-09"}
    assert {a.doc_id for a in answer.alternatives} == {"doc0", "doc1"}


@pytest.mark.parametrize(("year_question", "expected"), [
    ("截至2022年9月，我国已培育了多少家专精特新“小巨人”企业？", "8997家"),
    ("2022年3月，我国已培育了多少家专精特新“小巨人”企业？", "4762家"),
])  # fmt: skip
def test_a_time_named_in_the_question_wins(reader: RuleReader, year_question: str, expected: str) -> None:
    hits = make_hits(*GIANTS_TEXTS, dates=GIANTS_DATES)
    answer = reader.read(year_question, hits)
    assert answer.text == expected
    assert "1.2万家" in {a.answer for a in answer.alternatives}
    check_answer(answer)


def test_only_max_passages_are_read() -> None:
    reader = RuleReader(RuleReaderConfig(max_passages=1))
    hits = make_hits("无关的句子。", "2020年7月，埃夫特在上交所挂牌上市。")
    answer = reader.read("埃夫特哪一年在上交所上市？", hits)
    assert len(answer.hits) == 1
    assert answer.text is None


def test_config_is_frozen_hashable_and_compares_by_value() -> None:
    config = RuleReaderConfig(max_passages=3)
    assert config == RuleReaderConfig(max_passages=3) and hash(config) == hash(RuleReaderConfig(max_passages=3))
    assert config != RuleReaderConfig()
    with pytest.raises(AttributeError):
        config.max_passages = 4  # type: ignore[misc]
    custom = RuleReaderConfig(type_compat={"term": {"noun": 1.0}})
    assert custom.type_compat["term"]["noun"] == 1.0 and hash(custom) != hash(RuleReaderConfig())


def test_invalid_configs_are_input_errors() -> None:
    with pytest.raises(InputError, match="abstain_threshold"):
        RuleReaderConfig(abstain_threshold=1.5)
    with pytest.raises(InputError, match="max_passages"):
        RuleReaderConfig(max_passages=0)
    with pytest.raises(InputError, match="max_sentences"):
        RuleReaderConfig(max_sentences=0)
    with pytest.raises(InputError, match="dense_sentences"):
        RuleReaderConfig(dense_sentences="sometimes")  # type: ignore[arg-type]
    with pytest.raises(InputError, match="RuleReaderConfig"):
        RuleReader(config={"max_passages": 3})  # type: ignore[arg-type]


def test_dense_sentence_scoring_uses_the_encoder() -> None:
    from embeddings.encoder import FakeEncoder

    encoder = FakeEncoder()
    reader = RuleReader(RuleReaderConfig(dense_sentences="on"), encoder=encoder)
    answer = reader.read("埃夫特哪一年在上交所上市？", make_hits("2020年7月，埃夫特在上交所挂牌上市。"))
    assert answer.text == "2020年7月"
    assert encoder.n_calls == 2  # the question and the sentences, once each
    off = RuleReader(RuleReaderConfig(dense_sentences="off"), encoder=encoder)
    off.read("埃夫特哪一年在上交所上市？", make_hits("2020年7月，埃夫特在上交所挂牌上市。"))
    assert encoder.n_calls == 2


@pytest.mark.slow
def test_the_rule_reader_answers_most_gold_questions_on_the_real_index(bundled_qa) -> None:
    gold = Path(__file__).resolve().parents[4] / "eval" / "gold" / "corpus.jsonl"
    questions = [json.loads(line)["question"] for line in gold.read_text(encoding="utf-8").splitlines() if line]
    answers = bundled_qa.ask_batch(questions, reader="rules")
    assert sum(a.text is not None for a in answers) >= len(questions) // 2
