"""Kill-and-check harness for `qa index`: two corpus states, a `qa index` command line (optionally forcing the
rename-aside swap and holding each swap open), SIGKILL trials, and the check that the index is always the
previous or the new complete one.

Used by tests/hardening/test_kill_index.py and test_concurrency.py (a few trials) and by bench/kill_index.py
(>= 50 trials at random moments, summarized for docs/benchmarks.md).
"""

from __future__ import annotations

import contextlib
import json
import os
import random
import signal
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]

FACT = "截至2022年9月，我国已培育了8997家专精特新“小巨人”企业。"
FACT_QUESTION = "截至2022年9月，我国已培育了多少家专精特新“小巨人”企业？"
FACT_ANSWER = "8997"
STATES = ("A", "B")
KILL_MODES = ("uniform", "write", "swap")
_WORD_CHARS = (
    "企业发展市场技术创新产品政府经济城市公司投资研发制造服务行业政策数据平台国家全国地区项目资金工业科技能源汽车"
    "电池材料芯片卫星航天工厂工人客户订单出口增长规模质量标准专利团队人才教育医疗金融银行农业交通"
)
WORDS = tuple(_WORD_CHARS[i:i + 2] for i in range(0, len(_WORD_CHARS), 2))  # two-character words

# Prologue for `python -c`: optionally disable the atomic exchange (so the rename-aside swap and recover()
# are exercised) and/or hold each swap open for 0.3 s (so a "swap" kill lands inside it), then run the CLI.
_WRAPPER = """
import os, sys, time
import qa.atomic
ASIDE, SLOW = {aside}, {slow}
_replace, _exchange = os.replace, qa.atomic.exchange
def replace(src, dst):
    _replace(src, dst)
    if SLOW and ".old-" in os.fspath(dst):
        time.sleep(0.3)  # the index directory is renamed aside; the new one is not in place yet
def exchange(a, b):
    if ASIDE:
        return False
    done = _exchange(a, b)
    if SLOW and done:
        time.sleep(0.3)  # exchanged; the old index is not deleted yet
    return done
qa.atomic.os.replace = replace
qa.atomic.exchange = exchange
from qa.cli import main
sys.exit(main(sys.argv[1:]))
"""


def _paragraph(rng: random.Random, tag: str) -> str:
    body = "".join(rng.choice(WORDS) for _ in range(rng.randint(15, 35)))
    return f"{body}，编号{tag}的项目有{rng.randint(1, 9999)}名员工。"


def _doc_text(seed: str, n_paragraphs: int) -> str:
    rng = random.Random(seed)
    return "\n\n".join(_paragraph(rng, f"{seed}-{i}") for i in range(n_paragraphs))


def corpus_state(state: str, n_docs: int = 40, n_paragraphs: int = 20) -> dict[str, str]:
    """File name -> text of corpus state "A" or "B" (B: every 3rd doc changed, 2 deleted, 3 added)."""
    if state not in STATES:
        raise ValueError(f"unknown corpus state {state!r}: use A or B")
    files = {f"doc{i:03d}.txt": _doc_text(f"doc{i}", n_paragraphs) for i in range(n_docs)}
    files["fact.md"] = (f"---\ntitle: 小巨人\ndate: 2022-10-01\n---\n\n{FACT}\n\n"
                        "北京市是专精特新企业最多的城市。\n")
    if state == "B":
        for i in range(0, n_docs, 3):
            files[f"doc{i:03d}.txt"] += "\n\n" + _doc_text(f"doc{i}-v2", 2)
        for i in (1, 2):
            files.pop(f"doc{i:03d}.txt", None)
        for i in range(3):
            files[f"new{i}.txt"] = _doc_text(f"new{i}", n_paragraphs)
    return files


def write_corpus(folder: Path, state: str, n_docs: int = 40) -> None:
    """Make `folder` hold exactly corpus state `state` (removing files of the other state)."""
    folder.mkdir(parents=True, exist_ok=True)
    files = corpus_state(state, n_docs)
    for old in folder.iterdir():
        if old.name not in files:
            old.unlink()
    for name, text in files.items():
        path = folder / name
        if not path.exists() or path.read_text(encoding="utf-8") != text:
            path.write_text(text, encoding="utf-8")


@dataclass(frozen=True)
class Reference:
    """What a complete index of one corpus state holds."""

    corpus_hash: str
    passages: tuple[str, ...]  # JSON of every passage, in index order


def build_references(folder: Path, workdir: Path, n_docs: int = 40) -> dict[str, Reference]:
    """Fresh full builds of both states (same folder path, so sources and hashes match the CLI's)."""
    from embeddings.encoder import FakeEncoder
    from qa.api import QA

    refs: dict[str, Reference] = {}
    for state in STATES:
        write_corpus(folder, state, n_docs)
        qa = QA.build([folder], workdir / f"ref-{state}", encoder=FakeEncoder())
        refs[state] = Reference(
            str(qa.store.manifest["corpus_hash"]),
            tuple(json.dumps(p.to_json(), ensure_ascii=False, sort_keys=True) for p in qa.passages),
        )
    if refs["A"].corpus_hash == refs["B"].corpus_hash:
        raise AssertionError("the two corpus states must differ")
    return refs


def index_command(folder: Path, index_dir: Path, *, rename_aside: bool = False,
                  slow_swap: bool = False) -> list[str]:
    """The `qa index` command line of a trial."""
    args = ["index", str(folder), "--index", str(index_dir), "--model", "fake", "-q"]
    if rename_aside or slow_swap:
        return [sys.executable, "-c", _WRAPPER.format(aside=rename_aside, slow=slow_swap), *args]
    return [sys.executable, "-m", "qa", *args]


def leftovers(index_dir: Path) -> list[str]:
    """Temporary/aside siblings of the index directory (the lock file is not one)."""
    prefix = f".{index_dir.name}."
    return sorted(p.name for p in index_dir.parent.iterdir()
                  if p.name.startswith(prefix) and not p.name.endswith(".lock"))


def state_of(index_dir: Path, refs: dict[str, Reference]) -> str:
    """Load the index (as a reader would: recovering an interrupted swap) and name the state it holds.

    Raises AssertionError when it is not exactly one of the reference builds or cannot answer.
    """
    from embeddings.encoder import FakeEncoder
    from qa.api import QA

    qa = QA.open(index_dir, encoder=FakeEncoder())
    found = str(qa.store.manifest["corpus_hash"])
    state = next((s for s, r in refs.items() if r.corpus_hash == found), None)
    if state is None:
        raise AssertionError(f"{index_dir} holds an unknown corpus (hash {found[:12]})")
    passages = tuple(json.dumps(p.to_json(), ensure_ascii=False, sort_keys=True) for p in qa.passages)
    if passages != refs[state].passages:
        raise AssertionError(f"{index_dir} has the corpus hash of state {state} but other passages")
    answer = qa.ask(FACT_QUESTION)
    if answer.text is None or FACT_ANSWER not in answer.text:
        raise AssertionError(f"{index_dir} (state {state}) answered {answer.text!r} to the fact question")
    return state


@dataclass(frozen=True)
class Trial:
    """One killed (or finished) run and what was found afterwards."""

    number: int
    swap: str  # "exchange" (renameat2) or "rename-aside"
    kill: str  # "uniform", "write" or "swap"
    delay_s: float  # after the start ("uniform"), after the temp dir appeared ("write"), 0 ("swap")
    previous: str
    wanted: str
    found: str
    finished: bool  # the run completed before the kill
    target_missing: bool  # the index directory was renamed aside at the kill (restored by recover())
    leftovers: int  # temp/aside siblings right after the kill

    @property
    def outcome(self) -> str:
        if self.finished:
            return "finished"
        return "new" if self.found == self.wanted else "previous"


def _wait_for_temp(proc: subprocess.Popen[bytes], index_dir: Path, timeout_s: float) -> bool:
    tag = f".{index_dir.name}.tmp-{proc.pid}-"
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline and proc.poll() is None:
        with os.scandir(index_dir.parent) as it:
            if any(e.name.startswith(tag) for e in it):
                return True
        time.sleep(0.0005)
    return False


def _wait_for_swap(proc: subprocess.Popen[bytes], index_dir: Path, timeout_s: float) -> bool:
    """Wait until the index directory is renamed aside or replaced (its inode changes)."""
    inode = os.stat(index_dir).st_ino
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline and proc.poll() is None:
        try:
            if os.stat(index_dir).st_ino != inode:
                return True
        except FileNotFoundError:
            return True
        time.sleep(0.0005)
    return False


def run_trial(
    number: int,
    folder: Path,
    index_dir: Path,
    refs: dict[str, Reference],
    rng: random.Random,
    *,
    kill: str,
    rename_aside: bool,
    run_s: float,
    n_docs: int = 40,
    write_window_s: float = 0.5,
) -> Trial:
    """Switch the corpus to the other state, start `qa index`, SIGKILL it, check what is left."""
    previous = state_of(index_dir, refs) if (index_dir / "manifest.json").exists() else "A"
    wanted = "B" if previous == "A" else "A"
    write_corpus(folder, wanted, n_docs)
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    command = index_command(folder, index_dir, rename_aside=rename_aside, slow_swap=kill == "swap")
    proc = subprocess.Popen(command, cwd=REPO, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        if kill == "uniform":
            delay = rng.uniform(0.0, 1.1 * run_s)
            with contextlib.suppress(subprocess.TimeoutExpired):
                proc.wait(timeout=delay)
        elif kill == "write":
            delay = rng.uniform(0.0, write_window_s)
            if _wait_for_temp(proc, index_dir, timeout_s=20 * run_s + 30):
                time.sleep(delay)
        elif kill == "swap":
            delay = 0.0
            _wait_for_swap(proc, index_dir, timeout_s=20 * run_s + 30)
        else:
            raise ValueError(f"unknown kill mode {kill!r}")
        if proc.poll() is None:
            proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    _, err = proc.communicate()
    finished = proc.returncode == 0
    if proc.returncode not in (0, -signal.SIGKILL):
        raise AssertionError(f"trial {number}: qa index exited with {proc.returncode}: "
                             f"{err.decode()[-2000:]}")
    target_missing = not index_dir.exists()
    left = leftovers(index_dir)
    found = state_of(index_dir, refs)
    if found not in (previous, wanted):
        raise AssertionError(f"trial {number}: found state {found}, expected {previous} or {wanted}")
    if finished and found != wanted:
        raise AssertionError(f"trial {number}: the run finished but the index holds the previous state")
    if len(left) > 2:  # one killed run leaves at most its temp dir and (rename-aside) the old index
        raise AssertionError(f"trial {number}: temporary directories pile up: {left}")
    return Trial(number, "rename-aside" if rename_aside else "exchange", kill, round(delay, 4), previous,
                 wanted, found, finished, target_missing, len(left))


def timed_full_run(folder: Path, index_dir: Path, refs: dict[str, Reference], n_docs: int = 40) -> float:
    """One uninterrupted run to the other state; returns its wall time and checks nothing is left over."""
    current = state_of(index_dir, refs) if (index_dir / "manifest.json").exists() else "A"
    wanted = "B" if current == "A" else "A"
    write_corpus(folder, wanted, n_docs)
    start = time.monotonic()
    subprocess.run(index_command(folder, index_dir), cwd=REPO, check=True, capture_output=True)
    elapsed = time.monotonic() - start
    if state_of(index_dir, refs) != wanted:
        raise AssertionError("an uninterrupted run did not produce the new state")
    if leftovers(index_dir):
        raise AssertionError(f"stale temporary directories were not cleaned: {leftovers(index_dir)}")
    return elapsed
