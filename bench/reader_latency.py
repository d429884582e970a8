"""Reader-only latency on a SQuAD-format gold file: p50/p95 ms per question over fixed retrieved hits.

The contexts are indexed with the fake encoder (BM25 does the real work of hybrid retrieval), the top-k
hits of every question are retrieved once, then each question is read alone and timed. `--answers FILE`
writes one JSON answer per line, to check that a change leaves every answer as it was.

    .venv/bin/python bench/reader_latency.py ../shared/data/drcd/DRCD_test.json --every 7 --answers a.jsonl
"""

from __future__ import annotations

import argparse
import cProfile
import json
import pstats
import statistics
import tempfile
import time
from pathlib import Path

from embeddings.encoder import FakeEncoder
from eval.gold import load_gold
from qa.api import QA
from qa.readers.factory import DEFAULT_READER, make_reader, reader_names


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("gold", type=Path, help="SQuAD-format JSON (its contexts are the corpus)")
    parser.add_argument("--reader", choices=reader_names(), default=DEFAULT_READER)
    parser.add_argument("--every", type=int, default=1, metavar="N", help="every N-th question only")
    parser.add_argument("--limit", type=int, default=None, help="at most this many questions")
    parser.add_argument("--answers", type=Path, default=None, help="write the answers as JSONL here")
    parser.add_argument("--profile", type=int, default=0, metavar="N", help="print the N top cProfile rows")
    parser.add_argument("--json", type=Path, default=None, help="write the figures as JSON here")
    args = parser.parse_args()

    gold = load_gold(args.gold)
    questions = [q.question for q in gold.questions[:: args.every]][: args.limit]
    reader = make_reader(args.reader)
    with tempfile.TemporaryDirectory() as tmp:
        qa = QA.build_from_documents(gold.documents or (), Path(tmp) / "index", encoder=FakeEncoder())
        hits = qa.retrieve_batch(questions, k=reader.max_passages, mode="hybrid")
    reader.read("预热？", hits[0])  # jieba's dictionaries load once per process
    profiler = cProfile.Profile() if args.profile else None
    times, answers = [], []
    for q, h in zip(questions, hits, strict=True):
        if profiler:
            profiler.enable()
        t0 = time.perf_counter()
        answers.append(reader.read(q, h))
        times.append((time.perf_counter() - t0) * 1e3)
        if profiler:
            profiler.disable()
    times.sort()
    figures = {
        "gold": args.gold.name, "questions": len(times), "reader": args.reader, "every": args.every,
        "p50_ms": round(statistics.median(times), 1),
        "p95_ms": round(times[min(len(times) - 1, round(0.95 * (len(times) - 1)))], 1),
        "mean_ms": round(statistics.fmean(times), 1),
        "answered": sum(a.text is not None for a in answers),
    }  # fmt: skip
    print(f"{args.gold.name}: {len(times)} questions, reader {args.reader}: p50 {figures['p50_ms']} ms, "
          f"p95 {figures['p95_ms']} ms, mean {figures['mean_ms']} ms, {figures['answered']} answered")
    if args.json:
        args.json.write_text(json.dumps(figures, indent=2) + "\n", encoding="utf-8")
    if args.answers:
        with args.answers.open("w", encoding="utf-8") as f:
            for a in answers:
                row = {**a.to_json(), "answer_type": a.answer_type,
                       "alt_scores": [x.score for x in a.alternatives]}
                f.write(json.dumps(row, ensure_ascii=False, sort_keys=True) + "\n")
    if profiler:
        pstats.Stats(profiler).sort_stats("cumulative").print_stats(args.profile)


if __name__ == "__main__":
    main()
