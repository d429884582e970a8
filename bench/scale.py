"""Vector-index and BM25 scaling on synthetic data: build time, memory, single-query latency, recall@10.

    .venv/bin/python bench/scale.py [--sizes 10000 100000] [--bm25-sizes 10000 100000] [--queries 200]
                                    [--repeats 3] [--threads 2] [--kinds hnsw16 hnsw32 ...]
                                    [--data mixture|e5mix] [--json bench/results/scale.json] [--plots bench]

Vectors: 384-d unit vectors from a Gaussian mixture (random unit centres + noise, then L2-normalized), so
neighbours have the cluster structure of real embeddings rather than the structureless uniform sphere on
which every ANN index looks bad. Queries are fresh draws from the same mixture. `--data e5mix` instead mixes
the 1,786 real passage vectors of the cached CMRC 2018 dev index (default model): each vector is a random
convex combination of 2-3 of them plus N(0, 0.02²) noise per dimension, normalized (closer to real
embeddings than the mixture, whose clusters dissolve into noise at 1M points). Recall@10 is measured against
exact inner-product search (faiss IndexFlatIP). Latency: one query per `search` call, FAISS limited to one
thread, median over `--repeats` passes of the per-pass median (p50) and p95. Builds use all cores.
Memory: bytes of `faiss.serialize_index` and the process RSS growth during the build (VmRSS, Linux).
BM25: `qa.bm25.BM25Index` (bm25s, the product's code path) over token streams drawn from a Zipf(1.1)
vocabulary of 50k types, ~60 tokens per passage; queries are 8 tokens; latency is `scores()` + top-100.
"""

from __future__ import annotations

import argparse
import json
import math
import re
import sys
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

DIM = 384
K = 10
KINDS = ("hnsw16", "hnsw32", "hnsw-sq8", "ivf-flat", "ivf-sq8", "ivf-fp16", "ivf-pq")


@dataclass(frozen=True)
class Row:
    """One measured configuration."""

    kind: str
    n: int
    params: str
    build_s: float
    index_bytes: int
    rss_growth_mb: float
    p50_ms: float
    p95_ms: float
    recall_at_10: float


def rss_mb() -> float:
    """Current resident set size in MiB (Linux /proc)."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def peak_rss_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def mixture(n: int, rng: np.random.Generator, centres: np.ndarray, noise: float = 0.6) -> np.ndarray:
    """n unit vectors around randomly chosen centres (chunked to bound temporary memory)."""
    out = np.empty((n, DIM), np.float32)
    for s in range(0, n, 50_000):
        m = min(50_000, n - s)
        x = centres[rng.integers(0, len(centres), m)] + noise * rng.standard_normal((m, DIM), np.float32) / 8
        out[s : s + m] = x / np.linalg.norm(x, axis=1, keepdims=True)
    return out


def time_queries(search: Any, queries: np.ndarray, repeats: int) -> tuple[float, float, np.ndarray]:
    """(p50 ms, p95 ms, ids of the last pass): median over passes of per-pass percentiles."""
    p50s, p95s = [], []
    ids = np.empty((len(queries), K), np.int64)
    for _ in range(repeats):
        lat = np.empty(len(queries))
        for i in range(len(queries)):
            q = queries[i : i + 1]
            t = time.perf_counter()
            _, found = search(q)
            lat[i] = time.perf_counter() - t
            ids[i] = found[0]
        p50s.append(np.percentile(lat, 50) * 1e3)
        p95s.append(np.percentile(lat, 95) * 1e3)
    return float(np.median(p50s)), float(np.median(p95s)), ids


def recall(found: np.ndarray, truth: np.ndarray) -> float:
    from qa.vectors.faiss import recall_at_k

    return recall_at_k(found, truth)


def e5_mix(n: int, rng: np.random.Generator, base: np.ndarray, noise: float = 0.02) -> np.ndarray:
    """n unit vectors, each a random convex mix of 2-3 real passage embeddings plus a little noise."""
    out = np.empty((n, DIM), np.float32)
    for s in range(0, n, 50_000):
        m = min(50_000, n - s)
        w = rng.dirichlet(np.ones(3), m).astype(np.float32)
        w[rng.random(m) < 0.5, 2] = 0.0  # half of them mix only two
        picks = rng.integers(0, len(base), (m, 3))
        x = np.einsum("mk,mkd->md", w, base[picks]) + noise * rng.standard_normal((m, DIM), np.float32)
        out[s : s + m] = x / np.linalg.norm(x, axis=1, keepdims=True)
    return out


def e5_base() -> np.ndarray:
    """The real passage vectors of the cached CMRC 2018 dev index (default model)."""
    from embeddings.base import DEFAULT_MODEL
    from qa.paths import cache_dir
    from qa.store import load_index

    pattern = f"*-{DEFAULT_MODEL}"
    found = sorted(p for p in (cache_dir() / "eval").glob(pattern) if (p / "manifest.json").exists())
    if not found:
        raise SystemExit("--data e5mix needs the cached CMRC index: run `qa eval <cmrc2018_dev.json>` once")
    return load_index(found[0]).vectors.vectors()


def bench_vectors(
    n: int, n_queries: int, repeats: int, seed: int, threads: int, kinds: set[str], data: str = "mixture"
) -> list[Row]:
    import faiss

    rng = np.random.default_rng(seed)
    if data == "e5mix":
        base = e5_base()
        x = e5_mix(n, rng, base)
        queries = e5_mix(n_queries, rng, base)
    else:
        centres = rng.standard_normal((max(16, n // 100), DIM)).astype(np.float32)
        centres /= np.linalg.norm(centres, axis=1, keepdims=True)
        x = mixture(n, rng, centres)
        queries = mixture(n_queries, rng, centres)
    rows: list[Row] = []

    def build(kind: str, params: str, make: Any) -> Any:
        faiss.omp_set_num_threads(threads)
        before = rss_mb()
        t = time.perf_counter()
        index = make()
        build_s = time.perf_counter() - t
        growth = rss_mb() - before
        faiss.omp_set_num_threads(1)
        nbytes = int(faiss.serialize_index(index).nbytes)
        print(f"  built {kind} {params} n={n} in {build_s:.1f}s, {nbytes / 2**20:.0f} MiB", flush=True)
        return index, build_s, nbytes, growth

    def add_rows(kind: str, params: str, index: Any, build_s: float, nbytes: int, growth: float,
                 sweep: list[tuple[str, Any]], truth: np.ndarray) -> None:
        for label, params_obj in sweep:
            p50, p95, ids = time_queries(
                lambda q, p=params_obj: index.search(q, K, params=p), queries, repeats
            )
            rows.append(Row(kind, n, f"{params} {label}".strip(), build_s, nbytes, growth, p50, p95,
                            recall(ids, truth)))
            print(f"    {kind} {params} {label}: p50 {p50:.3f} ms, recall@10 {rows[-1].recall_at_10:.3f}",
                  flush=True)

    # exact
    flat, b, nb, g = build("flat", "", lambda: _flat(faiss, x))
    faiss.omp_set_num_threads(threads)
    _, truth = flat.search(queries, K)
    faiss.omp_set_num_threads(1)
    add_rows("flat", "", flat, b, nb, g, [("", None)], truth)

    for m in (16, 32):
        if f"hnsw{m}" not in kinds:
            continue
        idx, b, nb, g = build("hnsw", f"M={m}", lambda m=m: _hnsw(faiss, x, m))
        add_rows("hnsw", f"M={m}", idx, b, nb, g,
                 [(f"ef={ef}", faiss.SearchParametersHNSW(efSearch=ef)) for ef in (32, 64, 128)], truth)
        del idx
    if "hnsw-sq8" in kinds:
        idx, b, nb, g = build("hnsw-sq8", "M=32", lambda: _hnsw(faiss, x, 32, sq8=True))
        add_rows("hnsw-sq8", "M=32", idx, b, nb, g,
                 [(f"ef={ef}", faiss.SearchParametersHNSW(efSearch=ef)) for ef in (64, 128)], truth)
        del idx

    nlist = int(round(4 * math.sqrt(n)))
    probes = [p for p in (4, 8, 16, 32, 64, 128, 256, 512) if p <= nlist // 4 or p <= 64]
    if "ivf-flat" in kinds:
        idx, b, nb, g = build("ivf-flat", f"nlist={nlist}", lambda: _ivf(faiss, x, nlist, None))
        add_rows("ivf-flat", f"nlist={nlist}", idx, b, nb, g,
                 [(f"nprobe={p}", faiss.SearchParametersIVF(nprobe=p)) for p in probes], truth)
        del idx
    if "ivf-sq8" in kinds:
        idx, b, nb, g = build("ivf-sq8", f"nlist={nlist}", lambda: _ivf(faiss, x, nlist, None, sq="8bit"))
        add_rows("ivf-sq8", f"nlist={nlist}", idx, b, nb, g,
                 [(f"nprobe={p}", faiss.SearchParametersIVF(nprobe=p)) for p in probes], truth)
        del idx
    if "ivf-fp16" in kinds:
        idx, b, nb, g = build("ivf-fp16", f"nlist={nlist}", lambda: _product_ivf(faiss, x, nlist))
        add_rows("ivf-fp16", f"nlist={nlist}", idx, b, nb, g,
                 [(f"nprobe={p}", faiss.SearchParametersIVF(nprobe=p)) for p in probes], truth)
        del idx
    if "ivf-pq" in kinds:
        idx, b, nb, g = build("ivf-pq", f"nlist={nlist} m=48", lambda: _ivf(faiss, x, nlist, 48))
        add_rows("ivf-pq", f"nlist={nlist} m=48", idx, b, nb, g,
                 [(f"nprobe={p}", faiss.SearchParametersIVF(nprobe=p)) for p in probes], truth)
    return rows


def _flat(faiss: Any, x: np.ndarray) -> Any:
    index = faiss.IndexFlatIP(DIM)
    index.add(x)
    return index


def _hnsw(faiss: Any, x: np.ndarray, m: int, sq8: bool = False) -> Any:
    from qa.vectors.base import VectorIndexConfig

    if sq8:  # 8-bit scalar-quantized vectors: 4x less memory than HNSWFlat
        index = faiss.IndexHNSWSQ(DIM, faiss.ScalarQuantizer.QT_8bit, m, faiss.METRIC_INNER_PRODUCT)
        index.train(x[:100_000])
    else:
        index = faiss.IndexHNSWFlat(DIM, m, faiss.METRIC_INNER_PRODUCT)
    index.hnsw.efConstruction = VectorIndexConfig().hnsw_ef_construction
    index.add(x)
    return index


def _product_ivf(faiss: Any, x: np.ndarray, nlist: int) -> Any:
    """The product's large-corpus tier (qa.vectors.faiss.build_ivf: IVF, fp16 vectors, no residuals)."""
    from qa.vectors.base import VectorIndexConfig
    from qa.vectors.faiss import build_ivf

    return build_ivf(faiss, x, VectorIndexConfig(ivf_nlist=nlist))


def _ivf(faiss: Any, x: np.ndarray, nlist: int, pq_m: int | None, sq: str | None = None) -> Any:
    quantizer = faiss.IndexFlatIP(DIM)
    if sq:  # scalar-quantized vectors in the lists: 1 byte ("8bit") or 2 bytes ("fp16") per dimension
        qtype = faiss.ScalarQuantizer.QT_8bit if sq == "8bit" else faiss.ScalarQuantizer.QT_fp16
        index = faiss.IndexIVFScalarQuantizer(quantizer, DIM, nlist, qtype, faiss.METRIC_INNER_PRODUCT)
    elif pq_m is None:
        index = faiss.IndexIVFFlat(quantizer, DIM, nlist, faiss.METRIC_INNER_PRODUCT)
    else:
        index = faiss.IndexIVFPQ(quantizer, DIM, nlist, pq_m, 8, faiss.METRIC_INNER_PRODUCT)
    # the faiss wrapper keeps `quantizer` referenced from the index
    train = x[np.random.default_rng(1).choice(len(x), min(len(x), 64 * nlist), replace=False)]
    index.train(train)
    index.add(x)
    return index


def bench_bm25(n: int, n_queries: int, repeats: int, seed: int) -> Row:
    from qa.bm25 import BM25Index

    rng = np.random.default_rng(seed)
    vocab = 50_000
    ranks = np.arange(1, vocab + 1)
    p = 1.0 / ranks**1.1
    p /= p.sum()
    lengths = np.clip(rng.poisson(60, n), 5, None)
    flat = rng.choice(vocab, size=int(lengths.sum()), p=p)
    names = np.array([f"t{i}" for i in range(vocab)], dtype=object)
    tokens, s = [], 0
    for length in lengths:
        tokens.append(names[flat[s : s + length]].tolist())
        s += length
    queries = [names[rng.choice(vocab, size=8, p=p)].tolist() for _ in range(n_queries)]
    before = rss_mb()
    t = time.perf_counter()
    index = BM25Index.from_tokens(tokens)
    build_s = time.perf_counter() - t
    growth = rss_mb() - before

    def search(q: list[str]) -> tuple[None, np.ndarray]:
        scores = index.scores(q)
        top = np.argpartition(-scores, 100)[:100]
        return None, top[np.argsort(-scores[top])][None, :K]

    p50s, p95s = [], []
    for _ in range(repeats):
        lat = []
        for q in queries:
            t = time.perf_counter()
            search(q)
            lat.append(time.perf_counter() - t)
        p50s.append(np.percentile(lat, 50) * 1e3)
        p95s.append(np.percentile(lat, 95) * 1e3)
    row = Row("bm25s", n, "k1=1.2 b=0.75", build_s, 0, growth, float(np.median(p50s)),
              float(np.median(p95s)), float("nan"))
    print(f"  bm25 n={n}: index {build_s:.1f}s, p50 {row.p50_ms:.3f} ms", flush=True)
    return row


def markdown(rows: list[Row]) -> str:
    out = ["| index | n | params | build s | index MiB | RSS growth MiB | p50 ms | p95 ms | recall@10 |",
           "|---|---:|---|---:|---:|---:|---:|---:|---:|"]
    for r in rows:
        rec = "" if math.isnan(r.recall_at_10) else f"{r.recall_at_10:.3f}"
        size = "" if r.index_bytes == 0 else f"{r.index_bytes / 2**20:.1f}"
        out.append(f"| {r.kind} | {r.n:,} | {r.params} | {r.build_s:.1f} | {size} | {r.rss_growth_mb:.0f} "
                   f"| {r.p50_ms:.3f} | {r.p95_ms:.3f} | {rec} |")
    return "\n".join(out)


def plots(rows: list[Row], folder: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(7, 4.5))
    series: dict[str, list[Row]] = {}
    for r in rows:
        if r.kind == "bm25s" or r.params in {"", "M=32 ef=128", "M=16 ef=64", "M=32 ef=64"} or (
            r.kind.startswith("ivf") and r.params.endswith("nprobe=16")):
            label = re.sub(r"nlist=\d+ ?", "", f"{r.kind} {r.params}").strip()  # nlist grows with n
            series.setdefault(label, []).append(r)
    for label, rs in sorted(series.items()):
        rs = sorted(rs, key=lambda r: r.n)
        ax.plot([r.n for r in rs], [r.p50_ms for r in rs], marker="o", label=label)
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel("passages (vectors)")
    ax.set_ylabel("p50 latency per query, ms (1 thread)")
    ax.set_title("Search latency vs corpus size (synthetic 384-d)")
    ax.grid(True, which="both", alpha=0.3)
    ax.legend(fontsize=7)
    fig.tight_layout()
    fig.savefig(folder / "scale_latency.png", dpi=110)
    plt.close(fig)

    sizes = sorted({r.n for r in rows if r.kind != "bm25s"})
    fig, axes = plt.subplots(1, len(sizes), figsize=(6 * len(sizes), 4.5), squeeze=False)
    for ax, n in zip(axes[0], sizes, strict=True):
        groups: dict[str, list[Row]] = {}
        for r in rows:
            if r.n == n and r.kind != "bm25s":
                groups.setdefault(f"{r.kind} {r.params.rsplit(' ', 1)[0] if ' ' in r.params else r.params}",
                                  []).append(r)
        for label, rs in sorted(groups.items()):
            rs = sorted(rs, key=lambda r: r.p50_ms)
            ax.plot([r.p50_ms for r in rs], [r.recall_at_10 for r in rs], marker="o", label=label)
        ax.set_xscale("log")
        ax.set_xlabel("p50 ms per query (1 thread)")
        ax.set_ylabel("recall@10 vs exact")
        ax.set_title(f"n = {n:,}")
        ax.axhline(0.95, color="grey", ls="--", lw=0.8)
        ax.grid(True, which="both", alpha=0.3)
        ax.legend(fontsize=7)
    fig.tight_layout()
    fig.savefig(folder / "scale_recall_latency.png", dpi=110)
    plt.close(fig)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", type=int, nargs="*", default=[10_000, 100_000])
    ap.add_argument("--bm25-sizes", type=int, nargs="*", default=[10_000, 100_000])
    ap.add_argument("--queries", type=int, default=200)
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--threads", type=int, default=2, help="FAISS threads for builds (search uses 1)")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--data", choices=("mixture", "e5mix"), default="mixture",
                    help="mixture: Gaussian mixture; e5mix: mixes of the real CMRC passage vectors")
    ap.add_argument("--kinds", nargs="*", default=list(KINDS), choices=KINDS,
                    help="ANN indexes to build (flat, the ground truth, always runs)")
    ap.add_argument("--json", type=Path, default=None)
    ap.add_argument("--plots", type=Path, default=None, help="folder for the PNG plots")
    ap.add_argument("--replot", type=Path, nargs="*", default=None,
                    help="measure nothing: merge the rows of these --json files into one table and plots")
    args = ap.parse_args(argv)
    rows: list[Row] = []
    if args.replot is not None:
        for path in args.replot:
            rows += [Row(**r) for r in json.loads(path.read_text())["rows"]]
        rows.sort(key=lambda r: (r.kind == "bm25s", r.n, r.kind, r.params))
        print(markdown(rows))
        if args.plots:
            args.plots.mkdir(parents=True, exist_ok=True)
            plots(rows, args.plots)
        return 0
    for n in args.sizes:
        print(f"vectors n={n}", flush=True)
        rows += bench_vectors(
            n, args.queries, args.repeats, args.seed, args.threads, set(args.kinds), args.data
        )
    for n in args.bm25_sizes:
        rows.append(bench_bm25(n, args.queries, args.repeats, args.seed))
    print(markdown(rows))
    print(f"process peak RSS: {peak_rss_mb():.0f} MiB")
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps({"rows": [asdict(r) for r in rows], "peak_rss_mb": peak_rss_mb()},
                                        indent=1))
    if args.plots:
        args.plots.mkdir(parents=True, exist_ok=True)
        plots(rows, args.plots)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
