"""Names and noun phrases in Chinese text: POS-tagged entities and noun runs, names after a title
("董事长易先云"), transliterated foreign names ("伊芳·卡特菲"), and lists of them ("北京和郑州")."""

from __future__ import annotations

import re
from collections.abc import Sequence

from qa.readers.rules.numbers import CN_DIGITS, CN_MAGNITUDES
from qa.readers.rules.postag import pos_tag
from qa.readers.rules.span import Span, SpanKind

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

