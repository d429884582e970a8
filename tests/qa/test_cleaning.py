"""Text cleaning: every seed file, HTML and Markdown rules, boilerplate, malformed and pathological input."""

from __future__ import annotations

from pathlib import Path

import pytest

from qa.cleaning import clean, clean_text, clean_title
from qa.loaders import split_front_matter

LEFTOVERS = ("<", "&#", "&nbsp", "&gt", "http", "![", "](", "{", "}", "style=", "**", "\u3000", "\n\n\n",
             "返回")


def _seed(corpus_dir: Path, name: str) -> str:
    raw = next(corpus_dir.glob(f"{name}_*.txt")).read_text(encoding="utf-8")
    return clean(split_front_matter(raw).body).text


def _paragraphs(text: str) -> list[str]:
    return text.split("\n\n")


@pytest.mark.parametrize("name", ["000", "001", "002", "003", "004"])
def test_seed_files_have_no_markup_left_and_tidy_paragraphs(corpus_dir: Path, name: str) -> None:
    text = _seed(corpus_dir, name)
    for bad in LEFTOVERS:
        assert bad not in text, (name, bad)
    for p in _paragraphs(text):
        assert p and p == p.strip() and "\n" not in p and "  " not in p
    paragraphs = _paragraphs(text)
    assert all(a != b for a, b in zip(paragraphs, paragraphs[1:], strict=False))


def test_seed_000_html_body_with_markdown_footer(corpus_dir: Path) -> None:
    paragraphs = _paragraphs(_seed(corpus_dir, "000"))
    assert paragraphs[0] == "现在，立刻在你周围1米的范围内找一块磁铁，你能找到吗？"
    assert 60 <= len(paragraphs) <= 70
    assert "专精特新是制造业看不见的“磁铁”" in paragraphs  # <strong> heading kept as its own paragraph
    assert "APP截图" in paragraphs and "资金支持政策一览，图据中信证券研报" in paragraphs  # own paragraphs
    assert any("最终实现“1+1>2”的效果" in p for p in paragraphs)  # &gt; decoded
    assert paragraphs[-2].endswith("无人化工厂转型。”王鹏说。")
    assert paragraphs[-1] == "（文章来源：红星资本局）"  # the URL line and the 返回 links are gone
    assert not any("image005" in p or "dfcfw" in p for p in paragraphs)


def test_seed_001_plain_text(corpus_dir: Path) -> None:
    paragraphs = _paragraphs(_seed(corpus_dir, "001"))
    assert paragraphs[0] == "中央纪委国家监委网站 王雅婧 通讯员 陈文静"
    assert len(paragraphs) == 34
    assert "求变求新 深耕细作" in paragraphs
    assert any(p.startswith("9月14日上午8点，在浙江省嘉善县开发区企业园区内") for p in paragraphs)
    assert paragraphs[-1].endswith("全区挂牌的公共技术服务平台已经有59家。")


def test_seed_002_markdown_headings(corpus_dir: Path) -> None:
    paragraphs = _paragraphs(_seed(corpus_dir, "002"))
    assert paragraphs[:2] == ["“小巨人”展翅翱翔", "本报记者 齐旭"]
    assert 50 <= len(paragraphs) <= 60
    assert "广东召开首场" in paragraphs and "“制造业当家22条”政策宣讲培训会" in paragraphs
    assert "山东上半年 规上工业增加值增长6.9%" in paragraphs
    assert any("拥有国家企业技术中心196家" in p for p in paragraphs)
    assert paragraphs[-1].endswith("按照不超过研发成本30%的标准给予牵头研发单位补助。")


def test_seed_003_duplicate_title_image_and_emphasis(corpus_dir: Path) -> None:
    cleaned = clean(next(corpus_dir.glob("003_*.txt")).read_text(encoding="utf-8"))
    paragraphs = _paragraphs(cleaned.text)
    assert cleaned.title == "深网｜进击的小巨人：中国制造业的基石与韧性"
    assert paragraphs[0] == cleaned.title and paragraphs[1] == "来源：视觉中国"  # title once; _x_ unwrapped
    assert 55 <= len(paragraphs) <= 65
    assert "从苗圃到森林" in paragraphs and "难而正确的路" in paragraphs  # **bold** headings unwrapped
    assert any("2018 年 11月，工信部发布" in p for p in paragraphs)  # soft line wrap joined
    assert paragraphs[-1].startswith("蓝箭、鹿客、埃夫特等一波专精特新“小巨人”的涌现和成长")
    assert "_" not in cleaned.text and "#" not in cleaned.text


def test_seed_004_sina_html_with_comments_style_and_qr_footer(corpus_dir: Path) -> None:
    paragraphs = _paragraphs(_seed(corpus_dir, "004"))
    assert paragraphs[0] == "原标题：做好数字化“加减法”，让“专精特新”企业多起来"  # U+3000 indent stripped
    assert paragraphs[1] == "新华社记者张辛欣"
    assert len(paragraphs) == 14
    assert any("推动线上线下有效连接" in p for p in paragraphs)  # inline <span><a> keeps the sentence whole
    assert paragraphs[-1].endswith("还要扩大到广大中小企业发展过程中。（完）")
    text = "\n\n".join(paragraphs)
    for gone in ("举报", "二维码", "appendQr", "新浪财经APP", "责任编辑", "article_adlist", "王蒙"):
        assert gone not in text


def test_html_blocks_entities_and_dropped_elements() -> None:
    raw = (
        "<html><head><title>页面标题</title><style>p{color:red}</style></head><body>"
        "<h2>小节</h2><p style='x:y'>第一段&nbsp;文字&gt;1 &#20013;&#x6587;</p><!-- 注释 -->"
        "<script>var s = '<p>不是正文</p>';</script><div>第二段<br>第三段</div>"
        "<ul><li>甲</li><li>乙</li></ul><table><tr><td>A</td><td>B</td></tr><tr><td>C</td></tr></table>"
        "<p>&amp;lt;双重转义&amp;gt;</p></body></html>"
    )
    cleaned = clean(raw, "html")
    assert cleaned.is_html and cleaned.title == "页面标题"
    assert _paragraphs(cleaned.text) == [
        "小节", "第一段 文字>1 中文", "第二段", "第三段", "甲", "乙", "A B", "C", "<双重转义>"]


def test_title_prefers_h1_over_title_tag_and_markdown_level_1() -> None:
    assert clean("<title>T</title><h2>二级</h2><h1>一级</h1><p>x</p>").title == "一级"
    assert clean("## 二级\n\n正文。\n\n# 一级\n\n正文二。").title == "一级"
    assert clean("## 只有二级\n\n正文。").title == "只有二级"
    assert clean("没有标题的正文。").title is None


def test_markdown_syntax_is_reduced_to_text() -> None:
    raw = (
        "# 标题 #\n\n"
        "![图](http://x/y.png)\n_来源：某处_\n\n"
        "见[这份报告](https://example.com/a \"t\")和**重点**内容，*强调* ~~删除~~ `代码`。\n\n"
        "- 条目一\n- 条目二\n\n"
        "> 引用的话。\n\n"
        "| 列1 | 列2 |\n|---|---|\n| 甲 | 乙 |\n\n"
        "---\n\n"
        "[1]: https://example.com\n"
        "snake_case_name 与 2*3*4 保持原样。"
    )
    assert _paragraphs(clean_text(raw)) == [
        "标题", "来源：某处", "见这份报告和重点内容，强调 删除 代码。", "条目一", "条目二", "引用的话。",
        "列1 列2", "甲 乙", "snake_case_name 与 2*3*4 保持原样。",
    ]


def test_line_rules_soft_wraps_sentence_ends_and_fullwidth_indent() -> None:
    assert clean_text("第一句没有\n结束\nand more\nwords.") == "第一句没有结束and more words."
    assert _paragraphs(clean_text("一行一段。\n第二段。\n\u3000\u3000缩进开头\n的段落")) == [
        "一行一段。", "第二段。", "缩进开头的段落"]
    assert clean_text("a\r\nb\rc") == "a b c"
    assert clean_text("零\u200b宽\ufeff字符\x07") == "零宽字符"


def test_boilerplate_and_link_only_lines_are_dropped_but_content_is_kept() -> None:
    raw = (
        "正文第一段。\n\n"
        "<https://example.com/page>\n\n"
        "http://example.com/only-a-url\n\n"
        "[返回首页](//a.com)｜[返回列表](//a.com/l)\n\n"
        "点击查看原文\n\n返回搜狐，查看更多\n\n分享到：微信 微博\n\n扫描二维码关注我们\n\n责任编辑：张三\n\n"
        "他于次日返回北京新闻中心。\n\n"
        "|｜|\n\n"
        ".box{border:1px solid #E6E6E6;padding:8px;}\n\n"
        "正文第二段，见 https://example.com/x 。"
    )
    assert _paragraphs(clean_text(raw)) == ["正文第一段。", "他于次日返回北京新闻中心。",
                                             "正文第二段，见 https://example.com/x 。"]


def test_consecutive_duplicates_only_are_removed() -> None:
    assert _paragraphs(clean_text("# 标题\n\n# 标题\n\n正文。\n\n标题\n\n正文。")) == [
        "标题", "正文。", "标题", "正文。"]


def test_clean_title_decodes_entities_and_keeps_underscores() -> None:
    assert clean_title("  做好数字化_加减法_，让&amp;\n “专精特新”  ") == "做好数字化_加减法_，让& “专精特新”"


def test_malformed_and_deeply_nested_html_do_not_crash() -> None:
    assert clean_text("<div>" * 200_000 + "深处" + "</span>" * 10) == "深处"
    assert clean_text("<p>x<style>p{} never closed") == "x"
    assert clean_text("<p>x</p><!-- never closed <p>y</p>") == "x"
    assert clean_text("<p <div>>a</p></p></div><p>b") .endswith("b")
    assert clean_text("<p>unclosed <b>bold <i>it</div> after") == "unclosed bold it\n\nafter"


@pytest.mark.parametrize("raw", [
    "[a](" * 50_000,
    "*a" * 100_000,
    "_x " * 70_000,
    "# " + " " * 200_000 + "x",
    ".a{b:c}" + " " * 50_000 + "x{",
    "<p" * 100_000,
])
def test_pathological_input_is_handled_in_linear_time(raw: str) -> None:
    # Quadratic regexes would take minutes on these; linear cleaning takes well under a second.
    text = clean_text(raw)
    assert "\n\n\n" not in text


def test_unknown_format_is_a_value_error() -> None:
    with pytest.raises(ValueError, match="unknown text format"):
        clean("x", "rtf")  # type: ignore[arg-type]
