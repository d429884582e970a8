"""`ask` latency at 100k passages: CMRC 2018 dev plus ~98k synthetic distractor passages, real query encoder.

    .venv/bin/python bench/ask_at_scale.py [--passages 100000] [--model multilingual-e5-small-int8]
                                           [--questions 300] [--repeats 3] [--threads 1]
                                           [--json bench/results/ask_at_scale.json]

Embedding 100k real passages would take hours on 2 cores, so the distractors get their vectors without the
model: each synthetic passage (one paragraph, <= 200 characters) is 2-3 sentences taken from random CMRC
passages, and its vector is the normalized mix of those passages' stored vectors plus a little noise; its text
is real Chinese, so jieba/BM25 and the reader work on realistic input. The 1,786 real passages keep their real
vectors (from the model's cached CMRC index, built by `qa eval /work/shared/data/cmrc2018/cmrc2018_dev.json
--model M --retrieval-only`). The index is built by the product's `build_index` (default `IndexConfig`: HNSW
above 50k vectors, bm25s over jieba tokens) with an encoder that replays those vectors, then opened with the
real query encoder for M. Timed like `query_latency.py` (warm, one query at a time, median of per-pass p50s)
on the first --questions CMRC questions; recall@5 of hybrid retrieval over the same questions is reported so
that the distractors are seen to make retrieval harder, not trivial.
"""

from __future__ import annotations

import argparse
import re
import sys
import tempfile
import time
import zlib
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
from common import make_encoder, run_header, write_report

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "bench"))
CMRC = Path("/work/shared/data/cmrc2018/cmrc2018_dev.json")
_SENTENCE = re.compile(r"[^。！？!?]+[。！？!?]?")


class ReplayEncoder:
    """Passage vectors looked up by text (precomputed); queries go to the real encoder."""

    def __init__(self, real: Any, table: dict[str, np.ndarray], pool: np.ndarray) -> None:
        self.real = real
        self.table = table
        self.pool = pool
        self.n_fallback = 0
        self.model_id, self.fingerprint, self.dim = real.model_id, real.fingerprint, real.dim

    def encode_queries(self, texts: Sequence[str]) -> np.ndarray:
        return self.real.encode_queries(texts)

    def _vector(self, text: str) -> np.ndarray:
        found = self.table.get(text)
        if found is not None:
            return found
        # a piece the splitter cut differently: a deterministic mix of two real vectors stands in for it
        self.n_fallback += 1
        rng = np.random.default_rng(zlib.crc32(text.encode("utf-8")))
        v = self.pool[rng.choice(len(self.pool), 2, replace=False)].sum(0)
        return v / np.linalg.norm(v)

    def encode_passages(self, texts: Sequence[str], *, show_progress: bool = False) -> np.ndarray:
        return np.stack([self._vector(t) for t in texts]).astype(np.float32)


def synthetic(n: int, texts: Sequence[str], vectors: np.ndarray, seed: int) -> tuple[list[str], np.ndarray]:
    """n distinct one-paragraph passages mixed from real ones, and their vectors."""
    rng = np.random.default_rng(seed)
    sentences = [[s.strip() for s in _SENTENCE.findall(t) if len(s.strip()) >= 8] for t in texts]
    usable = [i for i, s in enumerate(sentences) if s]
    out_texts: list[str] = []
    out_vecs = np.empty((n, vectors.shape[1]), np.float32)
    seen: set[str] = set(texts)
    while len(out_texts) < n:
        picks = rng.choice(usable, size=int(rng.integers(2, 4)), replace=False)
        parts = [sentences[i][int(rng.integers(len(sentences[i])))] for i in picks]
        text = "".join(parts)[:200]
        if text in seen or len(text) < 40:
            continue
        seen.add(text)
        weights = rng.dirichlet(np.ones(len(picks)))
        v = (weights[:, None] * vectors[picks]).sum(0) + 0.02 * rng.standard_normal(vectors.shape[1])
        out_vecs[len(out_texts)] = v / np.linalg.norm(v)
        out_texts.append(text)
    return out_texts, out_vecs


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--passages", type=int, default=100_000)
    ap.add_argument("--model", default="multilingual-e5-small-int8")
    ap.add_argument("--questions", type=int, default=300)
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--threads", type=int, default=1, help="torch / ONNX Runtime threads (0: defaults)")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--json", type=Path, default=None)
    args = ap.parse_args(argv)

    import faiss
    import torch
    from query_latency import breakdown, find_cmrc_index, markdown

    from eval.gold import load_gold
    from eval.runner import evaluate
    from qa.api import QA
    from qa.indexer import build_index
    from qa.store import load_index
    from qa.types import Document

    if args.threads:
        torch.set_num_threads(args.threads)
    gold = load_gold(CMRC)
    cached = load_index(find_cmrc_index(args.model))
    real_texts = [p.text for p in cached.passages]
    real_vecs = cached.vectors.vectors()
    n_syn = max(0, args.passages - len(real_texts))
    t = time.perf_counter()
    syn_texts, syn_vecs = synthetic(n_syn, real_texts, real_vecs, args.seed)
    table = {**dict(zip(syn_texts, syn_vecs, strict=True)), **dict(zip(real_texts, real_vecs, strict=True))}
    docs = list(gold.documents or ()) + [
        Document(doc_id=f"synthetic/{i:06d}", title="", text=text, source="synthetic")
        for i, text in enumerate(syn_texts)
    ]
    print(f"{len(syn_texts)} synthetic passages made in {time.perf_counter() - t:.1f} s", flush=True)
    report: dict[str, Any] = run_header(
        model=args.model,
        threads=args.threads,
        repeats=args.repeats,
    )
    real = make_encoder(args.model, args.threads)
    with tempfile.TemporaryDirectory() as tmp:
        t = time.perf_counter()
        replay = ReplayEncoder(real, table, real_vecs)
        build = build_index(docs, Path(tmp) / "index", replay)  # type: ignore[arg-type]
        report["fallback_vectors"] = replay.n_fallback
        report["build_s_without_embedding"] = time.perf_counter() - t
        faiss.omp_set_num_threads(1)  # searches: one thread, like the product serving one query at a time
        qa = QA.open(Path(tmp) / "index", encoder=real)
        report["passages"] = len(qa.passages)
        report["vector_index"] = qa.store.vectors.kind
        print(f"built {build.passages} passages ({qa.store.vectors.kind}) in "
              f"{report['build_s_without_embedding']:.0f} s (no embedding; {replay.n_fallback} pieces got a "
              "stand-in vector)", flush=True)
        questions = [q.question for q in gold.questions[: args.questions]]
        report["latency"] = breakdown(qa, questions, args.repeats)
        result = evaluate(qa, gold.questions[: args.questions], mode="hybrid", reader=False, progress=False)
        report["hybrid_recall@5"] = result.metrics["recall@5"]
        result = evaluate(qa, gold.questions[: args.questions], mode="dense", reader=False, progress=False)
        report["dense_recall@5"] = result.metrics["recall@5"]
    print()
    print(markdown(f"{args.model}, {report['passages']:,} passages ({report['vector_index']})",
                   report["latency"]))
    print(f"\nrecall@5 over the {len(questions)} questions: hybrid {report['hybrid_recall@5']:.3f}, "
          f"dense {report['dense_recall@5']:.3f}")
    write_report(args.json, report)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
