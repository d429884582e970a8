"""Sparse retrieval: bm25s over Chinese-aware tokens, scored for every passage so filters stay exact."""

from __future__ import annotations

import json
import logging
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


class BM25Index:
    """A bm25s index over passage token lists; row i is passage i of the store."""

    def __init__(self, retriever: Any, n_docs: int, config: BM25Config) -> None:
        self._retriever = retriever
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
        return cls(retriever, len(tokens), config)

    def coverage(self, query_tokens: Sequence[str]) -> float:
        """Share of the query's distinct tokens that occur in the corpus (1.0 for a query with no tokens).

        English words asked of Chinese text mostly miss: BM25 then ranks on a few stray matches.
        """
        distinct = {t for t in query_tokens if t}
        if not distinct:
            return 1.0
        return len(self._retriever.get_tokens_ids(sorted(distinct))) / len(distinct)

    def scores(self, query_tokens: Sequence[str]) -> np.ndarray:
        """BM25 score of every passage for one tokenized query (zeros when no token is known)."""
        ids = self._retriever.get_tokens_ids([t for t in query_tokens if t])
        if not ids or self.n_docs == 0:
            return np.zeros(self.n_docs, dtype=np.float32)
        return np.asarray(self._retriever.get_scores_from_ids(ids), dtype=np.float32)

    def save(self, index_dir: Path) -> None:
        """Write the bm25s arrays (npy, no pickle) and vocabulary (json) under index_dir/bm25."""
        out = index_dir / BM25_DIR
        out.mkdir(parents=True, exist_ok=True)
        self._retriever.save(str(out), allow_pickle=False, show_progress=False)
        (out / "qa_bm25.json").write_text(
            json.dumps({"n_docs": self.n_docs, "config": asdict(self.config)}), encoding="utf-8"
        )

    @classmethod
    def load(cls, index_dir: Path) -> BM25Index:
        bm25s = _bm25s()
        src = index_dir / BM25_DIR
        meta = json.loads((src / "qa_bm25.json").read_text(encoding="utf-8"))
        retriever = bm25s.BM25.load(str(src), allow_pickle=False, load_corpus=False)
        return cls(retriever, int(meta["n_docs"]), BM25Config(**meta["config"]))

    @staticmethod
    def files(index_dir: Path) -> list[Path]:
        """The files a saved BM25 index consists of (for the manifest's checksums)."""
        return sorted(p for p in (index_dir / BM25_DIR).iterdir() if p.is_file())
