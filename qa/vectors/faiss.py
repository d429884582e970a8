"""The FAISS vector store: exact flat, HNSW or IVF-fp16 inner-product search, chosen by collection size.

`FaissIndex` is the FAISS structure over row ids 0..n-1; `FaissStore` keys its rows by passage id, keeps
each row's document and date for filters (a FAISS ID selector, so filters run inside the search) and saves
`vectors.faiss` in the index directory. Rows are kept grouped by document, documents in id order, and an
update rebuilds the structure from the stored vectors, so an updated store equals a fresh build.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from qa.errors import InputError, MissingDependencyError, QAError, first_line
from qa.filtering import RowFilter
from qa.types import Filters, Passage
from qa.vectors.base import VectorHit, VectorIndexConfig, VectorStoreError, check_vectors, sort_hits

INDEX_FILE = "vectors.faiss"


def load_faiss() -> Any:
    """The faiss module, or a MissingDependencyError with the install command."""
    try:
        import faiss
    except ImportError as exc:  # pragma: no cover - core dependency
        raise MissingDependencyError("dense retrieval needs FAISS: pip install faiss-cpu") from exc
    return faiss


class FaissIndex:
    """FAISS inner-product index over L2-normalized vectors (cosine similarity), rows 0..n-1."""

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
        faiss = load_faiss()
        if config.threads:
            faiss.omp_set_num_threads(config.threads)
        x = np.ascontiguousarray(vectors, dtype=np.float32)
        if x.ndim != 2:
            raise InputError(f"vectors must be a 2-d array, got shape {x.shape}")
        if len(x) > config.ivf_threshold:
            return cls(build_ivf(faiss, x, config), config)
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
        """(scores, ids), each (n_queries, k); id -1 pads missing results. `allowed`: row ids to keep."""
        faiss = load_faiss()
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
        """All stored vectors, (n, dim) float32, in row order."""
        if len(self) == 0:
            return np.zeros((0, self.dim), np.float32)
        if self.kind == "ivf":  # IVF rows live in their lists: map ids to places first (fp16 decodes exactly)
            self._index.make_direct_map()
        return self._index.reconstruct_n(0, len(self))

    def save(self, path: Path) -> None:
        load_faiss().write_index(self._index, str(path))

    @classmethod
    def load(cls, path: Path, config: VectorIndexConfig = VectorIndexConfig()) -> FaissIndex:
        return cls(load_faiss().read_index(str(path)), config)


def build_ivf(faiss: Any, x: np.ndarray, config: VectorIndexConfig) -> Any:
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


class FaissStore:
    """The "faiss" vector store: a FaissIndex whose rows are passages (id, document, date), in the index
    directory as `vectors.faiss` (row i = line i of passages.jsonl)."""

    backend = "faiss"

    def __init__(
        self,
        config: VectorIndexConfig,
        dim: int,
        fingerprint: str,
        *,
        index: FaissIndex | None = None,
        rows: Sequence[Passage] = (),
    ) -> None:
        self.config = config
        self.dim = int(dim)
        self.fingerprint = fingerprint
        if index is None:
            index = FaissIndex.build(np.zeros((0, self.dim), np.float32), config)
        self._index: FaissIndex | None = index
        self._pids = [p.passage_id for p in rows]
        self._docs = [p.doc_id for p in rows]
        self._dates = [p.date for p in rows]
        self._matrix: np.ndarray | None = None  # row vectors, materialized by the first change
        self._filter: RowFilter | None = None
        self._row_of: dict[str, int] | None = None
        if len(self._pids) != len(self._index):
            raise InputError(f"{len(self._index)} vectors but {len(self._pids)} passages")

    @classmethod
    def create(cls, config: VectorIndexConfig, dim: int, fingerprint: str) -> FaissStore:
        """An empty store for vectors of `dim` dimensions."""
        return cls(config, dim, fingerprint)

    @classmethod
    def open(
        cls, directory: Path, config: VectorIndexConfig, *, passages: Sequence[Passage], fingerprint: str
    ) -> FaissStore:
        """The store saved in `directory`; `passages` are its rows in order (from passages.jsonl)."""
        path = Path(directory) / INDEX_FILE
        try:
            index = FaissIndex.load(path, config)
        except QAError:
            raise
        except Exception as exc:  # FAISS raises RuntimeError with C++ text
            raise VectorStoreError(f"{path} cannot be read ({first_line(exc)})") from None
        if len(index) != len(passages):
            raise VectorStoreError(
                f"{path} is inconsistent with the passages: {len(index)} vectors for {len(passages)} passages"
            )
        return cls(config, index.dim, fingerprint, index=index, rows=passages)

    # ------------------------------------------------------------ reading

    @property
    def kind(self) -> str:
        return self._structure().kind

    def count(self) -> int:
        return len(self._pids)

    def _structure(self) -> FaissIndex:
        if self._index is None:  # changed since the last build: rebuild from the stored vectors
            self._index = FaissIndex.build(self.vectors(), self.config)
        return self._index

    def _rows_of(self, passage_ids: Sequence[str]) -> list[int]:
        if self._row_of is None:
            self._row_of = {pid: row for row, pid in enumerate(self._pids)}
        missing = [pid for pid in passage_ids if pid not in self._row_of]
        if missing:
            raise KeyError(f"no vector for passage {missing[0]!r}")
        return [self._row_of[pid] for pid in passage_ids]

    def vectors(self) -> np.ndarray:
        """Every stored vector in row order, float32 (n, dim)."""
        if self._matrix is not None:
            return self._matrix
        return self._structure().vectors()

    def fetch(self, passage_ids: Sequence[str]) -> np.ndarray:
        rows = self._rows_of(passage_ids)
        if not rows:
            return np.zeros((0, self.dim), np.float32)
        return np.ascontiguousarray(self.vectors()[rows], dtype=np.float32)

    def allowed_rows(self, filters: Filters | None) -> np.ndarray | None:
        """Row ids passing `filters` (None: no filter)."""
        if filters is None or not filters.active:
            return None
        if self._filter is None:
            self._filter = RowFilter(self._docs, self._dates)
        return self._filter.rows(filters)

    def search_batch(
        self, queries: np.ndarray, k: int, filters: Filters | None = None
    ) -> list[list[VectorHit]]:
        q = np.ascontiguousarray(queries, dtype=np.float32).reshape(-1, self.dim)
        allowed = self.allowed_rows(filters)
        if allowed is not None and len(allowed) == 0:
            return [[] for _ in range(len(q))]
        scores, ids = self._structure().search(q, k, allowed)
        out: list[list[VectorHit]] = []
        for row_scores, row_ids in zip(scores, ids, strict=True):
            keep = row_ids >= 0
            found = zip(row_ids[keep].tolist(), row_scores[keep].tolist(), strict=True)
            out.append(sort_hits((self._pids[r], float(s)) for r, s in found))
        return out

    # ------------------------------------------------------------ changing

    def _changed(self) -> np.ndarray:
        if self._matrix is None:
            self._matrix = np.array(self.vectors(), dtype=np.float32, copy=True).reshape(-1, self.dim)
        self._index = None
        self._filter = None
        self._row_of = None
        return self._matrix

    def upsert(self, passages: Sequence[Passage], vectors: np.ndarray) -> None:
        x = check_vectors(passages, vectors, self.dim)
        if not len(passages):
            return
        matrix = self._changed()
        row_of = {pid: row for row, pid in enumerate(self._pids)}
        pids, docs, dates = list(self._pids), list(self._docs), list(self._dates)
        source = np.empty(len(passages), dtype=np.int64)  # the row of `x` each passage's vector lands in
        for i, p in enumerate(passages):
            row = row_of.get(p.passage_id)
            if row is None:
                row = row_of[p.passage_id] = len(pids)
                pids.append(p.passage_id)
                docs.append(p.doc_id)
                dates.append(p.date)
            else:
                docs[row], dates[row] = p.doc_id, p.date
            source[i] = row
        grown = np.zeros((len(pids), self.dim), np.float32)
        grown[: len(matrix)] = matrix
        grown[source] = x  # a passage given twice keeps its last vector
        # grouped by document, documents in id order, each document's rows in the order they came
        order = sorted(range(len(pids)), key=docs.__getitem__)
        self._pids = [pids[i] for i in order]
        self._docs = [docs[i] for i in order]
        self._dates = [dates[i] for i in order]
        self._matrix = grown[order]

    def delete_documents(self, doc_ids: Iterable[str]) -> int:
        gone = set(doc_ids)
        keep = [i for i, d in enumerate(self._docs) if d not in gone]
        removed = len(self._docs) - len(keep)
        if not removed:
            return 0
        matrix = self._changed()
        self._pids = [self._pids[i] for i in keep]
        self._docs = [self._docs[i] for i in keep]
        self._dates = [self._dates[i] for i in keep]
        self._matrix = matrix[keep] if keep else np.zeros((0, self.dim), np.float32)
        return removed

    def save(self, directory: Path) -> list[Path]:
        path = Path(directory) / INDEX_FILE
        self._structure().save(path)
        return [path]
