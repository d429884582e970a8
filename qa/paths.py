"""Where the project keeps its files: the cache root, model folders, the default index, the bundled corpus."""

from __future__ import annotations

import os
from pathlib import Path

from qa.errors import QAError

CACHE_ENV = "QA_CACHE_DIR"
INDEX_ENV = "QA_INDEX_DIR"
BUNDLED_CORPUS = Path(__file__).resolve().parent.parent / "data" / "corpus"


def cache_dir() -> Path:
    """Where models and evaluation indexes are cached: $QA_CACHE_DIR or ~/.cache/qa."""
    env = os.environ.get(CACHE_ENV)
    return Path(env).expanduser() if env else Path.home() / ".cache" / "qa"


def models_dir(root: Path | None = None) -> Path:
    """The folder of cached model builds under `root` (default: the cache root)."""
    return (Path(root).expanduser() if root is not None else cache_dir()) / "models"


def default_index_dir() -> Path:
    """Where `qa index` writes without --index: $QA_INDEX_DIR or <cache>/index/default (outside the repo)."""
    env = os.environ.get(INDEX_ENV)
    return Path(env).expanduser() if env else cache_dir() / "index" / "default"


def bundled_corpus() -> Path:
    """The five seed articles shipped in a source checkout (data/corpus)."""
    if not BUNDLED_CORPUS.is_dir():
        raise QAError(
            f"the bundled corpus is missing at {BUNDLED_CORPUS}; run from a source checkout or pass PATHs"
        )
    return BUNDLED_CORPUS
