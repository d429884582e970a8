"""Candidate answer spans in Chinese text: clauses, quantities, dates, quoted terms and POS-tagged entities.

Every span carries character offsets into the text it was found in, so an answer can always be cited as
``text[start:end]``. Numbers and dates come from regular expressions (Arabic and Chinese numerals);
names and noun phrases come from ``jieba.posseg`` (loaded lazily, once per process).
"""

from __future__ import annotations

import functools
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Literal

SpanKind = Literal[
    "quantity",
    "ordinal",
    "date",
    "quote",
    "title",
    "person",
    "place",
    "organization",
    "entity",
    "noun",
    "clause",
]
SPAN_KINDS: tuple[SpanKind, ...] = (
    "quantity", "ordinal", "date", "quote", "title", "person", "place", "organization", "entity", "noun",
    "clause",
)  # fmt: skip


@dataclass(frozen=True)
class Span:
    """A candidate answer: ``source[start:end] == text``; ``unit`` is the measure word of a quantity."""

    start: int
    end: int
    text: str
    kind: SpanKind
    unit: str | None = None


# --------------------------------------------------------------------------- sentences and clauses

_SENTENCE_END = "。！？!?；;…\n"
_CLAUSE_END = _SENTENCE_END + "，,：:"  # 、 separates list items, not clauses
_CLOSERS = "”’」』》）)\"'】"
_SPACE = " \t\r\u3000\xa0"


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
        while s < e and text[s] in _SPACE + "\n":
            s += 1
        while e > s and text[e - 1] in _SPACE + "\n":
            e -= 1
        if e > s:
            spans.append((s, e))
    return spans


def split_sentences(text: str) -> list[tuple[int, int]]:
    """Sentence spans of ``text`` (at 。！？；… and newlines, closing quotes kept with their sentence)."""
    return _split(text, _SENTENCE_END)


def split_clauses(text: str, start: int = 0, end: int | None = None) -> list[tuple[int, int]]:
    """Clause spans of ``text[start:end]`` (sentence ends plus ，：), as offsets into ``text``."""
    end = len(text) if end is None else end
    return [(start + s, start + e) for s, e in _split(text[start:end], _CLAUSE_END)]


# --------------------------------------------------------------------------- numbers and quantities

CN_DIGITS = "零〇一二三四五六七八九两壹贰叁肆伍陆柒捌玖"
CN_MAGNITUDES = "十百千万亿拾佰仟萬億"
_NUM = rf"(?:\d+(?:,\d{{3}})*(?:\.\d+)?[{CN_MAGNITUDES}]*|[{CN_DIGITS}{CN_MAGNITUDES}]+)"
_ARABIC_NUM = r"\d+(?:,\d{3})*(?:\.\d+)?"
# Degree words that belong to the answer ("近500家", "超过10%"); plain "共/达" stay outside the span.
QUANTITY_PREFIXES: tuple[str, ...] = (
    "超过了", "超过", "超", "近", "约", "逾", "不足", "不到", "将近", "大约", "多达", "至少", "最多",
    "高达", "仅", "约为",
    "不超过", "不少于", "不低于", "不高于", "不超", "达到了",
)  # fmt: skip
QUANTITY_SUFFIXES: tuple[str, ...] = ("以上", "以下", "以内", "左右", "上下", "有余", "多", "余")
# Measure words and units, longest first so "亿元" wins over "亿" and "个百分点" over "个".
UNITS: tuple[str, ...] = tuple(
    sorted(
        [
            "个百分点",
            "百分点",
            "平方公里",
            "平方米",
            "平方千米",
            "立方米",
            "人民币",
            "美元",
            "美金",
            "欧元",
            "日元",
            "港元",
            "英镑",
            "亿元",
            "万元",
            "千元",
            "元",
            "块钱",
            "块",
            "公里",
            "千米",
            "厘米",
            "毫米",
            "纳米",
            "微米",
            "公分",
            "公尺",
            "英尺",
            "英里",
            "英寸",
            "海里",
            "米",
            "磅",
            "盎司",
            "马力",
            "公升",
            "公斤",
            "千克",
            "克",
            "毫克",
            "吨",
            "斤",
            "亩",
            "公顷",
            "瓦",
            "千瓦",
            "兆瓦",
            "度",
            "升",
            "毫升",
            "摄氏度",
            "小时",
            "分钟",
            "秒钟",
            "秒",
            "毫秒",
            "周",
            "星期",
            "个月",
            "年",
            "天",
            "日",
            "岁",
            "世纪",
            "家次",
            "人次",
            "场次",
            "架次",
            "家",
            "个",
            "人",
            "名",
            "位",
            "条",
            "项",
            "件",
            "台",
            "辆",
            "种",
            "类",
            "次",
            "场",
            "批",
            "篇",
            "所",
            "座",
            "只",
            "套",
            "份",
            "户",
            "级",
            "届",
            "期",
            "页",
            "部",
            "册",
            "本",
            "张",
            "架",
            "艘",
            "块",
            "颗",
            "枚",
            "棵",
            "株",
            "头",
            "匹",
            "间",
            "栋",
            "层",
            "节",
            "首",
            "部",
            "集",
            "款",
            "倍",
            "成",
            "%",
            "％",
            "‰",
            "笔",
            "轮",
            "支",
            "门",
            "股",
            "片",
            "宗",
            "起",
            "例",
            "组",
            "对",
            "双",
            "代",
            "亿",
            "万",
        ],
        key=len,
        reverse=True,
    )
)
_UNIT_RE = "|".join(re.escape(u) for u in UNITS)
_PREFIX_RE = "|".join(re.escape(p) for p in sorted(QUANTITY_PREFIXES, key=len, reverse=True))
_SUFFIX_RE = "|".join(re.escape(s) for s in QUANTITY_SUFFIXES)
_RANGE_SEP = r"(?:至|到|~|～|-|－|—|–)"
_QUANTITY = re.compile(
    rf"(?:(?P<prefix>{_PREFIX_RE}))?"
    rf"(?P<num>{_NUM}(?:\s*(?:多|余|几))?(?:{_RANGE_SEP}{_NUM})?)"
    rf"\s*(?P<unit>{_UNIT_RE})"
    rf"(?P<suffix>{_SUFFIX_RE})?"
)
_PERCENT_CN = re.compile(rf"(?:(?P<prefix>{_PREFIX_RE}))?百分之[{CN_DIGITS}{CN_MAGNITUDES}点\d.]+")
_BARE_NUMBER = re.compile(rf"(?<![\w.]){_ARABIC_NUM}(?![\w.%％])")
_ORDINAL = re.compile(rf"第[\d{CN_DIGITS}{CN_MAGNITUDES}]+(?:{_UNIT_RE})?")


def _is_number(text: str) -> bool:
    """True when a matched numeral really is a number (not the 一 of 一些 or the 万 of 万物)."""
    stripped = text.strip()
    if any(ch.isdigit() for ch in stripped):
        return True
    return any(ch in CN_DIGITS for ch in stripped) or len(stripped) >= 2


def find_quantities(text: str) -> list[Span]:
    """Numbers with their measure word/unit ("8997家", "1.6亿元", "超四成", "百分之二十", "3天以下")."""
    out: list[Span] = []
    for m in _QUANTITY.finditer(text):
        num, unit = m.group("num"), m.group("unit")
        if not _is_number(num):
            continue
        if unit in ("亿", "万") and not any(ch.isdigit() for ch in num):
            continue  # "一万" alone is handled with its measure word; bare "十万" is rarely an answer
        if unit == "年" and re.fullmatch(r"\d{4}", num.strip()):
            continue  # a calendar year is a date, not a duration
        if unit in ("日", "月") and num.strip().isdigit():
            continue  # "14日", "9月" are days/months of a date
        out.append(Span(m.start(), m.end(), m.group(), "quantity", unit))
    for m in _PERCENT_CN.finditer(text):
        out.append(Span(m.start(), m.end(), m.group(), "quantity", "%"))
    covered = [(s.start, s.end) for s in out]
    for m in _BARE_NUMBER.finditer(text):
        if any(s <= m.start() < e for s, e in covered):
            continue
        out.append(Span(m.start(), m.end(), m.group(), "quantity", None))
    for m in _ORDINAL.finditer(text):
        out.append(Span(m.start(), m.end(), m.group(), "ordinal", None))
    return out


# --------------------------------------------------------------------------- dates

_YEAR = r"(?:1[0-9]{3}|20[0-9]{2}|[一二三四五六七八九〇零]{4})"
_MONTH = r"(?:1[0-2]|0?[1-9]|十[一二]?|[一二三四五六七八九])"
_DAY = r"(?:3[01]|[12][0-9]|0?[1-9]|[二三]?十[一二三四五六七八九]?|[一二三四五六七八九])"
_TIME_OF_DAY = (
    r"(?:(?:上午|下午|晚上|早上|凌晨|中午|傍晚|晚|早)?\d{1,2}(?:点|时)(?:\d{1,2}分|半)?"
    r"|上午|下午|晚上|凌晨|晚)"
)
_DATE = re.compile(
    rf"(?:(?P<year>{_YEAR})\s*年(?:\s*(?P<month>{_MONTH})\s*月(?:\s*(?P<day>{_DAY})\s*[日号])?)?"
    rf"|(?P<month2>{_MONTH})\s*月\s*(?P<day2>{_DAY})\s*[日号]"
    rf"|(?P<iso>(?:19|20)\d{{2}}-[01]\d-[0-3]\d))"
    rf"(?:{_TIME_OF_DAY})?"
    rf"(?:(?:初|底|末|上半年|下半年|年初|年底|年末|中旬|上旬|下旬))?"
)
_DATE_RANGE = re.compile(rf"(?P<a>{_YEAR})\s*年\s*{_RANGE_SEP}\s*(?P<b>{_YEAR})\s*年")
_MONTH_ONLY = re.compile(rf"(?<![\d年]){_MONTH}月(?:份)?(?:\d{{1,2}}[日号])?")
_CN_DIGIT_VALUE = {ch: i for i, ch in enumerate("〇一二三四五六七八九")} | {"零": 0, "两": 2}


def _cn_int(text: str) -> int | None:
    """Value of a small Chinese or Arabic numeral ("十二" → 12, "二〇二二" → 2022, "09" → 9)."""
    text = text.strip()
    if text.isdigit():
        return int(text)
    if text and all(ch in _CN_DIGIT_VALUE for ch in text):
        return int("".join(str(_CN_DIGIT_VALUE[ch]) for ch in text))
    if "十" in text:
        head, _, tail = text.partition("十")
        tens = _CN_DIGIT_VALUE.get(head, 1) if head else 1
        ones = _CN_DIGIT_VALUE.get(tail, 0) if tail else 0
        return tens * 10 + ones
    return None


def find_dates(text: str) -> list[Span]:
    """Date and time expressions ("2019年6月18日", "2020年7月", "2022年", "9月14日上午8点", "2022-03-23")."""
    out: list[Span] = []
    for m in _DATE.finditer(text):
        if m.group().strip():
            out.append(Span(m.start(), m.end(), m.group(), "date"))
    for m in _DATE_RANGE.finditer(text):
        out.append(Span(m.start(), m.end(), m.group(), "date"))
    covered = [(s.start, s.end) for s in out]
    for m in _MONTH_ONLY.finditer(text):
        if not any(s <= m.start() < e for s, e in covered):
            out.append(Span(m.start(), m.end(), m.group(), "date"))
    return out


def parse_date(text: str) -> str | None:
    """The date a date expression names, as ISO text at its precision ("2022-09", "2023"), or None."""
    m = _DATE.search(text)
    if m is None:
        return None
    if m.group("iso"):
        return m.group("iso")
    if m.group("year") is None:
        return None
    year = _cn_int(m.group("year"))
    if year is None:
        return None
    out = f"{year:04d}"
    month = _cn_int(m.group("month")) if m.group("month") else None
    if month is not None and 1 <= month <= 12:
        out += f"-{month:02d}"
        day = _cn_int(m.group("day")) if m.group("day") else None
        if day is not None and 1 <= day <= 31:
            out += f"-{day:02d}"
    return out


# "到2025年，培育…" / "计划到2025年": a target date, not the date a fact holds at.
_TARGET_BEFORE = ("到", "至", "计划", "力争", "预计", "争取", "将在", "将于")


def as_of_date(text: str) -> str | None:
    """The date a statement is explicitly made as of ("截至2022年9月…" → "2022-09"), else None."""
    for m in re.finditer(rf"(?:截至|截止)(?:到)?\s*(?P<d>{_DATE.pattern})", text):
        parsed = parse_date(m.group("d"))
        if parsed:
            return parsed
    return None


def mentioned_dates(text: str) -> list[str]:
    """ISO dates of the date expressions in ``text`` that are not targets ("到2025年…"), in text order."""
    out = []
    for span in find_dates(text):
        before = text[max(0, span.start - 2) : span.start]
        if any(before.endswith(t) for t in _TARGET_BEFORE) and not before.endswith(("截至", "截止")):
            continue
        parsed = parse_date(span.text)
        if parsed:
            out.append(parsed)
    return out


# --------------------------------------------------------------------------- quoted terms

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


# --------------------------------------------------------------------------- POS-tagged entities

ORG_SUFFIXES: tuple[str, ...] = (
    "有限责任公司", "股份有限公司", "有限公司", "公司", "集团", "科技", "研究院", "研究所", "研究中心",
    "实验室",
    "委员会", "协会", "学会", "联合会", "银行", "大学", "学院", "医院", "中心", "部", "局", "厅", "署", "办",
    "委", "会", "院", "所", "社", "日报", "晚报", "电视台", "网站", "平台", "工作室", "基金", "联盟",
)  # fmt: skip
_ORG_WORD_SUFFIXES = (
    "公司",
    "集团",
    "研究院",
    "研究所",
    "委员会",
    "协会",
    "银行",
    "大学",
    "学院",
    "医院",
    "中心",
)
PLACE_SUFFIXES: tuple[str, ...] = (
    "省", "市", "县", "区", "镇", "乡", "村", "州", "国", "岛", "山", "河", "湖", "江", "海", "洲", "港",
    "城",
    "开发区", "园区", "经开区", "新区", "地区", "街道",
)  # fmt: skip
_NOUN_TAGS = frozenset(
    {"n", "vn", "an", "nz", "nt", "ns", "nr", "nrt", "nrfg", "ng", "eng", "j", "l", "i", "s"}
)
_HEAD_TAGS = _NOUN_TAGS - {"vn", "an", "l", "i"}  # a merged noun phrase must end in one of these
_MODIFIER_TAGS = frozenset({"a", "b"})
_ENTITY_KIND: dict[str, SpanKind] = {
    "nr": "person", "nrfg": "person", "nrt": "person", "ns": "place", "nt": "organization", "nz": "entity",
    "eng": "entity", "j": "entity",
}  # fmt: skip
_NUMERALISH = re.compile(rf"[\d{CN_DIGITS}{CN_MAGNITUDES}几半多余第]")
_HEADLESS = frozenset("的地得了着过是在和与及或等")


class JiebaUnavailableError(ImportError):
    """jieba (with its posseg tagger) is needed for entity spans."""


@functools.lru_cache(maxsize=1)
def pos_tagger() -> Any:
    """The process-wide jieba part-of-speech tagger, created once (the dictionary load costs ~1 s)."""
    try:
        import jieba
        import jieba.posseg
    except ImportError as exc:  # pragma: no cover - jieba is a core dependency
        raise JiebaUnavailableError("entity spans need jieba: pip install jieba") from exc
    from qa.tokenize import jieba_tokenizer

    jieba.setLogLevel(30)  # WARNING: keep "Building prefix dict" chatter off stderr (jieba's own logger only)
    return jieba.posseg.POSTokenizer(jieba_tokenizer())


@functools.lru_cache(maxsize=4096)
def pos_tag(text: str, hmm: bool = True) -> tuple[tuple[str, str], ...]:
    """(word, tag) pairs of ``text`` from jieba.posseg; cached.

    ``hmm=True`` keeps unknown names whole (slow: ~40k chars/s); ``hmm=False`` is ~8x faster and leaves them
    as single characters, which :func:`find_entities` merges back into noun runs.
    """
    return tuple((p.word, p.flag) for p in pos_tagger().cut(text, HMM=hmm))


def _org_head(text: str) -> bool:
    """True when ``text`` ends like an organization name ("…有限公司", "工信部"), a name before its head."""
    for suffix in ORG_SUFFIXES:
        if text.endswith(suffix):
            return len(text) >= len(suffix) + (2 if len(suffix) == 1 else 1)
    return False


def _entity_kind(text: str, tags: Sequence[str]) -> SpanKind:
    """Classify a word or merged noun phrase by its tags and its head (last characters)."""
    if all(t in ("nr", "nrfg", "nrt") for t in tags) and len(text) <= 4:
        return "person"  # a surname and a given name tagged apart ("蔡" + "天宇")
    if len(tags) == 1 and tags[0] in _ENTITY_KIND and tags[0] != "nz":
        return _ENTITY_KIND[tags[0]]
    if _org_head(text) and tags[-1] not in ("nr", "nrfg", "nrt"):
        return "organization"
    if all(t == "ns" for t in tags) or (
        text.endswith(PLACE_SUFFIXES) and "ns" in tags and all(t in ("ns", "n") for t in tags)
    ):
        return "place"
    if len(tags) == 1:
        return _ENTITY_KIND.get(tags[0], "noun")
    if "nt" in tags:
        return "organization"
    if any(t in ("nz", "eng", "ns", "nr", "j") for t in tags[:-1]) or tags[-1] in ("nz", "eng", "j"):
        return "entity"
    return "noun"


def find_entities(text: str, *, max_words: int = 6, hmm: bool = True) -> list[Span]:
    """Named entities and noun phrases: single tagged words plus maximal runs of nouns (and modifiers)."""
    pairs = tuple(
        (w, "nz" if t == "m" and not _NUMERALISH.search(w) else t)  # "众成" tagged m: a name, not a number
        for w, t in pos_tag(text, hmm)
    )
    words: list[tuple[int, int, str, str]] = []
    pos = 0
    for word, tag in pairs:
        words.append((pos, pos + len(word), word, tag))
        pos += len(word)
    out: list[Span] = []
    seen: set[tuple[int, int]] = set()

    def add(s: int, e: int, tags: Sequence[str]) -> None:
        span_text = text[s:e]
        if (s, e) in seen or not span_text.strip() or span_text[0] in _HEADLESS or span_text[-1] in _HEADLESS:
            return
        seen.add((s, e))
        out.append(Span(s, e, span_text, _entity_kind(span_text, tags)))

    for s, e, word, tag in words:
        if len(word) >= 2 and (tag in _ENTITY_KIND or tag in _NOUN_TAGS):
            add(s, e, [tag])
    i = 0
    while i < len(words):
        if words[i][3] not in _NOUN_TAGS and words[i][3] not in _MODIFIER_TAGS:
            i += 1
            continue
        j = i
        while (
            j < len(words)
            and (words[j][3] in _NOUN_TAGS or words[j][3] in _MODIFIER_TAGS)
            and j - i < max_words
        ):
            j += 1
        # the run must end in a noun; a dangling modifier ("精密") is dropped from the end
        k = j
        while k > i and words[k - 1][3] not in _HEAD_TAGS:
            k -= 1
        if k - i >= 2:
            tags = [w[3] for w in words[i:k]]
            add(words[i][0], words[k - 1][1], tags)
            # an organization name inside a longer run ("…有限公司生产车间" → "…有限公司")
            for m in range(i + 1, k - 1):
                if _org_head(words[m][2]) or words[m][2].endswith(_ORG_WORD_SUFFIXES):
                    add(words[i][0], words[m][1], [w[3] for w in words[i : m + 1]])
            # the head part without a leading place/modifier ("浙江华益精密机械有限公司" → also "华益…公司")
            if words[i][3] in ("ns", "a", "b", "f") and k - i >= 3:
                add(words[i + 1][0], words[k - 1][1], tags[1:])
        i = max(j, i + 1)
    return out


# --------------------------------------------------------------------------- all candidates


# Titles that precede a person's name in news text ("董事长易先云介绍", "新华社记者张辛欣").
PERSON_TITLES: tuple[str, ...] = (
    "董事长", "总经理", "副总经理", "总裁", "副总裁", "厂长", "院长", "副院长", "部长", "副部长", "局长",
    "主任", "副主任",
    "书记", "主席", "副主席", "会长", "副会长", "秘书长", "理事长", "总工程师", "工程师", "首席经济学家",
    "经济学家",
    "教授", "副教授", "研究员", "专家", "学者", "记者", "通讯员", "编辑", "作者", "创始人", "联合创始人",
    "负责人",
    "实控人", "总监", "经理", "行长", "副行长", "委员", "代表", "CEO", "ceo", "总经理助理", "校长", "市长",
    "省长", "老师",
    "医生", "律师", "分析师", "董秘", "总编", "主编", "总师", "总统", "总理", "首相", "国王", "皇帝",
    "教宗", "主教",
    "导演", "演员", "歌手", "球员", "教练", "运动员",
)  # fmt: skip
SPEECH_VERBS: tuple[str, ...] = (
    "说", "表示", "介绍", "告诉", "称", "指出", "认为", "透露", "回忆", "坦言", "强调", "提到", "建议",
    "解释", "举例",
    "对", "向", "在", "也", "就", "等", "和", "与", "则", "曾", "已", "还", "又", "都", "于", "算", "感叹",
    "阐述", "看来",
)  # fmt: skip
_TITLE_RE = "|".join(re.escape(t) for t in sorted(PERSON_TITLES, key=len, reverse=True))
_VERB_RE = "|".join(re.escape(v) for v in sorted(SPEECH_VERBS, key=len, reverse=True))
_TITLED_NAME = re.compile(
    rf"(?:{_TITLE_RE})(?P<name>[\u4e00-\u9fff]{{2,3}}?)(?=(?:{_VERB_RE})|[，,。：:；;、（(“]|$)"
)
_NOT_NAME_START = frozenset("的是在和与及或了等为将把被从对向也都就还又说称")


def find_titled_names(text: str) -> list[Span]:
    """Person names between a title and a speech verb or punctuation ("董事长易先云介绍" → "易先云")."""
    out = []
    for m in _TITLED_NAME.finditer(text):
        name = m.group("name")
        if name[0] in _NOT_NAME_START:
            continue
        out.append(Span(m.start("name"), m.end("name"), name, "person"))
    return out


_LISTABLE: tuple[SpanKind, ...] = ("place", "organization", "person", "entity")
_TRANSLITERATED = re.compile(r"[\u4e00-\u9fff]{1,8}(?:[·•・‧][\u4e00-\u9fff]{1,8})+")


_NAME_STOP = re.compile(rf"(?:{_TITLE_RE}|主演|领衔|名叫|[的是在于了和与及等为由从对向被把将自来说称到])")


def find_transliterated_names(text: str, *, max_first: int = 5) -> list[Span]:
    """Foreign names written with a middle dot ("伊芳·卡特菲", "总统布兰科·茨尔文科夫斯基" → "布兰科·…")."""
    out = []
    for m in _TRANSLITERATED.finditer(text):
        start, dot = m.start(), m.start() + re.search(r"[·•・‧]", m.group()).start()
        for stop in _NAME_STOP.finditer(text, start, dot):
            start = stop.end()  # the name starts after the last title or function word before the dot
        start = max(start, dot - max_first)
        end = m.end()
        last = text.rfind(text[dot], start, end) + 1  # the last name part ends at a verb or function word
        tail = _NAME_STOP.search(text, last, end)
        if tail:
            end = tail.start()
        pos = last
        for word, tag in pos_tag(text[last:end], False):
            if pos > last and (tag[0] in "vpdu" or tag in ("c", "f")) and len(word) >= 2:
                end = pos
                break
            pos += len(word)
        if dot - start >= 1 and end > dot + 1:
            out.append(Span(start, end, text[start:end], "person"))
    return out


_COORD = re.compile(r"\s*(?:、|和|与|及|以及|或)\s*")


def coordinate_spans(text: str, spans: Sequence[Span], *, max_items: int = 6) -> list[Span]:
    """Lists of same-kind entities joined by 、/和/与/及 ("北京和郑州", "唐山、邯郸") as one span each."""
    by_start: dict[int, list[Span]] = {}
    for span in spans:
        if span.kind in _LISTABLE:
            by_start.setdefault(span.start, []).append(span)
    out: list[Span] = []
    for first in spans:
        if first.kind not in _LISTABLE:
            continue
        end, items, kinds = first.end, 1, [first.kind]
        while items < max_items:
            m = _COORD.match(text, end)
            if m is None:
                break
            nxt = [s for s in by_start.get(m.end(), []) if s.kind in _LISTABLE]
            if not nxt:
                break
            best = max(nxt, key=lambda s: (s.kind == first.kind, s.end))
            end, items = best.end, items + 1
            kinds.append(best.kind)
        if items >= 2:
            kind = max(_LISTABLE, key=lambda k: (kinds.count(k), kinds[-1] == k))
            out.append(Span(first.start, end, text[first.start : end], kind))
    return out


def candidate_spans(
    text: str, start: int = 0, end: int | None = None, *, entities: bool = True, hmm: bool = True
) -> list[Span]:
    """All candidate spans inside ``text[start:end]`` (offsets into ``text``), by (start, -length, kind)."""
    end = len(text) if end is None else end
    if not 0 <= start <= end <= len(text):
        raise ValueError(f"span bounds {start}:{end} are outside a text of {len(text)} characters")
    piece = text[start:end]
    found = find_quantities(piece) + find_dates(piece) + find_quotes(piece)
    if entities:
        named = find_entities(piece, hmm=hmm) + find_titled_names(piece) + find_transliterated_names(piece)
        found += named + coordinate_spans(piece, named)
    orgs = [(sp.start, sp.end) for sp in found if sp.kind == "organization"]
    found = [
        sp
        for sp in found
        if not (
            sp.kind in ("place", "person")
            and any(a <= sp.start and sp.end <= b and (a, b) != (sp.start, sp.end) for a, b in orgs)
        )
    ]  # "浙江" of "浙江众大塑料有限公司" names no place of its own
    out: dict[tuple[int, int, str], Span] = {}
    for span in found:
        key = (span.start + start, span.end + start, span.kind)
        if key not in out:
            out[key] = Span(key[0], key[1], span.text, span.kind, span.unit)
    return sorted(out.values(), key=lambda s: (s.start, -(s.end - s.start), s.kind))


def candidate_spans_batch(texts: Sequence[str], *, entities: bool = True) -> list[list[Span]]:
    """Batch form of :func:`candidate_spans` over whole texts."""
    return [candidate_spans(t, entities=entities) for t in texts]
