"""Security: the app binds to loopback; no pickle (or other code-executing format) is read from an index
directory; paths given to `qa index` never make it write outside the index directory or its lock file;
a directory that is not an index is never replaced.
"""

from __future__ import annotations

import hashlib
import json
import os
import pickle
import re
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from embeddings.encoder import FakeEncoder
from qa.cli import main as cli_main
from qa.indexer import build_index
from qa.store import MANIFEST, IndexCorruptError, load_index
from qa.types import Document

REPO = Path(__file__).resolve().parents[2]
FACT = "截至2022年9月，我国已培育了8997家专精特新“小巨人”企业。"


# ----------------------------------------------------------------------------------- loopback binding


def test_app_binds_to_loopback_by_default(monkeypatch: pytest.MonkeyPatch) -> None:
    import app

    monkeypatch.setenv("GRADIO_SERVER_NAME", "0.0.0.0")  # gradio's own env default must not win
    monkeypatch.delenv("QA_PORT", raising=False)
    args = app.parse_args([])
    assert args.host == "127.0.0.1" and args.share is False


def test_launch_passes_the_loopback_host_to_gradio(monkeypatch: pytest.MonkeyPatch) -> None:
    """app.main -> qa.ui.launch -> Blocks.launch(server_name="127.0.0.1", share=False), checked with fakes."""
    import app
    import qa.ui

    seen: dict[str, Any] = {}

    class FakeBlocks:
        def queue(self, **kwargs: Any) -> FakeBlocks:
            return self

        def launch(self, **kwargs: Any) -> None:
            seen.update(kwargs)

    monkeypatch.setattr(qa.ui, "start_service", lambda index_dir, model=None, reader="rules": object())
    monkeypatch.setattr(qa.ui, "build_app", lambda service: FakeBlocks())
    monkeypatch.setattr("logging.basicConfig", lambda **kwargs: None)
    monkeypatch.delenv("QA_PORT", raising=False)
    assert app.main(["--port", "7999"]) == 0
    assert seen["server_name"] == "127.0.0.1" and seen["share"] is False and seen["server_port"] == 7999


def _listeners(port: int) -> list[str]:
    """Local addresses (hex, as in /proc/net/tcp*) of sockets listening on `port`; no traffic is sent."""
    found = []
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        try:
            lines = Path(table).read_text().splitlines()[1:]
        except OSError:
            continue
        for line in lines:
            fields = line.split()
            address, state = fields[1], fields[3]
            host, _, hex_port = address.rpartition(":")
            if state == "0A" and int(hex_port, 16) == port:  # 0A = LISTEN
                found.append(host)
    return found


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.mark.slow
@pytest.mark.skipif(not Path("/proc/net/tcp").exists(), reason="reads the Linux socket table")
def test_running_app_listens_on_loopback_only(tmp_path: Path) -> None:
    """Start `python app.py --index DIR` (FakeEncoder index: no model) and read its listening socket."""
    target = tmp_path / "idx"
    build_index([Document("fact.md", "小巨人", FACT, "2022-10-01")], target, FakeEncoder())
    port = _free_port()
    env = {**os.environ, "GRADIO_ANALYTICS_ENABLED": "False", "GRADIO_SERVER_NAME": "0.0.0.0"}
    env.pop("QA_PORT", None)
    log = tmp_path / "app.log"
    with log.open("wb") as out:
        proc = subprocess.Popen([sys.executable, "app.py", "--index", str(target), "--port", str(port)], cwd=REPO,
                                env=env, stdout=out, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 180
        while not _listeners(port):
            if proc.poll() is not None or time.monotonic() > deadline:
                pytest.fail(f"app.py did not listen on {port}:\n{log.read_text()[-3000:]}")
            time.sleep(0.2)
        hosts = set(_listeners(port))
        assert hosts == {"0100007F"}, f"listening on {hosts} (0100007F = 127.0.0.1; 00000000 = all interfaces)"
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


# ------------------------------------------------------------------------------ no pickle in an index

class Exploit:
    """Unpickling this creates the flag file: proof that code ran."""

    def __init__(self, flag: Path) -> None:
        self.flag = flag

    def __reduce__(self) -> tuple[Any, ...]:
        return (Path.touch, (self.flag,))


def _resign(target: Path, name: str) -> None:
    manifest = json.loads((target / MANIFEST).read_text(encoding="utf-8"))
    data = (target / name).read_bytes()
    manifest["files"][name] = {"bytes": len(data), "sha256": hashlib.sha256(data).hexdigest()}
    (target / MANIFEST).write_text(json.dumps(manifest), encoding="utf-8")


@pytest.fixture
def index_dir(tmp_path: Path) -> Path:
    target = tmp_path / "idx"
    build_index([Document("fact.md", "小巨人", f"{FACT}\n\n北京市是专精特新企业最多的城市。", "2022-10-01")], target,
                FakeEncoder())
    return target


def _plant(path: Path, flag: Path, kind: str) -> None:
    """Write a payload that runs code when unpickled: an object-dtype .npy, or a raw pickle."""
    path.parent.mkdir(parents=True, exist_ok=True)
    if kind == "npy-object":
        with path.open("wb") as f:  # a file object: np.save must not append ".npy" to the name
            np.save(f, np.array([Exploit(flag)], dtype=object), allow_pickle=True)
    else:
        path.write_bytes(pickle.dumps(Exploit(flag)))


def test_the_exploit_really_executes_when_unpickled(tmp_path: Path) -> None:
    """Guard for the tests below: the planted payload does run code when something unpickles it."""
    flag = tmp_path / "flag"
    pickle.loads(pickle.dumps(Exploit(flag)))
    assert flag.exists()


@pytest.mark.parametrize("kind", ["npy-object", "raw-pickle"])
@pytest.mark.parametrize("victim", ["bm25/data.csc.index.npy", "bm25/indptr.csc.index.npy", "vectors.faiss",
                                    "passages.jsonl", "bm25/params.index.json"])
@pytest.mark.parametrize("resign", [False, True], ids=["checksum-mismatch", "manifest-re-signed"])
def test_planted_pickle_is_never_executed(index_dir: Path, tmp_path: Path, victim: str, kind: str,
                                          resign: bool) -> None:
    """A payload in place of an index file fails to load cleanly, even when the manifest vouches for it."""
    flag = tmp_path / "flag"
    _plant(index_dir / victim, flag, kind)
    if resign:
        _resign(index_dir, victim)
    with pytest.raises(IndexCorruptError) as info:
        load_index(index_dir)
    assert "qa index" in str(info.value)
    assert not flag.exists(), "code in the planted pickle was executed"


def test_extra_pickles_in_the_index_dir_are_ignored(index_dir: Path, tmp_path: Path) -> None:
    flag = tmp_path / "flag"
    for name in ("index.pkl", "vectors.npy", "bm25/extra.npy", "bm25/nonoccurrence_array.index.npy",
                 "passages.pickle", "model.pt"):
        _plant(index_dir / name, flag, "npy-object" if name.endswith(".npy") else "raw-pickle")
    stored = load_index(index_dir)
    assert stored.passages and len(stored.passages) == stored.manifest["counts"]["passages"]
    assert not flag.exists()


def test_sources_never_unpickle() -> None:
    """No module of the package reads pickles, torch files or unsafe YAML (static guard)."""
    banned = re.compile(r"pickle\.loads?\(|allow_pickle\s*=\s*True|torch\.load\(|joblib\.load\(|"
                        r"yaml\.load\(|yaml\.unsafe_load|dill\.|cloudpickle|np\.load\((?!.*allow_pickle=False)")
    # np.load's arguments may hold calls of their own: np.load(io.BytesIO(data), allow_pickle=False) is safe
    assert not banned.search("np.load(io.BytesIO(data), allow_pickle=False)")
    assert banned.search("np.load(io.BytesIO(data))") and banned.search("np.load(f, allow_pickle=True)")
    offenders = []
    for folder in ("qa", "embeddings", "eval"):
        for path in sorted((REPO / folder).rglob("*.py")):
            for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
                if banned.search(line):
                    offenders.append(f"{path.relative_to(REPO)}:{n}: {line.strip()}")
    app_src = (REPO / "app.py").read_text(encoding="utf-8")
    assert not banned.search(app_src)
    assert offenders == []


# ------------------------------------------------------------------------------------- path confinement


def _snapshot(root: Path) -> dict[str, tuple[Any, ...]]:
    """Everything under root: type, size, mtime and content hash (links by target, not followed)."""
    out: dict[str, tuple[Any, ...]] = {}
    for dirpath, dirnames, filenames in os.walk(root):
        for name in dirnames + filenames:
            path = Path(dirpath) / name
            rel = path.relative_to(root).as_posix()
            st = path.lstat()
            if path.is_symlink():
                out[rel] = ("link", os.readlink(path))
            elif path.is_dir():
                out[rel] = ("dir",)
            else:
                out[rel] = ("file", st.st_size, st.st_mtime_ns, hashlib.sha256(path.read_bytes()).hexdigest())
    return out


def _changed(before: dict[str, tuple[Any, ...]], after: dict[str, tuple[Any, ...]]) -> set[str]:
    return {k for k in before.keys() | after.keys() if before.get(k) != after.get(k)}


def _layout(root: Path) -> None:
    """work/ (cwd), docs/ with links pointing outside, outside/ with a secret, home/ and cache/."""
    for name in ("work", "docs/sub", "outside/deeper", "home", "cache"):
        (root / name).mkdir(parents=True)
    (root / "docs" / "a.txt").write_text(FACT, encoding="utf-8")
    (root / "docs" / "sub" / "b.md").write_text("# 标题\n\n北京市是专精特新企业最多的城市。", encoding="utf-8")
    (root / "docs" / "a..b.txt").write_text("文件名里有两个点。", encoding="utf-8")
    (root / "outside" / "secret.txt").write_text("外部的秘密文件。", encoding="utf-8")
    (root / "outside" / "deeper" / "c.txt").write_text("更深的外部文件。", encoding="utf-8")
    os.symlink("../outside/secret.txt", root / "docs" / "link_out.txt")
    os.symlink("../outside", root / "docs" / "linkdir")
    os.symlink("../../outside/deeper", root / "docs" / "sub" / "up")


@pytest.mark.parametrize("index_arg", ["sub/../idx", "ABS"])
def test_index_writes_only_inside_the_index_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                capsys: pytest.CaptureFixture[str], index_arg: str) -> None:
    """`qa index` with `..`, absolute paths and links pointing outside: only idx/ and .idx.lock change."""
    _layout(tmp_path)
    work = tmp_path / "work"
    (work / "sub").mkdir()
    index = str(work / "idx") if index_arg == "ABS" else index_arg
    monkeypatch.chdir(work)
    monkeypatch.setenv("HOME", str(tmp_path / "home"))  # a write to ~/.cache or $QA_CACHE_DIR would show
    monkeypatch.setenv("QA_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.delenv("QA_INDEX_DIR", raising=False)
    before = _snapshot(tmp_path)
    rc = cli_main(["index", "../docs", "../outside/secret.txt", str(tmp_path / "outside/deeper"),
                   "--index", index, "--model", "fake", "-q"])
    assert rc == 0, capsys.readouterr().err
    changed = _changed(before, _snapshot(tmp_path))
    allowed = re.compile(r"work/(idx(/.*)?|\.idx\.lock)")
    assert changed and all(allowed.fullmatch(c) for c in changed), sorted(c for c in changed
                                                                          if not allowed.fullmatch(c))
    stored = load_index(work / "idx")
    ids = {d.doc_id for d in stored.documents}
    # Each real file once (first path wins); ids are relative to the folder given, or the bare file name.
    assert {"a.txt", "a..b.txt", "sub/b.md"} <= ids
    assert ids <= {"a.txt", "a..b.txt", "sub/b.md", "link_out.txt", "linkdir/secret.txt", "linkdir/deeper/c.txt",
                   "sub/up/c.txt", "secret.txt", "c.txt"}
    for doc_id in ids:
        assert not doc_id.startswith("/") and ".." not in doc_id.split("/"), doc_id
    assert "a..b.txt" in ids  # ".." inside a file name is fine; it is not a path segment


@pytest.mark.parametrize("victim", ["corpus-folder", "unrelated-folder"])
def test_a_directory_that_is_not_an_index_is_never_replaced(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                                            victim: str) -> None:
    """`--index` pointing at a folder with other files (a typo, or the corpus itself) must not delete them."""
    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / "a.txt").write_text(FACT, encoding="utf-8")
    (docs / "notes.dat").write_text("precious notes", encoding="utf-8")
    target = docs if victim == "corpus-folder" else tmp_path / "thesis"
    if victim == "unrelated-folder":
        target.mkdir()
        (target / "thesis.tex").write_text("keep me", encoding="utf-8")
    before = _snapshot(target)
    rc = cli_main(["index", str(docs), "--index", str(target), "--model", "fake", "-q"])
    err = capsys.readouterr().err
    after = _snapshot(target) if target.exists() else {}
    assert {k: v for k, v in after.items() if k in before} == before, "files in the folder were deleted"
    assert rc == 2 and err.strip().splitlines()[-1].startswith("error:"), err
