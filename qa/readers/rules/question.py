"""Question analysis for the rule reader: the expected answer type, the text left and right of the question
word, the content words (weighted by length), the characters and bigrams, a time the question names, and
whether it asks for several things."""

from __future__ import annotations

import re
from dataclasses import dataclass

from qa.readers.rules.answer_types import QuestionType, classify_question
from qa.readers.rules.dates import question_time
from qa.readers.rules.glossary import EN_UNITS, ENGLISH_GLOSSARY
from qa.readers.rules.text import CJK_OR_WORD
from qa.tokenize import normalize_same_length, tokenize

_STOP_CHARS = frozenset(
    "的了是在和与及或也都而就被把对于从为以之其这那有吗呢吧啊么哪几谁何多少什怎样如个些年月日"
)
_QUESTION_FLUFF = frozenset(
    {"请问", "一共", "总共", "共有", "分别", "主要", "目前", "当前", "现在", "哪些", "具体"}
)
_NEAR_CUE_CHARS = 3  # a question term this close to the question word belongs to what is asked
_PLURAL_CUE = re.compile(
    r"哪些|哪几|哪两|哪三|哪四|几个(?:城市|地方|公司|企业|人)|"
    r"which (?:cities|companies|provinces|people|firms)"
)


@dataclass(frozen=True)
class Question:
    """A question as the rule reader sees it."""

    text: str
    norm: str
    qtype: QuestionType
    terms: tuple[tuple[str, float, int], ...]  # (term, base weight, side: -1 before the cue, +1 after, 0)
    chars: frozenset[str]  # content characters of the question
    bigrams: frozenset[str]  # character bigrams of the question's content (quotes and spaces removed)
    left: str  # normalized text before the question word (Chinese)
    right: str  # normalized text after the question word
    time: str | None  # a date the question names ("2021", "2022-09"), if any
    plural: bool  # the question asks for several things ("哪些", "哪两个", "which cities")
    near: frozenset[str]  # terms right next to the question word: what exactly is asked ("哪一年[成立]")


def _english_terms(question: str, norm: str) -> list[str]:
    """Chinese glossary terms, Chinese names written in the question and Latin/number tokens of it."""
    out: list[str] = [tok for run in re.findall(r"[\u3400-\u9fff]+", norm) for tok in tokenize(run)]
    words = re.findall(r"[a-z0-9][a-z0-9\-&.]*", norm)
    # names that may appear as such in Chinese text: acronyms, CamelCase, letters with digits ("V5", "B2B")
    names = {
        w.casefold()
        for w in re.findall(r"[A-Za-z0-9][A-Za-z0-9\-&]*", question)
        if any(ch.isdigit() for ch in w) or sum(ch.isupper() for ch in w) >= 2
    }
    i = 0
    while i < len(words):
        for n in (3, 2, 1):
            phrase = " ".join(words[i : i + n])
            if len(words[i : i + n]) == n and phrase in ENGLISH_GLOSSARY:
                out.extend(ENGLISH_GLOSSARY[phrase])
                i += n
                break
        else:
            w = words[i].strip(".-")
            if w and w in names:
                out.append(w)
            i += 1
    return out


def analyse_question(question: str) -> Question:
    """Everything the rule reader needs to know about ``question`` (Chinese or English)."""
    qtype = classify_question(question)
    norm = normalize_same_length(question)
    if qtype.lang == "zh":
        cue_s, cue_e = (qtype.cue_start, qtype.cue_end) if qtype.cue_start >= 0 else (len(norm), len(norm))
        left = norm[:cue_s].rstrip("，,、 ")
        right = re.sub(r"[？?！!。\s]+$", "", norm[cue_e:])
        if qtype.focus and norm.startswith(qtype.focus, cue_e):
            cue_e += len(qtype.focus)  # "哪个城市": the type noun is part of the question word, not content
        raw_terms: list[tuple[str, int]] = []
        near: set[str] = set()
        for tok in tokenize(question):
            if (
                tok in _QUESTION_FLUFF
                or (qtype.cue and tok in qtype.cue)
                or (qtype.focus and tok in qtype.focus)
            ):
                continue
            pos = norm.find(tok)
            side = 0 if pos < 0 else (-1 if pos < cue_s else (1 if pos >= cue_e else 0))
            raw_terms.append((tok, side))
            if pos >= 0 and (
                cue_s - (pos + len(tok)) <= _NEAR_CUE_CHARS if pos < cue_s else pos - cue_e <= _NEAR_CUE_CHARS
            ):
                near.add(tok)
        chars = frozenset(
            ch
            for i, ch in enumerate(norm)
            if CJK_OR_WORD.match(ch) and ch not in _STOP_CHARS and not cue_s <= i < cue_e
        )
    else:
        left = right = ""
        raw_terms = [(t, 0) for t in _english_terms(question, norm)]
        near = set()
        chars = frozenset(
            ch for t, _ in raw_terms for ch in t if CJK_OR_WORD.match(ch) and ch not in _STOP_CHARS
        )
        if qtype.answer_type == "quantity" and qtype.unit is None:
            after = norm[qtype.cue_end :].split()
            for word in after[:3]:
                if word.strip("?,.") in EN_UNITS:
                    qtype = QuestionType(
                        qtype.answer_type,
                        qtype.lang,
                        qtype.cue,
                        qtype.cue_start,
                        qtype.cue_end,
                        EN_UNITS[word.strip("?,.")],
                        qtype.focus,
                    )
                    break
    seen: dict[str, tuple[float, int]] = {}
    for tok, side in raw_terms:
        if tok in seen:
            continue
        weight = 1.0 + 0.5 * min(len(tok) - 1, 3) if CJK_OR_WORD.search(tok) else 0.0
        if tok.isdigit() and len(tok) <= 2:
            weight *= 0.5
        if weight > 0:
            seen[tok] = (weight, side)
    terms = tuple((t, w, s) for t, (w, s) in seen.items())
    content = "".join(ch for ch in norm if CJK_OR_WORD.match(ch))
    if qtype.lang == "en":
        content = " ".join(t for t, _ in raw_terms)
    bigrams = frozenset(content[i : i + 2] for i in range(len(content) - 1))
    plural = bool(_PLURAL_CUE.search(qtype.cue or "") or _PLURAL_CUE.search(norm))
    return Question(
        question,
        norm,
        qtype,
        terms,
        chars,
        bigrams,
        left,
        right,
        question_time(norm, english=qtype.lang == "en"),
        plural,
        frozenset(t for t in near if t in dict((t, 0) for t, _, _ in terms)),
    )

