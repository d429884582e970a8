"""Read files and folders into cleaned `Document`s: encodings, front matter, titles, dates, PDF and DOCX.

Rules:
- Paths: a folder is searched recursively (symlinks followed, each real folder visited once, so link loops
  end); names starting with "." or "~$" are skipped; files of other types are ignored silently. Files are
  returned in sorted order of their relative path. A file given directly must have a supported type.
  A missing path raises `IngestError`. A file reached twice (e.g. through a link) is loaded once.
- doc_id: the file's path relative to the folder given (POSIX form), or its name when given directly.
- Encodings (`decode_bytes`): BOM first (UTF-8, UTF-16 LE/BE, UTF-32); then BOM-less UTF-16 when the NUL
  bytes sit on one parity (ASCII-heavy text); then NUL bytes mean binary; then strict UTF-8; then UTF-8
  with U+FFFD replacements when at least 10 valid non-ASCII characters stand per broken byte (a damaged
  UTF-8 file, reported as a warning); then strict GB18030 (a superset of GBK/GB2312). Anything else, or a
  decoded text with more than 1% control/private-use characters, is skipped with a warning naming the file.
- Front matter: a ``---`` block at the very start (after an optional BOM/blank lines) whose first line
  looks like ``key: ...``, closed by ``---`` or ``...`` within 64 KiB. Parsed with ``yaml.safe_load``;
  invalid YAML gives a warning and the block is still removed. Every field goes to `Document.metadata`
  as JSON-safe values (dates as ISO strings).
- Title: front matter ``title``, else the first heading (Markdown ``#``/HTML ``<h1>``, else ``<title>``,
  else any heading; PDF/DOCX: document properties, then a Title/Heading style paragraph), else the stem.
- Date: front matter ``date`` (or ``published``/``pubdate``/``created``) via `normalize_date`; a value that
  cannot be read gives ``None`` and a warning. PDF/DOCX: the creation date of the document properties.
  Without either, the latest day or month the text states (or the year of an event it names), with
  ``metadata["date_source"] = "text"`` (`qa.text_dates`); None when it states none.
- A file with no text left after cleaning (empty, or front matter only) is skipped with a warning, so it
  never turns into an empty document.
- PDF needs ``pypdf`` and DOCX ``python-docx`` (extra ``qa-corpus[docs]``); when missing, those files are
  skipped with a warning that gives the install command.
"""

from __future__ import annotations

import email.utils
import logging
import math
import os
import re
import stat
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any

import yaml

from qa.cleaning import clean, clean_title
from qa.errors import InputError
from qa.filetypes import BINARY_FORMATS, SUPPORTED_SUFFIXES, TEXT_FORMATS
from qa.text_dates import date_in_text
from qa.types import Document

log = logging.getLogger("qa")

Warn = Callable[[str], None]

DOCS_EXTRA_HINT = "pip install 'qa-corpus[docs]'"

FRONT_MATTER_MAX_CHARS = 65536
_DATE_KEYS = ("date", "published", "pubdate", "publish_date", "created")


class IngestError(InputError):
    """A path given to the loader cannot be used (missing, or not a supported file type)."""


class DecodeError(IngestError):
    """The bytes of a file are not text in any supported encoding."""


@dataclass(frozen=True)
class Decoded:
    """Text decoded from bytes, with the encoding used and how many bytes had to be replaced."""

    text: str
    encoding: str
    replaced: int = 0


@dataclass(frozen=True)
class FrontMatter:
    """The result of splitting a leading YAML block off a text."""

    fields: Mapping[str, Any] | None  # None when there was no (readable) front matter
    body: str
    error: str | None = None  # why a delimited block could not be read


def load_documents(
    paths: Sequence[str | Path] | str | Path, *, on_warning: Warn | None = None
) -> list[Document]:
    """Load the supported files at `paths` (files or folders); unreadable ones are skipped with a warning."""
    warn = on_warning or log.warning
    if isinstance(paths, (str, Path)):
        paths = [paths]
    documents: list[Document] = []
    seen: dict[str, str] = {}
    for path, doc_id in _collect(paths, warn):
        try:
            real = os.path.realpath(path)
        except OSError:
            real = str(path)
        if real in seen:
            warn(f"skipped {path}: same file as {seen[real]}")
            continue
        seen[real] = str(path)
        doc = _load_file(path, doc_id, warn)
        if doc is not None:
            documents.append(doc)
    return documents


def _collect(paths: Iterable[str | Path], warn: Warn) -> list[tuple[Path, str]]:
    found: list[tuple[Path, str]] = []
    for given in paths:
        path = Path(given)
        if not path.exists():
            raise IngestError(f"{path}: no such file or folder")
        if path.is_dir():
            found.extend(_walk(path, warn))
            continue
        suffix = path.suffix.lower()
        if suffix not in SUPPORTED_SUFFIXES:
            raise IngestError(f"{path}: unsupported file type {suffix or '(no extension)'!r}; "
                              f"supported: {', '.join(SUPPORTED_SUFFIXES)}")
        found.append((path, path.name))
    return found


def _walk(root: Path, warn: Warn) -> list[tuple[Path, str]]:
    found: list[tuple[Path, str]] = []
    visited: set[str] = set()

    def on_error(exc: OSError) -> None:
        warn(f"cannot read folder {exc.filename}: {exc.strerror or exc}")

    for dirpath, dirnames, filenames in os.walk(root, followlinks=True, onerror=on_error):
        real = os.path.realpath(dirpath)
        if real in visited:  # reached again through a symlink: a loop or a second link to the same folder
            dirnames[:] = []
            continue
        visited.add(real)
        dirnames[:] = sorted(d for d in dirnames if not _hidden(d))
        for name in filenames:
            if not _hidden(name) and Path(name).suffix.lower() in SUPPORTED_SUFFIXES:
                path = Path(dirpath) / name
                found.append((path, path.relative_to(root).as_posix()))
    found.sort(key=lambda item: item[1])
    return found


def _hidden(name: str) -> bool:
    return name.startswith(".") or name.startswith("~$")


MAX_FILE_BYTES = 256 * 1024 * 1024  # larger files are skipped with a warning (memory stays bounded)


def _load_file(path: Path, doc_id: str, warn: Warn) -> Document | None:
    suffix = path.suffix.lower()
    source = str(path)
    try:
        info = path.stat()  # follows symlinks: a link to a FIFO or a device is not a regular file either
    except OSError as exc:
        warn(f"skipped {source}: cannot read it ({exc.strerror or exc})")
        return None
    if not stat.S_ISREG(info.st_mode):
        warn(f"skipped {source}: not a regular file (a pipe, device or socket)")
        return None
    if info.st_size > MAX_FILE_BYTES:
        warn(f"skipped {source}: {info.st_size} bytes is over the {MAX_FILE_BYTES} byte limit per file")
        return None
    if suffix in BINARY_FORMATS:
        loaded = _load_pdf(path, warn) if suffix == ".pdf" else _load_docx(path, warn)
        if loaded is None:
            return None
        text, title, raw_date, metadata = loaded
        cleaned = clean(text, "plain")
        fields: Mapping[str, Any] = metadata
    else:
        try:
            data = path.read_bytes()
        except OSError as exc:
            warn(f"skipped {source}: cannot read it ({exc.strerror or exc})")
            return None
        try:
            decoded = decode_bytes(data)
        except DecodeError as exc:
            warn(f"skipped {source}: {exc}")
            return None
        if decoded.replaced:
            warn(f"{source}: {decoded.replaced} bytes are not valid UTF-8 and were replaced by U+FFFD")
        front = split_front_matter(decoded.text)
        if front.error:
            warn(f"{source}: front matter ignored: {front.error}")
        fields = front.fields or {}
        cleaned = clean(front.body, TEXT_FORMATS[suffix])
        title = _text_field(fields.get("title"))
        raw_date = next((fields[k] for k in _DATE_KEYS if fields.get(k) not in (None, "")), None)
        try:
            metadata = json_safe(dict(fields))
        except ValueError as exc:
            warn(f"{source}: front matter ignored: {exc}")
            metadata, title, raw_date = {}, None, None
    if not cleaned.text:
        warn(f"skipped {source}: no text left after cleaning")
        return None
    day = normalize_date(raw_date)
    if raw_date is not None and day is None:
        warn(f"{source}: cannot read the date {raw_date!r}; the document gets no date")
    if raw_date is None:
        # no date in its metadata: the latest date its text states, marked as such (qa.text_dates)
        day = date_in_text(cleaned.text)
        if day is not None:
            metadata = {**metadata, "date_source": "text"}
    return Document(
        doc_id=doc_id,
        title=title or cleaned.title or path.stem,
        text=cleaned.text,
        date=day,
        source=source,
        metadata=metadata,
    )


def _text_field(value: object) -> str | None:
    if value is None or isinstance(value, (list, dict)):
        return None
    return clean_title(str(value)) or None


# ---------------------------------------------------------------------------------------------- decoding

_BOMS = (
    (b"\xef\xbb\xbf", "utf-8"),
    (b"\xff\xfe\x00\x00", "utf-32-le"),
    (b"\x00\x00\xfe\xff", "utf-32-be"),
    (b"\xff\xfe", "utf-16-le"),
    (b"\xfe\xff", "utf-16-be"),
)
_JUNK_RE = re.compile("[\x00-\x08\x0e-\x1f\x7f\ue000-\uf8ff]")
_SNIFF_BYTES = 4096
_JUNK_SAMPLE_CHARS = 1 << 20


def decode_bytes(data: bytes) -> Decoded:
    """Decode file bytes by the rules of the module docstring; raise `DecodeError` for binary/unknown data."""
    for bom, encoding in _BOMS:
        if data.startswith(bom):
            try:
                return _checked(data[len(bom):].decode(encoding), encoding)
            except UnicodeDecodeError as exc:
                raise DecodeError(f"has a {encoding} byte-order mark but is not valid {encoding}") from exc
    utf16 = _sniff_utf16(data)
    if utf16:
        try:
            return _checked(data.decode(utf16), utf16)
        except UnicodeDecodeError as exc:
            raise DecodeError("contains NUL bytes (binary file?)") from exc
    if b"\x00" in data:
        raise DecodeError("contains NUL bytes (binary file?)")
    try:
        return _checked(data.decode("utf-8"), "utf-8")
    except UnicodeDecodeError:
        pass
    loose = data.decode("utf-8", errors="replace")
    bad = loose.count("\ufffd") - data.count(b"\xef\xbf\xbd")
    valid_non_ascii = len(loose) - len(loose.encode("ascii", "ignore")) - bad
    if valid_non_ascii >= 10 * bad:
        return _checked(loose, "utf-8", replaced=bad)
    try:
        return _checked(data.decode("gb18030"), "gb18030")
    except UnicodeDecodeError as exc:
        raise DecodeError("is not UTF-8, UTF-16 or GB18030/GBK text (binary or unknown encoding)") from exc


def _sniff_utf16(data: bytes) -> str | None:
    sample = data[:_SNIFF_BYTES]
    if len(data) % 2 or len(sample) < 4:
        return None
    even, odd = sample[0::2], sample[1::2]
    zeros_even, zeros_odd = even.count(0) / len(even), odd.count(0) / len(odd)
    if zeros_odd > 0.3 and zeros_even < 0.05:
        return "utf-16-le"
    if zeros_even > 0.3 and zeros_odd < 0.05:
        return "utf-16-be"
    return None


def _checked(text: str, encoding: str, *, replaced: int = 0) -> Decoded:
    sample = text[:_JUNK_SAMPLE_CHARS]
    junk = len(_JUNK_RE.findall(sample))
    if junk > max(2, len(sample) // 100):
        raise DecodeError(f"decodes as {encoding} but has {junk} control characters (binary file?)")
    return Decoded(text, encoding, replaced)


# ------------------------------------------------------------------------------------------ front matter

_FM_OPEN_RE = re.compile(r"\A\ufeff?(?:[ \t]*\n)*---[ \t]*\n")
_FM_CLOSE_RE = re.compile(r"^(?:---|\.\.\.)[ \t]*$", re.MULTILINE)
_FM_KEY_RE = re.compile(r"\s*(?:#|[\"']?[\w\- .]{1,100}[\"']?\s*:(?:\s|$))")


def split_front_matter(text: str) -> FrontMatter:
    """Split a leading ``---`` YAML block off `text` (see the module docstring); never raises."""
    opening = _FM_OPEN_RE.match(text)
    if not opening:
        return FrontMatter(None, text)
    start = opening.end()
    closing = _FM_CLOSE_RE.search(text, start, start + FRONT_MATTER_MAX_CHARS)
    if closing is None:
        return FrontMatter(None, text)  # a Markdown rule, not front matter
    block = text[start:closing.start()]
    first = next((line for line in block.split("\n") if line.strip()), None)
    if first is not None and not _FM_KEY_RE.match(first):
        return FrontMatter(None, text)  # text between two rules, not YAML
    body = text[closing.end():]
    try:
        fields = yaml.safe_load(block)
    except (yaml.YAMLError, RecursionError, ValueError, TypeError, OverflowError) as exc:
        # PyYAML raises ValueError/OverflowError for impossible timestamps such as 2022-13-45
        problem = getattr(exc, "problem", None) or f"{type(exc).__name__}: {exc}"
        return FrontMatter(None, body, f"not valid YAML ({problem})")
    if fields is None:
        return FrontMatter({}, body)
    if not isinstance(fields, dict):
        return FrontMatter(None, body, f"expected key: value pairs, got a {type(fields).__name__}")
    return FrontMatter({str(k): v for k, v in fields.items()}, body)


_JSON_SAFE_BUDGET = 10000


def json_safe(value: Any) -> Any:
    """`value` as JSON-serialisable data (dates become ISO strings); ValueError for huge/cyclic structures."""
    budget = [_JSON_SAFE_BUDGET]

    def convert(v: Any, depth: int) -> Any:
        budget[0] -= 1
        if budget[0] < 0 or depth > 32:
            raise ValueError("front matter is too large or nested too deeply")
        if v is None or isinstance(v, (bool, int, str)):
            return v
        if isinstance(v, float):
            return v if math.isfinite(v) else str(v)
        if isinstance(v, (datetime, date)):
            return v.isoformat()
        if isinstance(v, bytes):
            return v.decode("utf-8", errors="replace")
        if isinstance(v, Mapping):
            return {str(k): convert(x, depth + 1) for k, x in v.items()}
        if isinstance(v, (set, frozenset)):
            return [convert(x, depth + 1) for x in sorted(v, key=str)]
        if isinstance(v, (list, tuple)):
            return [convert(x, depth + 1) for x in v]
        return str(v)

    return convert(value, 0)


# ------------------------------------------------------------------------------------------------- dates

_YMD_RE = re.compile(r"(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})(?!\d)")
_COMPACT_RE = re.compile(r"(\d{4})(\d{2})(\d{2})(?:$|[T\s])")
_PDF_DATE_RE = re.compile(r"D:(\d{4})(\d{2})(\d{2})")
_STRPTIME_FORMATS = ("%B %d, %Y", "%b %d, %Y", "%d %B %Y", "%d %b %Y", "%B %d %Y", "%b %d %Y", "%b. %d, %Y")


def normalize_date(value: object) -> str | None:
    """The calendar date in `value` as ``YYYY-MM-DD`` (as written, no time-zone shift), or None if unreadable.

    Reads date/datetime objects, ``2022-03-23 15:24:05 +0800``, ISO 8601, ``2022/3/23``, ``2022.3.23``,
    ``2022年3月23日``, ``20220323``, RFC 2822 (``Thu, 17 Mar 2022 12:00:41 GMT``), PDF ``D:20220323...``
    and English month names (``March 23, 2022``).
    """
    if value is None or isinstance(value, bool):
        return None
    if isinstance(value, datetime):
        return value.date().isoformat()
    if isinstance(value, date):
        return value.isoformat()
    text = str(value).strip()
    if not text:
        return None
    for pattern in (_YMD_RE, _PDF_DATE_RE):
        m = pattern.match(text)
        if m:
            return _ymd(*m.groups())
    m = _COMPACT_RE.match(text)
    if m:
        return _ymd(*m.groups())
    try:
        return email.utils.parsedate_to_datetime(text).date().isoformat()
    except (TypeError, ValueError, IndexError, OverflowError):
        pass
    for fmt in _STRPTIME_FORMATS:
        try:
            return datetime.strptime(text, fmt).date().isoformat()
        except ValueError:
            continue
    return None


def _ymd(year: str, month: str, day: str) -> str | None:
    try:
        return date(int(year), int(month), int(day)).isoformat()
    except ValueError:
        return None


# ------------------------------------------------------------------------------------------- PDF / DOCX

_Loaded = tuple[str, str | None, object, dict[str, Any]]  # text, title, raw date, metadata


def _missing_extra(path: Path, kind: str, module: str, warn: Warn) -> None:
    warn(f"skipped {path}: reading {kind} files needs {module}; install it with: {DOCS_EXTRA_HINT}")


def _load_pdf(path: Path, warn: Warn) -> _Loaded | None:
    try:
        import pypdf
    except ImportError:
        _missing_extra(path, "PDF", "pypdf", warn)
        return None
    try:
        reader = pypdf.PdfReader(str(path))
        if reader.is_encrypted and not reader.decrypt(""):
            warn(f"skipped {path}: the PDF is encrypted")
            return None
        pages = [page.extract_text() or "" for page in reader.pages]
        info = reader.metadata or {}
    except Exception as exc:  # noqa: BLE001 - pypdf raises many unrelated types for damaged files
        warn(f"skipped {path}: cannot read the PDF ({type(exc).__name__}: {exc})")
        return None
    metadata: dict[str, Any] = {}
    for key, value in dict(info).items():
        name = str(key).lstrip("/").lower()
        if isinstance(value, (str, int, float)):
            metadata[name] = str(value)
    title = _text_field(metadata.get("title"))
    return "\n\n".join(pages), title, metadata.get("creationdate"), metadata


def _load_docx(path: Path, warn: Warn) -> _Loaded | None:
    try:
        import docx
        from docx.table import Table
    except ImportError:
        _missing_extra(path, "DOCX", "python-docx", warn)
        return None
    try:
        document = docx.Document(str(path))
        blocks: list[str] = []
        heading: str | None = None
        for item in document.iter_inner_content():
            if isinstance(item, Table):
                for row in item.rows:
                    cells: list[str] = []
                    for cell in row.cells:  # merged cells repeat; keep each text once per row
                        if cell.text.strip() and cell.text.strip() not in cells:
                            cells.append(cell.text.strip())
                    blocks.append(" ".join(cells))
                continue
            style = (item.style.name if item.style is not None else "") or ""
            if heading is None and item.text.strip() and (style == "Title" or style.startswith("Heading")):
                heading = item.text.strip()
            blocks.append(item.text)
        props = document.core_properties
        metadata = {k: v for k, v in {
            "title": props.title, "author": props.author, "subject": props.subject,
            "keywords": props.keywords, "category": props.category,
            "created": props.created.isoformat() if props.created else None,
        }.items() if v}
        created = props.created
    except Exception as exc:  # noqa: BLE001 - python-docx/zipfile/lxml raise many types for damaged files
        warn(f"skipped {path}: cannot read the DOCX file ({type(exc).__name__}: {exc})")
        return None
    title = _text_field(metadata.get("title")) or (clean_title(heading) if heading else None)
    return "\n\n".join(blocks), title, created, metadata
