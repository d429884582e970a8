"""Cold start: process start -> first answer, with an index already built, for the CLI and the chat app.

    .venv/bin/python bench/cold_start.py [--runs 5] [--json bench/results/cold_start.json]
                                         [--models multilingual-e5-small multilingual-e5-small-int8]
                                         [--readers rules,neural,neural:runtime=onnx-int8]

For each model it builds the bundled corpus's index once (`qa index --model M --index TMP`, not timed), then
alternates, --runs times:
  cli  wall time of `python -m qa ask QUESTION --index TMP --json` (a fresh interpreter each run: imports,
       index load, model load, retrieval, reading), checked to answer;
  app  `python app.py --index TMP --port FREE` started, then polled every 50 ms through gradio_client until
       `/ask` returns an answer; the figure is start -> that answer (includes gradio's own start-up).
With --readers, `qa ask --reader R` is also timed per reader, after one untimed run that builds the
reader's cached files; `R:KEY=VALUE` adds `--reader-option KEY=VALUE` (e.g. `neural:runtime=torch-bf16`).
With --baseline DIR (a checkout of an earlier commit, e.g. `git worktree add /tmp/base a9119df`, run with
the same interpreter and model cache), every timed command runs in both trees, alternately (baseline, then
this tree, per run and per reader), against the same index, and the table shows both side by side:
    .venv/bin/python bench/cold_start.py --baseline /tmp/base --models multilingual-e5-small-int8 \
        --readers rules,neural --runs 7 --json bench/results/cold_start_vs_a9119df.json
Model files are already converted/exported in the cache (the one-time conversion is not a cold start), and so
are the prepared caches of this tree (one untimed run per reader builds them).
The OS page cache is warm after the first run (we cannot drop it without root); the first run of each kind is
reported separately. Medians over runs.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from common import free_port, run_header, write_report

REPO = Path(__file__).resolve().parent.parent
QUESTION = "截至2022年9月，工信部累计培育了多少家专精特新小巨人企业？"


def _env() -> dict[str, str]:
    env = {**os.environ, "GRADIO_ANALYTICS_ENABLED": "False", "PYTHONUNBUFFERED": "1"}
    env.pop("QA_PORT", None)
    return env


def cli_once(index: Path, reader: str = "rules", tree: Path = REPO) -> float:
    name, _, option = reader.partition(":")
    extra = ["--reader-option", option] if option else []
    t = time.perf_counter()
    out = subprocess.run(
        [sys.executable, "-m", "qa", "ask", QUESTION, "--index", str(index), "--json", "--reader", name]
        + extra,
        cwd=tree, env=_env(), capture_output=True, text=True, check=False,
    )
    dt = time.perf_counter() - t
    if out.returncode != 0 or not json.loads(out.stdout).get("answer"):
        raise SystemExit(f"qa ask failed ({out.returncode}): {out.stderr[-2000:]}")
    return dt


def app_once(index: Path, log: Path, tree: Path = REPO) -> float:
    from gradio_client import Client

    port = free_port()
    url = f"http://127.0.0.1:{port}/"
    t = time.perf_counter()
    with log.open("wb") as fh:
        proc = subprocess.Popen([sys.executable, "app.py", "--index", str(index), "--port", str(port)],
                                cwd=tree, env=_env(), stdout=fh, stderr=subprocess.STDOUT)
    try:
        client = None
        while True:
            if proc.poll() is not None:
                raise SystemExit(f"app.py exited with {proc.returncode}:\n{log.read_text()[-3000:]}")
            if time.perf_counter() - t > 600:
                raise SystemExit("the app gave no answer within 600 s")
            try:
                if client is None:
                    client = Client(url, verbose=False, analytics_enabled=False, download_files=False)
                out = client.predict(QUESTION, api_name="/ask")
                if out.get("answer"):
                    return time.perf_counter() - t
            except Exception:  # not listening yet, or the index is still loading
                pass
            time.sleep(0.05)
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--models", nargs="+", default=["multilingual-e5-small", "multilingual-e5-small-int8"])
    ap.add_argument("--readers", default="", help="also time `qa ask --reader R` (e.g. rules,neural)")
    ap.add_argument("--json", type=Path, default=None)
    ap.add_argument("--baseline", type=Path, default=None,
                    help="a checkout of an earlier commit, timed alternately with this tree")
    ap.add_argument("--no-app", action="store_true", help="time the CLI only")
    args = ap.parse_args(argv)
    readers = [r for r in args.readers.split(",") if r]
    if args.baseline is not None:
        return compare(args, readers or ["rules"])
    report: dict[str, Any] = run_header(
        question=QUESTION,
        runs=args.runs,
        models={},
    )
    with tempfile.TemporaryDirectory() as tmp:
        for model in args.models:
            index = Path(tmp) / f"index-{model}"
            subprocess.run([sys.executable, "-m", "qa", "index", "--model", model, "--index", str(index)],
                           cwd=REPO, env=_env(), check=True, capture_output=True)
            cli, app = [], []
            for i in range(args.runs):
                cli.append(cli_once(index))
                app.append(app_once(index, Path(tmp) / "app.log"))
                print(f"[{model}] run {i + 1}: cli {cli[-1]:.2f} s, app {app[-1]:.2f} s", flush=True)
            by_reader: dict[str, list[float]] = {}
            for reader in readers:
                cli_once(index, reader)  # a first run builds what the reader caches once (its ONNX model)
                by_reader[reader] = [cli_once(index, reader) for _ in range(args.runs)]
                print(f"[{model}] --reader {reader}: cli median {statistics.median(by_reader[reader]):.2f} s",
                      flush=True)
            report["models"][model] = {
                "cli_by_reader_s": by_reader,
                "cli_by_reader_median_s": {r: statistics.median(v) for r, v in by_reader.items()},
                "cli_s": cli, "app_s": app,
                "cli_median_s": statistics.median(cli), "app_median_s": statistics.median(app),
                "cli_median_after_first_s": statistics.median(cli[1:]) if len(cli) > 1 else None,
                "app_median_after_first_s": statistics.median(app[1:]) if len(app) > 1 else None,
            }
    print()
    print("| model | CLI first s | CLI median s | app first s | app median s |")
    print("|---|---:|---:|---:|---:|")
    for model, r in report["models"].items():
        print(f"| {model} | {r['cli_s'][0]:.2f} | {r['cli_median_s']:.2f} | {r['app_s'][0]:.2f} | "
              f"{r['app_median_s']:.2f} |")
    write_report(args.json, report)
    return 0


def compare(args: argparse.Namespace, readers: list[str]) -> int:
    """The baseline tree and this one timed alternately on one index: cold `qa ask` per reader, app start."""
    trees = {"baseline": args.baseline.resolve(), "current": REPO}
    report: dict[str, Any] = run_header(question=QUESTION, runs=args.runs, baseline=str(trees["baseline"]),
                                        models={})
    with tempfile.TemporaryDirectory() as tmp:
        for model in args.models:
            index = Path(tmp) / f"index-{model}"
            subprocess.run([sys.executable, "-m", "qa", "index", "--model", model, "--index", str(index)],
                           cwd=REPO, env=_env(), check=True, capture_output=True)
            kinds = [f"cli:{r}" for r in readers] + ([] if args.no_app else ["app"])
            times: dict[str, dict[str, list[float]]] = {k: {t: [] for t in trees} for k in kinds}
            for reader in readers:  # untimed: builds each tree's cached files (reader build, prepared caches)
                for tree in trees.values():
                    cli_once(index, reader, tree)
            for i in range(args.runs):
                for kind in kinds:
                    for name, tree in trees.items():
                        if kind == "app":
                            dt = app_once(index, Path(tmp) / "app.log", tree)
                        else:
                            dt = cli_once(index, kind.partition(":")[2], tree)
                        times[kind][name].append(dt)
                print(f"[{model}] run {i + 1}: " + ", ".join(
                    f"{k} {times[k]['baseline'][-1]:.2f} -> {times[k]['current'][-1]:.2f} s" for k in kinds),
                    flush=True)
            report["models"][model] = {
                k: {name: {"s": v, "median_s": statistics.median(v)} for name, v in by_tree.items()}
                for k, by_tree in times.items()
            }
    print()
    print("| model | what | baseline median s | this tree median s | runs |")
    print("|---|---|---:|---:|---:|")
    for model, r in report["models"].items():
        for kind, by_tree in r.items():
            print(f"| {model} | {kind} | {by_tree['baseline']['median_s']:.2f} | "
                  f"{by_tree['current']['median_s']:.2f} | {len(by_tree['current']['s'])} |")
    write_report(args.json, report)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
