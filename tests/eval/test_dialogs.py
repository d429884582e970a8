"""Dialog gold files: loading (bad lines skipped), per-turn evaluation, follow-ups apart from first turns."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from eval.dialogs import evaluate_dialogs, format_dialog_summary, is_dialog_file, load_dialogs, summarize
from eval.gold import GoldFormatError
from qa.types import Answer, Hit, Passage

REPO = Path(__file__).resolve().parents[2]


def test_the_bundled_dialogs_load_with_both_halves_and_every_kind() -> None:
    dialogs = load_dialogs(REPO / "eval" / "gold" / "dialogs.jsonl")
    assert len(dialogs) >= 40 and sum(d.lang == "zh" for d in dialogs) >= 30
    assert all(d.split == ("tune" if int(d.id.split("-")[1]) % 2 else "heldout") for d in dialogs)
    kinds = [t.kind for d in dialogs for t in d.turns[1:]]
    assert all(kinds.count(k) >= 5 for k in ("swap", "pronoun_subject", "pronoun_answer", "attribute"))
    assert all(t.standalone for d in dialogs for t in d.turns[1:])


def test_bad_lines_are_skipped_and_an_empty_file_is_an_error(tmp_path: Path) -> None:
    good = {"id": "d1", "split": "tune", "turns": [{"question": "q", "answers": ["a"]},
                                                   {"question": "f", "answers": ["b"], "standalone": "s"}]}
    bad = {"id": "d2", "split": "tune", "turns": [{"question": "q", "answers": ["a"]}, {"question": "f", "answers": []}]}
    path = tmp_path / "d.jsonl"
    path.write_text("\n".join([json.dumps(good), json.dumps(bad), "{oops"]) + "\n", encoding="utf-8")
    assert is_dialog_file(path) and [d.id for d in load_dialogs(path)] == ["d1"]
    path.write_text("{oops\n", encoding="utf-8")
    with pytest.raises(GoldFormatError):
        load_dialogs(path)


class FakeQA:
    """Answers 'b' only to the standalone 's' (asked directly or as a resolved follow-up)."""

    class reader:  # noqa: N801 - stands in for the reader attribute
        max_passages = 3

    def ask(self, question, *, k=None, mode="hybrid", history=None):  # noqa: ANN001, ANN201
        read = "s" if history and question == "f" else question
        text = {"q": "a", "s": "b"}.get(read)
        return Answer(question, text, 1.0, None, understood_as=read if history else None)

    def retrieve(self, question, k=5, mode="hybrid"):  # noqa: ANN001, ANN201
        p = Passage("x#0", "x", 0, 0, 3, "a b" if question in ("q", "s") else "zz")
        return [Hit(p, 1.0, 1)]


def test_follow_ups_are_scored_apart_with_alone_and_standalone(tmp_path: Path) -> None:
    path = tmp_path / "d.jsonl"
    row = {"id": "d1", "split": "heldout", "turns": [
        {"question": "q", "answers": ["a"]}, {"question": "f", "answers": ["b"], "standalone": "s", "kind": "swap"}]}
    path.write_text(json.dumps(row) + "\n", encoding="utf-8")
    records = evaluate_dialogs(FakeQA(), load_dialogs(path))
    assert [(r.turn, r.em, r.understood_as, r.retrieved_gold) for r in records] == [(0, 1.0, "q", True),
                                                                                  (1, 1.0, "s", True)]
    assert records[1].alone_em == 0.0 and records[1].standalone_em == 1.0
    summary = summarize(records)
    assert summary["heldout"]["follow_up"]["em_vs_standalone"] == 1.0
    assert summary["heldout"]["follow_up"]["alone_exact_match"] == 0.0
    assert "follow_up:swap" in format_dialog_summary(summary)
