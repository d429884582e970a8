"""Load test of the chat app's `/ask` endpoint: N concurrent gradio_client users on loopback.

    .venv/bin/python bench/load_app.py [--clients 50] [--questions 4] [--model fake] [--markdown out.md]
    .venv/bin/python bench/load_app.py --url http://127.0.0.1:7860/     # an app that is already running

Without --url it builds an index of the bundled corpus (`qa index --index TMP [--model M]`, or uses
--index DIR), starts `python app.py --index DIR --port FREE` on 127.0.0.1 and stops it at the end.
Questions come from eval/gold/corpus.jsonl: a calibration pass asks each one once and keeps those the app
answers correctly (the answer contains a gold answer, or the reverse). Under load every client asks
--questions of them; an answer counts as correct when it equals the calibration answer (same span, same
citations) — so both correctness and determinism under concurrency are checked. Only loopback URLs are
accepted. Prints p50/p95/max latency and throughput, and a markdown snippet for docs/benchmarks.md.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

from common import free_port

REPO = Path(__file__).resolve().parent.parent
GOLD = REPO / "eval" / "gold" / "corpus.jsonl"
REQUEST_TIMEOUT_S = 300.0


@dataclass(frozen=True)
class Result:
    """One request under load."""

    client: int
    question: str
    latency_s: float
    ok: bool
    error: str | None = None


def _check_loopback(url: str) -> None:
    host = urlparse(url).hostname or ""
    if not (host.startswith("127.") or host in ("localhost", "::1")):
        raise SystemExit(f"refusing to load-test {url}: only loopback addresses "
                         "(127.0.0.0/8, localhost, ::1)")


def _client(url: str) -> Any:
    from gradio_client import Client

    return Client(url, verbose=False, analytics_enabled=False, download_files=False)


def start_app(index_dir: Path, log_path: Path) -> tuple[subprocess.Popen[bytes], str]:
    """`python app.py --index DIR --port FREE` on 127.0.0.1; returns the process and its URL once ready."""
    port = free_port()
    env = {**os.environ, "GRADIO_ANALYTICS_ENABLED": "False", "PYTHONUNBUFFERED": "1"}
    env.pop("QA_PORT", None)
    with log_path.open("wb") as log:
        proc = subprocess.Popen([sys.executable, "app.py", "--index", str(index_dir), "--port", str(port)],
                                cwd=REPO, env=env, stdout=log, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}/"
    deadline = time.monotonic() + 600
    while True:
        if proc.poll() is not None:
            raise SystemExit(f"app.py exited with {proc.returncode}:\n{log_path.read_text()[-3000:]}")
        if time.monotonic() > deadline:
            proc.kill()
            raise SystemExit("app.py did not come up in 600 s")
        try:
            with urllib.request.urlopen(url, timeout=5) as resp:
                if resp.status == 200:
                    break
        except OSError:
            time.sleep(0.5)
    client = _client(url)
    while not client.predict(api_name="/status").get("ready"):
        if time.monotonic() > deadline or proc.poll() is not None:
            proc.kill()
            raise SystemExit(f"the index did not load:\n{log_path.read_text()[-3000:]}")
        time.sleep(0.5)
    return proc, url


def gold_questions() -> list[tuple[str, list[str]]]:
    rows = [json.loads(line) for line in GOLD.read_text(encoding="utf-8").splitlines() if line.strip()]
    return [(r["question"], list(r["answers"])) for r in rows if r.get("answers")]


def _correct(answer: str | None, gold: Sequence[str]) -> bool:
    return answer is not None and any(g in answer or answer in g for g in gold)


def _key(out: dict[str, Any]) -> str:
    return json.dumps({"answer": out["answer"], "citations": out["citations"]}, ensure_ascii=False,
                      sort_keys=True)


def calibrate(url: str, want: int) -> dict[str, str]:
    """Question -> expected answer key, for up to `want` gold questions the app answers correctly."""
    client = _client(url)
    expected: dict[str, str] = {}
    for question, gold in gold_questions():
        out = client.predict(question, api_name="/ask")
        if _correct(out["answer"], gold):
            expected[question] = _key(out)
            if len(expected) >= want:
                break
    if not expected:
        raise SystemExit("the app answered none of the gold questions correctly; nothing to load-test")
    return expected


def run_load(url: str, expected: dict[str, str], clients: int, per_client: int) -> tuple[list[Result], float]:
    """`clients` threads, each with its own gradio Client, ask `per_client` questions after a common start."""
    questions = list(expected)
    barrier = threading.Barrier(clients + 1)
    results: list[Result] = []
    lock = threading.Lock()

    def user(n: int) -> None:
        mine: list[Result] = []
        try:
            client = _client(url)
        except Exception as exc:  # noqa: BLE001 - report every failure as a result
            barrier.wait()
            mine = [Result(n, "", 0.0, False, f"connect: {type(exc).__name__}: {exc}")]
        else:
            barrier.wait()
            for i in range(per_client):
                q = questions[(n * per_client + i) % len(questions)]
                start = time.perf_counter()
                try:
                    out = client.submit(q, api_name="/ask").result(timeout=REQUEST_TIMEOUT_S)
                    ok, err = _key(out) == expected[q], None
                    if not ok:
                        err = f"different answer: {out['answer']!r}"
                except Exception as exc:  # noqa: BLE001
                    ok, err = False, f"{type(exc).__name__}: {exc}"
                mine.append(Result(n, q, time.perf_counter() - start, ok, err))
        with lock:
            results.extend(mine)

    threads = [threading.Thread(target=user, args=(n,), daemon=True) for n in range(clients)]
    for t in threads:
        t.start()
    barrier.wait(timeout=600)
    start = time.perf_counter()
    for t in threads:
        t.join(timeout=REQUEST_TIMEOUT_S * per_client + 60)
    return results, time.perf_counter() - start


def _percentile(values: Sequence[float], q: float) -> float:
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    return ordered[min(len(ordered) - 1, max(0, round(q * (len(ordered) - 1))))]


def summarize(results: Sequence[Result], wall_s: float, *, clients: int, per_client: int, n_questions: int,
              model: str, command: str) -> str:
    latencies = [r.latency_s for r in results if r.ok]
    errors = [r for r in results if r.error and not r.error.startswith("different answer")]
    wrong = [r for r in results if r.error and r.error.startswith("different answer")]
    lines = [
        "### Chat app under load (bench/load_app.py)",
        "",
        f"Command: `{command}`",
        "",
        f"{clients} concurrent gradio_client users on 127.0.0.1, {per_client} questions each "
        f"({len(results)} requests over {n_questions} distinct gold questions the app answers correctly), "
        f"`/ask` endpoint, index model `{model}`, app queue concurrency 4, 2 CPU cores.",
        "",
        "| requests | correct | wrong answer | errors | p50 latency | p95 latency | max latency "
        "| throughput |",
        "| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
        f"| {len(results)} | {sum(r.ok for r in results)} | {len(wrong)} | {len(errors)} "
        f"| {statistics.median(latencies) if latencies else float('nan'):.2f} s "
        f"| {_percentile(latencies, 0.95):.2f} s | {max(latencies, default=float('nan')):.2f} s "
        f"| {len(results) / wall_s:.1f} req/s |",
        "",
        f"Latency includes queueing: with {clients} users and 4 answers computed at a time, "
        "most of it is waiting.",
    ]
    for r in (errors + wrong)[:5]:
        lines.append(f"- client {r.client}: {r.error}")
    return "\n".join(lines) + "\n"


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--url", default=None, help="a running app (loopback only); default: start one")
    parser.add_argument("--index", type=Path, default=None, help="index to serve (default: bundled corpus)")
    parser.add_argument("--model", default=None, help="model of the built index (default: e5-small)")
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument("--questions", type=int, default=4, help="questions per client")
    parser.add_argument("--distinct", type=int, default=20, help="distinct gold questions to use")
    parser.add_argument("--markdown", type=Path, default=None, help="also write the snippet here")
    args = parser.parse_args(argv)
    if args.clients < 1 or args.questions < 1:
        parser.error("--clients and --questions must be >= 1")
    command = "python bench/load_app.py " + " ".join(argv if argv is not None else sys.argv[1:])
    proc = None
    with tempfile.TemporaryDirectory(prefix="load-app-") as tmp:
        try:
            if args.url:
                _check_loopback(args.url)
                url = args.url
            else:
                index_dir = args.index
                if index_dir is None:
                    index_dir = Path(tmp) / "index"
                    cmd = [sys.executable, "-m", "qa", "index", "--index", str(index_dir), "-q"]
                    if args.model:
                        cmd += ["--model", args.model]
                    print("building the bundled index:", " ".join(cmd), flush=True)
                    subprocess.run(cmd, cwd=REPO, check=True)
                proc, url = start_app(index_dir, Path(tmp) / "app.log")
                print(f"app ready at {url}", flush=True)
            status = _client(url).predict(api_name="/status")
            expected = calibrate(url, args.distinct)
            print(f"calibrated {len(expected)} questions", flush=True)
            results, wall = run_load(url, expected, args.clients, args.questions)
        finally:
            if proc is not None:
                proc.terminate()
                try:
                    proc.wait(timeout=20)
                except subprocess.TimeoutExpired:
                    proc.kill()
                    proc.wait()
    text = summarize(results, wall, clients=args.clients, per_client=args.questions,
                     n_questions=len(expected), model=str(status.get("model")), command=command.strip())
    print(text)
    if args.markdown:
        args.markdown.write_text(text, encoding="utf-8")
    complete = len(results) == args.clients * args.questions
    return 0 if complete and all(r.ok for r in results) else 1


if __name__ == "__main__":
    sys.exit(main())
