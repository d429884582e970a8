"""The span model's runtimes: choice per CPU, clear errors, and agreement between runtimes."""

from __future__ import annotations

import sys
import threading
from pathlib import Path

import numpy as np
import pytest

from qa.errors import MissingDependencyError
from qa.readers.neural import runtime
from qa.readers.neural.weights import ReaderWeightsError


@pytest.mark.parametrize(
    ("flags", "openvino", "expected"),
    [
        ({"amx_bf16", "avx512_bf16"}, True, "openvino-bf16"),
        ({"amx_bf16", "avx512_bf16"}, False, "torch-bf16"),  # OpenVINO not installed
        ({"avx512_bf16"}, True, "openvino-bf16"),
        ({"avx512_bf16"}, False, "onnx-int8"),
        ({"avx2"}, True, "onnx-int8"),  # no native bf16: OpenVINO would compute in fp32
    ],
)
def test_auto_runtime_follows_the_cpu(
    monkeypatch: pytest.MonkeyPatch, flags: set[str], openvino: bool, expected: str
) -> None:
    monkeypatch.setattr(runtime, "cpu_has", lambda flag: flag in flags)
    monkeypatch.setattr(runtime, "openvino_available", lambda: openvino)
    assert runtime.auto_runtime() == expected
    assert runtime.cpu_bf16_kind() == (
        "amx" if "amx_bf16" in flags else "avx512_bf16" if flags != {"avx2"} else "none"
    )


def test_unknown_runtime_is_a_clear_error() -> None:
    with pytest.raises(ReaderWeightsError, match="choose one of auto, onnx-int8, openvino-bf16"):
        runtime.make_scorer("tensorrt")


def test_missing_openvino_names_the_install(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "openvino", None)  # import then raises ImportError
    assert not runtime.openvino_available()
    with pytest.raises(MissingDependencyError, match="pip install openvino"):
        runtime.make_scorer("openvino-bf16")


def test_damaged_openvino_build_says_what_to_delete(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    pytest.importorskip("openvino")
    build = tmp_path / "span-reader-ov-x"
    build.mkdir()
    (build / runtime.OV_FILENAME).write_text("<net>not a model")
    monkeypatch.setattr(runtime, "ensure_openvino", lambda weights_dir: build / runtime.OV_FILENAME)
    with pytest.raises(ReaderWeightsError, match=f"delete {build}"):
        runtime.OpenVinoScorer()


def _windows() -> tuple[np.ndarray, np.ndarray]:
    """Three padded windows of the shipped model's vocabulary, the last one shorter."""
    rng = np.random.default_rng(0)
    ids = rng.integers(5, 30000, size=(3, 96))
    ids[:, 0] = 0
    mask = np.ones_like(ids)
    ids[2, 50:], mask[2, 50:] = 1, 0
    return ids, mask


@pytest.mark.slow
def test_openvino_agrees_with_torch_fp32_and_is_thread_safe() -> None:
    """bf16 logits stay within 0.25 of fp32 (int8 strays 0.7 on these windows; the recorded F1 per runtime is
    pinned in test_reader.py), and concurrent calls on one scorer give what serial calls give."""
    ids, mask = _windows()
    ov = runtime.make_scorer("openvino-bf16", threads=1)
    ref = runtime.make_scorer("torch-fp32", threads=1)
    (s, e), (rs, re_) = ov(ids, mask), ref(ids, mask)
    assert s.shape == e.shape == ids.shape and s.dtype == np.float32
    keep = mask.astype(bool)
    assert np.abs(s - rs)[keep].max() < 0.25 and np.abs(e - re_)[keep].max() < 0.25
    results: list[tuple[np.ndarray, np.ndarray]] = []
    threads = [threading.Thread(target=lambda: results.append(ov(ids, mask))) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(results) == 4 and all(np.array_equal(r[0], s) and np.array_equal(r[1], e) for r in results)
