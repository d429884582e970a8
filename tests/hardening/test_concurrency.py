"""Concurrency: two `qa index` processes on one directory, the writer lock, readers racing a swap, and one
QA object shared by many threads (as the UI does). The 50-client load test of the app is bench/load_app.py.
"""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from embeddings.encoder import FakeEncoder
from qa import store
from qa.api import QA
from qa.indexer import IndexConfig, build_index
from qa.store import IndexLockedError, load_index, write_lock
from qa.types import Document
from tests.hardening.kill_harness import FACT_QUESTION, corpus_state, index_command, leftovers, write_corpus

REPO = Path(__file__).resolve().parents[2]


Fingerprint = tuple[str, tuple[str, ...]]
Corpora = dict[str, tuple[Path, Fingerprint]]


def _fingerprint(target: Path) -> Fingerprint:
    stored = load_index(target)
    return (str(stored.manifest["corpus_hash"]),
            tuple(json.dumps(p.to_json(), ensure_ascii=False, sort_keys=True) for p in stored.passages))


@pytest.fixture(scope="module")
def corpora(tmp_path_factory: pytest.TempPathFactory) -> Corpora:
    """Two different corpus folders and the fingerprint of a fresh complete build of each."""
    root = tmp_path_factory.mktemp("corpora")
    out = {}
    for state, n_docs in (("A", 4), ("B", 6)):
        folder = root / f"corpus{state}"
        write_corpus(folder, state, n_docs)
        QA.build([folder], root / f"ref{state}", encoder=FakeEncoder())
        out[state] = (folder, _fingerprint(root / f"ref{state}"))
    assert out["A"][1][0] != out["B"][1][0]
    return out


def _wait_for(predicate: Callable[[], bool], timeout_s: float, what: str) -> None:
    deadline = time.monotonic() + timeout_s
    while not predicate():
        if time.monotonic() > deadline:
            pytest.fail(f"timed out waiting for {what}")
        time.sleep(0.05)


def test_two_index_processes_on_one_directory_take_turns(tmp_path: Path, corpora: Corpora) -> None:
    """Both start while the lock is held, both wait, then run one after the other: never a mix."""
    target = tmp_path / "idx"
    logs = {s: tmp_path / f"{s}.err" for s in "AB"}
    procs: dict[str, subprocess.Popen[bytes]] = {}
    try:
        with write_lock(target):  # hold the lock so that both processes are certainly contending
            for state in "AB":
                with logs[state].open("wb") as err:
                    procs[state] = subprocess.Popen(index_command(corpora[state][0], target), cwd=REPO,
                                                    stdout=subprocess.PIPE, stderr=err)
            _wait_for(lambda: all("waiting for another process" in logs[s].read_text() for s in "AB"), 120,
                      "both indexers to report that they wait for the lock")
        results = {s: p.wait(timeout=300) for s, p in procs.items()}
    finally:
        for p in procs.values():
            if p.poll() is None:
                p.kill()
                p.wait()
    assert results == {"A": 0, "B": 0}, {s: logs[s].read_text()[-2000:] for s in "AB"}
    for state in "AB":
        assert "indexed" in procs[state].stdout.read().decode()  # type: ignore[union-attr]
        assert "Traceback" not in logs[state].read_text()
    assert _fingerprint(target) in (corpora["A"][1], corpora["B"][1])
    assert leftovers(target) == []


def test_lock_timeout_is_a_clear_error_and_keeps_the_index(tmp_path: Path) -> None:
    target = tmp_path / "idx"
    build_index([Document("a.txt", "a", "第一版的文本。")], target, FakeEncoder())
    before = _fingerprint(target)
    held, release = threading.Event(), threading.Event()

    def holder() -> None:
        with write_lock(target):
            held.set()
            release.wait(30)

    thread = threading.Thread(target=holder)
    thread.start()
    try:
        assert held.wait(10)
        with pytest.raises(IndexLockedError, match="another process is updating the index"):
            build_index([Document("a.txt", "a", "第二版的文本。")], target, FakeEncoder(),
                        config=IndexConfig(lock_timeout_s=0.3))
    finally:
        release.set()
        thread.join()
    assert _fingerprint(target) == before


def test_a_reader_racing_a_swap_gets_one_complete_index(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                        corpora: Corpora) -> None:
    """Deterministic race: the index is swapped right after a reader has read the manifest.

    The reader must still return one complete index (old or new), not report a damaged file.
    """
    target = tmp_path / "idx"
    QA.build([corpora["A"][0]], target, encoder=FakeEncoder())
    real_read_manifest = store.read_manifest
    fired = []

    def read_then_swap(path: Path) -> dict:
        manifest = real_read_manifest(path)
        if not fired:
            fired.append(True)
            QA.build([corpora["B"][0]], target, encoder=FakeEncoder())  # a writer swaps in B meanwhile
        return manifest

    monkeypatch.setattr(store, "read_manifest", read_then_swap)
    stored = load_index(target)
    assert fired, "the hook did not run: load_index no longer reads the manifest through read_manifest"
    monkeypatch.undo()
    got = (str(stored.manifest["corpus_hash"]),
           tuple(json.dumps(p.to_json(), ensure_ascii=False, sort_keys=True) for p in stored.passages))
    assert got in (corpora["A"][1], corpora["B"][1])
    assert stored.vectors.count() == len(stored.passages) == stored.bm25.n_docs


_WRITER = textwrap.dedent("""
    import sys
    from pathlib import Path
    from embeddings.encoder import FakeEncoder
    from qa.api import QA
    folders, target, rounds = [Path(p) for p in sys.argv[1:3]], Path(sys.argv[3]), int(sys.argv[4])
    encoder = FakeEncoder()
    for i in range(rounds):
        QA.build([folders[i % 2]], target, encoder=encoder)
""")


def test_readers_never_fail_while_a_writer_keeps_swapping(tmp_path: Path, corpora: Corpora) -> None:
    """A separate process re-indexes (alternating corpora) while this one keeps loading the index."""
    target = tmp_path / "idx"
    QA.build([corpora["A"][0]], target, encoder=FakeEncoder())
    writer = subprocess.Popen([sys.executable, "-c", _WRITER, str(corpora["B"][0]), str(corpora["A"][0]),
                               str(target), "10"], cwd=REPO, stderr=subprocess.PIPE)
    loads, failures = 0, []
    try:
        while writer.poll() is None:
            try:
                fp = _fingerprint(target)
                assert fp in (corpora["A"][1], corpora["B"][1])
                loads += 1
            except ValueError as exc:  # IndexCorruptError / IndexNotFoundError
                failures.append(str(exc)[:200])
    finally:
        if writer.poll() is None:
            writer.kill()
        writer.wait()
    assert writer.returncode == 0, writer.stderr.read().decode()[-2000:]  # type: ignore[union-attr]
    assert loads > 0
    assert failures == [], f"{len(failures)} of {loads + len(failures)} loads failed, e.g. {failures[:3]}"


def test_one_qa_object_shared_by_many_threads(tmp_path: Path) -> None:
    """The UI serves every session from one QA object: concurrent asks equal sequential ones."""
    docs = [Document(name, name, text) for name, text in corpus_state("A", n_docs=6).items()]
    qa = QA.build_from_documents(docs, tmp_path / "idx", encoder=FakeEncoder())
    questions = [FACT_QUESTION, "编号doc1-3的项目有多少名员工？", "北京市是什么城市？", "企业发展", "航天卫星"] * 4
    expected = [qa.ask(q).to_json() for q in questions]
    with ThreadPoolExecutor(max_workers=8) as pool:
        got = list(pool.map(lambda q: qa.ask(q).to_json(), questions))
    assert got == expected
    assert any(a["answer"] and "8997" in a["answer"] for a in got)
