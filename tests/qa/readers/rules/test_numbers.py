"""Quantities with their units, ordinals, and what is no number."""

from __future__ import annotations

import pytest

from qa.readers.rules.numbers import find_quantities, quantity_value


def test_quantity_units_and_non_numbers() -> None:
    units = {s.text: s.unit for s in find_quantities("投入1.6亿元，培育8997家，用时0.75秒")}
    assert units == {"1.6亿元": "元", "8997家": "家", "0.75秒": "秒"}
    assert find_quantities("一些企业在统一平台上") == []  # 一 of 一些/统一 is no number
    assert [s.text for s in find_quantities("1996年，公司引进生产线")] == []  # a year is a date
    assert [s.text for s in find_quantities("排名第一")] == ["第一"]
    assert find_quantities("排名第一")[0].kind == "ordinal"


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("超九成", (90.0, "%")),
        ("超80%", (80.0, "%")),
        ("1.6亿元", (1.6e8, "元")),
        ("约3060亿元", (3.06e11, "元")),
        ("近2000家", (2000.0, "家")),
        ("1.2万家", (12000.0, "家")),
        ("2.87万亿元", (2.87e12, "元")),
        ("一千二百人", (1200.0, "人")),
        ("两万家", (20000.0, "家")),
        ("十五天", (15.0, "天")),
        ("10天以下", (10.0, "天")),
        ("2.4个百分点", (2.4, "个百分点")),
        ("1,600台", (1600.0, "台")),
        ("3-5块钱", None),  # a range
        ("第三批", None),  # an ordinal
        ("1688", None),  # no measure word
        ("一二家", None),  # not a numeral
    ],
)
def test_quantity_values_are_scaled_into_a_common_measure(text: str, value: tuple[float, str] | None) -> None:
    got = quantity_value(text)
    assert got == (pytest.approx(value[0]), value[1]) if value else got is None
