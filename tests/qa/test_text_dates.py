"""A document's date read from its text when its metadata gives none."""

from __future__ import annotations

import pytest

from qa.text_dates import date_in_text


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2019年6月18日成立。2023年7月12日，火箭发射成功。", "2023-07-12"),
        ("截至2022年9月，共8997家。2022年的目标已完成。", "2022-09"),
        ("在近日举办的2023全国专精特新中小企业发展大会上，2022年的数据公布。", "2023"),
        ("2023年3月一期。2023年3月5日，二期开工。", "2023-03-05"),
    ],
)
def test_the_latest_stated_day_month_or_event_year(text: str, expected: str) -> None:
    assert date_in_text(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "没有任何日期。",
        "到2025年6月，培育一万家企业。",  # a target is not when the text was written
        "2016年至今，研发费用从未降低。2027年建成制造强省。",  # bare years
    ],
)
def test_no_date_when_the_text_states_none(text: str) -> None:
    assert date_in_text(text) is None
