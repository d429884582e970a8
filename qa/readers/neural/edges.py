"""Character-level answer edges: a span model's token-edged span moved to the characters the question asks.

e5's XLM-R pieces run across word boundaries ("在北京", "是一种", "%，" are single tokens), so a span decoded
on token edges can start with a preposition or copula, end with a particle, or stop inside a word or inside
a figure's expression. The span model picks the answer's first and last token; this module picks the first
and last *character* inside and around them, by rules a reader of Chinese applies:

1. ``snap_words``: an edge that falls inside a word moves out to the word's edge (jieba's segmentation of
   the clause), so no answer starts or ends inside a word;
2. ``strip_function_words``: a leading preposition, conjunction, copula or modal (在, 由, 和, 是, 会 ...)
   and a trailing 的 are dropped, except from answers to why/how questions, whose clause
   is the answer;
3. ``whole_expressions``: for date and quantity questions, a date or quantity the span cuts through is taken
   whole, with its ordinal, unit and bound ("三批" -> "第三批", "百分点" -> "2.4个百分点",
   "5天" -> "5天以内");
4. ``bare_typed`` (off): a verb or adverb before the date or quantity a span ends with is dropped;
5. ``inner_typed``: for date and quantity questions, a span holding exactly one date or quantity and more
   besides is cut to it, a range's first half and a date's modifier kept ("2020年7月，埃夫特在上交所挂牌上市"
   -> "2020年7月", "完成于1970-1975年" -> "1970-1975年");
6. ``whole_names`` (off): for person questions, a person's name the span cuts is taken whole.

Which rules are on was decided on held-out training data (docs/training.md).

Every character boundary of the passage can thus be an answer edge, whatever the tokenizer's pieces.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from qa.readers.rules.answer_types import QuestionType
from qa.readers.rules.span import Span

# jieba tags of words that do not open an answer: prepositions, conjunctions, particles
_LEAD_TAGS = ("p", "c", "u")
# words that do not open an answer whatever their tag: copulas, modals, aspect and degree words
_LEAD_WORDS = frozenset(
    ("是", "为", "乃", "系", "会", "可以", "已", "已经", "曾经", "正在", "都", "也", "就", "还", "即")
    + ("便", "均", "则", "通过", "经过", "作为", "成为", "变成")
)
# a trailing 的 (jieba's "uj"); 了 ends quotes and 等 or 之一 belong to list and rank answers
_TRAIL_TAGS = ("uj",)
_TRAIL_WORDS: frozenset[str] = frozenset()
_CLAUSE_STOP = '，,。；;！!？?\n、：:“”"（）()《》「」'
_NO_STRIP_TYPES = ("reason",)
# single characters that open or close a phrase rather than a word: an edge on them is not snapped outwards
# ("设在北京": the span 在北京 keeps its start, and the function-word rule then drops 在)
FUNCTION_CHARS = frozenset("在于是由从为对向到把被和与及的了地得着过")
_MAX_SNAP_WORD = 6  # a "word" longer than this is an unknown run of characters: edges are not moved for it


@dataclass(frozen=True, kw_only=True)
class EdgeConfig:
    """Which edge rules run; each can be turned on or off to measure what it does. Word snapping is off by
    default: on held-out data it lost more than it gained (jieba's words in Traditional Chinese and in names
    are not reliable enough; docs/evaluation.md)."""

    snap_words: bool = False
    strip_function_words: bool = True
    whole_expressions: bool = True
    # for date and quantity questions: a verb or adverb before the date or quantity the span ends with is
    # dropped ("减少600多吨" -> "600多吨", "共计8997家" -> "8997家"); its bound stays ("超过60%")
    bare_typed: bool = False
    # for date and quantity questions: a span that holds exactly one date (quantity) and more is cut to it
    # ("2020年7月，埃夫特在上交所挂牌上市" -> "2020年7月", "从来没有低于5%" -> "5%"); on since it raised
    # the short-answer held-out sets' EM + F1 (runs/r5/decoding-inner.json, docs/training.md)
    inner_typed: bool = True
    # for person questions: a person's name the span cuts is taken whole ("付" of "厂长付重先介绍" ->
    # "付重先"): titled names, transliterated names and jieba's person names in the span's clause
    whole_names: bool = False


TOKEN_EDGES = EdgeConfig(
    snap_words=False,
    strip_function_words=False,
    whole_expressions=False,
    bare_typed=False,
    inner_typed=False,
    whole_names=False,
)  # every rule off: the span model's token edges


def edge_rules(*names: str) -> EdgeConfig:
    """The edge rules ``names`` (EdgeConfig field names) on and every other rule off."""
    return replace(TOKEN_EDGES, **dict.fromkeys(names, True))


def refine_edges(
    text: str, start: int, end: int, qtype: QuestionType | None, config: EdgeConfig = EdgeConfig()
) -> tuple[int, int]:
    """The span [start, end) of ``text`` with the character edges the rules choose (see the module
    docstring); the span itself when a rule would leave nothing."""
    if not 0 <= start < end <= len(text):
        return start, end
    s, e = start, end
    if config.snap_words:
        s, e = _snap_words(text, s, e)
    if config.strip_function_words and (qtype is None or qtype.answer_type not in _NO_STRIP_TYPES):
        s, e = _strip_function_words(text, s, e)
    if config.whole_expressions and qtype is not None and qtype.answer_type in ("date", "quantity"):
        s, e = _whole_expressions(text, s, e, qtype)
    if config.bare_typed and qtype is not None and qtype.answer_type in ("date", "quantity"):
        s, e = _bare_typed(text, s, e, qtype)
    if config.inner_typed and qtype is not None and qtype.answer_type in ("date", "quantity"):
        s, e = _inner_typed(text, s, e, qtype)
    if config.whole_names and qtype is not None and qtype.answer_type == "person":
        s, e = _whole_names(text, s, e)
    return (s, e) if e > s else (start, end)


def clause_bounds(text: str, start: int, end: int, stops: str = _CLAUSE_STOP) -> tuple[int, int]:
    """The clause around [start, end): from the last of ``stops`` before it to the first after it."""
    a = start
    while a > 0 and text[a - 1] not in stops:
        a -= 1
    b = end
    while b < len(text) and text[b] not in stops:
        b += 1
    return a, b


def _words(text: str, a: int, b: int) -> list[tuple[int, int, str, str]]:
    """jieba's (start, end, word, tag) segmentation of text[a:b], offsets into ``text``."""
    from qa.readers.rules.postag import pos_tag

    out = []
    pos = a
    for word, tag in pos_tag(text[a:b]):
        out.append((pos, pos + len(word), word, tag))
        pos += len(word)
    return out


def _snap_words(text: str, start: int, end: int) -> tuple[int, int]:
    """Edges inside a word moved out to that word's edges."""
    a, b = clause_bounds(text, start, end)
    for ws, we, _, _ in _words(text, a, b):
        if we - ws > _MAX_SNAP_WORD:
            continue
        if ws < start < we and text[start] not in FUNCTION_CHARS:
            start = ws
        if ws < end < we and text[end - 1] not in FUNCTION_CHARS:
            end = we
    return start, end


def _strip_function_words(text: str, start: int, end: int) -> tuple[int, int]:
    """A leading function word and a trailing particle dropped (one of each; never the whole span)."""
    words = _words(text, start, end)
    if len(words) < 2:
        return start, end
    ws, we, word, tag = words[0]
    if word in _LEAD_WORDS or tag.startswith(_LEAD_TAGS):
        start = we
        words = words[1:]
    if len(words) >= 2:
        ws, we, word, tag = words[-1]
        if word in _TRAIL_WORDS or tag.startswith(_TRAIL_TAGS):
            end = ws
    return start, end


# jieba tags of the words a bare date or quantity loses in front of it: verbs, adverbs, prepositions,
# conjunctions, particles
_BARE_TAGS = ("v", "d", "p", "c", "u")
_MAX_BARE_PREFIX = 6


def _bare_typed(text: str, start: int, end: int, qtype: QuestionType) -> tuple[int, int]:
    """The span from the date or quantity it ends with, when what comes before that is only verbs, adverbs
    and particles ("减少600多吨" -> "600多吨"); unchanged otherwise."""
    from qa.readers.neural.typed import find_typed

    for span in find_typed(text[start:end], qtype.answer_type):
        xs = start + span.start
        if start + span.end != end or xs == start:
            continue
        words = _words(text, start, xs)
        if xs - start <= _MAX_BARE_PREFIX and words and all(t.startswith(_BARE_TAGS) for _, _, _, t in words):
            return xs, end
    return start, end


# a range's connector ("1970-1975年", "4至6月"): the finders read only its second half as the expression
_RANGE_MARKS = "-－~～—–至到"
_NUMERALS = "0123456789０１２３４５６７８９.零〇一二三四五六七八九十百千万亿两"
# a date's modifier right after it, part of the answer ("2000年代", "2000年后", "1851-1860年间")
_DATE_SUFFIX = "代初末底后前间"


def _inner_typed(text: str, start: int, end: int, qtype: QuestionType) -> tuple[int, int]:
    """The one date (date questions) or quantity (quantity questions) a span holds, when it holds exactly one
    and more besides, with the first half of a range and a date's modifier kept; unchanged when it holds none
    or several (a list is kept whole)."""
    from qa.readers.neural.typed import find_typed

    found = find_typed(text[start:end], qtype.answer_type)
    if len(found) != 1:
        return start, end
    s, e = start + found[0].start, start + found[0].end
    if s - 1 > start and text[s - 1] in _RANGE_MARKS and text[s - 2] in _NUMERALS:
        s -= 1
        while s > start and text[s - 1] in _NUMERALS + "年月日":
            s -= 1
    elif (s > start and text[s - 1] in _NUMERALS + "几数") or text[s] in "万亿千百":
        return start, end  # the finder cut a vague number ("几万一台", "数十万家"): not one expression
    if qtype.answer_type == "date" and e < end and text[e] in _DATE_SUFFIX:
        e += 1
    return s, e


def _whole_names(text: str, start: int, end: int) -> tuple[int, int]:
    """The span grown over every person's name in its clause whose edge it cuts."""
    from qa.readers.rules.entities import find_entities, find_titled_names, find_transliterated_names

    a, b = clause_bounds(text, start, end)
    clause = text[a:b]
    names = [*find_titled_names(clause), *find_transliterated_names(clause)]
    names += [x for x in find_entities(clause) if x.kind == "person"]
    return _grow_over(start, end, a, names)


def _whole_expressions(text: str, start: int, end: int, qtype: QuestionType) -> tuple[int, int]:
    """The span grown over every date (date questions) or quantity (quantity questions) whose edge it cuts;
    a span that is a whole date itself is kept (a year answers 何年 even inside a full date)."""
    from qa.readers.neural.typed import find_typed, is_typed_span

    if qtype.answer_type == "date" and is_typed_span(text[start:end], qtype):
        return start, end  # a whole date already ("1941年" of "1941年12月" answers 何年)
    a, b = clause_bounds(text, start, end)
    return _grow_over(start, end, a, find_typed(text[a:b], qtype.answer_type))


def _grow_over(start: int, end: int, offset: int, found: list[Span]) -> tuple[int, int]:
    """[start, end) grown over each of ``found`` (spans of the text from ``offset`` on) whose edge it cuts."""
    s, e = start, end
    for span in found:
        xs, xe = offset + span.start, offset + span.end
        if (xs < start < xe) or (xs < end < xe):  # the span cuts it
            s, e = min(s, xs), max(e, xe)
    return s, e
