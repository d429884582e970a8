"""Retrieval modes, fusion, filters, determinism and input checks (fake encoder, no model)."""

from __future__ import annotations

from pathlib import Path

import pytest

from embeddings.encoder import FakeEncoder
from qa.errors import InputError
from qa.indexer import build_index
from qa.retriever import RetrievalConfig, Retriever
from qa.store import load_index
from qa.tokenize import tokenize
from qa.types import Document, Filters

DOCS = [
    Document(
        "a.txt",
        "甲",
        "截至2022年9月，我国已培育了8997家专精特新小巨人企业。\n\n北京市是国家级专精特新中小企业数量最多的城市，北京经济技术开发区是聚集地之一。",
        "2022-10-01",
    ),
    Document(
        "b.txt",
        "乙",
        "数据显示，我国已累计培育小巨人企业1.2万家。\n\n银河航天灵犀03星成功发射，并进入预定轨道展翅翱翔。",
        "2023-09-01",
    ),
    Document(
        "c.txt",
        "丙",
        "磁铁在手机里很常见，但你平时感受不到它的存在。\n\n数字化转型需要资金支持，也需要人才和平台。",
        None,
    ),
    Document("d.txt", "丁", "相同的句子。", None),
    Document("e.txt", "戊", "相同的句子。", None),
]


@pytest.fixture(scope="module")
def retriever(tmp_path_factory) -> Retriever:
    target = tmp_path_factory.mktemp("r") / "idx"
    enc = FakeEncoder()
    build_index(DOCS, target, enc)
    return Retriever(load_index(target), enc)


@pytest.mark.parametrize("mode", ["dense", "bm25", "hybrid"])
def test_each_mode_finds_the_matching_passage_first(retriever: Retriever, mode: str) -> None:
    hits = retriever.retrieve_batch(["哪个城市的专精特新企业数量最多？"], k=3, mode=mode)[0]
    assert (
        hits[0].passage.text
        == "北京市是国家级专精特新中小企业数量最多的城市，北京经济技术开发区是聚集地之一。"
    )
    assert [h.rank for h in hits] == list(range(1, len(hits) + 1))
    assert all(hits[i].score >= hits[i + 1].score for i in range(len(hits) - 1))


def test_hybrid_carries_both_component_scores(retriever: Retriever) -> None:
    hit = retriever.retrieve_batch(["银河航天灵犀03星"], k=1, mode="hybrid")[0][0]
    assert hit.doc_id == "b.txt" and hit.dense_score is not None and hit.bm25_score is not None


def test_bm25_returns_only_passages_sharing_a_term(retriever: Retriever) -> None:
    hits = retriever.retrieve_batch(["磁铁"], k=10, mode="bm25")[0]
    assert [h.doc_id for h in hits] == ["c.txt"]


def test_ties_are_broken_by_passage_id(retriever: Retriever) -> None:
    for mode in ("dense", "bm25", "hybrid"):
        hits = retriever.retrieve_batch(["相同的句子"], k=2, mode=mode)[0]
        assert [h.passage_id for h in hits] == ["d.txt#0", "e.txt#0"], mode
        assert hits[0].score == hits[1].score


def test_results_are_deterministic_and_batch_equals_single(retriever: Retriever) -> None:
    qs = ["小巨人企业有多少家", "数字化转型", "北京"]
    batch = retriever.retrieve_batch(qs, k=4)
    for q, hits in zip(qs, batch, strict=True):
        single = retriever.retrieve_batch([q], k=4)[0]
        assert [(h.passage_id, h.score) for h in single] == [(h.passage_id, h.score) for h in hits]
    assert retriever.retrieve_batch(qs, k=4) == batch


def test_doc_filter(retriever: Retriever) -> None:
    f = Filters(doc_ids=frozenset({"b.txt"}))
    for mode in ("dense", "bm25", "hybrid"):
        hits = retriever.retrieve_batch(["小巨人企业有多少家"], k=5, mode=mode, filters=f)[0]
        assert hits and {h.doc_id for h in hits} == {"b.txt"}


def test_date_filter_excludes_undated_and_out_of_range(retriever: Retriever) -> None:
    f = Filters(date_from="2023-01-01")
    hits = retriever.retrieve_batch(["小巨人企业"], k=10, mode="hybrid", filters=f)[0]
    assert hits and {h.doc_id for h in hits} == {"b.txt"}
    f = Filters(date_to="2022-12-31")
    assert {h.doc_id for h in retriever.retrieve_batch(["小巨人"], k=10, filters=f)[0]} == {"a.txt"}
    assert retriever.retrieve_batch(["小巨人"], k=10, filters=Filters(doc_ids=frozenset({"zzz"})))[0] == []


def test_k_larger_than_corpus_returns_all(retriever: Retriever) -> None:
    hits = retriever.retrieve_batch(["企业"], k=100, mode="dense")[0]
    assert len(hits) == len(retriever.store.passages)


@pytest.mark.parametrize("bad", ["", "   ", "\x00\x01"])
def test_empty_question_is_a_clear_error(retriever: Retriever, bad: str) -> None:
    with pytest.raises(ValueError, match="question is empty"):
        retriever.retrieve_batch([bad])


@pytest.mark.parametrize(
    ("kwargs", "msg"), [({"k": 0}, "positive"), ({"mode": "magic"}, "unknown retrieval mode")]
)
def test_bad_arguments(retriever: Retriever, kwargs, msg: str) -> None:
    with pytest.raises(ValueError, match=msg):
        retriever.retrieve_batch(["北京"], **kwargs)


def test_rrf_weights_change_fusion(tmp_path: Path) -> None:
    enc = FakeEncoder()
    build_index(DOCS, tmp_path / "i", enc)
    store = load_index(tmp_path / "i")
    dense_only = Retriever(store, enc, RetrievalConfig(bm25_weight=0.0))
    q = "小巨人企业有多少家"
    assert [h.passage_id for h in dense_only.retrieve_batch([q], k=3)[0]] == [
        h.passage_id for h in dense_only.retrieve_batch([q], k=3, mode="dense")[0]
    ]


def test_very_long_question_is_bounded(retriever: Retriever) -> None:
    hits = retriever.retrieve_batch(["小巨人" * 5000], k=2)[0]
    assert len(hits) == 2


def test_bm25_weight_follows_how_much_of_the_question_the_corpus_knows(retriever: Retriever) -> None:
    bm25 = retriever.store.bm25
    assert bm25.coverage(["北京", "城市"]) == 1.0
    assert bm25.coverage(["北京", "zzzunknown"]) == 0.5
    assert bm25.coverage([]) == 1.0
    full = retriever.config.bm25_weight
    assert retriever.bm25_weight("哪个城市的专精特新企业数量最多？") == full
    english = "How many little giant firms by 2022?"
    coverage = bm25.coverage(tokenize(english))  # "2022" occurs in the Chinese text, the words do not
    assert 0 < coverage < retriever.config.bm25_min_coverage < 0.5
    assert retriever.bm25_weight(english) == 0  # below the minimum coverage: BM25 is left out
    ramp = Retriever(retriever.store, retriever.encoder, RetrievalConfig(bm25_min_coverage=0))
    assert ramp.bm25_weight(english) == pytest.approx(full * coverage / 0.5)
    lower = Retriever(retriever.store, retriever.encoder, RetrievalConfig(bm25_min_coverage=coverage / 2))
    assert lower.bm25_weight(english) == pytest.approx(full * (coverage / 2) / (0.5 - coverage / 2))
    off = Retriever(retriever.store, retriever.encoder, RetrievalConfig(bm25_full_coverage=0))
    assert off.bm25_weight(english) == full


def test_bm25_left_out_gives_the_dense_ranking_and_bad_coverage_settings_are_refused(
    retriever: Retriever,
) -> None:
    english = "How many little giant firms by 2022?"
    assert retriever.bm25_weight(english) == 0
    hybrid = retriever.retrieve_batch([english], k=5)[0]
    dense = retriever.retrieve_batch([english], k=5, mode="dense")[0]
    assert [h.passage_id for h in hybrid] == [h.passage_id for h in dense]
    for lo, full in ((0.5, 0.5), (0.6, 0.5), (-0.1, 0.5)):
        with pytest.raises(InputError, match="bm25_min_coverage"):
            RetrievalConfig(bm25_min_coverage=lo, bm25_full_coverage=full)
    RetrievalConfig(bm25_min_coverage=0.9, bm25_full_coverage=0)  # scaling off: the minimum is unused


def test_a_down_weighted_bm25_changes_the_fused_scores(retriever: Retriever) -> None:
    english = "How many little giant firms by 2022 and 8997?"
    off = Retriever(retriever.store, retriever.encoder, RetrievalConfig(bm25_full_coverage=0))
    retriever = Retriever(retriever.store, retriever.encoder, RetrievalConfig(bm25_min_coverage=0))
    on_hits = retriever.retrieve_batch([english], k=5)[0]
    off_hits = off.retrieve_batch([english], k=5)[0]
    assert any(h.bm25_score for h in off_hits)  # BM25 matched something
    assert [h.score for h in on_hits] != [h.score for h in off_hits]
