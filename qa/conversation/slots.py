"""Typed slots of a question that follow-ups swap or refer to: its time, its subject (the entity it is
about), named entities; Chinese through the rule reader's date finder and jieba tags, English by pattern."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

from qa.readers.rules.answer_types import question_language
from qa.readers.rules.dates import find_dates
from qa.readers.rules.entities import ORG_SUFFIXES, PLACE_SUFFIXES
from qa.readers.rules.postag import pos_tag

SlotKind = Literal["time", "place", "organization", "person", "entity"]


@dataclass(frozen=True)
class Slot:
    """A span of a question with what it names; ``text == question[start:end]``."""

    kind: SlotKind
    text: str
    start: int
    end: int


# ---------------------------------------------------------------- language

_GLOSS = re.compile(r"[（(][^)）]{0,30}[)）]")


def text_language(text: str) -> Literal["zh", "en"]:
    """A question's language, a bracketed gloss left out ("Who founded LandSpace (蓝箭航天)?" is English)."""
    bare = _GLOSS.sub(" ", text)
    return question_language(bare if bare.strip() else text)


# ---------------------------------------------------------------- Chinese

_LEADING_FILLER = re.compile(r"^(?:请问|那么|那|所以|还有|另外|再问一下|再问|对了)[，,\s]*")
_TIME_PREFIX = re.compile(r"^(?:截至|截止到|截止|到|至|在|于)")
_TIME_TAIL = re.compile(r"以来|以后|之后|以前|之前|期间|间|初|底|末")
_RELATIVE_TIME = re.compile(r"^(?:今年|去年|明年|前年|当年|目前|现在|如今)")
# function words and question words that end the subject phrase ("金坤新材|的总经理", "埃夫特|由哪家…")
_SUBJECT_END = re.compile(
    r"的|是|有|在|于|由|为|被|把|对|从|跟|和|与|向|将|已|曾|共|都|也|还|哪|什么|谁|多少|几|怎么|如何|为什么|为何|何时"
)
_NAMED_TAGS = frozenset({"nr", "nrt", "nrfg", "ns", "nt", "nz", "j", "eng"})
_VERB_TAGS = frozenset({"v", "vd", "vi"})
NAME_SUFFIXES: tuple[str, ...] = (
    *ORG_SUFFIXES, *PLACE_SUFFIXES, "科技", "医疗", "航天", "电器", "精密", "新材", "股份", "电子", "智能",
    "动力", "材料", "机械", "装备",
)  # fmt: skip
GENERIC_SUBJECTS = frozenset(
    {"我国", "中国", "全国", "国内", "国外", "我们", "他们", "全区", "全省", "全市", "公司", "企业", "政府",
     "工信部", "国家"}
)  # fmt: skip
_WH_START = re.compile(r"^(?:哪|什么|谁|何|多少|几|怎么|如何|为什么|为何|是否)")
_CJK = re.compile(r"[\u3400-\u9fff]")


def strip_filler(text: str) -> str:
    """The question without a leading 那/那么/请问 (they carry no content)."""
    return _LEADING_FILLER.sub("", text.strip())


def leading_time(text: str) -> Slot | None:
    """A time phrase at the very start ("截至2022年9月，", "2016年至2018年间", "今年"), comma included."""
    m = _TIME_PREFIX.match(text)
    head = m.end() if m else 0
    rel = _RELATIVE_TIME.match(text, head)
    if rel:
        end = rel.end()
    else:
        dates = [d for d in find_dates(text) if d.start == head]
        if not dates:
            return None
        end = max(d.end for d in dates)
        tail = _TIME_TAIL.match(text, end)  # "2022年以来，", "2016年至2018年间"
        if tail:
            end = tail.end()
    while end < len(text) and text[end] in "，, 、":
        end += 1
    return Slot("time", text[:end], 0, end)


def time_slots(text: str) -> list[Slot]:
    """Every date expression of a Chinese question ("2022年9月", "2023年"), in order."""
    return [Slot("time", d.text, d.start, d.end) for d in sorted(find_dates(text), key=lambda d: d.start)]


def is_named(text: str) -> bool:
    """Whether a phrase names something specific (a company, place, person) rather than a generic noun."""
    if not text or text in GENERIC_SUBJECTS:
        return False
    if re.search(r"[A-Za-z]", text) or text.endswith(NAME_SUFFIXES):
        return True
    return any(tag in _NAMED_TAGS for _, tag in pos_tag(text))


def fragment_kind(text: str) -> SlotKind:
    """What a bare fragment names ("2023年" → time, "山东" → place, "埃夫特" → entity)."""
    body = _TIME_PREFIX.sub("", text)
    if _RELATIVE_TIME.match(body) or any(d.start == 0 and d.end == len(body) for d in find_dates(body)):
        return "time"
    if re.fullmatch(r"(?:19|20)\d{2}", body):
        return "time"
    if body.endswith(PLACE_SUFFIXES) or {t for _, t in pos_tag(body)} == {"ns"}:
        return "place"
    return "entity"


def subject(question: str, *, max_chars: int = 12) -> Slot | None:
    """The phrase a Chinese question is about: the words before its first function word or verb, after a
    leading time phrase ("截至2022年9月，我国已…" → 我国, "唯迈医疗成立于哪一年" → 唯迈医疗); None when the
    question starts with its question word or the phrase is longer than ``max_chars``."""
    text = strip_filler(question)
    offset = question.find(text) if text else 0
    time = leading_time(text)
    start = time.end if time else 0
    rest = text[start:]
    if not rest or _WH_START.match(rest):
        return None
    m = _SUBJECT_END.search(rest)
    end = m.start() if m else len(rest)
    dates = [d.start for d in find_dates(rest) if d.start > 0]
    end = min([end, *dates])  # "山东|2022年工业增加值…"
    pos = 0
    for word, tag in pos_tag(rest):  # a verb ends it ("唯迈医疗|成立于"; a one-character verb only after two)
        if pos >= end:
            break
        if tag in _VERB_TAGS and (pos >= 2 or len(word) >= 2):
            end = pos
            break
        pos += len(word)
    phrase = rest[:end].strip("，,、“”\"' ")
    if not 2 <= len(phrase) <= max_chars or not _CJK.search(phrase) and not re.search(r"[A-Za-z]", phrase):
        return None
    at = offset + start + rest.find(phrase)
    return Slot("entity", phrase, at, at + len(phrase))


def starts_with_question_word(question: str) -> bool:
    """"哪个城市…", "什么是…": the question word is its subject, so it names its own topic."""
    text = strip_filler(question)
    time = leading_time(text)
    return bool(_WH_START.match(text[time.end:] if time else text))


# ---------------------------------------------------------------- English

EN_MONTHS = (
    "january|february|march|april|may|june|july|august|september|october|november|december|"
    "jan|feb|mar|apr|jun|jul|aug|sep|sept|oct|nov|dec"
)
_EN_DATE = re.compile(rf"\b(?:(?:{EN_MONTHS})\.?\s+(?:\d{{1,2}},?\s+)?)?(?:19|20)\d{{2}}\b", re.I)
_EN_STOP = frozenset(
    re.split(
        r"\s+",
        "how what who whom whose when where which why is are was were do does did can could will would the a "
        "an and but in on at by for of to as with from what's who's china chinese",
    )
    + EN_MONTHS.split("|")
)
_EN_NAME = re.compile(
    r"(?:[A-Z][\w&'.-]*|[A-Z]{2,})(?:\s+[A-Z][\w&'.-]*){0,5}(?:\s*[（(][^)）]{1,20}[)）])?"
    r"|[（(]?[\u3400-\u9fff][\u3400-\u9fff\w]{1,15}[)）]?"
)


_NAME_GLOSS = r"\s*[（(][^)）]{1,20}[)）]"  # "Efort (埃夫特)": a name's gloss in brackets
_POSSESSIVE_GLOSS = re.compile(rf"'s({_NAME_GLOSS})$")
_TRAILING_GLOSS = re.compile(rf"{_NAME_GLOSS}$")


def en_possessive(name: str) -> bool:
    """Whether an English name slot is a possessive before its gloss ("Zhejiang Zhongcheng's (浙江众成)")."""
    return _POSSESSIVE_GLOSS.search(name) is not None


def en_entity(name: str) -> str:
    """The entity an English name slot names, a possessive before its gloss left out ("Zhejiang
    Zhongcheng's (浙江众成)" → "Zhejiang Zhongcheng (浙江众成)")."""
    return _POSSESSIVE_GLOSS.sub(r"\1", name)


def en_owner(name: str) -> str:
    """The English possessive of a name, before its gloss ("Efort (埃夫特)" → "Efort's (埃夫特)")."""
    if en_possessive(name) or name.endswith("'s"):
        return name
    m = _TRAILING_GLOSS.search(name)
    return f"{name[: m.start()]}'s{name[m.start() :]}" if m else f"{name}'s"


def en_time_slots(text: str) -> list[Slot]:
    """English dates in a question ("September 2022", "2023")."""
    return [Slot("time", m.group(), m.start(), m.end()) for m in _EN_DATE.finditer(text)]


def en_names(text: str) -> list[Slot]:
    """Capitalised names (with a Chinese name in brackets) and Chinese names in an English question."""
    out: list[Slot] = []
    for m in _EN_NAME.finditer(text):
        name = m.group().strip()
        words = name.split()
        while words and words[0].lower().removesuffix("'s") in _EN_STOP:
            words = words[1:]
        if not words:
            continue
        name = " ".join(words)
        if _EN_DATE.fullmatch(name):
            continue
        if name.endswith("'s"):
            name = name[:-2]
        start = text.find(name, m.start())
        out.append(Slot("entity", name, start, start + len(name)))
    return out


def en_subject(question: str) -> Slot | None:
    """The entity an English question is about: a name with a Chinese gloss first, else the first name."""
    names = en_names(question)
    glossed = [n for n in names if _CJK.search(n.text)]
    return (glossed or names or [None])[0]
