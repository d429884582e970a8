"""Atomic directory installs and locks: swap_in, recover, stale siblings, lock timeout."""

from __future__ import annotations

import os
import threading
from pathlib import Path

import pytest

from qa.atomic import LockTimeoutError, file_lock, lock_path_for, recover, remove_stale, swap_in, temp_sibling


def _dir(path: Path, text: str) -> Path:
    path.mkdir()
    (path / "data").write_text(text)
    return path


def test_swap_in_replaces_a_directory_and_leaves_no_sibling(tmp_path: Path) -> None:
    target = tmp_path / "t"
    swap_in(_dir(temp_sibling(target), "one"), target)
    swap_in(_dir(temp_sibling(target), "two"), target)
    assert (target / "data").read_text() == "two"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["t"]


def test_recover_restores_a_complete_aside_copy_then_cleans(tmp_path: Path) -> None:
    target = tmp_path / "t"
    _dir(tmp_path / ".t.old-1-aaaa", "old")
    _dir(tmp_path / ".t.tmp-2-bbbb", "half")
    assert recover(target, complete=lambda d: (d / "data").is_file(), clean=True)
    assert (target / "data").read_text() == "old" and sorted(p.name for p in tmp_path.iterdir()) == ["t"]


def test_remove_stale_spares_young_siblings_without_the_lock(tmp_path: Path) -> None:
    target = tmp_path / "t"
    young = _dir(tmp_path / ".t.tmp-3-cccc", "x")
    old = _dir(tmp_path / ".t.old-4-dddd", "y")
    os.utime(old, (0, 0))
    remove_stale(target, older_than_s=3600)
    assert young.exists() and not old.exists()


def test_lock_times_out_while_another_holder_keeps_it(tmp_path: Path) -> None:
    path = lock_path_for(tmp_path / "t")
    held, release = threading.Event(), threading.Event()

    def holder() -> None:
        with file_lock(path):
            held.set()
            release.wait(5)

    thread = threading.Thread(target=holder)
    thread.start()
    held.wait(5)
    waited = []
    try:
        with pytest.raises(LockTimeoutError), file_lock(path, timeout_s=0.2, on_wait=lambda: waited.append(1)):
            pass
    finally:
        release.set()
        thread.join()
    assert waited == [1] and path.name == ".t.lock"
    with file_lock(path, timeout_s=1) as locked:
        assert locked
