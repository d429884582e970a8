"""Date and time expressions in Chinese text, the ISO date they name, and which of them a statement holds at
("截至2022年9月…") rather than aims for ("到2025年…")."""

from __future__ import annotations

import re
from collections.abc import Mapping
from types import MappingProxyType

from qa.readers.rules.numbers import RANGE_SEP
from qa.readers.rules.span import Span

_YEAR = r"(?:1[0-9]{3}|20[0-9]{2}|[一二三四五六七八九〇零]{4})"
_MONTH = r"(?:1[0-2]|0?[1-9]|十[一二]?|[一二三四五六七八九])"
_DAY = r"(?:3[01]|[12][0-9]|0?[1-9]|[二三]?十[一二三四五六七八九]?|[一二三四五六七八九])"
_TIME_OF_DAY = (
    r"(?:(?:上午|下午|晚上|早上|凌晨|中午|傍晚|晚|早)?\d{1,2}(?:点|时)(?:\d{1,2}分|半)?"
    r"|上午|下午|晚上|凌晨|晚)"
)
_DATE = re.compile(
    rf"(?:(?P<year>{_YEAR})\s*年(?:\s*(?P<month>{_MONTH})\s*月(?:\s*(?P<day>{_DAY})\s*[日号])?)?"
    rf"|(?P<month2>{_MONTH})\s*月\s*(?P<day2>{_DAY})\s*[日号]"
    rf"|(?P<iso>(?:19|20)\d{{2}}-[01]\d-[0-3]\d))"
    rf"(?:{_TIME_OF_DAY})?"
    rf"(?:(?:初|底|末|上半年|下半年|年初|年底|年末|中旬|上旬|下旬))?"
)
_DATE_RANGE = re.compile(rf"(?P<a>{_YEAR})\s*年\s*{RANGE_SEP}\s*(?P<b>{_YEAR})\s*年")
_MONTH_ONLY = re.compile(rf"(?<![\d年]){_MONTH}月(?:份)?(?:\d{{1,2}}[日号])?")
_CN_DIGIT_VALUE = {ch: i for i, ch in enumerate("〇一二三四五六七八九")} | {"零": 0, "两": 2}


def _cn_int(text: str) -> int | None:
    """Value of a small Chinese or Arabic numeral ("十二" → 12, "二〇二二" → 2022, "09" → 9)."""
    text = text.strip()
    if text.isdigit():
        return int(text)
    if text and all(ch in _CN_DIGIT_VALUE for ch in text):
        return int("".join(str(_CN_DIGIT_VALUE[ch]) for ch in text))
    if "十" in text:
        head, _, tail = text.partition("十")
        tens = _CN_DIGIT_VALUE.get(head, 1) if head else 1
        ones = _CN_DIGIT_VALUE.get(tail, 0) if tail else 0
        return tens * 10 + ones
    return None


def find_dates(text: str) -> list[Span]:
    """Date and time expressions ("2019年6月18日", "2020年7月", "2022年", "9月14日上午8点", "2022-03-23")."""
    out: list[Span] = []
    for m in _DATE.finditer(text):
        if m.group().strip():
            out.append(Span(m.start(), m.end(), m.group(), "date"))
    for m in _DATE_RANGE.finditer(text):
        out.append(Span(m.start(), m.end(), m.group(), "date"))
    covered = [(s.start, s.end) for s in out]
    for m in _MONTH_ONLY.finditer(text):
        if not any(s <= m.start() < e for s, e in covered):
            out.append(Span(m.start(), m.end(), m.group(), "date"))
    return out


def date_text_to_iso(text: str) -> str | None:
    """The date a date expression names, as ISO text at its precision ("2022-09", "2023"), or None."""
    m = _DATE.search(text)
    if m is None:
        return None
    if m.group("iso"):
        return m.group("iso")
    if m.group("year") is None:
        return None
    year = _cn_int(m.group("year"))
    if year is None:
        return None
    out = f"{year:04d}"
    month = _cn_int(m.group("month")) if m.group("month") else None
    if month is not None and 1 <= month <= 12:
        out += f"-{month:02d}"
        day = _cn_int(m.group("day")) if m.group("day") else None
        if day is not None and 1 <= day <= 31:
            out += f"-{day:02d}"
    return out


# "到2025年，培育…" / "计划到2025年": a target date, not the date a fact holds at.
_TARGET_BEFORE = ("到", "至", "计划", "力争", "预计", "争取", "将在", "将于")


def as_of_date(text: str) -> str | None:
    """The date a statement is explicitly made as of ("截至2022年9月…" → "2022-09"), else None."""
    for m in re.finditer(rf"(?:截至|截止)(?:到)?\s*(?P<d>{_DATE.pattern})", text):
        parsed = date_text_to_iso(m.group("d"))
        if parsed:
            return parsed
    return None


def mentioned_dates(text: str) -> list[str]:
    """ISO dates of the date expressions in ``text`` that are not targets ("到2025年…"), in text order."""
    out = []
    for span in find_dates(text):
        before = text[max(0, span.start - 2) : span.start]
        if any(before.endswith(t) for t in _TARGET_BEFORE) and not before.endswith(("截至", "截止")):
            continue
        parsed = date_text_to_iso(span.text)
        if parsed:
            out.append(parsed)
    return out



MONTHS_EN: Mapping[str, int] = MappingProxyType(
    {
        m: i
        for i, m in enumerate(
            ("january", "february", "march", "april", "may", "june", "july", "august", "september",
             "october", "november", "december"),
            1,
        )
    }
)  # fmt: skip
_EN_DATE = re.compile(
    r"\b(?:(?P<month>" + "|".join(MONTHS_EN) + r")\s+)?(?:of\s+)?(?P<year>(?:19|20)\d{2})\b", re.I
)


def question_time(norm: str, *, english: bool = True) -> str | None:
    """The time a (normalized) question names: "截至2022年9月" -> "2022-09"; with ``english`` also
    "by September 2022" -> "2022-09" and "in 2021" -> "2021"; None when it names none."""
    for span in find_dates(norm):
        parsed = date_text_to_iso(span.text)
        if parsed:
            return parsed
    if english:
        m = _EN_DATE.search(norm)
        if m:
            month = MONTHS_EN.get((m.group("month") or "").lower())
            return f"{m.group('year')}-{month:02d}" if month else m.group("year")
    return None
