"""All candidate spans of a text: quantities, dates, quoted terms, names and noun phrases, with exact offsets."""

from __future__ import annotations

import pytest

from qa.errors import InputError
from qa.readers.rules.extract import candidate_spans
from qa.readers.rules.span import SPAN_KINDS

# (sentence, span text that must be found, kind)
SPAN_TABLE = [
    ("截至2022年9月，我国已培育了四批共计8997家专精特新企业", "8997家", "quantity"),
    ("智能化系统和设备费用大约投入1.6亿元", "1.6亿元", "quantity"),
    ("研发投入大约1.6亿元", "大约1.6亿元", "quantity"),
    ("企业的点击牵引概率上涨超过了10%。", "超过了10%", "quantity"),
    ("全市每年设立总额不超过5000万元的“算力券”", "超过5000万元", None),  # "不超过" is not "超过"
    ("全市每年设立总额不超过5000万元的“算力券”", "不超过5000万元", "quantity"),
    ("蔡天宇是1688平台的“专精特新”项目负责人", "蔡天宇", "person"),
    ("浙江众成董事长易先云介绍，产品已与世界同步。", "易先云", "person"),
    ("现在他们已经在北京和郑州建立运营中心", "北京和郑州", "place"),
    ("最后实现了0.75秒的开锁速度。", "0.75秒", "quantity"),
    ("标准产品生产周期从8天压缩到3天以下", "3天以下", "quantity"),
    ("目前，已有近500家专精特新企业入驻", "近500家", "quantity"),
    ("带动认定省级专精特新中小企业4万多家", "4万多家", "quantity"),
    ("全国“小巨人”企业累计1.2万家", "1.2万家", "quantity"),
    ("我国已累计培育专精特新中小企业9.8万家", "9.8万家", "quantity"),
    ("在“小巨人”企业中，超四成聚集在新材料领域", "超四成", "quantity"),
    ("约有百分之二十的企业参与", "百分之二十", "quantity"),
    ("培育4000至6000家“小灯塔”企业", "4000至6000家", "quantity"),
    ("山东省工业增加值总量2.87万亿元", "2.87万亿元", "quantity"),
    ("墓道宽4.6米，全长13.23米", "13.23米", "quantity"),
    ("2019年6月18日，工业和信息化部公布第一批名单。", "2019年6月18日", "date"),
    ("2020年7月，埃夫特在上交所挂牌上市。", "2020年7月", "date"),
    ("2022年伊始，国务院印发规划。", "2022年", "date"),
    ("9月14日上午8点，技术员小李走进车间。", "9月14日上午8点", "date"),
    ("2018年4月16日晚，美国商务部发布公告。", "2018年4月16日晚", "date"),
    ("国务院印发的《“十四五”数字经济发展规划》提出", "“十四五”数字经济发展规划", "title"),
    ("常用的节奏型称为「锣鼓点」。", "锣鼓点", "quote"),
    ("它们也被称为中国工厂里的“隐形冠军”。", "隐形冠军", "quote"),
    ("才让我们体会到‘专精特新’的重要性", "专精特新", "quote"),
    ("工信部副部长徐晓兰介绍，超70%深耕行业10年以上。", "徐晓兰", "person"),
    ("在位于浙江省诸暨市的浙江华益精密机械有限公司生产车间", "浙江华益精密机械有限公司", "organization"),
    ("在位于浙江省诸暨市的浙江华益精密机械有限公司生产车间", "浙江省诸暨市", "place"),
    ("中国工业互联网研究院与1688签署了合作协议", "中国工业互联网研究院", "organization"),
    ("马其顿即将离任的总统布兰科·茨尔文科夫斯基", "布兰科·茨尔文科夫斯基", "person"),
    ("伊芳·卡特菲参加了歌唱比赛", "伊芳·卡特菲", "person"),
    ("河北推动唐山、邯郸等区域工业互联网平台上线", "唐山、邯郸", "place"),
]


@pytest.mark.parametrize(("sentence", "expected", "kind"), SPAN_TABLE)
def test_candidate_spans_table(sentence: str, expected: str, kind: str | None) -> None:
    spans = candidate_spans(sentence)
    for span in spans:
        assert sentence[span.start : span.end] == span.text
        assert span.kind in SPAN_KINDS
    found = {(s.text, s.kind) for s in spans}
    if kind is None:
        assert all(text != expected for text, _ in found)
    else:
        assert (expected, kind) in found, sorted(found)


def test_span_table_is_large_enough() -> None:
    assert len({s for s, _, _ in SPAN_TABLE}) >= 20


def test_candidate_spans_bounds_checked() -> None:
    with pytest.raises(InputError, match="outside"):
        candidate_spans("abc", 2, 10)
    spans = candidate_spans("前文。投入1.6亿元。", 3, 11)
    assert [(s.text, s.start) for s in spans if s.kind == "quantity"] == [("1.6亿元", 5)]
