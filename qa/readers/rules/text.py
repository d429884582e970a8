"""Character-level helpers of the rule reader: which characters are content, and trimming a span past
function characters and unbalanced quote marks."""

from __future__ import annotations

import re

CJK_OR_WORD = re.compile(r"[0-9a-z\u3400-\u4dbf\u4e00-\u9fff]")  # a content character (normalized text)
LEAD_TRIM = "是为了有在的:：、,，.。 \t为由被把将即"
TRAIL_TRIM = "的了是:：、,，.。；;！？!? \t等"
# clause punctuation, never part of an answer at its edges (a full stop "." is: "Co." ends a name)
PUNCT_TRIM = ":：、,，。；;！？!? \t"
_QUOTE_PAIRS = {"“": "”", "‘": "’", "「": "」", "『": "』", "《": "》", "(": ")", "（": "）"}
_CLOSING_MARKS = frozenset("”’」』》）)】")
_CLOSERS_TO_OPENERS = {"”": "“", "’": "‘", "」": "「", "』": "『", "》": "《", "）": "（", ")": "("}
_OPENING_MARKS = frozenset("“‘「『《（(【")


def trim(text: str, start: int, end: int, lead: str = LEAD_TRIM, trail: str = TRAIL_TRIM) -> tuple[int, int]:
    """Shrink [start, end) past leading/trailing function characters and unbalanced quote marks."""
    while start < end:
        first, last = text[start], text[end - 1]
        if first in lead or first.isspace() or first in _CLOSING_MARKS:
            start += 1
        elif last in trail or last.isspace() or last in _OPENING_MARKS:
            end -= 1
        elif first in "（(" and 0 < text.find(_QUOTE_PAIRS[first], start + 1, end) < end - 1:
            # a leading parenthetical: "（英文：…）"
            start = text.find(_QUOTE_PAIRS[first], start + 1, end) + 1
        elif first in _QUOTE_PAIRS and _QUOTE_PAIRS[first] not in text[start + 1 : end]:
            start += 1  # an opening mark whose closer lies outside the span
        elif last in _CLOSERS_TO_OPENERS and _CLOSERS_TO_OPENERS[last] not in text[start : end - 1]:
            end -= 1  # a closing mark whose opener lies outside the span
        elif (
            end - start >= 3
            and first in _QUOTE_PAIRS
            and last == _QUOTE_PAIRS[first]
            and first not in text[start + 1 : end - 1]
            and last not in text[start + 1 : end - 1]
        ):
            start, end = start + 1, end - 1  # the whole span is one quoted term: keep the term
        else:
            break
    return start, end


def find_all(haystack: str, needle: str) -> list[int]:
    out, i = [], haystack.find(needle)
    while i >= 0:
        out.append(i)
        i = haystack.find(needle, i + 1)
    return out
