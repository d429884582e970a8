"""ONNX Runtime sessions loaded from a prepared, already optimized copy of a model: no graph optimization
at each process start.

ONNX Runtime optimizes a graph (fusions, int8 kernel choices, layout changes) every time a session is created
from a model file: about half of the session's start-up for the int8 encoder. The optimized graph is saved
once (``SessionOptions.optimized_model_filepath``) in a prepared cache beside the model (``qa.prepared``:
checksummed, rebuilt when the model file, ONNX Runtime's version or the CPU changes, since the fused graph can
hold kernels chosen for this CPU) and later sessions load it with graph optimizations off. The outputs are
the same bits as a session optimizing the original (tested); the ONNX format, not ORT's flatbuffer format,
which crashed ONNX Runtime on a fully optimized int8 graph.
"""

from __future__ import annotations

import functools
import hashlib
import logging
import tempfile
from pathlib import Path
from typing import Any

from qa.prepared import PreparedCache, PreparedCacheError, load_prepared

RECIPE_VERSION = "1"  # bump when the saved graph's options change
FILENAME = "model.onnx"
SUFFIX = ".optimized"  # the cache's folder: the model's folder name + this, beside it
log = logging.getLogger(__name__)


@functools.lru_cache(maxsize=1)
def cpu_signature() -> str:
    """A digest of the CPU's model name and feature flags (/proc/cpuinfo; "unknown" where unreadable)."""
    try:
        lines = Path("/proc/cpuinfo").read_text().splitlines()
    except OSError:
        return "unknown"
    wanted = [ln for ln in lines if ln.startswith(("model name", "flags"))][:2]
    return hashlib.sha256("\n".join(wanted).encode()).hexdigest()[:16] if wanted else "unknown"


def session_options(ort: Any, threads: int, *, optimize: bool) -> Any:
    """The project's CPU session options: one inter-op thread, ``threads`` intra-op threads, and all graph
    optimizations (``optimize``) or none (for an already optimized graph)."""
    options = ort.SessionOptions()
    options.graph_optimization_level = (
        ort.GraphOptimizationLevel.ORT_ENABLE_ALL if optimize else ort.GraphOptimizationLevel.ORT_DISABLE_ALL
    )
    options.inter_op_num_threads = 1
    options.intra_op_num_threads = threads
    return options


def _key(ort: Any, path: Path) -> dict[str, Any]:
    st = path.stat()
    return {
        "kind": "onnxruntime-optimized",
        "recipe": RECIPE_VERSION,
        "onnxruntime": ort.__version__,
        "cpu": cpu_signature(),
        "source": str(path.resolve()),
        "source_size": st.st_size,
        "source_mtime_ns": st.st_mtime_ns,
    }


def _build(ort: Any, path: Path) -> dict[str, bytes]:
    """The model optimized by ONNX Runtime with every graph optimization, as ONNX bytes."""
    with tempfile.TemporaryDirectory(prefix="qa-ort-") as tmp:
        out = Path(tmp) / FILENAME
        options = session_options(ort, 1, optimize=True)
        options.optimized_model_filepath = str(out)
        options.log_severity_level = 3  # no "hardware specific optimizations" warning: the key names the CPU
        ort.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])
        return {FILENAME: out.read_bytes()}


def prepared_folder(path: Path) -> Path:
    """Where the optimized copy of the model file ``path`` is kept: beside the model's folder."""
    return path.parent.parent / f"{path.parent.name}{SUFFIX}"


def optimized_session(ort: Any, path: Path, threads: int) -> Any:
    """A CPU ``InferenceSession`` for the model at ``path`` from its prepared optimized copy (built on first
    use, ~1 s). Errors loading the original model propagate; a damaged copy is reported and rebuilt."""
    path = Path(path)
    cache = PreparedCache(prepared_folder(path), _key(ort, path), f"optimized ONNX graph of {path.name}")

    def load(files: dict[str, bytes]) -> Any:
        try:
            options = session_options(ort, threads, optimize=False)
            return ort.InferenceSession(files[FILENAME], options, providers=["CPUExecutionProvider"])
        except Exception as exc:  # onnxruntime raises its own exception types for a damaged graph
            raise PreparedCacheError(f"damaged: onnxruntime cannot load it ({exc})") from exc

    try:
        return load_prepared(cache, lambda: _build(ort, path), load)
    except PreparedCacheError as exc:  # even a fresh copy does not load: optimize at each start, as before
        log.warning("%s; optimizing %s in this process instead", exc, path)
        return ort.InferenceSession(
            str(path), session_options(ort, threads, optimize=True), providers=["CPUExecutionProvider"]
        )
