"""Candidate answers in the best sentences and their scores: the spans of each sentence (or its clauses, for
why/how questions, and the aligned gap) scored by type fit, unit and focus agreement, where they sit relative
to the question's words, less penalties for repeating the question or being long."""

from __future__ import annotations

import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from qa.readers.rules.config import RuleReaderConfig
from qa.readers.rules.evidence import Sentence
from qa.readers.rules.extract import candidate_spans
from qa.readers.rules.question import Question
from qa.readers.rules.span import Span
from qa.readers.rules.text import CJK_OR_WORD, LEAD_TRIM, trim
from qa.sentences import split_clauses

_TITLE_NOUNS = (
    "文件", "规划", "意见", "政策", "报告", "通知", "法规", "条例", "办法", "书", "著作", "作品", "文章",
    "报纸", "杂志", "期刊", "电影", "影片", "剧", "歌", "歌曲", "专辑", "小说", "诗", "法", "计划", "方案",
    "纲要", "决定",
)  # fmt: skip
_PHRASE_KINDS = frozenset({"noun", "entity", "organization", "place", "person", "gap", "quote", "title"})
_ENTITY_TYPES = frozenset({"person", "organization", "place", "term"})
_ALIAS_GLUE = re.compile(r"^[》”’」』\s]*[（(](?:以下)?(?:简称|又称|下称|统称)[“‘「]?$")  # "X（以下简称“Y”）"
_GLUE = "的之了地得“”‘’「」『』《》\"' "
_ARTICLE_NUMBER = re.compile(r"^[一两][^\d.万亿千百十]{1,2}$")
_LIST_SEP = re.compile(r"、|和|与|及")
_CONNECTIVES_LIST = (
    "是因为", "是由于", "主要是因为", "主要是", "这是因为", "因为", "由于", "因此", "所以", "而且", "并且",
    "但是", "但", "而是", "此外", "同时", "另外", "其中", "首先", "其次", "再次", "最后", "总之", "于是",
    "然而", "不过", "而",
)  # fmt: skip
_CAUSE_MARKERS = (
    "因为", "由于", "是因为", "是由于", "原因是", "原因在于", "为了", "通过", "依靠", "凭借", "借助",
)  # fmt: skip
_EFFECT_MARKERS = ("所以", "因此", "因而", "于是", "从而", "才", "故", "以致", "进而")
_EXPLAIN_MARKERS = ("是因为", "因为", "由于", "在于", "就是", "原因是", "这是因为", "主要是")
_REPORTING = re.compile(
    r"(?:说|表示|指出|认为|介绍|称|透露|强调|坦言|回忆|告诉[^，,。]{0,8})\s*[:：,，]?\s*[“\"]?$"
)
_REASON_LEAD = re.compile(
    "(?:[^，,。；;]{0,8}原因(?:之一)?(?:是|在于)?[，,：:]?\\s*(?:是|在于)?|"
    + "|".join(sorted((re.escape(x) for x in _CONNECTIVES_LIST), key=len, reverse=True))
    + ")"
)


@dataclass(frozen=True)
class Candidate:
    """A scored candidate answer: ``sentence.hit.passage.text[start:end] == text``."""

    sentence: Sentence
    start: int  # offsets in the passage text
    end: int
    text: str
    kind: str
    score: float
    type_fit: float = 0.0  # how well the span's kind (and unit) fits the expected answer type, 0..1
    date: str | None = None
    date_source: str = ""


def unit_matches(unit: str, kind: str, text: str, span_unit: str | None = None) -> bool:
    """True when a quantity carries the unit the question asks for ("多少家" and "8997家"; % and "四成")."""
    if kind != "quantity":
        return False
    if unit == "%":
        return (
            text.endswith(("%", "％", "成", "百分点", "‰"))
            or "百分之" in text
            or span_unit in ("%", "成")
        )
    return unit in text


class CandidateScorer:
    """Finds and scores the candidate answers in the best sentences of the read passages."""

    def __init__(self, config: RuleReaderConfig) -> None:
        self.config = config

    def candidates(self, q: Question, top: Sequence[Sentence]) -> list[Candidate]:
        """Every scored candidate span of the sentences ``top`` (best sentence first)."""
        c = self.config
        atype = q.qtype.answer_type
        compat = c.type_compat.get(atype, {})
        out: list[Candidate] = []
        qnorm = q.norm if q.qtype.lang == "zh" else " ".join(t for t, _, _ in q.terms)
        for rank, s in enumerate(top):
            spans: list[Span] = []
            extra: dict[tuple[int, int], float] = {}
            if atype == "reason":
                extra = self._reason_bonuses(s)
                for cs, ce in split_clauses(s.norm):
                    spans.append(Span(cs, ce, s.norm[cs:ce], "clause"))
            else:
                spans = candidate_spans(
                    s.norm,
                    entities=atype not in ("quantity", "date") and rank < c.max_entity_sentences,
                    hmm=c.pos_hmm,
                )
            if s.gap is not None and compat.get("gap", 0.0) >= c.min_gap_compat:
                gs, ge = s.gap
                limit = c.max_reason_chars if atype == "reason" else c.max_answer_chars
                if c.min_gap_chars <= ge - gs <= limit:
                    spans.append(Span(gs, ge, s.norm[gs:ge], "gap"))
            for span in spans:
                cand = self._score_span(q, s, span, compat, qnorm, extra.get((span.start, span.end), 0.0))
                if cand is not None:
                    out.append(cand)
        return out

    def _reason_bonuses(self, s: Sentence) -> dict[tuple[int, int], float]:
        """Why/how answers: clauses next to the clause that matches the question, by causal connectives.

        "由于X，Y" and "X，所以Y" answer "为什么Y" with X; "Y，是因为X" with X; otherwise the
        neighbours of the matching clause are preferred over clauses further away.
        """
        c = self.config
        clauses = split_clauses(s.norm)
        if not clauses:
            return {}
        weight = [sum(w for ms, _, w, _ in s.matches if cs <= ms < ce) for cs, ce in clauses]
        anchor = max(range(len(clauses)), key=lambda i: (weight[i], -i))
        out: dict[tuple[int, int], float] = {}
        anchor_text = s.norm[clauses[anchor][0] : clauses[anchor][1]]
        for i, (cs, ce) in enumerate(clauses):
            text = s.norm[cs:ce]
            bonus = 0.0
            if abs(i - anchor) == 1:
                bonus += c.w_reason_adjacent
            if _REPORTING.search(text):
                out[(cs, ce)] = -c.w_reason_marker  # "某某告诉记者：" introduces an answer, it is none
                continue
            if (
                text.startswith(_CAUSE_MARKERS)
                and i != anchor
                or i == anchor - 1
                and anchor_text.startswith(_EFFECT_MARKERS)
                or i == anchor + 1
                and text.startswith(_EXPLAIN_MARKERS)
            ):
                bonus += c.w_reason_marker
            out[(cs, ce)] = bonus
        return out

    def _score_span(
        self,
        q: Question,
        s: Sentence,
        span: Span,
        compat: Mapping[str, float],
        qnorm: str,
        extra: float = 0.0,
    ) -> Candidate | None:
        c = self.config
        atype = q.qtype.answer_type
        st, en = span.start, span.end
        if span.kind in ("clause", "gap") or atype == "reason":
            lead = LEAD_TRIM
            if atype == "reason":
                m = _REASON_LEAD.match(s.norm, st, en)
                if m and en - m.end() > 2:
                    st = m.end()
            st, en = trim(s.norm, st, en, lead=lead)
        if en <= st:
            return None
        text_norm = s.norm[st:en]
        limit = c.max_reason_chars if atype == "reason" else c.max_answer_chars
        if en - st > limit or not CJK_OR_WORD.search(text_norm):
            return None
        if en - st < c.min_answer_chars and not (
            span.kind in ("quantity", "date", "ordinal") and text_norm[0].isdigit()
        ):
            return None
        if text_norm in qnorm and span.kind != "clause":
            return None  # the question itself names it
        type_fit = compat.get(span.kind, 0.0)
        if span.kind == "quantity" and _ARTICLE_NUMBER.match(text_norm):
            type_fit *= c.article_number_factor  # "一个", "一家": an article, rarely the asked number
        if span.kind in ("place", "person", "organization", "entity") and _LIST_SEP.search(text_norm):
            score_list = c.w_plural if q.plural else -c.w_plural_mismatch
        else:
            score_list = 0.0
        if span.kind == "quantity" and span.unit is None and atype == "quantity":
            type_fit *= 0.6
        if span.kind == "ordinal" and atype == "quantity" and q.qtype.cue and "第" in q.qtype.cue:
            type_fit = 1.0
        score = s.evidence + c.w_type * type_fit + score_list
        # unit agreement for quantities
        unit = q.qtype.unit
        if atype == "quantity" and span.kind == "quantity" and unit:
            if unit_matches(unit, span.kind, text_norm, span.unit):
                score += c.w_unit
            else:
                score -= c.w_unit_mismatch
                type_fit *= 0.5
        if atype == "quantity" and q.qtype.cue and len(q.qtype.cue) == 2 and q.qtype.cue[0] == "多":
            dim = q.qtype.cue[1]
            if dim != "少" and dim in s.norm[max(0, st - 4) : st]:
                score += c.w_cue_echo
        focus = q.qtype.focus
        if focus and atype in ("organization", "place", "person", "term") and text_norm != focus:
            if text_norm.endswith(focus) or (len(focus) >= 2 and text_norm.endswith(focus[-1])):
                score += c.w_focus
            elif span.kind == "title" and focus.endswith(_TITLE_NOUNS):
                score += c.w_focus  # "哪份文件" and a 《…》 title
        # where the span sits relative to the question's words; counts in proportion to the type fit, since a
        # span of the wrong kind is no answer wherever it sits
        position = 0.0
        # proximity and order agreement
        if s.matches:
            prox_num = prox_den = order_num = order_den = 0.0
            for ms, me, w, side in s.matches:
                if ms < en and me > st:
                    continue  # the match overlaps the span itself
                d = (st - me) if me <= st else (ms - en)
                prox_num += w * math.exp(-max(0, d) / c.proximity_chars)
                prox_den += w
                if side:
                    order_den += w
                    if (me <= st and side < 0) or (ms >= en and side > 0):
                        order_num += w
            if prox_den:
                position += c.w_proximity * prox_num / prox_den * min(1.0, s.token_overlap * 2)
            if order_den:
                position += c.w_order * (order_num / order_den - 0.5) * 2
        # sandwiched between question words ("专注[弹簧]生产", "独创的‘[三泡法]’生产工艺")
        if s.matches and atype != "reason":
            before = any(me <= st and not s.norm[me:st].strip(_GLUE) for _, me, _, _ in s.matches)
            after = any(
                ms >= en and (not s.norm[en:ms].strip(_GLUE) or _ALIAS_GLUE.match(s.norm[en:ms]))
                for ms, _, _, _ in s.matches
            )
            position += c.w_adjacent * (before + after)
            # question words in the span's own clause ("超70%深耕行业10年以上，超80%居…": 超70%)
            cs, ce = next(((a, b) for a, b in split_clauses(s.norm) if a <= st < b), (0, len(s.norm)))
            inside = sum(w for ms, me, w, _ in s.matches if cs <= ms < ce and not (ms < en and me > st))
            position += c.w_clause_overlap * inside / s.total_weight
        # aligned gap
        if s.gap is not None:
            gs, ge = s.gap
            if gs <= st and en <= ge:
                coverage = (en - st) / max(1, ge - gs)
                w_gap = {"term": c.w_gap, "reason": c.w_gap_reason}.get(atype, c.w_gap_typed)
                position += w_gap * ((0.5 + 0.5 * coverage) if span.kind != "gap" else 0.6)
                if st == gs and en == ge and atype == "term":
                    position += c.w_gap_exact
                if st == gs and en == ge and span.kind in _PHRASE_KINDS and atype in _ENTITY_TYPES:
                    type_fit = max(
                        type_fit, c.gap_type_fit
                    )  # exactly what the question's wording leaves open
        score += position * max(type_fit, c.min_position_factor) if atype != "reason" else position
        # repeating the question
        content = "".join(ch for ch in text_norm if CJK_OR_WORD.match(ch))
        if content:
            if len(content) == 1:
                share = 1.0 if content in q.chars else 0.0
            else:
                grams = [content[i : i + 2] for i in range(len(content) - 1)]
                share = sum(1 for g in grams if g in q.bigrams) / len(grams)
            if atype == "reason":
                score += c.w_clause_novelty * (1.0 - share) + extra
            else:
                score -= c.w_in_question * max(0.0, share - c.in_question_free) / (1.0 - c.in_question_free)
        length = en - st
        if atype != "reason" and length > c.length_chars and span.kind not in ("quote", "title"):
            score -= c.w_length * (length - c.length_chars) / c.length_chars
        ps, pe = s.start + st, s.start + en
        return Candidate(s, ps, pe, s.hit.passage.text[ps:pe], span.kind, score, type_fit)
