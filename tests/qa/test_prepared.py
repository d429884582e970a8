"""Prepared caches: built once, checked on every load; a stale or damaged one is reported, rebuilt, never used."""

from __future__ import annotations

import json
import logging
from pathlib import Path

import pytest

from qa.prepared import MANIFEST, PreparedCache, load_prepared


class Source:
    """A source whose files are built on demand, counting builds."""

    def __init__(self, text: str = "hello") -> None:
        self.text = text
        self.builds = 0

    def build(self) -> dict[str, bytes]:
        self.builds += 1
        return {"data.txt": self.text.encode(), "meta.json": json.dumps({"n": len(self.text)}).encode()}


def parse(files: dict[str, bytes]) -> str:
    text = files["data.txt"].decode()
    if len(text) != json.loads(files["meta.json"])["n"]:
        raise ValueError("length mismatch")
    return text


def _cache(tmp_path: Path, version: str = "1") -> PreparedCache:
    return PreparedCache(tmp_path / "models" / "thing", {"source": version}, "test table")


def test_built_on_first_use_then_loaded_without_building(tmp_path: Path, caplog) -> None:
    src = Source()
    with caplog.at_level(logging.WARNING, logger="qa.prepared"):
        assert load_prepared(_cache(tmp_path), src.build, parse) == "hello"
        assert load_prepared(_cache(tmp_path), src.build, parse) == "hello"
    assert src.builds == 1
    assert not caplog.records  # a missing cache is built quietly
    manifest = json.loads((tmp_path / "models" / "thing" / MANIFEST).read_text())
    assert manifest["key"] == {"source": "1"} and set(manifest["files"]) == {"data.txt", "meta.json"}


def test_a_stale_cache_is_rebuilt_and_reported(tmp_path: Path, caplog) -> None:
    load_prepared(_cache(tmp_path, "1"), Source("old").build, parse)
    new = Source("new text")
    with caplog.at_level(logging.WARNING, logger="qa.prepared"):
        assert load_prepared(_cache(tmp_path, "2"), new.build, parse) == "new text"
    assert new.builds == 1
    assert "stale" in caplog.text and "rebuilding" in caplog.text


@pytest.mark.parametrize(
    "damage",
    [
        lambda folder: (folder / "data.txt").write_bytes(b"hellp"),  # same size, one byte flipped
        lambda folder: (folder / "data.txt").write_bytes(b"hel"),  # truncated
        lambda folder: (folder / "data.txt").unlink(),
        lambda folder: (folder / MANIFEST).write_text("{not json"),
    ],
    ids=["flipped-byte", "truncated", "missing-file", "bad-manifest"],
)
def test_a_damaged_cache_is_detected_rebuilt_reported_and_never_used(tmp_path: Path, caplog, damage) -> None:
    load_prepared(_cache(tmp_path), Source().build, parse)
    damage(tmp_path / "models" / "thing")
    seen: list[str] = []

    def recording_parse(files: dict[str, bytes]) -> str:
        seen.append(files["data.txt"].decode())
        return parse(files)

    src = Source()
    with caplog.at_level(logging.WARNING, logger="qa.prepared"):
        assert load_prepared(_cache(tmp_path), src.build, recording_parse) == "hello"
    assert src.builds == 1
    assert seen == ["hello"]  # the damaged bytes never reached the loader
    assert "rebuilding" in caplog.text
    assert load_prepared(_cache(tmp_path), Source("unused").build, parse) == "hello"  # the rebuilt one


def test_files_that_do_not_parse_count_as_damage(tmp_path: Path, caplog) -> None:
    from qa.prepared import write_cache

    write_cache(_cache(tmp_path), {"data.txt": b"hello", "meta.json": b'{"n": 99}'})  # checksums fine
    src = Source()
    with caplog.at_level(logging.WARNING, logger="qa.prepared"):
        assert load_prepared(_cache(tmp_path), src.build, parse) == "hello"
    assert src.builds == 1 and "do not parse" in caplog.text
