"""Packing a run for shipping: recorded scores must have been decoded as the shipped calibration says."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from training.reader_export import main


def test_scores_decoded_with_another_typed_span_margin_are_refused(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    calibration = tmp_path / "calibration.json"
    calibration.write_text(json.dumps({"typed_span_margin": 0.5}))
    scores = tmp_path / "cmrc100.json"
    scores.write_text(json.dumps({"questions": 100, "f1": 0.77, "typed_span_margin": 0.0}))
    out = tmp_path / "weights"
    code = main(
        [str(tmp_path / "run"), "--out", str(out), "--scores", str(scores), "--calibration", str(calibration)]
    )
    assert code == 2
    err = capsys.readouterr().err
    assert "typed_span_margin 0.0" in err and "--typed-span-margin 0.5" in err
    assert not out.exists()  # nothing written
