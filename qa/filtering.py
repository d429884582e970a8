"""Filters evaluated over many rows at once, for backends that hold passages in memory (FAISS, BM25)."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from qa.types import Filters


class RowFilter:
    """Row ids (0..n-1) passing a `Filters`: the same rows as `Filters.accepts`, computed with array masks."""

    def __init__(self, doc_ids: Sequence[str], dates: Sequence[str | None]) -> None:
        if len(doc_ids) != len(dates):
            raise ValueError(f"{len(doc_ids)} document ids but {len(dates)} dates")
        self._n = len(doc_ids)
        self._doc_rows: dict[str, list[int]] = {}
        for row, doc_id in enumerate(doc_ids):
            self._doc_rows.setdefault(doc_id, []).append(row)
        self._dated = np.fromiter((d is not None for d in dates), dtype=bool, count=self._n)
        days = np.empty(self._n, dtype=object)  # Python str comparison, exactly as Filters.accepts
        days[:] = [d[:10] if d is not None else "" for d in dates]
        self._days = days

    def __len__(self) -> int:
        return self._n

    def rows(self, filters: Filters | None) -> np.ndarray | None:
        """Sorted int64 row ids that pass `filters`; None when nothing is filtered."""
        if filters is None or not filters.active:
            return None
        if filters.doc_ids is not None:
            mask = np.zeros(self._n, dtype=bool)
            for doc_id in filters.doc_ids:
                mask[self._doc_rows.get(doc_id, [])] = True
        else:
            mask = np.ones(self._n, dtype=bool)
        if filters.date_from is not None or filters.date_to is not None:
            mask &= self._dated
            if filters.date_from is not None:
                mask &= (self._days >= filters.date_from[:10]).astype(bool)
            if filters.date_to is not None:
                mask &= (self._days <= filters.date_to[:10]).astype(bool)
        return np.flatnonzero(mask).astype(np.int64)
