"""The examples in README.md and docs/*.md run, and print what the page shows; the files the pages cite exist.

Marking an example in the Markdown (an HTML comment on the line before a fenced block):

    <!-- example -->            the next block (```bash or ```python) is run by this test
    <!-- output -->             the next block is what the example before it prints on stdout
    <!-- not run: REASON -->    README.md only: a block that is not an example (every README block is marked)

Examples run in a scratch directory holding `data/` and `eval/` (links to this checkout's), with `.venv/bin`
first on PATH and `QA_INDEX_DIR` set to an index of the bundled corpus built once for the session (a new,
empty location for an example that runs `qa index` itself). A Python example that talks to
`http://127.0.0.1:7860/` is pointed at a test instance of the app (tests/conftest.py's `app_server`).

How shown output is compared with what the example prints:
  ```json   field by field: the same keys, "..." stands for any value, a number shown with d decimals
            matches any number that rounds to it;
  otherwise line by line, trailing spaces ignored: "..." inside a line stands for any text, a line that
            is only "..." for any number of lines.

When the output changes on purpose (say, the default reader changes), rewrite the shown outputs with
what the code prints now, then review `git diff`:

    QA_DOCS_UPDATE=1 .venv/bin/python -m pytest -q tests/test_docs_examples.py

Update mode keeps every "..." placeholder (and a number's shown decimals) and replaces the rest.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

REPO = Path(__file__).resolve().parent.parent
PAGES = [REPO / "README.md", *sorted((REPO / "docs").glob("*.md"))]
UPDATE = os.environ.get("QA_DOCS_UPDATE") == "1"
APP_URL = "http://127.0.0.1:7860/"
README_MAX_LINES = 250
MAX_BENCH_SCRIPTS = 10
ANY = "..."
_FENCE = re.compile(r"^```(\w*)\s*$")
_MARK = re.compile(r"^<!--\s*(example|output|not run:.*?)\s*-->\s*$")


@dataclass(frozen=True)
class Block:
    page: Path
    line: int  # 1-based line of the opening fence
    lang: str
    text: str  # the block's content, without the fences
    mark: str | None  # "example", "output", "not run: ..." or None


@dataclass(frozen=True)
class Example:
    code: Block
    output: Block | None

    @property
    def id(self) -> str:
        return f"{self.code.page.relative_to(REPO)}:{self.code.line}"


def blocks(page: Path) -> list[Block]:
    """Every fenced block of a Markdown page, with the marker comment on the line before it (if any)."""
    lines = page.read_text(encoding="utf-8").splitlines()
    found: list[Block] = []
    mark: str | None = None
    i = 0
    while i < len(lines):
        line = lines[i]
        fence = _FENCE.match(line)
        if fence:
            end = i + 1
            while end < len(lines) and lines[end].strip() != "```":
                end += 1
            found.append(Block(page, i + 1, fence.group(1), "\n".join(lines[i + 1:end]), mark))
            mark, i = None, end + 1
            continue
        m = _MARK.match(line.strip())
        if m:
            mark = m.group(1)
        elif line.strip():
            mark = None
        i += 1
    return found


def examples(pages: list[Path]) -> list[Example]:
    found = []
    for page in pages:
        bs = blocks(page)
        for i, b in enumerate(bs):
            if b.mark == "example":
                nxt = bs[i + 1] if i + 1 < len(bs) and bs[i + 1].mark == "output" else None
                found.append(Example(b, nxt))
    return found


# ------------------------------------------------------------------ matching shown output


def _decimals(x: float) -> int:
    text = repr(x)
    return len(text.split(".")[1]) if "." in text and "e" not in text else 6


def json_mismatches(shown: Any, actual: Any, where: str = "$") -> list[str]:
    """Where `actual` differs from the shown JSON (see the module docstring); [] when it matches."""
    if shown == ANY:
        return []
    if isinstance(shown, dict):
        if not isinstance(actual, dict):
            return [f"{where}: shown an object, got {actual!r}"]
        if set(shown) != set(actual):
            return [f"{where}: shown keys {sorted(shown)}, got {sorted(actual)}"]
        return [m for k in shown for m in json_mismatches(shown[k], actual[k], f"{where}.{k}")]
    if isinstance(shown, list):
        if not isinstance(actual, list) or len(shown) != len(actual):
            return [f"{where}: shown {len(shown)} items, got {actual!r}"]
        return [m for i, (s, a) in enumerate(zip(shown, actual, strict=True))
                for m in json_mismatches(s, a, f"{where}[{i}]")]
    if isinstance(shown, float) and isinstance(actual, (int, float)) and not isinstance(actual, bool):
        ok = round(float(actual), _decimals(shown)) == shown
        return [] if ok else [f"{where}: shown {shown}, got {actual}"]
    if shown != actual or type(shown) is not type(actual):
        return [f"{where}: shown {shown!r}, got {actual!r}"]
    return []


def json_update(shown: Any, actual: Any) -> Any:
    """`actual`, keeping the shown "..." placeholders and the shown number of decimals."""
    if shown == ANY:
        return ANY
    if isinstance(shown, dict) and isinstance(actual, dict):
        return {k: json_update(shown.get(k), v) for k, v in actual.items()}
    if isinstance(shown, list) and isinstance(actual, list):
        return [json_update(shown[i] if i < len(shown) else None, a) for i, a in enumerate(actual)]
    if isinstance(shown, float) and isinstance(actual, float):
        return round(actual, _decimals(shown))
    return actual


def _line_pattern(shown: str) -> re.Pattern[str]:
    return re.compile(".*".join(re.escape(part) for part in shown.rstrip().split(ANY)), re.DOTALL)


def text_matches(shown: str, actual: str) -> bool:
    """Line by line; "..." in a line is any text, a line of only "..." any number of lines."""
    want = shown.rstrip("\n").splitlines()
    got = [line.rstrip() for line in actual.rstrip("\n").splitlines()]

    def match(i: int, j: int) -> bool:
        if i == len(want):
            return j == len(got)
        if want[i].strip() == ANY:
            return any(match(i + 1, k) for k in range(j, len(got) + 1))
        return j < len(got) and _line_pattern(want[i]).fullmatch(got[j]) is not None and match(i + 1, j + 1)

    return match(0, 0)


def text_update(shown: str, actual: str) -> str:
    """`actual`, keeping each shown line (placeholders and all) that still matches its line."""
    want = shown.rstrip("\n").splitlines()
    out = []
    for j, line in enumerate(actual.rstrip("\n").splitlines()):
        keep = j < len(want) and want[j].strip() != ANY and _line_pattern(want[j]).fullmatch(line.rstrip())
        out.append(want[j] if keep else line.rstrip())
    return "\n".join(out)


def output_mismatches(output: Block, stdout: str) -> list[str]:
    if output.lang == "json":
        try:
            actual = json.loads(stdout)
        except json.JSONDecodeError:
            return [f"printed no single JSON value:\n{stdout}"]
        return json_mismatches(json.loads(output.text), actual)
    return [] if text_matches(output.text, stdout) else [f"shown:\n{output.text}\nprinted:\n{stdout}"]


def compact_json(value: Any) -> str:
    """An object with one key per line and each object of a list on its own line; the rest inline."""
    def dumps(v: Any) -> str:
        return json.dumps(v, ensure_ascii=False)

    if not isinstance(value, dict):
        return json.dumps(value, ensure_ascii=False, indent=1)
    items = []
    for key, v in value.items():
        if isinstance(v, list) and v and all(isinstance(x, dict) for x in v):
            items.append(f"{dumps(key)}: [" + ",\n   ".join(dumps(x) for x in v) + "]")
        else:
            items.append(f"{dumps(key)}: {dumps(v)}")
    return "{" + ",\n ".join(items) + "}"


def updated_output(output: Block, stdout: str) -> str:
    if output.lang == "json":
        return compact_json(json_update(json.loads(output.text), json.loads(stdout)))
    return text_update(output.text, stdout)


def rewrite_output(example: Example, new_text: str) -> None:
    """Replace the example's output block in its page (found by content, so earlier rewrites don't matter)."""
    assert example.output is not None
    page = example.code.page
    source = page.read_text(encoding="utf-8")
    code_at = source.index(example.code.text)
    old = f"```{example.output.lang}\n{example.output.text}\n```"
    at = source.index(old, code_at)
    page.write_text(source[:at] + f"```{example.output.lang}\n{new_text}\n```" + source[at + len(old):],
                    encoding="utf-8")


# ------------------------------------------------------------------ running the examples


@pytest.fixture(scope="session")
def sandbox(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Path, dict[str, str]]]:
    """A scratch working directory and environment; the bundled corpus is indexed once into QA_INDEX_DIR."""
    root = tmp_path_factory.mktemp("docs-examples")
    for name in ("data", "eval"):
        (root / name).symlink_to(REPO / name, target_is_directory=True)
    env = {**os.environ, "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}",
           "QA_INDEX_DIR": str(root / "index"), "GRADIO_ANALYTICS_ENABLED": "False", "PYTHONUNBUFFERED": "1",
           "PYTHONPATH": str(REPO)}
    built = subprocess.run([sys.executable, "-m", "qa", "index"], cwd=root, env=env, capture_output=True,
                           text=True, timeout=900)
    assert built.returncode == 0, built.stderr[-4000:]
    yield root, env


def run_example(code: Block, cwd: Path, env: dict[str, str], app_url: str | None) -> subprocess.CompletedProcess:
    if code.lang == "bash":
        argv = ["bash", "-e", "-c", code.text]
    elif code.lang == "python":
        argv = [sys.executable, "-c", code.text.replace(APP_URL, app_url) if app_url else code.text]
    else:
        raise AssertionError(f"{code.page.name}:{code.line}: an example must be ```bash or ```python")
    return subprocess.run(argv, cwd=cwd, env=env, capture_output=True, text=True, timeout=900)


EXAMPLES = examples(PAGES)


@pytest.mark.slow
@pytest.mark.parametrize("example", EXAMPLES, ids=[e.id for e in EXAMPLES])
def test_example_runs_and_prints_what_the_page_shows(example: Example, sandbox, request, tmp_path: Path) -> None:
    cwd, env = sandbox
    if re.search(r"^qa index", example.code.text, re.MULTILINE):  # it builds an index: a fresh one, as shown
        env = {**env, "QA_INDEX_DIR": str(tmp_path / "index")}
    app_url = request.getfixturevalue("app_server").url if APP_URL in example.code.text else None
    done = run_example(example.code, cwd, env, app_url)
    assert done.returncode == 0, f"{example.id} failed:\n{done.stdout[-2000:]}\n{done.stderr[-4000:]}"
    if example.output is None:
        return
    problems = output_mismatches(example.output, done.stdout)
    if problems and UPDATE:
        rewrite_output(example, updated_output(example.output, done.stdout))
        return
    assert problems == [], f"{example.id}: the page's output differs from what the code prints " \
        f"(QA_DOCS_UPDATE=1 rewrites it):\n" + "\n".join(problems)


# ------------------------------------------------------------------ the pages themselves


def test_the_readme_is_short_and_marks_every_block() -> None:
    readme = REPO / "README.md"
    assert len(readme.read_text(encoding="utf-8").splitlines()) <= README_MAX_LINES
    unmarked = [f"README.md:{b.line}" for b in blocks(readme) if b.mark is None]
    assert unmarked == [], "mark each README block: <!-- example -->, <!-- output --> or <!-- not run: why -->"
    assert [e for e in EXAMPLES if e.code.page == readme], "the README has examples"


def test_every_output_block_follows_an_example() -> None:
    orphans = []
    for page in PAGES:
        bs = blocks(page)
        orphans += [f"{page.name}:{b.line}" for i, b in enumerate(bs)
                    if b.mark == "output" and (i == 0 or bs[i - 1].mark != "example")]
    assert orphans == []


_CITED = re.compile(r"(?<![\w/.-])(?:\.\./)?((?:runs|bench|eval/results|docs)/[\w./{},*-]*[\w}])")
_PLACEHOLDER = re.compile(r"\b(NAME|FILE|rN)\b|\*")
_COMMIT = re.compile(r"\b[0-9a-f]{7,40}\b")


def cited_paths(text: str) -> set[str]:
    """Repository paths a page names (runs/..., bench/..., eval/results/..., docs/...), braces expanded;
    placeholders (NAME, FILE, rN, globs) left out."""
    found: set[str] = set()
    for path in _CITED.findall(text):
        m = re.search(r"\{([^{}]*)\}", path)
        found |= {path.replace(m.group(0), alt) for alt in m.group(1).split(",")} if m else {path}
    return {p for p in found if not _PLACEHOLDER.search(p)}


def _doc_text() -> str:
    return "\n".join(p.read_text(encoding="utf-8") for p in [*PAGES, REPO / "eval" / "README.md"])


def _in_commit(commit: str, path: str) -> bool:
    done = subprocess.run(["git", "cat-file", "-e", f"{commit}:{path}"], cwd=REPO, capture_output=True)
    return done.returncode == 0


def missing_paths(text: str) -> list[str]:
    """Cited paths that are neither in the tree nor, for a path cited in a section that names a commit (a
    removed script, a superseded result), in one of the commits that section names."""
    missing = set()
    for section in re.split(r"\n(?=#)", text):
        commits = _COMMIT.findall(section)
        for path in cited_paths(section):
            if not (REPO / path).exists() and not any(_in_commit(c, path) for c in commits):
                missing.add(path)
    return sorted(missing)


def test_every_path_the_pages_cite_exists() -> None:
    assert missing_paths(_doc_text()) == []


def test_every_result_file_is_cited() -> None:
    """eval/results, bench/results and runs/ hold only files the docs cite (a folder cited cites its files)."""
    cited = cited_paths(_doc_text())
    cited_dirs = {c.rstrip("/") for c in cited}

    def is_cited(rel: str, area: str) -> bool:
        parts = rel.split("/")
        deeper = range(area.count("/") + 2, len(parts))  # citing the whole area does not count
        return rel in cited or any("/".join(parts[:n]) in cited_dirs for n in deeper)

    uncited = sorted(
        rel for area in ("eval/results", "bench/results", "runs") for p in (REPO / area).rglob("*")
        if p.is_file() and p.name != "README.md" and not is_cited(rel := str(p.relative_to(REPO)), area)
    )
    assert uncited == []


def test_bench_holds_a_few_scripts_each_behind_a_documented_figure() -> None:
    scripts = sorted(p.stem for p in (REPO / "bench").glob("*.py") if p.stem not in ("__init__", "__main__", "common"))
    assert len(scripts) <= MAX_BENCH_SCRIPTS
    listed = subprocess.run([sys.executable, "-m", "bench"], cwd=REPO, capture_output=True, text=True, check=True)
    benchmarks = (REPO / "docs" / "benchmarks.md").read_text(encoding="utf-8")
    for name in scripts:
        assert f"python -m bench {name}" in listed.stdout, f"bench/{name}.py is not in bench/__main__.py"
        assert f"python -m bench {name}" in benchmarks, f"docs/benchmarks.md states no figure of {name}"


# ------------------------------------------------------------------ the checks can fail


def test_json_matching_is_field_by_field() -> None:
    shown = {"answer": "8997家", "confidence": 0.97, "text": ANY, "citations": [{"paragraph": 4}]}
    good = {"answer": "8997家", "confidence": 0.967705, "text": "…", "citations": [{"paragraph": 4}]}
    assert json_mismatches(shown, good) == []
    assert json_mismatches(shown, {**good, "answer": "1.2万家"}) == ["$.answer: shown '8997家', got '1.2万家'"]
    assert json_mismatches(shown, {**good, "citations": [{"paragraph": 5}]}) == [
        "$.citations[0].paragraph: shown 4, got 5"]
    assert json_mismatches(shown, {**good, "confidence": 0.91}) != []
    assert json_mismatches(shown, {**good, "extra": 1}) != []
    assert json_mismatches(shown, {**good, "citations": []}) != []
    assert json_update(shown, {**good, "answer": "9.8万家"}) == {**shown, "answer": "9.8万家"}
    assert json.loads(compact_json(shown)) == shown


def test_text_matching_takes_placeholders() -> None:
    shown = "Answer: 8997家   (confidence ...)\n...\nend"
    assert text_matches(shown, "Answer: 8997家   (confidence 0.97)\nmore\nlines\nend\n")
    assert text_matches(shown, "Answer: 8997家   (confidence 0.97)\nend")
    assert not text_matches(shown, "Answer: 74家   (confidence 0.97)\nend")
    assert not text_matches("a\nb", "a\nb\nc")
    assert text_update("x ...\ny", "x 1\nz\nw") == "x ...\nz\nw"


def test_blocks_carry_their_markers(tmp_path: Path) -> None:
    page = tmp_path / "p.md"
    page.write_text("<!-- example -->\n```bash\nqa ask q\n```\n\n<!-- output -->\n```json\n{}\n```\n"
                    "text\n```python\nx\n```\n", encoding="utf-8")
    bs = blocks(page)
    assert [(b.mark, b.lang, b.text) for b in bs] == [
        ("example", "bash", "qa ask q"), ("output", "json", "{}"), (None, "python", "x")]
    assert [(e.code.line, e.output and e.output.line) for e in examples([page])] == [(2, 7)]
    assert cited_paths("see runs/r5/, [r6](../runs/r6/), bench/NAME.py and `eval/results/gold{,-fp32}.json`.") == {
        "runs/r5", "runs/r6", "eval/results/gold.json", "eval/results/gold-fp32.json"}
    assert missing_paths("runs/r5/nothing.json and bench/peers.py") == ["bench/peers.py", "runs/r5/nothing.json"]
    assert missing_paths("bench/peers.py, removed; at commit a9119df") == []
