"""Cut cleaned documents into retrieval passages (exact slices of ``doc.text``)."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from qa.errors import InputError
from qa.sentences import add_trimmed, split_sentences
from qa.types import Document, Passage

_CLAUSE_END_RE = re.compile(r"[，、,：:]+[”’\"'」』）)\]》〉]*")
_PARAGRAPH_BREAK_RE = re.compile(r"\n[^\S\n]*\n\s*")
# A paragraph that ends like this is a finished sentence, not a heading or a byline.
_FINISHED_RE = re.compile(r"(?:[。！？!?；;…]|(?<=[a-z%)\]])\.)[”’\"'」』）)\]》〉]*$")
# Picture and source credits: "APP截图", "图由X提供", "（图片来源：视觉中国）", "来源：视觉中国", "图据X研报",
# "（资料图片）", "（文章来源：X）", "X 摄".
_CREDIT_RE = re.compile(
    r"^[（(【\[]?\s*(?:文章|图片|图文|资料|消息|新闻|视频)?来源\s*[:：]"
    r"|图据|图源\s*[:：]|图片来源|^[（(]?图\s*[/:：]|^[（(]?(?:图片|照片|资料图|图)由.{1,30}提供"
    r"|截图\s*[）)]?$|^[（(]?资料图片?[）)]?$|(?:^|\s)摄\s*[）)]?$|^[（(]?摄影?\s*[:：/]"
)


@dataclass(frozen=True)
class ChunkConfig:
    """How a document is cut into passages (every size in characters of the cleaned text).

    1. Paragraphs are the blocks between blank lines (numbered from 0, credits included).
    2. A *credit* — a paragraph of at most `credit_max_chars` matching a picture/source credit ("APP截图",
       "图由X提供", "（图片来源：X）", "来源：X", "（文章来源：X）", "X 摄") — is dropped when `drop_credits`.
    3. A *short* paragraph — under `min_chars`, or under `heading_max_chars` and not ending a sentence
       (headings such as "求变求新 深耕细作", bylines such as "新华社记者张辛欣", a line cut mid-sentence) —
       is glued to the start of the next kept paragraph (consecutive short ones glue together); the passage
       text is then the exact slice, "\\n\\n" included. Short paragraphs before a dropped credit or at the
       end of the document are appended to the previous passage when they follow it directly and the result
       fits in `max_chars`; otherwise they form their own passage. A passage never contains a dropped credit.
    4. A paragraph (with its glued short paragraphs) of at most `max_chars` is one passage. A longer one is
       cut at sentence ends (`split_sentences`); a sentence longer than `max_chars` at clause marks
       (，、,：:); a clause longer than `max_chars` every `max_chars` characters (not inside a Latin word
       when avoidable).
       The cut points minimise the squared distance of the piece lengths from `target_chars`, with pieces
       under `min_chars` and cuts right after a glued short paragraph avoided unless nothing else fits.
    Every passage has at most `max_chars` characters, starts and ends with a non-space character, and
    ``doc.text[start:end] == text``; `paragraph` is the paragraph in which it starts.
    """

    max_chars: int = 350
    target_chars: int = 250
    min_chars: int = 20
    heading_max_chars: int = 40
    drop_credits: bool = True
    credit_max_chars: int = 40

    def __post_init__(self) -> None:
        if self.max_chars < 1:
            raise InputError(f"ChunkConfig.max_chars must be at least 1, got {self.max_chars}")
        if not 1 <= self.target_chars <= self.max_chars:
            raise InputError(f"ChunkConfig.target_chars must be in [1, max_chars={self.max_chars}], "
                             f"got {self.target_chars}")
        if not 0 <= self.min_chars <= self.target_chars:
            raise InputError(f"ChunkConfig.min_chars must be in [0, target_chars={self.target_chars}], "
                             f"got {self.min_chars}")
        if self.heading_max_chars < 0 or self.credit_max_chars < 0:
            raise InputError("ChunkConfig.heading_max_chars and credit_max_chars must not be negative")


def paragraph_spans(text: str) -> list[tuple[int, int]]:
    """Spans of the paragraphs of `text` (blocks between blank lines), whitespace trimmed."""
    spans: list[tuple[int, int]] = []
    start = 0
    for m in _PARAGRAPH_BREAK_RE.finditer(text):
        add_trimmed(spans, text, start, m.start())
        start = m.end()
    add_trimmed(spans, text, start, len(text))
    return spans


def split_documents(docs: Sequence[Document], config: ChunkConfig = ChunkConfig()) -> list[Passage]:
    """The passages of every document, in document order."""
    return [p for doc in docs for p in split_document(doc, config)]


def split_document(doc: Document, config: ChunkConfig = ChunkConfig()) -> list[Passage]:
    """The passages of one document by the rules of `ChunkConfig`."""
    text = doc.text
    paragraphs = paragraph_spans(text)
    spans: list[tuple[int, int]] = []  # passage spans in document order
    last_para: int | None = None  # paragraph index where the previous passage ends
    pending: list[int] = []  # short paragraphs waiting for the next kept paragraph

    def flush_orphans() -> None:
        nonlocal last_para
        if not pending:
            return
        first, last = pending[0], pending[-1]
        end = paragraphs[last][1]
        if spans and last_para == first - 1 and end - spans[-1][0] <= config.max_chars:
            spans[-1] = (spans[-1][0], end)
        else:
            spans.extend(_pack_block(text, [paragraphs[i] for i in pending], [False] * len(pending), config))
        last_para = last
        pending.clear()

    for index, (start, end) in enumerate(paragraphs):
        body = text[start:end]
        size = end - start
        if config.drop_credits and size <= config.credit_max_chars and _CREDIT_RE.search(body):
            flush_orphans()
            last_para = None
            continue
        if size < config.min_chars or (size < config.heading_max_chars and not _FINISHED_RE.search(body)):
            pending.append(index)
            continue
        members = [*pending, index]
        glue = [True] * len(pending) + [False]
        spans.extend(_pack_block(text, [paragraphs[i] for i in members], glue, config))
        pending.clear()
        last_para = index
    flush_orphans()

    starts = [s for s, _ in paragraphs]
    passages: list[Passage] = []
    para = 0
    for seq, (start, end) in enumerate(spans):
        while para + 1 < len(starts) and starts[para + 1] <= start:
            para += 1
        passages.append(Passage(
            passage_id=f"{doc.doc_id}#{seq}", doc_id=doc.doc_id, paragraph=para, start=start, end=end,
            text=text[start:end], title=doc.title, date=doc.date,
        ))
    return passages


def _pack_block(text: str, members: list[tuple[int, int]], glue: list[bool],
                config: ChunkConfig) -> list[tuple[int, int]]:
    """Passage spans for consecutive paragraphs; glue[i] asks not to cut right after paragraph i."""
    if members[-1][1] - members[0][0] <= config.max_chars:
        return [(members[0][0], members[-1][1])]
    units: list[tuple[int, int]] = []
    unit_glue: list[bool] = []
    coalesce = max(config.min_chars, config.max_chars // 20)
    for (start, end), glued in zip(members, glue, strict=True):
        pieces = _units(text, start, end, config.max_chars)
        pieces = _coalesce(pieces, coalesce, config.max_chars)
        units.extend(pieces)
        unit_glue.extend([False] * (len(pieces) - 1) + [glued])
    return _pack(units, unit_glue, config)


def _units(text: str, start: int, end: int, max_chars: int) -> list[tuple[int, int]]:
    """Sentences of text[start:end]; sentences over max_chars cut at clauses, then hard."""
    out: list[tuple[int, int]] = []
    for s, e in split_sentences(text[start:end]):
        s, e = s + start, e + start
        if e - s <= max_chars:
            out.append((s, e))
            continue
        for cs, ce in _split_at(text, s, e, _CLAUSE_END_RE):
            if ce - cs <= max_chars:
                out.append((cs, ce))
            else:
                out.extend(_hard_split(text, cs, ce, max_chars))
    return out


def _split_at(text: str, start: int, end: int, pattern: re.Pattern[str]) -> list[tuple[int, int]]:
    spans: list[tuple[int, int]] = []
    pos = start
    for m in pattern.finditer(text, start, end):
        add_trimmed(spans, text, pos, m.end())
        pos = m.end()
    add_trimmed(spans, text, pos, end)
    return spans


def _hard_split(text: str, start: int, end: int, max_chars: int) -> list[tuple[int, int]]:
    spans: list[tuple[int, int]] = []
    while end - start > max_chars:
        cut = start + max_chars
        floor = start + max(1, (max_chars * 3) // 4)
        back = cut
        while back > floor and _latin(text[back - 1]) and _latin(text[back]):
            back -= 1
        if back > floor:
            cut = back
        add_trimmed(spans, text, start, cut)
        start = cut
        while start < end and text[start].isspace():
            start += 1
    add_trimmed(spans, text, start, end)
    return spans


def _latin(ch: str) -> bool:
    return ch.isascii() and ch.isalnum()


def _coalesce(units: list[tuple[int, int]], least: int, max_chars: int) -> list[tuple[int, int]]:
    """Merge neighbouring units of one paragraph while the first is under `least` chars and they fit."""
    out: list[tuple[int, int]] = []
    for s, e in units:
        if out and out[-1][1] - out[-1][0] < least and e - out[-1][0] <= max_chars:
            out[-1] = (out[-1][0], e)
        else:
            out.append((s, e))
    return out


def _pack(units: list[tuple[int, int]], glue: list[bool], config: ChunkConfig) -> list[tuple[int, int]]:
    """Group consecutive units into pieces of at most max_chars by dynamic programming (rule 4)."""
    n = len(units)
    penalty = float(config.max_chars) ** 2 * 1000.0
    best = [0.0] + [float("inf")] * n  # best[k]: cost of units[:k]
    back = [0] * (n + 1)
    for k in range(1, n + 1):
        end = units[k - 1][1]
        for i in range(k - 1, -1, -1):
            size = end - units[i][0]
            if size > config.max_chars and i < k - 1:
                break
            cost = best[i] + float(size - config.target_chars) ** 2
            if size < config.min_chars:
                cost += penalty
            if i > 0 and glue[i - 1]:
                cost += penalty
            if cost < best[k]:
                best[k], back[k] = cost, i
    pieces: list[tuple[int, int]] = []
    k = n
    while k > 0:
        i = back[k]
        pieces.append((units[i][0], units[k - 1][1]))
        k = i
    pieces.reverse()
    return pieces
