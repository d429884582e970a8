"""Vector backends by name: the index config's `backend` picks one; a new backend is one module + one line."""

from __future__ import annotations

import importlib
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from qa.errors import InputError
from qa.types import Passage
from qa.vectors.base import VectorIndexConfig, VectorStore

BACKENDS: dict[str, str] = {  # name -> "module:Class"; imported only when used
    "faiss": "qa.vectors.faiss:FaissStore",
    "milvus": "qa.vectors.milvus:MilvusStore",
}


def backend_names() -> tuple[str, ...]:
    """Every registered backend name, in registry order."""
    return tuple(BACKENDS)


def backend_class(name: str) -> Any:
    """The store class registered as `name`, or an InputError listing the names."""
    target = BACKENDS.get(name)
    if target is None:
        raise InputError(f"unknown vector backend {name!r}: choose one of {', '.join(BACKENDS)}")
    module, _, attr = target.partition(":")
    return getattr(importlib.import_module(module), attr)


def create_store(config: VectorIndexConfig, dim: int, fingerprint: str) -> VectorStore:
    """An empty store of the configured backend for vectors of `dim` dimensions from one model."""
    return backend_class(config.backend).create(config, dim, fingerprint)


def open_store(
    directory: Path, config: VectorIndexConfig, *, passages: Sequence[Passage], fingerprint: str
) -> VectorStore:
    """The configured backend's store saved in the index `directory`; `passages` are its rows in order."""
    return backend_class(config.backend).open(directory, config, passages=passages, fingerprint=fingerprint)
