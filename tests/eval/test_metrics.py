"""Metrics against hand-computed values (CMRC 2018 EM/F1 semantics, recall/MRR, latency, abstention)."""

from __future__ import annotations

import math

import numpy as np
import pytest

from eval import metrics as m

# --------------------------------------------------------------------------- segmentation


def test_segmentation_cjk_chars_and_ascii_runs():
    assert m.mixed_segmentation("2018年5月") == ["2018", "年", "5", "月"]
    assert m.mixed_segmentation("  Hello, World! ") == ["hello", ",", "world", "!"]


def test_segmentation_removed_punctuation_does_not_split_a_run():
    # the script `continue`s past punctuation without flushing: 'ω-force' is one token
    assert m.mixed_segmentation("光荣和ω-force", rm_punc=True) == ["光", "荣", "和", "ωforce"]
    assert m.mixed_segmentation("光荣和ω-force") == ["光", "荣", "和", "ω", "-", "force"]


def test_segmentation_whitespace_between_cjk_yields_no_token():
    assert m.mixed_segmentation("北 京", rm_punc=True) == ["北", "京"]


def test_segmentation_uses_nltk_word_rules():
    assert m.mixed_segmentation("12.5%") == ["12.5", "%"]
    assert m.mixed_segmentation("U.S.") == ["u.s", "."]
    assert m.mixed_segmentation("don't") == ["do", "n't"]
    assert m.mixed_segmentation("(roughly 3,36 euros)") == ["(", "roughly", "3,36", "euros", ")"]


def test_remove_punctuation_follows_the_fixed_list():
    assert m.remove_punctuation(" 《战国无双3》， ") == "战国无双3"
    assert m.remove_punctuation("A-B") == "ab"
    assert m.remove_punctuation("北 京") == "北 京"  # inner whitespace is kept for EM
    assert m.remove_punctuation("好…") == "好…"  # '……' is one two-char entry: a lone '…' stays (script quirk)
    assert m.remove_punctuation("好,.") == "好,."  # ASCII comma/period are not in the list


def test_find_lcs_is_contiguous():
    seq, n = m.find_lcs(list("北京大学"), list("北大学"))
    assert (list(seq), n) == (["大", "学"], 2)
    assert m.find_lcs([], ["a"])[1] == 0


# --------------------------------------------------------------------------- EM / F1


@pytest.mark.parametrize(
    ("pred", "answers", "em", "f1"),
    [
        ("光荣和ω-force", ["光荣和ω-force"], 1.0, 1.0),
        ("光荣", ["光荣和ω-force"], 0.0, 2 / 3),  # P=2/2, R=2/4
        ("new york", ["New York City"], 0.0, 0.8),  # P=1, R=2/3
        ("战国无双3", ["《战国无双3》"], 1.0, 1.0),  # punctuation ignored
        ("北京", ["北 京"], 0.0, 1.0),  # whitespace kept by EM, not a token for F1
        ("2018年5月", ["2018年"], 0.0, 2 / 3),  # P=2/4, R=1
        ("北大学", ["北京大学"], 0.0, 4 / 7),  # LCS '大学': P=2/3, R=2/4
        ("北京市", ["北京", "北京市"], 1.0, 1.0),  # best gold answer counts
        ("北京", ["上海", "北京大学"], 0.0, 2 / 3),
        ("。", ["北京"], 0.0, 0.0),  # punctuation-only prediction has no tokens
        ("The Beatles", ["the beatles"], 1.0, 1.0),
    ],
)
def test_em_f1_hand_computed(pred, answers, em, f1):
    assert m.exact_match(pred, answers) == em
    assert m.f1_score(pred, answers) == pytest.approx(f1)
    assert m.cmrc_em(answers, pred) == em
    assert m.cmrc_f1(answers, pred) == pytest.approx(f1)


def test_unanswerable_and_abstention_scoring():
    assert m.exact_match(None, []) == 1.0 and m.f1_score(None, []) == 1.0
    assert m.exact_match("北京", []) == 0.0 and m.f1_score("北京", []) == 0.0
    assert m.exact_match(None, ["北京"]) == 0.0 and m.f1_score(None, ["北京"]) == 0.0


def test_cmrc_f1_needs_gold():
    with pytest.raises(ValueError, match="gold answer"):
        m.cmrc_f1([], "x")


def test_answer_metrics_split_by_answerability():
    # q1 answerable right, q2 answerable abstained, q3 unanswerable abstained, q4 unanswerable answered
    em = [1.0, 0.0, 1.0, 0.0]
    f1 = [1.0, 0.0, 1.0, 0.0]
    out = m.answer_metrics(em, f1, [True, True, False, False], [False, True, True, False])
    assert out == {
        "exact_match": 0.5,
        "f1": 0.5,
        "has_answer_exact_match": 0.5,
        "has_answer_f1": 0.5,
        "no_answer_accuracy": 0.5,
        "answerable_abstain_rate": 0.5,
    }
    only_answerable = m.answer_metrics([1.0], [0.5], [True], [False])
    assert only_answerable["no_answer_accuracy"] is None and only_answerable["f1"] == 0.5
    with pytest.raises(ValueError):
        m.answer_metrics([1.0], [], [True], [False])


# --------------------------------------------------------------------------- retrieval


def test_normalize_for_match():
    assert m.normalize_for_match("Ｈｅｌｌｏ， World！") == "helloworld"
    assert m.normalize_for_match("《战国 无双3》。") == "战国无双3"


def test_contains_answer_and_first_hit_rank():
    assert m.contains_answer("游戏由光荣和 ω-Force 合作开发。", ["光荣和ω-force"])
    assert not m.contains_answer("游戏由光荣开发。", ["光荣和ω-force"])
    assert not m.contains_answer("任何文本", ["。"])  # an answer that normalizes to nothing never matches
    passages = [("d1", "没有答案"), ("d2", "北京是首都"), ("d1", "首都是北京")]
    assert m.first_hit_rank(passages, ["北京"]) == 2
    assert m.first_hit_rank(passages, ["北京"], doc_id="d1") == 3
    assert m.first_hit_rank(passages, ["上海"]) is None


def test_recall_and_mrr():
    ranks = [1, 3, None, 12]
    out = m.retrieval_metrics(ranks)
    assert out == pytest.approx(
        {"recall@1": 0.25, "recall@5": 0.5, "recall@10": 0.5, "recall@20": 0.75, "mrr@10": (1 + 1 / 3) / 4}
    )
    assert m.retrieval_metrics([]) == dict.fromkeys(out)
    curve = m.recall_curve(ranks, 20)
    assert len(curve) == 20 and curve[0] == 0.25 and curve[2] == 0.5 and curve[11] == 0.75


# --------------------------------------------------------------------------- latency / abstention


def test_percentile_matches_numpy():
    values = [5.0, 1.0, 4.0, 2.0, 3.0, 10.0, 7.5]
    for q in (0, 50, 95, 100):
        assert m.percentile(values, q) == pytest.approx(float(np.percentile(values, q)))
    assert m.percentile([1.0, 2.0, 3.0, 4.0], 95) == pytest.approx(3.85)
    assert m.latency_metrics([]) == {"latency_ms_p50": None, "latency_ms_p95": None}
    with pytest.raises(ValueError):
        m.percentile([1.0], 101)


def test_abstention_curve():
    points = m.abstention_curve(
        [0.9, 0.2, 0.5, None], [False, False, False, True], [True, True, False, False]
    )
    assert points[0] == (-math.inf, 0.0, 0.5)  # current operating point
    assert [(t, x, y) for t, x, y in points[1:]] == [(0.2, 0.5, 0.5), (0.5, 0.5, 1.0), (0.9, 1.0, 1.0)]
    assert m.abstention_curve([0.5], [False], [True]) == []  # no unanswerable questions: undefined
