"""Atomic installs of whole directories and inter-process locks (index folders, cached model builds).

A directory is built in a temporary sibling (`.NAME.tmp-PID-HEX`), fsynced, then swapped in, so readers
always see either the previous or the new complete directory. A process killed mid-swap leaves at most a
`.NAME.old-PID-HEX` sibling, which `recover` puts back or removes.
"""

from __future__ import annotations

import contextlib
import ctypes
import ctypes.util
import errno
import os
import secrets
import shutil
import time
from collections.abc import Callable, Iterator
from pathlib import Path

TMP_TAG = ".tmp-"
OLD_TAG = ".old-"

_RENAME_EXCHANGE = 2
_AT_FDCWD = -100


class LockTimeoutError(TimeoutError):
    """The lock stayed held by another process for the whole timeout."""


def temp_sibling(target: Path) -> Path:
    """A fresh name for a temporary build of `target`, beside it (same file system, so renames are atomic)."""
    return target.parent / f".{target.name}{TMP_TAG}{os.getpid()}-{secrets.token_hex(4)}"


def _aside_sibling(target: Path) -> Path:
    return target.parent / f".{target.name}{OLD_TAG}{os.getpid()}-{secrets.token_hex(4)}"


def fsync_tree(root: Path) -> None:
    """Flush every file and folder under `root` to disk (best effort: unsupported fsyncs are skipped)."""
    for path in sorted(root.rglob("*"), reverse=True):
        fsync_path(path)


def fsync_path(path: Path) -> None:
    """fsync one file or directory, ignoring file systems that refuse it."""
    with contextlib.suppress(OSError):
        fd = os.open(path, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


def exchange(a: Path, b: Path) -> bool:
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
    """Make `new` the directory at `target`; at every instant `target` is the old or the new complete one.

    With renameat2 the two directories are exchanged atomically. Elsewhere the old one is renamed aside
    first; if the process dies between the two renames, `recover()` restores it on the next open/build.
    """
    if not target.exists():
        os.replace(new, target)
    elif exchange(new, target):
        shutil.rmtree(new, ignore_errors=True)  # `new` now holds the old directory
    else:
        old = _aside_sibling(target)
        os.replace(target, old)
        os.replace(new, target)
        shutil.rmtree(old, ignore_errors=True)
    fsync_path(target.parent)


def remove_stale(target: Path, *, older_than_s: float | None = None) -> None:
    """Delete temporary and renamed-aside siblings of `target` left by killed builds.

    Without a lock held, pass `older_than_s` so that another process's build in progress is spared.
    """
    now = time.time()
    for pattern in (f".{target.name}{TMP_TAG}*", f".{target.name}{OLD_TAG}*"):
        for path in target.parent.glob(pattern):
            with contextlib.suppress(OSError):
                if older_than_s is None or now - path.stat().st_mtime > older_than_s:
                    shutil.rmtree(path, ignore_errors=True)


def recover(target: Path, *, complete: Callable[[Path], bool], clean: bool = True) -> bool:
    """Restore a directory renamed aside by an interrupted swap (the newest aside copy that is `complete`);
    with `clean` (writers, under the lock) also delete stale siblings. True when something was restored."""
    parent = target.parent
    if not parent.is_dir():
        return False
    restored = False
    olds = sorted(parent.glob(f".{target.name}{OLD_TAG}*"), key=lambda p: p.stat().st_mtime)
    if not target.exists() and olds:
        newest = olds.pop()
        if complete(newest):
            os.replace(newest, target)
            restored = True
    if clean:
        remove_stale(target)
    return restored


@contextlib.contextmanager
def file_lock(
    lock_path: Path, *, timeout_s: float | None = None, on_wait: Callable[[], None] | None = None
) -> Iterator[bool]:
    """Exclusive inter-process lock on `lock_path` (POSIX flock); yields whether a real lock is held.

    `timeout_s` None waits for ever; otherwise LockTimeoutError after that long. `on_wait` is called once
    when the lock is found taken. Without fcntl (non-POSIX) it yields False and relies on atomic renames.
    """
    try:
        import fcntl
    except ImportError:  # pragma: no cover - non-POSIX
        yield False
        return
    lock_path.parent.mkdir(parents=True, exist_ok=True)
    with open(lock_path, "a+b") as fh:
        deadline = None if timeout_s is None else time.monotonic() + timeout_s
        waited = False
        while True:
            try:
                fcntl.flock(fh.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if deadline is not None and time.monotonic() >= deadline:
                    raise LockTimeoutError(f"{lock_path} is held by another process") from None
                if not waited and on_wait is not None:
                    on_wait()
                waited = True
                time.sleep(0.1)
        try:
            yield True
        finally:
            fcntl.flock(fh.fileno(), fcntl.LOCK_UN)


def lock_path_for(target: Path) -> Path:
    """The lock file that guards writers of `target`: `.NAME.lock` beside it."""
    return target.parent / f".{target.name}.lock"
