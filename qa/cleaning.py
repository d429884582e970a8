"""Raw text, HTML or Markdown to clean plain text: one paragraph per block, a blank line between blocks.

Pipeline (every step is linear in the input size; all regex repetitions are bounded):

1. Normalise: newlines to ``\\n``, drop BOM / zero-width / control characters, NBSP to space,
   Markdown autolinks ``<https://...>`` to bare URLs.
2. HTML (``fmt="html"``, or ``"auto"`` when the text contains an HTML tag or comment): the stdlib
   ``html.parser`` drops tags, attributes (so inline CSS), comments, ``<script>``/``<style>``/``<svg>``/...
   content and decodes entities; block tags (``p div br li h1-h6 tr center table ...``) become paragraph
   breaks. The parser is not recursive, so malformed or deeply nested markup cannot blow the stack.
3. Lines: blank lines, Markdown rules/fences and headings end a paragraph; a line indented with a
   full-width space (U+3000) starts one; a line following a line that ends a sentence (``。！？；…``,
   optionally with closing quotes) starts one; any other line is a soft wrap and joins the previous line
   (without a space next to CJK characters, with one space between Latin words).
   Markdown syntax (``#`` heading markers, images, ``[text](url)`` links, emphasis, inline code, quotes,
   bullet markers, table pipes) is reduced to its text in ``"auto"`` and ``"markdown"`` mode.
   Entities left after parsing (double-escaped ``&amp;gt;``) are decoded once more.
4. Paragraphs: whitespace runs (including U+3000 indentation) collapse to one space and are stripped.
   A paragraph is dropped when it is (a) made only of links/URLs and separators (navigation footers such
   as ``[返回首页](//x)｜[返回...](//y)`` or a bare URL line), (b) at most ``BOILERPLATE_MAX_CHARS`` long
   and starts with a known portal phrase (``_BOILERPLATE_RE``: 返回首页/返回搜狐, 点击查看原文, 分享到,
   扫码/二维码 prompts, 举报/反馈, 责任编辑, "尽在新浪财经APP"-style app promos), (c) only CSS rules,
   (d) without any letter or digit, or (e) identical to the paragraph before it (duplicated title lines).
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass
from html.parser import HTMLParser
from typing import Literal

Format = Literal["auto", "html", "markdown", "plain"]
FORMATS: tuple[Format, ...] = ("auto", "html", "markdown", "plain")

BOILERPLATE_MAX_CHARS = 40  # rule (b) only looks at paragraphs at most this long, so content is never hit

_BLOCK_TAGS = frozenset({
    "address", "article", "aside", "blockquote", "body", "br", "caption", "center", "dd", "details",
    "dialog", "div", "dl", "dt", "fieldset", "figcaption", "figure", "footer", "form", "h1", "h2", "h3",
    "h4", "h5", "h6", "header", "hr", "html", "legend", "li", "main", "ol", "p", "pre", "section",
    "summary", "table", "tbody", "tfoot", "thead", "tr", "ul",
})
_CELL_TAGS = frozenset({"td", "th"})
# Elements whose content is never document text. <head> is not listed: its end tag is optional.
_SKIP_TAGS = frozenset({
    "script", "style", "noscript", "template", "svg", "math", "iframe", "object", "canvas", "select",
    "textarea", "nav",
})
_HEADING_TAGS = {f"h{i}": i for i in range(1, 7)}

_HTML_HINT_RE = re.compile(
    r"<!--|<!doctype|</?(?:p|div|br|span|a|img|table|tr|td|th|li|ul|ol|h[1-6]|center|strong|b|em|i|u|font|"
    r"html|body|head|style|script|section|article|blockquote|pre|hr|iframe|meta|link|title)(?:\s[^<>]{0,2000})?/?>",
    re.IGNORECASE,
)
_AUTOLINK_RE = re.compile(r"<((?:https?|ftp)://[^\s<>]{1,2000}|www\.[^\s<>]{1,2000})>", re.IGNORECASE)
_INVISIBLE_RE = re.compile("[\u200b\u200c\u200d\u2060\ufeff\u00ad\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_ENTITY_RE = re.compile(r"&(?:#\d{1,7}|#[xX][0-9a-fA-F]{1,6}|[A-Za-z][A-Za-z0-9]{1,31});")

# Markdown, line level.
_FENCE_RE = re.compile(r"^(?:```|~~~)")
_HR_RE = re.compile(r"^(?:(?:[-*_]\s*){3,}|={3,})$")
_HEADING_RE = re.compile(r"^ {0,3}(#{1,6})(?:[ \t]|$)")
_CLOSING_HASHES_RE = re.compile(r"(?:^|[ \t])#+$")
_LINK_DEF_RE = re.compile(r"^ {0,3}\[[^\]\n]{1,500}\]:\s*\S")
_TABLE_SEP_RE = re.compile(r"^\|?(?:\s*:?-{2,}:?\s*\|)+\s*(?::?-{2,}:?\s*)?\|?$")
_BULLET_RE = re.compile(r"^\s{0,8}[-*+•·]\s+")
_QUOTE_RE = re.compile(r"^\s{0,3}(?:>\s?)+")

# Markdown, inline.
# Link parts exclude the brackets that open another link, so a failed match stops at the next one (linear).
_LINK_TARGET = r"(?:\([^()\[\]\s]{0,2000}(?:\s+\"[^\"\n]{0,200}\")?\s*\)|\[[^\[\]\n]{0,200}\])"
_IMAGE_RE = re.compile(r"!\[[^\[\]\n]{0,500}\]" + _LINK_TARGET)
_LINK_RE = re.compile(r"\[([^\[\]\n]{0,500})\]" + _LINK_TARGET)
_URL_RE = re.compile(r"(?:https?|ftp)://[^\s<>\"'）]{1,2000}|www\.[A-Za-z0-9-]{1,100}\.[^\s<>\"'）]{1,2000}",
                     re.IGNORECASE)
_STRONG_STAR_RE = re.compile(r"\*\*(?=[^\s*])([^*\n]{1,500}?)(?<=[^\s*])\*\*")
_STRONG_UNDER_RE = re.compile(r"(?<![\w_])__(?=[^\s_])([^_\n]{1,500}?)(?<=[^\s_])__(?![\w_])")
_EM_STAR_RE = re.compile(r"(?<![*\d])\*(?=[^\s*])([^*\n]{1,500}?)(?<=[^\s*])\*(?![*\d])")
_EM_UNDER_RE = re.compile(r"(?<![\w_])_(?=[^\s_])([^_\n]{1,500}?)(?<=[^\s_])_(?![\w_])")
_STRIKE_RE = re.compile(r"~~(?=\S)([^~\n]{1,500}?)(?<=\S)~~")
_CODE_RE = re.compile(r"`([^`\n]{1,500})`")
_ESCAPE_RE = re.compile(r"\\([\\`*_{}\[\]()#+\-.!|>~])")

# Paragraph level.
_SENTENCE_END_RE = re.compile(r"[。！？；…][”’」』）)\"']*$")
_WS_RE = re.compile(r"\s+")
_SEPARATORS_RE = re.compile(r"[\s|｜/·•>»\-–—,，、:：;；()（）\[\]]+")
_CSS_RE = re.compile(r"^(?:[#.@*\w\s,:>+~\[\]=\"'()-]{1,200}\{[^{}]{0,2000}\})+\s*$")
_BOILERPLATE_RE = re.compile(
    r"^[\[（(【]?\s*(?:"
    r"返回(?:搜狐|首页|顶部|列表|目录|.{1,12}?(?:首页|新闻|频道))"
    r"|(?:点击|阅读|查看)(?:查看|阅读|进入)?(?:原文|全文|更多|这里)"
    r"|分享(?:到|至)"
    r"|(?:扫|扫描|扫一扫|长按|识别|微信扫).{0,12}二维码"
    r"|(?:关注|订阅)(?:我们|公众号|微信)"
    r"|举报\s*/?\s*反馈"
    r"|责任编辑"
    r"|海量资讯、精准解读"
    r"|(?:下载|打开).{0,10}(?:APP|App|app|客户端)"
    r")"
)


@dataclass(frozen=True)
class Cleaned:
    """Cleaned text (paragraphs joined by one blank line) and the title the markup suggested, if any."""

    text: str
    title: str | None = None  # first level-1 heading, else HTML <title>, else the first heading of any level
    is_html: bool = False  # whether the HTML parser ran


def clean_text(raw: str, fmt: Format = "auto") -> str:
    """Clean plain text: see the module docstring for every rule."""
    return clean(raw, fmt).text


def clean(raw: str, fmt: Format = "auto") -> Cleaned:
    """Clean `raw` (fmt: "auto", "html", "markdown" or "plain"); also report the title its markup suggests."""
    if fmt not in FORMATS:
        raise ValueError(f"unknown text format {fmt!r}; expected one of {', '.join(FORMATS)}")
    text = raw.replace("\r\n", "\n").replace("\r", "\n")
    text = _INVISIBLE_RE.sub("", text).replace("\u00a0", " ")
    markdown = fmt in ("auto", "markdown")
    if markdown:
        text = _AUTOLINK_RE.sub(r"\1", text)
    headings: list[tuple[int, str]] = []
    page_title: str | None = None
    is_html = fmt == "html" or (fmt == "auto" and _HTML_HINT_RE.search(text) is not None)
    if is_html:
        text, headings, page_title = _html_to_text(text)
    paragraphs, md_headings = _paragraphs(text, markdown=markdown)
    headings.extend(md_headings)
    return Cleaned("\n\n".join(paragraphs), _pick_title(headings, page_title), is_html)


def clean_title(raw: str) -> str:
    """A title as one line: entities decoded, whitespace collapsed (underscores and quotes are kept)."""
    return _WS_RE.sub(" ", _unescape(_INVISIBLE_RE.sub("", raw))).strip()


def _pick_title(headings: list[tuple[int, str]], page_title: str | None) -> str | None:
    for level, text in headings:
        if level == 1 and text:
            return text
    if page_title:
        return page_title
    return next((text for _, text in headings if text), None)


class _TextExtractor(HTMLParser):
    """Collects the text of an HTML document with paragraph breaks at block elements (no recursion)."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.out: list[str] = []
        self.skip = 0
        self.heading_level = 0
        self.heading_buf: list[str] = []
        self.headings: list[tuple[int, str]] = []
        self.in_title = False
        self.title_buf: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _SKIP_TAGS:
            self.skip += 1
        elif tag == "title":
            self.in_title = True
        else:
            self._boundary(tag)
            if tag in _HEADING_TAGS:
                self._end_heading()
                self.heading_level = _HEADING_TAGS[tag]

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag not in _SKIP_TAGS and tag != "title":
            self._boundary(tag)

    def handle_endtag(self, tag: str) -> None:
        if tag in _SKIP_TAGS:
            self.skip = max(0, self.skip - 1)
        elif tag == "title":
            self.in_title = False
        else:
            if tag in _HEADING_TAGS:
                self._end_heading()
            self._boundary(tag)

    def handle_data(self, data: str) -> None:
        if self.skip:
            return
        if self.in_title:
            self.title_buf.append(data)
            return
        self.out.append(data)
        if self.heading_level:
            self.heading_buf.append(data)

    def _boundary(self, tag: str) -> None:
        if tag in _BLOCK_TAGS:
            self.out.append("\n\n")
        elif tag in _CELL_TAGS:
            self.out.append(" ")

    def _end_heading(self) -> None:
        if self.heading_level:
            text = clean_title("".join(self.heading_buf))
            if text:
                self.headings.append((self.heading_level, text))
        self.heading_level = 0
        self.heading_buf = []


def _html_to_text(text: str) -> tuple[str, list[tuple[int, str]], str | None]:
    opened = text.rfind("<!--")
    if opened != -1 and text.find("-->", opened + 4) == -1:
        text = text[:opened]  # an unterminated comment runs to the end, as in browsers
    parser = _TextExtractor()
    try:
        parser.feed(text)
        parser.close()
    except Exception:  # noqa: BLE001 - html.parser has no documented exception set; fall back to tag stripping
        stripped = re.sub(r"<[^<>]{0,5000}>", "\n\n", text)
        return html.unescape(stripped), [], None
    parser._end_heading()
    title = clean_title("".join(parser.title_buf)) or None
    return "".join(parser.out), parser.headings, title


def _unescape(text: str) -> str:
    if "&" not in text:
        return text
    return _ENTITY_RE.sub(lambda m: html.unescape(m.group(0)), text)


def _is_wide(ch: str) -> bool:
    o = ord(ch)
    return (0x2E80 <= o <= 0x9FFF or 0xAC00 <= o <= 0xD7AF or 0xF900 <= o <= 0xFAFF or 0xFE30 <= o <= 0xFE4F
            or 0xFF00 <= o <= 0xFFEF or o >= 0x20000)


def _inline_markdown(line: str) -> tuple[str, bool]:
    """Reduce inline Markdown to text; also say whether the line was nothing but links/URLs."""
    had_link = False
    if "](" in line or "][" in line:
        n_before = len(line)
        line = _IMAGE_RE.sub("", line)
        residual = _SEPARATORS_RE.sub("", _URL_RE.sub("", _LINK_RE.sub("", line)))
        had_link = len(line) != n_before or _LINK_RE.search(line) is not None
        line = _LINK_RE.sub(lambda m: m.group(1) or "", line)
        if had_link and not residual:
            return "", True
    if "://" in line or "www." in line:
        residual = _SEPARATORS_RE.sub("", _URL_RE.sub("", line))
        if not residual:
            return "", True
    if "*" in line:
        line = _STRONG_STAR_RE.sub(r"\1", line)
        line = _EM_STAR_RE.sub(r"\1", line)
    if "_" in line:
        line = _STRONG_UNDER_RE.sub(r"\1", line)
        line = _EM_UNDER_RE.sub(r"\1", line)
    if "~~" in line:
        line = _STRIKE_RE.sub(r"\1", line)
    if "`" in line:
        line = _CODE_RE.sub(r"\1", line)
    if "\\" in line:
        line = _ESCAPE_RE.sub(r"\1", line)
    return line, False


def _paragraphs(text: str, *, markdown: bool) -> tuple[list[str], list[tuple[int, str]]]:
    """Cleaned paragraphs (rules 3 and 4 of the module docstring) and the Markdown headings met."""
    paragraphs: list[str] = []
    headings: list[tuple[int, str]] = []
    current: list[str] = []

    def flush() -> None:
        if current:
            _keep(paragraphs, "".join(current))
            current.clear()

    for raw_line in text.split("\n"):
        line = _unescape(raw_line)
        stripped = line.strip()
        if not stripped:
            flush()
            continue
        if markdown:
            if _FENCE_RE.match(stripped) or _HR_RE.match(stripped):
                flush()
                continue
            heading = _HEADING_RE.match(line)
            if heading:
                flush()
                body = _CLOSING_HASHES_RE.sub("", line[heading.end():].rstrip())
                body, _ = _inline_markdown(body)
                body = _WS_RE.sub(" ", body).strip()
                if body:
                    headings.append((len(heading.group(1)), body))
                    _keep(paragraphs, body)
                continue
            if _LINK_DEF_RE.match(line) or _TABLE_SEP_RE.match(stripped):
                continue
            if _BULLET_RE.match(line):
                flush()
                line = _BULLET_RE.sub("", line, count=1)
            if line.lstrip().startswith(">"):
                line = _QUOTE_RE.sub("", line, count=1)
            if stripped.startswith("|") and stripped.endswith("|") and len(stripped) > 1:
                flush()  # a table row is a paragraph of its own, cells separated by a space
                row = " ".join(cell.strip() for cell in stripped[1:-1].split("|") if cell.strip())
                _keep(paragraphs, _inline_markdown(row)[0])
                continue
            line, nav = _inline_markdown(line)
            if nav:
                continue
        if line.startswith("\u3000") or (current and _SENTENCE_END_RE.search(current[-1])):
            flush()
        piece = line.strip()
        if not piece:
            continue
        if current:
            prev = current[-1]
            if prev and not (_is_wide(prev[-1]) or _is_wide(piece[0])):
                current.append(" ")
        current.append(piece)
    flush()
    return paragraphs, headings


def _keep(paragraphs: list[str], paragraph: str) -> None:
    """Append a paragraph after whitespace collapsing unless a drop rule of the module docstring applies."""
    p = _WS_RE.sub(" ", paragraph).strip()
    if not p or not any(ch.isalnum() for ch in p):
        return
    if len(p) <= BOILERPLATE_MAX_CHARS and _BOILERPLATE_RE.match(p):
        return
    if "{" in p and ":" in p and _CSS_RE.match(p):
        return
    if paragraphs and paragraphs[-1] == p:
        return
    paragraphs.append(p)
