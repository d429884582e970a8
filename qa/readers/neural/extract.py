"""Span extraction over passages: tokenize, window, score in batches, decode to character spans."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from qa.readers.neural.edges import EdgeConfig, refine_edges
from qa.readers.neural.runtime import SpanScorer
from qa.readers.neural.typed import TYPED_ANSWERS, is_typed_span
from qa.readers.neural.windows import SpanTokenizer, Window, best_spans, make_windows, pad_batch
from qa.readers.rules.answer_types import QuestionType, classify_question
from qa.readers.rules.text import PUNCT_TRIM, trim


@dataclass(frozen=True)
class WindowConfig:
    """How passages are cut for the model; must match what it was trained at (recorded in its manifest)."""

    max_len: int = 128
    stride: int = 64
    max_question: int = 48
    max_answer_tokens: int = 40
    batch_size: int = 32
    length_penalty: float = 0.0  # span-score points per token of answer length when choosing a span
    # the question types the length penalty applies to (empty: every question); a why or what-is question
    # asks for a clause, a who/when/where/how-many question for a short fact
    length_penalty_types: tuple[str, ...] = ()
    # for date and quantity questions: the best of a passage's n-best spans that is wholly a date or a
    # quantity replaces its best span when it scores at most this many points below it (0: off)
    typed_span_margin: float = 0.0
    n_best: int = 20  # spans per window considered for that choice
    # character-level answer edges chosen inside and around the model's first and last token
    # (qa.readers.neural.edges); TOKEN_EDGES keeps the token edges
    edges: EdgeConfig = EdgeConfig()
    # one token per Han character (qa.readers.neural.windows.SpanTokenizer); as the model was trained
    han_chars: bool = False

    @classmethod
    def of_model(cls, manifest: Mapping[str, Any]) -> WindowConfig:
        """The window settings a model was trained at, from its weights' manifest (the length penalty and
        the typed-span margin from its calibration)."""
        w = manifest["window"]
        return cls(
            max_len=w["max_len"],
            stride=w["stride"],
            max_question=w["max_question"],
            max_answer_tokens=w["max_answer_tokens"],
            length_penalty=float((manifest.get("calibration") or {}).get("length_penalty", 0.0)),
            length_penalty_types=tuple((manifest.get("calibration") or {}).get("length_penalty_types", ())),
            typed_span_margin=float((manifest.get("calibration") or {}).get("typed_span_margin", 0.0)),
            han_chars=bool(w.get("han_chars", False)),
        )


@dataclass(frozen=True)
class SpanResult:
    """A passage's best span: characters [start, end), its score and the passage's no-answer score.

    `start == end == -1` when the passage gave no span at all (an empty passage).
    """

    passage: int
    start: int
    end: int
    score: float
    null_score: float


class SpanExtractor:
    """Finds the best answer span in each of a question's passages."""

    def __init__(
        self, scorer: SpanScorer, tokenizer_json: Path, config: WindowConfig = WindowConfig()
    ) -> None:
        self.scorer = scorer
        self.tokenizer = SpanTokenizer(tokenizer_json, han_chars=config.han_chars)
        self.config = config

    def extract_batch(
        self, questions: Sequence[str], passages: Sequence[Sequence[str]]
    ) -> list[list[SpanResult]]:
        """For each question, one SpanResult per passage (same order as given)."""
        cfg = self.config
        q_enc = self.tokenizer.encode_batch(list(questions))
        flat = [p for ps in passages for p in ps]
        p_enc = self.tokenizer.encode_batch(flat) if flat else []
        jobs: list[tuple[int, int, Window]] = []  # (question, passage, window)
        k = 0
        for qi, ps in enumerate(passages):
            for pi in range(len(ps)):
                enc = p_enc[k]
                k += 1
                if not enc.ids:
                    continue
                for w in make_windows(
                    q_enc[qi].ids,
                    enc.ids,
                    max_len=cfg.max_len,
                    stride=cfg.stride,
                    max_question=cfg.max_question,
                ):
                    jobs.append((qi, pi, w))
        # Batches never mix questions: int8 activations are quantized per batch, so a question's scores
        # must not depend on which other questions share its call (read_batch == read, exactly).
        by_question: dict[int, list[int]] = {}
        for j, (qi, _, _) in enumerate(jobs):
            by_question.setdefault(qi, []).append(j)
        typed = self.config.typed_span_margin > 0
        # the type asked for, for date and quantity questions (None: any span will do)
        asked = [classify_question(q) for q in questions]
        penalties = [
            cfg.length_penalty
            if not cfg.length_penalty_types or t.answer_type in cfg.length_penalty_types
            else 0.0
            for t in asked
        ]
        qtypes = [t if typed and t.answer_type in TYPED_ANSWERS else None for t in asked]
        # (question, passage) -> its windows' candidates as (score, first token, last token)
        cands: dict[tuple[int, int], list[tuple[float, int, int]]] = {}
        nulls: dict[tuple[int, int], float] = {}
        for members in by_question.values():
            members.sort(key=lambda j: len(jobs[j][2].input_ids))
            for b in range(0, len(members), cfg.batch_size):
                chunk = [jobs[j] for j in members[b : b + cfg.batch_size]]
                ids, mask = pad_batch([w for _, _, w in chunk])
                starts, ends = self.scorer(ids, mask)
                for row, (qi, pi, w) in enumerate(chunk):
                    null, found = best_spans(
                        starts[row],
                        ends[row],
                        w,
                        max_answer_tokens=cfg.max_answer_tokens,
                        top=cfg.n_best if qtypes[qi] else 1,  # n-best only where a type is checked
                        length_penalty=penalties[qi],
                    )
                    key = (qi, pi)
                    nulls[key] = max(nulls.get(key, -np.inf), null)
                    cands.setdefault(key, []).extend((c.score, c.start, c.end) for c in found)
        out: list[list[SpanResult]] = []
        k = 0
        for qi, ps in enumerate(passages):
            row = []
            for pi in range(len(ps)):
                enc = p_enc[k]
                k += 1
                found = sorted(cands.get((qi, pi), ()), key=lambda c: (-c[0], c[1], c[2]))
                if not found:
                    row.append(SpanResult(pi, -1, -1, float("-inf"), float("inf")))
                    continue
                score, ts, te = found[0]
                start, end = trim_span(ps[pi], enc.offsets[ts][0], enc.offsets[te][1])
                qtype = qtypes[qi]
                if qtype and not is_typed_span(ps[pi][start:end], qtype):
                    score, start, end = _best_typed(
                        ps[pi], enc.offsets, found, qtype, self.config.typed_span_margin
                    ) or (score, start, end)
                start, end = refine_edges(ps[pi], start, end, asked[qi], cfg.edges)
                row.append(SpanResult(pi, start, end, score, nulls[(qi, pi)]))
            out.append(row)
        return out


def _best_typed(
    text: str,
    offsets: Sequence[tuple[int, int]],
    found: Sequence[tuple[float, int, int]],
    qtype: QuestionType,
    margin: float,
) -> tuple[float, int, int] | None:
    """The best-scoring candidate (``found``: best first) that is wholly of the type asked for and scores
    within ``margin`` of the best one, as (score, start, end) in characters; None when there is none."""
    floor = found[0][0] - margin
    for score, ts, te in found[1:]:
        if score < floor:
            return None
        start, end = trim_span(text, offsets[ts][0], offsets[te][1])
        if is_typed_span(text[start:end], qtype):
            return score, start, end
    return None


def trim_span(text: str, start: int, end: int) -> tuple[int, int]:
    """A span without whitespace (tokens carry the space before a word), clause punctuation or unbalanced
    quote marks at its edges ("0.75秒。" -> "0.75秒", "“百十万千" -> "百十万千"); unchanged when nothing
    would be left."""
    s, e = trim(text, start, end, lead=PUNCT_TRIM, trail=PUNCT_TRIM)
    return (s, e) if e > s else (start, end)
