"""Quoted terms and titles: the text inside the marks."""

from __future__ import annotations

from qa.readers.rules.quotes import find_quotes


def test_quotes_are_inner_text() -> None:
    text = "以“是什么卡了我们的脖子”为题，推出《科技日报》专栏"
    assert [s.text for s in find_quotes(text)] == ["是什么卡了我们的脖子", "科技日报"]
