"""The document file types the loader reads, in one place (loader, CLI help, error messages, UI uploads)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from qa.cleaning import Format

TEXT_FORMATS: Mapping[str, Format] = {
    ".txt": "auto",
    ".md": "auto",
    ".markdown": "auto",
    ".html": "html",
    ".htm": "html",
}
BINARY_FORMATS: frozenset[str] = frozenset({".pdf", ".docx"})  # need the `docs` extra (pypdf, python-docx)
SUPPORTED_SUFFIXES: tuple[str, ...] = (*TEXT_FORMATS, *sorted(BINARY_FORMATS))


def supported_list(sep: str = " ") -> str:
    """The supported suffixes for messages and help texts, e.g. ".txt .md ... .docx"."""
    return sep.join(SUPPORTED_SUFFIXES)
