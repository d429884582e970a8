"""Gold loading: JSONL and SQuAD formats, malformed rows skipped (with warnings and counts), offsets corrected,
and a clear error for a file that is not a gold file (also through the CLI: exit 2, no traceback)."""

from __future__ import annotations

import hashlib
import json
import logging
from pathlib import Path

import pytest

from eval.cli import main
from eval.gold import LOGGED_ROWS, GoldFormatError, load_gold
from qa.errors import QAError

SHARED_DATA = Path(__file__).resolve().parents[2].parent / "shared" / "data"
GOOD = {"id": "ok", "question": "首都是哪里？", "answers": ["北京"]}


def _write(tmp_path, name, text):
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def _jsonl(*rows):
    return "\n".join(r if isinstance(r, str) else json.dumps(r, ensure_ascii=False) for r in rows) + "\n"


def _squad(paragraphs, *, title="文章"):
    return {"version": "v2.0", "data": [{"title": title, "paragraphs": paragraphs}]}


def _warnings(caplog):
    return [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING and r.name == "eval.gold"]


def test_jsonl_questions_keep_extra_fields(tmp_path):
    lines = [
        {
            "id": "q1",
            "question": "首都是哪里？",
            "answers": ["北京", "北京市", "北京"],
            "doc_id": "d1",
            "type": "place",
        },
        {"id": "q2", "question": "火星有几个人？", "answers": []},
    ]
    path = _write(tmp_path, "g.jsonl", "\n".join(json.dumps(x, ensure_ascii=False) for x in lines) + "\n\n")
    gold = load_gold(path)
    assert gold.format == "jsonl" and gold.documents is None
    q1, q2 = gold.questions
    assert q1.answers == ("北京", "北京市") and q1.doc_id == "d1" and dict(q1.extra) == {"type": "place"}
    assert q1.answerable and not q2.answerable and q2.doc_id is None and q1.answer_starts == ()
    assert gold.sha256 == hashlib.sha256(path.read_bytes()).hexdigest()
    assert gold.skipped == () and gold.corrected == ()
    assert [q.id for q in gold.limit(1).questions] == ["q1"]
    with pytest.raises(ValueError):
        gold.limit(0)


@pytest.mark.parametrize(
    ("bad", "reason", "qid", "detail"),
    [
        ('{"id": "b", "question": ', "bad_json", None, "not valid JSON"),
        ({"id": "b", "question": "q"}, "missing_field", "b", "missing required field 'answers'"),
        ({"id": "b", "question": "q", "answers": "北京"}, "wrong_type", "b", "field 'answers' must be a list"),
        ({"id": 3, "question": "q", "answers": []}, "wrong_type", None, "field 'id' must be a string, got int"),
        ({"question": "q", "answers": []}, "missing_field", None, "missing required field 'id'"),
        ({"id": "b", "question": None, "answers": []}, "missing_field", "b", "missing required field 'question'"),
        ({"id": "b", "question": 7, "answers": []}, "wrong_type", "b", "field 'question' must be a string"),
        ({"id": "b", "question": "q", "answers": [], "doc_id": 3}, "wrong_type", "b", "field 'doc_id'"),
        ('["a"]', "wrong_type", None, "expected a JSON object per line, got list"),
        ({"id": "b", "question": "   ", "answers": []}, "empty_question", "b", "field 'question' is empty"),
        ({"id": "b", "question": "\u200b\u0007", "answers": []}, "empty_question", "b", "is empty"),
        ({"id": "  ", "question": "q", "answers": []}, "empty_field", "  ", "field 'id' is empty"),
        ({"id": "b", "question": "q", "answers": ["x", " "]}, "empty_field", "b", "holds an empty string"),
        ({"id": "ok", "question": "另一个？", "answers": []}, "duplicate_id", "ok", "duplicate question id 'ok'"),
    ],
)
def test_a_malformed_jsonl_row_is_skipped_with_a_warning(tmp_path, caplog, bad, reason, qid, detail):
    path = _write(tmp_path, "g.jsonl", _jsonl(GOOD, bad, {"id": "last", "question": "最后？", "answers": []}))
    with caplog.at_level(logging.WARNING, logger="eval.gold"):
        gold = load_gold(path)
    assert [q.id for q in gold.questions] == ["ok", "last"]
    assert gold.questions[0].question == "首都是哪里？" and gold.questions[0].answers == ("北京",)
    (skip,) = gold.skipped
    assert (skip.reason, skip.where, skip.id) == (reason, "line 2", qid)
    assert detail in skip.detail
    assert gold.skip_counts() == {reason: 1}
    warned = _warnings(caplog)
    assert any(f"{path}: line 2: skipped ({reason})" in w and detail in w for w in warned)
    assert any("2 questions loaded; 1 rows skipped" in w and f"{reason} 1" in w for w in warned)


def test_only_the_first_rows_are_warned_one_by_one(tmp_path, caplog):
    path = _write(tmp_path, "g.jsonl", _jsonl(GOOD, *(["not json"] * (LOGGED_ROWS + 5))))
    with caplog.at_level(logging.WARNING, logger="eval.gold"):
        gold = load_gold(path)
    assert len(gold.skipped) == LOGGED_ROWS + 5 and len(gold.questions) == 1
    warned = _warnings(caplog)
    assert sum("skipped (bad_json)" in w for w in warned) == LOGGED_ROWS
    assert f"{LOGGED_ROWS + 5} rows skipped (bad_json {LOGGED_ROWS + 5})" in warned[-1]


def test_load_report_counts_reasons_and_shows_first_examples(tmp_path):
    rows = [GOOD, "nope", {"id": "e1", "question": "", "answers": []}, "nope", {"id": "ok", "question": "再问", "answers": []}]
    gold = load_gold(_write(tmp_path, "g.jsonl", _jsonl(*rows)))
    report = gold.load_report(examples=2)
    assert report["questions"] == 1 and report["skipped"] == 4 and report["corrected"] == 0
    assert report["skipped_by_reason"] == {"bad_json": 2, "empty_question": 1, "duplicate_id": 1}
    assert [(e["where"], e["reason"], e["id"]) for e in report["skipped_examples"]] == [
        ("line 2", "bad_json", None),
        ("line 3", "empty_question", "e1"),
    ]
    assert gold.limit(1).load_report() == gold.load_report()  # the report describes the whole file
    json.dumps(report)


@pytest.mark.parametrize(
    ("text", "needle"),
    [
        ("", "empty gold file"),
        ("\n  \n", "empty gold file"),
        ("not json\nalso not json\n", "no valid questions: all 2 rows skipped (bad_json 2); first: line 1: not valid"),
        (_jsonl({"id": "a", "question": "q"}), "no valid questions: all 1 rows skipped (missing_field 1)"),
        ("[1, 2, 3]", "a JSON list that is not a gold file"),
        ('{\n  "version": "1",\n  "questions": []\n}\n', "a JSON dict that is not a gold file"),
        ("id,question,answer\n1,q,a\n", "no valid questions"),
    ],
)
def test_a_file_that_is_not_gold_is_an_error(tmp_path, text, needle):
    path = _write(tmp_path, "g.jsonl", text)
    with pytest.raises(GoldFormatError) as err:
        load_gold(path)
    assert needle in str(err.value) and str(path) in str(err.value)
    assert isinstance(err.value, QAError)


def test_binary_and_missing_files_are_errors(tmp_path):
    binary = tmp_path / "g.bin"
    binary.write_bytes(b"\xff\xfe\x00\x81gold")
    with pytest.raises(GoldFormatError, match="not UTF-8"):
        load_gold(binary)
    with pytest.raises(GoldFormatError, match="cannot read"):
        load_gold(tmp_path / "nope.jsonl")


# --------------------------------------------------------------------------- SQuAD


def test_squad_contexts_become_documents(tmp_path):
    data = _squad(
        [
            {
                "id": "P1",
                "context": "北京是中国的首都。",
                "qas": [
                    {
                        "id": "q1",
                        "question": "中国的首都是哪里？",
                        "answers": [{"text": "北京", "answer_start": 0}] * 3,
                    },
                    {"id": "q2", "question": "火星首都？", "answers": [], "is_impossible": True},
                ],
            },
            {
                "context": "上海是大城市。",
                "qas": [
                    {
                        "id": "q3",
                        "question": "哪个是大城市？",
                        "answers": [{"text": "上海"}],
                        "plausible_answers": [],
                        "is_impossible": False,
                    },
                ],
            },
        ]
    )
    path = _write(tmp_path, "squad.json", json.dumps(data, ensure_ascii=False))
    gold = load_gold(path)
    assert gold.format == "squad"
    assert [(d.doc_id, d.title, d.text) for d in gold.documents] == [
        ("P1", "文章", "北京是中国的首都。"),
        ("文章-1", "文章", "上海是大城市。"),
    ]
    q1, q2, q3 = gold.questions
    assert (q1.answers, q1.doc_id, q1.answer_starts) == (("北京",), "P1", (0,))
    assert q2.answers == () and not q2.answerable
    assert (q3.answers, q3.doc_id, q3.answer_starts) == (("上海",), "文章-1", (0,))
    assert gold.skipped == () and gold.corrected == ()  # an absent answer_start is located, not "corrected"


def test_squad_impossible_overrides_answers(tmp_path):
    data = _squad(
        [
            {
                "id": "P",
                "context": "c",
                "qas": [{"id": "q", "question": "?", "answers": [{"text": "c"}], "is_impossible": True}],
            }
        ]
    )
    gold = load_gold(_write(tmp_path, "s.json", json.dumps(data)))
    assert gold.questions[0].answers == ()


CONTEXT = "北京是中国的首都，北京有故宫。"  # 北京 at 0 and 9


@pytest.mark.parametrize(
    ("bad", "reason", "detail"),
    [
        ({"id": "b", "answers": []}, "missing_field", "missing required field 'question'"),
        ({"id": "b", "question": "  ", "answers": []}, "empty_question", "field 'question' is empty"),
        ({"question": "q", "answers": []}, "missing_field", "missing required field 'id'"),
        ({"id": "b", "question": "q", "answers": [{"text": 1}]}, "wrong_type", "answers[0]: field 'text' must be a string"),
        ({"id": "b", "question": "q", "answers": [{"text": ""}]}, "empty_field", "answers[0]: field 'text' is empty"),
        ({"id": "b", "question": "q", "answers": ["北京"]}, "wrong_type", "answers[0]: expected dict, got str"),
        ({"id": "b", "question": "q", "answers": {"text": "北京"}}, "wrong_type", "answers: expected list"),
        ({"id": "b", "question": "q", "is_impossible": "no"}, "wrong_type", "is_impossible: expected bool, got str"),
        (
            {"id": "b", "question": "q", "answers": [{"text": "上海", "answer_start": 0}, {"text": "天津", "answer_start": -1}]},
            "answer_not_in_context",
            "no answer occurs in the context (上海 | 天津)",
        ),
        ({"id": "ok", "question": "再问？", "answers": []}, "duplicate_id", "duplicate question id 'ok'"),
    ],
)
def test_a_malformed_squad_question_is_skipped_with_a_warning(tmp_path, caplog, bad, reason, detail):
    good = {"id": "ok", "question": "首都？", "answers": [{"text": "北京", "answer_start": 0}]}
    data = _squad([{"id": "P", "context": CONTEXT, "qas": [good, bad]}])
    path = _write(tmp_path, "s.json", json.dumps(data, ensure_ascii=False))
    with caplog.at_level(logging.WARNING, logger="eval.gold"):
        gold = load_gold(path)
    assert [q.id for q in gold.questions] == ["ok"] and [d.doc_id for d in gold.documents] == ["P"]
    (skip,) = gold.skipped
    assert (skip.reason, skip.where) == (reason, "data[0].paragraphs[0].qas[1]")
    assert skip.id == bad.get("id") and detail in skip.detail
    assert any(f"qas[1]: skipped ({reason})" in w for w in _warnings(caplog))


def test_a_question_that_is_not_an_object_is_skipped(tmp_path):
    data = _squad([{"id": "P", "context": CONTEXT, "qas": ["北京?", {"id": "ok", "question": "首都？", "answers": []}]}])
    gold = load_gold(_write(tmp_path, "s.json", json.dumps(data, ensure_ascii=False)))
    assert [q.id for q in gold.questions] == ["ok"]
    assert [(s.reason, s.id, s.detail) for s in gold.skipped] == [("wrong_type", None, "question: expected dict, got str")]


def test_a_malformed_paragraph_skips_its_questions_only(tmp_path, caplog):
    qa = {"id": "x1", "question": "q", "answers": []}
    data = {
        "data": [
            "not an article",
            {"title": "无段落"},
            {
                "title": "t",
                "paragraphs": [
                    {"id": "P1", "qas": [qa, {**qa, "id": "x2"}]},  # no context
                    {"id": "P2", "context": "", "qas": [{**qa, "id": "x3"}]},
                    {"id": "P3", "context": "北京。", "qas": [{"id": "ok", "question": "首都？", "answers": []}]},
                    {"id": "P3", "context": "重复。", "qas": [{**qa, "id": "x4"}]},
                    {"id": "P4", "context": "c", "qas": "none"},
                ],
            },
        ]
    }
    with caplog.at_level(logging.WARNING, logger="eval.gold"):
        gold = load_gold(_write(tmp_path, "s.json", json.dumps(data, ensure_ascii=False)))
    assert [q.id for q in gold.questions] == ["ok"] and [d.doc_id for d in gold.documents] == ["P3"]
    assert [(s.reason, s.where, s.id) for s in gold.skipped] == [
        ("wrong_type", "data[0]", None),
        ("missing_field", "data[1]", None),
        ("missing_field", "data[2].paragraphs[0].qas[0]", "x1"),
        ("missing_field", "data[2].paragraphs[0].qas[1]", "x2"),
        ("empty_field", "data[2].paragraphs[1].qas[0]", "x3"),
        ("duplicate_id", "data[2].paragraphs[3].qas[0]", "x4"),
        ("wrong_type", "data[2].paragraphs[4]", None),
    ]
    assert "missing required field 'context'" in gold.skipped[2].detail
    assert "duplicate paragraph id 'P3'" in gold.skipped[5].detail
    assert gold.skip_counts() == {"wrong_type": 2, "missing_field": 3, "empty_field": 1, "duplicate_id": 1}
    assert "7 rows skipped" in _warnings(caplog)[-1]


@pytest.mark.parametrize(
    ("data", "needle"),
    [
        ({"data": {}}, "data: expected list, got dict"),
        (_squad([{"id": "P", "context": "c", "qas": []}]), "no questions found"),
        (_squad([{"id": "P", "context": "c", "qas": [{"id": "q"}]}]), "no valid questions: all 1 rows skipped"),
    ],
)
def test_squad_without_valid_questions_is_an_error(tmp_path, data, needle):
    path = _write(tmp_path, "s.json", json.dumps(data))
    with pytest.raises(GoldFormatError) as err:
        load_gold(path)
    assert needle in str(err.value) and str(path) in str(err.value)


# --------------------------------------------------------------------------- answer offsets


@pytest.mark.parametrize(
    ("given", "start"),
    [
        (-1, 0),  # unknown offset: the first occurrence
        (1, 0),  # off by one after
        (8, 9),  # off by one before the second occurrence
        (12, 9),  # off by three
        (5, 9),  # nearest of two: 9 is 4 away, 0 is 5 away
        (4, 0),
        (500, 9),  # past the end: the last occurrence
        ("9", 0),  # not an int: located from the start
    ],
)
def test_an_answer_start_off_target_is_corrected_to_the_nearest_occurrence(tmp_path, caplog, given, start):
    qa = {"id": "q", "question": "首都？", "answers": [{"text": "北京", "answer_start": given}]}
    path = _write(tmp_path, "s.json", json.dumps(_squad([{"id": "P", "context": CONTEXT, "qas": [qa]}])))
    with caplog.at_level(logging.WARNING, logger="eval.gold"):
        gold = load_gold(path)
    (q,) = gold.questions
    assert q.answers == ("北京",) and q.answer_starts == (start,) and CONTEXT[start : start + 2] == "北京"
    assert gold.skipped == ()
    (c,) = gold.corrected
    assert (c.id, c.where, c.text, c.given, c.start) == ("q", "data[0].paragraphs[0].qas[0].answers[0]", "北京", given, start)
    assert any(f"answer_start {given!r} corrected to {start}" in w for w in _warnings(caplog))
    assert "0 rows skipped; 1 answer offsets corrected" in _warnings(caplog)[-1]
    assert gold.load_report()["corrected_examples"][0]["start"] == start


def test_a_correct_answer_start_is_not_counted_and_free_text_answers_are_kept(tmp_path, caplog):
    """CMRC dev style: human answers with answer_start -1 that are not spans stay as reference text."""
    answers = [
        {"text": "北京", "answer_start": 9},
        {"text": "首都北京市", "answer_start": -1},  # not in the context: kept, no offset
        {"text": "北京", "answer_start": 0},  # same text again: deduplicated, the first offset kept
    ]
    qa = {"id": "q", "question": "首都？", "answers": answers}
    path = _write(tmp_path, "s.json", json.dumps(_squad([{"id": "P", "context": CONTEXT, "qas": [qa]}])))
    with caplog.at_level(logging.WARNING, logger="eval.gold"):
        gold = load_gold(path)
    (q,) = gold.questions
    assert q.answers == ("北京", "首都北京市") and q.answer_starts == (9, None)
    assert gold.load_report()["free_text_answers"] == 1
    assert gold.skipped == () and gold.corrected == () and _warnings(caplog) == []


# --------------------------------------------------------------------------- real public files


@pytest.mark.skipif(not (SHARED_DATA / "cmrc2018").is_dir(), reason="public gold files not present (../shared/data)")
def test_public_cmrc_files_load_whole_with_their_offsets_corrected():
    dev = load_gold(SHARED_DATA / "cmrc2018" / "cmrc2018_dev.json")
    assert len(dev.questions) == 3219 and len(dev.documents) == 848 and dev.skipped == ()
    assert len(dev.corrected) == 7 and {c.id for c in dev.corrected} == {"DEV_101_QUERY_3", "DEV_110_QUERY_2", "DEV_110_QUERY_3"}
    assert dev.load_report()["free_text_answers"] == 177  # 193 answers with answer_start -1, 177 distinct
    train = load_gold(SHARED_DATA / "cmrc2018" / "cmrc2018_train.json")
    assert len(train.questions) == 10142 and train.skipped == () and len(train.corrected) == 21
    assert all(abs(c.start - c.given) <= 2 for c in train.corrected)
    by_id = {q.id: q for q in train.questions}
    contexts = {d.doc_id: d.text for d in train.documents}
    for c in train.corrected:
        q = by_id[c.id]
        assert contexts[q.doc_id][c.start : c.start + len(c.text)] == c.text


# --------------------------------------------------------------------------- CLI


def test_cli_not_a_gold_file_exits_2_without_traceback(tmp_path, capsys):
    path = _write(tmp_path, "bad.jsonl", "not json\n{also not}\n")
    assert main([str(path), "--quiet"]) == 2
    err = capsys.readouterr().err
    assert "error: " in err and "no valid questions: all 2 rows skipped (bad_json 2)" in err
    assert "Traceback" not in err


def test_cli_unknown_mode_exits_2(tmp_path, capsys):
    path = _write(tmp_path, "g.jsonl", '{"id": "a", "question": "q", "answers": []}\n')
    assert main([str(path), "--modes", "dense,sparse", "--quiet"]) == 2
    assert "unknown mode(s) sparse" in capsys.readouterr().err
