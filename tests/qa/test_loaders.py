"""Loading documents: seed corpus, encodings, binary files, front matter, dates, titles, ids, PDF/DOCX."""

from __future__ import annotations

import json
import logging
import os
import sys
from datetime import date, datetime, timedelta, timezone
from pathlib import Path

import pytest

from qa.loaders import (
    DOCS_EXTRA_HINT,
    DecodeError,
    IngestError,
    decode_bytes,
    load_documents,
    normalize_date,
    split_front_matter,
)

BODY = "专精特新“小巨人”企业是中小企业中的佼佼者。截至2022年9月，我国已培育8997家。"


def _load(*paths: Path | str) -> tuple[list, list[str]]:
    warnings: list[str] = []
    return load_documents(list(paths), on_warning=warnings.append), warnings


# ------------------------------------------------------------------------------------------ seed corpus


def test_seed_corpus_documents(corpus_dir: Path) -> None:
    docs, warnings = _load(corpus_dir)
    assert warnings == []
    assert [d.doc_id for d in docs] == sorted(p.name for p in corpus_dir.glob("*.txt"))
    by_prefix = {d.doc_id[:3]: d for d in docs}
    assert by_prefix["000"].title == "看不见的“磁铁”：“专精特新”工厂加速数字化 破解制造业“卡脖子”难题"
    assert by_prefix["000"].date == "2022-03-23"
    assert by_prefix["000"].metadata["categories"] == "hongxingzibenju"
    assert by_prefix["000"].metadata["tags"] == "红星资本局新闻"
    assert by_prefix["001"].title == "001_50dce2328ed16d13"  # no heading
    # no front matter: dated by the text (its latest "截至2022年9月"; 002 by the 2023 conference it reports)
    assert by_prefix["001"].date == "2022-09" and by_prefix["001"].metadata == {"date_source": "text"}
    assert by_prefix["002"].date == "2023" and by_prefix["003"].date == "2023-07-12"
    assert "date_source" not in by_prefix["000"].metadata
    assert by_prefix["002"].title == "“小巨人”展翅翱翔"
    assert by_prefix["003"].title == "深网｜进击的小巨人：中国制造业的基石与韧性"
    assert by_prefix["003"].text.count("深网｜进击的小巨人") == 1
    doc4 = by_prefix["004"]
    assert doc4.title == "做好数字化_加减法_，让_专精特新_企业多起来" and doc4.date == "2022-03-17"
    assert doc4.metadata["categories"] == ["金融", "新浪财经", "新浪财经－国內"]
    assert doc4.metadata["author"] == "新浪财经" and doc4.metadata["comments"] is False
    for d in docs:
        assert d.source == str(corpus_dir / d.doc_id)
        assert not d.text.startswith("---") and "layout:" not in d.text
        json.dumps(dict(d.metadata))


def test_single_file_and_string_path(corpus_dir: Path) -> None:
    path = next(corpus_dir.glob("004_*.txt"))
    docs, _ = _load(path)
    assert [d.doc_id for d in docs] == [path.name]
    assert [d.doc_id for d in load_documents(str(path))] == [path.name]


# --------------------------------------------------------------------------------------------- encodings


@pytest.mark.parametrize(("encoding", "prefix"), [
    ("utf-8", b""),
    ("utf-8", b"\xef\xbb\xbf"),
    ("gbk", b""),
    ("gb18030", b""),
    ("utf-16-le", b"\xff\xfe"),
    ("utf-16-be", b"\xfe\xff"),
    ("utf-32-le", b"\xff\xfe\x00\x00"),
])
def test_text_encodings_are_read(tmp_path: Path, encoding: str, prefix: bytes) -> None:
    text = f"# 标题\n\n{BODY}\n\nSecond paragraph in English."
    if encoding == "gb18030":
        text += "\n\n扩展字符䶮与€。"  # U+4DAE and € need GB18030's four-byte forms (not in GBK)
    (tmp_path / "doc.md").write_bytes(prefix + text.encode(encoding))
    docs, warnings = _load(tmp_path)
    assert warnings == []
    assert docs[0].title == "标题"
    assert docs[0].text.split("\n\n")[1:3] == [BODY, "Second paragraph in English."]
    assert "\ufeff" not in docs[0].text
    if encoding == "gb18030":
        assert docs[0].text.endswith("扩展字符䶮与€。")


@pytest.mark.parametrize("encoding", ["utf-16-le", "utf-16-be"])
def test_bom_less_utf16_with_ascii_text_is_detected(encoding: str) -> None:
    decoded = decode_bytes("Plain ASCII heavy text, 中文 too.\n".encode(encoding) * 5)
    assert decoded.encoding == encoding and decoded.text.startswith("Plain ASCII heavy text, 中文 too.")


def test_binary_file_is_skipped_with_a_warning_naming_it(tmp_path: Path) -> None:
    (tmp_path / "a.txt").write_text(BODY, encoding="utf-8")
    (tmp_path / "image.txt").write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)) * 4)
    (tmp_path / "z.md").write_text(BODY, encoding="utf-8")
    docs, warnings = _load(tmp_path)
    assert [d.doc_id for d in docs] == ["a.txt", "z.md"]
    assert len(warnings) == 1 and "image.txt" in warnings[0] and "binary" in warnings[0]


def test_control_characters_without_nul_count_as_binary() -> None:
    with pytest.raises(DecodeError, match="control characters"):
        decode_bytes(bytes(range(1, 32)) * 50)


def test_undecodable_bytes_that_are_neither_utf8_nor_gbk_are_skipped(tmp_path: Path) -> None:
    (tmp_path / "bad.txt").write_bytes(b"abc \x80\x80\x80 def \xff\xff")
    docs, warnings = _load(tmp_path)
    assert docs == []
    assert len(warnings) == 1 and "bad.txt" in warnings[0] and "GB18030" in warnings[0]


def test_mostly_utf8_with_a_broken_byte_is_kept_with_replacement_and_a_warning(tmp_path: Path) -> None:
    (tmp_path / "damaged.txt").write_bytes(BODY.encode() * 3 + b"\xff" + BODY.encode())
    docs, warnings = _load(tmp_path)
    assert "\ufffd" in docs[0].text and docs[0].text.startswith(BODY)
    assert len(warnings) == 1 and "damaged.txt" in warnings[0] and "U+FFFD" in warnings[0]


def test_gbk_with_few_chinese_characters_is_not_mistaken_for_damaged_utf8() -> None:
    raw = ("English text " * 100 + "中文").encode("gbk")
    decoded = decode_bytes(raw)
    assert decoded.encoding == "gb18030" and decoded.text.endswith("中文") and decoded.replaced == 0


@pytest.mark.parametrize("content", [b"", b"\xef\xbb\xbf  \n\n", b"---\ntitle: Only front matter\n---\n\n"])
def test_files_without_text_are_skipped_with_a_warning(tmp_path: Path, content: bytes) -> None:
    (tmp_path / "empty.md").write_bytes(content)
    docs, warnings = _load(tmp_path)
    assert docs == [] and len(warnings) == 1 and "empty.md" in warnings[0] and "no text" in warnings[0]


# ----------------------------------------------------------------------------------------- front matter


def test_front_matter_fields_go_to_metadata_as_json(tmp_path: Path) -> None:
    (tmp_path / "a.md").write_text(
        "\ufeff\n\n---\ntitle: \"标题 &amp; 副题\"\ndate: 2022-03-23 15:24:05\nauthor: 记者\n"
        "tags: [a, b]\nweight: 3\nratio: 0.5\nupdated: 2023-01-02\nnested: {k: [1, 2]}\n---\n" + BODY,
        encoding="utf-8",
    )
    docs, warnings = _load(tmp_path)
    doc = docs[0]
    assert warnings == []
    assert doc.title == "标题 & 副题" and doc.date == "2022-03-23" and doc.text == BODY
    assert dict(doc.metadata) == {
        "title": "标题 &amp; 副题", "date": "2022-03-23T15:24:05", "author": "记者", "tags": ["a", "b"],
        "weight": 3, "ratio": 0.5, "updated": "2023-01-02", "nested": {"k": [1, 2]},
    }
    json.dumps(dict(doc.metadata))


def test_malformed_yaml_warns_and_the_block_is_still_stripped(tmp_path: Path) -> None:
    (tmp_path / "a.md").write_text(f"---\ntitle: [unclosed\ndate: x: y\n---\n{BODY}", encoding="utf-8")
    docs, warnings = _load(tmp_path)
    assert docs[0].text == BODY and docs[0].title == "a"
    assert dict(docs[0].metadata) == {"date_source": "text"}  # dated by its text ("截至2022年9月")
    assert len(warnings) == 1 and "a.md" in warnings[0] and "front matter" in warnings[0]


def test_leading_markdown_rules_are_not_front_matter() -> None:
    text = "---\n\n正文第一段。\n\n---\n\n正文第二段。"
    assert split_front_matter(text).fields is None and split_front_matter(text).body == text
    unclosed = "---\ntitle: x\n\n正文。"
    assert split_front_matter(unclosed).body == unclosed


def test_unreadable_date_gives_none_and_a_warning(tmp_path: Path) -> None:
    (tmp_path / "a.md").write_text(f"---\ndate: sometime soon\n---\n{BODY}", encoding="utf-8")
    docs, warnings = _load(tmp_path)
    assert docs[0].date is None and docs[0].metadata["date"] == "sometime soon"
    assert len(warnings) == 1 and "sometime soon" in warnings[0]


@pytest.mark.parametrize(("value", "expected"), [
    ("2022-03-23 15:24:05 +0800", "2022-03-23"),
    ("2022-03-23T23:30:00-05:00", "2022-03-23"),
    ("Thu, 17 Mar 2022 12:00:41 GMT", "2022-03-17"),
    ("Thu, 17 Mar 2022 23:59:59 -0800", "2022-03-17"),
    ("2022/3/23", "2022-03-23"),
    ("2022.03.05", "2022-03-05"),
    ("2022年3月23日", "2022-03-23"),
    ("2022 年 3 月 23 日 10:00", "2022-03-23"),
    ("20220323", "2022-03-23"),
    (20220323, "2022-03-23"),
    ("D:20220323120000+08'00'", "2022-03-23"),
    ("March 23, 2022", "2022-03-23"),
    ("23 Mar 2022", "2022-03-23"),
    (date(2022, 3, 23), "2022-03-23"),
    (datetime(2022, 3, 23, 23, 30, tzinfo=timezone(timedelta(hours=8))), "2022-03-23"),
    ("2022-02-30", None),
    ("2022", None),
    ("next week", None),
    ("", None),
    (None, None),
    (True, None),
])
def test_normalize_date(value: object, expected: str | None) -> None:
    assert normalize_date(value) == expected


# ------------------------------------------------------------------------------------------------ titles


def test_title_rules(tmp_path: Path) -> None:
    (tmp_path / "fm.md").write_text(f"---\ntitle: 前言标题\n---\n# 正文标题\n\n{BODY}", encoding="utf-8")
    (tmp_path / "h1.html").write_text(f"<title>页签</title><h1>一级 &amp; 标题</h1><p>{BODY}</p>",
                                      encoding="utf-8")
    (tmp_path / "tag.htm").write_text(f"<head><title>页签标题</title></head><p>{BODY}</p>", encoding="utf-8")
    (tmp_path / "md.md").write_text(f"## 二级标题\n\n{BODY}", encoding="utf-8")
    (tmp_path / "plain.txt").write_text(BODY, encoding="utf-8")
    (tmp_path / "empty_title.md").write_text(f"---\ntitle: ''\n---\n# 回退标题\n\n{BODY}", encoding="utf-8")
    docs, _ = _load(tmp_path)
    titles = {d.doc_id: d.title for d in docs}
    assert titles == {"empty_title.md": "回退标题", "fm.md": "前言标题", "h1.html": "一级 & 标题",
                      "md.md": "二级标题", "plain.txt": "plain", "tag.htm": "页签标题"}
    h1 = next(d for d in docs if d.doc_id == "h1.html")
    assert h1.text == f"一级 & 标题\n\n{BODY}"  # the heading stays in the text, the <title> does not


# ------------------------------------------------------------------------------------- paths and doc ids


def test_doc_ids_are_posix_paths_relative_to_the_folder_in_sorted_order(tmp_path: Path) -> None:
    root = tmp_path / "corpus"
    names = ["b.txt", "a/z.md", "a/b/c.html", "A.txt", "x.rst", ".hidden.txt", ".git/x.txt", "~$lock.docx"]
    for rel in names:
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(f"<p>{BODY}</p>" if rel.endswith(".html") else BODY, encoding="utf-8")
    docs, warnings = _load(root)
    assert warnings == []  # .rst ignored silently, hidden files and Word lock files skipped
    assert [d.doc_id for d in docs] == ["A.txt", "a/b/c.html", "a/z.md", "b.txt"]
    assert docs[1].source == str(root / "a" / "b" / "c.html")
    single, _ = _load(root / "a" / "b" / "c.html")
    assert single[0].doc_id == "c.html"


def test_explicit_unsupported_file_and_missing_path_are_errors(tmp_path: Path) -> None:
    (tmp_path / "notes.rst").write_text(BODY, encoding="utf-8")
    with pytest.raises(IngestError, match=r"unsupported file type '\.rst'.*\.txt"):
        load_documents([tmp_path / "notes.rst"])
    with pytest.raises(ValueError, match="no such file or folder"):
        load_documents([tmp_path / "missing"])


@pytest.mark.skipif(not hasattr(os, "symlink") or sys.platform == "win32", reason="needs symlinks")
def test_symlink_loops_end_and_linked_files_load_once(tmp_path: Path) -> None:
    root = tmp_path / "corpus"
    (root / "sub").mkdir(parents=True)
    (root / "sub" / "doc.txt").write_text(BODY, encoding="utf-8")
    (root / "sub" / "loop").symlink_to(root, target_is_directory=True)
    (root / "again").symlink_to(root / "sub", target_is_directory=True)
    (root / "sub" / "same.txt").symlink_to(root / "sub" / "doc.txt")
    docs, warnings = _load(root)
    assert [d.doc_id for d in docs] == ["again/doc.txt"]
    assert len(warnings) == 1 and "same file" in warnings[0]


def test_default_warnings_go_to_the_qa_logger(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    (tmp_path / "bin.txt").write_bytes(b"\x00\x01\x02" * 10)
    with caplog.at_level(logging.WARNING, logger="qa"):
        assert load_documents([tmp_path]) == []
    assert any("bin.txt" in r.getMessage() and r.name == "qa" for r in caplog.records)


# ------------------------------------------------------------------------------------------- PDF / DOCX


def _minimal_pdf(text: str, title: str) -> bytes:
    stream = f"BT /F1 12 Tf 72 720 Td ({text}) Tj ET".encode()
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R "
        b"/Resources << /Font << /F1 5 0 R >> >> >>",
        b"<< /Length %d >>\nstream\n" % len(stream) + stream + b"\nendstream",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
        b"<< /Title (%s) /CreationDate (D:20220323120000+08'00') >>" % title.encode(),
    ]
    out = b"%PDF-1.4\n"
    offsets = []
    for number, body in enumerate(objects, 1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % off for off in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R /Info 6 0 R >>\n" % (len(objects) + 1)
    out += b"startxref\n%d\n%%%%EOF\n" % xref
    return out


def test_pdf_text_title_and_date(tmp_path: Path) -> None:
    pytest.importorskip("pypdf")
    (tmp_path / "report.pdf").write_bytes(_minimal_pdf("Little giants focus on niche markets.", "PDF Title"))
    docs, warnings = _load(tmp_path)
    assert warnings == []
    assert docs[0].text == "Little giants focus on niche markets."
    assert docs[0].title == "PDF Title" and docs[0].date == "2022-03-23"


def test_damaged_pdf_is_skipped_with_a_warning(tmp_path: Path) -> None:
    pytest.importorskip("pypdf")
    (tmp_path / "broken.pdf").write_bytes(b"%PDF-1.4\nnot really a pdf")
    docs, warnings = _load(tmp_path)
    assert docs == [] and len(warnings) == 1 and "broken.pdf" in warnings[0]


def test_docx_paragraphs_tables_title_and_date(tmp_path: Path) -> None:
    docx = pytest.importorskip("docx")
    document = docx.Document()
    document.core_properties.created = datetime(2023, 7, 12, 9, 0)
    document.core_properties.title = ""
    document.add_heading("文档标题", level=1)
    document.add_paragraph(BODY)
    table = document.add_table(rows=1, cols=2)
    table.rows[0].cells[0].text = "城市"
    table.rows[0].cells[1].text = "北京"
    document.add_paragraph("结尾一段。")
    document.save(str(tmp_path / "memo.docx"))
    docs, warnings = _load(tmp_path)
    assert warnings == []
    assert docs[0].title == "文档标题" and docs[0].date == "2023-07-12"
    assert docs[0].text.split("\n\n") == ["文档标题", BODY, "城市 北京", "结尾一段。"]


def test_missing_docs_extra_skips_pdf_and_docx_with_install_hint(tmp_path: Path,
                                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "pypdf", None)
    monkeypatch.setitem(sys.modules, "docx", None)
    (tmp_path / "a.pdf").write_bytes(_minimal_pdf("x", "t"))
    (tmp_path / "b.docx").write_bytes(b"PK\x03\x04")
    (tmp_path / "c.txt").write_text(BODY, encoding="utf-8")
    docs, warnings = _load(tmp_path)
    assert [d.doc_id for d in docs] == ["c.txt"]
    assert len(warnings) == 2 and all(DOCS_EXTRA_HINT in w for w in warnings)
    assert "a.pdf" in warnings[0] and "b.docx" in warnings[1]


# -------------------------------------------------------------------------------------------- large file


def test_large_file_is_loaded(tmp_path: Path) -> None:
    paragraph = "中小企业是推动创新、促进就业、改善民生的重要力量。" * 4
    text = "".join(f"第{i}段。{paragraph}\n\n" for i in range(40_000))  # ~11 MB
    (tmp_path / "big.txt").write_text(text, encoding="utf-8")
    docs, warnings = _load(tmp_path)
    assert warnings == [] and docs[0].text.count("\n\n") == 40_000 - 1
