"""RowFilter: the same rows as Filters.accepts, for every kind of filter."""

from __future__ import annotations

import random

import pytest

from qa.filtering import RowFilter
from qa.types import Filters, Passage

DATES = [None, "2022-03-17", "2022-03-23", "2022-03-23T10:00", "2023-01-01", "", "2021"]


@pytest.mark.parametrize("seed", range(5))
def test_rows_equal_filters_accepts(seed: int) -> None:
    rng = random.Random(seed)
    passages = [Passage(f"p{i}", rng.choice("abcd"), 0, 0, 1, "t", date=rng.choice(DATES)) for i in range(60)]
    rows = RowFilter([p.doc_id for p in passages], [p.date for p in passages])
    bounds = [None, "2022-03-17", "2022-03-20", "2022-03-23", "2021", ""]
    for _ in range(40):
        docs = rng.choice([None, frozenset(), frozenset({"a"}), frozenset({"b", "d", "zz"})])
        f = Filters(doc_ids=docs, date_from=rng.choice(bounds), date_to=rng.choice(bounds))
        expected = [i for i, p in enumerate(passages) if f.accepts(p)]
        got = rows.rows(f)
        assert (got is None) == (not f.active)
        assert (list(range(len(passages))) if got is None else got.tolist()) == expected, f
