"""The Conversation object, the session file, and `qa ask --follow-up` / ask(history=...) end to end."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from embeddings.encoder import FakeEncoder
from qa.api import QA
from qa.cli import main
from qa.conversation.history import HistoryError, Turn
from qa.conversation.session import Conversation, load_session, save_session


def _qa(tmp_path: Path) -> QA:
    corpus = tmp_path / "c"
    corpus.mkdir()
    (corpus / "a.md").write_text(
        "截至2022年9月，我国已培育了8997家专精特新“小巨人”企业。\n\n金坤新材的总经理是陈亮。\n\n"
        "汇博医疗的总经理是李靖远。\n", encoding="utf-8")
    return QA.build([corpus], tmp_path / "idx", encoder=FakeEncoder(), reader="baseline")


def test_session_file_round_trip_and_damage(tmp_path: Path) -> None:
    path = tmp_path / "s" / "session.json"
    assert load_session(path) == ()
    save_session(path, [Turn("q1", "a1"), Turn("q2", None, "q2 full")])
    assert load_session(path) == (Turn("q1", "a1"), Turn("q2", None, "q2 full"))
    path.write_text("{not json", encoding="utf-8")
    with pytest.raises(HistoryError, match="delete it"):
        load_session(path)


def test_ask_with_history_reads_the_rewrite_and_without_is_unchanged(tmp_path: Path) -> None:
    qa = _qa(tmp_path)
    plain = qa.ask("金坤新材的总经理是谁？")
    assert plain.understood_as is None and plain.to_json()["understood_as"] == plain.question
    assert qa.ask("金坤新材的总经理是谁？", history=None) == plain
    follow = qa.ask("那汇博医疗呢？", history=[plain.to_json()])
    assert follow.question == "那汇博医疗呢？" and follow.understood_as == "汇博医疗的总经理是谁？"
    assert follow.text == qa.ask("汇博医疗的总经理是谁？").text
    with pytest.raises(HistoryError):
        qa.ask("那汇博医疗呢？", history="金坤新材的总经理是谁？")  # type: ignore[arg-type]


def test_conversation_keeps_turns(tmp_path: Path) -> None:
    conv = Conversation(_qa(tmp_path))
    conv.ask("金坤新材的总经理是谁？")
    assert conv.ask("那汇博医疗呢？").understood_as == "汇博医疗的总经理是谁？"
    assert [t.question for t in conv.turns] == ["金坤新材的总经理是谁？", "那汇博医疗呢？"]
    conv.clear()
    assert conv.ask("那汇博医疗呢？").understood_as is None


def test_cli_follow_up_continues_the_session(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    _qa(tmp_path)
    session = tmp_path / "session.json"
    base = ["--index", str(tmp_path / "idx"), "--model", "fake", "--reader", "baseline", "--session", str(session)]
    assert main(["ask", "金坤新材的总经理是谁？", *base]) == 0
    capsys.readouterr()
    assert main(["ask", "那汇博医疗呢？", "--follow-up", "--json", *base]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["understood_as"] == "汇博医疗的总经理是谁？"
    assert len(json.loads(session.read_text(encoding="utf-8"))["turns"]) == 2
    session.write_text("[1, 2", encoding="utf-8")
    assert main(["ask", "那汇博医疗呢？", "--follow-up", *base]) == 2  # an error line, no traceback
    assert "session file" in capsys.readouterr().err
