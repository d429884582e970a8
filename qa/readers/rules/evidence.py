"""Sentence evidence for the rule reader: the read passages cut into sentences, each scored by how well it
matches the question (token, character and passage overlap, alignment, retrieval rank and score, dense
similarity), and the confidence of an answer found in a sentence."""

from __future__ import annotations

import functools
import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from qa.readers.rules.alignment import align_question
from qa.readers.rules.config import RuleReaderConfig
from qa.readers.rules.question import Question
from qa.readers.rules.text import CJK_OR_WORD, find_all
from qa.sentences import split_clauses, split_sentences
from qa.tokenize import normalize_same_length
from qa.types import Hit

if TYPE_CHECKING:
    from embeddings.base import Encoder


@functools.lru_cache(maxsize=8192)
def sentences_of(text: str) -> tuple[tuple[int, int], ...]:
    """Sentence spans of a passage text, each cut to at most ~200 characters at clause ends."""
    out: list[tuple[int, int]] = []
    for s, e in split_sentences(text):
        if e - s <= 200:
            out.append((s, e))
            continue
        piece_start = s
        for _cs, ce in split_clauses(text, s, e):
            if ce - piece_start >= 120:
                out.append((piece_start, ce))
                piece_start = ce
        if piece_start < e:
            out.append((piece_start, e))
    return tuple(out)


@functools.lru_cache(maxsize=4096)
def normalized(text: str) -> str:
    """``normalize_same_length`` of a passage text, cached (passages are read again and again)."""
    return normalize_same_length(text)


def _sigmoid(x: float) -> float:
    if x >= 0:
        return 1.0 / (1.0 + math.exp(-x))
    z = math.exp(x)
    return z / (1.0 + z)


@dataclass
class Sentence:
    """One sentence of a read passage, with its evidence features (filled in by :class:`EvidenceScorer`)."""

    hit: Hit
    hit_index: int  # 0-based position among the hits read
    start: int  # offsets in the passage text
    end: int
    norm: str  # normalized sentence text (same length)
    evidence: float = 0.0
    token_overlap: float = 0.0
    char_overlap: float = 0.0
    total_weight: float = 1.0  # summed weights of all question words (the overlap denominator)
    near_overlap: float = 0.0  # weighted share of the question words next to the question word found here
    align: float = 0.0
    # matched question words: (start, end, weight, side), sentence-relative
    matches: list[tuple[int, int, float, int]] = field(default_factory=list)
    dense: float | None = None  # cosine of the sentence and the question, when dense sentence scoring ran
    gap: tuple[int, int] | None = None  # aligned gap, sentence-relative
    gap_support: float = 0.0


def sentence_text(s: Sentence) -> str:
    """The sentence as it stands in its passage (not normalized)."""
    return s.hit.passage.text[s.start : s.end]


class EvidenceScorer:
    """Scores the sentences of the read hits against a question; gives the confidence of an answer."""

    def __init__(self, config: RuleReaderConfig, encoder: Encoder | None = None) -> None:
        self.config = config
        self.encoder = encoder

    def confidence(self, q: Question, sentence: Sentence, type_fit: float) -> float:
        """sigmoid(scale * (evidence - bias)); evidence = question words found in the sentence + type fit."""
        c = self.config
        z = (
            c.conf_w_overlap * sentence.token_overlap
            + c.conf_w_type * type_fit
            + c.conf_w_align * sentence.align
            + c.conf_w_near * sentence.near_overlap
        )
        if q.qtype.lang == "en":
            z += c.conf_english_offset
        return _sigmoid(c.confidence_scale * (z - c.confidence_bias))

    def score_sentences(self, q: Question, hits: Sequence[Hit]) -> list[Sentence]:
        """Every sentence of the hits that holds a content character, scored (hit order, then text order)."""
        c = self.config
        sentences: list[Sentence] = []
        for i, hit in enumerate(hits):
            text = hit.passage.text
            norm = normalized(text)
            for s, e in sentences_of(text):
                if CJK_OR_WORD.search(norm[s:e]):
                    sentences.append(Sentence(hit, i, s, e, norm[s:e]))
        if not sentences:
            return []
        n = len(sentences)
        df = {t: sum(1 for s in sentences if t in s.norm) for t, _, _ in q.terms}
        weights = {t: w * math.log(1.0 + (n + 1) / (1.0 + df[t])) for t, w, _ in q.terms}
        total_w = sum(weights.values()) or 1.0
        top_score = max((h.score for h in hits), default=0.0)
        passage_overlap: dict[int, float] = {}
        for i, hit in enumerate(hits):
            ptext = normalized(hit.passage.text) + " " + normalized(hit.passage.title)
            passage_overlap[i] = sum(w for t, w in weights.items() if t in ptext) / total_w
        dense = self._dense_sentence_scores(q, sentences)

        for k, s in enumerate(sentences):
            found = 0.0
            for t, _, side in q.terms:
                if t in s.norm:
                    found += weights[t]
                    for p in find_all(s.norm, t):
                        s.matches.append((p, p + len(t), weights[t], side))
            s.token_overlap = found / total_w
            s.total_weight = total_w
            near_w = sum(weights[t] for t in q.near)
            s.near_overlap = (
                sum(weights[t] for t in q.near if t in s.norm) / near_w if near_w else s.token_overlap
            )
            char_overlap = len(q.chars & set(s.norm)) / len(q.chars) if q.chars else 0.0
            s.char_overlap = char_overlap
            align = 0.0
            if q.qtype.lang == "zh":
                aligned = align_question(q, s.norm)
                if aligned is not None:
                    s.gap, s.gap_support = aligned
                align = (max(0.0, aligned[1]) if aligned is not None else 0.0) / c.alignment_chars
            s.align = min(1.0, align)
            hit = s.hit
            retrieval = hit.score / top_score if top_score > 0 else 0.0
            s.evidence = (
                c.w_token_overlap * s.token_overlap
                + c.w_char_overlap * char_overlap
                + c.w_passage_overlap * passage_overlap[s.hit_index]
                + c.w_alignment * min(1.0, align)
                + c.w_near * s.near_overlap
                + c.w_rank / (s.hit_index + 1)
                + c.w_retrieval * retrieval
                + c.w_dense * (hit.dense_score or 0.0)
                + (c.w_dense_sentence * dense[k] if dense is not None else 0.0)
            )
        return sentences

    def _dense_sentence_scores(self, q: Question, sentences: Sequence[Sentence]) -> list[float] | None:
        mode = self.config.dense_sentences
        if self.encoder is None or mode == "off" or (mode == "english" and q.qtype.lang != "en"):
            return None
        qv = self.encoder.encode_queries([q.text])
        sv = self.encoder.encode_passages([sentence_text(s) for s in sentences])
        sims = [float(x) for x in (sv @ qv[0])]
        lo, hi = min(sims), max(sims)
        for sent, sim in zip(sentences, sims, strict=True):
            sent.dense = sim
        # min-max within the question: embedding cosines sit in a narrow band, their order is what counts
        return [(x - lo) / (hi - lo) if hi > lo else 1.0 for x in sims]
