"""Local backend (FAISS + bm25s) vs Milvus Lite: index build throughput and warm query latency per mode.

    .venv/bin/python bench/milvus_backend.py --sizes 20000 100000 --queries 100 \
        --json bench/results/milvus_backend.json

For each size, one synthetic corpus is indexed twice by the product's own `build_index` (one passage per
document), once with the default local store and once into an embedded Milvus Lite database (`--backend
milvus`), then queried through the product's `Retriever` (dense, bm25, hybrid; one question at a time, k=5,
fusion depth 100 as in production). Passage vectors are synthetic 384-d unit vectors (a Gaussian mixture,
like scale.py) served by a lookup "encoder", so no model runs and the timings are the stores' alone;
passage texts are 40 words drawn Zipf-wise from the bundled corpus's jieba vocabulary, so BM25 has real
Chinese terms to match. Queries: a passage's vector plus noise, and 4 of its words.

Reported per backend and size: build seconds and passages/s (split + store writes + BM25 + index dir),
p50/p95 ms per mode, and top-5 overlap of Milvus's dense hits with the local ones (HNSW vs HNSW/flat).
Milvus Lite is the embedded test double (pure Python over FAISS, BM25 per segment), not a cluster's speed;
`--uri http://HOST:19530` measures a real server instead (collections `bench_<n>` are dropped and rebuilt).
"""

from __future__ import annotations

import argparse
import hashlib
import shutil
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np
from common import run_header, write_report

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

DIM = 384
MODES = ("dense", "bm25", "hybrid")


class LookupEncoder:
    """The Encoder protocol over precomputed vectors: texts it was given map to their vectors."""

    def __init__(self, table: dict[str, np.ndarray]) -> None:
        self.table = table
        self.dim = DIM
        self.model_id = "bench-lookup-384"
        self.fingerprint = hashlib.sha256(b"bench-lookup-384").hexdigest()

    def encode_queries(self, texts: list[str]) -> np.ndarray:
        return np.stack([self.table[t] for t in texts]).astype(np.float32)

    def encode_passages(self, texts: list[str], *, show_progress: bool = False) -> np.ndarray:
        return self.encode_queries(texts)


def vocabulary() -> list[str]:
    """Distinct word-like jieba tokens of the bundled corpus, most frequent first."""
    from collections import Counter

    from qa.loaders import load_documents
    from qa.paths import bundled_corpus
    from qa.tokenize import tokenize

    counts: Counter[str] = Counter()
    for doc in load_documents([bundled_corpus()]):
        counts.update(tokenize(doc.text))
    return [w for w, _ in counts.most_common()]


def synthetic(n: int, n_queries: int, seed: int = 0) -> tuple[list[Any], list[str], dict[str, np.ndarray]]:
    """n one-passage documents, n_queries questions, and the vector of every text."""
    from qa.types import Document

    rng = np.random.default_rng(seed)
    words = vocabulary()
    p = 1.0 / np.arange(1, len(words) + 1)
    p /= p.sum()
    centres = rng.standard_normal((200, DIM)).astype(np.float32)
    x = centres[rng.integers(0, 200, n)] + 0.6 * rng.standard_normal((n, DIM)).astype(np.float32)
    x /= np.linalg.norm(x, axis=1, keepdims=True)
    table: dict[str, np.ndarray] = {}
    docs, picked = [], []
    for i in range(n):
        picks = rng.choice(len(words), size=40, p=p)
        picked.append(picks)
        text = f"第{i}条：" + "".join(words[j] for j in picks) + "。"
        table[text] = x[i]
        docs.append(Document(f"d{i:06d}", f"标题{i}", text, f"20{10 + i % 15}-01-01"))
    questions = []
    for qi, row in enumerate(rng.choice(n, size=n_queries, replace=False)):
        q = "".join(words[j] for j in rng.choice(picked[row], size=4, replace=False)) + f"？{qi}"
        v = x[row] + 0.3 * rng.standard_normal(DIM).astype(np.float32)
        table[q] = v / np.linalg.norm(v)
        questions.append(q)
    return docs, questions, table


def measure(
    name: str, docs: list[Any], questions: list[str], encoder: LookupEncoder, workdir: Path, config: Any
) -> dict[str, Any]:
    from qa.indexer import build_index
    from qa.retriever import Retriever
    from qa.store import load_index

    t0 = time.perf_counter()
    build_index(docs, workdir / f"{name}-idx", encoder, config=config)
    build_s = time.perf_counter() - t0
    retriever = Retriever(load_index(workdir / f"{name}-idx"), encoder)
    out: dict[str, Any] = {"build_s": round(build_s, 2), "passages_per_s": round(len(docs) / build_s, 1)}
    top: dict[str, list[list[str]]] = {}
    for mode in ("dense", "bm25", "hybrid"):
        for q in questions[:10]:  # warm up
            retriever.retrieve_batch([q], k=5, mode=mode)
        times, found = [], []
        for q in questions:
            t = time.perf_counter()
            hits = retriever.retrieve_batch([q], k=5, mode=mode)[0]
            times.append((time.perf_counter() - t) * 1000)
            found.append([h.passage_id for h in hits])
        out[mode] = {"p50_ms": round(float(np.percentile(times, 50)), 2),
                     "p95_ms": round(float(np.percentile(times, 95)), 2)}
        top[mode] = found
    out["_top"] = top
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--sizes", type=int, nargs="+", default=[20_000, 100_000])
    ap.add_argument("--queries", type=int, default=100)
    ap.add_argument("--threads", type=int, default=1, help="FAISS OpenMP threads (local search and build)")
    ap.add_argument("--uri", default=None,
                    help="a Milvus server (http://HOST:19530, token from $QA_MILVUS_TOKEN) instead of Lite")
    ap.add_argument("--json", type=Path, default=None)
    args = ap.parse_args()
    import faiss

    faiss.omp_set_num_threads(args.threads)  # one search thread, as in scale.py (and no OpenMP spinning)

    from qa.indexer import IndexConfig
    from qa.vectors.base import VectorIndexConfig

    report = run_header(script="milvus_backend.py", sizes=args.sizes, queries=args.queries, rows=[],
                        threads=args.threads, milvus=args.uri or "embedded Milvus Lite")
    print("| passages | backend | build s | passages/s | dense p50/p95 ms | bm25 p50/p95 ms "
          "| hybrid p50/p95 ms | dense top-5 overlap |")
    print("|---|---|---|---|---|---|---|---|")
    for n in args.sizes:
        docs, questions, table = synthetic(n, args.queries)
        encoder = LookupEncoder(table)
        workdir = Path(tempfile.mkdtemp(prefix=f"milvus-bench-{n}-"))
        try:
            configs = {
                "local": IndexConfig(),
                "milvus" if args.uri else "milvus-lite": IndexConfig(vector_index=VectorIndexConfig(
                    backend="milvus", uri=args.uri or str(workdir / "lite.db"), collection=f"bench_{n}")),
            }
            results = {
                name: measure(name, docs, questions, encoder, workdir, cfg) for name, cfg in configs.items()
            }
            local_top = results["local"].pop("_top")
            for name, r in results.items():
                top = r.pop("_top", local_top)
                overlap = np.mean([len(set(a) & set(b)) / max(len(b), 1)
                                   for a, b in zip(top["dense"], local_top["dense"], strict=True)])
                r["dense_overlap_at_5"] = round(float(overlap), 3)
                report["rows"].append({"passages": n, "backend": name, **r})
                modes = " | ".join(f"{r[m]['p50_ms']} / {r[m]['p95_ms']}" for m in MODES)
                print(f"| {n:,} | {name} | {r['build_s']} | {r['passages_per_s']} | {modes} "
                      f"| {r['dense_overlap_at_5']} |", flush=True)
        finally:
            shutil.rmtree(workdir, ignore_errors=True)
    write_report(args.json, report)


if __name__ == "__main__":
    main()
