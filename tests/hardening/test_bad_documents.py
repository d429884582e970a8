"""Bad documents: every file is indexed or skipped with a warning that names it, and the run completes.

Covers empty/binary files, invalid UTF-8, GBK/GB18030, UTF-16 (with and without BOM), huge files, deeply
nested or malformed HTML, front matter only / hostile YAML, symlink loops, broken links and special files.
"""

from __future__ import annotations

import os
import random
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from embeddings.encoder import FakeEncoder
from qa.api import QA
from qa.filetypes import SUPPORTED_SUFFIXES
from qa.loaders import load_documents
from qa.passages import ChunkConfig, split_document

REPO = Path(__file__).resolve().parents[2]
FACT = "截至2022年9月，我国已培育了8997家专精特新“小巨人”企业。"
QUESTION = "截至2022年9月，我国已培育了多少家专精特新“小巨人”企业？"

# name -> expected text of files that must be indexed with exactly this text (after cleaning)
DECODED = {
    "gbk.txt": "数据显示，我国已累计培育“小巨人”企业1.2万家。",
    "gb18030.txt": "这是GB18030编码的文本，包含𠀀字。",
    "utf16.txt": "银河航天灵犀03星成功发射。",
    "utf16le_nobom.txt": "Plain ASCII heavy text in UTF-16 without BOM, about satellites.",
    "utf16be.md": "大端序UTF-16文本。",
    "nested.html": "深层嵌套的文本内容。",
    "dir.txt/inner.md": "目录名带后缀。",
    "weird name 空格 😀.txt": "文件名很奇怪的文档。",
}
MUST_INDEX = {*DECODED, "fact.md", "utf8_bom.md", "damaged_utf8.txt", "unclosed.html", "front_bad_yaml.md",
              "front_python_tag.md", "front_bomb.md", "long_line.txt", "crlf.txt"}
MUST_SKIP = {"empty.txt", "blank.md", "binary.txt", "png.md", "latin1.txt", "controls.txt", "nul_in_middle.md",
             "front_only.md", "script_only.html", "broken_link.txt", "link_to_fact.md", "fake.pdf", "fake.docx"}
NOT_LISTED = {".hidden.txt", "~$lock.docx", "unsupported.bin"}  # ignored silently by the documented rules


def make_bad_folder(folder: Path) -> None:
    """Write every kind of bad file into `folder` (plus one good document with a known answer)."""
    d = folder
    d.mkdir(parents=True)
    (d / "fact.md").write_text(f"---\ntitle: 小巨人\ndate: 2022-10-01\n---\n\n{FACT}\n", encoding="utf-8")
    (d / "empty.txt").write_bytes(b"")
    (d / "blank.md").write_text("   \n\n\t\n", encoding="utf-8")
    (d / "binary.txt").write_bytes(random.Random(0).randbytes(4096))
    (d / "png.md").write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 8)
    (d / "latin1.txt").write_bytes("café naïve résumé déjà vu à la carte ".encode("latin-1") * 20)
    (d / "damaged_utf8.txt").write_bytes(("北京市是专精特新企业最多的城市。" * 5).encode() + b"\xff" + "银河航天".encode())
    for name, text in DECODED.items():
        path = d / name
        path.parent.mkdir(parents=True, exist_ok=True)
        if name == "gbk.txt":
            path.write_bytes(text.encode("gbk"))
        elif name == "gb18030.txt":
            path.write_bytes(text.encode("gb18030"))
        elif name == "utf16.txt":
            path.write_bytes(text.encode("utf-16"))  # with BOM
        elif name == "utf16le_nobom.txt":
            path.write_bytes(text.encode("utf-16-le"))
        elif name == "utf16be.md":
            path.write_bytes(b"\xfe\xff" + text.encode("utf-16-be"))
        elif name == "nested.html":
            path.write_text("<html><body>" + "<div>" * 10_000 + text + "</div>" * 10_000 + "</body></html>",
                            encoding="utf-8")
        else:
            path.write_text(text, encoding="utf-8")
    (d / "utf8_bom.md").write_bytes(b"\xef\xbb\xbf" + "# 标题\n\n带BOM的UTF-8文本。".encode())
    (d / "unclosed.html").write_text(
        "<html><head><title>未闭合</title><body><p>段落一<p>段落二 <b>粗体 <i>斜体 <div <span>>> < & &amp; "
        "&#x4e2d; &#xFFFFFFFF; &bogus; <!-- 未结束的注释 " + "x" * 100, encoding="utf-8")
    (d / "script_only.html").write_text("<script>" + "var a=1;" * 1000 + "</script><style>p{}</style>",
                                        encoding="utf-8")
    (d / "front_only.md").write_text("---\ntitle: 只有前言\ndate: 2022-01-01\n---\n", encoding="utf-8")
    (d / "front_bad_yaml.md").write_text("---\ntitle: [unclosed\ndate: : :\n---\n\n正文仍然保留。", encoding="utf-8")
    laughs = "\n".join(f"{c}: &{c} [" + ",".join([f"*{p}"] * 9) + "]" for p, c in zip("abcdef", "bcdefg", strict=True))
    (d / "front_bomb.md").write_text(f'---\na: &a ["x","x","x","x","x","x","x","x","x"]\n{laughs}\n---\n\n'
                                     "十亿笑声攻击之后的正文。", encoding="utf-8")
    flag = folder.parent / "PWNED"
    (d / "front_python_tag.md").write_text(
        f'---\ntitle: !!python/object/apply:os.system ["touch {flag}"]\n---\n\n不应执行的标签。', encoding="utf-8")
    (d / "controls.txt").write_text("\x01\x02\x03" * 1000 + "文本", encoding="utf-8")
    (d / "long_line.txt").write_text("长" * 200_000, encoding="utf-8")
    (d / "nul_in_middle.md").write_text("正常文本\x00之后", encoding="utf-8")
    (d / "crlf.txt").write_bytes("第一行\r\n\r\n第二段\r第三段".encode())
    (d / "loop").mkdir()
    os.symlink("..", d / "loop" / "up")  # a folder loop
    os.symlink(".", d / "loop" / "self")
    os.symlink("nowhere.txt", d / "broken_link.txt")
    os.symlink("fact.md", d / "link_to_fact.md")  # the same file twice: loaded once
    (d / ".hidden.txt").write_text("隐藏文件。", encoding="utf-8")
    (d / "~$lock.docx").write_bytes(b"junk")
    (d / "fake.pdf").write_bytes(b"%PDF-1.4 not really a pdf")
    (d / "fake.docx").write_bytes(b"PK\x03\x04 not a zip")
    (d / "unsupported.bin").write_bytes(b"\x00\x01")


@pytest.fixture(scope="module")
def bad_folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("bad") / "docs"
    make_bad_folder(folder)
    return folder


@pytest.fixture(scope="module")
def loaded(bad_folder: Path) -> tuple[dict[str, object], list[str]]:
    warnings: list[str] = []
    docs = load_documents([bad_folder], on_warning=warnings.append)
    return {d.doc_id: d for d in docs}, warnings


def test_every_file_is_indexed_or_skipped_with_a_warning_naming_it(
        bad_folder: Path, loaded: tuple[dict[str, object], list[str]]) -> None:
    docs, warnings = loaded
    listed = sorted(p.relative_to(bad_folder).as_posix() for p in bad_folder.rglob("*")
                    if p.suffix.lower() in SUPPORTED_SUFFIXES and "loop/" not in p.relative_to(bad_folder).as_posix()
                    and p.name not in NOT_LISTED and not p.is_dir())
    for name in listed:
        warned = [w for w in warnings if str(bad_folder / name) in w]
        assert name in docs or warned, f"{name} was neither indexed nor named in a warning"
    assert set(docs) >= MUST_INDEX, sorted(MUST_INDEX - set(docs))
    for name in MUST_SKIP:
        assert name not in docs
        assert any(str(bad_folder / name) in w for w in warnings), f"no warning names {name}"
    assert not set(docs) & NOT_LISTED
    for name in docs:  # doc ids are folder-relative, never absolute or escaping
        assert not name.startswith("/") and ".." not in name.split("/")
        assert not name.startswith("loop/"), "a symlink loop produced duplicate documents"


def test_encodings_and_html_decode_to_the_original_text(loaded: tuple[dict[str, object], list[str]]) -> None:
    docs, warnings = loaded
    for name, text in DECODED.items():
        assert docs[name].text == text, name  # type: ignore[attr-defined]
    assert docs["utf8_bom.md"].title == "标题" and "\ufeff" not in docs["utf8_bom.md"].text  # type: ignore[attr-defined]
    assert "\ufffd" in docs["damaged_utf8.txt"].text  # type: ignore[attr-defined]
    assert any("damaged_utf8.txt" in w and "U+FFFD" in w for w in warnings)
    unclosed = docs["unclosed.html"].text  # type: ignore[attr-defined]
    assert "段落一" in unclosed and "<p>" not in unclosed and "<div" not in unclosed


def test_hostile_front_matter_is_ignored_not_executed(bad_folder: Path,
                                                      loaded: tuple[dict[str, object], list[str]]) -> None:
    docs, warnings = loaded
    assert not (bad_folder.parent / "PWNED").exists()  # yaml.safe_load never runs python tags
    assert docs["front_python_tag.md"].text == "不应执行的标签。"  # type: ignore[attr-defined]
    assert docs["front_bomb.md"].metadata == {}  # type: ignore[attr-defined]  # billion laughs refused
    for name in ("front_python_tag.md", "front_bomb.md", "front_bad_yaml.md"):
        assert any(name in w and "front matter ignored" in w for w in warnings), name


def test_passages_of_bad_documents_keep_the_offset_invariant(loaded: tuple[dict[str, object], list[str]]) -> None:
    docs, _ = loaded
    for doc in docs.values():
        passages = split_document(doc, ChunkConfig())  # type: ignore[arg-type]
        assert passages, doc.doc_id  # type: ignore[attr-defined]
        for p in passages:
            assert doc.text[p.start:p.end] == p.text  # type: ignore[attr-defined]


def test_cli_index_run_over_the_bad_folder_completes(bad_folder: Path, tmp_path: Path) -> None:
    target = tmp_path / "idx"
    out = subprocess.run([sys.executable, "-m", "qa", "index", str(bad_folder), "--index", str(target),
                          "--model", "fake", "-q"], cwd=REPO, capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr
    assert "Traceback" not in out.stderr
    assert f"indexed {len(MUST_INDEX)} documents" in out.stdout
    for name in ("empty.txt", "binary.txt", "front_only.md", "broken_link.txt"):
        assert any(line.startswith("warning:") and name in line for line in out.stderr.splitlines()), name
    answer = QA.open(target, encoder=FakeEncoder()).ask(QUESTION)
    assert answer.text is not None and "8997" in answer.text


def test_missing_path_is_a_clear_cli_error(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from qa.cli import main

    rc = main(["index", str(tmp_path / "nope"), "--index", str(tmp_path / "idx"), "--model", "fake", "-q"])
    err = capsys.readouterr().err
    assert rc == 2 and err.startswith("error:") and "no such file or folder" in err
    assert not (tmp_path / "idx").exists()


def test_invalid_date_in_front_matter_does_not_stop_the_run(tmp_path: Path) -> None:
    """`date: 2022-13-45` is a YAML timestamp that PyYAML cannot construct (ValueError, not YAMLError)."""
    folder = tmp_path / "docs"
    folder.mkdir()
    (folder / "bad_date.md").write_text("---\ntitle: 坏日期\ndate: 2022-13-45\n---\n\n日期无效的文档。",
                                        encoding="utf-8")
    (folder / "good.md").write_text("正常的文档。", encoding="utf-8")
    warnings: list[str] = []
    docs = {d.doc_id: d for d in load_documents([folder], on_warning=warnings.append)}
    assert set(docs) == {"bad_date.md", "good.md"}
    assert docs["bad_date.md"].text == "日期无效的文档。" and docs["bad_date.md"].date is None
    assert any("bad_date.md" in w for w in warnings)


def test_a_folder_with_nothing_indexable_is_handled_cleanly(tmp_path: Path) -> None:
    """Only skipped files: either a clear `error:` line (exit 2) or an empty index that abstains."""
    folder = tmp_path / "docs"
    folder.mkdir()
    (folder / "empty.txt").write_bytes(b"")
    (folder / "front_only.md").write_text("---\ntitle: x\n---\n", encoding="utf-8")
    target = tmp_path / "idx"
    out = subprocess.run([sys.executable, "-m", "qa", "index", str(folder), "--index", str(target),
                          "--model", "fake", "-q"], cwd=REPO, capture_output=True, text=True, timeout=120)
    assert "Traceback" not in out.stderr and "RuntimeWarning" not in out.stderr, out.stderr
    if out.returncode == 0:
        answer = QA.open(target, encoder=FakeEncoder()).ask(QUESTION)
        assert answer.text is None
    else:
        last = out.stderr.strip().splitlines()[-1]
        assert out.returncode == 2 and last.startswith("error:"), out.stderr
        assert "document" in last.lower() or "nothing to index" in last.lower(), last
        assert not target.exists()


_LOAD_SCRIPT = textwrap.dedent("""
    import resource, sys
    resource.setrlimit(resource.RLIMIT_AS, (1 << 30, 1 << 30))
    from qa.loaders import load_documents
    docs = load_documents([sys.argv[1]], on_warning=lambda w: print("warning:", w, file=sys.stderr))
    print(sorted(d.doc_id for d in docs))
""")


def _load_in_subprocess(folder: Path) -> subprocess.CompletedProcess[str]:
    """Load a folder in a child with 1 GiB of address space and a time limit (a hang must not hang pytest)."""
    try:
        return subprocess.run([sys.executable, "-c", _LOAD_SCRIPT, str(folder)], cwd=REPO, capture_output=True,
                              text=True, timeout=10)
    except subprocess.TimeoutExpired:
        pytest.fail("loading a two-file folder did not finish in 10 s (it blocks on a special file)")


def test_named_pipe_in_the_folder_does_not_block(tmp_path: Path) -> None:
    folder = tmp_path / "docs"
    folder.mkdir()
    (folder / "good.md").write_text("正常的文档。", encoding="utf-8")
    os.mkfifo(folder / "pipe.txt")  # nobody writes: opening it for reading blocks forever
    out = _load_in_subprocess(folder)
    assert out.returncode == 0, out.stderr[-2000:]
    assert "['good.md']" in out.stdout and "pipe.txt" in out.stderr


def test_symlink_to_a_device_is_not_read_forever(tmp_path: Path) -> None:
    folder = tmp_path / "docs"
    folder.mkdir()
    (folder / "good.md").write_text("正常的文档。", encoding="utf-8")
    os.symlink("/dev/zero", folder / "zero.txt")  # an endless file
    out = _load_in_subprocess(folder)
    assert out.returncode == 0, out.stderr[-2000:]
    assert "['good.md']" in out.stdout and "zero.txt" in out.stderr


@pytest.mark.slow
def test_50_mb_text_file_loads_and_splits(tmp_path: Path) -> None:
    """A 50 MB text file is read, cleaned and split with exact offsets (a full index of it takes minutes)."""
    rng = random.Random(0)
    words = ["企业", "发展", "市场", "技术", "创新", "产品", "经济", "城市", "公司", "投资", "研发", "制造"]
    paragraphs = ["".join(rng.choice(words) for _ in range(40)) + f"，第{i}段。" for i in range(2000)]
    text = "\n\n".join(paragraphs[i % 2000] for i in range(200_000))
    folder = tmp_path / "docs"
    folder.mkdir()
    (folder / "big.txt").write_text(text, encoding="utf-8")
    assert (folder / "big.txt").stat().st_size > 50_000_000
    warnings: list[str] = []
    (doc,) = load_documents([folder], on_warning=warnings.append)
    assert doc.text == text and warnings == []
    passages = split_document(doc, ChunkConfig())
    assert len(passages) >= 200_000
    for p in passages[:: len(passages) // 997]:
        assert doc.text[p.start:p.end] == p.text
    assert passages[-1].end == len(doc.text)


@pytest.mark.slow
def test_5_mb_text_file_is_indexed_and_answers(tmp_path: Path) -> None:
    """A large document through the whole pipeline (load, split, embed, BM25, write, ask)."""
    rng = random.Random(1)
    words = ["企业", "发展", "市场", "技术", "创新", "产品", "经济", "城市", "公司", "投资", "研发", "制造"]
    body = "\n\n".join("".join(rng.choice(words) for _ in range(40)) + f"，第{i}段。" for i in range(20_000))
    folder = tmp_path / "docs"
    folder.mkdir()
    (folder / "big.txt").write_text(f"{FACT}\n\n{body}", encoding="utf-8")
    assert (folder / "big.txt").stat().st_size > 5_000_000
    qa = QA.build([folder], tmp_path / "idx", encoder=FakeEncoder())
    assert len(qa.passages) > 20_000
    answer = qa.ask(QUESTION)
    assert answer.text is not None and "8997" in answer.text
