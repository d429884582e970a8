"""The vector-store seam: what the indexer and the retriever need from a dense vector backend.

A store holds one unit vector per passage, keyed by passage id, together with the passage's document id
and date so that filters run inside the store (pushed down), not after it. Backends are registered by name
in `qa.vectors.factory`; the index config's `backend` field picks one. The retriever and the indexer see
only this protocol.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol, runtime_checkable

import numpy as np

from qa.errors import InputError, QAError
from qa.types import Filters, Passage

VectorHit = tuple[str, float]  # (passage_id, similarity score)
HybridHit = tuple[str, float, float | None]  # (passage_id, fused score, dense similarity if known)
DEFAULT_BACKEND = "faiss"


class VectorStoreError(QAError):
    """A vector store cannot be opened or read (damaged file, unreachable server, wrong schema)."""


class VectorStoreUnavailableError(VectorStoreError):
    """A server-side store did not answer (down, unreachable, timed out): the index itself may be fine."""


@dataclass(frozen=True)
class VectorIndexConfig:
    """Which vector backend holds the dense vectors, and how the FAISS backend structures them: exact search
    up to `ann_threshold` vectors, HNSW up to `ivf_threshold`, then IVF over fp16 vectors (half the memory
    of HNSW's float32 copy plus its graph).

    The tiers follow `docs/benchmarks.md` §2: flat costs ~0.3 ms at 10k and ~18 ms at 100k vectors; at 1M
    HNSW-Flat needs ~1.7 GiB, this IVF-fp16 (nlist 4000, nprobe 256) 746 MiB at recall@10 0.966 and 5 ms.

    `uri` and `collection` locate a server-side backend (Milvus: `http://host:19530`, or a `*.db` path for
    embedded Milvus Lite). A relative `*.db` path is made absolute against the current directory when the
    config is made, so the manifest records a path every later command finds from anywhere. Secrets never
    go in the URI (it is saved in the manifest): the token comes from `$QA_MILVUS_TOKEN`.
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
    backend: str = DEFAULT_BACKEND  # a name registered in qa.vectors.factory
    uri: str = ""  # server-side backends: where the server is ("" for local backends)
    collection: str = ""  # server-side backends: the collection ("" -> the backend's default name)

    def __post_init__(self) -> None:
        if not isinstance(self.backend, str) or not self.backend:
            raise InputError(f"VectorIndexConfig.backend must be a backend name, got {self.backend!r}")
        if not isinstance(self.uri, str) or not isinstance(self.collection, str):
            raise InputError("VectorIndexConfig.uri and .collection must be strings")
        object.__setattr__(self, "uri", clean_uri(self.uri))
        if self.collection and not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]{0,254}", self.collection):
            raise InputError(
                f"collection name {self.collection!r} is not valid: use letters, digits and underscores, "
                "starting with a letter or underscore"
            )
        for name in ("ann_threshold", "ivf_threshold", "ivf_nlist", "threads"):
            if getattr(self, name) < 0:
                raise InputError(f"VectorIndexConfig.{name} must be >= 0, got {getattr(self, name)}")
        for name in ("hnsw_m", "hnsw_ef_construction", "hnsw_ef_search", "ivf_nprobe", "ivf_train_per_list"):
            if getattr(self, name) < 1:
                raise InputError(f"VectorIndexConfig.{name} must be >= 1, got {getattr(self, name)}")


def clean_uri(uri: str) -> str:
    """`uri` with a relative `*.db` path made absolute; an InputError if it carries credentials."""
    uri = uri.strip()
    if not uri:
        return ""
    scheme, sep, rest = uri.partition("://")
    if sep:
        authority = rest.split("/", 1)[0]
        if "@" in authority or re.search(r"[?&](token|password)=", rest, re.IGNORECASE):
            raise InputError(
                "the URI must not carry credentials (it is saved in the index manifest): give the host only "
                "and put the token in $QA_MILVUS_TOKEN"
            )
        return uri
    if uri.endswith(".db"):
        return str(Path(uri).expanduser().absolute())
    raise InputError(
        f"URI {uri!r} is neither a server address (http://HOST:PORT) nor a Milvus Lite database path (*.db)"
    )


@runtime_checkable
class VectorStore(Protocol):
    """Unit vectors keyed by passage id; search by inner product with document/date filters pushed down.

    Results are best first with ties broken by passage id, so every backend ranks identically given
    identical scores. A store opened from an index directory is ready to search; `upsert`/`delete_documents`
    change it in memory (or on the server) and `save` makes a local copy durable.
    """

    backend: str  # the registry name, e.g. "faiss"
    dim: int
    fingerprint: str  # of the embedding model the vectors came from (a query model must match it)

    @classmethod
    def create(cls, config: VectorIndexConfig, dim: int, fingerprint: str) -> VectorStore:
        """An empty store for vectors of `dim` dimensions embedded by the model with this fingerprint."""
        ...

    @classmethod
    def open(
        cls, directory: Path, config: VectorIndexConfig, *, passages: Sequence[Passage], fingerprint: str
    ) -> VectorStore:
        """The store an index directory refers to; `passages` are the index's passages in stored order.
        A damaged or unreachable store is a VectorStoreError naming the file or server."""
        ...

    @property
    def kind(self) -> str:
        """The structure in use, recorded in the manifest (FAISS: "flat", "hnsw" or "ivf")."""
        ...

    def count(self) -> int:
        """How many vectors the store holds."""
        ...

    def upsert(self, passages: Sequence[Passage], vectors: np.ndarray) -> None:
        """Insert or replace one vector per passage (row i of `vectors` belongs to `passages[i]`)."""
        ...

    def delete_documents(self, doc_ids: Iterable[str]) -> int:
        """Remove every vector of these documents; returns how many were removed."""
        ...

    def fetch(self, passage_ids: Sequence[str]) -> np.ndarray:
        """The stored vectors of these passages, float32 (n, dim), in the order given (for re-use)."""
        ...

    def search_batch(
        self, queries: np.ndarray, k: int, filters: Filters | None = None
    ) -> list[list[VectorHit]]:
        """For each query row, up to k (passage_id, score) pairs that pass `filters`, best first."""
        ...

    def save(self, directory: Path) -> list[Path]:
        """Write what the index directory must hold for this store; returns the files written."""
        ...


@runtime_checkable
class TextSearch(Protocol):
    """Optional: a store that also runs BM25 full-text and hybrid (RRF) search in its engine. The retriever
    uses these for the bm25 and hybrid modes when the index's store provides them; otherwise it ranks
    BM25 and fuses locally. Hits are best first, ties by passage id."""

    def search_text_batch(
        self, questions: Sequence[str], k: int, filters: Filters | None = None
    ) -> list[list[VectorHit]]:
        """For each question, up to k (passage_id, BM25 score) pairs that pass `filters`."""
        ...

    def hybrid_search_batch(
        self,
        queries: np.ndarray,
        questions: Sequence[str],
        k: int,
        filters: Filters | None = None,
        *,
        depth: int = 100,
        rrf_k: int = 60,
    ) -> list[list[HybridHit]]:
        """For each (query vector, question), up to k hits of dense and BM25 candidates (`depth` each)
        fused by reciprocal rank fusion with constant `rrf_k`."""
        ...


def sort_hits(hits: Iterable[VectorHit]) -> list[VectorHit]:
    """Hits ordered best first, ties by passage id: the order every backend returns."""
    return sorted(hits, key=lambda hit: (-hit[1], hit[0]))


def check_vectors(passages: Sequence[Passage], vectors: np.ndarray, dim: int) -> np.ndarray:
    """`vectors` as float32 (len(passages), dim), or an InputError saying what does not fit."""
    x = np.asarray(vectors, dtype=np.float32)
    if x.ndim != 2 or x.shape != (len(passages), dim):
        raise InputError(
            f"expected {len(passages)} vectors of dimension {dim}, got an array of shape {x.shape}"
        )
    return x
