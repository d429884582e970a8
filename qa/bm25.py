"""Sparse retrieval: bm25s over Chinese-aware tokens, scored for every passage so filters stay exact.

bm25s builds and saves the index. A saved index is scored from its own arrays (the same sums, in the same
order, as bm25s's numpy backend), so answering a question does not import bm25s and scipy (~0.15 s of a
cold `qa ask`).
"""

from __future__ import annotations

import json
import logging
import shutil
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np

from qa.errors import MissingDependencyError
from qa.tokenize import tokenize_batch

BM25_DIR = "bm25"


@dataclass(frozen=True)
class BM25Config:
    """bm25s scoring parameters (Lucene variant by default, as Pyserini/Anserini)."""

    k1: float = 1.2
    b: float = 0.75
    method: str = "lucene"


def _bm25s() -> Any:
    try:
        import bm25s
    except ImportError as exc:  # pragma: no cover - core dependency
        raise MissingDependencyError("BM25 retrieval needs bm25s: pip install bm25s") from exc
    logging.getLogger("bm25s").setLevel(logging.WARNING)
    return bm25s


_DATA, _INDICES, _INDPTR = "data.csc.index.npy", "indices.csc.index.npy", "indptr.csc.index.npy"
_VOCAB, _PARAMS, _NONOCCURRENCE = "vocab.index.json", "params.index.json", "nonoccurrence_array.index.npy"


@dataclass(frozen=True)
class _Arrays:
    """What scoring needs of a bm25s index: its CSC score matrix (token → passages), vocabulary and, for
    the bm25l/bm25+ variants, the per-token score of a passage that lacks the token."""

    data: np.ndarray
    indices: np.ndarray
    indptr: np.ndarray
    vocab: dict[str, int]
    nonoccurrence: np.ndarray | None

    @classmethod
    def of(cls, retriever: Any) -> _Arrays:
        s = retriever.scores
        return cls(s["data"], s["indices"], s["indptr"], retriever.vocab_dict, retriever.nonoccurrence_array)

    @classmethod
    def read(cls, src: Path) -> _Arrays:
        params = json.loads((src / _PARAMS).read_text(encoding="utf-8"))
        nonoccurrence = None
        if params.get("method") in ("bm25l", "bm25+"):
            nonoccurrence = np.load(src / _NONOCCURRENCE, allow_pickle=False)
        return cls(
            np.load(src / _DATA, allow_pickle=False),
            np.load(src / _INDICES, allow_pickle=False),
            np.load(src / _INDPTR, allow_pickle=False),
            json.loads((src / _VOCAB).read_text(encoding="utf-8")),
            nonoccurrence,
        )


class BM25Index:
    """A bm25s index over passage token lists; row i is passage i of the store."""

    def __init__(
        self,
        arrays: _Arrays,
        n_docs: int,
        config: BM25Config,
        *,
        retriever: Any = None,
        source: Path | None = None,
    ) -> None:
        self._arrays = arrays
        self._retriever = retriever  # the bm25s object of a freshly built index
        self._source = source  # the folder a loaded index was read from
        self.n_docs = n_docs
        self.config = config

    @classmethod
    def build(cls, texts: Sequence[str], config: BM25Config = BM25Config()) -> BM25Index:
        """Tokenize and index passage texts (cheap: rebuilt in full on every index update)."""
        return cls.from_tokens(tokenize_batch(texts), config)

    @classmethod
    def from_tokens(cls, tokens: Sequence[Sequence[str]], config: BM25Config = BM25Config()) -> BM25Index:
        bm25s = _bm25s()
        retriever = bm25s.BM25(k1=config.k1, b=config.b, method=config.method)
        # An empty token list would make bm25s infer the wrong corpus shape: give it the empty token.
        retriever.index([list(t) if t else [""] for t in tokens], show_progress=False)
        return cls(_Arrays.of(retriever), len(tokens), config, retriever=retriever)

    def _ids(self, query_tokens: Sequence[str]) -> list[int]:
        vocab = self._arrays.vocab
        return [vocab[t] for t in query_tokens if t in vocab]

    def coverage(self, query_tokens: Sequence[str]) -> float:
        """Share of the query's distinct tokens that occur in the corpus (1.0 for a query with no tokens).

        English words asked of Chinese text mostly miss: BM25 then ranks on a few stray matches.
        """
        distinct = {t for t in query_tokens if t}
        if not distinct:
            return 1.0
        return len(self._ids(sorted(distinct))) / len(distinct)

    def scores(self, query_tokens: Sequence[str]) -> np.ndarray:
        """BM25 score of every passage for one tokenized query (zeros when no token is known).

        bm25s's own sum: each query token's column added in query order (a repeated token counts again).
        """
        ids = self._ids([t for t in query_tokens if t])
        if not ids or self.n_docs == 0:
            return np.zeros(self.n_docs, dtype=np.float32)
        a = self._arrays
        scores = np.zeros(self.n_docs, dtype=a.data.dtype)
        for t in ids:
            start, end = a.indptr[t], a.indptr[t + 1]
            np.add.at(scores, a.indices[start:end], a.data[start:end])
        if a.nonoccurrence is not None:
            scores += a.nonoccurrence[np.asarray(ids)].sum()
        return np.asarray(scores, dtype=np.float32)

    def save(self, index_dir: Path) -> None:
        """Write the bm25s arrays (npy, no pickle) and vocabulary (json) under index_dir/bm25."""
        out = index_dir / BM25_DIR
        out.mkdir(parents=True, exist_ok=True)
        if self._retriever is None:  # loaded: its files are the index
            assert self._source is not None  # one of the two constructors set it
            for f in self.files(self._source.parent):
                shutil.copyfile(f, out / f.name)
            return
        self._retriever.save(str(out), allow_pickle=False, show_progress=False)
        (out / "qa_bm25.json").write_text(
            json.dumps({"n_docs": self.n_docs, "config": asdict(self.config)}), encoding="utf-8"
        )

    @classmethod
    def load(cls, index_dir: Path) -> BM25Index:
        src = index_dir / BM25_DIR
        meta = json.loads((src / "qa_bm25.json").read_text(encoding="utf-8"))
        return cls(_Arrays.read(src), int(meta["n_docs"]), BM25Config(**meta["config"]), source=src)

    @staticmethod
    def files(index_dir: Path) -> list[Path]:
        """The files a saved BM25 index consists of (for the manifest's checksums)."""
        return sorted(p for p in (index_dir / BM25_DIR).iterdir() if p.is_file())
