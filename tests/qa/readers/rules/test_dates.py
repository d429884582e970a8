"""Date expressions, their ISO dates, and as-of versus target dates."""

from __future__ import annotations

from qa.readers.rules.dates import as_of_date, date_text_to_iso, find_dates, mentioned_dates, question_time


def test_dates_parse_to_iso_at_their_precision() -> None:
    assert date_text_to_iso("2019年6月18日") == "2019-06-18"
    assert date_text_to_iso("2020年7月") == "2020-07"
    assert date_text_to_iso("2022年") == "2022"
    assert date_text_to_iso("二〇二二年九月") == "2022-09"
    assert date_text_to_iso("9月14日") is None  # no year
    assert date_text_to_iso("没有日期") is None
    assert [s.text for s in find_dates("2004年至2008年间")] == ["2004年", "2008年", "2004年至2008年"]


def test_as_of_and_target_dates() -> None:
    assert as_of_date("工信部数据显示，截至2022年9月，我国已培育8997家") == "2022-09"
    assert as_of_date("截止到2023年底，共有1.2万家") == "2023"
    assert as_of_date("2022年，我国培育了很多企业") is None
    # a target date ("到2025年") is not the time a fact holds at
    assert mentioned_dates("提前完成“到2025年，培育一万家”的目标") == []
    assert mentioned_dates("2023年3月，鹿客掌心锁V5正式面市") == ["2023-03"]


def test_question_time_in_both_languages() -> None:
    assert question_time("截至2022年9月，我国有多少家？") == "2022-09"
    assert question_time("how many by september 2022?") == "2022-09"
    assert question_time("how many by september of 2022?") == "2022-09"
    assert question_time("how many in 2021?") == "2021"
    assert question_time("how many in 2021?", english=False) is None  # a bare year needs 年 in Chinese
    assert question_time("有多少家？") is None
