"""Our retrieval beside peer tools on CMRC 2018 dev open-domain: same passages, same hit rule, one run.

    python3 -m venv .venv-peers
    .venv-peers/bin/pip install torch==2.13.0          # CPU build from local disk, first
    .venv-peers/bin/pip install -e .
    .venv-peers/bin/pip install -r bench/requirements-peers.txt
    .venv-peers/bin/python bench/peers.py --json bench/results/peers.json 2>&1 | tee bench/results/peers.log

The peers live in their own venv (.venv-peers): they are never dependencies of the project.

Corpus: the 848 contexts of the CMRC 2018 dev file become documents and are indexed exactly as
`qa eval --model multilingual-e5-small` does (`QA.build_from_documents(gold.documents, eval_index_dir(gold,
model))`: returns the cached index under <cache>/eval/<sha16>-multilingual-e5-small when it is up to date,
else builds it). The model is pinned by `--model` (default multilingual-e5-small: the fp32 e5 on torch,
`load_encoder("multilingual-e5-small")`), so a change of the project's default encoder does not silently
change what is compared. Its 1,786 passages (store order, the text our encoder and BM25 index) are fed, row
for row, to every peer. Systems:

  ours hybrid     `QA.retrieve(q, k, mode="hybrid")`: e5 dense + bm25s/jieba BM25, reciprocal rank fusion
  ours dense      `QA.retrieve(q, k, mode="dense")`: multilingual-e5-small, FAISS flat inner product
  ours bm25       `QA.retrieve(q, k, mode="bm25")`: bm25s (Lucene variant) over jieba tokens
  haystack bm25   haystack-ai 2.x `InMemoryDocumentStore()` (defaults: regex `(?u)\\b\\w+\\b`, BM25L) +
                  `InMemoryBM25Retriever.run(query=q, top_k=k)`
  haystack bm25 (CJK chars)  the same with `bm25_tokenization_regex` = one token per CJK character (plus
                  runs of other word characters): NOT a default, added to show what the default costs
  txtai dense     txtai `Embeddings` with the faiss backend and external vectors: its `transform` calls our
                  encoder (`embeddings.factory.load_encoder()`); txtai's `instructions` option prefixes
                  "query: " (search) or "passage: " (index), and the transform dispatches on that prefix to
                  `encode_queries` / `encode_passages` (which add e5's prefixes back), so txtai's vectors
                  are exactly ours. txtai picks `IDMap,Flat` (exact) below 5,000 rows, like our flat index.

Quality: every question is retrieved once (top `--k`, default 20 as `qa eval`), and the hit rule is the eval
harness's own `eval.metrics.first_hit_rank` (a passage of the question's doc_id that contains a normalized
gold answer), aggregated with `eval.metrics.retrieval_metrics` (recall@1/5/10/20, MRR@10).

Latency: one query at a time, warm (5 warm-up queries per system), the first `--latency-questions` questions
(default 300) x `--repeats` passes (default 3), systems interleaved inside each pass; p50/p95 per pass, the
median over passes reported. The timed call is the system's own retrieve call only.

Indexing time (model already loaded, jieba dictionary already loaded, for everyone):
  ours hybrid   `QA.build_from_documents(docs, <fresh temp dir>)`: chunking, embedding, FAISS, BM25, files
  ours dense    `encoder.encode_passages(texts)` + `FaissIndex.build(vectors)`
  ours bm25     `BM25Index.build(texts)` (jieba + bm25s)
  haystack      `InMemoryDocumentStore(...)` + `write_documents([Document(...)])` (tokenize + BM25 stats)
  txtai         `Embeddings(config).index(rows)` (calls our encoder for every passage)
The embedding systems are indexed once on the first `--index-docs` contexts (default all 848; a subset keeps
the run short), the BM25 ones on the full corpus, `--bm25-index-repeats` times (median). Ratios of indexing
cost compare time per passage, so a subset and the full corpus stay comparable. When the timed txtai index
covers the whole corpus it also serves the queries; after a subset, txtai's query index is fed our cached
passage vectors as arrays (the same numbers `encode_passages` gives).

Threads: OMP/MKL/OpenBLAS env, `torch.set_num_threads` and `faiss.omp_set_num_threads` are all set to
`--threads` (default 1) for every system, before anything is imported that reads them.

Options: --gold FILE, --model NAME, --questions N (first N questions for quality; default all 3,219),
--latency-questions N, --repeats N, --index-docs N, --bm25-index-repeats N, --k N, --threads N,
--skip KEY[,KEY] (keys: hybrid, dense, bm25, haystack, haystack-cjk, txtai), --json FILE (raw figures).
Prints Markdown tables on stdout, progress on stderr.
"""

from __future__ import annotations

import argparse
import os
import sys

_THREAD_ENV = ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS", "NUMEXPR_NUM_THREADS")


def _early_threads(argv: list[str]) -> int:
    """Read --threads before numpy/torch/faiss are imported, and pin their pools through the environment."""
    threads = 1
    for i, arg in enumerate(argv):
        if arg == "--threads" and i + 1 < len(argv):
            threads = int(argv[i + 1])
        elif arg.startswith("--threads="):
            threads = int(arg.split("=", 1)[1])
    for name in _THREAD_ENV:
        os.environ[name] = str(threads)
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
    os.environ.setdefault("HAYSTACK_TELEMETRY_ENABLED", "False")  # no network here; never phone home
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    return threads


_THREADS = _early_threads(sys.argv[1:])

# ruff: noqa: E402  (imports below must follow the thread set-up above)
import contextlib
import json
import platform
import statistics
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from eval import metrics
from eval.cli import eval_index_dir
from eval.gold import GoldQuestion, GoldSet, load_gold
from eval.runner import RETRIEVE_K

CMRC = Path("/work/shared/data/cmrc2018/cmrc2018_dev.json")
PREV_EVAL = ROOT / "eval" / "results"  # cmrc-retrieval*.json: `qa eval --retrieval-only` figures, if any
CJK_REGEX = r"(?u)[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]|[^\W\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]+"
WARMUP = 5
MODEL = "multilingual-e5-small"  # the fp32 e5 rebuild on torch; pinned, whatever the project default is
ALL_KEYS = ("hybrid", "dense", "bm25", "haystack", "haystack-cjk", "txtai")
LABELS = {
    "hybrid": "ours hybrid (e5 + bm25s/jieba, RRF)",
    "dense": "ours dense (e5, FAISS flat)",
    "bm25": "ours bm25 (bm25s + jieba)",
    "haystack": "Haystack InMemoryBM25Retriever (default tokenization)",
    "haystack-cjk": "Haystack InMemoryBM25Retriever (CJK-char regex, non-default)",
    "txtai": "txtai Embeddings (faiss, our e5 via external transform)",
}
EMBEDDING_KEYS = frozenset({"hybrid", "dense", "txtai"})


def log(msg: str) -> None:
    print(f"[{time.strftime('%H:%M:%S', time.gmtime())}] {msg}", file=sys.stderr, flush=True)


def version(dist: str) -> str | None:
    try:
        return metadata.version(dist)
    except metadata.PackageNotFoundError:
        return None


# --------------------------------------------------------------------------- systems


@dataclass
class System:
    """One retriever under test: ``search(q)`` is the timed call, ``rows`` maps its result to passage rows."""

    key: str
    label: str
    search: Callable[[str], Any] | None = None
    rows: Callable[[Any], list[int]] | None = None
    error: str | None = None
    index: dict[str, Any] = field(default_factory=dict)
    quality: dict[str, Any] = field(default_factory=dict)
    latency: dict[str, Any] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return self.error is None and self.search is not None


@dataclass(frozen=True)
class Corpus:
    """The passages of our eval index, in store order (row i = passage i everywhere)."""

    ids: tuple[str, ...]
    doc_ids: tuple[str, ...]
    texts: tuple[str, ...]

    def pairs(self, rows: Sequence[int]) -> list[tuple[str, str]]:
        return [(self.doc_ids[r], self.texts[r]) for r in rows]


def set_threads(n: int) -> dict[str, Any]:
    import faiss
    import torch

    torch.set_num_threads(n)
    with contextlib.suppress(RuntimeError):  # only settable before the first parallel op
        torch.set_num_interop_threads(n)
    faiss.omp_set_num_threads(n)
    return {
        "requested": n,
        "torch_intra_op": torch.get_num_threads(),
        "torch_inter_op": torch.get_num_interop_threads(),
        "faiss_omp_max": faiss.omp_get_max_threads(),
        **{name: os.environ.get(name) for name in _THREAD_ENV},
    }


def make_txtai_transform(encoder: Any) -> Callable[[list[str]], np.ndarray]:
    """txtai external transform: texts arrive prefixed by txtai's ``instructions``; route to our encoder."""

    def transform(texts: list[str]) -> np.ndarray:
        if all(t.startswith("query: ") for t in texts):
            return encoder.encode_queries([t[len("query: ") :] for t in texts])
        if all(t.startswith("passage: ") for t in texts):
            return encoder.encode_passages([t[len("passage: ") :] for t in texts])
        raise ValueError("txtai transform: expected a batch of only 'query: ' or only 'passage: ' texts")

    return transform


TXTAI_INSTRUCTIONS = {"query": "query: ", "data": "passage: "}


def txtai_embeddings(encoder: Any) -> Any:
    from txtai import Embeddings

    return Embeddings(
        {
            "method": "external",
            "transform": make_txtai_transform(encoder),
            "instructions": TXTAI_INSTRUCTIONS,
            "backend": "faiss",
            "content": False,
        }
    )


def haystack_store(documents: Sequence[Any], regex: str | None) -> Any:
    from haystack.document_stores.in_memory import InMemoryDocumentStore

    store = InMemoryDocumentStore() if regex is None else InMemoryDocumentStore(bm25_tokenization_regex=regex)
    store.write_documents(list(documents))
    return store


def haystack_documents(corpus: Corpus, rows: Sequence[int]) -> list[Any]:
    from haystack import Document

    return [Document(content=corpus.texts[r], meta={"row": r, "passage_id": corpus.ids[r]}) for r in rows]


def build_systems(
    keys: Sequence[str], qa: Any, corpus: Corpus, k: int, txtai_index: Any | None
) -> dict[str, System]:
    """The query-side objects of every system over the full corpus (peers are built here, untimed)."""
    systems: dict[str, System] = {}
    row_of = {pid: i for i, pid in enumerate(corpus.ids)}
    for key in keys:
        sys_ = System(key, LABELS[key])
        systems[key] = sys_
        try:
            if key in ("hybrid", "dense", "bm25"):
                mode = key

                def ours(q: str, mode: str = mode) -> Any:
                    return qa.retrieve(q, k=k, mode=mode)

                sys_.search = ours
                sys_.rows = lambda hits: [row_of[h.passage_id] for h in hits]
            elif key in ("haystack", "haystack-cjk"):
                from haystack.components.retrievers.in_memory import InMemoryBM25Retriever

                store = haystack_store(
                    haystack_documents(corpus, range(len(corpus.ids))),
                    CJK_REGEX if key != "haystack" else None,
                )
                retriever = InMemoryBM25Retriever(document_store=store, top_k=k)
                sys_.notes.append(
                    f"store: regex {store.bm25_tokenization_regex!r}, algorithm {store.bm25_algorithm}"
                )

                def hay(q: str, retriever: Any = retriever) -> Any:
                    return retriever.run(query=q, top_k=k)["documents"]

                sys_.search = hay
                sys_.rows = lambda docs: [int(d.meta["row"]) for d in docs]
            elif key == "txtai":
                if txtai_index is not None:  # the timed index covered the full corpus: query it
                    emb = txtai_index
                else:  # our cached passage vectors (= encode_passages output), fed as arrays
                    emb = txtai_embeddings(qa.encoder)
                    vectors = qa.store.vectors.vectors()
                    emb.index([(i, vectors[i], None) for i in range(len(corpus.ids))])
                    sys_.notes.append("query index fed our cached passage vectors (index timing on a subset)")
                sys_.notes.append(f"faiss index: {type(emb.ann.backend).__name__}, {emb.ann.count()} rows")

                def tx(q: str, emb: Any = emb) -> Any:
                    return emb.search(q, k)

                sys_.search = tx
                sys_.rows = lambda res: [int(i) for i, _ in res]
        except Exception as exc:  # a peer that cannot run is reported, the others go on
            sys_.error = f"{type(exc).__name__}: {exc}"
            log(f"{key}: unavailable ({sys_.error})")
    return systems


# --------------------------------------------------------------------------- indexing time


def _median_time(fn: Callable[[], Any], repeats: int) -> tuple[float, Any]:
    times, out = [], None
    for _ in range(repeats):
        t = time.perf_counter()
        out = fn()
        times.append(time.perf_counter() - t)
    return statistics.median(times), out


def measure_indexing(
    keys: Sequence[str], gold: GoldSet, qa: Any, corpus: Corpus, index_docs: int | None, bm25_repeats: int
) -> tuple[dict[str, dict[str, Any]], Any | None]:
    """Wall time of building each system's index (see the module docstring for what is timed).

    Also returns the timed txtai index when it covers the whole corpus (it then serves the queries).
    """
    from qa.api import QA
    from qa.bm25 import BM25Index
    from qa.tokenize import tokenize
    from qa.vectors.faiss import FaissIndex

    tokenize("预热一下结巴分词")  # jieba's dictionary is loaded before any timing
    warm_rows = [0, 1]
    for key in keys:  # imports and lazy set-up of each peer happen here, untimed (tiny throw-away index)
        try:
            if key in ("haystack", "haystack-cjk"):
                haystack_store(
                    haystack_documents(corpus, warm_rows), CJK_REGEX if key != "haystack" else None
                )
            elif key == "txtai":
                txtai_embeddings(qa.encoder).index([(r, corpus.texts[r], None) for r in warm_rows])
        except Exception as exc:  # reported by the timed attempt below
            log(f"warm-up {key}: {type(exc).__name__}: {exc}")
    assert gold.documents is not None
    docs = list(gold.documents[:index_docs] if index_docs else gold.documents)
    doc_set = {d.doc_id for d in docs}
    sub_rows = [i for i, d in enumerate(corpus.doc_ids) if d in doc_set]
    sub_texts = [corpus.texts[r] for r in sub_rows]
    all_rows = list(range(len(corpus.ids)))
    out: dict[str, dict[str, Any]] = {}
    txtai_full: Any | None = None

    def record(key: str, seconds: float, n: int, repeats: int, what: str) -> None:
        out[key] = {
            "seconds": seconds,
            "passages": n,
            "ms_per_passage": seconds * 1e3 / n,
            "passages_per_s": n / seconds,
            "repeats": repeats,
            "what": what,
            "subset_contexts": len(docs) if key in EMBEDDING_KEYS else len(gold.documents or ()),
        }
        log(f"index {key}: {seconds:.2f} s for {n} passages ({n / seconds:.1f} passages/s)")

    for key in keys:
        try:
            if key == "hybrid":
                with tempfile.TemporaryDirectory() as tmp:
                    t = time.perf_counter()
                    built = QA.build_from_documents(docs, Path(tmp) / "index", encoder=qa.encoder)
                    s = time.perf_counter() - t
                    n = len(built.passages)
                if n != len(sub_rows):
                    log(f"warning: fresh build has {n} passages, cached index has {len(sub_rows)} for them")
                record(key, s, n, 1, "QA.build_from_documents into a fresh temp dir")
                out[key]["embedded"] = built.last_build.embedded if built.last_build else None
            elif key == "dense":
                t = time.perf_counter()
                FaissIndex.build(qa.encoder.encode_passages(sub_texts))
                record(key, time.perf_counter() - t, len(sub_texts), 1, "encode_passages + FaissIndex.build")
            elif key == "bm25":
                s, _ = _median_time(lambda: BM25Index.build(corpus.texts), bm25_repeats)
                record(key, s, len(corpus.texts), bm25_repeats, "BM25Index.build (jieba + bm25s)")
            elif key in ("haystack", "haystack-cjk"):
                regex = CJK_REGEX if key == "haystack-cjk" else None
                s, _ = _median_time(
                    lambda regex=regex: haystack_store(haystack_documents(corpus, all_rows), regex),
                    bm25_repeats,
                )
                record(
                    key,
                    s,
                    len(all_rows),
                    bm25_repeats,
                    "Document(...) x n + InMemoryDocumentStore.write_documents",
                )
            elif key == "txtai":
                rows = [(r, corpus.texts[r], None) for r in sub_rows]
                t = time.perf_counter()
                emb = txtai_embeddings(qa.encoder)
                emb.index(rows)
                record(key, time.perf_counter() - t, len(rows), 1, "Embeddings(config).index (our encoder)")
                if len(rows) == len(corpus.ids):
                    txtai_full = emb
        except Exception as exc:
            out[key] = {"error": f"{type(exc).__name__}: {exc}"}
            log(f"index {key}: failed ({out[key]['error']})")
    return out, txtai_full


# --------------------------------------------------------------------------- quality and latency


def quality_pass(
    system: System, questions: Sequence[GoldQuestion], corpus: Corpus
) -> tuple[dict[str, Any], list[list[int]]]:
    """Retrieve every question once; first-hit ranks with the eval harness's rule; latencies of this pass."""
    assert system.search is not None and system.rows is not None
    for q in questions[:WARMUP]:
        system.search(q.question)
    ranks: list[int | None] = []
    lat: list[float] = []
    results: list[list[int]] = []
    for q in questions:
        t = time.perf_counter()
        res = system.search(q.question)
        lat.append((time.perf_counter() - t) * 1e3)
        rows = system.rows(res)
        results.append(rows)
        if q.answerable:
            ranks.append(metrics.first_hit_rank(corpus.pairs(rows), q.answers, q.doc_id))
    out: dict[str, Any] = dict(metrics.retrieval_metrics(ranks))
    out.update(
        {
            "n": len(questions),
            "n_answerable": len(ranks),
            "no_hit_in_top_k": sum(r is None for r in ranks),
            "pass_latency_ms_p50": metrics.percentile(lat, 50),
            "pass_latency_ms_p95": metrics.percentile(lat, 95),
        }
    )
    return out, results


def latency_passes(systems: Sequence[System], questions: Sequence[str], repeats: int) -> None:
    """Interleaved passes: for each pass, each system runs every question once (after a warm-up)."""
    for s in systems:
        assert s.search is not None
        for q in questions[:WARMUP]:
            s.search(q)
    per: dict[str, list[tuple[float, float, float]]] = {s.key: [] for s in systems}
    for r in range(repeats):
        for s in systems:
            assert s.search is not None
            lat = np.empty(len(questions))
            for i, q in enumerate(questions):
                t = time.perf_counter()
                s.search(q)
                lat[i] = time.perf_counter() - t
            p50, p95, mean = (
                float(np.percentile(lat, 50) * 1e3),
                float(np.percentile(lat, 95) * 1e3),
                float(lat.mean() * 1e3),
            )
            per[s.key].append((p50, p95, mean))
            log(f"latency pass {r + 1}/{repeats} {s.key}: p50 {p50:.2f} ms, p95 {p95:.2f} ms")
    for s in systems:
        p50s, p95s, means = zip(*per[s.key], strict=True)
        s.latency = {
            "p50_ms": statistics.median(p50s),
            "p95_ms": statistics.median(p95s),
            "mean_ms": statistics.median(means),
            "passes_p50_ms": list(p50s),
            "passes_p95_ms": list(p95s),
            "questions": len(questions),
            "repeats": repeats,
        }


# --------------------------------------------------------------------------- report


def _ratio(a: float | None, b: float | None) -> float | None:
    return None if a is None or b is None or b == 0 else a / b


def _f(x: float | None, fmt: str = ".3f") -> str:
    return "–" if x is None else format(x, fmt)


def _x(x: float | None) -> str:
    if x is None:
        return "–"
    if x >= 100:
        return f"{x:.0f}×"
    if x >= 10:
        return f"{x:.1f}×"
    return f"{x:.2f}×" if x >= 0.1 else f"{x:.2g}×"


def markdown(systems: dict[str, System], meta: dict[str, Any]) -> str:
    hyb, bm = systems.get("hybrid"), systems.get("bm25")
    lines = [
        f"CMRC 2018 dev open-domain: {meta['passages']} passages from {meta['contexts']} contexts; "
        f"quality on {meta['questions']} questions (top {meta['k']}); latency on {meta['latency_questions']} "
        f"questions x {meta['repeats']} passes; {meta['threads']['requested']} thread(s) for everyone.",
        "",
        "**Retrieval quality** (ratios: this system / ours hybrid)",
        "",
        "| system | recall@1 | recall@5 | MRR@10 | recall@20 "
        "| R@1 vs hybrid | R@5 vs hybrid | MRR@10 vs hybrid |",
        "|---|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for s in systems.values():
        if not s.quality:
            lines.append(f"| {s.label} | not run: {s.error or 'skipped'} | | | | | | |")
            continue
        qh = hyb.quality if hyb and hyb.quality else {}
        q = s.quality
        lines.append(
            f"| {s.label} | {_f(q['recall@1'])} | {_f(q['recall@5'])} | {_f(q['mrr@10'])} "
            f"| {_f(q['recall@20'])} | {_x(_ratio(q['recall@1'], qh.get('recall@1')))} "
            f"| {_x(_ratio(q['recall@5'], qh.get('recall@5')))} "
            f"| {_x(_ratio(q['mrr@10'], qh.get('mrr@10')))} |"
        )
    lines += [
        "",
        "**Cost** (latency: one query at a time, warm, median of per-pass p50; indexing: wall time, "
        "model loaded; ratios of indexing compare time per passage)",
        "",
        "| system | query p50 ms | p95 ms | p50 vs hybrid | p50 vs bm25 | indexing s | passages indexed "
        "| ms/passage | index vs hybrid | index vs bm25 |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for s in systems.values():
        if not s.latency and not s.index:
            lines.append(f"| {s.label} | not run: {s.error or 'skipped'} | | | | | | | | |")
            continue
        lat, idx = s.latency, s.index
        lh = hyb.latency.get("p50_ms") if hyb else None
        lb = bm.latency.get("p50_ms") if bm else None
        ih = hyb.index.get("ms_per_passage") if hyb else None
        ib = bm.index.get("ms_per_passage") if bm else None
        mpp = idx.get("ms_per_passage")
        lines.append(
            f"| {s.label} | {_f(lat.get('p50_ms'), '.2f')} | {_f(lat.get('p95_ms'), '.2f')} | "
            f"{_x(_ratio(lat.get('p50_ms'), lh))} | {_x(_ratio(lat.get('p50_ms'), lb))} | "
            f"{_f(idx.get('seconds'), '.2f')} | {idx.get('passages', '–')} | {_f(mpp, '.3f')} | "
            f"{_x(_ratio(mpp, ih))} | {_x(_ratio(mpp, ib))} |"
        )
    return "\n".join(lines)


def cross_checks(
    systems: dict[str, System], results: dict[str, list[list[int]]], model: str
) -> dict[str, Any]:
    """Sanity: ours vs committed `qa eval` figures of the same model; txtai vs ours dense (same vectors)."""
    out: dict[str, Any] = {}
    for path in sorted(PREV_EVAL.glob("cmrc-retrieval*.json")):
        try:
            prev = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            continue
        for obj in prev if isinstance(prev, list) else [prev]:
            s = systems.get(str(obj.get("mode")))
            same = (
                obj.get("model") == model and s is not None and s.quality and s.quality["n"] == obj.get("n")
            )
            if same and s is not None:
                out[f"{s.key} vs {path.name}"] = {
                    m: {"now": s.quality[m], "qa_eval": obj.get(m)}
                    for m in ("recall@1", "recall@5", "mrr@10")
                }
    if "txtai" in results and "dense" in results:
        a, b = results["txtai"], results["dense"]
        out["txtai vs ours dense"] = {
            "same_top1": sum(x[:1] == y[:1] for x, y in zip(a, b, strict=True)) / len(a),
            "same_top5_set": sum(set(x[:5]) == set(y[:5]) for x, y in zip(a, b, strict=True)) / len(a),
            "same_top_k_list": sum(x == y for x, y in zip(a, b, strict=True)) / len(a),
        }
    return out


# --------------------------------------------------------------------------- main


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    ap.add_argument("--gold", type=Path, default=CMRC, help="SQuAD-format file (default: CMRC 2018 dev)")
    ap.add_argument(
        "--model", default=MODEL, help=f"our encoder, for ours and txtai alike (default {MODEL}: fp32, torch)"
    )
    ap.add_argument(
        "--questions", type=int, default=None, metavar="N", help="first N questions (default all)"
    )
    ap.add_argument("--latency-questions", type=int, default=300, metavar="N")
    ap.add_argument("--repeats", type=int, default=3, help="latency passes (median reported)")
    ap.add_argument(
        "--index-docs",
        type=int,
        default=None,
        metavar="N",
        help="index-time the embedding systems on the first N contexts (default: all)",
    )
    ap.add_argument("--bm25-index-repeats", type=int, default=3, metavar="N")
    ap.add_argument("--k", type=int, default=RETRIEVE_K, help=f"passages retrieved (default {RETRIEVE_K})")
    ap.add_argument(
        "--threads", type=int, default=1, help="torch/faiss/BLAS threads for everyone (default 1)"
    )
    ap.add_argument(
        "--skip", default="", metavar="KEY[,KEY]", help=f"systems to leave out: {', '.join(ALL_KEYS)}"
    )
    ap.add_argument("--json", type=Path, default=None, metavar="FILE", help="write the raw figures as JSON")
    args = ap.parse_args(argv)
    skip = {s.strip() for s in args.skip.split(",") if s.strip()}
    if skip - set(ALL_KEYS):
        ap.error(f"--skip: unknown {', '.join(sorted(skip - set(ALL_KEYS)))}")
    keys = [k for k in ALL_KEYS if k not in skip]
    started = time.time()
    threads = set_threads(args.threads)

    from embeddings.factory import load_encoder
    from qa.api import QA

    gold = load_gold(args.gold).limit(args.questions)
    if gold.documents is None:
        ap.error("--gold must be a SQuAD-format file (its contexts are the corpus)")
    log(
        f"gold: {args.gold}: {len(gold.questions)} questions, {len(gold.documents)} contexts; "
        f"threads {threads}"
    )
    t = time.perf_counter()
    encoder = load_encoder(args.model)
    index_dir = eval_index_dir(gold, args.model)
    # as `qa eval --model MODEL`: reuses the cached index when it is up to date
    qa = QA.build_from_documents(gold.documents, index_dir, encoder=encoder)
    log(
        f"ours: {index_dir} opened in {time.perf_counter() - t:.1f} s ({len(qa.passages)} passages, "
        f"{qa.store.vectors.kind}, model {qa.model_id})"
    )
    corpus = Corpus(
        tuple(p.passage_id for p in qa.passages),
        tuple(p.doc_id for p in qa.passages),
        tuple(p.text for p in qa.passages),
    )
    qa.retrieve(gold.questions[0].question, k=args.k)  # loads the model weights and jieba, untimed

    index, txtai_full = measure_indexing(keys, gold, qa, corpus, args.index_docs, args.bm25_index_repeats)
    log("building the query-side peers over the full corpus (untimed)")
    systems = build_systems(keys, qa, corpus, args.k, txtai_full)
    results: dict[str, list[list[int]]] = {}
    for key, s in systems.items():
        s.index = index.get(key, {})
        if not s.ok:
            continue
        t = time.perf_counter()
        try:
            s.quality, results[key] = quality_pass(s, gold.questions, corpus)
        except Exception as exc:
            s.error = f"{type(exc).__name__}: {exc}"
            log(f"{key}: quality pass failed ({s.error})")
            continue
        q = s.quality
        log(
            f"quality {key}: R@1 {q['recall@1']:.4f} R@5 {q['recall@5']:.4f} MRR@10 {q['mrr@10']:.4f} "
            f"({time.perf_counter() - t:.0f} s, pass p50 {q['pass_latency_ms_p50']:.2f} ms)"
        )
    runnable = [s for s in systems.values() if s.ok]
    lat_qs = [q.question for q in gold.questions[: args.latency_questions]]
    latency_passes(runnable, lat_qs, args.repeats)

    meta: dict[str, Any] = {
        "date_utc": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime(started)),
        "wall_s": None,
        "machine": f"{platform.machine()} {os.cpu_count()} cores (shared with other jobs)",
        "python": platform.python_version(),
        "gold": str(args.gold),
        "gold_sha256": gold.sha256,
        "index_dir": str(index_dir),
        "model": {
            "name": args.model,
            "model_id": qa.model_id,
            "encoder": type(qa.encoder).__name__,
            "fingerprint": qa.encoder.fingerprint,
        },
        "contexts": len(gold.documents),
        "passages": len(corpus.ids),
        "questions": len(gold.questions),
        "latency_questions": len(lat_qs),
        "repeats": args.repeats,
        "k": args.k,
        "index_docs": args.index_docs,
        "threads": threads,
        "versions": {
            d: version(d)
            for d in (
                "qa-corpus",
                "haystack-ai",
                "txtai",
                "torch",
                "faiss-cpu",
                "bm25s",
                "jieba",
                "sentence-transformers",
                "transformers",
                "numpy",
            )
        },
        "argv": sys.argv,
    }
    checks = cross_checks(systems, results, qa.model_id)
    meta["wall_s"] = round(time.time() - started, 1)
    table = markdown(systems, meta)
    print(table)
    print()
    print("cross-checks: " + json.dumps(checks, ensure_ascii=False))
    print("versions: " + ", ".join(f"{k} {v}" for k, v in meta["versions"].items()))
    if args.json is not None:
        payload = {
            "meta": meta,
            "systems": {
                k: {
                    "label": s.label,
                    "error": s.error,
                    "notes": s.notes,
                    "quality": s.quality,
                    "latency": s.latency,
                    "index": s.index,
                }
                for k, s in systems.items()
            },
            "cross_checks": checks,
            "markdown": table,
        }
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(payload, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
        log(f"wrote {args.json}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
