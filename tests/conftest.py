"""Shared fixtures: `app_server` runs `python app.py --index <tmp index>` once per session (UI tests)."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
APP_START_TIMEOUT_S = 300.0

# Untrusted document content for the UI tests: markup in the title, body and front-matter fields.
HOSTILE_DOC_ID = "hostile-doc"
HOSTILE_SCRIPT = "<script>window.__pwned=1</script>"
HOSTILE_IMG = '<img src=x onerror="window.__pwned=2">'
HOSTILE_TITLE = "<script>window.__pwned=3</script>蓝鲸测试公司简介"
HOSTILE_QUESTION = "蓝鲸测试公司的总部位于哪个城市？"
HOSTILE_BODY = (
    f"蓝鲸测试公司的总部位于杭州市。{HOSTILE_SCRIPT} 该公司成立于2015年，{HOSTILE_IMG} 主要从事安全测试。\n\n"
    '[点击这里](javascript:window.__pwned=4) **粗体** <a href="javascript:window.__pwned=6">链接</a> $$x$$'
)
HOSTILE_MD = f"""---
title: "{HOSTILE_TITLE}"
date: 2023-05-01
author: "<img src=x onerror=window.__pwned=5>"
---

{HOSTILE_BODY}
"""

# Runs in a subprocess (keeps the embedding model out of the pytest process): the bundled corpus plus one
# hostile document, built from a Document record so the loader's HTML cleaning cannot defuse the markup.
_BUILD_SCRIPT = """
import sys
from qa.api import QA
from qa.paths import bundled_corpus
from qa.loaders import load_documents
from qa.types import Document

source, index_dir, doc_id, title, body, author = sys.argv[1:7]
docs = load_documents([bundled_corpus()])
docs.append(Document(doc_id=doc_id, title=title, text=body, date="2023-05-01", source=source,
                     metadata={"author": author}))
qa = QA.build_from_documents(docs, index_dir)
print("built", len(qa.documents), "documents", len(qa.passages), "passages")
"""


@dataclass(frozen=True)
class AppServer:
    url: str
    index_dir: Path
    log_path: Path
    process: subprocess.Popen[bytes]

    def log_tail(self, chars: int = 4000) -> str:
        return self.log_path.read_text(encoding="utf-8", errors="replace")[-chars:]


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _wait_ready(server: AppServer) -> None:
    """Wait until the page answers and the `/status` endpoint says the index is loaded."""
    deadline = time.monotonic() + APP_START_TIMEOUT_S
    while True:
        if server.process.poll() is not None:
            pytest.fail(f"app.py exited with {server.process.returncode}:\n{server.log_tail()}")
        if time.monotonic() > deadline:
            pytest.fail(f"app.py did not become ready in {APP_START_TIMEOUT_S:.0f} s:\n{server.log_tail()}")
        try:
            with urllib.request.urlopen(server.url, timeout=5) as resp:
                if resp.status == 200:
                    break
        except OSError:
            pass
        time.sleep(0.5)
    from gradio_client import Client

    client = Client(server.url, verbose=False)
    while True:
        status = client.predict(api_name="/status")
        if status.get("ready"):
            return
        if status.get("error"):
            pytest.fail(f"the app could not load its index: {status['error']}\n{server.log_tail()}")
        if time.monotonic() > deadline:
            pytest.fail(f"the index did not load in {APP_START_TIMEOUT_S:.0f} s:\n{server.log_tail()}")
        time.sleep(0.5)


@pytest.fixture(scope="session")
def app_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[AppServer]:
    """`python app.py --index DIR` on a free port; DIR = bundled corpus + a hostile document (real model)."""
    root = tmp_path_factory.mktemp("app")
    index_dir = root / "index"
    hostile_md = root / "hostile.md"
    hostile_md.write_text(HOSTILE_MD, encoding="utf-8")
    env = {**os.environ, "GRADIO_ANALYTICS_ENABLED": "False", "PYTHONUNBUFFERED": "1"}
    env.pop("QA_PORT", None)
    built = subprocess.run(
        [sys.executable, "-c", _BUILD_SCRIPT, str(hostile_md), str(index_dir), HOSTILE_DOC_ID, HOSTILE_TITLE,
         HOSTILE_BODY, HOSTILE_IMG],
        cwd=REPO, env=env, capture_output=True, text=True, timeout=900,
    )
    if built.returncode != 0:
        pytest.fail(f"building the test index failed:\n{built.stdout[-2000:]}\n{built.stderr[-4000:]}")
    port = _free_port()
    log_path = root / "app.log"
    with log_path.open("wb") as log:
        proc = subprocess.Popen(
            [sys.executable, "app.py", "--index", str(index_dir), "--port", str(port)],
            cwd=REPO, env=env, stdout=log, stderr=subprocess.STDOUT,
        )
    server = AppServer(url=f"http://127.0.0.1:{port}/", index_dir=index_dir, log_path=log_path, process=proc)
    try:
        _wait_ready(server)
        yield server
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=15)


@pytest.fixture(scope="session")
def corpus_dir() -> Path:
    """The bundled seed corpus (data/corpus: five Chinese news articles)."""
    return REPO / "data" / "corpus"
