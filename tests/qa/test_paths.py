"""Cache and index locations follow $QA_CACHE_DIR and $QA_INDEX_DIR."""

from __future__ import annotations

from pathlib import Path

import pytest

from qa import paths


def test_defaults_and_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.delenv("QA_CACHE_DIR", raising=False)
    monkeypatch.delenv("QA_INDEX_DIR", raising=False)
    assert paths.cache_dir() == Path.home() / ".cache" / "qa"
    assert paths.default_index_dir() == Path.home() / ".cache" / "qa" / "index" / "default"
    monkeypatch.setenv("QA_CACHE_DIR", str(tmp_path / "c"))
    assert paths.models_dir() == tmp_path / "c" / "models"
    assert paths.models_dir(tmp_path / "x") == tmp_path / "x" / "models"
    assert paths.default_index_dir() == tmp_path / "c" / "index" / "default"
    monkeypatch.setenv("QA_INDEX_DIR", str(tmp_path / "i"))
    assert paths.default_index_dir() == tmp_path / "i"


def test_bundled_corpus_is_found_or_a_clear_error(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    assert (paths.bundled_corpus() / "000_09653c7b21f379b6.txt").is_file()
    monkeypatch.setattr(paths, "BUNDLED_CORPUS", tmp_path / "gone")
    with pytest.raises(paths.QAError, match="bundled corpus is missing"):
        paths.bundled_corpus()
