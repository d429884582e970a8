"""Hostile or odd questions: a clear ValueError or a normal (possibly abstaining) answer, never a crash.

Uses the FakeEncoder index with the real RuleReader (through `QA.ask`), and a few through the CLI; the
answer contract itself is checked for every reader in tests/qa/readers/test_contract.py.
"Bounded time" is guarded by a generous SIGALRM watchdog that only fails a hung call, not a slow one.
"""

from __future__ import annotations

import contextlib
import json
import signal
from collections.abc import Iterator
from pathlib import Path

import pytest

from embeddings.encoder import FakeEncoder
from qa.api import QA
from qa.cli import main as cli_main
from qa.retriever import check_question
from qa.types import MODES, Answer, Document
from tests.qa.readers.contract import check_answer

FACT = "截至2022年9月，我国已培育了8997家专精特新“小巨人”企业。"
QUESTION = "截至2022年9月，我国已培育了多少家专精特新“小巨人”企业？"
HANG_GUARD_S = 60

DOCS = [
    Document("fact.md", "小巨人",
             f"{FACT}\n\n北京市是国家级专精特新中小企业数量最多的城市，"
             "北京经济技术开发区是聚集地之一。", "2022-10-01"),
    Document("en.txt", "Giants",
             "Little giants are small and medium enterprises. By September 2022, China had "
             "cultivated 8,997 little giant enterprises.\n\nThey focus on niche markets.", None),
    Document("b.txt", "乙",
             "数据显示，我国已累计培育“小巨人”企业1.2万家。\n\n银河航天灵犀03星成功发射，"
             "并进入预定轨道。", "2023-09-01"),
    Document("markup.md", "<b>标记</b>",
             "<script>alert(1)</script> 表格 | a | b |\n\n'; DROP TABLE x; -- 注入文本", None),
]

# Nothing printable is left: check_question rejects these with a message that says what to do.
EMPTY = {
    "empty": "",
    "spaces": "   ",
    "whitespace": "\n\t \r\n ",
    "controls": "\x00\x01\x07\x1b\x7f",
    "zero-width": "\u200b\u200c\u200d\ufeff",
    "ideographic-space": "\u3000\u3000",
    "bidi-controls": "\u202e\u202d\u2066",
}

# Must give an Answer (text may be None) without raising.
ODD = {
    "question-marks": "？？？",
    "punctuation": "...!!! 。，、；：“”《》",
    "10k-ascii": "a" * 10_001,
    "12k-repeated-question": "小巨人企业有多少家？" * 1_200,
    "100k-cjk": "问" * 100_000,
    "many-lines": "\n".join([QUESTION] * 300),
    "control-chars-inside": "\x00截至2022年9月\x07，我国已培育了多少家\x1b[31m专精特新“小巨人”企业？",
    "emoji": f"🚀🚀 {QUESTION} 👍🏽👨‍👩‍👧",
    "emoji-only": "😀🎉🔥",
    "mixed-scripts": "Сколько 小巨人 企業 가 있습니까? مرحبا שלום",
    "rtl-override": f"\u202e{QUESTION}",
    "lone-surrogate": f"\ud800{QUESTION}",
    "astral-cjk": "𠀀𠀁𠀂的数量是多少？",
    "full-width": "ＡＢＣ１２３？",
    "combining-marks": "e\u0301" * 5_000,
    "sql": "'; DROP TABLE passages; --",
    "sql-tautology": "1' OR '1'='1",
    "html": f"<script>alert(1)</script>{QUESTION}",
    "html-attr": '<img src=x onerror="alert(1)">小巨人有多少家？',
    "markdown": f"**{QUESTION}** [x](javascript:alert(1)) `code` # 标题\n\n| a | b |",
    "format-strings": "{0} %s %(x)s {{}} ${HOME}",
    "regex-metachars": r".*+?[](){}^$|\ (?<!x)",
    "path-traversal": "../../etc/passwd",
    "json": '{"question": "x", "k": 1000}',
    "words-like-null": "null None NaN undefined",
    "the-answer-itself": "8997家",
}


@contextlib.contextmanager
def hang_guard(seconds: int = HANG_GUARD_S) -> Iterator[None]:
    """Fail (instead of hanging the suite) if a call takes pathologically long."""

    def on_alarm(_signum: int, _frame: object) -> None:
        raise TimeoutError(f"the call did not return within {seconds} s")

    previous = signal.signal(signal.SIGALRM, on_alarm)
    signal.alarm(seconds)
    try:
        yield
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)


@pytest.fixture(scope="module")
def index_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    target = tmp_path_factory.mktemp("badq") / "idx"
    QA.build_from_documents(DOCS, target, encoder=FakeEncoder())
    return target


@pytest.fixture(scope="module")
def qa(index_dir: Path) -> QA:
    return QA.open(index_dir, encoder=FakeEncoder())  # the default reader: the real RuleReader


def check(qa: QA, answer: Answer) -> None:
    """The answer contract (tests/qa/readers/contract.py), citations quoting this index's passages."""
    check_answer(answer, {p.passage_id: p for p in qa.passages})


@pytest.mark.parametrize("question", list(EMPTY.values()), ids=list(EMPTY))
def test_questions_with_nothing_printable_are_a_clear_error(qa: QA, question: str) -> None:
    with pytest.raises(ValueError, match="the question is empty"), hang_guard():
        qa.ask(question)
    with pytest.raises(ValueError, match="the question is empty"):
        qa.retrieve(question)


@pytest.mark.parametrize("question", [None, 42, b"bytes", ["list"]], ids=["None", "int", "bytes", "list"])
def test_non_text_questions_are_a_clear_error(qa: QA, question: object) -> None:
    with pytest.raises(ValueError, match="must be text"):
        qa.ask(question)  # type: ignore[arg-type]


@pytest.mark.parametrize("question", list(ODD.values()), ids=list(ODD))
def test_odd_questions_get_a_normal_answer(qa: QA, question: str) -> None:
    with hang_guard():
        answer = qa.ask(question)
        check(qa, answer)
        for mode in MODES:
            hits = qa.retrieve(question, k=3, mode=mode)
            assert len(hits) <= 3 and [h.rank for h in hits] == list(range(1, len(hits) + 1))


@pytest.mark.parametrize("name", ["control-chars-inside", "emoji", "rtl-override", "lone-surrogate", "html",
                                  "markdown", "many-lines"])
def test_the_question_still_works_wrapped_in_noise(qa: QA, name: str) -> None:
    """Noise around a real question does not stop the right answer (the index is ours; FakeEncoder)."""
    answer = qa.ask(ODD[name])
    assert answer.text is not None and "8997" in answer.text


def test_cleaned_question_keeps_no_control_characters() -> None:
    cleaned = check_question(ODD["control-chars-inside"])
    assert not any(ord(ch) < 32 and ch not in "\t\n" for ch in cleaned)
    assert "\x7f" not in cleaned and "截至2022年9月" in cleaned


def test_batch_with_one_bad_question_is_a_clear_error(qa: QA) -> None:
    with pytest.raises(ValueError, match="empty"):
        qa.ask_batch([QUESTION, "   "])
    answers = qa.ask_batch([QUESTION, ODD["sql"], ODD["100k-cjk"]])
    assert len(answers) == 3 and answers[0].text is not None and "8997" in answers[0].text
    for a in answers:
        check(qa, a)


# ------------------------------------------------------------------------------------------------ CLI


@pytest.mark.parametrize("command", ["ask", "search"])
@pytest.mark.parametrize("question", ["", "  \t ", "\x00\x01"], ids=["empty", "blank", "controls"])
def test_cli_empty_question_is_exit_2_with_error_line(index_dir: Path, capsys: pytest.CaptureFixture[str],
                                                      command: str, question: str) -> None:
    rc = cli_main([command, question, "--index", str(index_dir)])
    out, err = capsys.readouterr()
    assert rc == 2 and err.startswith("error: the question is empty") and "Traceback" not in err
    assert out == ""


@pytest.mark.parametrize("name", ["10k-ascii", "html", "sql", "emoji", "lone-surrogate"])
def test_cli_odd_questions_answer_in_json(index_dir: Path, capsys: pytest.CaptureFixture[str],
                                          name: str) -> None:
    rc = cli_main(["ask", ODD[name], "--index", str(index_dir), "--json"])
    out, err = capsys.readouterr()
    assert rc == 0, err
    data = json.loads(out)
    assert set(data) >= {"question", "answer", "confidence", "citations"}
    for c in data["citations"]:
        assert c["text"][c["start"]:c["end"]] == data["answer"]
