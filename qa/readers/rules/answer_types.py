"""Question → expected answer type (quantity, time, person, ...), with the cue words that decided it.

Rules are ordered patterns over the question text, Chinese and English, most specific first: "什么时候" is a
time question before "什么" makes it a term question, "哪家公司" is an organization before "哪" makes it a
term. The analysis also keeps the unit a quantity question asks for ("多少家" → 家) and the head noun a
which-question names ("哪个城市" → 城市), which the reader uses to prefer matching candidates.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

from qa.errors import InputError
from qa.readers.rules.entities import PERSON_TITLES
from qa.readers.rules.numbers import UNITS
from qa.readers.rules.postag import pos_tag

AnswerType = Literal["quantity", "date", "person", "organization", "place", "reason", "term"]
ANSWER_TYPES: tuple[AnswerType, ...] = (
    "quantity",
    "date",
    "person",
    "organization",
    "place",
    "reason",
    "term",
)

_ORG_NOUNS = (
    "公司|企业|机构|部门|单位|组织|银行|大学|学校|学院|集团|平台|协会|医院|研究院|研究所|实验室|政府部门|部委|媒体|"
    "报社|电视台|网站|品牌|厂商|厂家|运营商|工厂|基金|交易所|券商|团队"
)
_PLACE_NOUNS = (
    "城市|省份|省|市|县|区|地区|国家|国|地方|地点|位置|区域|"
    "城镇|乡镇|村|州|大洲|洲|海域|河流|山|岛|开发区|园区"
)
_TIME_NOUNS = "时候|时间|年份|日期|时期|年代|季度|月份|时段|时刻|朝代"
_PERSON_NOUNS = (
    "人|人物|领导|官员|专家|学者|作者|负责人|创始人|董事长|总经理|院长|部长|教授|记者|选手|演员|歌手|球员"
)
_WHICH = r"哪(?:一|几|两|[二三四五六七八九十])?(?:个|家|位|所|座|条|种|类|些|名|批|款|项)?"
_UNIT_RE = "|".join(re.escape(u) for u in UNITS if u not in ("%", "％", "‰"))


def _alt(*parts: str) -> str:
    """Regex alternation of ``parts`` (kept as separate strings so the tables stay readable)."""
    return "|".join(parts)


# (type, pattern) in priority order; for Chinese the first pattern that matches decides the type.
_ZH_PATTERNS: tuple[tuple[AnswerType, str], ...] = (
    ("date", _alt(
        "何时", "几时", rf"什么(?:{_TIME_NOUNS})", rf"{_WHICH}(?:{_TIME_NOUNS}|年|天|日|月|一年|一天|一日)",
        "哪一?年", "哪一?天", "几月", "几号", "几点", "几日", "何年", "何日", "多会儿", "什么年代",
    )),
    # "为什么" but not "称为什么"/"被册封为什么官职" (as what), while "不对称为什么" is a why-question
    ("reason", _alt(
        r"(?<![成作认视改名封任译选列评定命立])(?<!(?<!对)称)为(?:什么|何)(?!种|等)",
        "何故", "什么原因", "原因是什么", "原因何在", "怎么回事", "凭什么",
    )),
    ("quantity", _alt(
        "多少",
        # not 哪几个/哪几种 ("which ones": in CMRC 2018 train, none of the 40 such answers is a number)
        rf"(?<!哪)几(?:个|家|名|位|条|项|件|台|辆|种|次|场|批|倍|成|岁|年|天|小时|分钟|秒|万|千|百|十|亿|(?:{_UNIT_RE}))",
        "第几", "多大", "多高", "多长", "多久", "多重", "多远", "多快", "多深", "多宽", "多厚", "多老",
        "比例", "占比", "比重", "百分之几", "几成", "几何", "多少倍", "增长了?多少", "份额", "规模有?多大",
        "增速", "增幅", "数量",
    )),
    ("person", _alt(
        "谁", "哪位", "何人", "什么人", "哪个人", "哪些人", rf"{_WHICH}(?:{_PERSON_NOUNS})(?![a-z])",
    )),
    ("organization", _alt(
        "哪家", "哪几家", rf"{_WHICH}(?:{_ORG_NOUNS})", rf"什么(?:{_ORG_NOUNS})", "何种机构",
    )),
    ("place", _alt(
        "哪里", "哪儿", "何处", "何地", "何方", "什么地方",
        "(?<=[在于到去自])哪(?![个家位种些年天一几])",
        rf"{_WHICH}(?:{_PLACE_NOUNS})", "什么(?:城市|国家|地区|省|地点)",
    )),
    ("reason", _alt(
        "如何", "怎样", "怎么", "怎么样", "怎么办", "什么方式", "什么方法", "什么途径", "通过什么", "靠什么",
        "采取了?(?:什么|哪些)(?:措施|办法)",
        # descriptions are answered by a clause too: "有什么用途", "特点是什么", "制备过程是什么"
        "有(?:什么|哪些)(?:作用|意义|影响|好处|优势|特点|特性|特征|用途|功能|优点|缺点|区别|不同|意图|目的)",
        "(?:作用|意义|影响|特点|特性|特征|用途|功能|目的|由来|过程|意图|习性|结果)(?:是|有)(?:什么|哪些)",
        "什么作用", "什么意义", "什么影响", "什么用途",
    )),
    ("term", _alt("什么样的?", "什么", "啥", "哪", "何种", "何为")),
    ("term", _alt("是指", "指的是", "称为", "叫做", "名称", "是否", "吗")),
)  # fmt: skip

_EN_PATTERNS: tuple[tuple[AnswerType, str], ...] = (
    ("date", _alt(
        r"\bwhen\b", r"\bwhat (?:year|date|day|month|time|period|decade)\b",
        r"\bwhich (?:year|date|day|month)\b",
        r"\bhow long ago\b", r"\bwhat time\b", r"\bin which year\b", r"\bsince when\b",
    )),
    ("quantity", _alt(
        r"\bhow (?:many|much|large|big|long|high|tall|far|fast|old|heavy|deep|wide|often)\b",
        r"\bwhat (?:is|was|are|were) (?:the )?(?:[\w']+ ){0,3}(?:total|number|amount|value|count|size|share|"
        r"proportion|percentage|rate|price|cost|revenue|output|growth)\b",
        r"\bwhat (?:percentage|percent|proportion|share|fraction|ratio|number|amount|size|rate)\b",
        r"\bnumber of\b", r"\bamount of\b", r"\bwhat is the (?:total|count|number|amount|share|size)\b",
    )),
    ("reason", _alt(r"\bwhy\b", r"\bfor what reason\b", r"\bwhat (?:caused|causes)\b")),
    ("person", _alt(
        r"\bwho\b", r"\bwhom\b", r"\bwhose\b",
        r"\b(?:which|what) (?:person|people|official|expert|executive|founder|co-founder|leader|"
        r"(?:vice )?president|chairman|chairwoman|ceo|manager|general manager|director|(?:vice )?minister|"
        r"engineer|chief engineer|economist|head|reporter|journalist|professor|scientist)\b",
        r"\bwhat is the name of the (?:person|founder|chairman|ceo|manager|director|minister)\b",
    )),
    ("organization", _alt(
        r"\b(?:which|what) (?:company|companies|organization|organisation|firm|firms|agency|ministry|"
        r"institution|institute|department|bank|university|platform|enterprise|enterprises|group|body|brand|"
        r"manufacturer)\b",
    )),
    ("place", _alt(
        r"\bwhere\b",
        r"\b(?:which|what) (?:city|cities|province|provinces|country|countries|region|regions|place|places|"
        r"area|location|district|town|county|state)\b",
    )),
    ("reason", _alt(r"\bhow\b", r"\bin what way\b", r"\bby what means\b")),
    ("term", _alt(
        r"\bwhat\b", r"\bwhich\b", r"\bname\b", r"\bcalled\b", r"\bknown as\b", r"\bdefine\b", r"\bis\b",
    )),
)  # fmt: skip

_ZH_RULES = tuple((t, re.compile(p)) for t, p in _ZH_PATTERNS)
_EN_RULES = tuple((t, re.compile(p, re.IGNORECASE)) for t, p in _EN_PATTERNS)

_CJK = re.compile(r"[\u3400-\u9fff]")
_UNIT_AFTER = re.compile(rf"(?:多少|几)(?P<unit>{_UNIT_RE}|%)")
_PERCENT_Q = re.compile(
    r"百分之几|百分比|比例|占比|比重|增速|增幅|percentage|percent|proportion|share|rate", re.I
)
_WH_WORD = re.compile(rf"{_WHICH}|什么|何种")
_FOCUS_STOP = frozenset("是的了在有会能要呢吗和与被把对给为做叫称用")


@dataclass(frozen=True)
class QuestionType:
    """The expected answer type of a question and the cue that decided it.

    ``cue_start``/``cue_end`` locate the question word in the question (-1 when none matched);
    ``unit`` is the measure word a quantity question names ("家", "亿元", "%"), ``focus`` the noun a
    which/what-question names ("城市", "技术").
    """

    answer_type: AnswerType
    lang: Literal["zh", "en"]
    cue: str | None = None
    cue_start: int = -1
    cue_end: int = -1
    unit: str | None = None
    focus: str | None = None


_LATIN_WORD = re.compile(r"[A-Za-z]{2,}")


def question_language(question: str) -> Literal["zh", "en"]:
    """ "en" when Latin words outnumber CJK characters ("Who runs Huibo Medical (汇博医疗)?"), else "zh"."""
    cjk = len(_CJK.findall(question))
    words = len(_LATIN_WORD.findall(question))
    return "en" if words > cjk or (cjk == 0) else "zh"


_PERSON_BEFORE = re.compile(rf"(?:{_PERSON_NOUNS}|{'|'.join(PERSON_TITLES)})(?:的|是|叫|名叫)*$")
_FOCUS_TAGS = frozenset({"n", "nz", "nt", "ns", "ng", "j", "nr", "eng", "an", "vn", "l", "s"})


def _focus(question: str, cue_start: int, cue_end: int) -> str | None:
    """The noun phrase right after a which/what cue ("哪个城市" → "城市", "哪家企业集团报道" → "企业集团")."""
    m = _WH_WORD.search(question, cue_start)
    start = m.end() if m is not None and m.start() < cue_end else cue_end
    words: list[str] = []
    for word, tag in pos_tag(question[start : start + 10]):
        if not words and word in (
            "个",
            "些",
            "种",
            "家",
            "位",
            "所",
            "类",
            "份",
            "部",
            "本",
            "项",
            "条",
            "款",
            "座",
            "一类",
            "一个",
            "一种",
            "一家",
            "一份",
            "一部",
            "一项",
        ):
            continue  # a classifier left after the cue
        if (
            tag in _FOCUS_TAGS
            and _CJK.search(word)
            and word[0] not in _FOCUS_STOP
            and (not words or tag != "vn")
        ):
            words.append(word)
            continue
        break
    focus = "".join(words)[:6]
    return focus if focus and focus not in ("么", "样") else None


def classify_question(question: str) -> QuestionType:
    """Infer what kind of answer ``question`` expects (Chinese or English question)."""
    if not isinstance(question, str):
        raise InputError(f"the question must be text, got {type(question).__name__}")
    return _classify(question)


@functools.lru_cache(maxsize=4096)  # readers ask for one question's type several times; the result is frozen
def _classify(question: str) -> QuestionType:
    lang = question_language(question)
    rules = _ZH_RULES if lang == "zh" else _EN_RULES
    text = question if lang == "zh" else question.lower()
    best: tuple[AnswerType, re.Match[str]] | None = None
    for answer_type, pattern in rules:
        m = pattern.search(text)
        if m is None:
            continue
        if lang == "zh":
            best = (answer_type, m)  # Chinese: the first rule wins ("什么时候" before "什么")
            break
        if best is None or m.start() < best[1].start():
            best = (answer_type, m)  # English: the earliest question phrase wins ("Which city … number of")
    if best is None:
        return QuestionType("term", lang)
    answer_type, m = best
    unit = None
    if answer_type == "quantity":
        u = _UNIT_AFTER.search(text)
        unit = u.group("unit") if u else None
        if unit is None and _PERCENT_Q.search(text):
            unit = "%"
    focus = (
        _focus(text, m.start(), m.end())
        if lang == "zh" and answer_type in ("organization", "place", "term", "person")
        else None
    )
    if answer_type == "term" and focus in ("名字", "姓名", "名") and _PERSON_BEFORE.search(text[: m.start()]):
        answer_type = "person"  # "董事长叫什么名字"
    return QuestionType(answer_type, lang, m.group(), m.start(), m.end(), unit, focus)


def classify_questions(questions: Sequence[str]) -> list[QuestionType]:
    """Batch form of :func:`classify_question`."""
    return [classify_question(q) for q in questions]


def infer_answer_type(question: str) -> AnswerType:
    """Just the expected answer type of ``question``."""
    return classify_question(question).answer_type
