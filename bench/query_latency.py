"""Warm query latency of `QA.retrieve` (hybrid, dense, bm25) and `QA.ask`, with a per-stage breakdown.

    .venv/bin/python bench/query_latency.py [--repeats 3] [--threads 1] [--models M ...] [--cmrc] [--json OUT]

For each of --models (default: the fp32 torch encoder, then its int8 ONNX version, one after the other in the
same run), bundled corpus: builds a fresh index with `QA.build(None, <tmp dir>)` (the build time, model
already loaded, gives the indexing throughput in passages/s; warm re-embedding is timed --repeats times),
then runs every question of eval/gold/corpus.jsonl once to warm up and
`--repeats` more times, one query at a time, in one thread of control (torch/FAISS keep their default
intra-op threads unless --threads is given). Stages, each timed separately on the same questions:
  encode  `qa.encoder.encode_queries([q])`
  dense   `qa.store.vectors.search_batch(qvec, depth)` (depth = fusion_depth, as hybrid uses)
  bm25    `tokenize(q)` + `qa.store.bm25.scores(tokens)` (tokenize also reported alone)
  fusion  `Retriever._fuse` on precomputed dense/BM25 candidates (+ the candidate post-processing)
  read    `qa.read(q, hits)` on the hits `ask` would read
End to end: `qa.retrieve(q, k=5, mode=...)` for each mode and `qa.ask(q)`.
p50/p95 are per pass; the figure reported is the median over passes.
--cmrc: the same on the model's cached CMRC 2018 dev open-domain index (built by
`qa eval /work/shared/data/cmrc2018/cmrc2018_dev.json --model M`, under <cache>/eval/), for the first
--cmrc-questions questions.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np
from common import make_encoder, run_header, write_report

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

GOLD = ROOT / "eval" / "gold" / "corpus.jsonl"
CMRC = Path("/work/shared/data/cmrc2018/cmrc2018_dev.json")


def gold_questions(path: Path = GOLD) -> list[str]:
    return [json.loads(line)["question"] for line in path.read_text(encoding="utf-8").splitlines() if line]


def cmrc_questions(path: Path, n: int) -> list[str]:
    data = json.loads(path.read_text(encoding="utf-8"))
    out = [qa["question"] for art in data["data"] for para in art["paragraphs"] for qa in para["qas"]]
    return out[:n]


def find_cmrc_index(model: str) -> Path:
    from qa.paths import cache_dir

    found = sorted(
        p for p in (cache_dir() / "eval").glob(f"*-{model}") if (p / "manifest.json").is_file()
    )
    if not found:
        raise SystemExit(
            f"no cached evaluation index for {model} under {cache_dir() / 'eval'}: "
            f"run `qa eval {CMRC} --model {model} --retrieval-only` first"
        )
    return found[0]


def time_stage(fn: Callable[[str], Any], questions: Sequence[str], repeats: int) -> dict[str, float]:
    """p50/p95 ms of fn(q) over the questions: median of per-pass percentiles (after a warm-up pass)."""
    for q in questions:
        fn(q)
    p50s, p95s, means = [], [], []
    for _ in range(repeats):
        lat = np.empty(len(questions))
        for i, q in enumerate(questions):
            t = time.perf_counter()
            fn(q)
            lat[i] = time.perf_counter() - t
        p50s.append(np.percentile(lat, 50) * 1e3)
        p95s.append(np.percentile(lat, 95) * 1e3)
        means.append(lat.mean() * 1e3)
    return {"p50_ms": float(np.median(p50s)), "p95_ms": float(np.median(p95s)),
            "mean_ms": float(np.median(means))}


def breakdown(qa: Any, questions: Sequence[str], repeats: int) -> dict[str, dict[str, float]]:
    """Per-stage and end-to-end latencies on one opened QA."""
    from qa.tokenize import tokenize

    ret = qa.retriever
    n = len(qa.passages)
    depth = min(ret.config.fusion_depth, n)
    k_read = qa.reader.max_passages
    qvec = {q: qa.encoder.encode_queries([q]) for q in questions}
    dense_c = {q: ret._dense(qvec[q], depth, None)[0] for q in questions}
    sparse_c = {q: ret._bm25(q, depth, None) for q in questions}
    hits = {q: qa.retrieve(q, k=k_read) for q in questions}
    stages: dict[str, Callable[[str], Any]] = {
        "encode": lambda q: qa.encoder.encode_queries([q]),
        "dense_search": lambda q: qa.store.vectors.search_batch(qvec[q], depth),
        "tokenize": lambda q: tokenize(q),
        "bm25 (tokenize+scores)": lambda q: qa.store.bm25.scores(tokenize(q)),
        "bm25 candidates (_bm25)": lambda q: ret._bm25(q, depth, None),
        "dense candidates (_dense, no encode)": lambda q: ret._dense(qvec[q], depth, None),
        "fusion (_fuse)": lambda q: ret._fuse(dense_c[q], sparse_c[q], k_read, ret.bm25_weight(q)),
        "read": lambda q: qa.read(q, hits[q]),
        "retrieve hybrid k=5": lambda q: qa.retrieve(q, k=5, mode="hybrid"),
        "retrieve dense k=5": lambda q: qa.retrieve(q, k=5, mode="dense"),
        "retrieve bm25 k=5": lambda q: qa.retrieve(q, k=5, mode="bm25"),
        "ask": lambda q: qa.ask(q),
    }
    out = {}
    for name, fn in stages.items():
        out[name] = time_stage(fn, questions, repeats)
        r = out[name]
        print(f"  {name:38s} p50 {r['p50_ms']:8.2f} ms   p95 {r['p95_ms']:8.2f} ms", flush=True)
    return out


def markdown(title: str, res: dict[str, dict[str, float]]) -> str:
    lines = [f"**{title}**", "", "| stage | p50 ms | p95 ms | mean ms |", "|---|---:|---:|---:|"]
    for name, r in res.items():
        lines.append(f"| {name} | {r['p50_ms']:.2f} | {r['p95_ms']:.2f} | {r['mean_ms']:.2f} |")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--threads", type=int, default=0,
                    help="torch intra-op threads, and ONNX Runtime's for the int8 model (0: defaults)")
    ap.add_argument("--cmrc", action="store_true", help="also measure on the cached CMRC 2018 dev index")
    ap.add_argument("--cmrc-questions", type=int, default=300)
    ap.add_argument("--models", nargs="+", default=["multilingual-e5-small", "multilingual-e5-small-int8"],
                    help="encoders to measure one after the other in this run")
    ap.add_argument("--json", type=Path, default=None)
    args = ap.parse_args(argv)

    import torch

    from qa.api import QA

    if args.threads:
        torch.set_num_threads(args.threads)
    report: dict[str, Any] = run_header(
        torch_threads=torch.get_num_threads(),
        repeats=args.repeats,
        models={},
    )
    questions = gold_questions()
    for model in args.models:
        res: dict[str, Any] = {}
        report["models"][model] = res
        encoder = make_encoder(model, args.threads)
        with tempfile.TemporaryDirectory() as tmp:
            t = time.perf_counter()
            qa = QA.build(None, Path(tmp) / "index", encoder=encoder)
            build_s = time.perf_counter() - t
            n = len(qa.passages)
            res["bundled_build"] = {"passages": n, "build_s": build_s, "passages_per_s": n / build_s}
            print(f"[{model}] bundled corpus: {n} passages built in {build_s:.1f} s ({n / build_s:.1f} "
                  f"passages/s, model already loaded); {len(questions)} questions x {args.repeats}",
                  flush=True)
            texts = [p.text for p in qa.passages]
            rates = []
            for _ in range(args.repeats):
                t = time.perf_counter()
                qa.encoder.encode_passages(texts)
                rates.append(n / (time.perf_counter() - t))
            res["bundled_build"]["warm_embed_passages_per_s"] = float(np.median(rates))
            print(f"  warm re-embedding of the passages: {np.median(rates):.1f} passages/s (median of "
                  f"{args.repeats})", flush=True)
            res["bundled"] = breakdown(qa, questions, args.repeats)
        if args.cmrc:
            index_dir = find_cmrc_index(model)
            qa = QA.open(index_dir, encoder=encoder)
            cq = cmrc_questions(CMRC, args.cmrc_questions)
            print(f"[{model}] CMRC 2018 dev: {len(qa.passages)} passages ({qa.store.vectors.kind}) from "
                  f"{index_dir}; {len(cq)} questions x {args.repeats}", flush=True)
            res["cmrc_index"] = {"dir": str(index_dir), "passages": len(qa.passages),
                                 "kind": qa.store.vectors.kind}
            res["cmrc"] = breakdown(qa, cq, args.repeats)
    for model, res in report["models"].items():
        print()
        print(markdown(f"{model}, bundled corpus ({res['bundled_build']['passages']} passages)",
                       res["bundled"]))
        if "cmrc" in res:
            print()
            print(markdown(f"{model}, CMRC 2018 dev ({res['cmrc_index']['passages']} passages)", res["cmrc"]))
    write_report(args.json, report)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
