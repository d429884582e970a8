"""FAISS vector store: exact/HNSW/IVF tiers, recall against exact search, filters, save/load, and FaissStore
(passage ids, pushed-down filters, upsert/delete equal to a fresh build)."""

from __future__ import annotations

import numpy as np
import pytest

from qa.errors import InputError
from qa.types import Filters, Passage
from qa.vectors.base import VectorIndexConfig, VectorStore, VectorStoreError
from qa.vectors.faiss import INDEX_FILE, FaissIndex, FaissStore, exact_top_k, recall_at_k


def _unit(n: int, d: int, seed: int) -> np.ndarray:
    x = np.random.default_rng(seed).standard_normal((n, d)).astype(np.float32)
    return x / np.linalg.norm(x, axis=1, keepdims=True)


def test_small_collections_use_exact_search_and_match_numpy() -> None:
    x, q = _unit(500, 32, 0), _unit(20, 32, 1)
    idx = FaissIndex.build(x, VectorIndexConfig(ann_threshold=1000))
    assert idx.kind == "flat" and len(idx) == 500
    _, ids = idx.search(q, 10)
    assert (ids == exact_top_k(x, q, 10)).all()


def test_hnsw_above_threshold_has_high_recall_against_exact() -> None:
    x, q = _unit(20_000, 64, 2), _unit(200, 64, 3)
    idx = FaissIndex.build(x, VectorIndexConfig(ann_threshold=10_000, hnsw_ef_search=128))
    assert idx.kind == "hnsw"
    _, ids = idx.search(q, 10)
    recall = recall_at_k(ids, exact_top_k(x, q, 10))
    assert recall >= 0.95, recall


def test_allowed_rows_restrict_results() -> None:
    x, q = _unit(300, 16, 4), _unit(5, 16, 5)
    allowed = np.arange(0, 300, 7)
    for cfg in (VectorIndexConfig(), VectorIndexConfig(ann_threshold=100)):
        idx = FaissIndex.build(x, cfg)
        _, ids = idx.search(q, 5, allowed)
        assert set(ids[ids >= 0].tolist()) <= set(allowed.tolist())
        truth = allowed[exact_top_k(x[allowed], q, 5)]
        assert recall_at_k(ids, truth) >= 0.9


@pytest.mark.parametrize("threshold", [10_000, 10])
def test_save_load_round_trip_keeps_vectors(tmp_path, threshold: int) -> None:
    x = _unit(200, 24, 6)
    idx = FaissIndex.build(x, VectorIndexConfig(ann_threshold=threshold))
    idx.save(tmp_path / "v.faiss")
    back = FaissIndex.load(tmp_path / "v.faiss")
    assert back.kind == idx.kind and len(back) == 200
    np.testing.assert_allclose(back.vectors(), x, atol=1e-6)


def test_empty_index_searches_to_nothing() -> None:
    idx = FaissIndex.build(np.zeros((0, 8), np.float32))
    scores, ids = idx.search(_unit(2, 8, 7), 3)
    assert (ids == -1).all()


def _clustered(n: int, d: int, seed: int, centres: int = 50) -> np.ndarray:
    rng = np.random.default_rng(seed)
    c = _unit(centres, d, seed + 100)
    x = c[rng.integers(0, centres, n)] + 0.15 * rng.standard_normal((n, d)).astype(np.float32)
    return (x / np.linalg.norm(x, axis=1, keepdims=True)).astype(np.float32)


IVF = VectorIndexConfig(ann_threshold=100, ivf_threshold=1_000, ivf_nlist=64, ivf_nprobe=16)


def test_ivf_above_its_threshold_has_high_recall_and_fp16_exact_vectors(tmp_path) -> None:
    x, q = _clustered(4_000, 32, 8), _clustered(100, 32, 9)
    idx = FaissIndex.build(x, IVF)
    assert idx.kind == "ivf" and len(idx) == 4_000
    _, ids = idx.search(q, 10)
    assert recall_at_k(ids, exact_top_k(x, q, 10)) >= 0.9
    np.testing.assert_allclose(idx.vectors(), x, atol=1e-3)  # fp16 storage
    idx.save(tmp_path / "v.faiss")
    back = FaissIndex.load(tmp_path / "v.faiss", IVF)
    assert back.kind == "ivf"
    np.testing.assert_array_equal(back.vectors(), idx.vectors())
    np.testing.assert_array_equal(back.search(q, 10)[1], ids)
    # re-indexing reuses stored vectors: a rebuild from them holds the very same fp16 codes
    np.testing.assert_array_equal(FaissIndex.build(back.vectors(), IVF).vectors(), idx.vectors())


def test_ivf_narrow_filters_still_fill_k() -> None:
    x, q = _clustered(3_000, 16, 10), _clustered(4, 16, 11)
    idx = FaissIndex.build(x, IVF)
    allowed = np.array([5, 900, 1_777, 2_999])  # rows scattered over lists the query may not probe
    _, ids = idx.search(q, 4, allowed)
    assert all(sorted(row.tolist()) == allowed.tolist() for row in ids)
    _, ids = idx.search(q, 10, allowed)  # k above the allowed count: the rest is padding
    assert all(set(row[row >= 0].tolist()) == set(allowed.tolist()) for row in ids)


def test_bad_vector_index_config_is_refused() -> None:
    with pytest.raises(ValueError, match="ivf_nprobe"):
        VectorIndexConfig(ivf_nprobe=0)
    with pytest.raises(ValueError, match="ann_threshold"):
        VectorIndexConfig(ann_threshold=-1)


# ------------------------------------------------------------------ FaissStore: the vector-store protocol


def _passages(doc_id: str, n: int, date: str | None = None) -> list[Passage]:
    return [Passage(f"{doc_id}#{i}", doc_id, i, 0, 1, f"{doc_id} {i}", date=date) for i in range(n)]


def _store(*docs: tuple[str, int, str | None], dim: int = 8, seed: int = 20) -> tuple[FaissStore, list[Passage]]:
    store = FaissStore.create(VectorIndexConfig(), dim, "fp")
    passages = [p for doc_id, n, date in docs for p in _passages(doc_id, n, date)]
    store.upsert(passages, _unit(len(passages), dim, seed))
    return store, passages


def test_store_is_a_vector_store_and_searches_by_passage_id() -> None:
    store, passages = _store(("a", 3, "2022-01-05"), ("b", 2, None))
    assert isinstance(store, VectorStore) and store.backend == "faiss" and store.kind == "flat"
    assert store.count() == 5 and store.dim == 8 and store.fingerprint == "fp"
    x = store.fetch([p.passage_id for p in passages])
    (hits,) = store.search_batch(x[3:4], 5)
    assert hits[0] == ("b#0", pytest.approx(1.0, abs=1e-5)) and len(hits) == 5
    assert hits == sorted(hits, key=lambda h: (-h[1], h[0]))
    np.testing.assert_array_equal(store.fetch(["b#1", "a#0"]), x[[4, 0]])


def test_store_ties_are_ordered_by_passage_id() -> None:
    store = FaissStore.create(VectorIndexConfig(), 4, "fp")
    same = np.tile(_unit(1, 4, 1), (3, 1))
    store.upsert(_passages("z", 1) + _passages("c", 1) + _passages("m", 1), same)
    (hits,) = store.search_batch(same[:1], 3)
    assert [pid for pid, _ in hits] == ["c#0", "m#0", "z#0"] and len({s for _, s in hits}) == 1


def test_store_filters_run_inside_the_search() -> None:
    store, passages = _store(("a", 3, "2022-01-05"), ("b", 2, None), ("c", 4, "2023-06-30"))
    q = _unit(2, 8, 21)
    by_doc = store.search_batch(q, 10, Filters(doc_ids=frozenset({"b", "zz"})))
    assert all({pid.split("#")[0] for pid, _ in hits} == {"b"} for hits in by_doc)
    dated = store.search_batch(q, 10, Filters(date_from="2022-06-01"))
    assert all({pid.split("#")[0] for pid, _ in hits} == {"c"} for hits in dated)
    assert store.search_batch(q, 10, Filters(doc_ids=frozenset({"b"}), date_to="2030-01-01")) == [[], []]
    assert all(len(hits) == 9 for hits in store.search_batch(q, 10, None))


def test_store_update_equals_a_fresh_build_and_survives_save_and_open(tmp_path) -> None:
    store, passages = _store(("a", 3, None), ("b", 2, None), ("c", 2, None))
    vectors = {p.passage_id: v for p, v in zip(passages, store.fetch([p.passage_id for p in passages]), strict=True)}
    assert store.delete_documents(["b", "nope"]) == 2 and store.count() == 5
    new_b = _passages("b", 3)
    new_vectors = _unit(3, 8, 22)
    store.upsert(new_b, new_vectors)
    fresh = FaissStore.create(VectorIndexConfig(), 8, "fp")
    order = [*_passages("a", 3), *new_b, *_passages("c", 2)]
    fresh.upsert(order, np.stack([vectors.get(p.passage_id) if p.doc_id != "b" else new_vectors[p.paragraph]
                                  for p in order]))
    np.testing.assert_array_equal(store.vectors(), fresh.vectors())  # same rows in the same order
    files = store.save(tmp_path)
    assert [f.name for f in files] == [INDEX_FILE]
    back = FaissStore.open(tmp_path, VectorIndexConfig(), passages=order, fingerprint="fp")
    q = _unit(3, 8, 23)
    assert back.search_batch(q, 4) == store.search_batch(q, 4) == fresh.search_batch(q, 4)


def test_store_refuses_vectors_that_do_not_fit() -> None:
    store = FaissStore.create(VectorIndexConfig(), 8, "fp")
    with pytest.raises(InputError, match="expected 2 vectors of dimension 8"):
        store.upsert(_passages("a", 2), _unit(2, 6, 0))
    with pytest.raises(KeyError, match="a#0"):
        store.fetch(["a#0"])


def test_open_names_a_damaged_or_inconsistent_file(tmp_path) -> None:
    store, passages = _store(("a", 3, None))
    store.save(tmp_path)
    with pytest.raises(VectorStoreError, match="inconsistent"):
        FaissStore.open(tmp_path, VectorIndexConfig(), passages=passages[:2], fingerprint="fp")
    (tmp_path / INDEX_FILE).write_bytes(b"garbage")
    with pytest.raises(VectorStoreError, match=INDEX_FILE):
        FaissStore.open(tmp_path, VectorIndexConfig(), passages=passages, fingerprint="fp")
