"""The index directory on disk: manifest, passages, documents, the vector store's files, BM25 arrays;
written atomically under a writer lock, checked on load."""

from __future__ import annotations

import contextlib
import hashlib
import json
import logging
import shutil
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from qa import __version__
from qa.atomic import (
    LockTimeoutError,
    file_lock,
    fsync_tree,
    lock_path_for,
    swap_in,
    temp_sibling,
)
from qa.atomic import recover as recover_dir
from qa.bm25 import BM25Config, BM25Index
from qa.configs import ConfigMismatchError, config_from_dict
from qa.errors import QAError, first_line
from qa.hashing import file_sha256
from qa.types import Passage
from qa.vectors.base import VectorIndexConfig, VectorStore, VectorStoreUnavailableError
from qa.vectors.factory import open_store

FORMAT_VERSION = 1
MANIFEST = "manifest.json"
PASSAGES = "passages.jsonl"
DOCUMENTS = "documents.jsonl"
METRIC = "inner_product"

log = logging.getLogger("qa")


class IndexDirError(QAError):
    """Base class for index directory problems: each message names the directory or file and the fix."""


class IndexNotFoundError(IndexDirError):
    """No index at the given directory."""


class IndexCorruptError(IndexDirError):
    """A file of the index is missing, truncated or does not match the manifest (or this version)."""


class IndexLockedError(IndexDirError):
    """Another process is writing this index."""


class IndexWriteError(IndexDirError, OSError):
    """The file system refused a write (disk full, read-only, permissions); the previous index is intact."""


@dataclass(frozen=True)
class DocumentInfo:
    """Per-document record kept in the index (for filters, citations and incremental updates)."""

    doc_id: str
    title: str
    date: str | None
    source: str
    content_hash: str
    n_passages: int
    metadata: Mapping[str, Any] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        out = asdict(self)
        out["metadata"] = dict(self.metadata)
        return out


@dataclass(frozen=True)
class StoredIndex:
    """Everything an index directory holds, loaded in memory."""

    manifest: Mapping[str, Any]
    documents: tuple[DocumentInfo, ...]
    passages: tuple[Passage, ...]
    passage_hashes: tuple[str, ...]
    vectors: VectorStore
    bm25: BM25Index

    @property
    def model_id(self) -> str:
        return str(self.manifest["model"]["id"])

    @property
    def model_fingerprint(self) -> str:
        return str(self.manifest["model"]["fingerprint"])


def text_hash(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def corpus_hash(documents: Sequence[DocumentInfo]) -> str:
    """One hash over (doc_id, content hash) pairs: equal iff the indexed corpus is the same."""
    h = hashlib.sha256()
    for doc in sorted(documents, key=lambda d: d.doc_id):
        h.update(doc.doc_id.encode("utf-8") + b"\0" + doc.content_hash.encode("ascii") + b"\n")
    return h.hexdigest()


# ---------------------------------------------------------------- writing


def write_index(
    target: Path,
    *,
    documents: Sequence[DocumentInfo],
    passages: Sequence[Passage],
    passage_hashes: Sequence[str],
    vectors: VectorStore,
    bm25: BM25Index,
    model_id: str,
    model_fingerprint: str,
    configs: Mapping[str, Any],
) -> None:
    """Write a complete index into a temporary sibling of `target`, then swap it in atomically."""
    target = Path(target)
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        tmp = temp_sibling(target)
        tmp.mkdir()
    except OSError as exc:
        raise _write_error(target, exc) from exc
    try:
        with (tmp / PASSAGES).open("w", encoding="utf-8") as f:
            for p, h in zip(passages, passage_hashes, strict=True):
                f.write(json.dumps({**p.to_json(), "hash": h}, ensure_ascii=False) + "\n")
        with (tmp / DOCUMENTS).open("w", encoding="utf-8") as f:
            for d in documents:
                f.write(json.dumps(d.to_json(), ensure_ascii=False) + "\n")
        vector_files = vectors.save(tmp)
        bm25.save(tmp)
        files = [tmp / PASSAGES, tmp / DOCUMENTS, *vector_files, *BM25Index.files(tmp)]
        manifest = {
            "format_version": FORMAT_VERSION,
            "package": "qa-corpus",
            "package_version": __version__,
            "created": datetime.now(UTC).isoformat(timespec="seconds"),
            "model": {"id": model_id, "fingerprint": model_fingerprint},
            "dimension": vectors.dim,
            "metric": METRIC,
            "vector_index": vectors.kind,
            "counts": {"documents": len(documents), "passages": len(passages), "vectors": vectors.count()},
            "corpus_hash": corpus_hash(documents),
            "config": dict(configs),
            "files": {
                f.relative_to(tmp).as_posix(): {"bytes": f.stat().st_size, "sha256": file_sha256(f)}
                for f in files
            },
        }
        (tmp / MANIFEST).write_text(json.dumps(manifest, ensure_ascii=False, indent=2), encoding="utf-8")
        fsync_tree(tmp)
        swap_in(tmp, target)
    except BaseException as exc:
        shutil.rmtree(tmp, ignore_errors=True)
        if isinstance(exc, OSError) and not isinstance(exc, QAError):
            raise _write_error(target, exc) from exc
        raise


def _write_error(target: Path, exc: OSError) -> IndexWriteError:
    return IndexWriteError(f"cannot write the index at {target} ({exc}); the previous index is unchanged")


def _complete(directory: Path) -> bool:
    return (directory / MANIFEST).is_file()


def recover(target: Path, *, clean: bool = True) -> None:
    """Restore an index renamed aside by an interrupted swap; with `clean` (writers, under the lock)
    also delete stale temporary siblings left by killed builds."""
    try:
        if recover_dir(target, complete=_complete, clean=clean):
            log.warning("restored the previous index at %s after an interrupted update", target)
    except OSError as exc:
        if clean:
            raise _write_error(target, exc) from exc
        raise IndexDirError(f"cannot restore the index at {target} ({exc})") from exc


@contextlib.contextmanager
def write_lock(target: Path, *, timeout_s: float = 600.0) -> Iterator[None]:
    """Exclusive lock for writers of one index (a `.NAME.lock` file beside it); waits up to timeout_s."""

    def waiting() -> None:
        log.warning("waiting for another process that is updating %s ...", target)

    held = False
    try:
        with file_lock(lock_path_for(target), timeout_s=timeout_s, on_wait=waiting):
            held = True
            yield
    except LockTimeoutError:
        if held:
            raise
        raise IndexLockedError(
            f"another process is updating the index at {target}; try again when it has finished"
        ) from None
    except OSError as exc:
        if held or isinstance(exc, QAError):
            raise
        raise _write_error(target, exc) from exc


# ---------------------------------------------------------------- reading


def _reindex_hint(target: Path) -> str:
    return f"rebuild it with `qa index ... --index {target}`"


def read_manifest(target: Path) -> dict[str, Any]:
    """The manifest of the index at `target`, with clear errors for a missing or damaged one."""
    target = Path(target)
    if not target.exists():
        recover(target, clean=False)
    path = target / MANIFEST
    if not target.is_dir():
        raise IndexNotFoundError(
            f"no index at {target}: create one with `qa index [PATH ...] --index {target}`"
        )
    if not path.is_file():
        raise IndexCorruptError(
            f"{path} is missing: {target} is not a complete index; {_reindex_hint(target)}"
        )
    try:
        manifest = json.loads(path.read_text(encoding="utf-8"))
        if not isinstance(manifest, dict):
            raise ValueError("not a JSON object")
        for key in ("format_version", "model", "dimension", "counts", "files"):
            if key not in manifest:
                raise ValueError(f"missing field {key!r}")
    except (ValueError, UnicodeDecodeError) as exc:
        raise IndexCorruptError(f"{path} is damaged ({exc}); {_reindex_hint(target)}") from None
    except OSError as exc:
        raise IndexDirError(f"cannot read {path} ({exc})") from None
    if manifest["format_version"] != FORMAT_VERSION:
        raise IndexCorruptError(
            f"{target} has index format {manifest['format_version']}, this version reads {FORMAT_VERSION}; "
            f"{_reindex_hint(target)}"
        )
    return manifest


def verify_files(target: Path, manifest: Mapping[str, Any], *, checksums: bool = True) -> None:
    """Check every file the manifest lists exists with the recorded size (and sha256)."""
    for name, meta in manifest["files"].items():
        path = target / name
        if not path.is_file():
            raise IndexCorruptError(f"{path} is missing; {_reindex_hint(target)}")
        size = path.stat().st_size
        if size != meta["bytes"]:
            raise IndexCorruptError(
                f"{path} is damaged (size {size} bytes, manifest says {meta['bytes']}); "
                f"{_reindex_hint(target)}"
            )
        if checksums and file_sha256(path) != meta["sha256"]:
            raise IndexCorruptError(f"{path} is damaged (checksum mismatch); {_reindex_hint(target)}")


def _dir_identity(target: Path) -> tuple[int, int] | None:
    try:
        st = target.stat()
    except OSError:
        return None
    return st.st_dev, st.st_ino


def load_index(target: Path, *, checksums: bool = True, attempts: int = 3) -> StoredIndex:
    """Load and validate a complete index directory; every failure names the file and the fix.

    A writer may swap a new index in while we read: when a load fails and the directory was swapped
    meanwhile, the load is retried on the new complete index.
    """
    target = Path(target)
    for attempt in range(attempts):
        before = _dir_identity(target)
        try:
            return _load_once(target, checksums=checksums)
        except IndexCorruptError:
            if attempt + 1 >= attempts or before is None or _dir_identity(target) == before:
                raise
    raise AssertionError("unreachable")  # pragma: no cover


def _load_once(target: Path, *, checksums: bool) -> StoredIndex:
    manifest = read_manifest(target)
    verify_files(target, manifest, checksums=checksums)
    passages: list[Passage] = []
    hashes: list[str] = []
    path = target / PASSAGES
    try:
        with path.open(encoding="utf-8") as f:
            for line in f:
                row = json.loads(line)
                passages.append(Passage.from_json(row))
                hashes.append(str(row["hash"]))
        documents = [
            DocumentInfo(**json.loads(line))
            for line in (target / DOCUMENTS).read_text(encoding="utf-8").splitlines()
            if line.strip()
        ]
    except (ValueError, KeyError, TypeError) as exc:
        raise IndexCorruptError(
            f"{path.parent} has an unreadable passages/documents file ({exc}); {_reindex_hint(target)}"
        ) from None
    cfg = manifest.get("config", {})
    if not isinstance(cfg, Mapping):
        raise IndexCorruptError(
            f"{target / MANIFEST} is damaged (config is not an object); {_reindex_hint(target)}"
        )
    vector_config = manifest_config(VectorIndexConfig, cfg.get("vector_index"), target)
    try:
        vectors = open_store(
            target, vector_config, passages=passages, fingerprint=str(manifest["model"]["fingerprint"])
        )
    except VectorStoreUnavailableError:  # a server is down: the index is not damaged, say so as it is
        raise
    except QAError as exc:  # the backend names its file and what is wrong
        raise IndexCorruptError(f"{exc}; {_reindex_hint(target)}") from None
    except Exception as exc:
        raise IndexCorruptError(
            f"the vectors of {target} cannot be read ({first_line(exc)}); {_reindex_hint(target)}"
        ) from None
    try:
        bm25 = BM25Index.load(target)
    except Exception as exc:
        raise IndexCorruptError(
            f"{target / 'bm25'} cannot be read ({exc}); {_reindex_hint(target)}"
        ) from None
    counts = manifest["counts"]
    if not (
        len(passages) == counts["passages"] == vectors.count() == bm25.n_docs
        and len(documents) == counts["documents"]
    ):
        raise IndexCorruptError(
            f"{target} is inconsistent: manifest counts {counts}, found {len(passages)} passages, "
            f"{vectors.count()} vectors, {bm25.n_docs} BM25 rows, {len(documents)} documents; "
            f"{_reindex_hint(target)}"
        )
    if vectors.dim != manifest["dimension"]:
        raise IndexCorruptError(
            f"{target}'s vectors have dimension {vectors.dim}, the manifest says "
            f"{manifest['dimension']}; {_reindex_hint(target)}"
        )
    return StoredIndex(manifest, tuple(documents), tuple(passages), tuple(hashes), vectors, bm25)


def default_configs(vector_index: VectorIndexConfig, bm25: BM25Config, **others: Any) -> dict[str, Any]:
    return {"vector_index": asdict(vector_index), "bm25": asdict(bm25), **others}


def manifest_config(cls: type[Any], data: Any, target: Path) -> Any:
    """A config dataclass rebuilt from the manifest of the index at `target`; a config written by another
    version (renamed or unknown fields) is an IndexCorruptError that says to re-index."""
    try:
        hint = f"the index was built by another version; {_reindex_hint(target)}"
        return config_from_dict(cls, data, hint=hint)
    except ConfigMismatchError as exc:
        raise IndexCorruptError(f"{target / MANIFEST}: {exc}") from None
