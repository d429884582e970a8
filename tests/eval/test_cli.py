"""`qa eval` is handed to the harness: the same options and output as `python -m eval.cli`, and the product
package does not import the harness until the command runs."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

import eval.cli
from eval.runner import QuestionRecord
from qa.cli import main as qa_main

ROOT = Path(__file__).resolve().parents[2]


def _runs(path: Path, prediction: str | None) -> None:
    record = QuestionRecord(
        id="q1", question="首都？", answers=("北京",), doc_id=None, mode="hybrid", k=5, prediction=prediction,
        confidence=0.5, hit_rank=1, passage_ids=("d#0",), latency_ms=1.0, em=float(prediction == "北京"),
        f1=float(prediction == "北京"),
    )
    path.write_text(json.dumps(record.to_json(), ensure_ascii=False) + "\n", encoding="utf-8")


def test_qa_eval_passes_every_argument_to_the_harness(tmp_path, capsys):
    a, b = tmp_path / "a.jsonl", tmp_path / "b.jsonl"
    _runs(a, "上海")
    _runs(b, "北京")
    assert qa_main(["eval", "--compare", str(a), f"{b}:hybrid"]) == 0
    via_qa = capsys.readouterr().out
    assert eval.cli.main(["--compare", str(a), f"{b}:hybrid"]) == 0
    assert capsys.readouterr().out == via_qa and "changed: 1 (1 better in B, 0 worse)" in via_qa
    assert qa_main(["eval", "--compare", str(a), str(tmp_path / "missing.jsonl")]) == 2
    assert "error: " in capsys.readouterr().err


def test_qa_eval_help_and_usage_errors_come_from_the_harness(capsys):
    with pytest.raises(SystemExit) as done:
        qa_main(["eval", "--help"])
    assert done.value.code == 0
    out = capsys.readouterr().out
    assert out.startswith("usage: qa eval ") and "--compare RUN_A RUN_B" in out and "--reader" in out
    with pytest.raises(SystemExit) as done:
        qa_main(["eval", "gold.jsonl", "--no-such-option"])
    assert done.value.code == 2
    assert "qa eval: error: unrecognized arguments: --no-such-option" in capsys.readouterr().err


def test_other_commands_still_reject_unknown_arguments(capsys):
    with pytest.raises(SystemExit) as done:
        qa_main(["info", "--no-such-option"])
    assert done.value.code == 2
    assert "qa: error: unrecognized arguments: --no-such-option" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        qa_main(["--help"])
    assert "eval" in capsys.readouterr().out


def test_the_product_cli_does_not_import_the_harness():
    code = (
        "import sys, qa.cli; qa.cli.build_parser(); "
        "print(sorted(m for m in sys.modules if m == 'eval' or m.startswith('eval.')))"
    )
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
