"""The calibration's fitting pieces on synthetic outcomes (the full command needs the shared data)."""

from __future__ import annotations

import json

import numpy as np
import pytest

from training.reader_calibrate import Outcome, _choose_threshold, _fit_logistic


def test_logistic_fit_recovers_the_weights_that_made_the_labels() -> None:
    rng = np.random.default_rng(0)
    x = np.stack([rng.normal(0, 3, 20000), rng.uniform(0.7, 0.95, 20000)], axis=1)
    p = 1 / (1 + np.exp(-(0.5 * x[:, 0] + 12.0 * x[:, 1] - 10.0)))
    y = (rng.uniform(size=len(p)) < p).astype(float)
    w = _fit_logistic(x, y)
    assert np.allclose(w, [0.5, 12.0, -10.0], atol=[0.05, 1.5, 1.3])


def test_threshold_trades_answered_f1_against_abstentions() -> None:
    curve = {"conf_scale": 1.0, "conf_dense": 0.0, "conf_bias": 0.0}
    outcomes = [
        Outcome(3.0, 0.9, 1.0, True),  # confident and right: answer it
        Outcome(-0.5, 0.9, 0.0, True),  # unsure and wrong: abstaining costs nothing
        Outcome(-0.2, 0.9, 0.0, False),  # unanswerable: only abstaining scores
        Outcome(-3.0, 0.9, 0.0, False),
    ]
    threshold, table = _choose_threshold(outcomes, curve)
    # confidences 0.95, 0.38, 0.45, 0.05: from 0.50 on only the first is answered (1 + 0 + 1 + 1) / 4;
    # answering all scores (1 + 0 + 0 + 0) / 4, and 0.40 still answers the third (1 + 0 + 0 + 1) / 4
    assert threshold == 0.5 and table["0.50"] == 0.75 and table["0.00"] == 0.25 and table["0.40"] == 0.5


def test_decoding_settings_are_chosen_by_em_plus_f1_and_ties_go_to_the_smaller() -> None:
    from training.reader_calibrate import best_decoding

    table = {
        "0.0": {"em": 0.45, "f1": 0.75},
        "0.5": {"em": 0.46, "f1": 0.75},
        "1.0": {"em": 0.45, "f1": 0.76},
    }
    assert best_decoding(table) == 0.5  # 1.21 ties 1.21: the smaller
    table["2.0"] = {"em": 0.47, "f1": 0.76}
    assert best_decoding(table) == 2.0
    assert best_decoding({"0.0": {"em": 0.5, "f1": 0.7}, "0.1": {"em": 0.4, "f1": 0.7}}) == 0.0


def test_english_questions_without_an_answer_are_weighted_to_the_chinese_share() -> None:
    from training.reader_calibrate import english_unanswerable_weight

    zh = [Outcome(0, 0, 0, True)] * 80 + [Outcome(0, 0, 0, False)] * 20  # 20% without an answer
    en = [Outcome(0, 0, 0, True, True)] * 40 + [Outcome(0, 0, 0, False, True)] * 60  # 60%
    w = english_unanswerable_weight(zh + en)
    assert w == (20 / 80) * (40 / 60)
    assert 60 * w / (40 + 60 * w) == 0.2  # English now 20% without an answer, as Chinese
    assert english_unanswerable_weight(zh) == 1.0  # no English questions: nothing to balance


def test_weighting_english_unanswerables_down_lowers_the_threshold_they_push_up() -> None:
    curve = {
        "conf_scale": 1.0,
        "conf_dense": 0.0,
        "conf_bias": 0.0,
        "conf_dense_en": 0.0,
        "conf_bias_en": 0.0,
    }
    outcomes = [
        Outcome(0.405, 0.9, 1.0, True, True),  # confidence 0.60, right
        Outcome(0.847, 0.9, 0.0, False, True),  # 0.70, no answer
        Outcome(0.944, 0.9, 0.0, False, True),  # 0.72, no answer
    ]
    unweighted, _ = _choose_threshold(outcomes, curve)
    weighted, table = _choose_threshold(outcomes, curve, english_no=0.25)
    # unweighted, abstaining on all (2 / 3) beats answering all (1 / 3); weighted, (0.25 + 0.25) / 1.5 loses
    # to answering all, (1 + 0 + 0) / 1.5
    assert unweighted == 0.75 and weighted == 0.0
    assert abs(table["0.00"] - 1 / 1.5) < 1e-9


def test_a_weighted_fit_moves_the_bias_by_the_log_odds_of_the_weight() -> None:
    rng = np.random.default_rng(1)
    x = rng.normal(0, 2, 20000)
    y = (rng.uniform(size=len(x)) < 1 / (1 + np.exp(-(0.8 * x - 1.0)))).astype(float)
    plain = _fit_logistic(x, y)
    weighted = _fit_logistic(x, y, sample_weight=np.where(y == 0, 0.5, 1.0))
    assert abs(weighted[0] - plain[0]) < 0.05 and abs((weighted[1] - plain[1]) - np.log(2)) < 0.05


@pytest.mark.slow
def test_questions_asked_again_find_no_passage_with_their_answer() -> None:
    """The calibration's corpus-holds-no-answer case: a seeded share of the answerable questions, asked
    again of the index with every passage holding their answer taken out."""
    from training.data import Example, context_documents
    from training.reader_calibrate import open_domain

    contexts = [
        "金坤新材的实际控制人兼总经理是陈亮。公司位于浙江。",
        "景丰科技的厂长是付重先，工厂在河北。",
        "汇博医疗在北京和郑州建立了运营中心。",
        "浙江众成是国内POF热收缩膜市场占有率排名第一的企业。",
    ]
    answers = ["陈亮", "付重先", "北京和郑州", "浙江众成"]
    held = [
        Example(f"q{i}", "t", f"c{i}", f"问题{i}：{a[:1]}是谁？", c, a, c.index(a))
        for i, (c, a) in enumerate(zip(contexts, answers, strict=True))
    ]
    held.append(Example("q4", "t", "c0", "没有答案的问题？", contexts[0], "", -1))
    out, hits, again = open_domain(held, context_documents(contexts), np.random.default_rng(0), 0.5)
    assert len(again) == 2 and all(e.start >= 0 for e in again)
    assert out[: len(held)] == held and len(out) == len(hits) == len(held) + 2
    for e, found, orig in zip(out[len(held) :], hits[len(held) :], again, strict=True):
        assert e.qid == orig.qid + ":not-in-corpus" and e.start == -1 and e.answer == ""
        assert found and all(orig.answer not in h.passage.text for h in found)


def test_unknown_calibration_source_is_a_usage_error(tmp_path, capsys) -> None:
    """`--sources` names the held-out sources to calibrate on; a name that is not a source stops the run
    before anything is read, saying which names exist."""
    from training.reader_calibrate import main

    run = tmp_path / "run"
    run.mkdir()
    (run / "train_config.json").write_text(
        json.dumps({"config": {"sources": ["cmrc"], "heldout_share": 0.05, "seed": 0}})
    )
    with pytest.raises(SystemExit) as info:
        main(
            [
                str(run),
                "--weights",
                str(tmp_path / "w"),
                "--out",
                str(tmp_path / "c.json"),
                "--sources",
                "cmrc,nope",
            ]
        )
    assert info.value.code == 2
    err = capsys.readouterr().err
    assert "unknown sources ['nope']" in err and "drcd" in err


def test_target_thresholds_keep_answerable_abstentions_under_the_target_per_language() -> None:
    from training.reader_calibrate import abstention_rates, target_thresholds

    curve = {
        "conf_scale": 1.0,
        "conf_dense": 0.0,
        "conf_bias": 0.0,
        "conf_dense_en": 0.0,
        "conf_bias_en": -2.0,
    }
    # Chinese answerable margins 0..9, English the same but with a lower bias; unanswerable ones low
    outcomes = [Outcome(float(m), 0.0, 1.0, True, en) for en in (False, True) for m in range(10)]
    outcomes += [Outcome(-3.0, 0.0, 0.0, False, en) for en in (False, True) for _ in range(5)]
    t = target_thresholds(outcomes, curve, 0.1)
    rates = abstention_rates(outcomes, curve, t)
    assert rates["zh"]["answerable"] <= 0.1 and rates["en"]["answerable"] <= 0.1
    # the highest such threshold: one step higher abstains on a second answerable question
    assert (
        abstention_rates(outcomes, curve, {"zh": t["zh"] + 0.01, "en": t["en"] + 0.01})["zh"]["answerable"]
        > 0.1
    )
    assert t["en"] < t["zh"]  # the English curve runs lower, so does its threshold
    assert rates["zh"]["unanswerable"] == 1.0 and rates["en"]["unanswerable"] == 1.0


def test_the_rule_readers_agreement_is_a_feature_of_the_confidence() -> None:
    from training.reader_calibrate import abstention_rates

    curve = {"conf_scale": 1.0, "conf_dense": 0.0, "conf_bias": 0.0, "conf_agree": 3.0}
    agreeing, alone = Outcome(-1.0, 0.0, 1.0, True, False, 1.0), Outcome(-1.0, 0.0, 1.0, True, False, 0.0)
    # sigmoid(2) = 0.88 answers at 0.5, sigmoid(-1) = 0.27 does not
    assert abstention_rates([agreeing], curve, {"zh": 0.5, "en": 0.5})["zh"]["answerable"] == 0.0
    assert abstention_rates([alone], curve, {"zh": 0.5, "en": 0.5})["zh"]["answerable"] == 1.0
