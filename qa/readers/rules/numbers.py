"""Numbers with their measure words ("8997家", "1.6亿元", "超四成", "百分之二十", "3天以下") and
ordinals, found by regular expressions over Arabic and Chinese numerals."""

from __future__ import annotations

import re

from qa.readers.rules.span import Span

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
RANGE_SEP = r"(?:至|到|~|～|-|－|—|–)"  # "4000至6000家", "2019年至2022年"
_QUANTITY = re.compile(
    rf"(?:(?P<prefix>{_PREFIX_RE}))?"
    rf"(?P<num>{_NUM}(?:\s*(?:多|余|几))?(?:{RANGE_SEP}{_NUM})?)"
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


_CN_VALUES = dict(zip("〇一二三四五六七八九", range(10), strict=True))
_CN_VALUES |= {"零": 0, "两": 2} | dict(zip("壹贰叁肆伍陆柒捌玖", range(1, 10), strict=True))
_SMALL_MAGNITUDES = {"十": 10, "拾": 10, "百": 100, "佰": 100, "千": 1000, "仟": 1000}
_BIG_MAGNITUDES = {"万": 10**4, "萬": 10**4, "亿": 10**8, "億": 10**8}
# a measure word that scales its number into another's: "九成" is 90%, "1.6亿元" is 1.6e8 元
_UNIT_SCALES: dict[str, tuple[str, float]] = {
    "成": ("%", 10.0),
    "％": ("%", 1.0),
    "百分点": ("个百分点", 1.0),
    "亿元": ("元", 1e8),
    "万元": ("元", 1e4),
    "千元": ("元", 1e3),
    "美金": ("美元", 1.0),
    "千米": ("公里", 1.0),
    "千克": ("公斤", 1.0),
    "星期": ("周", 1.0),
}
_VALUE = re.compile(rf"^(?:{_PREFIX_RE})?(?P<num>{_NUM})(?:多|余)?(?P<unit>{_UNIT_RE})?(?:{_SUFFIX_RE})?$")


def _cn_number(text: str) -> float | None:
    """The value of a Chinese numeral ("一千二百", "两万", "十五"); None when it is not one."""
    total, section, digit = 0, 0, None
    for ch in text:
        if ch in _CN_VALUES:
            if digit is not None:
                return None  # "一二" is not a number
            digit = _CN_VALUES[ch]
        elif ch in _SMALL_MAGNITUDES:
            section += (1 if digit is None else digit) * _SMALL_MAGNITUDES[ch]
            digit = None
        elif ch in _BIG_MAGNITUDES:
            section += digit or 0
            total = (total + section) * _BIG_MAGNITUDES[ch]
            section, digit = 0, None
        else:
            return None
    return float(total + section + (digit or 0))


def _number(text: str) -> float | None:
    """The value of a numeral with Arabic digits and magnitudes ("1.2万", "2.87万亿", "1,600") or in
    Chinese ("九", "一千二百"); None when it is not one."""
    m = re.fullmatch(rf"(?P<digits>{_ARABIC_NUM})(?P<mags>[{CN_MAGNITUDES}]*)", text)
    if not m:
        return _cn_number(text)
    value = float(m.group("digits").replace(",", ""))
    for ch in m.group("mags"):
        value *= _SMALL_MAGNITUDES.get(ch) or _BIG_MAGNITUDES[ch]
    return value


def quantity_value(text: str) -> tuple[float, str] | None:
    """The value of one stated quantity and its measure word, scaled into a common one ("超九成" → (90.0,
    "%"), "1.6亿元" → (1.6e8, "元"), "近2000家" → (2000.0, "家")); None for a range, an ordinal, a number
    without a measure word or anything else, so that only figures that can be compared are."""
    m = _VALUE.match(text.strip())
    if not m or not m.group("unit"):
        return None
    value = _number(m.group("num"))
    if value is None:
        return None
    unit, scale = _UNIT_SCALES.get(m.group("unit"), (m.group("unit"), 1.0))
    return value * scale, unit


_ORDINAL_PARTS = re.compile(rf"第(?P<num>[\d.{CN_DIGITS}{CN_MAGNITUDES}]+)(?P<unit>{_UNIT_RE})")
_ORDINAL_RANGE = re.compile(
    rf"第(?P<a>[\d.{CN_DIGITS}{CN_MAGNITUDES}]+)(?P<unit>{_UNIT_RE})?{RANGE_SEP}第?(?P<b>[\d.{CN_DIGITS}{CN_MAGNITUDES}]+)"
    rf"(?P<unit2>{_UNIT_RE})"
)


def ordinals(text: str) -> list[tuple[float, str]]:
    """The ordinals of a text as (value, measure word): "第三批" and "第3批" are both (3.0, "批")."""
    out = []
    for m in _ORDINAL_PARTS.finditer(text):
        value = _number(m.group("num"))
        if value is not None:
            out.append((value, m.group("unit")))
    return out


def ordinal_conflict(question: str, sentence: str) -> bool:
    """True when the question names an ordinal ("第三批") and the sentence names others of the same measure
    word ("第一批") but none the question names, nor a range holding one ("第一至第四届"): the sentence is
    about another one."""
    ranges = []
    for m in _ORDINAL_RANGE.finditer(sentence):
        a, b = _number(m.group("a")), _number(m.group("b"))
        if a is not None and b is not None:
            ranges.append((a, b, m.group("unit2")))
    stated = ordinals(sentence)
    asked: dict[str, set[float]] = {}
    for value, unit in ordinals(question):
        asked.setdefault(unit, set()).add(value)
    for unit, values in asked.items():
        same = {v for v, u in stated if u == unit}
        held = any(a <= v <= b for a, b, u in ranges if u == unit for v in values)
        if same and not (values & same) and not held:
            return True
    return False
