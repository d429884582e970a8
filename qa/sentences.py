"""Sentence and clause spans of a text: the one sentence splitter (passage chunking and the readers) and the
clause splitter the rule reader aligns and scores within.

Every span is a ``(start, end)`` pair of offsets into the text, trimmed of surrounding whitespace, so a
piece of a passage is always the exact slice ``text[start:end]``.
"""

from __future__ import annotations

import re

# A sentence ends after a run of 。！？!?；; plus any closing quotes/brackets, after an ellipsis that closes a
# quotation, after "." + space in Latin text (not after a digit or capital: "838460. NEEQ", "U.S. Army"),
# and at a line break.
_SENTENCE_END_RE = re.compile(
    r"[。！？!?；;]+[”’\"'」』）)\]》〉]*"
    r"|…+[”’」』]+"
    r"|(?<=[a-z%)\]\"'’”])\.(?=\s+[A-Z“\"‘(]|\s*$)"
    r"|\n"
)
# A clause ends at a sentence end or ，,：: (、 separates list items, not clauses), with its closing quotes.
_CLAUSE_END = "。！？!?；;…\n，,：:"
_CLOSERS = "”’」』》）)\"'】"
_SPACE = " \t\r\u3000\xa0\n"


def add_trimmed(spans: list[tuple[int, int]], text: str, start: int, end: int) -> None:
    """Append ``(start, end)`` shrunk past whitespace at both ends, unless nothing is left."""
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    if start < end:
        spans.append((start, end))


def split_sentences(text: str) -> list[tuple[int, int]]:
    """Sentence spans ``(start, end)`` of `text`, in order, trimmed; end marks stay with their sentence."""
    spans: list[tuple[int, int]] = []
    start = 0
    for m in _SENTENCE_END_RE.finditer(text):
        end = m.start() if m.group() == "\n" else m.end()
        add_trimmed(spans, text, start, end)
        start = m.end()
    add_trimmed(spans, text, start, len(text))
    return spans


def split_clauses(text: str, start: int = 0, end: int | None = None) -> list[tuple[int, int]]:
    """Clause spans of ``text[start:end]`` (sentence ends plus ，：), as offsets into ``text``."""
    end = len(text) if end is None else end
    return [(start + s, start + e) for s, e in _split(text[start:end], _CLAUSE_END)]


def _split(text: str, enders: str) -> list[tuple[int, int]]:
    """Pieces of ``text`` ending after a run of ``enders`` (and closing quotes), stripped of spaces."""
    out: list[tuple[int, int]] = []
    start, i, n = 0, 0, len(text)
    while i < n:
        if text[i] in enders:
            j = i + 1
            while j < n and (text[j] in enders or text[j] in _CLOSERS):
                j += 1
            out.append((start, j))
            start = i = j
        else:
            i += 1
    if start < n:
        out.append((start, n))
    spans = []
    for s, e in out:
        while s < e and text[s] in _SPACE:
            s += 1
        while e > s and text[e - 1] in _SPACE:
            e -= 1
        if e > s:
            spans.append((s, e))
    return spans
