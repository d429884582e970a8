"""Warm `QA.ask` latency per reader on the bundled corpus, side by side in one run (same index and questions).

    .venv/bin/python bench/reader_ask_latency.py [--readers rules,neural] [--threads 1,2] [--repeats 3] \
        [--runtimes auto,onnx-int8] [--json OUT]

Builds the bundled-corpus index once (default int8 encoder), then for each reader and thread count asks
every question of eval/gold/corpus.jsonl once to warm up and `--repeats` more times, one at a time. The
figure per configuration is the median over passes of each pass's p50/p95 (ms). `--threads` sets the
neural reader's ONNX Runtime intra-op threads and torch's threads; the rule reader is single-threaded Python.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

GOLD = ROOT / "eval" / "gold" / "corpus.jsonl"


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--readers", default="rules,neural")
    p.add_argument("--threads", default="1,2")
    p.add_argument("--repeats", type=int, default=3)
    p.add_argument("--runtimes", default="auto", help="neural reader runtimes, e.g. auto,onnx-int8")
    p.add_argument("--neural-weights", type=Path, default=None,
                   help="the neural reader's weights folder (default: the shipped one), e.g. RUN/weights")
    p.add_argument("--json", type=Path, default=None)
    args = p.parse_args()
    import torch

    from qa.api import QA

    questions = [json.loads(x)["question"] for x in GOLD.read_text(encoding="utf-8").splitlines() if x]
    results = []
    with tempfile.TemporaryDirectory() as tmp:
        qa = QA.build(None, Path(tmp) / "idx")
        configs = [
            (name, threads, runtime)
            for name in args.readers.split(",")
            for runtime in (args.runtimes.split(",") if name == "neural" else [None])
            for threads in (int(t) for t in args.threads.split(","))
        ]
        for name, threads, runtime in configs:
            torch.set_num_threads(threads)
            options = {"threads": threads, "runtime": runtime} if name == "neural" else {}
            if name == "neural" and args.neural_weights is not None:
                options["weights_dir"] = str(args.neural_weights)
            qa.use_reader(name, **options)
            for q in questions:  # warm-up (and, for the neural reader, the one-time model load)
                qa.ask(q)
            p50s, p95s = [], []
            for _ in range(args.repeats):
                times = []
                for q in questions:
                    t0 = time.perf_counter()
                    qa.ask(q)
                    times.append((time.perf_counter() - t0) * 1000)
                p50s.append(float(np.percentile(times, 50)))
                p95s.append(float(np.percentile(times, 95)))
            row = {"reader": name, "threads": threads, "ask_p50_ms": round(statistics.median(p50s), 1),
                   "ask_p95_ms": round(statistics.median(p95s), 1), "questions": len(questions),
                   "repeats": args.repeats}
            if name == "neural":
                row["runtime"] = qa.reader.extractor.scorer.name
            print(json.dumps(row), flush=True)
            results.append(row)
    if args.json:
        args.json.write_text(json.dumps(results, indent=2) + "\n")


if __name__ == "__main__":
    main()
