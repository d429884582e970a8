"""Passage splitting: offset invariant, size limits, short-fragment rules, sentence spans, hypothesis."""

from __future__ import annotations

import statistics
from dataclasses import asdict
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from qa.loaders import load_documents
from qa.passages import ChunkConfig, paragraph_spans, split_document, split_documents
from qa.types import Document, Passage

ALPHABET = list("甲乙丙丁中文字abcXYZ19 。！？!?；;，、,：:“”’」（）….\n\n\t\u3000")


@pytest.fixture(scope="module")
def seed_docs(corpus_dir: Path) -> list[Document]:
    return load_documents([corpus_dir])


def _check_invariants(doc: Document, passages: list[Passage], config: ChunkConfig) -> None:
    paragraphs = paragraph_spans(doc.text)
    previous_end = 0
    for seq, p in enumerate(passages):
        assert p.passage_id == f"{doc.doc_id}#{seq}" and p.doc_id == doc.doc_id
        assert doc.text[p.start:p.end] == p.text
        assert p.text and p.text == p.text.strip()
        assert len(p.text) <= config.max_chars
        assert p.start >= previous_end  # in order, no overlap
        previous_end = p.end
        start, end = paragraphs[p.paragraph]
        assert start <= p.start < end  # `paragraph` is the paragraph the passage starts in
        assert (p.title, p.date) == (doc.title, doc.date)


def _uncovered(doc: Document, passages: list[Passage]) -> str:
    covered = [False] * len(doc.text)
    for p in passages:
        covered[p.start:p.end] = [True] * (p.end - p.start)
    return "".join(ch for ch, c in zip(doc.text, covered, strict=True) if not c and not ch.isspace())


# ------------------------------------------------------------------------------------------ seed corpus


def test_seed_passages_keep_the_offset_invariant_and_size_limit(seed_docs: list[Document]) -> None:
    config = ChunkConfig()
    passages = split_documents(seed_docs, config)
    assert [p.doc_id for p in passages] == sorted(p.doc_id for p in passages)
    for doc in seed_docs:
        _check_invariants(doc, [p for p in passages if p.doc_id == doc.doc_id], config)
    lengths = [len(p.text) for p in passages]
    assert min(lengths) >= config.min_chars and max(lengths) <= config.max_chars
    assert 60 <= statistics.median(lengths) <= 200


def test_seed_passages_lose_only_credit_lines(seed_docs: list[Document]) -> None:
    lost = {doc.doc_id[:3]: _uncovered(doc, split_document(doc)) for doc in seed_docs}
    assert lost == {
        "000": "资金支持政策一览，图据中信证券研报APP截图图由汇博医疗提供（文章来源：红星资本局）",
        "001": "",
        "002": "",
        "003": "来源：视觉中国",
        "004": "",
    }


def _passage(seed_docs: list[Document], prefix: str, startswith: str) -> Passage:
    doc = next(d for d in seed_docs if d.doc_id.startswith(prefix))
    return next(p for p in split_document(doc) if p.text.startswith(startswith))


def test_short_headings_and_bylines_are_glued_to_the_next_paragraph(seed_docs: list[Document]) -> None:
    p = _passage(seed_docs, "001", "求变求新 深耕细作")
    assert p.text.startswith("求变求新 深耕细作\n\n超80%专精特新“小巨人”企业居本省细分市场首位\n\n"
                             "9月14日上午8点")
    assert p.paragraph == 5
    p = _passage(seed_docs, "004", "原标题")
    assert p.text.split("\n\n")[1:3] == ["新华社记者张辛欣", p.text.split("\n\n")[2]]
    assert p.text.split("\n\n")[2].startswith("“专精特新”中小企业是中国制造的重要支撑")
    p = _passage(seed_docs, "002", "数字化、绿色化也成了重庆小")  # a line cut mid-sentence by the source
    assert p.text.startswith("数字化、绿色化也成了重庆小\n\n康动力有限公司精益化管理的“秘诀”。")


def test_a_dropped_credit_breaks_the_glue(seed_docs: list[Document]) -> None:
    doc = next(d for d in seed_docs if d.doc_id.startswith("003"))
    passages = split_document(doc)
    assert passages[0].text == "深网｜进击的小巨人：中国制造业的基石与韧性"  # a credit follows it
    assert passages[1].text.startswith(
        "采访|叶臻 程潇熠\n\n作者 | 张睿\n\n编辑 | 康晓\n\n出品 | 小满工作室.深网\n\n在成都")


def test_long_paragraph_is_cut_at_sentence_ends(seed_docs: list[Document]) -> None:
    doc = next(d for d in seed_docs if d.doc_id.startswith("002"))
    long_para = next(i for i, (s, e) in enumerate(paragraph_spans(doc.text)) if e - s > 350)
    pieces = [p for p in split_document(doc) if p.paragraph == long_para]
    assert len(pieces) == 2
    assert pieces[0].text.startswith("据了解，此次宣讲会突出三个特点。") and pieces[0].text.endswith("。")
    assert pieces[1].text.startswith("三是推动政策解读零距离上门服务。")


# ----------------------------------------------------------------------------------- rules on small text


def _doc(text: str) -> Document:
    return Document("d.txt", "标题", text, "2022-01-02")


def test_short_fragment_at_the_end_joins_the_previous_passage() -> None:
    text = "这是一个足够长的正文段落，用来检验结尾短片段的处理规则。\n\n（完）"
    assert [p.text for p in split_document(_doc(text))] == [text]


def test_short_fragment_that_does_not_fit_stands_alone() -> None:
    body = "句子。" * 32  # 96 chars: with "\n\n短尾巴" it would be 101 > 100
    text = f"{body}\n\n短尾巴"
    passages = split_document(_doc(text), ChunkConfig(max_chars=100, target_chars=80, min_chars=20))
    assert [p.text for p in passages] == [body, "短尾巴"]


def test_glued_heading_stays_with_the_first_sentence_even_when_cutting_would_fit_better() -> None:
    heading = "小标题" * 10  # 30 chars, no end mark: heading-like
    sentence = "甲" * 29 + "。"  # 30 chars
    text = f"{heading}\n\n" + sentence * 4
    config = ChunkConfig(max_chars=62, target_chars=30, min_chars=0, heading_max_chars=40)
    passages = split_document(_doc(text), config)
    assert [p.text for p in passages] == [f"{heading}\n\n{sentence}", sentence, sentence, sentence]


def test_glue_is_broken_when_heading_and_first_sentence_do_not_fit() -> None:
    heading = "小标题" * 10
    sentence = "甲" * 39 + "。"  # 40 chars: heading + sentence = 72 > 62
    text = f"{heading}\n\n" + sentence * 2
    config = ChunkConfig(max_chars=62, target_chars=30, min_chars=0, heading_max_chars=40)
    assert [p.text for p in split_document(_doc(text), config)] == [heading, sentence, sentence]


def test_credit_paragraphs_are_dropped_only_when_asked() -> None:
    text = "正文第一段有足够的长度来成为独立的段落。\n\nAPP截图\n\n正文第二段同样有足够的长度成为独立段落。"
    assert [p.paragraph for p in split_document(_doc(text))] == [0, 2]
    kept = split_document(_doc(text), ChunkConfig(drop_credits=False))
    assert [p.text for p in kept] == [text[:20], text[22:]]  # short "APP截图" glued to the next paragraph


def test_sentence_longer_than_max_is_cut_at_clauses_then_hard() -> None:
    clauses = "，".join(["子句内容比较长一些"] * 20) + "。"
    text = clauses + "\n\n" + "word " * 200
    config = ChunkConfig(max_chars=50, target_chars=40, min_chars=10)
    passages = split_document(_doc(text), config)
    _check_invariants(_doc(text), passages, config)
    assert all(p.text.endswith(("，", "。")) for p in passages if p.paragraph == 0)
    assert all(not p.text.startswith("ord") and p.text.endswith("word") for p in passages if p.paragraph == 1)


def test_empty_and_whitespace_documents_have_no_passages() -> None:
    assert split_document(_doc("")) == [] and split_document(_doc(" \n\n\u3000 ")) == []


@pytest.mark.parametrize("kwargs", [
    {"max_chars": 0}, {"target_chars": 400}, {"target_chars": 0}, {"min_chars": 300},
    {"min_chars": -1}, {"heading_max_chars": -1},
])
def test_invalid_chunk_config_is_a_value_error(kwargs: dict) -> None:
    with pytest.raises(ValueError, match="ChunkConfig"):
        ChunkConfig(**kwargs)


def test_chunk_config_round_trips_through_its_dict() -> None:
    config = ChunkConfig(max_chars=300, min_chars=10)
    assert ChunkConfig(**asdict(config)) == config


# --------------------------------------------------------------------------------------------- hypothesis


@st.composite
def configs(draw: st.DrawFn) -> ChunkConfig:
    max_chars = draw(st.integers(1, 400))
    target = draw(st.integers(1, max_chars))
    return ChunkConfig(
        max_chars=max_chars, target_chars=target, min_chars=draw(st.integers(0, target)),
        heading_max_chars=draw(st.integers(0, 80)), drop_credits=False,
    )


@settings(max_examples=300, deadline=None)
@given(text=st.text(alphabet=st.sampled_from(ALPHABET), max_size=1500), config=configs())
def test_passages_are_exact_slices_within_limits_and_cover_all_text(text: str, config: ChunkConfig) -> None:
    doc = _doc(text)
    passages = split_document(doc, config)
    _check_invariants(doc, passages, config)
    assert _uncovered(doc, passages) == ""


@settings(max_examples=100, deadline=None)
@given(text=st.text(max_size=600), drop=st.booleans())
def test_passages_keep_invariants_on_any_unicode(text: str, drop: bool) -> None:
    config = ChunkConfig(max_chars=60, target_chars=40, min_chars=8, drop_credits=drop)
    doc = _doc(text)
    _check_invariants(doc, split_document(doc, config), config)
