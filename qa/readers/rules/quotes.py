"""Quoted terms (“…”, ‘…’, 「…」, 『…』) and titles (《…》): the text inside the marks."""

from __future__ import annotations

import re

from qa.readers.rules.span import Span, SpanKind

_QUOTES = {"“": "”", "‘": "’", "《": "》", "「": "」", "『": "』", "〈": "〉", "【": "】"}
_QUOTE_RE = re.compile(
    "|".join(
        rf"{re.escape(o)}(?P<q{i}>[^{re.escape(o + c)}\n]{{1,60}}){re.escape(c)}"
        for i, (o, c) in enumerate(_QUOTES.items())
    )
    + r'|"(?P<qa>[^"\n]{1,60})"'
)


def find_quotes(text: str) -> list[Span]:
    """Quoted terms (“…”, ‘…’, 「…」, 『…』) and titles (《…》, kind "title"): the text inside the marks."""
    out = []
    for m in _QUOTE_RE.finditer(text):
        for name, value in m.groupdict().items():
            if value is not None:
                s = m.start(name)
                kind: SpanKind = "title" if text[m.start()] in "《〈" else "quote"
                out.append(Span(s, s + len(value), value, kind))
                break
    return out

