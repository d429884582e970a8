"""Frozen configs rebuilt from saved dicts: unknown, missing or invalid fields are a clear QAError."""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from qa.configs import ConfigMismatchError, config_from_dict
from qa.errors import QAError
from qa.passages import ChunkConfig


@dataclass(frozen=True)
class Needs:
    size: int
    name: str = "x"


def test_round_trip_and_defaults() -> None:
    assert config_from_dict(ChunkConfig, {"max_chars": 300}) == ChunkConfig(max_chars=300)
    assert config_from_dict(ChunkConfig, None) == ChunkConfig()
    assert config_from_dict(Needs, {"size": 2}) == Needs(2)


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"max_chars": 300, "max_chr": 1}, "unknown field.*max_chr"),
        ([1, 2], "not an object"),
        ({"max_chars": 0}, "not valid here.*max_chars"),
    ],
)
def test_mismatches_are_clear_errors(data: object, message: str) -> None:
    with pytest.raises(ConfigMismatchError, match=message) as info:
        config_from_dict(ChunkConfig, data, hint="re-index")  # type: ignore[arg-type]
    assert isinstance(info.value, QAError) and str(info.value).endswith("re-index")


def test_missing_required_field() -> None:
    with pytest.raises(ConfigMismatchError, match="missing field.*size.*another version"):
        config_from_dict(Needs, {"name": "y"})
