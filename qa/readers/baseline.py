"""The clause baseline for evaluation: the whole best-matching clause of the best sentence is the answer.

The best sentence is chosen exactly as the rule reader scores sentences (it holds the rule reader's
:class:`~qa.readers.rules.evidence.EvidenceScorer`); within it, the clause sharing the most characters with
the question wins. It never abstains when there is a sentence to read. `qa eval --reader baseline` reports it
beside the real reader.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from qa.errors import InputError
from qa.readers.answers import abstention, check_batch, check_hits, check_question, cite
from qa.readers.rules.config import RuleReaderConfig
from qa.readers.rules.evidence import EvidenceScorer, sentence_text
from qa.readers.rules.question import analyse_question
from qa.readers.rules.text import trim
from qa.sentences import split_clauses
from qa.types import Answer, Hit

if TYPE_CHECKING:
    from embeddings.base import Encoder


class ClauseBaselineReader:
    """Baseline: the best-matching clause of the sentence the rule reader's evidence scores highest."""

    name = "baseline"
    config_class = RuleReaderConfig

    def __init__(self, config: RuleReaderConfig = RuleReaderConfig(), encoder: Encoder | None = None) -> None:
        if not isinstance(config, RuleReaderConfig):
            raise InputError(f"ClauseBaselineReader needs a RuleReaderConfig, got {type(config).__name__}")
        self.config = config
        self.evidence = EvidenceScorer(config, encoder)

    @property
    def max_passages(self) -> int:
        """How many hits it reads."""
        return self.config.max_passages

    def read(self, question: str, hits: Sequence[Hit]) -> Answer:
        """The best clause of ``hits`` (best first) for ``question``; None only when there is no sentence."""
        return self.read_batch([question], [hits])[0]

    def read_batch(self, questions: Sequence[str], hits_batch: Sequence[Sequence[Hit]]) -> list[Answer]:
        """Answer each question from its own hits."""
        check_batch(questions, hits_batch)
        return [self._read_one(q, h) for q, h in zip(questions, hits_batch, strict=True)]

    def _read_one(self, question: str, hits: Sequence[Hit]) -> Answer:
        question = check_question(question)
        hits = check_hits(tuple(hits)[: self.config.max_passages])
        q = analyse_question(question)
        sentences = self.evidence.score_sentences(q, hits)
        if not sentences:
            return abstention(question, hits, q.qtype.answer_type)
        best = min(sentences, key=lambda s: (-s.evidence, s.hit_index, s.start))
        clauses = split_clauses(best.norm) or [(0, len(best.norm))]
        cs, ce = max(clauses, key=lambda c: (len(q.chars & set(best.norm[c[0] : c[1]])), -c[0]))
        passage = best.hit.passage
        start, end = trim(passage.text, best.start + cs, best.start + ce)
        if end <= start:
            start, end = trim(passage.text, best.start, best.end)
        return Answer(
            question,
            passage.text[start:end],
            self.evidence.confidence(q, best, 0.0),
            sentence_text(best),
            citations=(cite(passage, start, end),),
            answer_type=q.qtype.answer_type,
            hits=hits,
        )
