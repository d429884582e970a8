"""Gold loading: JSONL and SQuAD formats, and clear errors (also through the CLI: exit 2, no traceback)."""

from __future__ import annotations

import hashlib
import json

import pytest

from eval.cli import main
from eval.gold import GoldFormatError, load_gold


def _write(tmp_path, name, text):
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def _squad(paragraphs, *, title="文章"):
    return {"version": "v2.0", "data": [{"title": title, "paragraphs": paragraphs}]}


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
    assert q1.answerable and not q2.answerable and q2.doc_id is None
    assert gold.sha256 == hashlib.sha256(path.read_bytes()).hexdigest()
    assert [q.id for q in gold.limit(1).questions] == ["q1"]
    with pytest.raises(ValueError):
        gold.limit(0)


@pytest.mark.parametrize(
    ("text", "needle"),
    [
        (
            '{"id": "a", "question": "q", "answers": []}\n{"id": "b", "question": ',
            "g.jsonl:2: not valid JSON",
        ),
        ('{"id": "a", "question": "q"}', "g.jsonl:1: missing required field 'answers'"),
        ('{"id": "a", "question": "q", "answers": "北京"}', "g.jsonl:1: field 'answers' must be a list"),
        ('{"id": 3, "question": "q", "answers": []}', "g.jsonl:1: field 'id' must be a string, got int"),
        ('{"question": "q", "answers": []}', "g.jsonl:1: missing required field 'id'"),
        ('["a"]', "g.jsonl:1: expected a JSON object per line, got list"),
        (
            '{"id": "a", "question": "q", "answers": []}\n{"id": "a", "question": "r", "answers": []}',
            "duplicate",
        ),
        ("", "empty gold file"),
        ("\n  \n", "empty gold file"),
    ],
)
def test_jsonl_errors_name_the_line(tmp_path, text, needle):
    path = _write(tmp_path, "g.jsonl", text)
    with pytest.raises(GoldFormatError) as err:
        load_gold(path)
    assert needle in str(err.value)
    assert isinstance(err.value, ValueError)


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
    assert (q1.answers, q1.doc_id) == (("北京",), "P1")
    assert q2.answers == () and not q2.answerable
    assert (q3.answers, q3.doc_id) == (("上海",), "文章-1")


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


@pytest.mark.parametrize(
    ("data", "needle"),
    [
        ({"data": {}}, "data: expected list, got dict"),
        ({"data": [{"title": "t"}]}, "data[0].paragraphs: expected list, got NoneType"),
        (_squad([{"id": "P", "qas": []}]), "data[0].paragraphs[0]: missing required field 'context'"),
        (
            _squad([{"id": "P", "context": "c", "qas": [{"id": "q", "answers": []}]}]),
            "data[0].paragraphs[0].qas[0]: missing required field 'question'",
        ),
        (
            _squad(
                [{"id": "P", "context": "c", "qas": [{"id": "q", "question": "?", "answers": [{"text": 1}]}]}]
            ),
            "data[0].paragraphs[0].qas[0].answers[0]: field 'text' must be a string, got int",
        ),
        (
            _squad(
                [{"id": "P", "context": "c", "qas": [{"id": "q", "question": "?", "is_impossible": "no"}]}]
            ),
            "qas[0].is_impossible: expected bool, got str",
        ),
        (
            _squad([{"id": "P", "context": "c", "qas": []}, {"id": "P", "context": "d", "qas": []}]),
            "duplicate paragraph id 'P'",
        ),
        (_squad([{"id": "P", "context": "c", "qas": []}]), "no questions"),
    ],
)
def test_squad_errors_name_the_json_path(tmp_path, data, needle):
    path = _write(tmp_path, "s.json", json.dumps(data))
    with pytest.raises(GoldFormatError) as err:
        load_gold(path)
    assert needle in str(err.value) and str(path) in str(err.value)


def test_missing_file_is_a_gold_error(tmp_path):
    with pytest.raises(GoldFormatError, match="cannot read"):
        load_gold(tmp_path / "nope.jsonl")


def test_cli_bad_gold_exits_2_without_traceback(tmp_path, capsys):
    path = _write(tmp_path, "bad.jsonl", '{"id": "a", "question": "q", "answers": []}\nnot json\n')
    assert main([str(path), "--quiet"]) == 2
    err = capsys.readouterr().err
    assert "bad.jsonl:2: not valid JSON" in err and "Traceback" not in err


def test_cli_unknown_mode_exits_2(tmp_path, capsys):
    path = _write(tmp_path, "g.jsonl", '{"id": "a", "question": "q", "answers": []}\n')
    assert main([str(path), "--modes", "dense,sparse", "--quiet"]) == 2
    assert "unknown mode(s) sparse" in capsys.readouterr().err
