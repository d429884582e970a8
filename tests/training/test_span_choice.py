"""The learned n-best choice: features, the listwise fit and its cross-validation, on made-up candidates."""

from __future__ import annotations

import numpy as np
import pytest

from qa.readers.rules.answer_types import classify_question
from training.span_choice import Candidate, Question, _masses, cross_validate, design, features, fit, oracle

CONTEXT = "公司成立于2015年的北京，总部设在北京。"


def _question(i: int) -> Question:
    """A who-question whose model ranks a longer span first; the exact answer is the shorter one."""
    long_ = Candidate(2, 10, score=5.0 + i % 3, rank=0, tokens=6, raw=(2, 10), em=0.0, f1=0.5)
    short = Candidate(5, 10, score=4.0 + i % 3, rank=1, tokens=3, raw=(5, 10), em=1.0, f1=1.0)
    cands = [long_, short]
    _masses(cands)
    return Question(
        "公司哪一年成立？", CONTEXT, ["2015年"], classify_question("公司哪一年成立？"), long_.score, cands
    )


def test_masses_sum_the_probability_of_spans_sharing_an_edge() -> None:
    q = _question(0)
    long_, short = q.candidates
    assert long_.mass["start"] == pytest.approx(1 / (1 + np.exp(-1.0)))
    assert short.mass["end"] == pytest.approx(1.0)  # both end at 10
    assert long_.mass["containing"] == pytest.approx(long_.mass["start"])  # only itself contains it
    assert long_.mass["inside"] == pytest.approx(1.0)  # the short span lies inside the long one


def test_features_have_one_fixed_length_and_see_the_length() -> None:
    q = _question(0)
    a, b = (features(q, c) for c in q.candidates)
    assert len(a) == len(b)
    assert a[0] == 0.0 and b[0] == pytest.approx(-1.0)  # score gap to the best span
    assert a[2] > b[2]  # log characters


def test_the_fit_learns_to_prefer_the_exact_short_span_and_cross_validates() -> None:
    qs = [_question(i) for i in range(30)]
    xs, ys = design(qs)
    assert all(y is not None and y.tolist() == [0.0, 1.0] for y in ys)
    w = fit(xs, ys, l2=0.1)
    assert all(int(np.argmax(x[:, 0])) == 0 for x in xs)  # the model's own ranking picks the long span
    assert all(int(np.argmax(x @ w)) == 1 for x in xs)
    scores = cross_validate({"set": qs}, ["set"], l2=0.1)
    assert scores["set"] == {"em": 1.0, "f1": 1.0}
    assert oracle(qs) == 1.0


def test_a_question_with_no_overlapping_candidate_is_left_out_of_the_fit() -> None:
    q = _question(0)
    for c in q.candidates:
        c.em, c.f1 = 0.0, 0.0
    xs, ys = design([q])
    assert ys == [None]
    with pytest.raises(ValueError, match="no question"):
        fit(xs, ys)
