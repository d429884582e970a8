"""RuleReader: cited extractive answers, abstention, time-aware alternatives (synthetic hits + gold set)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from qa.reader import Reader, ReaderConfig, RuleReader
from qa.types import Answer, Hit, Passage

ROOT = Path(__file__).resolve().parents[2]
GOLD = ROOT / "eval" / "gold" / "corpus.jsonl"


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


def assert_cited(answer: Answer) -> None:
    """The tested invariant: every citation's passage text contains the answer at its offsets."""
    assert 0.0 <= answer.confidence <= 1.0
    if answer.text is None:
        assert answer.citations == ()
        return
    assert answer.citations, "an answer must cite at least one passage"
    for cit in answer.citations:
        assert cit.text[cit.start : cit.end] == answer.text
    for alt in answer.alternatives:
        hit = next(h for h in answer.hits if h.passage_id == alt.passage_id)
        assert hit.text[alt.start : alt.end] == alt.answer


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
    assert_cited(answer)
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
    assert_cited(answer)


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
    assert_cited(answer)
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
    assert_cited(answer)


def test_only_max_passages_are_read() -> None:
    reader = RuleReader(ReaderConfig(max_passages=1))
    hits = make_hits("无关的句子。", "2020年7月，埃夫特在上交所挂牌上市。")
    answer = reader.read("埃夫特哪一年在上交所上市？", hits)
    assert len(answer.hits) == 1
    assert answer.text is None


def test_batch_equals_single_and_protocol(reader: RuleReader) -> None:
    assert isinstance(reader, Reader)
    cases = [(q, make_hits(*texts)) for q, _, texts in SYNTHETIC[:3]]
    batch = reader.read_batch([q for q, _ in cases], [h for _, h in cases])
    assert batch == [reader.read(q, h) for q, h in cases]


def test_config_is_frozen_hashable_and_compares_by_value() -> None:
    config = ReaderConfig(max_passages=3)
    assert config == ReaderConfig(max_passages=3) and hash(config) == hash(ReaderConfig(max_passages=3))
    assert config != ReaderConfig()
    with pytest.raises(AttributeError):
        config.max_passages = 4  # type: ignore[misc]
    custom = ReaderConfig(type_compat={"term": {"noun": 1.0}})
    assert custom.type_compat["term"]["noun"] == 1.0 and hash(custom) != hash(ReaderConfig())


def test_invalid_inputs_raise_value_errors(reader: RuleReader) -> None:
    with pytest.raises(ValueError, match="question"):
        reader.read("   ", [])
    with pytest.raises(ValueError, match="Hit"):
        reader.read("谁？", ["not a hit"])  # type: ignore[list-item]
    with pytest.raises(ValueError, match="2 questions but 1"):
        reader.read_batch(["a", "b"], [[]])
    with pytest.raises(ValueError, match="single str"):
        reader.read_batch("谁？", [[]])  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="abstain_threshold"):
        ReaderConfig(abstain_threshold=1.5)
    with pytest.raises(ValueError, match="max_passages"):
        ReaderConfig(max_passages=0)
    with pytest.raises(ValueError, match="ReaderConfig"):
        RuleReader(config={"max_passages": 3})  # type: ignore[arg-type]


def test_dense_sentence_scoring_uses_the_encoder() -> None:
    from embeddings.encoder import FakeEncoder

    encoder = FakeEncoder()
    reader = RuleReader(ReaderConfig(dense_sentences="on"), encoder=encoder)
    answer = reader.read("埃夫特哪一年在上交所上市？", make_hits("2020年7月，埃夫特在上交所挂牌上市。"))
    assert answer.text == "2020年7月"
    assert encoder.n_calls == 2  # the question and the sentences, once each
    off = RuleReader(ReaderConfig(dense_sentences="off"), encoder=encoder)
    off.read("埃夫特哪一年在上交所上市？", make_hits("2020年7月，埃夫特在上交所挂牌上市。"))
    assert encoder.n_calls == 2


def test_citation_invariant_over_many_synthetic_questions(reader: RuleReader) -> None:
    texts = [t for _, _, ts in SYNTHETIC for t in ts] + list(UNRELATED) + list(GIANTS_TEXTS)
    hits = make_hits(*texts)
    questions = [q for q, _, _ in SYNTHETIC] + [
        "为什么要发展专精特新？",
        "什么是专精特新？",
        "Who is the chairman?",
    ]
    for q in questions:
        for k in range(0, len(hits), 4):
            assert_cited(reader.read(q, hits[k : k + 5]))


@pytest.mark.slow
def test_citation_invariant_on_the_gold_set_with_the_real_index(tmp_path: Path) -> None:
    from qa.api import QA

    questions = [
        json.loads(line)["question"] for line in GOLD.read_text(encoding="utf-8").splitlines() if line.strip()
    ]
    assert len(questions) >= 30
    qa = QA.build(None, tmp_path / "index")
    answers = qa.ask_batch(questions)
    assert len(answers) == len(questions)
    for answer in answers:
        assert_cited(answer)
    assert sum(a.text is not None for a in answers) >= len(questions) // 2


def test_clause_baseline_answers_the_whole_best_clause_with_a_valid_citation() -> None:
    from qa.reader import ClauseBaselineReader, make_reader
    from qa.types import Hit, Passage

    text = "工信部发布的数据显示，截至2022年9月，我国已培育了四批共计8997家专精特新小巨人企业，带动全国发展。"
    hit = Hit(Passage("d#0", "d", 0, 0, len(text), text, "t", None), 1.0, 1)
    ans = ClauseBaselineReader().read("截至2022年9月我国培育了多少家小巨人企业？", [hit])
    c = ans.citations[0]
    assert "8997家" in ans.text and "，" not in ans.text
    assert c.text[c.start : c.end] == ans.text
    assert isinstance(make_reader("baseline"), ClauseBaselineReader)
    with pytest.raises(ValueError, match="unknown reader"):
        make_reader("neural")
