"""Frozen config dataclasses rebuilt from saved dicts (index manifests), with a clear error on a mismatch."""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from typing import Any, TypeVar

from qa.errors import QAError

C = TypeVar("C")


class ConfigMismatchError(QAError):
    """A saved config does not fit this version's config class (a field was renamed, removed or added)."""


def config_from_dict(cls: type[C], data: Mapping[str, Any] | None, *, hint: str = "") -> C:
    """`cls(**data)` for a dataclass, but unknown fields, missing required fields, wrong shapes and invalid
    values raise ConfigMismatchError naming the class and the fields (plus `hint`, e.g. how to re-index)."""
    if not dataclasses.is_dataclass(cls):
        raise TypeError(f"{cls!r} is not a dataclass")
    tail = f"; {hint}" if hint else ""
    if data is None:
        data = {}
    if not isinstance(data, Mapping):
        raise ConfigMismatchError(
            f"the saved {cls.__name__} is a {type(data).__name__}, not an object: it was written by another "
            f"version{tail}"
        )
    fields = {f.name: f for f in dataclasses.fields(cls) if f.init}
    unknown = sorted(set(data) - set(fields))
    missing = sorted(
        name
        for name, f in fields.items()
        if name not in data
        and f.default is dataclasses.MISSING
        and f.default_factory is dataclasses.MISSING
    )
    if unknown or missing:
        parts = []
        if unknown:
            parts.append(f"unknown field(s) {', '.join(unknown)}")
        if missing:
            parts.append(f"missing field(s) {', '.join(missing)}")
        raise ConfigMismatchError(
            f"the saved {cls.__name__} has {' and '.join(parts)}: it was written by another version{tail}"
        )
    try:
        return cls(**data)
    except (TypeError, ValueError) as exc:
        raise ConfigMismatchError(f"the saved {cls.__name__} is not valid here ({exc}){tail}") from None
