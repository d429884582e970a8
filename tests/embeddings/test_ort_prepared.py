"""ONNX Runtime sessions from a prepared optimized graph: the same outputs; stale or damaged copies rebuilt."""

from __future__ import annotations

import logging
import os
from pathlib import Path

import numpy as np
import pytest

ort = pytest.importorskip("onnxruntime")
onnx = pytest.importorskip("onnx")

from embeddings.ort_prepared import FILENAME, optimized_session, prepared_folder  # noqa: E402


def _model(path: Path, scale: float = 1.0) -> Path:
    """A small graph with something to optimize: x @ W + b, then Relu."""
    from onnx import TensorProto, helper, numpy_helper

    rng = np.random.default_rng(0)
    w = numpy_helper.from_array((rng.standard_normal((8, 4)) * scale).astype(np.float32), "W")
    b = numpy_helper.from_array(rng.standard_normal(4).astype(np.float32), "B")
    nodes = [
        helper.make_node("MatMul", ["x", "W"], ["xw"]),
        helper.make_node("Add", ["xw", "B"], ["h"]),
        helper.make_node("Relu", ["h"], ["y"]),
    ]
    graph = helper.make_graph(
        nodes, "g", [helper.make_tensor_value_info("x", TensorProto.FLOAT, ["n", 8])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, ["n", 4])], [w, b],
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    model.ir_version = 8
    path.parent.mkdir(parents=True, exist_ok=True)
    onnx.save(model, str(path))
    return path


def _x() -> dict[str, np.ndarray]:
    return {"x": np.random.default_rng(1).standard_normal((3, 8)).astype(np.float32)}


def _online(path: Path) -> np.ndarray:
    opts = ort.SessionOptions()
    opts.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    return ort.InferenceSession(str(path), opts, providers=["CPUExecutionProvider"]).run(None, _x())[0]


def test_the_prepared_session_gives_the_same_bits_and_is_cached(tmp_path: Path) -> None:
    path = _model(tmp_path / "m" / "model.int8.onnx")
    out = optimized_session(ort, path, 1).run(None, _x())[0]
    assert np.array_equal(out, _online(path))
    cached = prepared_folder(path) / FILENAME
    assert cached.is_file() and cached.parent == tmp_path / "m.optimized"
    mtime = cached.stat().st_mtime_ns
    assert np.array_equal(optimized_session(ort, path, 2).run(None, _x())[0], out)
    assert cached.stat().st_mtime_ns == mtime  # loaded, not rebuilt


def test_a_damaged_optimized_graph_is_rebuilt_and_reported(tmp_path: Path, caplog) -> None:
    path = _model(tmp_path / "m" / "model.onnx")
    optimized_session(ort, path, 1)
    cached = prepared_folder(path) / FILENAME
    cached.write_bytes(cached.read_bytes()[: cached.stat().st_size // 2])
    with caplog.at_level(logging.WARNING, logger="qa.prepared"):
        out = optimized_session(ort, path, 1).run(None, _x())[0]
    assert "damaged" in caplog.text
    assert np.array_equal(out, _online(path))


def test_a_changed_model_makes_the_optimized_graph_stale(tmp_path: Path, caplog) -> None:
    path = _model(tmp_path / "m" / "model.onnx")
    before = optimized_session(ort, path, 1).run(None, _x())[0]
    _model(path, scale=3.0)
    st = path.stat()
    os.utime(path, ns=(st.st_atime_ns, st.st_mtime_ns + 1_000_000_000))
    with caplog.at_level(logging.WARNING, logger="qa.prepared"):
        after = optimized_session(ort, path, 1).run(None, _x())[0]
    assert "stale" in caplog.text
    assert not np.array_equal(after, before) and np.array_equal(after, _online(path))
