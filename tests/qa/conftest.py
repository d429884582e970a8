"""Fixtures for qa tests: a real-model index of the bundled corpus, built once per session."""

from __future__ import annotations

from pathlib import Path

import pytest


@pytest.fixture(scope="session")
def bundled_qa(tmp_path_factory: pytest.TempPathFactory):
    """QA over the bundled corpus with the default e5-small model (the model folder is cached)."""
    from qa.api import QA

    return QA.build(None, tmp_path_factory.mktemp("bundled") / "index")


@pytest.fixture(scope="session")
def gold_path() -> Path:
    return Path(__file__).resolve().parents[2] / "eval" / "gold" / "corpus.jsonl"
