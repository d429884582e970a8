"""Faults while indexing: SIGKILL, damaged index files (API and CLI), a full or read-only disk, and
incremental updates over several rounds (each equal to a fresh full build).

The SIGKILL trials here are a few of bench/kill_index.py's (which runs >= 50); tests/qa/test_index_store.py
already covers damaged files at the `load_index` level, the lock, and recover() on a simulated crash.
"""

from __future__ import annotations

import errno
import hashlib
import json
import os
import random
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest

from embeddings.encoder import FakeEncoder
from qa.api import QA
from qa.cli import main as cli_main
from qa.indexer import build_index
from qa.store import MANIFEST, IndexCorruptError, load_index
from qa.types import Document
from tests.hardening.kill_harness import (
    FACT,
    FACT_QUESTION,
    build_references,
    corpus_state,
    index_command,
    leftovers,
    run_trial,
    timed_full_run,
    write_corpus,
)

REPO = Path(__file__).resolve().parents[2]


def _docs(n: int = 3) -> list[Document]:
    """A few small documents (in memory) with a known answer in the first."""
    docs = [Document("fact.md", "小巨人", f"{FACT}\n\n北京市是专精特新企业最多的城市。", "2022-10-01")]
    docs += [Document(f"d{i}.txt", f"文档{i}", f"第{i}号文档的正文，企业发展。\n\n第二段{i}，规模增长。")
             for i in range(n - 1)]
    return docs


def _index(target: Path, docs: list[Document] | None = None) -> str:
    build_index(docs or _docs(), target, FakeEncoder())
    return str(load_index(target).manifest["corpus_hash"])


# ------------------------------------------------------------------------------------------- SIGKILL


def test_sigkill_at_random_moments_leaves_previous_or_new_index(tmp_path: Path) -> None:
    """Three kill trials (bench/kill_index.py runs >= 50 at random moments): during the write, and inside
    the swap (held open by the child) with renameat2 and with the rename-aside fallback."""
    n_docs = 12
    folder, index_dir = tmp_path / "corpus", tmp_path / "idx"
    refs = build_references(folder, tmp_path, n_docs)
    shutil.copytree(tmp_path / "ref-A", index_dir)  # the previous complete index
    rng = random.Random(1234)
    plans = [("write", False), ("swap", True), ("swap", False)]
    trials = [run_trial(n, folder, index_dir, refs, rng, kill=kill, rename_aside=aside, run_s=3.0,
                        n_docs=n_docs, write_window_s=0.05) for n, (kill, aside) in enumerate(plans)]
    # run_trial itself asserts: loads, equals a complete build of the previous or new state, answers,
    # and at most one killed run's temp dirs are left.
    assert {t.found for t in trials} <= {"A", "B"}
    assert not trials[1].finished and not trials[2].finished, "a swap trial was not killed"
    aside = trials[1]  # killed between the two renames: a reader restores the previous index
    assert aside.target_missing and aside.outcome == "previous"
    assert trials[2].outcome == "new" and trials[2].leftovers == 1  # exchanged; the old one not deleted yet
    timed_full_run(folder, index_dir, refs, n_docs)  # stale temp dirs are cleaned by the next run
    assert leftovers(index_dir) == []


# ----------------------------------------------------------------------------------- damaged files


def _resign(target: Path, name: str) -> None:
    """Make the manifest's size/sha256 match a (damaged) file, as if damage happened before the write."""
    manifest = json.loads((target / MANIFEST).read_text(encoding="utf-8"))
    data = (target / name).read_bytes()
    manifest["files"][name] = {"bytes": len(data), "sha256": hashlib.sha256(data).hexdigest()}
    (target / MANIFEST).write_text(json.dumps(manifest), encoding="utf-8")


@pytest.mark.parametrize("command", ["search", "ask"])
@pytest.mark.parametrize("victim", [MANIFEST, "vectors.faiss", "passages.jsonl", "bm25/data.csc.index.npy"])
def test_cli_reports_truncated_file_without_traceback(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                                      victim: str, command: str) -> None:
    target = tmp_path / "idx"
    _index(target)
    path = target / victim
    path.write_bytes(path.read_bytes()[: path.stat().st_size // 2])
    rc = cli_main([command, FACT_QUESTION, "--index", str(target)])
    err = capsys.readouterr().err
    assert rc == 2
    assert err.startswith("error:"), err
    assert path.name in err and "qa index" in err, err  # names the file and says how to fix it
    assert "Traceback" not in err


def test_cli_damaged_index_in_a_real_process(tmp_path: Path) -> None:
    """The installed entry point (`python -m qa`): exit code 2, one `error:` line, no traceback."""
    target = tmp_path / "idx"
    _index(target)
    (target / "vectors.faiss").write_bytes(b"\x00" * 10)
    out = subprocess.run([sys.executable, "-m", "qa", "search", "小巨人", "--index", str(target)], cwd=REPO,
                         capture_output=True, text=True, timeout=120)
    assert out.returncode == 2
    assert out.stderr.startswith("error:") and "vectors.faiss" in out.stderr and "qa index" in out.stderr
    assert "Traceback" not in out.stderr and out.stdout == ""


@pytest.mark.parametrize(
    ("victim", "content", "named"),
    [
        ("vectors.faiss", b"\x00garbage" * 40, "vectors.faiss"),
        ("passages.jsonl", b"{not json}\n", "passages"),
        ("passages.jsonl", b'{"passage_id": "x"}\n', "passages"),
        ("passages.jsonl", b"\xff\xfe\xfa invalid utf-8\n", "passages"),
        ("documents.jsonl", b'{"unexpected": 1}\n', "documents"),
        ("bm25/data.csc.index.npy", b"\x93NUMPY garbage", "bm25"),
        ("bm25/vocab.index.json", b"{", "bm25"),
        ("bm25/qa_bm25.json", b"[]", "bm25"),
    ],
)
def test_damage_with_matching_checksums_is_still_a_clear_error(tmp_path: Path, victim: str, content: bytes,
                                                               named: str) -> None:
    """Even when size and sha256 match (damage before the manifest was written), parsing fails cleanly."""
    target = tmp_path / "idx"
    _index(target)
    (target / victim).write_bytes(content)
    _resign(target, victim)
    with pytest.raises(IndexCorruptError) as info:
        load_index(target)
    assert named in str(info.value) and "qa index" in str(info.value)


def test_passage_count_mismatch_is_detected(tmp_path: Path) -> None:
    target = tmp_path / "idx"
    _index(target)
    lines = (target / "passages.jsonl").read_text(encoding="utf-8").splitlines(keepends=True)
    (target / "passages.jsonl").write_text("".join(lines[:-1]), encoding="utf-8")
    _resign(target, "passages.jsonl")
    with pytest.raises(IndexCorruptError, match="inconsistent"):
        load_index(target)


# ------------------------------------------------------------------------------ full / read-only disk


@pytest.fixture
def tmpfs(tmp_path: Path) -> Iterator[Path]:
    """A 256 KiB tmpfs (a real full / read-only file system); skipped where mounting is not permitted."""
    mnt = tmp_path / "mnt"
    mnt.mkdir()
    if os.geteuid() != 0 or shutil.which("mount") is None:
        pytest.skip("mounting a tmpfs needs root (the simulated ENOSPC/EROFS tests still run)")
    made = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=256k", "tmpfs", str(mnt)], capture_output=True)
    if made.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {made.stderr.decode().strip()}")
    try:
        yield mnt
    finally:
        if subprocess.run(["umount", str(mnt)], capture_output=True).returncode != 0:
            subprocess.run(["umount", "-l", str(mnt)], capture_output=True)


def _check_previous_intact(target: Path, expected_hash: str) -> None:
    assert load_index(target).manifest["corpus_hash"] == expected_hash
    assert leftovers(target) == []
    ans = QA.open(target, encoder=FakeEncoder()).ask(FACT_QUESTION)
    assert ans.text is not None and "8997" in ans.text


def test_disk_full_real_tmpfs_keeps_previous_index(tmpfs: Path, tmp_path: Path) -> None:
    target = tmpfs / "idx"
    small, big = tmp_path / "small", tmp_path / "big"
    write_corpus(small, "A", n_docs=2)
    write_corpus(big, "A", n_docs=40)  # ~800 passages: far more than 256 KiB of index files
    before = str(QA.build([small], target, encoder=FakeEncoder()).store.manifest["corpus_hash"])
    out = subprocess.run(index_command(big, target), cwd=REPO, capture_output=True, text=True, timeout=120)
    assert out.returncode == 2
    last = out.stderr.strip().splitlines()[-1]
    assert last.startswith("error:") and "No space left on device" in last, out.stderr
    assert "Traceback" not in out.stderr
    _check_previous_intact(target, before)


def test_read_only_file_system_real_tmpfs_keeps_previous_index(tmpfs: Path, tmp_path: Path) -> None:
    target = tmpfs / "idx"
    corpus = tmp_path / "corpus"
    write_corpus(corpus, "A", n_docs=2)
    before = _index(target)
    remount = subprocess.run(["mount", "-o", "remount,ro", str(tmpfs)], capture_output=True)
    if remount.returncode != 0:
        pytest.skip(f"cannot remount read-only: {remount.stderr.decode().strip()}")
    out = subprocess.run(index_command(corpus, target), cwd=REPO, capture_output=True, text=True, timeout=120)
    assert out.returncode == 2
    assert out.stderr.startswith("error:") and "Read-only file system" in out.stderr, out.stderr
    assert "Traceback" not in out.stderr
    assert load_index(target).manifest["corpus_hash"] == before
    ans = QA.open(target, encoder=FakeEncoder()).ask(FACT_QUESTION)  # reading a read-only index works
    assert ans.text is not None and "8997" in ans.text


def _enospc(*_args: object, **_kwargs: object) -> None:
    raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))


@pytest.mark.parametrize("step", ["faiss", "bm25", "manifest"])
def test_disk_full_simulated_at_each_write_step(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                capsys: pytest.CaptureFixture[str], step: str) -> None:
    """Simulated ENOSPC (monkeypatched writers) at each file: clear CLI error, the old index intact."""
    target = tmp_path / "idx"
    corpus = tmp_path / "corpus"
    write_corpus(corpus, "A", n_docs=3)
    assert cli_main(["index", str(corpus), "--index", str(target), "--model", "fake", "-q"]) == 0
    before = str(load_index(target).manifest["corpus_hash"])
    write_corpus(corpus, "B", n_docs=3)
    capsys.readouterr()
    if step == "faiss":
        monkeypatch.setattr("qa.vectors.faiss.FaissIndex.save", _enospc)
    elif step == "bm25":
        monkeypatch.setattr("qa.bm25.BM25Index.save", _enospc)
    else:
        real = Path.write_text

        def write_text(self: Path, *args: object, **kwargs: object) -> int:
            if self.name == MANIFEST:
                _enospc()
            return real(self, *args, **kwargs)  # type: ignore[arg-type]

        monkeypatch.setattr(Path, "write_text", write_text)
    rc = cli_main(["index", str(corpus), "--index", str(target), "--model", "fake", "-q"])
    err = capsys.readouterr().err
    assert rc == 2 and "error:" in err and "No space left on device" in err
    monkeypatch.undo()
    _check_previous_intact(target, before)


def test_read_only_simulated_temp_dir_creation(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                               capsys: pytest.CaptureFixture[str]) -> None:
    """Simulated EROFS when the temporary index directory is created (for machines without mount)."""
    target = tmp_path / "idx"
    before = _index(target)
    real = Path.mkdir

    def mkdir(self: Path, *args: object, **kwargs: object) -> None:
        if ".tmp-" in self.name:
            raise OSError(errno.EROFS, os.strerror(errno.EROFS), str(self))
        real(self, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(Path, "mkdir", mkdir)
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "new.txt").write_text("全新的文档。", encoding="utf-8")
    rc = cli_main(["index", str(corpus), "--index", str(target), "--model", "fake", "-q"])
    err = capsys.readouterr().err
    assert rc == 2 and err.strip().splitlines()[-1].startswith("error:") and "Read-only file system" in err
    monkeypatch.undo()
    assert load_index(target).manifest["corpus_hash"] == before


# ------------------------------------------------------------------------------ incremental rounds


def _snapshot(qa: QA) -> dict[str, object]:
    questions = [FACT_QUESTION, "企业发展与市场规模", "编号doc3-2的项目有多少名员工？"]
    return {
        "corpus_hash": qa.store.manifest["corpus_hash"],
        "documents": [d.to_json() for d in qa.store.documents],
        "passages": [p.to_json() for p in qa.passages],
        "hashes": list(qa.store.passage_hashes),
        "results": {
            (q, mode): [(h.passage_id, round(h.score, 5)) for h in qa.retrieve(q, k=8, mode=mode)]
            for q in questions for mode in ("dense", "bm25", "hybrid")
        },
    }


def _mutate(folder: Path, rng: random.Random, round_no: int) -> None:
    """One round of edits: modify, delete, add, rename, move a paragraph, change only front matter."""
    files = sorted(p for p in folder.iterdir() if p.name.startswith("doc"))
    victim = rng.choice(files)
    victim.write_text(victim.read_text(encoding="utf-8") + f"\n\n第{round_no}轮新增的段落，企业增长。",
                      encoding="utf-8")
    edited = rng.choice([f for f in files if f != victim])
    paragraphs = edited.read_text(encoding="utf-8").split("\n\n")
    paragraphs[rng.randrange(len(paragraphs))] = f"第{round_no}轮改写的段落，市场规模扩大。"
    edited.write_text("\n\n".join(paragraphs), encoding="utf-8")
    gone = rng.choice([f for f in files if f not in (victim, edited)])
    moved_text = gone.read_text(encoding="utf-8")
    gone.unlink()
    (folder / f"doc-renamed-{round_no}.txt").write_text(moved_text, encoding="utf-8")  # same text, new id
    (folder / f"doc-new-{round_no}.txt").write_text(
        corpus_state("A", n_docs=1)["doc000.txt"].split("\n\n")[0]  # a paragraph shared with another doc
        + f"\n\n新文档{round_no}的独有内容。", encoding="utf-8")
    date = f"2022-10-{round_no + 1:02d}"
    (folder / "fact.md").write_text(f"---\ntitle: 小巨人\ndate: {date}\n---\n\n{FACT}\n", encoding="utf-8")


def test_incremental_rounds_equal_fresh_full_builds(tmp_path: Path) -> None:
    folder, target = tmp_path / "corpus", tmp_path / "idx"
    write_corpus(folder, "A", n_docs=8)
    enc = FakeEncoder()
    QA.build([folder], target, encoder=enc)
    rng = random.Random(7)
    for round_no in range(5):
        _mutate(folder, rng, round_no)
        n_before = enc.n_encoded
        qa = QA.build([folder], target, encoder=enc)
        report = qa.last_build
        assert report is not None and report.written and report.reused > 0
        assert enc.n_encoded - n_before == report.embedded < report.passages  # only new texts embedded
        fresh = QA.build([folder], tmp_path / f"fresh{round_no}", encoder=FakeEncoder())
        assert _snapshot(qa) == _snapshot(fresh), f"round {round_no}"
        ids = [p.passage_id for p in qa.passages]
        np.testing.assert_allclose(qa.store.vectors.fetch(ids), fresh.store.vectors.fetch(ids), atol=1e-6)
        assert qa.documents["fact.md"].date == f"2022-10-{round_no + 1:02d}"  # front-matter-only change
        assert leftovers(target) == []
