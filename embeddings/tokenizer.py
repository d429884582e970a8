"""One loaded tokenizer per tokenizer.json content per process, shared by the encoder and the span reader.

Building e5's 250k-piece Unigram model takes 0.6-0.9 s, so the shared tokenizer of a Unigram tokenizer.json
is a `SubsetUnigramTokenizer` (embeddings/unigram_subset.py): the same ids and offsets, from a prepared table,
in milliseconds. Any other tokenizer.json (or one that does not fit that scheme) is loaded whole. The ONNX
encoder and the neural reader read the same file (from different folders): one instance serves both. The
shared instance is unconfigured (no padding, no truncation): users pad and truncate themselves, so that one
caller's settings can never change another's tokens.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Sequence
from pathlib import Path
from typing import Any, Protocol

from embeddings.unigram_subset import (
    SubsetTokenizerError,
    TokenEncoding,
    from_hf,
    load_subset_tokenizer,
    read_source,
    source_key,
)
from qa.errors import QAError

_LOCK = threading.Lock()
_BY_DIGEST: dict[str, SharedTokenizer] = {}  # sha256 of the file's bytes -> its tokenizer
_BY_SOURCE: dict[str, SharedTokenizer] = {}  # the file's path, size, times and inode -> its tokenizer
log = logging.getLogger(__name__)


class SharedTokenizer(Protocol):
    """What the encoder and the span reader use of a tokenizer."""

    digest: str

    def token_to_id(self, token: str) -> int | None: ...

    def normalize(self, text: str) -> str: ...

    def encode_batch(self, texts: Sequence[str], add_special_tokens: bool = True) -> list[TokenEncoding]: ...


class FullTokenizer:
    """A whole `tokenizers.Tokenizer`, unconfigured, answering with TokenEncodings."""

    def __init__(self, tok: Any, digest: str) -> None:
        self.hf = tok
        self.digest = digest

    @property
    def truncation(self) -> Any:
        return self.hf.truncation

    @property
    def padding(self) -> Any:
        return self.hf.padding

    def token_to_id(self, token: str) -> int | None:
        return self.hf.token_to_id(token)

    def normalize(self, text: str) -> str:
        """``text`` as the tokenizer's normalizer makes it (full-width "，" -> ",")."""
        return self.hf.normalizer.normalize_str(text) if self.hf.normalizer is not None else text

    def encode_batch(self, texts: Sequence[str], add_special_tokens: bool = True) -> list[TokenEncoding]:
        return [from_hf(e) for e in self.hf.encode_batch(list(texts), add_special_tokens=add_special_tokens)]


class _FullLoader:
    """Loads the full `tokenizers.Tokenizer` of a tokenizer.json on its first call. Once ``expected`` (the
    sha256 of the content a prepared table was built from) is set, other content is a QAError."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.expected: str | None = None
        self.digest: str | None = None
        self._tok: Any = None
        self._lock = threading.Lock()

    def __call__(self) -> Any:
        from tokenizers import Tokenizer

        with self._lock:
            if self._tok is None:
                data, digest = read_source(self.path)
                tok = Tokenizer.from_str(data.decode("utf-8"))
                tok.no_padding()
                tok.no_truncation()
                self._tok, self.digest = tok, digest
            if self.expected is not None and self.digest != self.expected:
                raise QAError(f"{self.path} changed while this process used it; run the command again")
            return self._tok


def shared_tokenizer(path: Path) -> SharedTokenizer:
    """The tokenizer of this tokenizer.json, loaded once per distinct file content."""
    path = Path(path)
    source = repr(sorted(source_key(path).items()))
    with _LOCK:
        tok = _BY_SOURCE.get(source)
        if tok is not None:
            return tok
        full = _FullLoader(path)
        try:
            subset = load_subset_tokenizer(path, full)
            full.expected = subset.digest
            tok = _BY_DIGEST.setdefault(subset.digest, subset)
        except SubsetTokenizerError as exc:
            log.debug("loading %s whole: %s", path, exc)
            hf = full()
            tok = _BY_DIGEST.setdefault(str(full.digest), FullTokenizer(hf, str(full.digest)))
        _BY_SOURCE[source] = tok
        return tok
