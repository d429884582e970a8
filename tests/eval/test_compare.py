"""Comparing two runs files: changed questions, metric deltas, FILE:MODE selection, CLI output."""

from __future__ import annotations

import json
from dataclasses import replace

import pytest

from eval.cli import main
from eval.compare import compare_files, compare_records, format_comparison, split_spec
from eval.runner import QuestionRecord, RunsFormatError


def rec(qid, answers, prediction, em, f1, *, hit=1, mode="dense", latency=10.0) -> QuestionRecord:
    return QuestionRecord(
        id=qid,
        question=f"问题{qid}",
        answers=tuple(answers),
        doc_id=None,
        mode=mode,
        k=5,
        prediction=prediction,
        confidence=0.5,
        hit_rank=hit,
        passage_ids=("d#0",),
        latency_ms=latency,
        em=em,
        f1=f1,
    )


A = [
    rec("q1", ["北京"], "北京", 1.0, 1.0),
    rec("q2", ["上海"], "上海市", 0.0, 0.8, hit=3),
    rec("q3", [], None, 1.0, 1.0, hit=None),
    rec("q4", ["长江"], "黄河", 0.0, 0.0, hit=None),
    rec("q9", ["x"], "x", 1.0, 1.0),  # only in A
]
B = [
    rec("q1", ["北京"], "北京", 1.0, 1.0, mode="bm25"),
    rec("q2", ["上海"], "上海", 1.0, 1.0, hit=1, mode="bm25"),  # better
    rec("q3", [], "火星", 0.0, 0.0, hit=None, mode="bm25"),  # worse
    rec("q4", ["长江"], "长江口", 0.0, 0.8, hit=2, mode="bm25"),  # F1 changed only
]


def test_compare_records_finds_changes_and_deltas():
    comp = compare_records(A, B)
    assert [(c.a.id, c.improved) for c in comp.changed] == [("q2", True), ("q3", False), ("q4", True)]
    assert comp.n_shared == 4 and comp.only_a == ("q9",) and comp.only_b == ()
    assert comp.metrics_a["exact_match"] == 0.5 and comp.metrics_b["exact_match"] == 0.5
    assert comp.delta("f1") == pytest.approx((1 + 1 + 0 + 0.8) / 4 - (1 + 0.8 + 1 + 0) / 4)
    # recall over the 3 answerable shared questions: A hits q1@1, q2@3; B hits q1@1, q2@1, q4@2
    assert comp.metrics_a["recall@1"] == pytest.approx(1 / 3) and comp.metrics_b["recall@1"] == pytest.approx(
        2 / 3
    )
    assert comp.delta("recall@5") == pytest.approx(1 / 3)
    assert comp.delta("no_answer_accuracy") == -1.0


def test_format_comparison_lists_changed_questions():
    text = format_comparison(compare_records(A, B, label_a="a.jsonl", label_b="b.jsonl"))
    assert "changed: 3 (2 better in B, 1 worse)" in text
    assert "[+] q2: 问题q2" in text and "gold: 上海" in text and "A: '上海市'" in text and "B: '上海'" in text
    assert "[-] q3" in text and "gold: (unanswerable)" in text and "A: (abstained)" in text
    assert "q1" not in text.split("changed:")[1].split("metric")[0]
    assert "only in A: 1" in text
    assert any(
        line.startswith("exact_match") and line.rstrip().endswith("+0.0000") for line in text.splitlines()
    )


def test_retrieval_only_runs_compare_hits_within_k():
    a = [replace(r, em=None, f1=None, prediction=None) for r in A[:4]]
    b = [replace(r, em=None, f1=None, prediction=None) for r in B]
    comp = compare_records(a, b)
    assert [c.a.id for c in comp.changed] == ["q4"]  # q2 hit moved 3 -> 1, still within k=5
    assert comp.metrics_a["exact_match"] is None and "exact_match" not in format_comparison(comp)


def _write_runs(path, records, meta=None):
    """A runs file as `qa eval --runs` writes it; without ``meta``, as files written before the metadata line."""
    head = json.dumps({"meta": meta}, ensure_ascii=False) + "\n" if meta is not None else ""
    path.write_text(
        head + "".join(json.dumps(r.to_json(), ensure_ascii=False) + "\n" for r in records), encoding="utf-8"
    )


def _meta(name, model="m", **config):
    config = {"max_passages": 5, "min_confidence": 0.3, **config}
    reader = {"name": name, "max_passages": config["max_passages"], "config": config}
    return {"index": "/i", "model": model, "reader": reader, "gold": {"questions": 5}}


def test_split_spec():
    assert split_spec("runs.jsonl:hybrid") == (split_spec("runs.jsonl")[0], "hybrid")
    assert split_spec("C:/x/runs.jsonl")[1] is None


def test_compare_files_selects_modes(tmp_path):
    both = tmp_path / "both.jsonl"
    _write_runs(both, A + B)
    with pytest.raises(RunsFormatError, match="several modes"):
        compare_files(str(both), str(both))
    comp = compare_files(f"{both}:dense", f"{both}:bm25")
    assert len(comp.changed) == 3
    with pytest.raises(RunsFormatError, match="no records for mode 'hybrid'"):
        compare_files(f"{both}:hybrid", f"{both}:bm25")


def test_compare_shows_runs_made_with_different_readers(tmp_path, capsys):
    a, b = tmp_path / "a.jsonl", tmp_path / "b.jsonl"
    _write_runs(a, A, _meta("rules"))
    _write_runs(b, B, _meta("baseline", max_passages=3, min_confidence=0.5, window=2))
    comp = compare_files(str(a), str(b))
    assert comp.meta_a["reader"]["name"] == "rules" and comp.meta_b["reader"]["name"] == "baseline"
    text = format_comparison(comp)
    assert "reader: A = rules (max_passages 5); B = baseline (max_passages 3)" in text
    assert (
        "reader config differs in 3 fields: max_passages: 5 -> 3, min_confidence: 0.3 -> 0.5, window: None -> 2"
        in text
    )
    assert "model:" not in text  # same model: not mentioned
    assert main(["--compare", str(a), str(b)]) == 0
    assert "B = baseline (max_passages 3)" in capsys.readouterr().out


def test_compare_same_reader_different_model(tmp_path):
    a, b = tmp_path / "a.jsonl", tmp_path / "b.jsonl"
    _write_runs(a, A, _meta("rules", model="e5-int8"))
    _write_runs(b, B, _meta("rules", model="e5-fp32"))
    text = format_comparison(compare_files(str(a), str(b)))
    assert "reader: rules (max_passages 5), the same in A and B" in text
    assert "config differs" not in text and "model: A = e5-int8; B = e5-fp32" in text


def test_compare_runs_files_without_metadata(tmp_path):
    old, new, retrieval = tmp_path / "old.jsonl", tmp_path / "new.jsonl", tmp_path / "r.jsonl"
    _write_runs(old, A)
    _write_runs(new, B, _meta("rules"))
    _write_runs(retrieval, B, {**_meta("rules"), "reader": None})
    comp = compare_files(str(old), str(new))
    assert comp.meta_a is None and len(comp.changed) == 3  # an old file still loads and compares
    text = format_comparison(comp)
    assert "reader: A = not recorded (older runs file); B = rules (max_passages 5)" in text
    both_old = format_comparison(compare_files(str(old), str(old)))
    assert "reader: A = not recorded (older runs file); B = not recorded (older runs file)" in both_old
    assert "B = none (retrieval only)" in format_comparison(compare_files(str(new), str(retrieval)))


def test_cli_compare(tmp_path, capsys):
    a, b = tmp_path / "a.jsonl", tmp_path / "b.jsonl"
    _write_runs(a, A)
    _write_runs(b, B)
    assert main(["--compare", str(a), str(b)]) == 0
    out = capsys.readouterr().out
    assert "changed: 3" in out and "recall@1" in out
    assert main(["--compare", str(a), str(tmp_path / "missing.jsonl")]) == 2
    assert "cannot read runs file" in capsys.readouterr().err
