"""The resolution rules, one named unit each: which follow-up cue a question carries (does it need the
history at all?), then a swapped time/place/company slot, a pronoun or demonstrative for the previous
subject or answer, or another attribute of the previous subject. Chinese and English.

Each rule takes the follow-up, the previous turn and the limits, and returns a :class:`Rewrite` or None
(it does not apply). They read question text only, never a reader's internals or the index.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

from qa.conversation.history import Turn
from qa.conversation.slots import (
    Slot,
    en_entity,
    en_owner,
    en_possessive,
    en_subject,
    en_time_slots,
    fragment_kind,
    is_named,
    starts_with_question_word,
    strip_filler,
    subject,
    text_language,
    time_slots,
)
from qa.readers.rules.answer_types import classify_question
from qa.readers.rules.postag import pos_tag

Cue = Literal["swap", "reference", "elided"]
RefType = Literal["person", "organization", "place", "term", "neutral"]


@dataclass(frozen=True)
class RuleLimits:
    """The sizes the rules accept (a longer fragment is not a swapped slot, a longer subject not a name)."""

    max_fragment_chars: int = 16  # "那X呢？": X at most this long
    max_fragment_words: int = 6  # "What about X?": X at most this many words
    max_subject_chars: int = 12  # a Chinese subject phrase longer than this is a description, not a name
    max_elided_chars: int = 40  # a question without a subject longer than this is not read as a follow-up
    # a previous answer longer than this is a clause the reader read, not a name: a pronoun for it points at
    # what the previous question described instead, as when that turn abstained
    max_answer_referent_chars: int = 16


@dataclass(frozen=True)
class Rewrite:
    """A standalone question made from a follow-up, and the rule that made it."""

    text: str
    rule: str


# ---------------------------------------------------------------- the cues

_WH = re.compile(r"哪|什么|谁|多少|几[个家次年月天名台种项条]|怎么|如何|为什么|为何|何时|是否|吗")
_ZH_SWAP = re.compile(
    r"^(?:那么?|还有|换成|如果是|要是)?\s*(?P<x>[^？?，,。！!]+?)\s*(?:的话|的情况|又|会)?\s*"
    r"(?:呢|又如何|如何|怎么样|怎样)\s*[？?。！!]*$"
)
_ZH_BARE_SWAP = re.compile(r"^那么?\s*(?P<x>[^？?，,。！!]+?)\s*[？?。！!]*$")
_EN_SWAP = re.compile(
    r"^\s*(?:(?:and|but|so|ok|okay)[\s,]+)?(?:what|how)\s+about\s+(?P<x>.+?)\s*[?.!]*$"
    r"|^\s*(?:and|but)[\s,]+(?:(?:in|for|by|as\s+of|at)\s+)?(?P<y>.+?)\s*[?.!]*$",
    re.I,
)
_EN_WH = re.compile(r"\b(?:who|whom|whose|what|when|where|which|why|how)\b", re.I)
_EN_DATE_ONLY = re.compile(r"^(?:(?:in|by|for|as\s+of|at)\s+)?(?P<d>.*?(?:19|20)\d{2})$", re.I)

_ZH_REFS: tuple[tuple[RefType, re.Pattern[str]], ...] = (
    ("organization", re.compile(r"(?:该|这家|那家|这个|此)(?:公司|企业|集团|机构|厂商|厂家|品牌|平台|单位)")),
    ("place", re.compile(r"(?:该|这个|那个|此)(?:省份|省|城市|市|地区|县)")),
    ("term", re.compile(r"(?:该|这款|那款|这颗|那颗|这个|此)(?:产品|火箭|卫星|设备|机器人|技术|项目|门锁)")),
    ("person", re.compile(r"这位|那位|该人")),
    ("neutral", re.compile(r"它们|它|(?<!其)他们|她们|^其")),
    ("person", re.compile(r"(?<![其吉])他(?!人)|她")),
)
_EN_REFS: tuple[tuple[RefType, re.Pattern[str]], ...] = (
    ("organization", re.compile(r"\b(?:the|this|that)\s+(?:company|firm|enterprise|business|group)\b", re.I)),
    ("place", re.compile(r"\b(?:the|this|that)\s+(?:province|city|region|district|zone)\b", re.I)),
    ("term", re.compile(r"\b(?:the|this|that)\s+(?:product|rocket|satellite|lock|device|robot)\b", re.I)),
    ("person", re.compile(r"\b(?:he|him|his|she|her)\b", re.I)),
    ("neutral", re.compile(r"\b(?:it|its|they|them|their)\b", re.I)),
)
_EN_WH_NOUN = re.compile(r"^\s*(?:which|what)\s+(?!is\b|was\b|are\b|were\b|did\b|does\b|do\b)\w+", re.I)


def _lang(text: str) -> str:
    return text_language(text)


def _zh_fragment(question: str, limits: RuleLimits) -> str | None:
    text = question.strip()
    m = _ZH_SWAP.match(text) or _ZH_BARE_SWAP.match(text)
    if m is None:
        return None
    x = m.group("x").strip()
    if not x or len(x) > limits.max_fragment_chars or _WH.search(x) or _find_ref(x, "zh") is not None:
        return None
    return x


def _en_fragment(question: str, limits: RuleLimits) -> str | None:
    m = _EN_SWAP.match(question)
    if m is None:
        return None
    x = (m.group("x") or m.group("y") or "").strip()
    if not x or len(x.split()) > limits.max_fragment_words or _EN_WH.search(x) or _find_ref(x, "en"):
        return None
    return x


def _find_ref(question: str, lang: str) -> tuple[RefType, re.Match[str]] | None:
    for ref_type, pattern in _ZH_REFS if lang == "zh" else _EN_REFS:
        m = pattern.search(question)
        if m is not None:
            return ref_type, m
    return None


def _elided(question: str, limits: RuleLimits) -> bool:
    """A Chinese question whose subject position names nothing ("成立于哪一年？", "生产效率提升了多少？")."""
    text = strip_filler(question)
    if len(text) > limits.max_elided_chars or starts_with_question_word(text):
        return False
    own = subject(text, max_chars=limits.max_subject_chars)
    return own is None or not is_named(own.text)


def follow_up_cue(question: str, limits: RuleLimits = RuleLimits()) -> Cue | None:
    """Whether a question needs the history, and why: a bare swapped slot ("那2023年呢？", "What about
    Efort?"), a pronoun or demonstrative ("它", "该公司", "it"), or a Chinese question without a subject
    ("成立于哪一年？"); None: it names its own topic and is read as it is."""
    lang = _lang(question)
    if (_zh_fragment(question, limits) if lang == "zh" else _en_fragment(question, limits)) is not None:
        return "swap"
    if _find_ref(question, lang) is not None:
        return "reference"
    if lang == "zh" and _elided(question, limits):
        return "elided"
    return None


# ---------------------------------------------------------------- swapped slot


def _replace(text: str, slot: Slot, new: str) -> str:
    return text[: slot.start] + new + text[slot.end :]


def swap_slot(question: str, previous: Turn, limits: RuleLimits = RuleLimits()) -> Rewrite | None:
    """The previous question with one slot replaced by the follow-up's fragment: its time ("那2023年呢？"
    after "截至2022年9月，…" → "截至2023年，…"), else its subject ("埃夫特呢？", "What about Shandong?")."""
    prev = previous.standalone
    if _lang(question) == "zh":
        x = _zh_fragment(question, limits)
        if x is None:
            return None
        if fragment_kind(x) == "time":
            body = re.sub(r"^(?:截至|截止到|截止|到|至|在|于)", "", x)
            slots = time_slots(prev)
            if slots:
                return Rewrite(_replace(prev, slots[0], body), "swap_time")
            return Rewrite(f"截至{body}，{prev}", "swap_time")
        same_head = swap_modifier(x, prev)
        if same_head is not None:
            return Rewrite(same_head, "swap_modifier")
        subj = subject(prev, max_chars=limits.max_subject_chars)
        if subj is None:
            return None
        return Rewrite(_replace(prev, subj, x), "swap_entity")
    x = _en_fragment(question, limits)
    if x is None:
        return None
    date = _EN_DATE_ONLY.match(x)
    if date is not None:
        slots = en_time_slots(prev)
        if slots:
            return Rewrite(_replace(prev, slots[0], date.group("d")), "swap_time")
        return Rewrite(re.sub(r"\s*\?*\s*$", "", prev) + f" in {date.group('d')}?", "swap_time")
    subj = en_subject(prev)
    if subj is None:
        return None
    new = en_owner(x) if en_possessive(subj.text) else x
    return Rewrite(_replace(prev, subj, new), "swap_entity")


# a noun phrase's modifier ends, walking back from its head, at a verb, number, measure word, particle,
# preposition, conjunction, pronoun or name ("有多少家|专精特新“小巨人”|企业", "山东的|专精特新|企业")
_MODIFIER_STOP_TAGS = ("v", "m", "q", "u", "p", "c", "r", "ns", "nr", "nt")
_MODIFIER_STOP_CHARS = "，,。？?！!、；;：:"


def swap_modifier(fragment: str, previous: str) -> str | None:
    """A swapped category: the previous question's noun phrase with the fragment's head noun gets the
    fragment's modifier ("那单项冠军企业呢？" after "有多少家专精特新“小巨人”企业入驻了1688？" →
    "有多少家单项冠军企业入驻了1688？"). None unless the fragment is a modifier plus a head word of two or
    more characters that occurs once in the previous question, after a modifier of its own."""
    words = [w for w, _ in pos_tag(fragment)]
    if len(words) < 2 or len(words[-1]) < 2 or previous.count(words[-1]) != 1:
        return None
    head = words[-1]
    modifier = fragment[: len(fragment) - len(head)].rstrip("的")
    at = previous.index(head)
    start = at
    for word, tag in reversed(pos_tag(previous[:at])):
        if tag.startswith(_MODIFIER_STOP_TAGS) or any(c in _MODIFIER_STOP_CHARS for c in word):
            break
        start -= len(word)
    if start == at or not modifier:
        return None
    return previous[:start] + modifier + previous[at:]


# ---------------------------------------------------------------- pronoun / demonstrative

_COMPATIBLE: dict[str, frozenset[str]] = {
    "person": frozenset({"person"}),
    "organization": frozenset({"organization"}),
    "place": frozenset({"place"}),
    "term": frozenset({"term", "organization"}),
    "neutral": frozenset({"organization", "place", "term"}),
}


_ZH_DESCRIBED = re.compile(
    r"^(?:哪|什么)[^是]{0,6}是(?P<d>.+?)[？?]*$|^(?P<e>.+?)是(?:哪|什么|谁)[^的]{0,4}[？?]*$"
)
_EN_DESCRIBED = re.compile(r"^\s*(?:which|what)\s+\w+\s+(?:was|is|were|are)\s+(?P<d>.+?)\s*\?*$", re.I)
# "Which company became …?" / "哪家公司成为了…？": the one that did it
_EN_DID = re.compile(
    r"^\s*(?:which|what)\s+(?P<n>company|firm|enterprise|product|city|province|person|organi[sz]ation|"
    r"institution|bank|platform|rocket|satellite|lock|robot)\s+(?P<d>(?!did\b|does\b|do\b|has\b|have\b)\w+.+?)"
    r"\s*\?*$",
    re.I,
)
_ZH_DID = re.compile(
    r"^(?:哪|什么)(?:家|个|款|位|种|座)?(?P<n>公司|企业|机构|城市|省份|地区|产品|人|单位|银行|平台|火箭|卫星)"
    r"(?P<d>[^是？?].+?)[？?]*$"
)


def described_answer(previous: Turn) -> str | None:
    """What an identity question described its answer as, for when it got none ("Which product was the
    first smart door lock to use palm-vein recognition?" → "the first smart door lock to use …")."""
    prev = previous.standalone
    zh = _lang(prev) == "zh"
    m = (_ZH_DESCRIBED if zh else _EN_DESCRIBED).match(prev.strip())
    if m is not None:
        text = (m.group("d") or m.groupdict().get("e") or "").strip()
        return text or None
    m = (_ZH_DID if zh else _EN_DID).match(prev.strip())
    # a description too short to single anything out ("哪个城市最多？") describes nothing
    if m is None or (len(m.group("d")) < 4 if zh else len(m.group("d").split()) < 3):
        return None
    if zh:
        return f"{m.group('d')}的{m.group('n')}"
    return f"the {m.group('n').lower()} that {m.group('d')}"


def referent(ref_type: RefType, previous: Turn, limits: RuleLimits = RuleLimits()) -> tuple[str, str] | None:
    """What a pronoun of ``ref_type`` points at: ("answer", text) or ("subject", text).

    The previous answer when its type fits the pronoun (他 → a person answer, 该公司 → an organization) and,
    for a neutral 它/it, when the previous question named no subject of its own ("哪家公司…", "Which
    product…"); else the previous question's subject.
    """
    prev = previous.standalone
    zh = _lang(prev) == "zh"
    subj = subject(prev, max_chars=limits.max_subject_chars) if zh else en_subject(prev)
    named = subj is not None and (is_named(subj.text) if zh else True)
    answer = previous.answer
    answer_type = classify_question(prev).answer_type
    too_long = answer is not None and len(answer) > limits.max_answer_referent_chars
    if (answer is None or too_long) and answer_type != "person":  # point at what the question described
        answer = described_answer(previous) or answer
    fits = answer is not None and answer_type in _COMPATIBLE[ref_type]
    if subj is not None and not zh:
        subj = Slot(subj.kind, en_entity(subj.text), subj.start, subj.end)  # as a referent, not a possessive
    if ref_type == "neutral":
        asks_topic = starts_with_question_word(prev) if zh else bool(_EN_WH_NOUN.match(prev))
        if fits and (asks_topic or not named):
            return "answer", answer or ""
        if named and subj is not None:
            return "subject", subj.text
        return ("answer", answer or "") if fits else None
    if fits:
        return "answer", answer or ""
    if named and subj is not None:
        return "subject", subj.text
    return None


def refer_back(question: str, previous: Turn, limits: RuleLimits = RuleLimits()) -> Rewrite | None:
    """The follow-up with its pronoun or demonstrative replaced by what it points at ("它的董事长是谁？"
    → "浙江众成的董事长是谁？", "When was it founded?" → "When was Weimai Medical (唯迈医疗) founded?")."""
    lang = _lang(question)
    found = _find_ref(question, lang)
    if found is None:
        return None
    ref_type, m = found
    target = referent(ref_type, previous, limits)
    if target is None:
        return None
    source, text = target
    word = m.group().lower()
    possessive = word in ("its", "their") or (word == "his" and ref_type == "person")
    new = en_owner(text) if lang == "en" and possessive else text
    return Rewrite(question[: m.start()] + new + question[m.end() :], f"refer_{source}")


# ---------------------------------------------------------------- another attribute of the same subject


def carry_subject(question: str, previous: Turn, limits: RuleLimits = RuleLimits()) -> Rewrite | None:
    """A Chinese question without a subject gets the previous one's ("成立于哪一年？" after "唯迈医疗的
    创始人是谁？" → "唯迈医疗成立于哪一年？"), or the previous answer when that question named none."""
    if _lang(question) != "zh" or not _elided(question, limits):
        return None
    prev = previous.standalone
    subj = subject(prev, max_chars=limits.max_subject_chars)
    text = strip_filler(question)
    if subj is not None and is_named(subj.text):
        return Rewrite(subj.text + text, "carry_subject")
    answer_type = classify_question(prev).answer_type
    if previous.answer and answer_type in ("organization", "place", "person", "term"):
        return Rewrite(previous.answer + text, "carry_answer")
    return None
