"""Every weight and threshold of the rule reader, with the defaults tuned on the gold set."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Literal

from qa.errors import InputError
from qa.readers.base import SharedReaderConfig

DenseSentences = Literal["off", "english", "on"]

# How well each span kind fits each expected answer type (1 = the kind the type asks for).
DEFAULT_TYPE_COMPAT: Mapping[str, Mapping[str, float]] = MappingProxyType(
    {
        "quantity": {"quantity": 1.0, "ordinal": 0.5, "date": 0.0, "gap": 0.2},
        "date": {"date": 1.0, "quantity": 0.2, "gap": 0.2},
        "person": {"person": 1.0, "noun": 0.2, "entity": 0.45, "gap": 0.2, "organization": 0.2, "quote": 0.3},
        "organization": {
            "organization": 1.0, "entity": 0.6, "noun": 0.35, "gap": 0.2, "place": 0.3, "quote": 0.5,
            "title": 0.3, "person": 0.3,
        },
        "place": {"place": 1.0, "organization": 0.35, "entity": 0.45, "noun": 0.15, "gap": 0.2},
        "term": {
            "quote": 1.0, "title": 1.0, "gap": 0.8, "entity": 0.75, "noun": 0.7, "organization": 0.7,
            "person": 0.6, "place": 0.6, "quantity": 0.3, "date": 0.3, "ordinal": 0.4,
        },
        "reason": {"clause": 1.0, "gap": 0.9},
    }
)  # fmt: skip


@dataclass(frozen=True)
class RuleReaderConfig(SharedReaderConfig):
    """The shared reader settings plus every weight and threshold of :class:`RuleReader`."""

    max_sentences: int = 8  # best sentences whose spans become candidates
    max_entity_sentences: int = 4  # best sentences POS-tagged for names and noun phrases (the slow step)
    pos_hmm: bool = True  # jieba's HMM for unknown words: finds new names whole, ~8x slower tagging
    max_answer_chars: int = 40  # longest span answer (reason answers: max_reason_chars)
    max_reason_chars: int = 120
    min_answer_chars: int = 2  # shorter spans only when they are numbers ("8", "5%")
    # sentence evidence
    w_token_overlap: float = 2.0  # weighted share of question tokens found in the sentence
    w_char_overlap: float = 1.0  # share of the question's content characters found in the sentence
    w_passage_overlap: float = 0.8  # share of question tokens found in the passage (or its title)
    w_near: float = 1.0  # share of the words next to the question word ("[前身]是什么") found
    w_alignment: float = 2.0  # question text around the question word found in the sentence (saturating)
    alignment_chars: float = 6.0  # anchored characters (less 0.35 per character from the cue) for full credit
    w_rank: float = 0.5  # times 1/rank of the hit among those read
    w_retrieval: float = 0.3  # times hit.score / best hit score
    w_dense: float = 0.5  # times the passage's dense cosine (when the retriever gave one)
    dense_sentences: DenseSentences = "off"  # sentence-level dense similarity: never, English, always
    w_dense_sentence: float = 2.0  # times the min-max normalised sentence cosine
    # candidate features
    type_compat: Mapping[str, Mapping[str, float]] = field(default_factory=lambda: DEFAULT_TYPE_COMPAT)
    w_type: float = 2.0  # times the type fit (type_compat of the span's kind)
    article_number_factor: float = 0.3  # type fit of "一个/一家/两项" quantities
    w_plural: float = 0.8  # "哪些/哪两个" question and a list span ("北京和郑州")
    w_plural_mismatch: float = 0.3  # penalty: a list span for a question about one thing
    w_unit: float = 0.8  # quantity carries the unit the question asks for ("多少家" → "…家")
    w_unit_mismatch: float = 0.6  # penalty: a quantity with another unit
    w_focus: float = 0.5  # span ends with the noun the question names ("哪个城市" → "…市")
    w_cue_echo: float = 0.6  # "多长" question and "长" right before the quantity ("全长13.23米")
    # position features (they count times max(type fit, min_position_factor))
    min_position_factor: float = 0.2
    w_proximity: float = 1.0  # closeness (in characters) to the matched question words
    proximity_chars: float = 8.0  # decay length of the proximity feature
    w_order: float = 0.4  # matched words before/after the span as before/after the question word
    w_clause_overlap: float = 1.0  # weighted share of the question's words in the span's own clause
    w_adjacent: float = 0.5  # per side: a matched question word right next to the span (的, quotes between)
    w_gap: float = 1.0  # span lies inside the aligned gap (term questions)
    w_gap_reason: float = 0.6  # the same for why/how answers (the text after the question's words)
    w_gap_typed: float = 0.5  # the same for typed questions (who/where/which company/how many/when)
    w_gap_exact: float = 0.5  # span is the whole aligned gap (term questions)
    gap_type_fit: float = 0.7  # type fit at least this for a noun phrase that is exactly the gap
    min_gap_compat: float = 0.3  # the gap itself is a candidate only for types accepting it this much
    min_gap_chars: int = 2
    # penalties
    w_in_question: float = 2.0  # times the share of the span's character bigrams found in the question
    in_question_free: float = 0.2  # ... beyond this share ("浙江众大塑料有限公司" may repeat "浙江")
    w_length: float = 0.4  # penalty per `length_chars` beyond `length_chars` (not for quoted terms)
    length_chars: int = 12
    # why/how answers
    w_clause_novelty: float = 0.5  # share of the clause not repeating the question
    w_reason_marker: float = 0.8  # a causal connective links the clause to the question's clause
    w_reason_adjacent: float = 0.4  # clause right before/after the question's clause
    # confidence = sigmoid(scale * (evidence - bias)); evidence = weighted sum of these answer features
    conf_w_overlap: float = 1.0  # weighted share of the question's words in the answer's sentence
    conf_w_type: float = 1.0  # type fit of the answer (1 = the kind of span the question asks for)
    # what-questions accept most noun phrases: their compat values rank kinds, they are no evidence against
    conf_term_type_scale: float = 1.25
    conf_w_align: float = 0.25  # the question's wording around its question word found in the sentence
    conf_w_near: float = 0.25  # the words next to the question word ("哪一年[成立]") found there
    conf_english_offset: float = 0.2  # English questions reach Chinese text only via names and a glossary
    confidence_scale: float = 4.0
    confidence_bias: float = 1.65
    # alternatives across documents (time-aware; which types and how many: SharedReaderConfig)
    alternative_margin: float = 2.0  # candidates within this score of the best compete on date
    alternative_overlap_ratio: float = 0.5  # ... if their sentence matches the question this well, relative
    alternative_min_score: float = 0.2  # ... and have at least this confidence

    def __post_init__(self) -> None:
        super().__post_init__()
        if self.max_sentences < 1:
            raise InputError(f"RuleReaderConfig: max_sentences must be >= 1, got {self.max_sentences}")
        if self.dense_sentences not in ("off", "english", "on"):
            raise InputError("RuleReaderConfig: dense_sentences must be 'off', 'english' or 'on'")
        compat = MappingProxyType({k: MappingProxyType(dict(v)) for k, v in self.type_compat.items()})
        object.__setattr__(self, "type_compat", compat)

    def __hash__(self) -> int:
        """Hashable like the other frozen configs (the compat table is hashed by its items)."""
        items = tuple(
            (f, tuple(sorted((k, tuple(sorted(v.items()))) for k, v in self.type_compat.items())))
            if f == "type_compat"
            else (f, getattr(self, f))
            for f in self.__dataclass_fields__
        )
        return hash(items)
