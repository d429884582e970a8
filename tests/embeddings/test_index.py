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
