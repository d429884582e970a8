"""Weight soups of training runs: the average, its refusals, and its record for the weights' licence."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from training.reader_export import LICENCE_NOTE, licence_note
from training.soup import SoupError, main, soup

WINDOW = {"max_len": 256, "stride": 128, "max_question": 48, "max_answer_tokens": 40}


def _run(path: Path, tensors: dict[str, np.ndarray], **config: object) -> Path:
    from safetensors.numpy import save_file

    path.mkdir()
    save_file(tensors, str(path / "final.safetensors"))
    (path / "train_config.json").write_text(json.dumps({"config": {**WINDOW, **config}}))
    return path


def test_a_soup_is_the_weighted_average_of_its_runs(tmp_path: Path) -> None:
    a = _run(tmp_path / "a", {"w": np.array([1.0, 2.0], dtype=np.float32), "b": np.zeros(3, np.float32)})
    b = _run(tmp_path / "b", {"w": np.array([3.0, 6.0], dtype=np.float32), "b": np.ones(3, np.float32)})
    state, train = soup([a, b])
    assert state["w"].tolist() == [2.0, 4.0] and state["b"].tolist() == [0.5] * 3
    assert state["w"].dtype == np.float32
    state, train = soup([a, b], [3.0, 1.0])  # weights are normalised
    assert state["w"].tolist() == [1.5, 3.0]
    assert [m["weight"] for m in train["soup"]] == [0.75, 0.25]
    assert train["soup"][0]["run"] == str(a) and len(train["soup"][0]["sha256"]) == 64


def test_the_cli_writes_a_run_folder_that_export_reads(tmp_path: Path) -> None:
    a = _run(tmp_path / "a", {"w": np.ones(2, np.float32)}, code_switch_share=0.5)
    b = _run(tmp_path / "b", {"w": np.zeros(2, np.float32)})
    assert main([str(a), str(b), "--out", str(tmp_path / "s")]) == 0
    from safetensors.numpy import load_file

    assert load_file(str(tmp_path / "s" / "final.safetensors"))["w"].tolist() == [0.5, 0.5]
    train = json.loads((tmp_path / "s" / "train_config.json").read_text())
    assert (tmp_path / "s" / "metrics.jsonl").read_text() == ""
    # the last run's config leads, but a member that code-switched still gets CC-CEDICT credited
    assert train["config"].get("code_switch_share") is None
    assert licence_note(train) != LICENCE_NOTE and "CC-CEDICT" in licence_note(train)


def test_runs_that_differ_are_refused(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    a = _run(tmp_path / "a", {"w": np.ones(2, np.float32)})
    other_window = _run(tmp_path / "b", {"w": np.ones(2, np.float32)}, max_len=128)
    other_model = _run(tmp_path / "c", {"w": np.ones(3, np.float32)})
    with pytest.raises(SoupError, match="other windows"):
        soup([a, other_window])
    with pytest.raises(SoupError, match="other tensors"):
        soup([a, other_model])
    with pytest.raises(SoupError, match="at least two"):
        soup([a])
    with pytest.raises(SoupError, match="one positive weight per run"):
        soup([a, other_model], [1.0])
    with pytest.raises(SoupError, match="not a finished run"):
        soup([a, tmp_path])
    assert main([str(a), str(other_window), "--out", str(tmp_path / "s")]) == 2
    assert "error:" in capsys.readouterr().err and not (tmp_path / "s").exists()
