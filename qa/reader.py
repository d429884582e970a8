"""Rule-based extractive reader: picks an exact, cited span of a retrieved passage as the answer.

How an answer is chosen (every weight and threshold is a field of :class:`ReaderConfig`):

1. The question is typed (:mod:`qa.answer_types`) and cut around its question word: the text before it
   (left context) and after it (right context), plus its content tokens (jieba) weighted by length and by
   inverse frequency among the sentences being read.
2. The top passages are split into sentences; each sentence gets an *evidence* score from token and
   character overlap with the question, overlap of its whole passage (topic), retrieval rank/score and the
   passage's dense similarity (optionally the sentence's own dense similarity).
3. In the best sentences, candidate spans come from :mod:`qa.spans` (quantities, dates, quotes, entities,
   noun phrases; whole clauses for why/how questions) plus the *gap*: the text between the longest pieces
   of the question's left and right contexts found in the sentence ("锣鼓经常用的节奏型称为什么" aligned to
   "常用的节奏型称为「锣鼓点」" leaves "锣鼓点").
4. A candidate's score adds type compatibility, unit/focus agreement, and position features (proximity to
   matched question words, word order, own-clause overlap, adjacency, lying inside the gap) scaled by the
   type fit, less penalties for repeating the question or being long. The best candidate's confidence is
   ``sigmoid(scale * (evidence - bias))`` with evidence = weighted question-word overlap of its sentence +
   type fit + alignment + overlap of the words next to the question word; it is monotone in each, and below
   ``abstain_threshold`` the answer is ``None`` (set the threshold to 0 to sweep it outside).
5. Quantity/time answers that disagree across documents are listed as alternatives with their dates; the
   answer is the most recent one unless the question names a time, in which case the matching one wins.

The date of a candidate is, in this order: an explicit as-of expression in its sentence ("截至2022年9月"),
the passage's document date (front matter), the latest non-target date mentioned in its sentence, the
latest non-target date mentioned in its passage, else unknown (targets like "到2025年" are skipped).
"""

from __future__ import annotations

import functools
import math
import re
import unicodedata
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import TYPE_CHECKING, Literal, Protocol, runtime_checkable

from qa.answer_types import AnswerType, QuestionType, classify_question
from qa.spans import (
    Span,
    as_of_date,
    candidate_spans,
    find_dates,
    mentioned_dates,
    parse_date,
    split_clauses,
)
from qa.spans import split_sentences as _own_split_sentences
from qa.tokenize import tokenize
from qa.types import Alternative, Answer, Citation, Hit

if TYPE_CHECKING:
    from embeddings.encoder import Encoder

DenseSentences = Literal["off", "english", "on"]

# How well each span kind fits each expected answer type (1 = the kind the type asks for).
DEFAULT_TYPE_COMPAT: Mapping[str, Mapping[str, float]] = MappingProxyType(
    {
        "quantity": {"quantity": 1.0, "ordinal": 0.5, "date": 0.0, "gap": 0.2},
        "date": {"date": 1.0, "quantity": 0.2, "gap": 0.2},
        "person": {"person": 1.0, "noun": 0.2, "entity": 0.45, "gap": 0.2, "organization": 0.2, "quote": 0.3},
        "organization": {
            "organization": 1.0, "entity": 0.6, "noun": 0.35, "gap": 0.2, "place": 0.3, "quote": 0.5,
            "title": 0.3, "person": 0.3,
        },
        "place": {"place": 1.0, "organization": 0.35, "entity": 0.45, "noun": 0.15, "gap": 0.2},
        "term": {
            "quote": 1.0, "title": 1.0, "gap": 0.8, "entity": 0.75, "noun": 0.7, "organization": 0.7,
            "person": 0.6, "place": 0.6, "quantity": 0.3, "date": 0.3, "ordinal": 0.4,
        },
        "reason": {"clause": 1.0, "gap": 0.9},
    }
)  # fmt: skip


@dataclass(frozen=True)
class ReaderConfig:
    """Every weight and threshold of :class:`RuleReader`; the defaults are tuned on the gold set."""

    max_passages: int = 5  # hits read (QA.ask retrieves this many)
    max_sentences: int = 8  # best sentences whose spans become candidates
    max_entity_sentences: int = 4  # best sentences POS-tagged for names and noun phrases (the slow step)
    pos_hmm: bool = True  # jieba's HMM for unknown words: finds new names whole, ~8x slower tagging
    max_answer_chars: int = 40  # longest span answer (reason answers: max_reason_chars)
    max_reason_chars: int = 120
    min_answer_chars: int = 2  # shorter spans only when they are numbers ("8", "5%")
    # sentence evidence
    w_token_overlap: float = 2.0  # weighted share of question tokens found in the sentence
    w_char_overlap: float = 1.0  # share of the question's content characters found in the sentence
    w_passage_overlap: float = 0.8  # share of question tokens found in the passage (or its title)
    w_near: float = 1.0  # share of the words next to the question word ("[前身]是什么") found
    w_alignment: float = 2.0  # question text around the question word found in the sentence (saturating)
    alignment_chars: float = 6.0  # anchored characters (less 0.35 per character from the cue) for full credit
    w_rank: float = 0.5  # times 1/rank of the hit among those read
    w_retrieval: float = 0.3  # times hit.score / best hit score
    w_dense: float = 0.5  # times the passage's dense cosine (when the retriever gave one)
    dense_sentences: DenseSentences = "off"  # sentence-level dense similarity: never, English, always
    w_dense_sentence: float = 2.0  # times the min-max normalised sentence cosine
    # candidate features
    type_compat: Mapping[str, Mapping[str, float]] = field(default_factory=lambda: DEFAULT_TYPE_COMPAT)
    w_type: float = 2.0  # times the type fit (type_compat of the span's kind)
    article_number_factor: float = 0.3  # type fit of "一个/一家/两项" quantities
    w_plural: float = 0.8  # "哪些/哪两个" question and a list span ("北京和郑州")
    w_plural_mismatch: float = 0.3  # penalty: a list span for a question about one thing
    w_unit: float = 0.8  # quantity carries the unit the question asks for ("多少家" → "…家")
    w_unit_mismatch: float = 0.6  # penalty: a quantity with another unit
    w_focus: float = 0.5  # span ends with the noun the question names ("哪个城市" → "…市")
    w_cue_echo: float = 0.6  # "多长" question and "长" right before the quantity ("全长13.23米")
    # position features (they count times max(type fit, min_position_factor))
    min_position_factor: float = 0.2
    w_proximity: float = 1.0  # closeness (in characters) to the matched question words
    proximity_chars: float = 8.0  # decay length of the proximity feature
    w_order: float = 0.4  # matched words before/after the span as before/after the question word
    w_clause_overlap: float = 1.0  # weighted share of the question's words in the span's own clause
    w_adjacent: float = 0.5  # per side: a matched question word right next to the span (的, quotes between)
    w_gap: float = 1.0  # span lies inside the aligned gap (term questions)
    w_gap_reason: float = 0.6  # the same for why/how answers (the text after the question's words)
    w_gap_typed: float = 0.5  # the same for typed questions (who/where/which company/how many/when)
    w_gap_exact: float = 0.5  # span is the whole aligned gap (term questions)
    gap_type_fit: float = 0.7  # type fit at least this for a noun phrase that is exactly the gap
    min_gap_compat: float = 0.3  # the gap itself is a candidate only for types accepting it this much
    min_gap_chars: int = 2
    # penalties
    w_in_question: float = 2.0  # times the share of the span's character bigrams found in the question
    in_question_free: float = 0.2  # ... beyond this share ("浙江众大塑料有限公司" may repeat "浙江")
    w_length: float = 0.4  # penalty per `length_chars` beyond `length_chars` (not for quoted terms)
    length_chars: int = 12
    # why/how answers
    w_clause_novelty: float = 0.5  # share of the clause not repeating the question
    w_reason_marker: float = 0.8  # a causal connective links the clause to the question's clause
    w_reason_adjacent: float = 0.4  # clause right before/after the question's clause
    # confidence = sigmoid(scale * (evidence - bias)); evidence = weighted sum of these answer features
    conf_w_overlap: float = 1.0  # weighted share of the question's words in the answer's sentence
    conf_w_type: float = 1.0  # type fit of the answer (1 = the kind of span the question asks for)
    # what-questions accept most noun phrases: their compat values rank kinds, they are no evidence against
    conf_term_type_scale: float = 1.25
    conf_w_align: float = 0.25  # the question's wording around its question word found in the sentence
    conf_w_near: float = 0.25  # the words next to the question word ("哪一年[成立]") found there
    conf_english_offset: float = 0.2  # English questions reach Chinese text only via names and a glossary
    confidence_scale: float = 4.0
    confidence_bias: float = 1.65
    abstain_threshold: float = 0.5  # calibrated on the gold set's unanswerable questions
    # alternatives across documents (time-aware)
    alternative_types: tuple[str, ...] = ("quantity", "date")
    alternative_margin: float = 2.0  # candidates within this score of the best compete on date
    alternative_overlap_ratio: float = 0.5  # ... if their sentence matches the question this well, relative
    alternative_min_score: float = 0.2  # ... and have at least this confidence
    max_alternatives: int = 4
    max_citations: int = 3  # passages cited for the same answer text

    def __post_init__(self) -> None:
        if self.max_passages < 1 or self.max_sentences < 1:
            raise ValueError("ReaderConfig: max_passages and max_sentences must be >= 1")
        if not 0.0 <= self.abstain_threshold <= 1.0:
            raise ValueError(f"abstain_threshold must be in [0, 1], got {self.abstain_threshold}")
        if self.dense_sentences not in ("off", "english", "on"):
            raise ValueError("ReaderConfig: dense_sentences must be 'off', 'english' or 'on'")
        compat = MappingProxyType({k: MappingProxyType(dict(v)) for k, v in self.type_compat.items()})
        object.__setattr__(self, "type_compat", compat)

    def __hash__(self) -> int:
        """Hashable like the other frozen configs (the compat table is hashed by its items)."""
        items = tuple(
            (f, tuple(sorted((k, tuple(sorted(v.items()))) for k, v in self.type_compat.items())))
            if f == "type_compat"
            else (f, getattr(self, f))
            for f in self.__dataclass_fields__
        )
        return hash(items)


@runtime_checkable
class Reader(Protocol):
    """Turns a question and its retrieved hits into a cited answer (or an abstention)."""

    def read(self, question: str, hits: Sequence[Hit]) -> Answer:
        """Answer one question from its hits."""
        ...

    def read_batch(self, questions: Sequence[str], hits_batch: Sequence[Sequence[Hit]]) -> list[Answer]:
        """Answer many questions, each from its own hits."""
        ...


# --------------------------------------------------------------------------- text helpers


@functools.lru_cache(maxsize=65536)
def _norm_char(ch: str) -> str:
    folded = unicodedata.normalize("NFKC", ch).casefold()
    return folded if len(folded) == 1 else ch.casefold()[:1] or ch


def normalize_same_length(text: str) -> str:
    """NFKC + casefold character by character, so offsets in the result are offsets in ``text``."""
    return "".join(_norm_char(ch) for ch in text)


_CJK_OR_WORD = re.compile(r"[0-9a-z\u3400-\u4dbf\u4e00-\u9fff]")
_STOP_CHARS = frozenset(
    "的了是在和与及或也都而就被把对于从为以之其这那有吗呢吧啊么哪几谁何多少什怎样如个些年月日"
)
_QUESTION_FLUFF = frozenset(
    {"请问", "一共", "总共", "共有", "分别", "主要", "目前", "当前", "现在", "哪些", "具体"}
)
_LEAD_TRIM = "是为了有在的:：、,，.。 \t为由被把将即"
_TRAIL_TRIM = "的了是:：、,，.。；;！？!? \t等"
_QUOTE_PAIRS = {"“": "”", "‘": "’", "「": "」", "『": "』", "《": "》", "(": ")", "（": "）"}
_TITLE_NOUNS = (
    "文件", "规划", "意见", "政策", "报告", "通知", "法规", "条例", "办法", "书", "著作", "作品", "文章",
    "报纸", "杂志", "期刊", "电影", "影片", "剧", "歌", "歌曲", "专辑", "小说", "诗", "法", "计划", "方案",
    "纲要", "决定",
)  # fmt: skip
_PHRASE_KINDS = frozenset({"noun", "entity", "organization", "place", "person", "gap", "quote", "title"})
_ENTITY_TYPES = frozenset({"person", "organization", "place", "term"})
_ALIAS_GLUE = re.compile(r"^[》”’」』\s]*[（(](?:以下)?(?:简称|又称|下称|统称)[“‘「]?$")  # "X（以下简称“Y”）"
_NEAR_CUE_CHARS = 3  # a question term this close to the question word belongs to what is asked
_GLUE = "的之了地得“”‘’「」『』《》\"' "
_ARTICLE_NUMBER = re.compile(r"^[一两][^\d.万亿千百十]{1,2}$")
_LIST_SEP = re.compile(r"、|和|与|及")
_PLURAL_CUE = re.compile(
    r"哪些|哪几|哪两|哪三|哪四|几个(?:城市|地方|公司|企业|人)|"
    r"which (?:cities|companies|provinces|people|firms)"
)
_CLOSING_MARKS = frozenset("”’」』》）)】")
_CLOSERS_TO_OPENERS = {"”": "“", "’": "‘", "」": "「", "』": "『", "》": "《", "）": "（", ")": "("}
_OPENING_MARKS = frozenset("“‘「『《（(【")
_CONNECTIVES_LIST = (
    "是因为", "是由于", "主要是因为", "主要是", "这是因为", "因为", "由于", "因此", "所以", "而且", "并且",
    "但是", "但", "而是", "此外", "同时", "另外", "其中", "首先", "其次", "再次", "最后", "总之", "于是",
    "然而", "不过", "而",
)  # fmt: skip
_CAUSE_MARKERS = (
    "因为", "由于", "是因为", "是由于", "原因是", "原因在于", "为了", "通过", "依靠", "凭借", "借助",
)  # fmt: skip
_EFFECT_MARKERS = ("所以", "因此", "因而", "于是", "从而", "才", "故", "以致", "进而")
_EXPLAIN_MARKERS = ("是因为", "因为", "由于", "在于", "就是", "原因是", "这是因为", "主要是")
_REPORTING = re.compile(
    r"(?:说|表示|指出|认为|介绍|称|透露|强调|坦言|回忆|告诉[^，,。]{0,8})\s*[:：,，]?\s*[“\"]?$"
)
_REASON_LEAD = re.compile(
    "(?:[^，,。；;]{0,8}原因(?:之一)?(?:是|在于)?[，,：:]?\\s*(?:是|在于)?|"
    + "|".join(sorted((re.escape(x) for x in _CONNECTIVES_LIST), key=len, reverse=True))
    + ")"
)

_MONTHS_EN = {
    m: i
    for i, m in enumerate(
        ("january", "february", "march", "april", "may", "june", "july", "august", "september", "october",
         "november", "december"),
        1,
    )
}  # fmt: skip
_EN_DATE = re.compile(r"\b(?:(?P<month>" + "|".join(_MONTHS_EN) + r")\s+)?(?P<year>(?:19|20)\d{2})\b", re.I)

# A small bilingual glossary of common economic/news words, so English questions can anchor on Chinese text.
ENGLISH_GLOSSARY: Mapping[str, tuple[str, ...]] = MappingProxyType({
    "little giant": ("小巨人",), "little giants": ("小巨人",), "small and medium": ("中小",),
    "smes": ("中小企业",), "sme": ("中小企业",), "company": ("公司", "企业"), "companies": ("公司", "企业"),
    "firm": ("企业", "公司"), "firms": ("企业", "公司"), "enterprise": ("企业",), "enterprises": ("企业",),
    "business": ("企业",), "businesses": ("企业",), "government": ("政府",), "ministry": ("部",),
    "minister": ("部长",), "vice minister": ("副部长",), "industry": ("产业", "工业", "行业"),
    "industrial": ("工业", "产业"), "manufacturing": ("制造业", "制造"), "digital": ("数字",),
    "digitalization": ("数字化",), "digital transformation": ("数字化转型",), "transformation": ("转型",),
    "innovation": ("创新",), "technology": ("技术", "科技"), "research": ("研究", "研发"),
    "development": ("发展", "研发"), "robot": ("机器人",), "robots": ("机器人",), "platform": ("平台",),
    "internet": ("互联网",), "province": ("省", "省份"), "city": ("市", "城市"), "country": ("国", "国家"),
    "national": ("国家", "全国"), "china": ("中国", "我国"), "chinese": ("中国",), "list": ("名单",),
    "batch": ("批",), "batches": ("批",), "first": ("第一", "首"), "second": ("第二",), "third": ("第三",),
    "fourth": ("第四",), "fifth": ("第五",), "billion": ("亿",), "million": ("万",), "yuan": ("元",),
    "percent": ("%",), "year": ("年",), "month": ("月",), "founder": ("创始人",), "chairman": ("董事长",),
    "president": ("总裁", "主席"), "general manager": ("总经理",), "ceo": ("CEO",), "engineer": ("工程师",),
    "chief engineer": ("总工程师",), "professor": ("教授",), "university": ("大学",), "bank": ("银行",),
    "banks": ("银行",), "financing": ("融资",), "finance": ("金融",), "investment": ("投资",),
    "market": ("市场",), "share": ("占比", "份额"), "output": ("产量", "产值"), "cost": ("成本",),
    "costs": ("成本",), "efficiency": ("效率",), "production": ("生产",), "product": ("产品",),
    "products": ("产品",), "factory": ("工厂",), "factories": ("工厂",), "talent": ("人才",),
    "talents": ("人才",), "employees": ("员工",), "workers": ("工人",), "customers": ("客户",),
    "clients": ("客户",), "rocket": ("火箭",), "satellite": ("卫星",), "launch": ("发射",),
    "launched": ("发射", "上线"), "listed": ("上市",), "ipo": ("上市", "IPO"),
    "stock exchange": ("交易所",), "policy": ("政策",), "policies": ("政策",), "plan": ("规划", "计划"),
    "growth": ("增长",), "increase": ("增长", "提升"), "grew": ("增长",), "revenue": ("收入",),
    "export": ("出口",), "energy": ("能源", "能耗"), "new energy": ("新能源",), "materials": ("材料",),
    "new materials": ("新材料",), "medical": ("医疗",), "lock": ("锁",), "speed": ("速度",),
    "seconds": ("秒",), "days": ("天",), "tons": ("吨",), "magnet": ("磁铁",), "magnets": ("磁铁",),
    "phone": ("手机",), "mobile phone": ("手机",), "film": ("膜",), "specialized": ("专精特新",),
    "sophisticated": ("专精特新",), "champion": ("冠军",), "champions": ("冠军",),
    "single champion": ("单项冠军",), "provincial": ("省级",), "national-level": ("国家级",),
    "training": ("培训",), "support": ("支持",), "data": ("数据",), "cloud": ("云",), "standard": ("标准",),
    "patent": ("专利",), "patents": ("专利",), "funding": ("资金",), "fund": ("资金", "基金"),
    "subsidy": ("补贴",), "tax": ("税",), "predecessor": ("前身",), "formerly": ("前身",),
    "before": ("前身", "之前"), "founded": ("成立", "设立", "创立"), "established": ("成立", "设立"),
    "xinhua": ("新华社",), "ministry of industry and information technology": ("工信部",),
    "miit": ("工信部",), "minister of industry and information technology": ("工信部部长",),
    "value added": ("增加值",), "total": ("总量", "总"), "first half": ("上半年",), "most": ("最多",),
    "largest": ("最多", "最大"), "jobs": ("岗位",), "recruitment": ("招聘",), "benefit": ("效益",),
    "economic": ("经济",), "automation": ("自动化",), "tonne": ("吨",), "per": ("每",),
    "vice president": ("副总裁",), "general manager of": ("总经理",), "founder of": ("创始人",),
    "price": ("价格", "售价"), "employees of": ("员工",), "headquarters": ("总部",),
    "capital": ("资本", "首都"), "beijing": ("北京",), "shanghai": ("上海",), "tianjin": ("天津",),
    "chongqing": ("重庆",), "guangdong": ("广东",), "shandong": ("山东",), "zhejiang": ("浙江",),
    "jiangsu": ("江苏",), "fujian": ("福建",), "hebei": ("河北",), "henan": ("河南",), "hubei": ("湖北",),
    "hunan": ("湖南",), "anhui": ("安徽",), "jiangxi": ("江西",), "sichuan": ("四川",),
    "shaanxi": ("陕西",), "shanxi": ("山西",), "gansu": ("甘肃",), "yunnan": ("云南",),
    "guizhou": ("贵州",), "guangxi": ("广西",), "hainan": ("海南",), "liaoning": ("辽宁",),
    "jilin": ("吉林",), "heilongjiang": ("黑龙江",), "inner mongolia": ("内蒙古",), "xinjiang": ("新疆",),
    "tibet": ("西藏",), "ningxia": ("宁夏",), "qinghai": ("青海",), "hong kong": ("香港",),
    "macau": ("澳门",), "taiwan": ("台湾",), "hangzhou": ("杭州",), "shenzhen": ("深圳",),
    "guangzhou": ("广州",), "wuhan": ("武汉",), "chengdu": ("成都",), "nanjing": ("南京",),
    "suzhou": ("苏州",), "xi'an": ("西安",), "zhengzhou": ("郑州",), "lanzhou": ("兰州",),
    "jinan": ("济南",), "qingdao": ("青岛",), "fuzhou": ("福州",), "xiamen": ("厦门",), "hefei": ("合肥",),
    "wuhu": ("芜湖",), "ningbo": ("宁波",), "dalian": ("大连",), "shenyang": ("沈阳",),
    "harbin": ("哈尔滨",), "changsha": ("长沙",), "kunming": ("昆明",), "nanning": ("南宁",),
    "tencent": ("腾讯",), "alibaba": ("阿里巴巴", "阿里"), "huawei": ("华为",), "jd": ("京东",),
    "lenovo": ("联想",), "chery": ("奇瑞",), "dingtalk": ("钉钉",), "kuaishou": ("快手",),
    "xiaomi": ("小米",), "baidu": ("百度",), "bytedance": ("字节跳动",), "wechat": ("微信",),
})  # fmt: skip
_EN_UNITS: Mapping[str, str] = MappingProxyType({
    "firms": "家", "companies": "家", "enterprises": "家", "businesses": "家", "smes": "家", "banks": "家",
    "people": "人", "persons": "人", "employees": "人", "workers": "人", "days": "天", "years": "年",
    "months": "月", "seconds": "秒", "tons": "吨", "yuan": "元", "lines": "条", "times": "次",
    "acres": "亩",
})  # fmt: skip


def _sigmoid(x: float) -> float:
    if x >= 0:
        return 1.0 / (1.0 + math.exp(-x))
    z = math.exp(x)
    return z / (1.0 + z)


def _trim(
    text: str, start: int, end: int, lead: str = _LEAD_TRIM, trail: str = _TRAIL_TRIM
) -> tuple[int, int]:
    """Shrink [start, end) past leading/trailing function characters and unbalanced quote marks."""
    while start < end:
        first, last = text[start], text[end - 1]
        if first in lead or first.isspace() or first in _CLOSING_MARKS:
            start += 1
        elif last in trail or last.isspace() or last in _OPENING_MARKS:
            end -= 1
        elif first in "（(" and 0 < text.find(_QUOTE_PAIRS[first], start + 1, end) < end - 1:
            # a leading parenthetical: "（英文：…）"
            start = text.find(_QUOTE_PAIRS[first], start + 1, end) + 1
        elif first in _QUOTE_PAIRS and _QUOTE_PAIRS[first] not in text[start + 1 : end]:
            start += 1  # an opening mark whose closer lies outside the span
        elif last in _CLOSERS_TO_OPENERS and _CLOSERS_TO_OPENERS[last] not in text[start : end - 1]:
            end -= 1  # a closing mark whose opener lies outside the span
        elif (
            end - start >= 3
            and first in _QUOTE_PAIRS
            and last == _QUOTE_PAIRS[first]
            and first not in text[start + 1 : end - 1]
            and last not in text[start + 1 : end - 1]
        ):
            start, end = start + 1, end - 1  # the whole span is one quoted term: keep the term
        else:
            break
    return start, end


# --------------------------------------------------------------------------- question analysis


@dataclass(frozen=True)
class _Question:
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


def _question_time(norm: str, lang: str) -> str | None:
    for span in find_dates(norm):
        parsed = parse_date(span.text)
        if parsed:
            return parsed
    if lang == "en":
        m = _EN_DATE.search(norm)
        if m:
            month = _MONTHS_EN.get((m.group("month") or "").lower())
            return f"{m.group('year')}-{month:02d}" if month else m.group("year")
    return None


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


def _analyse(question: str) -> _Question:
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
            if _CJK_OR_WORD.match(ch) and ch not in _STOP_CHARS and not cue_s <= i < cue_e
        )
    else:
        left = right = ""
        raw_terms = [(t, 0) for t in _english_terms(question, norm)]
        near = set()
        chars = frozenset(
            ch for t, _ in raw_terms for ch in t if _CJK_OR_WORD.match(ch) and ch not in _STOP_CHARS
        )
        if qtype.answer_type == "quantity" and qtype.unit is None:
            after = norm[qtype.cue_end :].split()
            for word in after[:3]:
                if word.strip("?,.") in _EN_UNITS:
                    qtype = QuestionType(
                        qtype.answer_type,
                        qtype.lang,
                        qtype.cue,
                        qtype.cue_start,
                        qtype.cue_end,
                        _EN_UNITS[word.strip("?,.")],
                        qtype.focus,
                    )
                    break
    seen: dict[str, tuple[float, int]] = {}
    for tok, side in raw_terms:
        if tok in seen:
            continue
        weight = 1.0 + 0.5 * min(len(tok) - 1, 3) if _CJK_OR_WORD.search(tok) else 0.0
        if tok.isdigit() and len(tok) <= 2:
            weight *= 0.5
        if weight > 0:
            seen[tok] = (weight, side)
    terms = tuple((t, w, s) for t, (w, s) in seen.items())
    content = "".join(ch for ch in norm if _CJK_OR_WORD.match(ch))
    if qtype.lang == "en":
        content = " ".join(t for t, _ in raw_terms)
    bigrams = frozenset(content[i : i + 2] for i in range(len(content) - 1))
    plural = bool(_PLURAL_CUE.search(qtype.cue or "") or _PLURAL_CUE.search(norm))
    return _Question(
        question,
        norm,
        qtype,
        terms,
        chars,
        bigrams,
        left,
        right,
        _question_time(norm, qtype.lang),
        plural,
        frozenset(t for t in near if t in dict((t, 0) for t, _, _ in terms)),
    )


# --------------------------------------------------------------------------- passages → sentences


@functools.lru_cache(maxsize=1)
def _sentence_splitter() -> Callable[[str], list[tuple[int, int]]]:
    """qa.passages' sentence splitter (the one passages were cut with), else the one in qa.spans."""
    try:
        from qa.passages import split_sentences
    except ImportError:
        return _own_split_sentences
    return split_sentences


@functools.lru_cache(maxsize=8192)
def _sentences_of(text: str) -> tuple[tuple[int, int], ...]:
    """Sentence spans of a passage text, each cut to at most ~200 characters at clause ends."""
    out: list[tuple[int, int]] = []
    for s, e in _sentence_splitter()(text):
        if e - s <= 200:
            out.append((s, e))
            continue
        piece_start = s
        for _cs, ce in split_clauses(text, s, e):
            if ce - piece_start >= 120:
                out.append((piece_start, ce))
                piece_start = ce
        if piece_start < e:
            out.append((piece_start, e))
    return tuple(out)


@functools.lru_cache(maxsize=4096)
def _normalized(text: str) -> str:
    return normalize_same_length(text)


@dataclass
class _Sentence:
    hit: Hit
    hit_index: int  # 0-based position among the hits read
    start: int  # offsets in the passage text
    end: int
    norm: str  # normalized sentence text (same length)
    evidence: float = 0.0
    token_overlap: float = 0.0
    char_overlap: float = 0.0
    total_weight: float = 1.0  # summed weights of all question words (the overlap denominator)
    near_overlap: float = 0.0  # weighted share of the question words next to the question word found here
    align: float = 0.0
    # matched question words: (start, end, weight, side), sentence-relative
    matches: list[tuple[int, int, float, int]] = field(default_factory=list)
    dense: float | None = None  # cosine of the sentence and the question, when dense sentence scoring ran
    gap: tuple[int, int] | None = None  # aligned gap, sentence-relative
    gap_support: float = 0.0


@dataclass(frozen=True)
class _Candidate:
    sentence: _Sentence
    start: int  # offsets in the passage text
    end: int
    text: str
    kind: str
    score: float
    type_fit: float = 0.0  # how well the span's kind (and unit) fits the expected answer type, 0..1
    date: str | None = None
    date_source: str = ""


def _find_all(haystack: str, needle: str) -> list[int]:
    out, i = [], haystack.find(needle)
    while i >= 0:
        out.append(i)
        i = haystack.find(needle, i + 1)
    return out


def _anchor(
    context: str, sentence: str, *, from_end: bool, min_len: int = 2, max_len: int = 16
) -> tuple[str, int]:
    """The longest piece of ``context`` found in ``sentence``, preferring pieces near the question word.

    ``from_end``: pieces are taken from the end of ``context`` (the text before the question word), else
    from its start. Returns (piece, its distance from the question word in characters), ("", 0) if none.
    """
    best, best_key, best_dist = "", -1e9, 0
    n = len(context)
    for dist in range(min(n, 24)):
        j = n - dist if from_end else dist
        room = j if from_end else n - j
        for length in range(min(max_len, room), min_len - 1, -1):
            piece = context[j - length : j] if from_end else context[j : j + length]
            if piece in sentence and _CJK_OR_WORD.search(piece):
                key = length - 0.35 * dist
                if key > best_key:
                    best, best_key, best_dist = piece, key, dist
                break
    return best, best_dist


_SQUEEZE = frozenset("“”‘’「」『』《》\"' \t\u3000\xa0")


def _squeeze(text: str) -> tuple[str, list[int]]:
    """``text`` without quote marks and spaces, and the original index of each kept character."""
    idx = [i for i, ch in enumerate(text) if ch not in _SQUEEZE]
    return "".join(text[i] for i in idx), idx


def _extend(tail: str, sentence: str, pos: int, *, min_len: int = 2, window: int = 40) -> int:
    """Move ``pos`` past later pieces of ``tail`` found in order in ``sentence`` shortly after ``pos``."""
    i = 0
    while i < len(tail) - min_len + 1:
        for length in range(len(tail) - i, min_len - 1, -1):
            piece = tail[i : i + length]
            found = sentence.find(piece, pos)
            if _CJK_OR_WORD.search(piece) and 0 <= found <= pos + window:
                pos, i = found + length, i + length
                break
        else:
            i += 1
    return pos


def _extend_back(head: str, sentence: str, pos: int, *, min_len: int = 2, window: int = 40) -> int:
    """Move ``pos`` back before earlier pieces of ``head`` found in order in ``sentence`` just before it."""
    j = len(head)
    while j >= min_len:
        for length in range(j, min_len - 1, -1):
            piece = head[j - length : j]
            found = sentence.rfind(piece, max(0, pos - window - length), pos)
            if _CJK_OR_WORD.search(piece) and found >= 0 and found + length <= pos:
                pos, j = found, j - length
                break
        else:
            j -= 1
    return pos


def _empty(text: str, start: int, end: int) -> bool:
    gs, ge = _trim(text, start, end)
    return ge <= gs


# --------------------------------------------------------------------------- the reader


class RuleReader:
    """Explainable extractive reader over retrieved hits; see the module docstring for the method."""

    def __init__(self, config: ReaderConfig = ReaderConfig(), encoder: Encoder | None = None) -> None:
        if not isinstance(config, ReaderConfig):
            raise ValueError(f"RuleReader needs a ReaderConfig, got {type(config).__name__}")
        self.config = config
        self.encoder = encoder

    # ------------------------------------------------------------------ public API

    def read(self, question: str, hits: Sequence[Hit]) -> Answer:
        """Answer ``question`` from ``hits`` (best first); ``Answer.text is None`` when evidence is weak."""
        return self.read_batch([question], [hits])[0]

    def read_batch(self, questions: Sequence[str], hits_batch: Sequence[Sequence[Hit]]) -> list[Answer]:
        """Answer each question from its own hits."""
        if isinstance(questions, str):
            raise ValueError("read_batch takes a sequence of questions, not a single str; use read()")
        if len(questions) != len(hits_batch):
            raise ValueError(f"read_batch got {len(questions)} questions but {len(hits_batch)} hit lists")
        return [self._read_one(q, h) for q, h in zip(questions, hits_batch, strict=True)]

    # ------------------------------------------------------------------ steps

    def _read_one(self, question: str, hits: Sequence[Hit]) -> Answer:
        if not isinstance(question, str) or not question.strip():
            raise ValueError("the question must be a non-empty string")
        hits = tuple(hits)[: self.config.max_passages]
        for h in hits:
            if not isinstance(h, Hit):
                raise ValueError(f"hits must be qa.types.Hit objects, got {type(h).__name__}")
        q = _analyse(question)
        atype: AnswerType = q.qtype.answer_type
        sentences = self._score_sentences(q, hits)
        if not sentences:
            return Answer(question, None, 0.0, None, answer_type=atype, hits=hits)
        top = sorted(sentences, key=lambda s: (-s.evidence, s.hit_index, s.start))[
            : self.config.max_sentences
        ]
        candidates = self._candidates(q, top)
        if not candidates:
            best = top[0]
            conf = self._confidence_of(q, best, 0.0)
            return Answer(question, None, conf, self._sentence_text(best), answer_type=atype, hits=hits)
        return self._decide(q, candidates, hits)

    def _confidence_of(self, q: _Question, sentence: _Sentence, type_fit: float) -> float:
        """sigmoid(scale * (evidence - bias)); evidence = question words found in the sentence + type fit."""
        c = self.config
        z = (
            c.conf_w_overlap * sentence.token_overlap
            + c.conf_w_type * type_fit
            + c.conf_w_align * sentence.align
            + c.conf_w_near * sentence.near_overlap
        )
        if q.qtype.lang == "en":
            z += c.conf_english_offset
        return _sigmoid(c.confidence_scale * (z - c.confidence_bias))

    def _confidence(self, q: _Question, cand: _Candidate) -> float:
        type_fit = cand.type_fit
        if q.qtype.answer_type == "term":
            type_fit = min(1.0, type_fit * self.config.conf_term_type_scale)
        return self._confidence_of(q, cand.sentence, type_fit)

    @staticmethod
    def _sentence_text(s: _Sentence) -> str:
        return s.hit.passage.text[s.start : s.end]

    def _score_sentences(self, q: _Question, hits: Sequence[Hit]) -> list[_Sentence]:
        c = self.config
        sentences: list[_Sentence] = []
        for i, hit in enumerate(hits):
            text = hit.passage.text
            norm = _normalized(text)
            for s, e in _sentences_of(text):
                if _CJK_OR_WORD.search(norm[s:e]):
                    sentences.append(_Sentence(hit, i, s, e, norm[s:e]))
        if not sentences:
            return []
        n = len(sentences)
        df = {t: sum(1 for s in sentences if t in s.norm) for t, _, _ in q.terms}
        weights = {t: w * math.log(1.0 + (n + 1) / (1.0 + df[t])) for t, w, _ in q.terms}
        total_w = sum(weights.values()) or 1.0
        top_score = max((h.score for h in hits), default=0.0)
        passage_overlap: dict[int, float] = {}
        for i, hit in enumerate(hits):
            ptext = _normalized(hit.passage.text) + " " + _normalized(hit.passage.title)
            passage_overlap[i] = sum(w for t, w in weights.items() if t in ptext) / total_w
        dense = self._dense_sentence_scores(q, sentences)

        for k, s in enumerate(sentences):
            found = 0.0
            for t, _, side in q.terms:
                if t in s.norm:
                    found += weights[t]
                    for p in _find_all(s.norm, t):
                        s.matches.append((p, p + len(t), weights[t], side))
            s.token_overlap = found / total_w
            s.total_weight = total_w
            near_w = sum(weights[t] for t in q.near)
            s.near_overlap = (
                sum(weights[t] for t in q.near if t in s.norm) / near_w if near_w else s.token_overlap
            )
            char_overlap = len(q.chars & set(s.norm)) / len(q.chars) if q.chars else 0.0
            s.char_overlap = char_overlap
            align = 0.0
            if q.qtype.lang == "zh":
                align = self._align(q, s) / c.alignment_chars
            s.align = min(1.0, align)
            hit = s.hit
            retrieval = hit.score / top_score if top_score > 0 else 0.0
            s.evidence = (
                c.w_token_overlap * s.token_overlap
                + c.w_char_overlap * char_overlap
                + c.w_passage_overlap * passage_overlap[s.hit_index]
                + c.w_alignment * min(1.0, align)
                + c.w_near * s.near_overlap
                + c.w_rank / (s.hit_index + 1)
                + c.w_retrieval * retrieval
                + c.w_dense * (hit.dense_score or 0.0)
                + (c.w_dense_sentence * dense[k] if dense is not None else 0.0)
            )
        return sentences

    def _dense_sentence_scores(self, q: _Question, sentences: Sequence[_Sentence]) -> list[float] | None:
        mode = self.config.dense_sentences
        if self.encoder is None or mode == "off" or (mode == "english" and q.qtype.lang != "en"):
            return None
        qv = self.encoder.encode_queries([q.text])
        sv = self.encoder.encode_passages([self._sentence_text(s) for s in sentences])
        sims = [float(x) for x in (sv @ qv[0])]
        lo, hi = min(sims), max(sims)
        for sent, sim in zip(sentences, sims, strict=True):
            sent.dense = sim
        # min-max within the question: embedding cosines sit in a narrow band, their order is what counts
        return [(x - lo) / (hi - lo) if hi > lo else 1.0 for x in sims]

    def _align(self, q: _Question, s: _Sentence) -> float:
        """Find the question's context anchors in the sentence; set ``s.gap``; return the anchors' support.

        Matching ignores quote marks and spaces ("发展专精特新" matches "发展‘专精特新’"). The left anchor is
        the longest piece of the text before the question word found in the sentence, pushed right past later
        pieces of that text ("…开锁速度" then "最后"); the gap runs from it to the right anchor or the clause
        end.
        Why/how questions take the text after the last anchor instead.
        """
        sq, idx = _squeeze(s.norm)
        lq, rq = _squeeze(q.left)[0], _squeeze(q.right)[0]
        left, dl = _anchor(lq, sq, from_end=True) if lq else ("", 0)
        right, dr = _anchor(rq, sq, from_end=False) if rq else ("", 0)
        if not left and not right:
            return 0.0
        clauses = split_clauses(s.norm)
        n = len(s.norm)

        def clause_end(pos: int) -> int:
            return next((ce for cs, ce in clauses if cs <= pos < ce), n)

        def clause_start(pos: int) -> int:
            return next((cs for cs, ce in clauses if cs <= pos < ce), 0)

        def orig_end(p_sq: int) -> int:
            return idx[p_sq - 1] + 1 if p_sq > 0 else 0

        reason = q.qtype.answer_type == "reason"
        options: list[tuple[float, int, int]] = []
        if left:
            tail = lq[len(lq) - dl :] if dl else ""
            for p in _find_all(sq, left):
                le_sq = _extend(tail, sq, p + len(left))
                le = orig_end(le_sq)
                support = len(left) - 0.35 * dl
                rb = clause_end(le)
                if right:
                    pos = sq.find(right, le_sq)
                    if pos >= 0 and idx[pos] <= rb + 40:
                        support += len(right) - 0.35 * dr
                        if reason:
                            le = orig_end(pos + len(right))
                            rb = clause_end(le)
                        else:
                            rb = idx[pos]
                if _empty(s.norm, le, rb) or (reason and rb - le < 6):
                    rb = clause_end(rb)  # "…的特点是：XXX" — the answer is the next clause
                options.append((support, le, rb))
        else:
            head = rq[:dr] if dr else ""
            for p0 in _find_all(sq, right):
                p = _extend_back(head, sq, p0)
                ps = idx[p]
                if reason:
                    le = orig_end(p + len(right))
                    rb = clause_end(le)
                    if _empty(s.norm, le, rb) or rb - le < 6:
                        rb = clause_end(rb)
                    options.append((len(right) - 0.35 * dr, le, rb))
                else:
                    cs = clause_start(ps - 1) if ps > 0 else 0
                    options.append((len(right) - 0.35 * dr, cs, ps))
        best: tuple[float, int, int] | None = None
        for support, a_, b_ in options:
            gs, ge = _trim(s.norm, a_, b_)
            if ge > gs and (best is None or support > best[0]):
                best = (support, gs, ge)
        if best is None:
            return 0.0
        s.gap, s.gap_support = (best[1], best[2]), best[0]
        return max(0.0, best[0])

    def _candidates(self, q: _Question, top: Sequence[_Sentence]) -> list[_Candidate]:
        c = self.config
        atype = q.qtype.answer_type
        compat = c.type_compat.get(atype, {})
        out: list[_Candidate] = []
        qnorm = q.norm if q.qtype.lang == "zh" else " ".join(t for t, _, _ in q.terms)
        for rank, s in enumerate(top):
            spans: list[Span] = []
            extra: dict[tuple[int, int], float] = {}
            if atype == "reason":
                extra = self._reason_bonuses(s)
                for cs, ce in split_clauses(s.norm):
                    spans.append(Span(cs, ce, s.norm[cs:ce], "clause"))
            else:
                spans = candidate_spans(
                    s.norm,
                    entities=atype not in ("quantity", "date") and rank < c.max_entity_sentences,
                    hmm=c.pos_hmm,
                )
            if s.gap is not None and compat.get("gap", 0.0) >= c.min_gap_compat:
                gs, ge = s.gap
                limit = c.max_reason_chars if atype == "reason" else c.max_answer_chars
                if c.min_gap_chars <= ge - gs <= limit:
                    spans.append(Span(gs, ge, s.norm[gs:ge], "gap"))
            for span in spans:
                cand = self._score_span(q, s, span, compat, qnorm, extra.get((span.start, span.end), 0.0))
                if cand is not None:
                    out.append(cand)
        return out

    def _reason_bonuses(self, s: _Sentence) -> dict[tuple[int, int], float]:
        """Why/how answers: clauses next to the clause that matches the question, by causal connectives.

        "由于X，Y" and "X，所以Y" answer "为什么Y" with X; "Y，是因为X" with X; otherwise the
        neighbours of the matching clause are preferred over clauses further away.
        """
        c = self.config
        clauses = split_clauses(s.norm)
        if not clauses:
            return {}
        weight = [sum(w for ms, _, w, _ in s.matches if cs <= ms < ce) for cs, ce in clauses]
        anchor = max(range(len(clauses)), key=lambda i: (weight[i], -i))
        out: dict[tuple[int, int], float] = {}
        anchor_text = s.norm[clauses[anchor][0] : clauses[anchor][1]]
        for i, (cs, ce) in enumerate(clauses):
            text = s.norm[cs:ce]
            bonus = 0.0
            if abs(i - anchor) == 1:
                bonus += c.w_reason_adjacent
            if _REPORTING.search(text):
                out[(cs, ce)] = -c.w_reason_marker  # "某某告诉记者：" introduces an answer, it is none
                continue
            if (
                text.startswith(_CAUSE_MARKERS)
                and i != anchor
                or i == anchor - 1
                and anchor_text.startswith(_EFFECT_MARKERS)
                or i == anchor + 1
                and text.startswith(_EXPLAIN_MARKERS)
            ):
                bonus += c.w_reason_marker
            out[(cs, ce)] = bonus
        return out

    def _score_span(
        self,
        q: _Question,
        s: _Sentence,
        span: Span,
        compat: Mapping[str, float],
        qnorm: str,
        extra: float = 0.0,
    ) -> _Candidate | None:
        c = self.config
        atype = q.qtype.answer_type
        st, en = span.start, span.end
        if span.kind in ("clause", "gap") or atype == "reason":
            lead = _LEAD_TRIM
            if atype == "reason":
                m = _REASON_LEAD.match(s.norm, st, en)
                if m and en - m.end() > 2:
                    st = m.end()
            st, en = _trim(s.norm, st, en, lead=lead)
        if en <= st:
            return None
        text_norm = s.norm[st:en]
        limit = c.max_reason_chars if atype == "reason" else c.max_answer_chars
        if en - st > limit or not _CJK_OR_WORD.search(text_norm):
            return None
        if en - st < c.min_answer_chars and not (
            span.kind in ("quantity", "date", "ordinal") and text_norm[0].isdigit()
        ):
            return None
        if text_norm in qnorm and span.kind != "clause":
            return None  # the question itself names it
        type_fit = compat.get(span.kind, 0.0)
        if span.kind == "quantity" and _ARTICLE_NUMBER.match(text_norm):
            type_fit *= c.article_number_factor  # "一个", "一家": an article, rarely the asked number
        if span.kind in ("place", "person", "organization", "entity") and _LIST_SEP.search(text_norm):
            score_list = c.w_plural if q.plural else -c.w_plural_mismatch
        else:
            score_list = 0.0
        if span.kind == "quantity" and span.unit is None and atype == "quantity":
            type_fit *= 0.6
        if span.kind == "ordinal" and atype == "quantity" and q.qtype.cue and "第" in q.qtype.cue:
            type_fit = 1.0
        score = s.evidence + c.w_type * type_fit + score_list
        # unit agreement for quantities
        unit = q.qtype.unit
        if atype == "quantity" and span.kind == "quantity" and unit:
            if self._unit_matches(unit, span.kind, text_norm, span.unit):
                score += c.w_unit
            else:
                score -= c.w_unit_mismatch
                type_fit *= 0.5
        if atype == "quantity" and q.qtype.cue and len(q.qtype.cue) == 2 and q.qtype.cue[0] == "多":
            dim = q.qtype.cue[1]
            if dim != "少" and dim in s.norm[max(0, st - 4) : st]:
                score += c.w_cue_echo
        focus = q.qtype.focus
        if focus and atype in ("organization", "place", "person", "term") and text_norm != focus:
            if text_norm.endswith(focus) or (len(focus) >= 2 and text_norm.endswith(focus[-1])):
                score += c.w_focus
            elif span.kind == "title" and focus.endswith(_TITLE_NOUNS):
                score += c.w_focus  # "哪份文件" and a 《…》 title
        # where the span sits relative to the question's words; counts in proportion to the type fit, since a
        # span of the wrong kind is no answer wherever it sits
        position = 0.0
        # proximity and order agreement
        if s.matches:
            prox_num = prox_den = order_num = order_den = 0.0
            for ms, me, w, side in s.matches:
                if ms < en and me > st:
                    continue  # the match overlaps the span itself
                d = (st - me) if me <= st else (ms - en)
                prox_num += w * math.exp(-max(0, d) / c.proximity_chars)
                prox_den += w
                if side:
                    order_den += w
                    if (me <= st and side < 0) or (ms >= en and side > 0):
                        order_num += w
            if prox_den:
                position += c.w_proximity * prox_num / prox_den * min(1.0, s.token_overlap * 2)
            if order_den:
                position += c.w_order * (order_num / order_den - 0.5) * 2
        # sandwiched between question words ("专注[弹簧]生产", "独创的‘[三泡法]’生产工艺")
        if s.matches and atype != "reason":
            before = any(me <= st and not s.norm[me:st].strip(_GLUE) for _, me, _, _ in s.matches)
            after = any(
                ms >= en and (not s.norm[en:ms].strip(_GLUE) or _ALIAS_GLUE.match(s.norm[en:ms]))
                for ms, _, _, _ in s.matches
            )
            position += c.w_adjacent * (before + after)
            # question words in the span's own clause ("超70%深耕行业10年以上，超80%居…": 超70%)
            cs, ce = next(((a, b) for a, b in split_clauses(s.norm) if a <= st < b), (0, len(s.norm)))
            inside = sum(w for ms, me, w, _ in s.matches if cs <= ms < ce and not (ms < en and me > st))
            position += c.w_clause_overlap * inside / s.total_weight
        # aligned gap
        if s.gap is not None:
            gs, ge = s.gap
            if gs <= st and en <= ge:
                coverage = (en - st) / max(1, ge - gs)
                w_gap = {"term": c.w_gap, "reason": c.w_gap_reason}.get(atype, c.w_gap_typed)
                position += w_gap * ((0.5 + 0.5 * coverage) if span.kind != "gap" else 0.6)
                if st == gs and en == ge and atype == "term":
                    position += c.w_gap_exact
                if st == gs and en == ge and span.kind in _PHRASE_KINDS and atype in _ENTITY_TYPES:
                    type_fit = max(
                        type_fit, c.gap_type_fit
                    )  # exactly what the question's wording leaves open
        score += position * max(type_fit, c.min_position_factor) if atype != "reason" else position
        # repeating the question
        content = "".join(ch for ch in text_norm if _CJK_OR_WORD.match(ch))
        if content:
            if len(content) == 1:
                share = 1.0 if content in q.chars else 0.0
            else:
                grams = [content[i : i + 2] for i in range(len(content) - 1)]
                share = sum(1 for g in grams if g in q.bigrams) / len(grams)
            if atype == "reason":
                score += c.w_clause_novelty * (1.0 - share) + extra
            else:
                score -= c.w_in_question * max(0.0, share - c.in_question_free) / (1.0 - c.in_question_free)
        length = en - st
        if atype != "reason" and length > c.length_chars and span.kind not in ("quote", "title"):
            score -= c.w_length * (length - c.length_chars) / c.length_chars
        ps, pe = s.start + st, s.start + en
        return _Candidate(s, ps, pe, s.hit.passage.text[ps:pe], span.kind, score, type_fit)

    @staticmethod
    def _unit_matches(unit: str, kind: str, text: str, span_unit: str | None = None) -> bool:
        if kind != "quantity":
            return False
        if unit == "%":
            return (
                text.endswith(("%", "％", "成", "百分点", "‰"))
                or "百分之" in text
                or span_unit in ("%", "成")
            )
        return unit in text

    # ------------------------------------------------------------------ dates and decision

    def _date_of(self, cand: _Candidate) -> tuple[str | None, str]:
        s = cand.sentence
        sentence_text = self._sentence_text(s)
        as_of = as_of_date(normalize_same_length(sentence_text))
        if as_of:
            return as_of, "as-of expression in the sentence"
        if s.hit.passage.date:
            return s.hit.passage.date[:10], "document date"
        dates = mentioned_dates(normalize_same_length(sentence_text))
        if dates:
            return max(dates), "date mentioned in the sentence"
        dates = mentioned_dates(_normalized(s.hit.passage.text))
        if dates:
            return max(dates), "date mentioned in the passage"
        return None, "unknown"

    def _time_fit(self, cand: _Candidate, time: str) -> int:
        """1: its date or sentence matches the time the question names; 0: its date is unknown; -1: other."""
        sent_dates = mentioned_dates(normalize_same_length(self._sentence_text(cand.sentence)))
        if (cand.date and cand.date.startswith(time)) or any(d.startswith(time) for d in sent_dates):
            return 1
        return 0 if cand.date is None else -1

    @staticmethod
    def _key(text: str) -> str:
        return re.sub(r"[\W_]+", "", normalize_same_length(text))

    def _decide(self, q: _Question, candidates: list[_Candidate], hits: Sequence[Hit]) -> Answer:
        c = self.config
        atype = q.qtype.answer_type
        candidates.sort(key=lambda x: (-x.score, x.sentence.hit_index, x.start, -x.end))
        best = candidates[0]
        alternatives: list[_Candidate] = []
        if atype in c.alternative_types:
            strong: dict[str, _Candidate] = {}
            docs_seen: set[str] = set()
            for cand in candidates:
                if cand.score < best.score - c.alternative_margin:
                    break
                if cand.sentence.token_overlap < c.alternative_overlap_ratio * best.sentence.token_overlap:
                    continue  # a sentence about something else
                if cand.sentence.hit.doc_id in docs_seen:
                    continue  # each document's own best answer competes
                if (
                    c.type_compat.get(atype, {}).get(cand.kind, 0.0) < 0.99
                    or self._confidence(q, cand) < c.alternative_min_score
                ):
                    continue
                if (
                    atype == "quantity"
                    and q.qtype.unit
                    and not self._unit_matches(q.qtype.unit, cand.kind, cand.text)
                ):
                    continue
                docs_seen.add(cand.sentence.hit.doc_id)
                key = self._key(cand.text)
                if key not in strong:
                    date, source = self._date_of(cand)
                    strong[key] = _Candidate(
                        cand.sentence,
                        cand.start,
                        cand.end,
                        cand.text,
                        cand.kind,
                        cand.score,
                        cand.type_fit,
                        date,
                        source,
                    )
            docs = {x.sentence.hit.doc_id for x in strong.values()}
            if len(strong) >= 2 and len(docs) >= 2:
                pool = list(strong.values())
                if q.time:
                    ranked = sorted(pool, key=lambda x: (-self._time_fit(x, q.time or ""), -x.score, x.start))
                else:
                    ranked = sorted(
                        pool, key=lambda x: (x.date is None, _neg_date(x.date), -x.score, x.start)
                    )
                chosen = ranked[0]
                alternatives = [x for x in sorted(pool, key=lambda x: (-x.score, x.start)) if x is not chosen]
                best = chosen
        conf = self._confidence(q, best)
        text: str | None = best.text
        if conf < c.abstain_threshold:
            text = None
        citations = self._citations(best, candidates) if text is not None else ()
        alt_records = (
            tuple(
                Alternative(
                    a.text,
                    a.sentence.hit.doc_id,
                    a.date,
                    a.sentence.hit.passage_id,
                    a.start,
                    a.end,
                    round(self._confidence(q, a), 4),
                )
                for a in alternatives[: c.max_alternatives]
            )
            if text is not None
            else ()
        )
        return Answer(
            question=q.text,
            text=text,
            confidence=round(conf, 6),
            supporting_sentence=self._sentence_text(best.sentence),
            citations=citations,
            alternatives=alt_records,
            answer_type=atype,
            hits=tuple(hits),
        )

    def _citations(self, best: _Candidate, candidates: Sequence[_Candidate]) -> tuple[Citation, ...]:
        out: list[Citation] = []
        seen: set[str] = set()
        key = self._key(best.text)
        for cand in [best, *candidates]:
            if len(out) >= self.config.max_citations:
                break
            p = cand.sentence.hit.passage
            if p.passage_id in seen or cand.text != best.text and self._key(cand.text) != key:
                continue
            if p.text[cand.start : cand.end] != best.text:
                continue  # only exact copies of the answer text are cited
            seen.add(p.passage_id)
            out.append(
                Citation(p.doc_id, p.title, p.date, p.passage_id, p.paragraph, p.text, cand.start, cand.end)
            )
        return tuple(out)


def _neg_date(date: str | None) -> tuple[int, ...]:
    """Sort key putting later ISO dates first."""
    if not date:
        return (0,)
    return tuple(-int(x) for x in date.split("-") if x.isdigit())


class ClauseBaselineReader(RuleReader):
    """Baseline for evaluation: the whole best-matching clause is the answer (never abstains).

    The best sentence is chosen exactly as RuleReader scores sentences; within it, the clause sharing the
    most characters with the question wins. `qa eval --reader baseline` reports it beside the real reader.
    """

    def _read_one(self, question: str, hits: Sequence[Hit]) -> Answer:
        if not isinstance(question, str) or not question.strip():
            raise ValueError("the question must be a non-empty string")
        hits = tuple(hits)[: self.config.max_passages]
        q = _analyse(question)
        sentences = self._score_sentences(q, hits)
        if not sentences:
            return Answer(question, None, 0.0, None, answer_type=q.qtype.answer_type, hits=hits)
        best = min(sentences, key=lambda s: (-s.evidence, s.hit_index, s.start))
        clauses = split_clauses(best.norm) or [(0, len(best.norm))]
        cs, ce = max(clauses, key=lambda c: (len(q.chars & set(best.norm[c[0] : c[1]])), -c[0]))
        start, end = _trim(best.hit.passage.text, best.start + cs, best.start + ce)
        if end <= start:
            start, end = _trim(best.hit.passage.text, best.start, best.end)
        p = best.hit.passage
        text = p.text[start:end]
        return Answer(
            question,
            text,
            self._confidence_of(q, best, 0.0),
            self._sentence_text(best),
            citations=(Citation(p.doc_id, p.title, p.date, p.passage_id, p.paragraph, p.text, start, end),),
            answer_type=q.qtype.answer_type,
            hits=hits,
        )


READERS: Mapping[str, Callable[..., Reader]] = MappingProxyType(
    {"rules": RuleReader, "baseline": ClauseBaselineReader}
)


def make_reader(name: str, encoder: Encoder | None = None) -> Reader:
    """A reader by name: "rules" (default) or "baseline" (the best-clause baseline)."""
    try:
        factory = READERS[name]
    except KeyError:
        hint = " (the neural reader is not available yet)" if name == "neural" else ""
        raise ValueError(f"unknown reader {name!r}{hint}: choose one of {', '.join(READERS)}") from None
    return factory(encoder=encoder)
