"""Comparison questions: which of the things a question names has the larger (or smaller) stated figure.

A span model answers "生产效率的提升幅度和产品研制周期的缩短幅度，哪个更大？" with one of the two figures,
often the wrong one: the judgement between them is not a span. Here the options the question names are
matched to clauses of the retrieved passages (by the character pairs that tell each option from the
others), each option's figure is read from its clause, and the option whose figure is the largest (or the
smallest) wins. The answer is the option as the passage writes it when the passage holds it whole, else
its figure, cited where it stands. Whatever is unclear (an option not found, figures in different measure
words, two figures in a clause, a tie) gives no comparison, and the span model answers as before.

Only Chinese questions are parsed: an English question's options would have to be matched to Chinese
text across languages.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from qa.readers.rules.numbers import find_quantities, quantity_value
from qa.types import Hit

_LARGER = ("多", "高", "大", "快", "长", "强", "重", "远", "久", "贵", "广", "深", "宽", "厚")
_SMALLER = ("便宜", "少", "低", "小", "慢", "短", "弱", "轻", "近", "廉", "窄", "薄")
_ADJ = "|".join(_SMALLER + _LARGER)
_WHICH = r"(?:哪(?:一|两)?(?:个|类|项|种|样|方|边|家|位|座|者|些|儿|里)?|谁)"
# "哪个更快", "哪一项占比最高", "哪个缩短的天数更多"
_CUE = re.compile(rf"{_WHICH}[^，。？?！!；;]{{0,12}}?(?:更|最|较|比较)(?P<adj>{_ADJ})")
# "X的多，还是Y的多", "X更便宜还是Y更便宜"
_EITHER = re.compile(
    rf"^(?P<a>.+?)(?:的|得|更|比较)?(?P<adj>{_ADJ})(?:一些|些|一点)?[，,]?还是(?P<b>.+?)(?:的|得|更|比较)?"
    rf"(?P=adj)(?:一些|些|一点)?[吗呢呀？?。！!]*$"
)
# "A还是B更便宜？"
_OR_THEN = re.compile(rf"^(?P<a>.+?)还是(?P<b>.+?)(?:更|比较)(?P<adj>{_ADJ})[吗呢呀？?。！!]*$")
_CLAUSE_SEP = re.compile(r"[，,；;：:。？?！!\n]")
# a passage's clauses end at "." too, unless it stands between digits ("1688.这些" but "1.2万")
_PASSAGE_SEP = re.compile(r"[，,；;：:。？?！!\n.]")
_SENTENCE_END = "。？?！!\n."
_JOINER = re.compile(r"^(?:还是|以及|和|与|跟|或者|或)")
# what joins two options, most telling first: a character that is also part of words (同比, 或者) is taken
# only when no other joins them
_PAIR_SEPS = ("还是", "以及", "和", "与", "及", "跟", "同", "或")
_TRIM_END = re.compile(r"(?:两者|二者|这两者|两个|两项)?(?:相比较|相比|相较|比较|比)?(?:而言)?$")
_TRIM_START = re.compile(r"^(?:是|在|把|将|对|从)")
_CHANGE = re.compile(r"(?:缩短|减少|下降|降低|压缩|提升|提高|增加|增长|上升|节省|降)(?!值|速|率)")
_FROM_TO = re.compile(r"从[^，。；]{0,12}?(?:至|到)")
_WORD_CHAR = re.compile(r"[\w\u3400-\u9fff]")


@dataclass(frozen=True)
class ComparisonQuestion:
    """A question that asks which of ``options`` has the larger (``larger``) or smaller stated figure;
    ``change``: it asks by how much something changed, so a "从 X 至 Y" clause gives |X - Y|."""

    options: tuple[str, ...]
    larger: bool
    change: bool


@dataclass(frozen=True)
class Figure:
    """One option's figure: ``hit``'s passage text[start:end], worth ``value`` in ``unit``; ``match``: the
    share of the option's own character pairs its clause holds."""

    option: str
    hit: int  # position in the hits
    clause: tuple[int, int]
    start: int
    end: int
    value: float
    unit: str
    match: float


@dataclass(frozen=True)
class Comparison:
    """The judgement: the figures (one per option, in the question's order), the winner's position among
    them, and the answer span in the winner's passage (the option as written there, else its figure)."""

    figures: tuple[Figure, ...]
    winner: int
    start: int
    end: int

    @property
    def confidence(self) -> float:
        """How surely the options were found: their mean match share."""
        return sum(f.match for f in self.figures) / len(self.figures)


def _split_pair(text: str) -> list[str]:
    """The text split at the first of the most telling word that joins two options; [text] when none."""
    for sep in _PAIR_SEPS:
        if sep in text:
            return text.split(sep, 1)
    return [text]


def _split_options(region: str) -> tuple[str, ...]:
    """The options listed in a clause ("A、B和C", "A和B", "A还是B"); () when it lists none."""
    if "、" in region:
        parts = region.split("、")
        parts = parts[:-1] + _split_pair(parts[-1])
    else:
        parts = _split_pair(region)
    cleaned = []
    for part in parts:
        part = _TRIM_START.sub("", _TRIM_END.sub("", part.strip(" “”\"'（）()"))).strip()
        if len(_WORD_CHAR.findall(part)) < 2:
            return ()
        cleaned.append(part)
    return tuple(cleaned) if 2 <= len(cleaned) <= 6 else ()


def _options_before(text: str) -> tuple[str, ...]:
    """The options listed before a comparison cue: a bracketed list, else the cue's own clause or the one
    before it, the first of them that lists some."""
    bracket = re.findall(r"[（(]([^（）()]*、[^（）()]*)[）)]", text)
    if bracket:
        return _split_options(bracket[-1])
    clauses = _CLAUSE_SEP.split(text)
    if len(clauses) >= 3 and _JOINER.match(clauses[-2]):  # "X，和Y，哪个…": one option a clause
        return _split_options(f"{clauses[-3]}还是{_JOINER.sub('', clauses[-2])}")
    for clause in reversed(clauses[-2:]):
        if len(_split_pair(clause)) == 2 or "、" in clause:
            return _split_options(clause)
    return ()


def _options_after(text: str) -> tuple[str, ...]:
    """The options listed after a comparison cue ("哪儿的钱更多：A，还是B？")."""
    rest = text.lstrip("：:，, ")
    if "还是" not in rest:
        return ()
    a, b = rest.split("还是", 1)
    return _split_options(f"{a.strip('，,；; ')}还是{b.rstrip('？?。！! ')}")


def parse_comparison(question: str) -> ComparisonQuestion | None:
    """The options and direction of a Chinese comparison question; None for any other question."""
    q = question.strip()
    change = bool(_CHANGE.search(q))
    for pattern in (_EITHER, _OR_THEN):
        m = pattern.match(q)
        if m:
            a = _CLAUSE_SEP.split(m.group("a"))[-1]
            options = _split_options(f"{a}还是{m.group('b')}")
            if options:
                return ComparisonQuestion(options, m.group("adj") in _LARGER, change)
    m = _CUE.search(q)
    if not m:
        return None
    options = _options_before(q[: m.start()]) or _options_after(q[m.end() :])
    if not options:
        return None
    return ComparisonQuestion(options, m.group("adj") in _LARGER, change)


def _pairs(text: str) -> set[str]:
    """The character pairs of a text, never across punctuation."""
    out = set()
    for run in re.findall(r"[\w\u3400-\u9fff]+", text):
        out.update(run[i : i + 2] for i in range(len(run) - 1))
    return out


def _clauses(text: str) -> list[tuple[int, int]]:
    """The clauses of a passage, as offsets (a comma between digits does not end one)."""
    out, start = [], 0
    for m in _PASSAGE_SEP.finditer(text):
        i = m.start()
        if text[i] in ",." and 0 < i < len(text) - 1 and text[i - 1].isdigit() and text[i + 1].isdigit():
            continue
        if i > start:
            out.append((start, i))
        start = i + 1
    if start < len(text):
        out.append((start, len(text)))
    return out


def _places(text: str) -> list[tuple[int, int]]:
    """Where an option and its figure may stand: each clause, and a clause that states no figure joined
    with the next clause of its sentence ("已经被认定的单项冠军企业中，有近70家入驻": the topic, then its
    figure)."""
    clauses = _clauses(text)
    out = list(clauses)
    for (s0, e0), (_, e1) in zip(clauses, clauses[1:], strict=False):
        if text[e0] not in _SENTENCE_END and not find_quantities(text[s0:e0]):
            out.append((s0, e1))
    return out


def _figures(
    text: str, clause: tuple[int, int], option: str, change: bool
) -> list[tuple[int, int, float, str]]:
    """The figures a clause states for an option, as (start, end, value, unit): the quantities that are
    not the option's own numbers ("深耕行业十年以上" does not state 10年), a "从 X 至 Y" change taken as
    |X - Y| when the question asks for a change (else as Y)."""
    s, e = clause
    own = {quantity_value(q.text) for q in find_quantities(option)}
    found = []
    for q in find_quantities(text[s:e]):
        value = quantity_value(q.text) if q.kind == "quantity" else None
        if value is not None and value not in own:
            found.append((s + q.start, s + q.end, *value))
    if len(found) == 2 and found[0][3] == found[1][3] and _FROM_TO.search(text[s : found[1][0]]):
        (s0, _, v0, unit), (s1, e1, v1, _) = found
        return [(s0, e1, abs(v0 - v1), unit)] if change else [found[1]]
    return found


def _mention(text: str, clause: tuple[int, int], option: str) -> tuple[int, int] | None:
    """Where the option stands whole in its clause: its head (before 的) or the whole of it."""
    s, e = clause
    head = option.split("的", 1)[0]
    for form in (option, head):
        form = form.strip("“”\"'")
        i = text.find(form, s, e)
        if len(form) >= 2 and i >= 0:
            return i, i + len(form)
    return None


def compare(
    question: str, hits: Sequence[Hit], passages: int = 5, min_match: float = 0.3
) -> Comparison | None:
    """The judgement of a comparison question from the first ``passages`` hits; None when the question is
    no comparison or any option's figure is not found with at least ``min_match`` of the option's own
    character pairs in its clause."""
    parsed = parse_comparison(question)
    if parsed is None:
        return None
    pairs = [_pairs(o) for o in parsed.options]
    own = [p - set().union(*(q for j, q in enumerate(pairs) if j != i)) for i, p in enumerate(pairs)]
    if not all(own):
        return None
    found: list[list[tuple[float, float, int, tuple[int, int], tuple[int, int, float, str]]]] = [
        [] for _ in parsed.options
    ]
    for h, hit in enumerate(hits[:passages]):
        text = hit.passage.text
        for clause in _places(text):
            inside = _pairs(text[clause[0] : clause[1]])
            for i, option in enumerate(parsed.options):
                match = len(own[i] & inside) / len(own[i])
                if match < min_match:
                    continue
                score = match + 0.25 * len(pairs[i] & inside) / len(pairs[i])
                figures = _figures(text, clause, option, parsed.change)
                for unit in {f[3] for f in figures}:
                    same = [f for f in figures if f[3] == unit]
                    if len(same) == 1:  # two figures of one measure word: which is the option's is unclear
                        found[i].append((score, match, h, clause, same[0]))
    chosen: tuple[float, str, list] | None = None
    for unit in sorted({c[4][3] for cands in found for c in cands}):
        picks = []
        for cands in found:
            fits = [c for c in cands if c[4][3] == unit]
            if not fits:
                break
            picks.append(max(fits, key=lambda c: (c[0], -c[2], -c[3][0])))
        else:
            places = {(c[2], c[4][0]) for c in picks}  # each option's own figure
            total = sum(c[0] for c in picks)
            if len(places) == len(picks) and (chosen is None or total > chosen[0]):
                chosen = (total, unit, picks)  # the measure word in which every option is stated best
    if chosen is None:
        return None
    figures = [
        Figure(option, h, clause, f[0], f[1], f[2], f[3], round(match, 4))
        for option, (_, match, h, clause, f) in zip(parsed.options, chosen[2], strict=True)
    ]
    values = [f.value for f in figures]
    top = max(values) if parsed.larger else min(values)
    if values.count(top) != 1:
        return None
    winner = values.index(top)
    f = figures[winner]
    span = _mention(hits[f.hit].passage.text, f.clause, f.option) or (f.start, f.end)
    return Comparison(tuple(figures), winner, *span)
