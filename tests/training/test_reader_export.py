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


def test_recalibrating_keeps_the_trade_off_curve_out_of_the_manifest(tmp_path: Path) -> None:
    from qa.readers.neural.weights import read_manifest, write_manifest

    write_manifest(tmp_path, {"window": {"max_len": 256}, "calibration": {"abstain_threshold": 0.5}})
    calibration = tmp_path / "calibration.json"
    curve = {"0.30": {"zh": {"answerable": 0.07, "unanswerable": 0.8}}}
    calibration.write_text(json.dumps({"abstain_threshold": 0.34, "abstained_by_threshold": curve}))
    assert main(["--recalibrate", "--out", str(tmp_path), "--calibration", str(calibration)]) == 0
    manifest = read_manifest(tmp_path)
    assert manifest["calibration"] == {"abstain_threshold": 0.34}
    assert manifest["window"] == {"max_len": 256}
