"""The index directory on disk: manifest, FAISS file, passages, BM25 arrays; atomic swap, lock, checks."""

from __future__ import annotations

import contextlib
import ctypes
import ctypes.util
import errno
import fcntl
import hashlib
import json
import logging
import os
import shutil
import time
import uuid
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from embeddings.index import INDEX_FILE, FaissIndex, VectorIndexConfig
from qa import __version__
from qa.bm25 import BM25Config, BM25Index
from qa.types import Passage

FORMAT_VERSION = 1
MANIFEST = "manifest.json"
PASSAGES = "passages.jsonl"
DOCUMENTS = "documents.jsonl"
METRIC = "inner_product"
_TMP_TAG = ".tmp-"
_OLD_TAG = ".old-"

log = logging.getLogger("qa")


class IndexError_(ValueError):
    """Base class for index directory problems (named to avoid shadowing the builtin IndexError)."""


class IndexNotFoundError(IndexError_):
    """No index at the given directory."""


class IndexCorruptError(IndexError_):
    """A file of the index is missing, truncated or does not match the manifest."""


class IndexLockedError(IndexError_):
    """Another process is writing this index."""


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
    vectors: FaissIndex
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


def _file_sha256(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


# ---------------------------------------------------------------- writing


def write_index(
    target: Path,
    *,
    documents: Sequence[DocumentInfo],
    passages: Sequence[Passage],
    passage_hashes: Sequence[str],
    vectors: FaissIndex,
    bm25: BM25Index,
    model_id: str,
    model_fingerprint: str,
    configs: Mapping[str, Any],
) -> None:
    """Write a complete index into a temporary sibling of `target`, then swap it in atomically."""
    target = Path(target)
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.parent / f".{target.name}{_TMP_TAG}{os.getpid()}-{uuid.uuid4().hex[:8]}"
    tmp.mkdir()
    try:
        with (tmp / PASSAGES).open("w", encoding="utf-8") as f:
            for p, h in zip(passages, passage_hashes, strict=True):
                f.write(json.dumps({**p.to_json(), "hash": h}, ensure_ascii=False) + "\n")
        with (tmp / DOCUMENTS).open("w", encoding="utf-8") as f:
            for d in documents:
                f.write(json.dumps(d.to_json(), ensure_ascii=False) + "\n")
        vectors.save(tmp / INDEX_FILE)
        bm25.save(tmp)
        files = [tmp / PASSAGES, tmp / DOCUMENTS, tmp / INDEX_FILE, *BM25Index.files(tmp)]
        manifest = {
            "format_version": FORMAT_VERSION,
            "package": "qa-corpus",
            "package_version": __version__,
            "created": datetime.now(UTC).isoformat(timespec="seconds"),
            "model": {"id": model_id, "fingerprint": model_fingerprint},
            "dimension": vectors.dim,
            "metric": METRIC,
            "vector_index": vectors.kind,
            "counts": {"documents": len(documents), "passages": len(passages), "vectors": len(vectors)},
            "corpus_hash": corpus_hash(documents),
            "config": dict(configs),
            "files": {
                f.relative_to(tmp).as_posix(): {"bytes": f.stat().st_size, "sha256": _file_sha256(f)}
                for f in files
            },
        }
        (tmp / MANIFEST).write_text(json.dumps(manifest, ensure_ascii=False, indent=2), encoding="utf-8")
        _fsync_tree(tmp)
        swap_in(tmp, target)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise


def _fsync_tree(root: Path) -> None:
    for path in sorted(root.rglob("*"), reverse=True):
        with contextlib.suppress(OSError):
            fd = os.open(path, os.O_RDONLY)
            try:
                os.fsync(fd)
            finally:
                os.close(fd)


_RENAME_EXCHANGE = 2
_AT_FDCWD = -100


def _exchange(a: Path, b: Path) -> bool:
    """Atomically exchange two directories with Linux renameat2(RENAME_EXCHANGE); False if unsupported."""
    libc_name = ctypes.util.find_library("c")
    if not libc_name:
        return False
    libc = ctypes.CDLL(libc_name, use_errno=True)
    fn = getattr(libc, "renameat2", None)
    if fn is None:
        return False
    fn.argtypes = [ctypes.c_int, ctypes.c_char_p, ctypes.c_int, ctypes.c_char_p, ctypes.c_uint]
    rc = fn(_AT_FDCWD, os.fsencode(a), _AT_FDCWD, os.fsencode(b), _RENAME_EXCHANGE)
    if rc == 0:
        return True
    err = ctypes.get_errno()
    if err in (errno.EINVAL, errno.ENOSYS, errno.EPERM, errno.ENOTSUP):
        return False
    raise OSError(err, os.strerror(err), str(b))


def swap_in(new: Path, target: Path) -> None:
    """Make `new` the index at `target`; at every instant `target` is the old or the new complete index.

    With renameat2 the two directories are exchanged atomically. Elsewhere the old one is renamed aside
    first; if the process dies between the two renames, `recover()` restores it on the next open/build.
    """
    if not target.exists():
        os.replace(new, target)
    elif _exchange(new, target):
        shutil.rmtree(new, ignore_errors=True)  # `new` now holds the old index
    else:
        old = target.parent / f".{target.name}{_OLD_TAG}{os.getpid()}-{uuid.uuid4().hex[:8]}"
        os.replace(target, old)
        os.replace(new, target)
        shutil.rmtree(old, ignore_errors=True)
    _fsync_dir(target.parent)


def _fsync_dir(path: Path) -> None:
    with contextlib.suppress(OSError):
        fd = os.open(path, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


def recover(target: Path, *, clean: bool = True) -> None:
    """Restore an index renamed aside by an interrupted swap; with `clean` (writers, under the lock)
    also delete stale temporary siblings left by killed builds."""
    parent = target.parent
    if not parent.is_dir():
        return
    olds = sorted(parent.glob(f".{target.name}{_OLD_TAG}*"), key=lambda p: p.stat().st_mtime)
    if not target.exists() and olds:
        newest = olds.pop()
        if (newest / MANIFEST).is_file():
            os.replace(newest, target)
            log.warning("restored the previous index at %s after an interrupted update", target)
    if not clean:
        return
    for stale in [*olds, *parent.glob(f".{target.name}{_TMP_TAG}*")]:
        shutil.rmtree(stale, ignore_errors=True)


@contextlib.contextmanager
def write_lock(target: Path, *, timeout_s: float = 600.0) -> Iterator[None]:
    """Exclusive lock for writers of one index (a `.NAME.lock` file beside it); waits up to timeout_s."""
    target.parent.mkdir(parents=True, exist_ok=True)
    lock_path = target.parent / f".{target.name}.lock"
    with lock_path.open("a+") as fh:
        deadline = time.monotonic() + timeout_s
        warned = False
        while True:
            try:
                fcntl.flock(fh.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() >= deadline:
                    raise IndexLockedError(
                        f"another process is updating the index at {target}; try again when it has finished"
                    ) from None
                if not warned:
                    log.warning("waiting for another process that is updating %s ...", target)
                    warned = True
                time.sleep(0.1)
        try:
            yield
        finally:
            fcntl.flock(fh.fileno(), fcntl.LOCK_UN)


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
        if checksums and _file_sha256(path) != meta["sha256"]:
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
    try:
        vectors = FaissIndex.load(target / INDEX_FILE, VectorIndexConfig(**cfg.get("vector_index", {})))
    except Exception as exc:  # FAISS raises RuntimeError with C++ text
        raise IndexCorruptError(
            f"{target / INDEX_FILE} cannot be read ({str(exc).splitlines()[0][:200]}); "
            f"{_reindex_hint(target)}"
        ) from None
    try:
        bm25 = BM25Index.load(target)
    except Exception as exc:
        raise IndexCorruptError(
            f"{target / 'bm25'} cannot be read ({exc}); {_reindex_hint(target)}"
        ) from None
    counts = manifest["counts"]
    if not (
        len(passages) == counts["passages"] == len(vectors) == bm25.n_docs
        and len(documents) == counts["documents"]
    ):
        raise IndexCorruptError(
            f"{target} is inconsistent: manifest counts {counts}, found {len(passages)} passages, "
            f"{len(vectors)} vectors, {bm25.n_docs} BM25 rows, {len(documents)} documents; "
            f"{_reindex_hint(target)}"
        )
    if vectors.dim != manifest["dimension"]:
        raise IndexCorruptError(
            f"{target / INDEX_FILE} has dimension {vectors.dim}, manifest says "
            f"{manifest['dimension']}; {_reindex_hint(target)}"
        )
    return StoredIndex(manifest, tuple(documents), tuple(passages), tuple(hashes), vectors, bm25)


def default_configs(vector_index: VectorIndexConfig, bm25: BM25Config, **others: Any) -> dict[str, Any]:
    return {"vector_index": asdict(vector_index), "bm25": asdict(bm25), **others}
