"""Judging a run by its decision rule from two `reader_decode --json` outputs."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from training.judge import best_variant, judge, main


def _row(variant: str, lp: float, drcd: tuple, en: tuple, zh: tuple, cmrc: tuple) -> dict:
    sets = {"drcd": drcd, "csquad-en": en, "csquad-zh": zh, "cmrc": cmrc}
    row = {"variant": variant, "length_penalty": lp}
    row.update({f"heldout-{k}": {"em": v[0], "f1": v[1], "questions": 100} for k, v in sets.items()})
    return row


BASE = _row("strip+whole+inner@0.2", 0.2, (0.72, 0.81), (0.34, 0.52), (0.27, 0.53), (0.43, 0.71))
SHORT = ["drcd", "csquad-en", "csquad-zh"]


def _write(path: Path, rows: list[dict]) -> Path:
    path.write_text(json.dumps({"weights": "w", "results": rows}))
    return path


def test_the_best_prior_is_chosen_and_ties_go_to_the_weaker_one() -> None:
    a = _row("x@0.1", 0.1, (0.7, 0.8), (0.3, 0.5), (0.3, 0.5), (0.4, 0.7))
    b = _row("x@0.3", 0.3, (0.7, 0.8), (0.3, 0.5), (0.3, 0.5), (0.3, 0.6))  # same short-set mean
    c = _row("x@0", 0.0, (0.6, 0.7), (0.3, 0.5), (0.3, 0.5), (0.5, 0.8))
    assert best_variant([b, c, a], SHORT)["variant"] == "x@0.1"


def test_a_candidate_ships_only_when_every_criterion_holds() -> None:
    better = _row("c@0.2", 0.2, (0.74, 0.82), (0.36, 0.53), (0.29, 0.54), (0.42, 0.69))
    assert all(c.holds for c in judge(better, BASE, SHORT, "cmrc", 0.01, 0.01, 0.03, 70.0))
    # (a) fails: mean EM up by less than 0.01
    flat = _row("c@0.2", 0.2, (0.72, 0.81), (0.34, 0.52), (0.28, 0.53), (0.43, 0.71))
    assert [c.name for c in judge(flat, BASE, SHORT, "cmrc", 0.01, 0.01, 0.03) if not c.holds] == ["a"]
    # (b) fails on one set although the mean EM rises
    lopsided = _row("c@0.2", 0.2, (0.80, 0.85), (0.36, 0.50), (0.29, 0.54), (0.43, 0.71))
    failed = [(c.name, c.asks) for c in judge(lopsided, BASE, SHORT, "cmrc", 0.01, 0.01, 0.03) if not c.holds]
    assert failed == [("b", "csquad-en F1 >= baseline - 0.01")]
    # (c) the guard collapses; (d) too slow
    collapsed = _row("c@0.2", 0.2, (0.74, 0.82), (0.36, 0.53), (0.29, 0.54), (0.40, 0.67))
    names = [c.name for c in judge(collapsed, BASE, SHORT, "cmrc", 0.01, 0.01, 0.03, 95.0) if not c.holds]
    assert names == ["c", "d"]


def test_the_command_writes_its_verdict_and_exits_by_it(
    tmp_path: Path, capsys: pytest.CaptureFixture
) -> None:
    base = _write(tmp_path / "base.json", [BASE])
    good = _write(
        tmp_path / "good.json", [_row("c@0.2", 0.2, (0.74, 0.82), (0.36, 0.53), (0.29, 0.54), (0.42, 0.69))]
    )
    out = tmp_path / "comparison.json"
    args = ["--baseline-variant", "strip+whole+inner@0.2", "--json", str(out)]
    assert main([str(good), str(base), *args]) == 0
    saved = json.loads(out.read_text())
    assert saved["ships"] is True and saved["candidate"]["chosen"]["variant"] == "c@0.2"
    assert "verdict: ships" in capsys.readouterr().out
    bad = _write(tmp_path / "bad.json", [BASE | {"variant": "c@0.2"}])
    assert main([str(bad), str(base), *args]) == 1
    assert json.loads(out.read_text())["ships"] is False


def test_bad_input_is_a_clear_error(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    base = _write(tmp_path / "base.json", [BASE])
    with pytest.raises(SystemExit) as e:
        main([str(base), str(base), "--baseline-variant", "missing@0.2"])
    assert e.value.code == 2 and "has no variant 'missing@0.2'" in capsys.readouterr().err
    broken = tmp_path / "broken.json"
    broken.write_text("{not json")
    with pytest.raises(SystemExit) as e:
        main([str(broken), str(base), "--baseline-variant", "strip+whole+inner@0.2"])
    assert e.value.code == 2 and "cannot read" in capsys.readouterr().err
    with pytest.raises(SystemExit) as e:
        main([str(base), str(base), "--baseline-variant", "strip+whole+inner@0.2", "--guard", "nowhere"])
    assert e.value.code == 2 and "no scores for the set 'nowhere'" in capsys.readouterr().err
