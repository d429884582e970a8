"""Vector backends by name: the registry, lazy classes, and the clear error for an unknown name."""

from __future__ import annotations

import numpy as np
import pytest

from qa.errors import InputError
from qa.types import Passage
from qa.vectors.base import VectorIndexConfig, VectorStore
from qa.vectors.factory import backend_class, backend_names, create_store, open_store
from qa.vectors.faiss import FaissStore


def test_faiss_is_the_default_backend() -> None:
    assert VectorIndexConfig().backend == "faiss" and backend_names()[0] == "faiss"
    assert backend_class("faiss") is FaissStore


def test_create_and_open_pick_the_configured_backend(tmp_path) -> None:
    store = create_store(VectorIndexConfig(), 4, "fp")
    assert isinstance(store, FaissStore) and isinstance(store, VectorStore) and store.count() == 0
    passages = [Passage("d#0", "d", 0, 0, 1, "x")]
    store.upsert(passages, np.eye(1, 4, dtype=np.float32))
    store.save(tmp_path)
    back = open_store(tmp_path, VectorIndexConfig(), passages=passages, fingerprint="fp")
    assert back.count() == 1 and back.search_batch(np.eye(1, 4, dtype=np.float32), 1) == [[("d#0", 1.0)]]


def test_unknown_backend_lists_the_known_ones() -> None:
    assert backend_names() == ("faiss", "milvus")  # milvus is imported only when used (its own tests)
    with pytest.raises(InputError, match="unknown vector backend 'nope'.*faiss, milvus"):
        create_store(VectorIndexConfig(backend="nope"), 4, "fp")
    with pytest.raises(InputError, match="backend"):
        VectorIndexConfig(backend="")
