"""jieba's two dictionary tables, each parsed once per process and kept in a prepared cache across processes.

jieba turns its 350k-line ``dict.txt`` into the tokenizer's prefix dictionary (``FREQ``: every word and every
prefix of one -> frequency, plus the total; jieba caches it itself with marshal in /tmp, ~0.6 s to load) and
``jieba.posseg``'s word -> part-of-speech table (parsed line by line on every ``import jieba.posseg`` and
again for every ``POSTokenizer``, ~0.25 s each). Both are kept as plain text plus ``.npy`` (no pickle, no
marshal) in prepared caches under the models folder (``qa.prepared``), keyed by jieba's version and the
dictionary's sha256, and rebuilt with jieba's own parser (``Tokenizer.gen_pfdict``; posseg's line format for
the tags) when either changes.
"""

from __future__ import annotations

import functools
import hashlib
import io
import json
from dataclasses import dataclass
from typing import Any

import numpy as np

from qa.paths import models_dir
from qa.prepared import PreparedCache, load_prepared

RECIPE_VERSION = "1"  # bump when the cached files' layout changes
PREFIX_DIR = "jieba-prefix-dict"
TAGS_DIR = "jieba-word-tags"


@dataclass(frozen=True)
class PrefixDict:
    """jieba's prefix dictionary: ``Tokenizer.FREQ`` and ``Tokenizer.total``."""

    freq: dict[str, int]
    total: int


def _npy(array: np.ndarray) -> bytes:
    buf = io.BytesIO()
    np.save(buf, array, allow_pickle=False)
    return buf.getvalue()


def _from_npy(data: bytes) -> np.ndarray:
    return np.load(io.BytesIO(data), allow_pickle=False)


def _lines(words: list[str]) -> bytes:
    """Newline-joined words (a dictionary line's fields hold no newline: jieba splits the file on them)."""
    if any("\n" in w for w in words):
        raise ValueError("a dictionary word holds a newline")
    return "\n".join(words).encode("utf-8")


def _split_lines(data: bytes, count: int) -> list[str]:
    words = data.decode("utf-8").split("\n") if count else []
    if len(words) != count:
        raise ValueError(f"{len(words)} words where {count} were recorded")
    return words


def dictionary_bytes(tokenizer: Any) -> bytes:
    """The bytes of the dictionary file a jieba ``Tokenizer`` uses (its own ``get_dict_file``)."""
    with tokenizer.get_dict_file() as fh:
        return fh.read()


def _key(kind: str, source: bytes) -> dict[str, str]:
    import jieba

    return {
        "kind": kind,
        "recipe": RECIPE_VERSION,
        "jieba": str(getattr(jieba, "__version__", "?")),
        "dictionary_sha256": hashlib.sha256(source).hexdigest(),
    }


def build_prefix_dict(source: bytes) -> dict[str, bytes]:
    """The prefix-dictionary cache's files, from jieba's own parser."""
    import jieba

    freq, total = jieba.Tokenizer.gen_pfdict(io.BytesIO(source))
    words = list(freq)
    meta = {"words": len(words), "total": int(total)}
    return {
        "meta.json": json.dumps(meta).encode(),
        "words.txt": _lines(words),
        "freq.npy": _npy(np.fromiter(freq.values(), dtype=np.int64, count=len(words))),
    }


def parse_prefix_dict(files: dict[str, bytes]) -> PrefixDict:
    """The prefix dictionary from its cached files (ValueError/KeyError where they do not fit together)."""
    meta = json.loads(files["meta.json"])
    words = _split_lines(files["words.txt"], int(meta["words"]))
    freqs = _from_npy(files["freq.npy"])
    if freqs.dtype != np.int64 or freqs.shape != (len(words),):
        raise ValueError("freq.npy does not match words.txt")
    return PrefixDict(dict(zip(words, freqs.tolist(), strict=True)), int(meta["total"]))


def parse_word_tag_lines(source: bytes) -> dict[str, str]:
    """word -> tag from a dictionary's lines ``word freq tag``, as ``jieba.posseg.POSTokenizer.load_word_tag``
    reads them (blank lines skipped, later lines win, a line without exactly three fields is an error)."""
    table: dict[str, str] = {}
    for lineno, raw in enumerate(io.BytesIO(source), 1):
        line = raw.strip().decode("utf-8")
        if not line:
            continue
        try:
            word, _, tag = line.split(" ")
        except ValueError:
            raise ValueError(f"invalid POS dictionary entry at line {lineno}: {line}") from None
        table[word] = tag
    return table


def build_word_tags(source: bytes) -> dict[str, bytes]:
    """The word-tag cache's files."""
    table = parse_word_tag_lines(source)
    return {
        "meta.json": json.dumps({"words": len(table)}).encode(),
        "words.txt": _lines(list(table)),
        "tags.txt": _lines(list(table.values())),
    }


def parse_word_tags(files: dict[str, bytes]) -> dict[str, str]:
    """word -> tag from its cached files."""
    count = int(json.loads(files["meta.json"])["words"])
    words = _split_lines(files["words.txt"], count)
    tags = _split_lines(files["tags.txt"], count)
    return dict(zip(words, tags, strict=True))


def prefix_dict_for(tokenizer: Any) -> PrefixDict:
    """The prefix dictionary of a jieba ``Tokenizer``'s dictionary file, from the prepared cache."""
    source = dictionary_bytes(tokenizer)
    cache = PreparedCache(models_dir() / PREFIX_DIR, _key("prefix-dict", source), "jieba prefix dictionary")
    return load_prepared(cache, lambda: build_prefix_dict(source), parse_prefix_dict)


def word_tags_for(tokenizer: Any) -> dict[str, str]:
    """The word -> tag table of a jieba ``Tokenizer``'s dictionary file, from the prepared cache."""
    source = dictionary_bytes(tokenizer)
    cache = PreparedCache(models_dir() / TAGS_DIR, _key("word-tags", source), "jieba word-tag table")
    return load_prepared(cache, lambda: build_word_tags(source), parse_word_tags)


@functools.lru_cache(maxsize=1)
def word_tags() -> dict[str, str]:
    """The process-wide word -> tag table of jieba's default tokenizer (shared by every POS tagger)."""
    import jieba

    return word_tags_for(jieba.dt)
