"""Dense (the index's vector store), sparse (BM25) and hybrid (reciprocal rank fusion) passage retrieval
with filters. A store that searches text itself (`TextSearch`, e.g. Milvus) runs BM25 and hybrid in its
engine; otherwise BM25 is local (bm25s) and fusion happens here."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from embeddings.base import Encoder
from qa.errors import InputError, QAError
from qa.filtering import RowFilter
from qa.store import StoredIndex
from qa.tokenize import tokenize
from qa.types import MODES, Filters, Hit, Mode
from qa.vectors.base import HybridHit, TextSearch, VectorHit

log = logging.getLogger("qa")


class ModelMismatchError(QAError):
    """The index was built with another embedding model than the one given for querying."""


@dataclass(frozen=True)
class RetrievalConfig:
    """Fusion and candidate-depth settings; every number that shapes a ranking is here."""

    rrf_k: int = 60  # reciprocal rank fusion constant (Cormack et al. 2009)
    dense_weight: float = 1.0
    bm25_weight: float = 1.0
    # BM25's fusion weight is scaled by (coverage - bm25_min_coverage) / (bm25_full_coverage -
    # bm25_min_coverage), clipped to [0, 1], coverage being the share of the query's distinct tokens found in
    # the corpus: full weight for questions in the corpus's language, none for English questions over Chinese
    # text (whose few matches are stray names and numbers). bm25_full_coverage 0 turns the scaling off.
    bm25_full_coverage: float = 0.5
    bm25_min_coverage: float = 0.4  # chosen on training data: docs/evaluation.md
    fusion_depth: int = 100  # candidates taken from each retriever before fusing
    max_k: int = 1000
    max_question_chars: int = 2000  # longer questions are cut for retrieval (bounded time)

    def __post_init__(self) -> None:
        if self.bm25_full_coverage > 0 and not 0 <= self.bm25_min_coverage < self.bm25_full_coverage:
            raise InputError(
                "RetrievalConfig: bm25_min_coverage must be >= 0 and below bm25_full_coverage "
                f"({self.bm25_min_coverage!r} vs {self.bm25_full_coverage!r})"
            )


def check_question(question: object) -> str:
    """A usable question string, or an InputError a user can act on."""
    if not isinstance(question, str):
        raise InputError(f"the question must be text, got {type(question).__name__}")
    cleaned = "".join(ch for ch in question if ch.isprintable() or ch in "\t\n").strip()
    if not cleaned:
        raise InputError(
            "the question is empty: type a question, e.g. 截至2022年9月，我国共有多少家“小巨人”企业？"
        )
    return cleaned


def competition_ranks(scores: np.ndarray) -> np.ndarray:
    """1-based competition ranks ("1224") of scores sorted best first: equal scores share a rank, so exact
    ties stay tied after reciprocal rank fusion."""
    return np.searchsorted(-scores, -scores, side="left") + 1


class Retriever:
    """Ranks the passages of one loaded index for questions; ties are broken by (-score, passage_id)."""

    def __init__(
        self, store: StoredIndex, encoder: Encoder, config: RetrievalConfig = RetrievalConfig()
    ) -> None:
        if encoder.fingerprint != store.model_fingerprint or encoder.dim != store.vectors.dim:
            raise ModelMismatchError(
                f"this index was built with the model {store.model_id!r} "
                f"(fingerprint {store.model_fingerprint[:12]}), but the query model is {encoder.model_id!r} "
                f"(fingerprint {encoder.fingerprint[:12]}); query it with --model {store.model_id} "
                "or re-index with the new model"
            )
        self.store = store
        self.encoder = encoder
        self.config = config
        passages = store.passages
        order = sorted(range(len(passages)), key=lambda i: passages[i].passage_id)
        self._pid_rank = np.empty(len(passages), dtype=np.int64)
        self._pid_rank[order] = np.arange(len(passages))
        self._row_of = {p.passage_id: i for i, p in enumerate(passages)}
        self._filter = RowFilter([p.doc_id for p in passages], [p.date for p in passages])

    def allowed_rows(self, filters: Filters | None) -> np.ndarray | None:
        """Row ids (positions in `store.passages`) that pass the filters (None: no filter)."""
        return self._filter.rows(filters)

    def _order(self, rows: np.ndarray, scores: np.ndarray) -> np.ndarray:
        """Positions into rows/scores sorted by (-score, passage_id)."""
        return np.lexsort((self._pid_rank[rows], -scores))

    def _dense(
        self, qvecs: np.ndarray, depth: int, filters: Filters | None
    ) -> list[tuple[np.ndarray, np.ndarray]]:
        """The vector store's hits (filtered inside the store) as (rows, float32 scores), best first."""
        out = []
        for found in self.store.vectors.search_batch(qvecs, depth, filters):
            rows = np.fromiter((self._row_of[pid] for pid, _ in found), dtype=np.int64, count=len(found))
            vals = np.fromiter((score for _, score in found), dtype=np.float32, count=len(found))
            order = self._order(rows, vals)
            out.append((rows[order], vals[order]))
        return out

    def _bm25(self, question: str, depth: int, allowed: np.ndarray | None) -> tuple[np.ndarray, np.ndarray]:
        scores = self.store.bm25.scores(tokenize(question))
        if allowed is not None:
            mask = np.zeros(len(scores), dtype=bool)
            mask[allowed] = True
            scores = np.where(mask, scores, 0.0).astype(np.float32)
        rows = np.flatnonzero(scores > 0)
        if len(rows) > depth:
            rows = rows[np.argpartition(-scores[rows], depth - 1)[:depth]]
        vals = scores[rows]
        order = self._order(rows, vals)
        # argpartition may cut inside a tie at the boundary: re-rank the kept rows deterministically
        return rows[order][:depth], vals[order][:depth]

    def retrieve_batch(
        self,
        questions: Sequence[str],
        k: int = 5,
        mode: Mode = "hybrid",
        filters: Filters | None = None,
    ) -> list[list[Hit]]:
        """Top-k hits for each question (fewer when the index or the filter holds fewer passages)."""
        if mode not in MODES:
            raise InputError(f"unknown retrieval mode {mode!r}: choose one of {', '.join(MODES)}")
        if not isinstance(k, int) or isinstance(k, bool) or k < 1:
            raise InputError(f"k must be a positive integer, got {k!r}")
        k = min(k, self.config.max_k)
        qs = [check_question(q)[: self.config.max_question_chars] for q in questions]
        if not qs:
            return []
        allowed = self.allowed_rows(filters)
        n = len(self.store.passages) if allowed is None else len(allowed)
        if n == 0:
            return [[] for _ in qs]
        depth = min(max(k, self.config.fusion_depth) if mode == "hybrid" else k, n)
        if isinstance(self.store.vectors, TextSearch):
            return self._in_engine(self.store.vectors, qs, k, mode, filters, depth)
        dense = self._dense(self.encoder.encode_queries(qs), depth, filters) if mode != "bm25" else None
        results: list[list[Hit]] = []
        for qi, q in enumerate(qs):
            sparse = self._bm25(q, depth, allowed) if mode != "dense" else None
            bm25_weight = self.bm25_weight(q) if mode == "hybrid" else self.config.bm25_weight
            if mode == "dense":
                rows, vals = dense[qi]  # type: ignore[index]
                results.append(
                    self._hits(rows[:k], vals[:k], dense=dict(zip(rows.tolist(), vals.tolist(), strict=True)))
                )
            elif mode == "bm25":
                rows, vals = sparse  # type: ignore[misc]
                results.append(
                    self._hits(rows[:k], vals[:k], bm25=dict(zip(rows.tolist(), vals.tolist(), strict=True)))
                )
            else:
                results.append(self._fuse(dense[qi], sparse, k, bm25_weight))  # type: ignore[index, arg-type]
        return results

    def _in_engine(
        self, engine: TextSearch, qs: list[str], k: int, mode: Mode, filters: Filters | None, depth: int
    ) -> list[list[Hit]]:
        """Every mode ranked by the store's engine; hybrid is its RRF with rrf_k and equal weights. A question
        none of whose terms occur in the corpus (BM25 weight 0 here) gets the dense ranking in hybrid mode,
        as local fusion gives it."""
        if mode == "bm25":
            return [self._engine_hits(found, bm25=True) for found in engine.search_text_batch(qs, k, filters)]
        qvecs = self.encoder.encode_queries(qs)
        if mode == "dense":
            found_dense = self.store.vectors.search_batch(qvecs, k, filters)
            return [self._engine_hits([(pid, s, s) for pid, s in hits]) for hits in found_dense]
        fused_rows = [i for i, q in enumerate(qs) if self.bm25_weight(q) > 0]
        dense_rows = sorted(set(range(len(qs))) - set(fused_rows))
        results: list[list[Hit]] = [[] for _ in qs]
        if fused_rows:
            questions = [qs[i] for i in fused_rows]
            found = engine.hybrid_search_batch(
                qvecs[fused_rows], questions, k, filters, depth=depth, rrf_k=self.config.rrf_k
            )
            for i, hits in zip(fused_rows, found, strict=True):
                results[i] = self._engine_hits(hits)
        if dense_rows:
            found_dense = self.store.vectors.search_batch(qvecs[dense_rows], k, filters)
            for i, dhits in zip(dense_rows, found_dense, strict=True):
                results[i] = self._engine_hits(self._dense_rrf(dhits))
        return results

    def _dense_rrf(self, found: list[VectorHit]) -> list[HybridHit]:
        """Dense hits scored as fusion with BM25 weighted 0 scores them: dense_weight / (rrf_k + rank),
        competition ranks so equal similarities stay tied."""
        ordered = sorted(found, key=lambda h: (-h[1], h[0]))
        ranks = competition_ranks(np.array([sim for _, sim in ordered], dtype=np.float64))
        c = self.config
        return [
            (pid, c.dense_weight / (c.rrf_k + rank), sim)
            for (pid, sim), rank in zip(ordered, ranks.tolist(), strict=True)
        ]

    def _engine_hits(self, found: list[VectorHit] | list[HybridHit], *, bm25: bool = False) -> list[Hit]:
        """Hits from an engine's (passage_id, score[, dense score]) list, best first, ties by passage id;
        passages the index does not know (written by another process since it was loaded) are skipped."""
        passages = self.store.passages
        hits: list[Hit] = []
        for pid, score, *rest in sorted(found, key=lambda h: (-h[1], h[0])):
            row = self._row_of.get(pid)
            if row is None:
                log.warning("the vector store returned passage %r, which this index does not hold", pid)
                continue
            dense = rest[0] if rest else None
            hits.append(
                Hit(
                    passage=passages[row],
                    score=float(score),
                    rank=len(hits) + 1,
                    dense_score=None if dense is None else float(dense),
                    bm25_score=float(score) if bm25 else None,
                )
            )
        return hits

    def bm25_weight(self, question: str) -> float:
        """BM25's fusion weight for this question: scaled down when few of its terms occur in the corpus."""
        c = self.config
        if c.bm25_full_coverage <= 0:
            return c.bm25_weight
        coverage = self.store.bm25.coverage(tokenize(question))
        lo = c.bm25_min_coverage
        return c.bm25_weight * min(1.0, max(0.0, coverage - lo) / (c.bm25_full_coverage - lo))

    def _fuse(
        self,
        dense: tuple[np.ndarray, np.ndarray],
        sparse: tuple[np.ndarray, np.ndarray],
        k: int,
        bm25_weight: float,
    ) -> list[Hit]:
        c = self.config
        fused: dict[int, float] = {}
        for weight, (rows, vals) in ((c.dense_weight, dense), (bm25_weight, sparse)):
            for row, rank in zip(rows.tolist(), competition_ranks(vals).tolist(), strict=True):
                fused[row] = fused.get(row, 0.0) + weight / (c.rrf_k + rank)
        rows = np.fromiter(fused.keys(), dtype=np.int64, count=len(fused))
        vals = np.fromiter(fused.values(), dtype=np.float64, count=len(fused))
        order = self._order(rows, vals)[:k]
        return self._hits(
            rows[order],
            vals[order],
            dense=dict(zip(dense[0].tolist(), dense[1].tolist(), strict=True)),
            bm25=dict(zip(sparse[0].tolist(), sparse[1].tolist(), strict=True)),
        )

    def _hits(
        self,
        rows: np.ndarray,
        scores: np.ndarray,
        *,
        dense: dict[int, float] | None = None,
        bm25: dict[int, float] | None = None,
    ) -> list[Hit]:
        passages = self.store.passages
        return [
            Hit(
                passage=passages[row],
                score=float(score),
                rank=rank,
                dense_score=None if dense is None or row not in dense else float(dense[row]),
                bm25_score=None if bm25 is None or row not in bm25 else float(bm25[row]),
            )
            for rank, (row, score) in enumerate(zip(rows.tolist(), scores.tolist(), strict=True), start=1)
        ]
