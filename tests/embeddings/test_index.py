"""FAISS vector index: exact vs HNSW selection, recall against exact search, filters, save/load."""

from __future__ import annotations

import numpy as np
import pytest

from embeddings.index import FaissIndex, VectorIndexConfig, exact_top_k, recall_at_k


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
