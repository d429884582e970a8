"""The abstention trade-off plot: curves from a calibration's record, and a clear error without them."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from training.plot_abstention import curves, main

CAL = {
    "abstain_threshold": 0.34,
    "abstain_threshold_en": 0.17,
    "abstained_by_threshold": {
        "0.34": {
            "zh": {"answerable": 0.08, "unanswerable": 0.82},
            "en": {"answerable": 0.28, "unanswerable": 0.66},
        },
        "0.17": {
            "zh": {"answerable": 0.01, "unanswerable": 0.63},
            "en": {"answerable": 0.07, "unanswerable": 0.34},
        },
    },
}


def test_curves_are_per_language_by_rising_threshold() -> None:
    assert curves(CAL) == {
        "zh": [(0.17, 0.01, 0.63), (0.34, 0.08, 0.82)],
        "en": [(0.17, 0.07, 0.34), (0.34, 0.28, 0.66)],
    }


def test_the_plot_is_written(tmp_path: Path) -> None:
    cal = tmp_path / "cal.json"
    cal.write_text(json.dumps(CAL))
    assert main([str(cal), "--out", str(tmp_path / "plot.svg")]) == 0
    assert (tmp_path / "plot.svg").read_text().lstrip().startswith("<?xml")


def test_a_calibration_without_the_curve_says_to_run_it_again() -> None:
    with pytest.raises(SystemExit, match="run training.reader_calibrate again"):
        curves({"abstain_threshold": 0.34})
