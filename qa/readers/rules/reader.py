"""The rule-based extractive reader: picks an exact, cited span of a retrieved passage as the answer.

The method (every weight and threshold is a field of :class:`RuleReaderConfig`):

1. The question is typed (:mod:`.answer_types`) and cut around its question word (:mod:`.question`).
2. The top passages are split into sentences, each scored for evidence (:mod:`.evidence`,
   :mod:`.alignment`).
3. In the best sentences, candidate spans (:mod:`.extract`) and the aligned gap are scored
   (:mod:`.candidates`).
4. The best candidate's confidence is ``sigmoid(scale * (evidence - bias))``; below ``abstain_threshold`` the
   answer is ``None``.
5. Quantity/time answers that disagree across documents are listed as alternatives with their dates; the
   answer is the most recent one unless the question names a time, in which case the matching one wins.

The date of a candidate is, in this order: an explicit as-of expression in its sentence ("截至2022年9月"),
the passage's document date (front matter), the latest non-target date mentioned in its sentence, the
latest non-target date mentioned in its passage, else unknown (targets like "到2025年" are skipped).
"""

from __future__ import annotations

from collections.abc import Sequence
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
from qa.readers.rules.answer_types import AnswerType
from qa.readers.rules.candidates import Candidate, CandidateScorer, unit_matches
from qa.readers.rules.config import RuleReaderConfig
from qa.readers.rules.dates import as_of_date, mentioned_dates
from qa.readers.rules.evidence import EvidenceScorer, normalized, sentence_text
from qa.readers.rules.question import Question, analyse_question
from qa.tokenize import normalize_same_length
from qa.types import Answer, Hit

if TYPE_CHECKING:
    from embeddings.base import Encoder


class RuleReader:
    """Explainable extractive reader over retrieved hits; see the module docstring for the method."""

    name = "rules"
    config_class = RuleReaderConfig

    def __init__(self, config: RuleReaderConfig = RuleReaderConfig(), encoder: Encoder | None = None) -> None:
        if not isinstance(config, RuleReaderConfig):
            raise InputError(f"RuleReader needs a RuleReaderConfig, got {type(config).__name__}")
        self.config = config
        self.encoder = encoder
        self.evidence = EvidenceScorer(config, encoder)
        self.candidates = CandidateScorer(config)

    @property
    def max_passages(self) -> int:
        """How many hits it reads."""
        return self.config.max_passages

    # ------------------------------------------------------------------ public API

    def read(self, question: str, hits: Sequence[Hit]) -> Answer:
        """Answer ``question`` from ``hits`` (best first); ``Answer.text is None`` when evidence is weak."""
        return self.read_batch([question], [hits])[0]

    def read_batch(self, questions: Sequence[str], hits_batch: Sequence[Sequence[Hit]]) -> list[Answer]:
        """Answer each question from its own hits."""
        check_batch(questions, hits_batch)
        return [self._read_one(q, h) for q, h in zip(questions, hits_batch, strict=True)]

    # ------------------------------------------------------------------ steps

    def _read_one(self, question: str, hits: Sequence[Hit]) -> Answer:
        question = check_question(question)
        hits = check_hits(tuple(hits)[: self.config.max_passages])
        q = analyse_question(question)
        atype: AnswerType = q.qtype.answer_type
        sentences = self.evidence.score_sentences(q, hits)
        if not sentences:
            return abstention(question, hits, atype)
        top = sorted(sentences, key=lambda s: (-s.evidence, s.hit_index, s.start))[
            : self.config.max_sentences
        ]
        candidates = self.candidates.candidates(q, top)
        if not candidates:
            best = top[0]
            conf = self.evidence.confidence(q, best, 0.0)
            return abstention(question, hits, atype, conf, sentence_text(best))
        return self._decide(q, candidates, hits)

    def _confidence(self, q: Question, cand: Candidate) -> float:
        type_fit = cand.type_fit
        if q.qtype.answer_type == "term":
            type_fit = min(1.0, type_fit * self.config.conf_term_type_scale)
        return self.evidence.confidence(q, cand.sentence, type_fit)

    # ------------------------------------------------------------------ dates and decision

    def _date_of(self, cand: Candidate) -> tuple[str | None, str]:
        s = cand.sentence
        text = sentence_text(s)
        as_of = as_of_date(normalize_same_length(text))
        if as_of:
            return as_of, "as-of expression in the sentence"
        if s.hit.passage.date:
            return s.hit.passage.date[:10], "document date"
        dates = mentioned_dates(normalize_same_length(text))
        if dates:
            return max(dates), "date mentioned in the sentence"
        dates = mentioned_dates(normalized(s.hit.passage.text))
        if dates:
            return max(dates), "date mentioned in the passage"
        return None, "unknown"

    def _time_fit(self, cand: Candidate, time: str) -> int:
        """1: its date or sentence matches the time the question names; 0: its date is unknown; -1: other."""
        sent_dates = mentioned_dates(normalize_same_length(sentence_text(cand.sentence)))
        if (cand.date and cand.date.startswith(time)) or any(d.startswith(time) for d in sent_dates):
            return 1
        return 0 if cand.date is None else -1

    def _decide(self, q: Question, candidates: list[Candidate], hits: Sequence[Hit]) -> Answer:
        c = self.config
        atype = q.qtype.answer_type
        candidates.sort(key=lambda x: (-x.score, x.sentence.hit_index, x.start, -x.end))
        best = candidates[0]
        alternatives: list[Candidate] = []
        if atype in c.alternative_types:
            strong: dict[str, Candidate] = {}
            docs_seen: set[str] = set()
            for cand in candidates:
                if cand.score < best.score - c.alternative_margin:
                    break
                if cand.sentence.token_overlap < c.alternative_overlap_ratio * best.sentence.token_overlap:
                    continue  # a sentence about something else
                if cand.sentence.hit.doc_id in docs_seen:
                    continue  # each document's own best answer competes
                if (
                    c.type_compat.get(atype, {}).get(cand.kind, 0.0) < 0.99
                    or self._confidence(q, cand) < c.alternative_min_score
                ):
                    continue
                if (
                    atype == "quantity"
                    and q.qtype.unit
                    and not unit_matches(q.qtype.unit, cand.kind, cand.text)
                ):
                    continue
                docs_seen.add(cand.sentence.hit.doc_id)
                key = answer_key(cand.text)
                if key not in strong:
                    date, source = self._date_of(cand)
                    strong[key] = Candidate(
                        cand.sentence, cand.start, cand.end, cand.text, cand.kind, cand.score, cand.type_fit,
                        date, source,
                    )
            docs = {x.sentence.hit.doc_id for x in strong.values()}
            if len(strong) >= 2 and len(docs) >= 2:
                best, alternatives = choose_by_time(
                    list(strong.values()), q.time, lambda x: self._time_fit(x, q.time or "")
                )
        conf = self._confidence(q, best)
        if conf < c.abstain_threshold:
            return abstention(q.text, hits, atype, round(conf, 6), sentence_text(best.sentence))
        spans = ((x.sentence.hit.passage, x.start, x.end) for x in [best, *candidates])
        citations = citations_for(best.text, spans, c.max_citations)
        alt_records = tuple(
            alternative(a.sentence.hit.passage, a.start, a.end, a.date, round(self._confidence(q, a), 4))
            for a in alternatives[: c.max_alternatives]
        )
        return Answer(
            question=q.text,
            text=best.text,
            confidence=round(conf, 6),
            supporting_sentence=sentence_text(best.sentence),
            citations=citations,
            alternatives=alt_records,
            answer_type=atype,
            hits=tuple(hits),
        )
