"""Span decoding details of the extractor that do not need the model."""

from __future__ import annotations

import pytest

from qa.readers.neural.extract import trim_span


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("0.75秒的开锁速度。", "0.75秒的开锁速度"),  # clause punctuation at the end
        ("，12%，", "12%"),
        ("“百十万千", "百十万千"),  # an opening mark whose closer lies outside the span
        ("阿尔法机器狗”。", "阿尔法机器狗"),
        ("“一链一策一批”中小企业融资促进行动", "“一链一策一批”中小企业融资促进行动"),  # balanced: kept
        (" Zhejiang Co. ", "Zhejiang Co."),  # a full stop can end a name
        ("。", "。"),  # nothing would be left: unchanged
    ],
)
def test_spans_lose_edge_punctuation_and_unbalanced_quotes(text: str, expected: str) -> None:
    start, end = trim_span(text, 0, len(text))
    assert text[start:end] == expected


def test_trim_keeps_offsets_into_the_passage() -> None:
    text = "据报道，产量增长了12%，高于全国。"
    s = text.index("了") + 1
    start, end = trim_span(text, s, s + 4)  # "12%，"
    assert (start, end) == (s, s + 3) and text[start:end] == "12%"
