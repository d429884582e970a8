"""Shipped weights: int8 round trip, manifest checks, clear errors for damaged or missing files."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from qa.errors import QAError
from qa.readers.neural.weights import (
    WEIGHTS_DIR,
    WEIGHTS_FILE,
    ReaderWeightsError,
    dequantize,
    load_weights,
    quantize,
    read_manifest,
    write_weights,
)


def _state() -> dict[str, np.ndarray]:
    rng = np.random.default_rng(0)
    return {
        "bert.encoder.layer.0.attention.self.query.weight": rng.normal(size=(8, 16)).astype(np.float32),
        "bert.encoder.layer.0.attention.self.query.bias": rng.normal(size=8).astype(np.float32),
        "bert.embeddings.position_embeddings.weight": rng.normal(size=(4, 16)).astype(np.float32),
        "qa_outputs.weight": np.zeros((2, 16), dtype=np.float32),
    }


def test_quantize_round_trip_is_close_per_channel() -> None:
    state = _state()
    packed = quantize(state)
    assert packed["bert.encoder.layer.0.attention.self.query.weight.q8"].dtype == np.int8
    assert packed["bert.embeddings.position_embeddings.weight"].dtype == np.float16  # embeddings stay float
    back = dequantize(packed)
    assert set(back) == set(state)
    w = state["bert.encoder.layer.0.attention.self.query.weight"]
    err = np.abs(back["bert.encoder.layer.0.attention.self.query.weight"] - w).max(axis=1)
    assert np.all(err <= np.abs(w).max(axis=1) / 127 / 2 + 1e-6)
    assert np.array_equal(back["qa_outputs.weight"], state["qa_outputs.weight"])  # an all-zero row survives


def test_written_weights_load_and_damage_is_reported(tmp_path: Path) -> None:
    write_weights(tmp_path, _state(), {"window": {"max_len": 64}})
    state, manifest = load_weights(tmp_path)
    assert manifest["window"] == {"max_len": 64} and set(state) == set(_state())
    with open(tmp_path / WEIGHTS_FILE, "r+b") as f:
        f.seek(-3, 2)
        f.write(b"xyz")
    with pytest.raises(ReaderWeightsError, match="does not match its manifest"):
        load_weights(tmp_path)
    (tmp_path / WEIGHTS_FILE).unlink()
    with pytest.raises(ReaderWeightsError, match="missing"):
        load_weights(tmp_path)


def test_missing_manifest_is_a_user_facing_error(tmp_path: Path) -> None:
    with pytest.raises(QAError, match="manifest"):
        read_manifest(tmp_path)


def test_shipped_weights_are_small_and_match_their_manifest() -> None:
    manifest = read_manifest(WEIGHTS_DIR)
    assert (WEIGHTS_DIR / WEIGHTS_FILE).stat().st_size <= 25 * 1024 * 1024
    assert (WEIGHTS_DIR / "LICENCE.md").is_file()
    assert {"base_fingerprint", "training", "window", "licence"} <= set(manifest)
    state, _ = load_weights(WEIGHTS_DIR)
    assert not any(k.startswith("bert.embeddings.word_embeddings") for k in state)
