"""Prepared caches: files derived once from a slow-to-parse source, kept beside the models, checked on load.

A prepared cache is a folder with a manifest (``prepared.json``: format version, the source's key, each file's
size and CRC-32). It is built on first use into a temporary sibling and swapped in atomically under a lock;
on load every file is read whole and checked against the manifest. A cache whose key differs from the
source's (the source changed: stale) or whose files do not match their checksums or do not parse (damaged)
is never used: it is reported with a warning and rebuilt. No pickle: files are plain text, JSON or ``.npy``
read with ``allow_pickle=False`` by their loaders. CRC-32 detects damage (truncation, flipped bits) at
~3 GB/s; the source's identity is in the key (its sha256 or its stat, chosen by the caller).
"""

from __future__ import annotations

import json
import logging
import shutil
import zlib
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

from qa.atomic import file_lock, lock_path_for, remove_stale, swap_in, temp_sibling

MANIFEST = "prepared.json"
FORMAT_VERSION = 1
T = TypeVar("T")
log = logging.getLogger(__name__)


class PreparedCacheError(Exception):
    """A prepared cache is stale or damaged (internal: the cache is then rebuilt, never used)."""


@dataclass(frozen=True)
class PreparedCache:
    """One prepared cache: its folder, the key of its source, and how to build and load it."""

    folder: Path
    key: Mapping[str, Any]  # JSON-able identity of the source (versions, hashes): another key = stale
    what: str  # named in warnings, e.g. "jieba dictionary tables"


def checksum(data: bytes) -> str:
    """The CRC-32 of ``data`` as 8 hex digits."""
    return f"{zlib.crc32(data):08x}"


def read_files(cache: PreparedCache) -> dict[str, bytes]:
    """Every file of the cache, checked against its manifest; PreparedCacheError when stale or damaged."""
    try:
        manifest = json.loads((cache.folder / MANIFEST).read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        raise PreparedCacheError("missing") from exc
    except (OSError, ValueError) as exc:
        raise PreparedCacheError(f"unreadable manifest ({exc})") from exc
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT_VERSION:
        raise PreparedCacheError("another format version")
    if manifest.get("key") != json.loads(json.dumps(dict(cache.key))):
        raise PreparedCacheError("stale: built from another source")
    files = manifest.get("files")
    if not isinstance(files, dict) or not files:
        raise PreparedCacheError("damaged manifest: no files")
    out: dict[str, bytes] = {}
    for name, record in files.items():
        try:
            data = (cache.folder / name).read_bytes()
        except OSError as exc:
            raise PreparedCacheError(f"damaged: {name} unreadable ({exc})") from exc
        if not isinstance(record, dict) or len(data) != record.get("size") or checksum(data) != record.get(
            "crc32"
        ):
            raise PreparedCacheError(f"damaged: {name} does not match its checksum")
        out[name] = data
    return out


def write_cache(cache: PreparedCache, files: Mapping[str, bytes]) -> None:
    """Write ``files`` and their manifest into a temporary sibling and swap it in (under the cache's lock)."""
    cache.folder.parent.mkdir(parents=True, exist_ok=True)
    with file_lock(lock_path_for(cache.folder)):
        remove_stale(cache.folder)
        tmp = temp_sibling(cache.folder)
        try:
            tmp.mkdir()
            for name, data in files.items():
                (tmp / name).write_bytes(data)
            manifest = {
                "format": FORMAT_VERSION,
                "what": cache.what,
                "key": dict(cache.key),
                "files": {name: {"size": len(data), "crc32": checksum(data)} for name, data in files.items()},
            }
            (tmp / MANIFEST).write_text(json.dumps(manifest, ensure_ascii=False, indent=1), encoding="utf-8")
            swap_in(tmp, cache.folder)
        except BaseException:
            shutil.rmtree(tmp, ignore_errors=True)
            raise


def load_prepared(
    cache: PreparedCache,
    build: Callable[[], dict[str, bytes]],
    load: Callable[[dict[str, bytes]], T],
) -> T:
    """``load`` of the cache's checked files; a missing, stale or damaged cache is rebuilt from ``build``
    (the files' bytes), with a warning unless it was merely missing. If the rebuilt cache cannot be
    written (read-only cache folder), the built files are used from memory all the same."""
    try:
        return _load_checked(read_files(cache), load)
    except PreparedCacheError as exc:
        if str(exc) != "missing":
            log.warning("the prepared %s in %s is %s: rebuilding it", cache.what, cache.folder, exc)
    files = build()
    try:
        write_cache(cache, files)
    except OSError as exc:
        log.warning("could not write the prepared %s to %s (%s); using it uncached", cache.what, cache.folder,
                    exc)
    return load(files)


def _load_checked(files: dict[str, bytes], load: Callable[[dict[str, bytes]], T]) -> T:
    """``load``, turning a parse failure of checksummed files (a format change, a bug) into damage; ``load``
    may also raise PreparedCacheError itself (e.g. for a library's own exception types)."""
    try:
        return load(files)
    except (ValueError, KeyError, TypeError, IndexError) as exc:  # UnicodeDecodeError is a ValueError
        raise PreparedCacheError(f"damaged: its files do not parse ({exc})") from exc
