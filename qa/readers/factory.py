"""Readers by name: the registry every CLI `--reader` choice, the UI setting and `QA(reader=...)` read.

Adding a reader is one module (or folder) with a class that has `name`, `config_class` (a frozen dataclass
deriving from :class:`~qa.readers.base.SharedReaderConfig`) and ``__init__(config, encoder=None)``, plus
one line in `_REGISTRY` below. Registry entries are imported only when that reader is made.
"""

from __future__ import annotations

import dataclasses
import importlib
import json
from collections.abc import Mapping, Sequence
from types import MappingProxyType
from typing import TYPE_CHECKING, Any

from qa.errors import InputError

if TYPE_CHECKING:
    from embeddings.base import Encoder
    from qa.readers.base import Reader

DEFAULT_READER = "neural"

# name -> "module:Class"
_REGISTRY: Mapping[str, str] = MappingProxyType({
    "rules": "qa.readers.rules.reader:RuleReader",
    "baseline": "qa.readers.baseline:ClauseBaselineReader",
    "neural": "qa.readers.neural.reader:NeuralReader",
})  # fmt: skip


def reader_names() -> tuple[str, ...]:
    """The registered reader names, the default first."""
    return (DEFAULT_READER, *(n for n in _REGISTRY if n != DEFAULT_READER))


def reader_class(name: str) -> Any:
    """The reader class registered as ``name`` (imported now); InputError for an unknown name."""
    try:
        target = _REGISTRY[name]
    except (KeyError, TypeError):
        raise InputError(f"unknown reader {name!r}: choose one of {', '.join(reader_names())}") from None
    module, _, cls = target.partition(":")
    return getattr(importlib.import_module(module), cls)


def parse_reader_options(items: Sequence[str] | None) -> dict[str, Any]:
    """``["runtime=torch-bf16", "threads=1"]`` (the CLI's repeatable ``--reader-option``) as options for
    `make_reader`; values are read as JSON where they parse (numbers, true/false, null), else kept as text."""
    options: dict[str, Any] = {}
    for item in items or ():
        key, sep, raw = item.partition("=")
        if not sep or not key.strip():
            raise InputError(f"reader option {item!r} is not KEY=VALUE (e.g. runtime=onnx-int8)")
        try:
            options[key.strip()] = json.loads(raw)
        except ValueError:
            options[key.strip()] = raw
    return options


def make_reader(name: str = DEFAULT_READER, *, encoder: Encoder | None = None, **options: Any) -> Reader:
    """A reader by name; ``options`` override fields of its config (``max_passages=3``)."""
    cls = reader_class(name)
    config_class = cls.config_class
    known = {f.name for f in dataclasses.fields(config_class)}
    unknown = sorted(set(options) - known)
    if unknown:
        raise InputError(
            f"reader {name!r} has no option {', '.join(map(repr, unknown))}; "
            f"its options: {', '.join(sorted(known))}"
        )
    return cls(config_class(**options), encoder=encoder)


def as_reader(reader: Reader | str | None, *, encoder: Encoder | None = None) -> Reader:
    """``reader`` itself, or the reader of that name (None: the default reader)."""
    if reader is None or isinstance(reader, str):
        return make_reader(reader or DEFAULT_READER, encoder=encoder)
    return reader
