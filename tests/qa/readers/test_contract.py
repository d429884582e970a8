"""The answer contract, for every registered reader: types, the citation invariant, the abstention shape,
alternatives, batch == single, bad input -> InputError, and the Reader attributes."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import pytest

from qa.errors import InputError
from qa.readers.base import Reader, SharedReaderConfig
from qa.readers.factory import make_reader, reader_names
from qa.types import Answer, Hit, Passage
from tests.qa.readers.contract import check_answer

GOLD = Path(__file__).resolve().parents[3] / "eval" / "gold" / "corpus.jsonl"

FACTS = (
    "工信部发布的数据显示，截至2022年9月，我国已培育了四批共计8997家专精特新“小巨人”企业，带动认定省级专精特新中小企业4万多家。",
    "2019年6月18日，工业和信息化部公布第一批专精特新“小巨人”企业名单。",
    "浙江众成董事长易先云介绍，靠着在细分市场的不断打磨，目前公司产品已与世界同步。",
    "智能门锁的开锁速度一路从1.5秒，降低到1.2秒、1秒，最后实现了0.75秒的开锁速度。",
    "在位于浙江省诸暨市的浙江华益精密机械有限公司（以下简称华益精密）生产车间，红冲机器人特别醒目。",
    "锣鼓经是大陆传统器乐及戏曲里面常用的打击乐记谱方法。常用的节奏型称为「锣鼓点」。",
    "陆军告诉红星新闻：“发展‘专精特新’就是要解决‘卡脖子’问题。近两年，国外采取了一些限制措施。”",
    "钕铁硼磁铁是一种稀土磁铁，是磁能性最大的物质之一。",
    "Little giants are small and medium enterprises. By September 2022, China had cultivated 8,997 of them.",
)  # fmt: skip
# the conflicting "little giant" counts of the bundled corpus, as three dated sources
GIANTS = (
    "目前，工信部已分三批次培育“专精特新小巨人”企业4762家，这些企业主要集中在中高端产业领域。",
    "工信部发布的数据显示，截至2022年9月，我国已培育了四批共计8997家专精特新“小巨人”企业。",
    "数据显示，截至2023年7月，我国已累计培育专精特新“小巨人”企业1.2万家。",
)
QUESTIONS = (
    "截至2022年9月，我国共有多少家“小巨人”企业？",
    "工信部第一批专精特新小巨人名单是什么时候公布的？",
    "浙江众成的董事长是谁？",
    "智能门锁的开锁速度最后达到了多少秒？",
    "华益精密位于哪个城市？",
    "锣鼓经常用的节奏型称为什么？",
    "为什么要发展专精特新？",
    "什么是专精特新？",
    "How many little giants had China cultivated by September 2022?",
    "月球上有多少只兔子？",
    "？？？",
    "8997家",
)


def make_hits(*texts: str, dates: tuple[str | None, ...] | None = None) -> list[Hit]:
    """One hit per text, ranked in the given order, each from its own document."""
    hits = []
    for i, text in enumerate(texts):
        passage = Passage(f"doc{i}#0", f"doc{i}", 0, 0, len(text), text, f"标题{i}", dates[i] if dates else None)
        hits.append(Hit(passage, score=1.0 / (i + 1), rank=i + 1, dense_score=0.8 - 0.05 * i))
    return hits


@pytest.fixture(scope="module", params=reader_names())
def reader(request: pytest.FixtureRequest) -> Reader:
    return make_reader(request.param)


def test_reader_names_the_registry() -> None:
    names = reader_names()
    assert names[0] == "neural" and "rules" in names and "baseline" in names and len(set(names)) == len(names)


def test_reader_attributes_and_config(reader: Reader) -> None:
    assert isinstance(reader, Reader)
    assert reader.name in reader_names() and make_reader(reader.name).name == reader.name
    config = reader.config
    assert isinstance(config, SharedReaderConfig) and dataclasses.is_dataclass(config)
    assert reader.max_passages == config.max_passages >= 1
    with pytest.raises(dataclasses.FrozenInstanceError):
        config.max_passages = 2  # type: ignore[misc]
    as_dict = config.to_dict()
    assert as_dict["max_passages"] == reader.max_passages
    assert json.loads(json.dumps(as_dict)) == as_dict
    assert set(as_dict) == {f.name for f in dataclasses.fields(config)}


@pytest.mark.parametrize("question", QUESTIONS)
def test_answers_keep_the_contract(reader: Reader, question: str) -> None:
    hits = make_hits(*FACTS)
    for k in (len(hits), 3, 1):
        answer = reader.read(question, hits[:k])
        check_answer(answer, {h.passage_id: h.passage for h in hits})
        assert answer.question == question
        assert len(answer.hits) <= reader.max_passages
        assert answer.hits == tuple(hits[: min(k, reader.max_passages)])


def test_a_reader_reads_at_most_max_passages(reader: Reader) -> None:
    one = make_reader(reader.name, max_passages=1)
    assert one.max_passages == 1 and one.config.max_passages == 1
    answer = one.read(QUESTIONS[0], make_hits(*FACTS))
    assert answer.hits == tuple(make_hits(*FACTS)[:1])
    check_answer(answer)


def test_no_hits_is_an_abstention(reader: Reader) -> None:
    answer = reader.read(QUESTIONS[0], [])
    check_answer(answer)
    assert (answer.text, answer.citations, answer.alternatives, answer.hits) == (None, (), (), ())
    assert answer.confidence == 0.0


def test_alternatives_are_cited_spans_of_other_documents(reader: Reader) -> None:
    hits = make_hits(*GIANTS, dates=("2022-03-23", None, None))
    for question in ("我国已培育了多少家专精特新“小巨人”企业？", "2022年3月，我国已培育了多少家专精特新“小巨人”企业？"):
        answer = reader.read(question, hits)
        check_answer(answer)
        cited = {c.doc_id for c in answer.citations}
        assert all(a.doc_id not in cited for a in answer.alternatives)
        assert len(answer.alternatives) <= reader.config.max_alternatives


def test_an_abstention_keeps_its_shape_at_any_threshold(reader: Reader) -> None:
    strict = make_reader(reader.name, abstain_threshold=1.0)
    for question in QUESTIONS:
        answer = strict.read(question, make_hits(*FACTS))
        check_answer(answer)
        if answer.text is None:
            assert answer.citations == () and answer.alternatives == ()


def test_batch_equals_single(reader: Reader) -> None:
    hits = [make_hits(*FACTS[i:]) for i in range(len(QUESTIONS))]
    batch = reader.read_batch(list(QUESTIONS), hits)
    assert batch == [reader.read(q, h) for q, h in zip(QUESTIONS, hits, strict=True)]
    assert reader.read_batch([], []) == []


@pytest.mark.parametrize(
    ("call", "match"),
    [
        (lambda r: r.read("   ", []), "question"),
        (lambda r: r.read("", make_hits(*FACTS)), "question"),
        (lambda r: r.read(None, []), "question"),
        (lambda r: r.read(42, []), "question"),
        (lambda r: r.read("谁？", ["not a hit"]), "Hit"),
        (lambda r: r.read_batch(["a", "b"], [[]]), "2 questions but 1"),
        (lambda r: r.read_batch("谁？", [[]]), "single str"),
        (lambda r: r.read_batch(["谁？", " "], [[], []]), "question"),
    ],
    ids=["blank", "empty", "None", "int", "not-a-hit", "lengths", "str-batch", "blank-in-batch"],
)
def test_bad_input_is_an_input_error(reader: Reader, call, match: str) -> None:
    with pytest.raises(InputError, match=match):
        call(reader)


def test_bad_options_are_input_errors(reader: Reader) -> None:
    with pytest.raises(InputError, match="max_passages"):
        make_reader(reader.name, max_passages=0)
    with pytest.raises(InputError, match="abstain_threshold"):
        make_reader(reader.name, abstain_threshold=1.5)
    with pytest.raises(InputError, match="no option 'no_such_option'"):
        make_reader(reader.name, no_such_option=1)


@pytest.mark.slow
@pytest.mark.parametrize("name", reader_names())
def test_the_gold_questions_keep_the_contract_on_the_real_index(bundled_qa, name: str) -> None:
    questions = [json.loads(line)["question"] for line in GOLD.read_text(encoding="utf-8").splitlines() if line.strip()]
    assert len(questions) >= 30
    answers = bundled_qa.ask_batch(questions, reader=name)
    passages = {p.passage_id: p for p in bundled_qa.passages}
    assert len(answers) == len(questions)
    for answer in answers:
        assert isinstance(answer, Answer)
        check_answer(answer, passages)
