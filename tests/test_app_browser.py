"""The chat UI in a real browser (Playwright + Debian's Chromium) against `python app.py --index ...`."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from qa.ui import ABSTAIN_TEXT
from tests.conftest import HOSTILE_IMG, HOSTILE_QUESTION, HOSTILE_SCRIPT, REPO, AppServer

pytestmark = pytest.mark.slow

ARTIFACTS = REPO / "test-artifacts"
SCREENSHOT_FOR_README = REPO / "docs" / "ui.png"
ANSWER_TIMEOUT_MS = 90_000
CHROMIUM_ARGS = [
    "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--disable-background-networking",
    "--disable-component-update", "--disable-sync", "--no-first-run",
]


def _chromium_path() -> str:
    candidates = [os.environ.get("QA_CHROMIUM"), "/usr/bin/chromium", shutil.which("chromium")]
    for c in candidates:
        if c and Path(c).is_file():
            return c
    pytest.fail("the browser tests need Chromium at /usr/bin/chromium: run `make browser` "
                "(apt-get install -y chromium) or set QA_CHROMIUM to a Chromium binary")


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    executable = _chromium_path()
    with sync_playwright() as p:
        try:
            b = p.chromium.launch(executable_path=executable, headless=True, args=CHROMIUM_ARGS)
        except Exception as exc:  # a clear failure, never a silent skip
            pytest.fail(f"Chromium at {executable} could not be started: {exc}")
        yield b
        b.close()


@pytest.fixture
def page(browser: Any, app_server: AppServer) -> Iterator[Any]:
    context = browser.new_context(viewport={"width": 1200, "height": 1100}, locale="zh-CN")
    pg = context.new_page()
    errors: list[str] = []
    pg.on("pageerror", lambda exc: errors.append(str(exc)))
    pg.goto(app_server.url)
    pg.locator("#qa-status").get_by_text("Ready").wait_for(timeout=ANSWER_TIMEOUT_MS)
    yield pg
    context.close()
    assert not errors, f"JavaScript errors on the page: {errors}"


def _ask(page: Any, question: str) -> Any:
    """Type a question, send it, and return the locator of the assistant's (final) reply."""
    chat = page.locator("#qa-chat")
    before = chat.locator(".qa-answer, .qa-error").count()
    box = page.locator("#qa-question textarea")
    box.fill(question)
    box.press("Enter")
    reply = chat.locator(".qa-answer, .qa-error").nth(before)
    reply.wait_for(timeout=ANSWER_TIMEOUT_MS)
    return reply


def _shot(page: Any, name: str) -> Path:
    ARTIFACTS.mkdir(exist_ok=True)
    path = ARTIFACTS / name
    page.screenshot(path=str(path), full_page=True)
    return path


def test_chinese_question_shows_cited_answer(page: Any) -> None:
    reply = _ask(page, "截至2022年9月，我国已培育了多少家专精特新“小巨人”企业？")
    assert "8997家" in reply.locator(".qa-answer-text").inner_text()
    assert "8997家" in reply.locator(".qa-support mark").inner_text()
    citation = reply.locator("details.qa-citation").first
    summary = citation.locator("summary")
    assert "[1]" in summary.inner_text() and "paragraph" in summary.inner_text()
    passage = citation.locator(".qa-passage")
    assert not passage.is_visible()
    summary.click()
    passage.wait_for(state="visible")
    assert "8997家" in passage.locator("mark").inner_text()
    shot = _shot(page, "ui-answer.png")
    SCREENSHOT_FOR_README.parent.mkdir(exist_ok=True)
    shutil.copyfile(shot, SCREENSHOT_FOR_README)


def test_follow_up_is_read_with_the_chat_history_and_shows_what_it_was_understood_as(page: Any) -> None:
    page.locator("#qa-settings").get_by_text("Settings").first.click()
    page.locator("#qa-reader").get_by_text("neural", exact=True).click()  # not tied to the default reader
    first = _ask(page, "截至2022年9月，我国已培育了多少家专精特新“小巨人”企业？")
    assert "8997家" in first.locator(".qa-answer-text").inner_text()
    assert first.locator(".qa-understood").count() == 0  # a first question is read as typed
    reply = _ask(page, "那2023年呢？")
    assert "1.2万家" in reply.locator(".qa-answer-text").inner_text()
    understood = reply.locator(".qa-understood").inner_text()
    assert "Understood as" in understood and "截至2023年" in understood and "小巨人" in understood
    _shot(page, "ui-follow-up.png")


def test_unanswerable_question_abstains_with_closest_passages(page: Any) -> None:
    reply = _ask(page, "火星上有多少只企鹅？")
    assert ABSTAIN_TEXT in reply.inner_text()
    assert reply.locator("details.qa-hit").count() >= 1
    assert reply.locator(".qa-answer-text").count() == 0
    _shot(page, "ui-abstain.png")


def test_hostile_document_is_shown_as_text_and_never_executes(page: Any) -> None:
    reply = _ask(page, HOSTILE_QUESTION)
    for details in reply.locator("details").all():  # open every passage: nothing hidden may execute either
        details.locator("summary").first.click()
    text = reply.inner_text()
    assert HOSTILE_SCRIPT in text, "the document's markup must be visible as literal text"
    assert HOSTILE_IMG in text
    assert "<script>window.__pwned=3</script>" in text  # the hostile title, literally
    chat = page.locator("#qa-chat")
    assert chat.locator(".message-content script, .message-content img, .message-content a").count() == 0
    page.wait_for_timeout(300)
    assert page.evaluate("() => window.__pwned") is None
    # the document filter lists the hostile title as plain text too
    page.locator("#qa-settings").get_by_text("Settings").first.click()
    page.locator("#qa-docs input").click()
    option = page.get_by_role("option").filter(has_text="蓝鲸测试")
    assert "<script>window.__pwned=3</script>" in option.inner_text()
    assert page.evaluate("() => window.__pwned") is None
    _shot(page, "ui-hostile.png")


def test_invalid_date_filter_shows_a_clear_message(page: Any) -> None:
    page.locator("#qa-settings").get_by_text("Settings").first.click()
    page.locator("#qa-from textarea, #qa-from input").first.fill("2022/13/01")
    reply = _ask(page, "截至2022年9月，我国已培育了多少家专精特新“小巨人”企业？")
    assert "qa-error" in (reply.get_attribute("class") or "")
    assert "YYYY-MM-DD" in reply.inner_text()


def test_upload_adds_a_document_and_reports_bad_files(page: Any, app_server: AppServer,
                                                       tmp_path: Path) -> None:
    good = tmp_path / "upload_note.md"
    good.write_text("---\ntitle: \"上传测试<b>文档</b>\"\ndate: 2024-02-01\n---\n\n"
                    "紫藤研究所的所长是张三丰。该研究所成立于1999年。\n", encoding="utf-8")
    broken = tmp_path / "broken.pdf"
    broken.write_bytes(b"this is not a pdf at all")
    hostile_md = app_server.index_dir.parent / "hostile.md"  # front matter with markup in title and author
    page.locator("#qa-add").get_by_text("Add documents").first.click()
    page.locator("#qa-files input[type=file]").set_input_files([str(good), str(hostile_md), str(broken)])
    page.locator("#qa-files [aria-label='broken.pdf']").wait_for(timeout=30_000)  # both uploaded
    page.locator("#qa-add-btn").click()
    report = page.locator("#qa-upload-report .qa-upload")
    report.wait_for(timeout=ANSWER_TIMEOUT_MS)
    text = report.inner_text()
    assert "Indexed 2 new" in text and "upload_note.md" in text and "hostile.md" in text, text
    assert "broken.pdf" in text, text
    _shot(page, "ui-upload.png")
    reply = _ask(page, "紫藤研究所的所长是谁？")
    assert "张三丰" in reply.inner_text()
    # the filter now lists the uploaded documents, titles as plain text
    page.locator("#qa-settings").get_by_text("Settings").first.click()
    page.locator("#qa-docs input").click()
    assert page.get_by_role("option").filter(has_text="upload_note.md").count() == 1
    assert "上传测试<b>文档</b>" in page.get_by_role("option").filter(has_text="upload_note.md").inner_text()
    assert page.get_by_role("option").filter(has_text="hostile.md").count() == 1
    assert page.locator("#qa-docs b, #qa-docs script, #qa-docs img").count() == 0
    assert page.evaluate("() => window.__pwned") is None
