"""The calibration's fitting pieces on synthetic outcomes (the full command needs the shared data)."""

from __future__ import annotations

import numpy as np

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
