"""What every reader shares: citations of exact copies, abstentions, answer keys, the time-aware choice."""

from __future__ import annotations

from dataclasses import dataclass

from qa.readers.answers import (
    abstention,
    alternative,
    answer_key,
    choose_by_time,
    citations_for,
    cite,
    neg_date,
)
from qa.types import Hit, Passage


def passage(pid: str, text: str, doc: str = "d") -> Passage:
    return Passage(pid, doc, 2, 10, 10 + len(text), text, "标题", "2022-03-23")


def test_cite_copies_the_passage_fields_and_offsets() -> None:
    p = passage("d#1", "截至2022年9月，共8997家。")
    c = cite(p, 11, 16)
    assert c.text[c.start : c.end] == "8997家"
    assert (c.doc_id, c.title, c.date, c.passage_id, c.paragraph) == ("d", "标题", "2022-03-23", "d#1", 2)


def test_citations_are_exact_copies_one_per_passage_up_to_the_limit() -> None:
    a, b, c, d = (passage(f"d#{i}", t) for i, t in enumerate(["共8997家", "共8997家，又8997家", "共８９９７家", "8997家"]))
    spans = [(a, 1, 6), (a, 1, 6), (b, 1, 6), (b, 9, 14), (c, 1, 6), (d, 0, 5)]
    cites = citations_for("8997家", spans, limit=3)
    assert [(x.passage_id, x.start) for x in cites] == [("d#0", 1), ("d#1", 1), ("d#3", 0)]
    assert all(x.text[x.start : x.end] == "8997家" for x in cites)
    assert len(citations_for("8997家", spans, limit=1)) == 1


def test_an_abstention_has_no_text_citations_or_alternatives() -> None:
    p = passage("d#0", "无关。")
    ans = abstention("谁？", [Hit(p, 1.0, 1)], "person", 0.25, "无关。")
    assert (ans.text, ans.citations, ans.alternatives, ans.confidence) == (None, (), (), 0.25)
    assert ans.hits[0].passage is p and ans.supporting_sentence == "无关。"


def test_answer_keys_ignore_case_width_and_punctuation() -> None:
    assert answer_key("８９９７家") == answer_key("8997家") == answer_key("“8997家”")
    assert answer_key("ABC-1") == answer_key("abc1") != answer_key("abc2")


def test_an_alternative_is_the_passage_span() -> None:
    alt = alternative(passage("e#0", "共4762家", doc="e"), 1, 6, "2022-03-23", 0.61)
    assert (alt.answer, alt.doc_id, alt.date, alt.passage_id, alt.score) == ("4762家", "e", "2022-03-23", "e#0", 0.61)


@dataclass(frozen=True)
class Cand:
    text: str
    score: float
    start: int
    date: str | None


def test_the_most_recent_dated_answer_wins_without_a_time_in_the_question() -> None:
    old, new, undated = Cand("4762家", 3.0, 0, "2022-03-23"), Cand("1.2万家", 2.0, 5, "2023-07"), Cand("x", 9.0, 1, None)
    chosen, others = choose_by_time([old, undated, new], None, lambda c: 0)
    assert chosen is new and others == [undated, old]  # the others best score first


def test_a_time_in_the_question_picks_the_matching_answer() -> None:
    old, new = Cand("4762家", 1.0, 0, "2022-03-23"), Cand("1.2万家", 2.0, 5, "2023-07")
    chosen, others = choose_by_time([old, new], "2022-03", lambda c: 1 if c is old else -1)
    assert chosen is old and others == [new]


def test_later_dates_sort_first() -> None:
    # a year alone sorts before the days of that year; no date sorts last
    assert sorted(["2022-09-01", "2023-07", None, "2022"], key=neg_date) == ["2023-07", "2022", "2022-09-01", None]
    assert neg_date(None) == neg_date("") == (0,)
