"""Fast tests of the UI's escaping/rendering helpers, settings parsing and handlers (no browser, no model)."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from qa.errors import InputError
from qa.store import IndexWriteError
from qa.types import Alternative, Answer, Citation, Filters, Hit, Passage
from qa.ui import (
    ABSTAIN_TEXT,
    IndexNotReadyError,
    QAService,
    UIConfig,
    add_files,
    answer_html,
    ask_json,
    build_app,
    check_uploads,
    doc_choices,
    esc,
    highlight,
    parse_date_field,
    parse_filters,
    parse_reader,
    render_abstention,
    render_answer,
    render_citation,
    render_error,
    render_question,
    render_supporting_sentence,
    render_upload_report,
)

SCRIPT = "<script>window.__pwned=1</script>"
IMG = '<img src=x onerror="window.__pwned=2">'
MD_LINK = "[click](javascript:window.__pwned=3)"
HOSTILE = f"{SCRIPT} {IMG} {MD_LINK} **bold** ![i](http://x/y.png)"


def _tags(fragment: str) -> set[str]:
    """Every tag name that appears in an HTML fragment."""
    return {m.lower() for m in re.findall(r"</?\s*([a-zA-Z][\w-]*)", fragment)}


ALLOWED_TAGS = {"div", "span", "mark", "details", "summary", "blockquote", "ul", "li"}


def _citation(text: str, answer: str, *, title: str = "标题", doc_id: str = "doc1",
              date: str | None = "2022-10-01", paragraph: int = 2, occurrence: int = 0) -> Citation:
    start = -1
    for _ in range(occurrence + 1):
        start = text.index(answer, start + 1)
    return Citation(doc_id=doc_id, title=title, date=date, passage_id=f"{doc_id}#3", paragraph=paragraph,
                    text=text, start=start, end=start + len(answer))


def _hit(text: str, *, rank: int = 1, title: str = "标题", doc_id: str = "doc1",
         date: str | None = "2022-10-01", passage_id: str | None = None) -> Hit:
    p = Passage(passage_id=passage_id or f"{doc_id}#0", doc_id=doc_id, paragraph=0, start=0, end=len(text),
                text=text, title=title, date=date)
    return Hit(passage=p, score=0.5, rank=rank)


# ---------------------------------------------------------------- highlight / escaping


def test_highlight_marks_exact_offsets_and_escapes_each_part() -> None:
    text = "a<b>8997家&c"
    start = text.index("8997家")
    out = highlight(text, start, start + len("8997家"))
    assert out == "a&lt;b&gt;<mark>8997家</mark>&amp;c"


def test_highlight_offsets_computed_on_raw_text_not_escaped_text() -> None:
    # the span comes after characters that grow when escaped: the mark must still cover exactly "42"
    text = '<<"&>> 42 <>'
    out = highlight(text, 7, 9)
    assert re.search(r"<mark>(.*?)</mark>", out).group(1) == "42"
    assert out.startswith("&lt;&lt;&quot;&amp;&gt;&gt; ")


def test_highlight_escapes_inside_the_mark_and_rejects_bad_offsets() -> None:
    assert highlight("x<i>y", 1, 4) == "x<mark>&lt;i&gt;</mark>y"
    assert highlight("abc", 1, 1) == "abc"
    with pytest.raises(ValueError, match="outside the text"):
        highlight("abc", 2, 5)
    with pytest.raises(ValueError, match="outside the text"):
        highlight("abc", 2, 1)


def test_esc_escapes_quotes_and_none() -> None:
    assert esc(None) == ""
    assert esc('"x" \'y\'') == "&quot;x&quot; &#x27;y&#x27;"


# ---------------------------------------------------------------- answers


def test_render_answer_marks_citation_span_and_shows_source_fields() -> None:
    text = "工信部数据显示，截至2022年9月，我国已培育了8997家小巨人企业。其他句子。"
    c = _citation(text, "8997家", title="专精特新", doc_id="001_abc", date="2022-10-08", paragraph=4)
    ans = Answer(question="q", text="8997家", confidence=0.83,
                 supporting_sentence="截至2022年9月，我国已培育了8997家小巨人企业。", citations=(c,))
    out = render_answer(ans)
    assert '<div class="qa-answer-text">8997家</div>' in out
    assert "confidence 0.83" in out
    # the supporting sentence and the expandable passage both mark the answer
    assert out.count("<mark>8997家</mark>") == 2
    assert "<details class=\"qa-citation\">" in out and "[1]" in out
    assert "专精特新" in out and "2022-10-08" in out and "001_abc" in out and "paragraph 5" in out
    passage_html = re.search(r'<div class="qa-passage">(.*?)</div>', out).group(1)
    assert passage_html == highlight(text, c.start, c.end)


def test_supporting_sentence_mark_uses_citation_offsets_not_first_occurrence() -> None:
    # the answer string occurs twice in the sentence; the citation points at the second one
    text = "前言。2021年有100家，2022年有100家。"
    c = _citation(text, "100家", occurrence=1)
    sentence = "2021年有100家，2022年有100家。"
    ans = Answer(question="q", text="100家", confidence=0.5, supporting_sentence=sentence, citations=(c,))
    out = render_supporting_sentence(ans)
    assert out == "2021年有100家，2022年有<mark>100家</mark>。"


def test_supporting_sentence_falls_back_to_plain_escaped_text() -> None:
    ans = Answer(question="q", text="X", confidence=0.5, supporting_sentence="<b>no answer here</b>")
    assert render_supporting_sentence(ans) == "&lt;b&gt;no answer here&lt;/b&gt;"


def test_hostile_document_fields_are_escaped_everywhere() -> None:
    text = f"{HOSTILE} 答案是42。"
    c = _citation(text, "42", title=f"{SCRIPT}T", doc_id=f'd"{IMG}', date=f"2022-01-01{IMG}")
    alt = Alternative(answer=f"{IMG}41", doc_id=f"<b>{SCRIPT}</b>", date=f"{SCRIPT}", passage_id="p#1",
                      start=0, end=3)
    hit = _hit(f"{HOSTILE}41", title=f"<i>{SCRIPT}</i>", passage_id="p#1")
    ans = Answer(question=SCRIPT, text="42", confidence=0.9, supporting_sentence=f"{HOSTILE} 答案是42。",
                 citations=(c,), alternatives=(alt,), hits=(hit,))
    out = render_answer(ans)
    assert _tags(out) <= ALLOWED_TAGS, _tags(out) - ALLOWED_TAGS
    assert "onerror=" not in out.replace("onerror=&quot;", "")  # only as escaped text
    assert "&lt;script&gt;window.__pwned=1&lt;/script&gt;" in out
    assert "&lt;img src=x onerror=&quot;window.__pwned=2&quot;&gt;" in out
    assert "javascript:" not in re.sub(r"&[a-z#0-9]+;|\[click\]\(javascript:", "", out)  # no href anywhere
    assert "href" not in out


def test_render_abstention_says_so_and_shows_closest_passages_escaped() -> None:
    hits = tuple(_hit(f"段落{i} {SCRIPT}", rank=i, title=f"题{i}", doc_id=f"d{i}", passage_id=f"d{i}#0")
                 for i in range(1, 6))
    ans = Answer(question="火星上有多少只企鹅？", text=None, confidence=0.1, supporting_sentence=None,
                 hits=hits)
    out = render_answer(ans, UIConfig(closest_passages=3))
    assert out == render_abstention(ans, UIConfig(closest_passages=3))
    assert ABSTAIN_TEXT in out
    assert out.count('<details class="qa-hit">') == 3
    assert "题1" in out and "题3" in out and "题4" not in out
    assert SCRIPT not in out and "&lt;script&gt;" in out
    assert "<mark>" not in out


def test_render_abstention_without_hits_points_at_filters() -> None:
    out = render_answer(Answer(question="q", text=None, confidence=0.0, supporting_sentence=None))
    assert ABSTAIN_TEXT in out and "filters" in out


def test_alternatives_show_answer_date_and_marked_passage() -> None:
    text = "2021年底有4762家小巨人企业。"
    alt_hit = _hit(text, title="旧闻", doc_id="old", date="2021-12-31", passage_id="old#2")
    c = _citation("截至2022年9月有8997家。", "8997家")
    alt = Alternative(answer="4762家", doc_id="old", date="2021-12-31", passage_id="old#2",
                      start=text.index("4762家"), end=text.index("4762家") + 5)
    missing = Alternative(answer="9.8万家", doc_id="new", date=None, passage_id="new#0", start=0, end=4)
    ans = Answer(question="q", text="8997家", confidence=0.7, supporting_sentence=None, citations=(c,),
                 alternatives=(alt, missing), hits=(alt_hit,))
    out = render_answer(ans)
    items = re.findall(r'<li class="qa-alt">(.*?)</li>', out)
    assert len(items) == 2
    assert "4762家" in items[0] and "2021-12-31" in items[0] and "旧闻" in items[0]
    assert "<mark>4762家</mark>" in items[0]
    assert "9.8万家" in items[1] and "undated" in items[1] and "<details>" not in items[1]


def test_alternative_with_inconsistent_offsets_is_shown_unmarked() -> None:
    hit = _hit("abc", passage_id="x#0")
    alt = Alternative(answer="zz", doc_id="doc1", date=None, passage_id="x#0", start=0, end=2)
    ans = Answer(question="q", text="y", confidence=0.5, supporting_sentence=None, alternatives=(alt,),
                 hits=(hit,))
    out = render_answer(ans)
    assert "<mark>" not in out and "abc" in out


def test_citation_numbering_and_escaped_summary() -> None:
    c = _citation("x 1 y", "1", title="<u>t</u>", doc_id="d&1", date=None, paragraph=0)
    out = render_citation(7, c)
    assert "[7]" in out and "&lt;u&gt;t&lt;/u&gt;" in out and "d&amp;1" in out and "undated" in out
    assert "paragraph 1" in out and "<mark>1</mark>" in out


def test_question_and_error_messages_are_escaped() -> None:
    assert SCRIPT not in render_question(SCRIPT)
    assert "&lt;script&gt;" in render_question(SCRIPT)
    assert "&lt;img" in render_error(IMG)


# ---------------------------------------------------------------- settings


def test_parse_filters_builds_filters_and_validates_dates() -> None:
    assert parse_filters(None, "", "  ") is None
    assert parse_filters([], None, None) is None
    f = parse_filters(["a", "b"], "2022-01-01", "2022-12-31")
    assert f == Filters(doc_ids=frozenset({"a", "b"}), date_from="2022-01-01", date_to="2022-12-31")
    with pytest.raises(ValueError, match="YYYY-MM-DD"):
        parse_filters(None, "2022/01/01", None)
    with pytest.raises(ValueError, match="YYYY-MM-DD"):
        parse_date_field("2022-02-30", "x")
    with pytest.raises(ValueError, match="after"):
        parse_filters(None, "2023-01-01", "2022-01-01")


def test_doc_choices_sorted_with_titles_as_labels() -> None:
    @dataclass
    class Info:
        title: str

    choices = doc_choices({"b": Info("乙" * 50), "a": Info(""), "c": Info("丙"), "d.txt": Info("d")},
                          label_chars=10)
    assert [v for _, v in choices] == ["a", "b", "c", "d.txt"]
    assert choices[0][0] == "a" and choices[2][0] == "丙 · c" and choices[3][0] == "d.txt"
    assert choices[1][0] == "乙" * 10 + "… · b"


def test_check_uploads_rejects_type_and_size(tmp_path: Path) -> None:
    ok = tmp_path / "a.md"
    ok.write_text("# t\n\nbody", encoding="utf-8")
    big = tmp_path / "b.txt"
    big.write_bytes(b"x" * 2048)
    exe = tmp_path / "c.exe"
    exe.write_bytes(b"MZ")
    accepted, rejected = check_uploads([ok, big, exe, tmp_path / "gone.txt"],
                                       UIConfig(max_file_mb=1 / 1024))
    assert accepted == [ok]
    assert any("b.txt" in r and "larger than" in r for r in rejected)
    assert any("c.exe" in r and "unsupported" in r for r in rejected)
    assert any("gone.txt" in r and "missing" in r for r in rejected)


def test_upload_report_escapes_names_and_reports_errors() -> None:
    out = render_upload_report([f"{SCRIPT}.md"], [], [f"{IMG}: unreadable"])
    assert SCRIPT not in out and IMG not in out and "Indexed 1 new" in out
    out = render_upload_report([], [], [], error="disk full")
    assert "disk full" in out and "left unchanged" in out


# ---------------------------------------------------------------- handlers with a fake QA


@dataclass
class FakeQA:
    answer: Answer
    calls: list[dict[str, Any]] = field(default_factory=list)
    fail: Exception | None = None
    documents: dict[str, Any] = field(default_factory=dict)
    passages: tuple[Passage, ...] = ()
    index_dir: Path = Path("/nowhere")
    model_id: str = "fake"

    def ask(self, question: str, *, k: int | None = None, mode: str = "hybrid",
            filters: Filters | None = None, reader: str | None = None) -> Answer:
        self.calls.append({"question": question, "k": k, "mode": mode, "filters": filters, "reader": reader})
        if self.fail is not None:
            raise self.fail
        return self.answer


def _answer() -> Answer:
    c = _citation("我国已培育了8997家企业。", "8997家")
    return Answer(question="q", text="8997家", confidence=0.8, supporting_sentence="我国已培育了8997家企业。",
                  citations=(c,))


def test_ask_json_returns_answer_json_and_passes_settings() -> None:
    qa = FakeQA(_answer())
    out = ask_json(QAService(qa), "q", "bm25", 3, ["doc1"], "2022-01-01", None)  # type: ignore[arg-type]
    assert out == _answer().to_json()
    assert qa.calls == [{"question": "q", "k": 3, "mode": "bm25",
                         "filters": Filters(doc_ids=frozenset({"doc1"}), date_from="2022-01-01"), "reader": None}]
    c = out["citations"][0]
    assert c["text"][c["start"]:c["end"]] == out["answer"]
    with pytest.raises(ValueError, match="retrieval mode"):
        ask_json(QAService(qa), "q", "magic")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="k must be"):
        ask_json(QAService(qa), "q", "hybrid", 0)  # type: ignore[arg-type]


def test_the_reader_setting_is_passed_on_by_name_or_left_to_the_service() -> None:
    qa = FakeQA(_answer())
    ask_json(QAService(qa), "q", "hybrid", None, None, None, None, "baseline")  # type: ignore[arg-type]
    answer_html(QAService(qa), "q", "hybrid", 5, None, "", "", UIConfig(), " rules ")  # type: ignore[arg-type]
    answer_html(QAService(qa), "q", "hybrid", 5, None, "", "", UIConfig(), "")  # type: ignore[arg-type]
    assert [c["reader"] for c in qa.calls] == ["baseline", "rules", None]
    assert parse_reader(None) is None and parse_reader("baseline") == "baseline"
    with pytest.raises(InputError, match="unknown reader 'magic': use one of neural, rules, baseline"):
        ask_json(QAService(qa), "q", "hybrid", None, None, None, None, "magic")  # type: ignore[arg-type]
    reply = answer_html(QAService(qa), "q", "hybrid", 5, None, "", "", UIConfig(), "magic")  # type: ignore[arg-type]
    assert "unknown reader" in reply
    assert QAService(qa).default_reader == "neural"  # type: ignore[arg-type]
    assert QAService(qa, reader="baseline").default_reader == "baseline"  # type: ignore[arg-type]


def test_answer_html_turns_errors_into_messages_not_tracebacks() -> None:
    svc = QAService(FakeQA(_answer()))  # type: ignore[arg-type]
    assert "<mark>8997家</mark>" in answer_html(svc, "q", "hybrid", 5, None, "", "")
    bad_date = answer_html(svc, "q", "hybrid", 5, None, "2022-13-01", "")
    assert 'class="qa-error"' in bad_date and "YYYY-MM-DD" in bad_date
    boom = QAService(FakeQA(_answer(), fail=KeyError("secret internals")))  # type: ignore[arg-type]
    out = answer_html(boom, "q", "hybrid", 5, None, "", "")
    assert 'class="qa-error"' in out and "internal error" in out and "secret" not in out
    loading = QAService(description="building")
    assert "still being prepared" in answer_html(loading, "q", "hybrid", 5, None, "", "")


def test_service_loads_in_background_and_reports_failures() -> None:
    qa = FakeQA(_answer())
    ok = QAService.in_background(lambda: qa, "loading")  # type: ignore[arg-type, return-value]
    assert ok.wait(10) is qa
    assert ok.status()["ready"] is True and "Ready" in ok.status_html()

    def fail() -> Any:
        raise OSError("disk on fire")

    bad = QAService.in_background(fail, "loading")
    with pytest.raises(IndexNotReadyError, match="disk on fire"):
        bad.wait(10)
    assert "disk on fire" in bad.status_html() and bad.status()["ready"] is False


@dataclass
class FakeWritableQA(FakeQA):
    added: list[Any] = field(default_factory=list)
    fail_add: Exception | None = None

    def add_documents(self, documents: Any, *, progress: bool = False) -> Any:
        if self.fail_add is not None:
            raise self.fail_add
        self.added.extend(documents)

        @dataclass
        class Report:
            added: tuple[str, ...]
            changed: tuple[str, ...] = ()

        return Report(tuple(d.doc_id for d in documents))


def test_add_files_indexes_good_files_and_reports_bad_ones(tmp_path: Path) -> None:
    good = tmp_path / "note.md"
    good.write_text("---\ntitle: 笔记\ndate: 2024-02-01\n---\n\n紫藤研究所的所长是张三丰。\n",
                    encoding="utf-8")
    broken = tmp_path / "broken.pdf"
    broken.write_bytes(b"not a pdf")
    exe = tmp_path / "x.exe"
    exe.write_bytes(b"MZ")
    qa = FakeWritableQA(_answer())
    steps: list[str] = []
    out = add_files(QAService(qa), [good, broken, exe], progress=lambda f, d: steps.append(d))  # type: ignore[arg-type]
    assert [d.doc_id for d in qa.added] == ["note.md"]
    assert "Indexed 1 new" in out and "note.md" in out
    assert "broken.pdf" in out and "x.exe" in out and "unsupported" in out
    assert steps and steps[-1] == "Done"


def test_add_files_keeps_index_and_shows_error_when_indexing_fails(tmp_path: Path) -> None:
    good = tmp_path / "note.txt"
    good.write_text("紫藤研究所的所长是张三丰。", encoding="utf-8")
    qa = FakeWritableQA(_answer(), fail_add=IndexWriteError("No space left on device"))
    out = add_files(QAService(qa), [good])  # type: ignore[arg-type]
    assert "No space left on device" in out and "left unchanged" in out and 'class="qa-error"' in out
    empty = tmp_path / "empty.txt"
    empty.write_text("   \n", encoding="utf-8")
    out = add_files(QAService(FakeWritableQA(_answer())), [empty])  # type: ignore[arg-type]
    assert "Indexed" not in out and "empty.txt" in out and "no readable text" not in out
    assert "none of the files contained readable text" in out


def test_build_app_exposes_ask_and_status_endpoints_only() -> None:
    pytest.importorskip("gradio")
    demo = build_app(QAService(FakeQA(_answer())))  # type: ignore[arg-type]
    api = demo.get_api_info()["named_endpoints"]
    assert set(api) == {"/ask", "/status"}
    params = [(p["parameter_name"], p["parameter_has_default"]) for p in api["/ask"]["parameters"]]
    assert params[0] == ("question", False)
    assert dict(params[1:]) == {"mode": True, "k": True, "doc_ids": True, "date_from": True, "date_to": True,
                                "reader": True, "history": True}


def test_app_takes_a_reader_by_name(capsys: pytest.CaptureFixture[str]) -> None:
    import app

    assert app.parse_args([]).reader == "neural"
    assert app.parse_args(["--reader", "rules"]).reader == "rules"
    assert app.parse_args(["--reader", "baseline"]).reader == "baseline"
    with pytest.raises(SystemExit):
        app.parse_args(["--reader", "magic"])
    assert "invalid choice: 'magic'" in capsys.readouterr().err


def test_app_refuses_a_missing_index_with_a_clear_error(tmp_path: Path,
                                                        capsys: pytest.CaptureFixture[str]) -> None:
    import app

    assert app.main(["--index", str(tmp_path / "nope")]) == 2
    assert "no index directory" in capsys.readouterr().err
    (tmp_path / "empty").mkdir()
    assert app.main(["--index", str(tmp_path / "empty")]) == 2
    assert "manifest" in capsys.readouterr().err


def test_app_port_from_env_and_flag(monkeypatch: pytest.MonkeyPatch) -> None:
    import app

    monkeypatch.setenv("QA_PORT", "8123")
    args = app.parse_args([])
    assert (args.port, args.host, args.share, args.index) == (8123, "127.0.0.1", False, None)
    assert app.parse_args(["--port", "9000"]).port == 9000
    monkeypatch.setenv("QA_PORT", "http")
    with pytest.raises(SystemExit):
        app.parse_args([])


def test_a_follow_up_shows_what_it_was_understood_as_escaped() -> None:
    from dataclasses import replace

    from qa.ui import render_understood_as

    plain = _answer()
    assert render_understood_as(plain) == "" and "qa-understood" not in render_answer(plain)
    follow = replace(plain, question="那2023年呢？", understood_as="截至2023年，<b>小巨人</b>？")
    html_out = render_answer(follow)
    assert "Understood as" in html_out and "截至2023年，&lt;b&gt;小巨人&lt;/b&gt;？" in html_out
    assert "qa-understood" in render_abstention(replace(follow, text=None))
