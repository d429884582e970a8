"""Indexing throughput on CMRC 2018 dev contexts: embedding passages/s, whole-build passages/s, peak RSS.

    .venv/bin/python bench/index_speed.py [--limit-docs N] [--threads 0] [--corpus cmrc|bundled200]
                                          [--models multilingual-e5-small multilingual-e5-small-int8]
                                          [--json bench/results/index_speed.json]

Each model runs in its own fresh process (so peak RSS is that build's alone): load the encoder (timed apart),
then `QA.build_from_documents` over the SQuAD contexts (848 documents, 1,786 passages; --limit-docs takes the
first N) into a temporary directory, the same code path as `qa index`. The encoder is wrapped to time
`encode_passages`, so the build splits into embedding and everything else (cleaning, splitting, jieba + BM25,
FAISS, writing, atomic swap). --threads sets torch's and ONNX Runtime's intra-op threads per inference (0:
the defaults: torch uses every core; the int8 encoder runs one single-threaded inference per core side by
side). --corpus bundled200 measures passages of exactly 200 characters instead (the issue's yardstick).
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from common import make_encoder, run_header, write_report

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
CMRC = Path("/work/shared/data/cmrc2018/cmrc2018_dev.json")


class TimedEncoder:
    """Delegates to an encoder and adds up the seconds spent in encode_passages."""

    def __init__(self, inner: Any) -> None:
        self.inner = inner
        self.model_id, self.fingerprint, self.dim = inner.model_id, inner.fingerprint, inner.dim
        self.embed_s = 0.0
        self.n_embedded = 0

    def encode_queries(self, texts: Any) -> Any:
        return self.inner.encode_queries(texts)

    def encode_passages(self, texts: Any, *, show_progress: bool = False) -> Any:
        t = time.perf_counter()
        out = self.inner.encode_passages(texts, show_progress=show_progress)
        self.embed_s += time.perf_counter() - t
        self.n_embedded += len(out)
        return out


def pieces_200(n: int) -> list[Any]:
    """n one-paragraph, 200-character documents cut from the bundled corpus (numbered, so distinct)."""
    from qa.loaders import load_documents
    from qa.paths import bundled_corpus
    from qa.types import Document

    text = "".join("".join(d.text.split()) for d in load_documents([bundled_corpus()]))
    cuts = [text[i : i + 194] for i in range(0, len(text) - 194, 194)]
    return [Document(f"p{i:05d}", "", f"第{i:04d}段。" + cuts[i % len(cuts)], None) for i in range(n)]


def one(model: str, limit_docs: int | None, threads: int, corpus: str, workers: int) -> dict[str, Any]:
    """Build once with `model` in this process; returns the figures."""
    from eval.gold import load_gold
    from qa.api import QA

    if threads:
        import torch

        torch.set_num_threads(threads)
    if corpus == "bundled200":
        docs = pieces_200(limit_docs or 400)
    else:
        docs = list(load_gold(CMRC).documents or ())[:limit_docs]
    t = time.perf_counter()
    inner = make_encoder(model, threads, workers)
    load_s = time.perf_counter() - t
    enc = TimedEncoder(inner)
    with tempfile.TemporaryDirectory() as tmp:
        t = time.perf_counter()
        qa = QA.build_from_documents(docs, Path(tmp) / "index", encoder=enc)  # type: ignore[arg-type]
        build_s = time.perf_counter() - t
        n = len(qa.passages)
        chars = sum(len(p.text) for p in qa.passages)
    return {
        "model": model,
        "documents": len(docs),
        "passages": n,
        "mean_passage_chars": chars / max(n, 1),
        "model_load_s": load_s,
        "build_s": build_s,
        "embed_s": enc.embed_s,
        "other_s": build_s - enc.embed_s,
        "embed_passages_per_s": enc.n_embedded / enc.embed_s if enc.embed_s else None,
        "build_passages_per_s": n / build_s,
        "peak_rss_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
    }


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--models", nargs="+", default=["multilingual-e5-small", "multilingual-e5-small-int8"])
    ap.add_argument("--limit-docs", type=int, default=None)
    ap.add_argument("--threads", type=int, default=0)
    ap.add_argument("--json", type=Path, default=None)
    ap.add_argument("--corpus", choices=("cmrc", "bundled200"), default="cmrc",
                    help="cmrc: CMRC 2018 dev contexts; bundled200: --limit-docs (default 400) 200-character "
                    "one-paragraph documents cut from the bundled corpus")
    ap.add_argument("--workers", type=int, default=0,
                    help="int8 encoder: parallel single-inference workers (0: its default, one per core)")
    ap.add_argument("--child", default=None, help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    if args.child:
        print(json.dumps(one(args.child, args.limit_docs, args.threads, args.corpus, args.workers)))
        return 0
    report: dict[str, Any] = run_header(
        threads=args.threads,
        corpus=args.corpus,
        workers=args.workers,
        runs=[],
    )
    for model in args.models:
        cmd = [sys.executable, __file__, "--child", model, "--threads", str(args.threads)]
        cmd += ["--corpus", args.corpus, "--workers", str(args.workers)]
        if args.limit_docs:
            cmd += ["--limit-docs", str(args.limit_docs)]
        out = subprocess.run(cmd, cwd=REPO, capture_output=True, text=True, check=False)
        if out.returncode != 0:
            raise SystemExit(f"{model} failed:\n{out.stderr[-3000:]}")
        row = json.loads(out.stdout.strip().splitlines()[-1])
        report["runs"].append(row)
        print(f"[{model}] {row['passages']} passages: build {row['build_s']:.1f} s "
              f"({row['build_passages_per_s']:.1f} passages/s), embedding {row['embed_passages_per_s']:.1f} "
              f"passages/s, other {row['other_s']:.1f} s, peak RSS {row['peak_rss_mib']:.0f} MiB", flush=True)
    print()
    print("| model | passages | mean chars | model load s | build s | embed passages/s | build passages/s "
          "| non-embedding s | peak RSS MiB |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|---:|")
    for r in report["runs"]:
        print(f"| {r['model']} | {r['passages']} | {r['mean_passage_chars']:.0f} | {r['model_load_s']:.1f} | "
              f"{r['build_s']:.1f} | {r['embed_passages_per_s']:.1f} | {r['build_passages_per_s']:.1f} | "
              f"{r['other_s']:.1f} | {r['peak_rss_mib']:.0f} |")
    write_report(args.json, report)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
