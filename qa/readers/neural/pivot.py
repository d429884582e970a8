"""Pivot questions: an answer's own clause turned into a question in the corpus's language.

A question asked in English over Chinese text is read less well than a Chinese one, and most poorly over
passages that state *other* figures of the same kind: asked "how many "little giant" enterprises …?", the
model gives 112家 from a passage on 112家“链主”企业 as readily as the right figure. Once the answer is
found, the clause it came from says in Chinese what was asked
("我国已培育了四批共计8997家专精特新“小巨人”企业"): with the answer replaced by the interrogative of its
type, that clause asks other sources the same question ("…共计多少家专精特新“小巨人”企业？"), for their
passages to be retrieved and read (pivoting across languages through the answer's sentence).
"""

from __future__ import annotations

import re

from qa.readers.neural.typed import answer_unit
from qa.readers.rules.dates import find_dates
from qa.tokenize import normalize_same_length

_CLAUSE_END = "，,。；;！!？?：:\n"
MIN_CONTEXT = 8  # characters of the clause besides the answer; fewer: the clause before joins it (else after)
_FRAME = "“”‘’\"'「」（）() 　"
_DATE_LEADS = ("截至", "截止到", "截止", "到", "于", "在")
_CJK = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")
_LATIN = re.compile(r"[A-Za-z]")


def pivot_question(text: str, start: int, end: int, answer_type: str) -> str | None:
    """The question the clause of ``text`` holding the answer ``text[start:end]`` answers: the clause with
    the answer replaced by 多少 and its measure word (a quantity: "8997家" -> "多少家") or by 什么时候 (a
    date), and a date that opens a quantity's clause left out, since other sources state the same figure
    at other times. None for other answer types, when the clause says nothing besides the answer, or when
    it is not Chinese (a question over text in its own language needs no pivot)."""
    if answer_type not in ("quantity", "date") or not 0 <= start < end <= len(text):
        return None
    s, e = answer_clause(text, start, end, answer_type)
    unit = answer_unit(text[start:end])
    ask = "什么时候" if answer_type == "date" else "多少" + (unit if unit and unit not in "%％" else "")
    before, after = text[s:start], text[end:e]
    if answer_type == "quantity":
        before = _without_leading_date(before)
    if not _chinese(before + after):
        return None
    question = (before.rstrip(_CLAUSE_END) + ask + after.lstrip(_CLAUSE_END)).strip(_CLAUSE_END + " 　")
    return question + "？" if len(question) > len(ask) else None


def answer_clause(text: str, start: int, end: int, answer_type: str) -> tuple[int, int]:
    """The character range of the clause of ``text`` holding the answer ``text[start:end]``, joined by the
    clause before it (else the one after it) when it says fewer than MIN_CONTEXT characters besides the
    answer."""
    s = _clause_start(text, start)
    e = _clause_end(text, end)
    if _context(text[s:start] + text[end:e], answer_type) < MIN_CONTEXT:
        if s > 0:
            s = _clause_start(text, s - 1)  # the clause before it too
        elif e < len(text):
            e = _clause_end(text, e + 1)  # else the clause after it
    return s, e


def _chinese(text: str) -> bool:
    """Whether most of ``text``'s word characters are Chinese ideographs (a clause, not an English one)."""
    cjk = len(_CJK.findall(text))
    return cjk > 0 and cjk >= len(_LATIN.findall(text))


def _clause_start(text: str, i: int) -> int:
    while i > 0 and text[i - 1] not in _CLAUSE_END:
        i -= 1
    return i


def _clause_end(text: str, i: int) -> int:
    while i < len(text) and text[i] not in _CLAUSE_END:
        i += 1
    return i


def _context(rest: str, answer_type: str) -> int:
    """Characters of the clause besides the answer that a question keeps (not punctuation, not a date
    that a quantity's question leaves out)."""
    if answer_type == "quantity":
        rest = _without_leading_date(rest)
    return sum(1 for ch in rest if ch not in _CLAUSE_END + _FRAME)


def _without_leading_date(text: str) -> str:
    """``text`` without the date it opens with, and that date's lead ("截至2022年9月，我国…" -> "我国…"):
    other sources state the same figure at other times."""
    lead = next((w for w in _DATE_LEADS if text.startswith(w)), "")
    norm = normalize_same_length(text)
    first = min(find_dates(norm[len(lead) :]), key=lambda d: d.start, default=None)
    if first is None or first.start != 0:
        return text
    end = len(lead) + first.end
    while end < len(text) and text[end] in "底末初":
        end += 1
    return text[end:].lstrip(_CLAUSE_END + " 　")
