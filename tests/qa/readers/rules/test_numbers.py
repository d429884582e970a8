"""Quantities with their units, ordinals, and what is no number."""

from __future__ import annotations

from qa.readers.rules.numbers import find_quantities


def test_quantity_units_and_non_numbers() -> None:
    units = {s.text: s.unit for s in find_quantities("投入1.6亿元，培育8997家，用时0.75秒")}
    assert units == {"1.6亿元": "元", "8997家": "家", "0.75秒": "秒"}
    assert find_quantities("一些企业在统一平台上") == []  # 一 of 一些/统一 is no number
    assert [s.text for s in find_quantities("1996年，公司引进生产线")] == []  # a year is a date
    assert [s.text for s in find_quantities("排名第一")] == ["第一"]
    assert find_quantities("排名第一")[0].kind == "ordinal"
