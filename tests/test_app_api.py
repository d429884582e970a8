"""The app's `/ask` endpoint through gradio_client, against `python app.py --index ...` (real model)."""

from __future__ import annotations

from typing import Any

import pytest

from tests.conftest import HOSTILE_DOC_ID, HOSTILE_QUESTION, HOSTILE_SCRIPT, AppServer

pytestmark = pytest.mark.slow

KEYS = {"question", "understood_as", "answer", "confidence", "supporting_sentence", "citations", "alternatives"}
CITATION_KEYS = {"doc_id", "title", "date", "passage_id", "paragraph", "text", "start", "end"}


@pytest.fixture(scope="module")
def client(app_server: AppServer) -> Any:
    from gradio_client import Client

    return Client(app_server.url, verbose=False)


def _check_answer_json(out: Any, question: str) -> None:
    assert isinstance(out, dict)
    assert set(out) == KEYS
    assert out["question"] == question
    assert 0.0 <= out["confidence"] <= 1.0
    for c in out["citations"]:
        assert set(c) == CITATION_KEYS
        assert c["text"][c["start"]:c["end"]] == out["answer"]


def test_ask_with_history_reads_the_follow_up_as_a_standalone_question(client: Any) -> None:
    first = client.predict("截至2022年9月，我国已培育了多少家专精特新“小巨人”企业？", api_name="/ask")
    assert first["understood_as"] == first["question"]
    out = client.predict("那2023年呢？", history=[first], api_name="/ask")
    _check_answer_json(out, "那2023年呢？")
    assert out["understood_as"].startswith("截至2023年") and "小巨人" in out["understood_as"]
    with pytest.raises(Exception, match="history"):
        client.predict("那2023年呢？", history=[{"answer": "8997家"}], api_name="/ask")


def test_ask_returns_cited_answer_json(client: Any) -> None:
    q = "截至2022年9月，我国已培育了多少家专精特新“小巨人”企业？"
    out = client.predict(q, api_name="/ask")
    _check_answer_json(out, q)
    assert out["answer"] is not None and "8997" in out["answer"]
    assert out["citations"], "an answer must come with a citation"
    assert out["answer"] in out["supporting_sentence"]


def test_ask_accepts_mode_and_k_by_name_and_position(client: Any) -> None:
    q = "截至2022年9月，我国已培育了多少家专精特新“小巨人”企业？"
    by_name = client.predict(question=q, mode="bm25", k=3, api_name="/ask")
    by_position = client.predict(q, "bm25", 3, api_name="/ask")
    _check_answer_json(by_name, q)
    assert by_name == by_position


def test_ask_abstains_on_unanswerable_question(client: Any) -> None:
    q = "火星上有多少只企鹅？"
    out = client.predict(q, api_name="/ask")
    _check_answer_json(out, q)
    assert out["answer"] is None and out["citations"] == []


def test_ask_filters_by_document(client: Any) -> None:
    out = client.predict(HOSTILE_QUESTION, "hybrid", 5, [HOSTILE_DOC_ID], api_name="/ask")
    _check_answer_json(out, HOSTILE_QUESTION)
    assert out["citations"] and all(c["doc_id"] == HOSTILE_DOC_ID for c in out["citations"])
    # JSON is data, not HTML: document text comes back unchanged (escaping is the renderer's job)
    assert HOSTILE_SCRIPT in out["citations"][0]["text"]


def test_ask_reports_bad_input_as_an_error(client: Any) -> None:
    from gradio_client.exceptions import AppError

    with pytest.raises(AppError, match="retrieval mode"):
        client.predict("问题", "magic", api_name="/ask")
    with pytest.raises(AppError, match="YYYY-MM-DD"):
        client.predict("问题", "hybrid", None, None, "2022/01/01", api_name="/ask")


def test_only_ask_and_status_are_public_endpoints(client: Any) -> None:
    endpoints = set(client.view_api(print_info=False, return_format="dict")["named_endpoints"])
    assert endpoints == {"/ask", "/status"}
