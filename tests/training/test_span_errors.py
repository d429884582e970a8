"""The span-miss breakdown: each kind is told apart, counted, and longer spans' extra characters measured."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from training.span_errors import main, miss_kind, span_errors


def test_miss_kinds_are_told_apart() -> None:
    golds = ["足球运动员", "运动员"]
    assert miss_kind("运动员", golds) == "exact"
    assert miss_kind("巴西足球运动员", golds) == "longer"
    assert miss_kind("足球", golds) == "shorter"
    assert miss_kind("篮球队员", golds) == "overlap"
    assert miss_kind("北京", golds) == "disjoint"
    assert miss_kind(None, golds) == miss_kind("", golds) == "none"


def test_counts_shares_and_extra_characters() -> None:
    gold = [
        ("a", "q", "c", ["足球运动员"]),
        ("b", "q", "c", ["足球运动员"]),
        ("c", "q", "c", ["8997家"]),
        ("d", "q", "c", ["北京"]),
    ]
    preds = {"a": "巴西足球运动员", "b": "足球运动员", "c": "共8997家企业入选", "d": None}
    s = span_errors(preds, gold)
    assert s["counts"] == {"exact": 1, "longer": 2, "shorter": 0, "overlap": 0, "disjoint": 0, "none": 1}
    assert s["shares"]["longer"] == 0.5 and s["questions"] == 4
    assert s["longer_extra_chars"]["median"] == 3.5  # 2 and 5 extra characters


def test_the_command_reads_a_reader_eval_file(tmp_path: Path, capsys) -> None:  # noqa: ANN001
    data = tmp_path / "d.json"
    ctx = "工厂在北京。"
    qas = [{"id": "q1", "question": "工厂在哪里？", "answers": [{"text": "北京", "answer_start": 3}]}]
    data.write_text(
        json.dumps({"data": [{"paragraphs": [{"context": ctx, "qas": qas}]}]}, ensure_ascii=False)
    )
    preds = tmp_path / "p.json"
    preds.write_text(json.dumps({"f1": 1.0, "predictions": {"q1": "在北京"}}, ensure_ascii=False))
    out = tmp_path / "s.json"
    assert main([str(preds), str(data), "--json", str(out)]) == 0
    assert json.loads(out.read_text())["counts"]["longer"] == 1
    (tmp_path / "bad.json").write_text("{}")
    with pytest.raises(SystemExit):
        main([str(tmp_path / "bad.json"), str(data)])
    assert "not a reader_eval --json file" in capsys.readouterr().err
