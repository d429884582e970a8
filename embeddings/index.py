"""Dense vector index: a small Protocol and its FAISS implementation (exact flat or HNSW, inner product)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

import numpy as np

INDEX_FILE = "vectors.faiss"


@dataclass(frozen=True)
class VectorIndexConfig:
    """Which FAISS structure to build: exact search up to `ann_threshold` vectors, HNSW above it."""

    ann_threshold: int = 50_000
    hnsw_m: int = 32
    hnsw_ef_construction: int = 200
    hnsw_ef_search: int = 128
    threads: int = 0  # 0: leave FAISS's OpenMP default


class VectorIndex(Protocol):
    """Stores unit vectors under row ids 0..n-1 and returns the best rows by inner product."""

    dim: int
    kind: str

    def __len__(self) -> int: ...

    def search(
        self, queries: np.ndarray, k: int, allowed: np.ndarray | None = None
    ) -> tuple[np.ndarray, np.ndarray]:
        """(scores, ids), each (n_queries, k); id -1 pads missing results. `allowed`: row ids to keep."""
        ...

    def vectors(self) -> np.ndarray:
        """All stored vectors, (n, dim) float32, in row order."""
        ...

    def save(self, path: Path) -> None: ...


def _faiss() -> Any:
    try:
        import faiss
    except ImportError as exc:  # pragma: no cover - core dependency
        raise ImportError("dense retrieval needs FAISS: pip install faiss-cpu") from exc
    return faiss


class FaissIndex:
    """FAISS inner-product index over L2-normalized vectors (cosine similarity)."""

    def __init__(self, index: Any, config: VectorIndexConfig) -> None:
        self._index = index
        self.config = config
        self.dim = int(index.d)
        self.kind = "hnsw" if "HNSW" in type(index).__name__ else "flat"
        if self.kind == "hnsw":
            index.hnsw.efSearch = config.hnsw_ef_search

    @classmethod
    def build(cls, vectors: np.ndarray, config: VectorIndexConfig = VectorIndexConfig()) -> FaissIndex:
        """Exact IndexFlatIP for small collections, IndexHNSWFlat (inner product) above the threshold."""
        faiss = _faiss()
        if config.threads:
            faiss.omp_set_num_threads(config.threads)
        x = np.ascontiguousarray(vectors, dtype=np.float32)
        if x.ndim != 2:
            raise ValueError(f"vectors must be a 2-d array, got shape {x.shape}")
        if len(x) > config.ann_threshold:
            index = faiss.IndexHNSWFlat(x.shape[1], config.hnsw_m, faiss.METRIC_INNER_PRODUCT)
            index.hnsw.efConstruction = config.hnsw_ef_construction
        else:
            index = faiss.IndexFlatIP(x.shape[1])
        if len(x):
            index.add(x)
        return cls(index, config)

    def __len__(self) -> int:
        return int(self._index.ntotal)

    def search(
        self, queries: np.ndarray, k: int, allowed: np.ndarray | None = None
    ) -> tuple[np.ndarray, np.ndarray]:
        faiss = _faiss()
        q = np.ascontiguousarray(queries, dtype=np.float32).reshape(-1, self.dim)
        k = max(1, min(int(k), max(len(self), 1)))
        if len(self) == 0:
            return np.full((len(q), k), -np.inf, np.float32), np.full((len(q), k), -1, np.int64)
        params = None
        if allowed is not None:
            sel = faiss.IDSelectorBatch(np.ascontiguousarray(allowed, dtype=np.int64))
            if self.kind == "hnsw":
                params = faiss.SearchParametersHNSW(sel=sel, efSearch=max(self.config.hnsw_ef_search, k))
            else:
                params = faiss.SearchParameters(sel=sel)
        elif self.kind == "hnsw" and k > self._index.hnsw.efSearch:
            params = faiss.SearchParametersHNSW(efSearch=k)
        scores, ids = self._index.search(q, k, params=params)
        return scores, ids

    def vectors(self) -> np.ndarray:
        if len(self) == 0:
            return np.zeros((0, self.dim), np.float32)
        return self._index.reconstruct_n(0, len(self))

    def save(self, path: Path) -> None:
        _faiss().write_index(self._index, str(path))

    @classmethod
    def load(cls, path: Path, config: VectorIndexConfig = VectorIndexConfig()) -> FaissIndex:
        faiss = _faiss()
        return cls(faiss.read_index(str(path)), config)


def exact_top_k(vectors: np.ndarray, queries: np.ndarray, k: int) -> np.ndarray:
    """Ids of the exact inner-product top k (ground truth for ANN recall checks)."""
    scores = np.asarray(queries, np.float32) @ np.asarray(vectors, np.float32).T
    k = min(k, scores.shape[1])
    part = np.argpartition(-scores, k - 1, axis=1)[:, :k]
    order = np.take_along_axis(scores, part, axis=1).argsort(axis=1)[:, ::-1]
    return np.take_along_axis(part, order, axis=1)


def recall_at_k(found: np.ndarray, truth: np.ndarray) -> float:
    """Mean fraction of the true top-k ids that the approximate search returned."""
    hits = [
        len(set(f.tolist()) & set(t.tolist())) / max(len(t), 1) for f, t in zip(found, truth, strict=True)
    ]
    return float(np.mean(hits)) if hits else 1.0


def as_id_array(ids: Sequence[int]) -> np.ndarray:
    return np.asarray(list(ids), dtype=np.int64)
