"""Sentence and clause spans: the one sentence splitter (chunking and readers) and the clause splitter."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from qa.sentences import split_clauses, split_sentences

ALPHABET = list("甲乙丙丁中文字abcXYZ19 。！？!?；;，、,：:“”’」（）….\n\n\t\u3000")


@pytest.mark.parametrize(("text", "sentences"), [
    ("他说：“好。”然后走了。", ["他说：“好。”", "然后走了。"]),
    ("真的吗？！是的；好的", ["真的吗？！", "是的；", "好的"]),
    ("增长1.5%。1688.这些企业", ["增长1.5%。", "1688.这些企业"]),
    ("It grew fast. Then it slowed. U.S. firms (838460. NEEQ) too.",
     ["It grew fast.", "Then it slowed.", "U.S. firms (838460. NEEQ) too."]),
    ("第一行\n第二行……”\n  ", ["第一行", "第二行……”"]),
    ("", []),
])
def test_split_sentences_examples(text: str, sentences: list[str]) -> None:
    assert [text[s:e] for s, e in split_sentences(text)] == sentences


def test_sentences_and_clauses() -> None:
    text = "第一句话。第二句，有两个分句！“引号里的话。”最后一句"
    sents = [text[s:e] for s, e in split_sentences(text)]
    assert sents == ["第一句话。", "第二句，有两个分句！", "“引号里的话。”", "最后一句"]
    s, e = split_sentences(text)[1]
    assert [text[a:b] for a, b in split_clauses(text, s, e)] == ["第二句，", "有两个分句！"]
    # list commas do not end a clause
    listing = "雕像、流水和风景，很美"
    assert [listing[a:b] for a, b in split_clauses(listing)] == ["雕像、流水和风景，", "很美"]


@settings(max_examples=300, deadline=None)
@given(text=st.text(alphabet=st.sampled_from(ALPHABET), max_size=800))
def test_sentence_spans_are_ordered_trimmed_and_cover_all_text(text: str) -> None:
    spans = split_sentences(text)
    previous = 0
    covered = [False] * len(text)
    for s, e in spans:
        assert previous <= s < e and text[s:e] == text[s:e].strip()
        covered[s:e] = [True] * (e - s)
        previous = e
    assert all(c or ch.isspace() for ch, c in zip(text, covered, strict=True))
