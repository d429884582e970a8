"""Dense vector index: a small Protocol and its FAISS implementation (exact flat, HNSW or IVF-fp16)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

import numpy as np

INDEX_FILE = "vectors.faiss"


@dataclass(frozen=True)
class VectorIndexConfig:
    """Which FAISS structure to build: exact search up to `ann_threshold` vectors, HNSW up to
    `ivf_threshold`, then IVF over fp16 vectors (half the memory of HNSW's float32 copy plus its graph).

    The tiers follow `bench/RESULTS.md` §2: flat costs ~0.3 ms at 10k and ~18 ms at 100k vectors; at 1M
    HNSW-Flat needs ~1.7 GiB, this IVF-fp16 (nlist 4000, nprobe 256) 746 MiB at recall@10 0.966 and 5 ms.
    """

    ann_threshold: int = 50_000
    hnsw_m: int = 32
    hnsw_ef_construction: int = 200
    hnsw_ef_search: int = 128
    ivf_threshold: int = 500_000
    ivf_nlist: int = 0  # 0: 4 * sqrt(n) inverted lists
    ivf_nprobe: int = 256
    ivf_train_per_list: int = 64  # k-means training sample: this many vectors per list (at most all)
    threads: int = 0  # 0: leave FAISS's OpenMP default

    def __post_init__(self) -> None:
        for name in ("ann_threshold", "ivf_threshold", "ivf_nlist", "threads"):
            if getattr(self, name) < 0:
                raise ValueError(f"VectorIndexConfig.{name} must be >= 0, got {getattr(self, name)}")
        for name in ("hnsw_m", "hnsw_ef_construction", "hnsw_ef_search", "ivf_nprobe", "ivf_train_per_list"):
            if getattr(self, name) < 1:
                raise ValueError(f"VectorIndexConfig.{name} must be >= 1, got {getattr(self, name)}")


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
        name = type(index).__name__
        self.kind = "hnsw" if "HNSW" in name else "ivf" if "IVF" in name else "flat"
        if self.kind == "hnsw":
            index.hnsw.efSearch = config.hnsw_ef_search
        elif self.kind == "ivf":
            index.nprobe = min(config.ivf_nprobe, int(index.nlist))

    @classmethod
    def build(cls, vectors: np.ndarray, config: VectorIndexConfig = VectorIndexConfig()) -> FaissIndex:
        """Exact IndexFlatIP for small collections, IndexHNSWFlat above `ann_threshold`, IVF-fp16 above
        `ivf_threshold` (all inner product)."""
        faiss = _faiss()
        if config.threads:
            faiss.omp_set_num_threads(config.threads)
        x = np.ascontiguousarray(vectors, dtype=np.float32)
        if x.ndim != 2:
            raise ValueError(f"vectors must be a 2-d array, got shape {x.shape}")
        if len(x) > config.ivf_threshold:
            return cls(_build_ivf(faiss, x, config), config)
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
            allowed = np.ascontiguousarray(allowed, dtype=np.int64)
            sel = faiss.IDSelectorBatch(allowed)
            if self.kind == "hnsw":
                params = faiss.SearchParametersHNSW(sel=sel, efSearch=max(self.config.hnsw_ef_search, k))
            elif self.kind == "ivf":
                params = faiss.SearchParametersIVF(sel=sel, nprobe=self._index.nprobe)
            else:
                params = faiss.SearchParameters(sel=sel)
        elif self.kind == "hnsw" and k > self._index.hnsw.efSearch:
            params = faiss.SearchParametersHNSW(efSearch=k)
        scores, ids = self._index.search(q, k, params=params)
        if self.kind == "ivf" and allowed is not None and (ids < 0).any():
            # a narrow filter can leave the probed lists short of k allowed rows: probe every list
            wanted = min(k, len(np.unique(allowed)))
            if ((ids >= 0).sum(axis=1) < wanted).any():
                params = faiss.SearchParametersIVF(sel=sel, nprobe=int(self._index.nlist))
                scores, ids = self._index.search(q, k, params=params)
        return scores, ids

    def vectors(self) -> np.ndarray:
        if len(self) == 0:
            return np.zeros((0, self.dim), np.float32)
        if self.kind == "ivf":  # IVF rows live in their lists: map ids to places first (fp16 decodes exactly)
            self._index.make_direct_map()
        return self._index.reconstruct_n(0, len(self))

    def save(self, path: Path) -> None:
        _faiss().write_index(self._index, str(path))

    @classmethod
    def load(cls, path: Path, config: VectorIndexConfig = VectorIndexConfig()) -> FaissIndex:
        faiss = _faiss()
        return cls(faiss.read_index(str(path)), config)


def _build_ivf(faiss: Any, x: np.ndarray, config: VectorIndexConfig) -> Any:
    """IVF with fp16 vectors: k-means lists trained on a fixed-seed sample, so a rebuild is reproducible."""
    n, dim = x.shape
    nlist = config.ivf_nlist or max(1, int(round(4 * np.sqrt(n))))
    nlist = min(nlist, n)
    quantizer = faiss.IndexFlatIP(dim)
    index = faiss.IndexIVFScalarQuantizer(
        quantizer, dim, nlist, faiss.ScalarQuantizer.QT_fp16, faiss.METRIC_INNER_PRODUCT
    )
    index.by_residual = False  # store fp16(x) itself: decode + re-encode is exact, so rebuilds are stable
    index.cp.seed = 1234
    sample = min(n, config.ivf_train_per_list * nlist)
    rows = np.sort(np.random.default_rng(0).choice(n, size=sample, replace=False))
    index.train(x[rows])
    index.add(x)
    return index


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
