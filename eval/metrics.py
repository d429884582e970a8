"""Pure evaluation metrics: CMRC 2018 EM/F1, SQuAD-v2 abstention scoring, recall@k/MRR and latency stats.

EM and F1 reproduce the official CMRC 2018 script (``cmrc2018_evaluate.py``, v5): lower-case and strip,
segment mixed text (every CJK character U+4E00..U+9FA5 is a token, other runs go through NLTK's word
tokenizer), drop the script's fixed punctuation list, F1 from the longest common *substring* of the token
lists, EM on the punctuation-stripped strings, both maxed over the gold answers. NLTK's word tokenizer is
ported below (``_ptb_tokenize``, NLTK 3.10 ``NLTKWordTokenizer`` rules, Apache-2.0) so no NLTK data is
needed; like ``word_tokenize(..., preserve_line=True)`` it does not split sentences first.
"""

from __future__ import annotations

import math
import re
import unicodedata
from collections.abc import Sequence

# The official script's `sp_char` list, in its order. '……' is a two-character entry that never equals the
# single character it is compared with, so (as in the script) a lone '…' is *not* removed.
CMRC_PUNCTUATION: tuple[str, ...] = (
    "-", ":", "_", "*", "^", "/", "\\", "~", "`", "+", "=",
    "，", "。", "：", "？", "！", "“", "”", "；", "’", "《", "》", "……", "·", "、",
    "「", "」", "（", "）", "－", "～", "『", "』",
)  # fmt: skip
_PUNCT_SET = frozenset(CMRC_PUNCTUATION)
_CJK = re.compile("[\u4e00-\u9fa5]")

RECALL_KS: tuple[int, ...] = (1, 5, 10, 20)
MRR_K = 10

# --------------------------------------------------------------------------- NLTK word tokenizer port

_STARTING_QUOTES = (
    (re.compile("([«“‘„]|[`]+)"), r" \1 "),
    (re.compile(r"^\""), r"``"),
    (re.compile(r"(``)"), r" \1 "),
    (re.compile(r"([ \(\[{<])(\"|\'{2})"), r"\1 `` "),
    (re.compile(r"(?i)(?<!\w)(\')(?!(?:re|ve|ll|m|t|s|d|n)\b)(?=\w)"), r"\1 "),
)
_PUNCTUATION = (
    (re.compile(r'([^\.])(\.)([\]\)}>"\'»”’ ]*+)\s*$'), r"\1 \2 \3 "),
    (re.compile(r"([:,])([^\d])"), r" \1 \2"),
    (re.compile(r"([:,])$"), r" \1 "),
    (re.compile(r"\.{2,}"), r" \g<0> "),
    (re.compile(r"[;@#$%&]"), r" \g<0> "),
    (re.compile("[\u2012-\u2015]"), r" \g<0> "),
    (re.compile(r'([^\.])(\.)([\]\)}>"\']*)\s*$'), r"\1 \2\3 "),
    (re.compile(r"[?!]"), r" \g<0> "),
    (re.compile(r"([^'])' "), r"\1 ' "),
    (re.compile(r"[*]"), r" \g<0> "),
)
_PARENS_BRACKETS = (re.compile(r"[\]\[\(\)\{\}\<\>]"), r" \g<0> ")
_DOUBLE_DASHES = (re.compile(r"--"), r" -- ")
_ENDING_QUOTES = (
    (re.compile("([»”’])"), r" \1 "),
    (re.compile(r"''"), " '' "),
    (re.compile(r'"'), " '' "),
    (re.compile(r"\s+"), " "),
    (re.compile(r"([^' ])('[sS]|'[mM]|'[dD]|') "), r"\1 \2 "),
    (re.compile(r"([^' ])('ll|'LL|'re|'RE|'ve|'VE|n't|N'T) "), r"\1 \2 "),
)
_CONTRACTIONS = tuple(
    re.compile(p)
    for p in (
        r"(?i)\b(can)(?#X)(not)\b",
        r"(?i)\b(d)(?#X)('ye)\b",
        r"(?i)\b(gim)(?#X)(me)\b",
        r"(?i)\b(gon)(?#X)(na)\b",
        r"(?i)\b(got)(?#X)(ta)\b",
        r"(?i)\b(lem)(?#X)(me)\b",
        r"(?i)\b(more)(?#X)('n)\b",
        r"(?i)\b(wan)(?#X)(na)(?=\s)",
        r"(?i) ('t)(?#X)(is)\b",
        r"(?i) ('t)(?#X)(was)\b",
    )
)


def _ptb_tokenize(text: str) -> list[str]:
    """Split a non-CJK run into words like ``nltk.word_tokenize(text, preserve_line=True)``."""
    for pattern, repl in _STARTING_QUOTES:
        text = pattern.sub(repl, text)
    for pattern, repl in _PUNCTUATION:
        text = pattern.sub(repl, text)
    text = _PARENS_BRACKETS[0].sub(_PARENS_BRACKETS[1], text)
    text = _DOUBLE_DASHES[0].sub(_DOUBLE_DASHES[1], text)
    text = " " + text + " "
    for pattern, repl in _ENDING_QUOTES:
        text = pattern.sub(repl, text)
    for pattern in _CONTRACTIONS:
        text = pattern.sub(r" \1 \2 ", text)
    return text.split()


# --------------------------------------------------------------------------- CMRC 2018 EM / F1


def mixed_segmentation(text: str, rm_punc: bool = False) -> list[str]:
    """Tokens as the CMRC script sees them: one per CJK char (and punctuation), words for other runs."""
    text = str(text).lower().strip()
    segs: list[str] = []
    run = ""
    for char in text:
        if rm_punc and char in _PUNCT_SET:
            continue  # skipped without flushing: 'ω-force' becomes one token 'ωforce', as in the script
        if _CJK.search(char) or char in _PUNCT_SET:
            if run:
                segs.extend(_ptb_tokenize(run))
                run = ""
            segs.append(char)
        else:
            run += char
    if run:
        segs.extend(_ptb_tokenize(run))
    return segs


def remove_punctuation(text: str) -> str:
    """Lower-case, strip and drop the script's punctuation characters (the EM normalization)."""
    return "".join(ch for ch in str(text).lower().strip() if ch not in _PUNCT_SET)


def find_lcs(s1: Sequence[str], s2: Sequence[str]) -> tuple[Sequence[str], int]:
    """Longest common contiguous run of two token lists (first one found in ``s1`` order) and its length."""
    prev = [0] * (len(s2) + 1)
    best, end = 0, 0
    for i in range(len(s1)):
        cur = [0] * (len(s2) + 1)
        for j in range(len(s2)):
            if s1[i] == s2[j]:
                cur[j + 1] = prev[j] + 1
                if cur[j + 1] > best:
                    best, end = cur[j + 1], i + 1
        prev = cur
    return s1[end - best : end], best


def cmrc_f1(answers: Sequence[str], prediction: str) -> float:
    """The official ``calc_f1_score``: max over gold answers of the LCS-based token F1."""
    if not answers:
        raise ValueError("cmrc_f1 needs at least one gold answer; score unanswerable questions with f1_score")
    pred_segs = mixed_segmentation(prediction, rm_punc=True)
    scores = []
    for answer in answers:
        ans_segs = mixed_segmentation(answer, rm_punc=True)
        _, lcs_len = find_lcs(ans_segs, pred_segs)
        if lcs_len == 0:
            scores.append(0.0)
            continue
        precision = lcs_len / len(pred_segs)
        recall = lcs_len / len(ans_segs)
        scores.append(2 * precision * recall / (precision + recall))
    return max(scores)


def cmrc_em(answers: Sequence[str], prediction: str) -> float:
    """The official ``calc_em_score``: 1.0 when the punctuation-stripped prediction equals any gold answer."""
    pred = remove_punctuation(prediction)
    return 1.0 if any(remove_punctuation(a) == pred for a in answers) else 0.0


def exact_match(prediction: str | None, answers: Sequence[str]) -> float:
    """CMRC EM, with SQuAD-v2 abstention: no gold answers scores 1 iff the system abstained (``None``)."""
    if not answers:
        return 1.0 if prediction is None else 0.0
    return 0.0 if prediction is None else cmrc_em(answers, prediction)


def f1_score(prediction: str | None, answers: Sequence[str]) -> float:
    """CMRC F1, with SQuAD-v2 abstention: no gold answers scores 1 iff the system abstained (``None``)."""
    if not answers:
        return 1.0 if prediction is None else 0.0
    return 0.0 if prediction is None else cmrc_f1(answers, prediction)


def _mean(values: Sequence[float]) -> float | None:
    return sum(values) / len(values) if values else None


def answer_metrics(
    em: Sequence[float], f1: Sequence[float], answerable: Sequence[bool], abstained: Sequence[bool]
) -> dict[str, float | None]:
    """Aggregate per-question scores; a metric over an empty subset is ``None``."""
    if not len(em) == len(f1) == len(answerable) == len(abstained):
        raise ValueError("answer_metrics: em, f1, answerable and abstained must have the same length")
    idx_ans = [i for i, a in enumerate(answerable) if a]
    idx_no = [i for i, a in enumerate(answerable) if not a]
    return {
        "exact_match": _mean(em),
        "f1": _mean(f1),
        "has_answer_exact_match": _mean([em[i] for i in idx_ans]),
        "has_answer_f1": _mean([f1[i] for i in idx_ans]),
        "no_answer_accuracy": _mean([1.0 if abstained[i] else 0.0 for i in idx_no]),
        "answerable_abstain_rate": _mean([1.0 if abstained[i] else 0.0 for i in idx_ans]),
    }


# --------------------------------------------------------------------------- retrieval


def normalize_for_match(text: str) -> str:
    """Key for answer-in-passage containment: NFKC, lower-case, no whitespace, no punctuation.

    Punctuation is the CMRC list plus every Unicode ``P*`` character, so full-width/half-width and spacing
    differences between the gold answer and the indexed passage text do not hide a hit.
    """
    text = unicodedata.normalize("NFKC", str(text)).lower()
    return "".join(
        ch
        for ch in text
        if not ch.isspace() and ch not in _PUNCT_SET and not unicodedata.category(ch).startswith("P")
    )


def contains_answer(text: str, answers: Sequence[str]) -> bool:
    """True when the normalized ``text`` contains any normalized, non-empty gold answer."""
    hay = normalize_for_match(text)
    return any(needle and needle in hay for needle in (normalize_for_match(a) for a in answers))


def first_hit_rank(
    passages: Sequence[tuple[str, str]], answers: Sequence[str], doc_id: str | None = None
) -> int | None:
    """1-based rank of the first ``(doc_id, text)`` passage that holds an answer (and is in ``doc_id``)."""
    for rank, (passage_doc, text) in enumerate(passages, start=1):
        if (doc_id is None or passage_doc == doc_id) and contains_answer(text, answers):
            return rank
    return None


def recall_at(ranks: Sequence[int | None], k: int) -> float | None:
    """Fraction of questions whose first hit is within the top ``k`` (``None`` for no questions)."""
    if not ranks:
        return None
    return sum(1 for r in ranks if r is not None and r <= k) / len(ranks)


def mrr_at(ranks: Sequence[int | None], k: int) -> float | None:
    """Mean reciprocal rank of the first hit, counting hits beyond ``k`` as 0."""
    if not ranks:
        return None
    return sum(1.0 / r for r in ranks if r is not None and r <= k) / len(ranks)


def retrieval_metrics(ranks: Sequence[int | None]) -> dict[str, float | None]:
    """recall@1/5/10/20 and mrr@10 over the given (answerable-only) first-hit ranks."""
    out: dict[str, float | None] = {f"recall@{k}": recall_at(ranks, k) for k in RECALL_KS}
    out[f"mrr@{MRR_K}"] = mrr_at(ranks, MRR_K)
    return out


def recall_curve(ranks: Sequence[int | None], max_k: int = 20) -> list[float]:
    """recall@k for k = 1..max_k (empty list for no questions)."""
    if not ranks:
        return []
    return [recall_at(ranks, k) or 0.0 for k in range(1, max_k + 1)]


# --------------------------------------------------------------------------- latency / abstention


def percentile(values: Sequence[float], q: float) -> float | None:
    """The q-th percentile (0..100) with linear interpolation, as ``numpy.percentile``; None if empty."""
    if not 0 <= q <= 100:
        raise ValueError(f"percentile q must be in [0, 100], got {q}")
    if not values:
        return None
    ordered = sorted(values)
    pos = (len(ordered) - 1) * q / 100
    lo, hi = math.floor(pos), math.ceil(pos)
    return ordered[lo] + (ordered[hi] - ordered[lo]) * (pos - lo)


def latency_metrics(latencies_ms: Sequence[float]) -> dict[str, float | None]:
    """Median and 95th-percentile per-question latency in milliseconds."""
    return {"latency_ms_p50": percentile(latencies_ms, 50), "latency_ms_p95": percentile(latencies_ms, 95)}


def abstention_curve(
    confidences: Sequence[float | None], abstained: Sequence[bool], answerable: Sequence[bool]
) -> list[tuple[float, float, float]]:
    """Sweep a confidence threshold: ``(threshold, answerable abstained, unanswerable abstained)`` fractions.

    At threshold t the system abstains when it already did or its confidence is <= t. The first point
    (t = -inf) is the current operating point; the last abstains on everything it answered. Empty when
    either class is missing (the trade-off is undefined).
    """
    if not len(confidences) == len(abstained) == len(answerable):
        raise ValueError("abstention_curve: inputs must have the same length")
    n_ans = sum(1 for a in answerable if a)
    n_no = len(answerable) - n_ans
    if n_ans == 0 or n_no == 0:
        return []
    conf = [(-math.inf if c is None else float(c)) for c in confidences]
    thresholds = [-math.inf] + sorted({c for c, ab in zip(conf, abstained, strict=True) if not ab})
    points = []
    for t in thresholds:
        off = [ab or (t > -math.inf and c <= t) for c, ab in zip(conf, abstained, strict=True)]
        x = sum(1 for o, a in zip(off, answerable, strict=True) if o and a) / n_ans
        y = sum(1 for o, a in zip(off, answerable, strict=True) if o and not a) / n_no
        points.append((t, x, y))
    return points
