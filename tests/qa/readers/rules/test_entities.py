"""POS-tagged names and noun phrases keep exact offsets."""

from __future__ import annotations

from qa.readers.rules.entities import find_entities


def test_entities_merge_noun_runs_and_keep_offsets() -> None:
    text = "中国工业互联网研究院与阿里巴巴集团签署协议"
    spans = find_entities(text)
    assert all(text[s.start : s.end] == s.text for s in spans)
    assert any(s.text == "中国工业互联网研究院" and s.kind == "organization" for s in spans)
    assert not any(s.text.endswith("的") or s.text.startswith("的") for s in spans)
