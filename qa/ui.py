"""The Gradio chat UI: escaped HTML rendering of answers, a shared QA service, and the Blocks app builder.

Document text is untrusted: every string that comes from a document (passages, titles, doc ids, dates,
front-matter fields) or from a user is passed through `html.escape` before it is placed in HTML, and the
chatbot renders neither Markdown nor LaTeX, so a corpus cannot inject markup or scripts into the page.
Gradio is imported lazily (only `build_app` / `launch` need it): the renderers are plain functions.
"""

from __future__ import annotations

import html
import logging
import re
import threading
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Any

from qa.errors import InputError, MissingDependencyError, QAError
from qa.filetypes import SUPPORTED_SUFFIXES
from qa.readers.factory import DEFAULT_READER, reader_names
from qa.types import MODES, Alternative, Answer, Citation, Filters, Hit

if TYPE_CHECKING:
    import gradio as gr

    from qa.api import QA
    from qa.store import DocumentInfo

log = logging.getLogger("qa")

ABSTAIN_TEXT = "The corpus does not answer this question."
ABSTAIN_TEXT_ZH = "语料库中没有这个问题的答案。"
UPLOAD_TYPES: tuple[str, ...] = SUPPORTED_SUFFIXES


@dataclass(frozen=True)
class UIConfig:
    """Every knob of the chat UI in one place."""

    title: str = "Corpus QA · 文档问答"
    max_file_mb: float = 20.0  # per uploaded file; also gradio's max_file_size
    upload_types: tuple[str, ...] = UPLOAD_TYPES
    concurrency_limit: int = 4  # questions answered at the same time (the QA object is shared)
    default_k: int = 5  # passages retrieved per question in the chat
    max_k: int = 20
    default_mode: str = "hybrid"
    closest_passages: int = 3  # passages shown when the corpus does not answer
    preview_chars: int = 80  # passage preview in a collapsed citation
    status_poll_s: float = 1.0  # status line refresh while the index is loading
    chat_height: int = 560
    examples: tuple[str, ...] = (
        "截至2022年9月，我国已培育了多少家专精特新“小巨人”企业？",
        "我国已累计培育专精特新中小企业多少家？",
        "How many little giant enterprises had China cultivated by September 2022?",
        "火星上有多少只企鹅？",
    )


# ---------------------------------------------------------------- rendering (pure, escaped)


def esc(value: object) -> str:
    """HTML-escape any value (quotes too); None renders as an empty string."""
    return "" if value is None else html.escape(str(value), quote=True)


def highlight(text: str, start: int, end: int) -> str:
    """Escaped `text` with `text[start:end]` wrapped in <mark>; offsets are on the raw text."""
    if not 0 <= start <= end <= len(text):
        raise ValueError(f"highlight offsets {start}:{end} are outside the text (length {len(text)})")
    if start == end:
        return esc(text)
    return f"{esc(text[:start])}<mark>{esc(text[start:end])}</mark>{esc(text[end:])}"


def _sentence_offset(sentence: str, citation: Citation) -> int | None:
    """Where `sentence` sits in the cited passage such that it contains the answer span, if it does."""
    pos = citation.text.find(sentence)
    while pos != -1:
        if pos <= citation.start and citation.end <= pos + len(sentence):
            return pos
        pos = citation.text.find(sentence, pos + 1)
    return None


def render_supporting_sentence(answer: Answer) -> str:
    """The supporting sentence with the answer span marked (located via the first citation's offsets)."""
    sentence = answer.supporting_sentence
    if not sentence:
        return ""
    if answer.citations:
        c = answer.citations[0]
        pos = _sentence_offset(sentence, c)
        if pos is not None:
            return highlight(sentence, c.start - pos, c.end - pos)
    if answer.text and answer.text in sentence:
        i = sentence.index(answer.text)
        return highlight(sentence, i, i + len(answer.text))
    return esc(sentence)


def _source_line(title: str, date_: str | None, doc_id: str, paragraph: int) -> str:
    parts = [
        f'<span class="qa-title">{esc(title or doc_id)}</span>',
        f'<span class="qa-date">{esc(date_ or "undated")}</span>',
        f'<span class="qa-doc">{esc(doc_id)}</span>',
        f'<span class="qa-para">paragraph {paragraph + 1}</span>',
    ]
    return " · ".join(parts)


def render_citation(number: int, citation: Citation) -> str:
    """A numbered, expandable citation: title · date · document · paragraph, then the marked passage."""
    return (
        f'<details class="qa-citation"><summary><span class="qa-num">[{number}]</span> '
        f"{_source_line(citation.title, citation.date, citation.doc_id, citation.paragraph)}</summary>"
        f'<div class="qa-passage">{highlight(citation.text, citation.start, citation.end)}</div></details>'
    )


def render_hit(hit: Hit, *, preview_chars: int = 80) -> str:
    """A retrieved passage (no answer in it): source line with a preview, expanding to the full text."""
    p = hit.passage
    preview = p.text if len(p.text) <= preview_chars else p.text[:preview_chars] + "…"
    return (
        f'<details class="qa-hit"><summary><span class="qa-num">[{hit.rank}]</span> '
        f"{_source_line(p.title, p.date, p.doc_id, p.paragraph)}"
        f'<div class="qa-preview">{esc(preview)}</div></summary>'
        f'<div class="qa-passage">{esc(p.text)}</div></details>'
    )


def render_alternative(alt: Alternative, hits: Sequence[Hit] = ()) -> str:
    """A differing answer from another source with its date; expands to its passage when it was retrieved."""
    passage = next((h.passage for h in hits if h.passage_id == alt.passage_id), None)
    title = passage.title if passage is not None else ""
    head = (
        f'<span class="qa-alt-answer">{esc(alt.answer)}</span> — '
        f'<span class="qa-date">{esc(alt.date or "undated")}</span> · '
        + (f'<span class="qa-title">{esc(title)}</span> · ' if title else "")
        + f'<span class="qa-doc">{esc(alt.doc_id)}</span>'
    )
    if passage is None:
        return f'<li class="qa-alt">{head}</li>'
    ok = 0 <= alt.start <= alt.end <= len(passage.text) and passage.text[alt.start:alt.end] == alt.answer
    body = highlight(passage.text, alt.start, alt.end) if ok else esc(passage.text)
    return (
        f'<li class="qa-alt"><details><summary>{head}</summary>'
        f'<div class="qa-passage">{body}</div></details></li>'
    )


def render_answer(answer: Answer, config: UIConfig = UIConfig()) -> str:
    """One assistant message: the answer, its marked sentence, alternatives and numbered citations."""
    if answer.text is None:
        return render_abstention(answer, config)
    cited_date = answer.citations[0].date if answer.citations else None
    out = [
        '<div class="qa-answer">',
        f'<div class="qa-answer-text">{esc(answer.text)}</div>',
        f'<div class="qa-meta">confidence {answer.confidence:.2f}'
        + (f' · as of <span class="qa-date">{esc(cited_date)}</span>' if cited_date else "")
        + "</div>",
    ]
    out.append(render_understood_as(answer))
    sentence = render_supporting_sentence(answer)
    if sentence:
        out.append(f'<blockquote class="qa-support">{sentence}</blockquote>')
    if answer.alternatives:
        out.append('<div class="qa-section">Other sources say · 其他来源</div><ul class="qa-alts">')
        out.extend(render_alternative(a, answer.hits) for a in answer.alternatives)
        out.append("</ul>")
    if answer.citations:
        out.append('<div class="qa-section">Sources · 出处</div><div class="qa-citations">')
        out.extend(render_citation(i, c) for i, c in enumerate(answer.citations, start=1))
        out.append("</div>")
    out.append("</div>")
    return "".join(out)


def render_understood_as(answer: Answer) -> str:
    """The standalone question a follow-up was read as, so a wrong rewrite is visible (empty otherwise)."""
    if not answer.understood_as or answer.understood_as == answer.question:
        return ""
    return f'<div class="qa-understood">Understood as · 理解为: {esc(answer.understood_as)}</div>'


def render_abstention(answer: Answer, config: UIConfig = UIConfig()) -> str:
    """Say plainly that the corpus does not answer, then show the closest passages."""
    out = [
        '<div class="qa-answer qa-abstain">',
        f'<div class="qa-abstain-text">{esc(ABSTAIN_TEXT)} '
        f'<span lang="zh">{esc(ABSTAIN_TEXT_ZH)}</span></div>',
        render_understood_as(answer),
    ]
    hits = answer.hits[: config.closest_passages]
    if hits:
        out.append('<div class="qa-section">Closest passages · 最相关的段落</div><div class="qa-hits">')
        out.extend(render_hit(h, preview_chars=config.preview_chars) for h in hits)
        out.append("</div>")
    else:
        out.append('<div class="qa-meta">No passage matched (check the filters in Settings).</div>')
    out.append("</div>")
    return "".join(out)


def render_question(question: str) -> str:
    """The user's message, escaped (a question is shown as typed, never as markup)."""
    return f'<div class="qa-question">{esc(question)}</div>'


def render_error(message: str) -> str:
    """An error the user can act on, as an assistant message."""
    return f'<div class="qa-error">⚠ {esc(message)}</div>'


def render_pending() -> str:
    return '<div class="qa-pending">Searching the corpus… 正在检索…</div>'


# ---------------------------------------------------------------- settings → Filters

_DATE_RE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


def parse_date_field(text: str | None, label: str) -> str | None:
    """A date settings field as a validated YYYY-MM-DD string, None when blank, or an InputError that
    says what to type."""
    value = (text or "").strip()
    if not value:
        return None
    try:
        if not _DATE_RE.match(value):
            raise ValueError(value)
        date.fromisoformat(value)
    except ValueError:
        raise InputError(f"{label} must be a date written YYYY-MM-DD (e.g. 2022-09-30), "
                         f"got {value!r}") from None
    return value


def parse_filters(
    doc_ids: Sequence[str] | None, date_from: str | None, date_to: str | None
) -> Filters | None:
    """Settings panel values → Filters (None when nothing restricts retrieval)."""
    start = parse_date_field(date_from, "'Date from'")
    end = parse_date_field(date_to, "'Date to'")
    if start and end and start > end:
        raise InputError(f"'Date from' ({start}) is after 'Date to' ({end}): swap them or clear one")
    filters = Filters(doc_ids=frozenset(doc_ids) if doc_ids else None, date_from=start, date_to=end)
    return filters if filters.active else None


def parse_reader(name: str | None) -> str | None:
    """A reader name from the settings (None or blank: the served default), or an InputError naming them."""
    value = (name or "").strip()
    if not value:
        return None
    if value not in reader_names():
        raise InputError(f"unknown reader {name!r}: use one of {', '.join(reader_names())}")
    return value


def parse_mode(mode: str | None, default: str = "hybrid") -> str:
    value = (mode or default).strip().lower()
    if value not in MODES:
        raise InputError(f"unknown retrieval mode {mode!r}: use one of {', '.join(MODES)}")
    return value


def doc_choices(documents: Mapping[str, DocumentInfo], *, label_chars: int = 40) -> list[tuple[str, str]]:
    """Document filter choices as (label, doc_id), sorted by doc id; labels are shown as plain text."""
    out = []
    for doc_id in sorted(documents):
        title = (documents[doc_id].title or "").strip()
        if doc_id.startswith(title):  # untitled documents get their file name as title
            title = ""
        if len(title) > label_chars:
            title = title[:label_chars] + "…"
        out.append((f"{title} · {doc_id}" if title else doc_id, doc_id))
    return out


def check_uploads(paths: Sequence[str | Path], config: UIConfig = UIConfig()) -> tuple[list[Path], list[str]]:
    """Split uploaded files into accepted paths and human-readable rejections (type or size)."""
    accepted: list[Path] = []
    rejected: list[str] = []
    limit = int(config.max_file_mb * 1024 * 1024)
    for raw in paths:
        path = Path(raw)
        if path.suffix.lower() not in config.upload_types:
            rejected.append(f"{path.name}: unsupported file type (use {' '.join(config.upload_types)})")
        elif not path.is_file():
            rejected.append(f"{path.name}: the upload is missing on the server; upload it again")
        elif path.stat().st_size > limit:
            rejected.append(f"{path.name}: larger than {config.max_file_mb:g} MB")
        else:
            accepted.append(path)
    return accepted, rejected


def render_upload_report(added: Sequence[str], changed: Sequence[str], problems: Sequence[str],
                         *, error: str | None = None) -> str:
    """What an upload did, escaped (file names and loader warnings can contain anything)."""
    out = ['<div class="qa-upload">']
    if error:
        out.append(f'<div class="qa-error">⚠ {esc(error)} The index was left unchanged.</div>')
    if added or changed:
        ids = ", ".join(esc(d) for d in [*added, *changed])
        out.append(f'<div class="qa-ok">Indexed {len(added)} new and {len(changed)} updated '
                   f"document(s): {ids}</div>")
    elif not error:
        out.append('<div class="qa-meta">No new or changed documents were indexed.</div>')
    if problems:
        out.append('<ul class="qa-problems">' + "".join(f"<li>{esc(p)}</li>" for p in problems) + "</ul>")
    out.append("</div>")
    return "".join(out)


# ---------------------------------------------------------------- the shared QA service


class IndexNotReadyError(QAError):
    """The index is still being built or loaded in the background."""


class QAService:
    """The one QA object shared by every session; it may still be building/loading in a background thread."""

    def __init__(self, qa: QA | None = None, *, description: str = "", reader: str = DEFAULT_READER) -> None:
        self._qa = qa
        self.default_reader = reader  # chosen at start (`app.py --reader`); a session may pick another
        self._error: str | None = None
        self._description = description
        self._started = time.monotonic()
        self._done = threading.Event()
        self.write_lock = threading.Lock()  # one upload at a time
        if qa is not None:
            self._done.set()

    @classmethod
    def in_background(cls, loader: Callable[[], QA], description: str,
                      reader: str = DEFAULT_READER) -> QAService:
        """Run `loader` (build or open an index) in a daemon thread; the UI serves meanwhile."""
        service = cls(description=description, reader=reader)
        threading.Thread(target=service._load, args=(loader,), name="qa-index-loader", daemon=True).start()
        return service

    def _load(self, loader: Callable[[], QA]) -> None:
        try:
            qa = loader()
            log.info("index ready: %d documents, %d passages (%s)", len(qa.documents), len(qa.passages),
                        qa.index_dir)
            self._qa = qa
        except Exception as exc:  # shown in the page and the console, never a traceback in the page
            log.exception("the index could not be loaded")
            self._error = f"{type(exc).__name__}: {exc}"
        finally:
            self._done.set()

    @property
    def ready(self) -> bool:
        return self._qa is not None

    @property
    def loading(self) -> bool:
        return not self._done.is_set()

    def wait(self, timeout: float | None = None) -> QA:
        """Block until loaded (for scripts and tests)."""
        self._done.wait(timeout)
        return self.get()

    def get(self) -> QA:
        """The loaded QA object, or an error that tells the user what is going on."""
        if self._qa is not None:
            return self._qa
        if self._error is not None:
            raise IndexNotReadyError(f"the index could not be loaded ({self._error}); see the console")
        raise IndexNotReadyError(
            "the index is still being prepared (see the status line); ask again in a moment"
        )

    def status(self) -> dict[str, Any]:
        """Machine-readable status (the `/status` endpoint)."""
        qa = self._qa
        if qa is None:
            return {"ready": False, "error": self._error, "message": self._description,
                    "elapsed_s": round(time.monotonic() - self._started, 1)}
        return {"ready": True, "error": None, "documents": len(qa.documents), "passages": len(qa.passages),
                "model": qa.model_id, "index_dir": str(qa.index_dir)}

    def status_html(self) -> str:
        """The page's status line."""
        qa = self._qa
        if qa is not None:
            return (
                f'<div class="qa-status qa-ready">Ready · {len(qa.documents)} documents · '
                f"{len(qa.passages)} passages · model {esc(qa.model_id)} · index {esc(qa.index_dir)}</div>"
            )
        if self._error is not None:
            return (f'<div class="qa-status qa-failed">⚠ The index could not be loaded: '
                    f"{esc(self._error)}</div>")
        elapsed = time.monotonic() - self._started
        return (
            f'<div class="qa-status qa-loading">⏳ {esc(self._description)} … {elapsed:.0f} s '
            "(progress in the console)</div>"
        )


def start_service(index_dir: str | Path | None = None, *, model: str | None = None,
                  reader: str = DEFAULT_READER) -> QAService:
    """Open `index_dir` (must exist), or the default index, building it from the bundled corpus if absent.

    Loading happens in the background so the page comes up at once and shows progress in its status line.
    `reader` is the answer reader by name (``qa.readers.reader_names()``); a session can pick another one.
    """
    from qa.api import QA
    from qa.paths import default_index_dir
    from qa.store import MANIFEST, read_manifest

    reader = parse_reader(reader) or DEFAULT_READER

    if index_dir is not None:
        target = Path(index_dir).expanduser()
        if not target.is_dir():
            raise InputError(
                f"no index directory at {target}: build one with `qa index PATHS --index {target}`"
            )
        read_manifest(target)  # raises a clear error when it is not an index
        return QAService.in_background(lambda: QA.open(target, model=model, reader=reader).warm_up(),
                                       f"Loading the index at {target}", reader)
    target = default_index_dir()
    if (target / MANIFEST).exists():
        return QAService.in_background(lambda: QA.open(target, model=model, reader=reader).warm_up(),
                                       f"Loading the index at {target}", reader)
    return QAService.in_background(
        lambda: QA.build(None, target, model=model, progress=True, reader=reader).warm_up(),
        f"Building the index of the bundled corpus at {target} (first start only; embedding on CPU)",
        reader,
    )


# ---------------------------------------------------------------- handlers (no gradio types needed)


def _as_int(value: object) -> int:
    try:
        return int(value)  # type: ignore[call-overload]
    except (TypeError, ValueError):
        raise InputError(f"k must be a whole number between 1 and 100, got {value!r}") from None


def ask_json(service: QAService, question: str, mode: str = "hybrid", k: int | None = None,
             doc_ids: Sequence[str] | None = None, date_from: str | None = None,
             date_to: str | None = None, reader: str | None = None,
             history: Sequence[Any] | None = None) -> dict[str, Any]:
    """The `/ask` endpoint: the same object as `qa ask --json` (`Answer.to_json()`); ``history``: the
    earlier turns (their answer objects, or {"question", "answer"}), oldest first, for a follow-up."""
    filters = parse_filters(doc_ids, date_from, date_to)
    if k is not None and not 1 <= _as_int(k) <= 100:
        raise InputError(f"k must be between 1 and 100, got {k}")
    follow_up = {"history": history} if history else {}  # no history: asked exactly as before
    answer = service.get().ask(question, k=int(k) if k is not None else None, mode=parse_mode(mode),
                               filters=filters, reader=parse_reader(reader), **follow_up)
    return answer.to_json()


def answer_html(service: QAService, question: str, mode: str, k: int | float | None,
                doc_ids: Sequence[str] | None, date_from: str | None, date_to: str | None,
                config: UIConfig = UIConfig(), reader: str | None = None) -> str:
    """The chat reply for one question: a rendered answer, or an escaped error message (never a traceback)."""
    return answer_turn(service, question, mode, k, doc_ids, date_from, date_to, config, reader)[0]


def answer_turn(service: QAService, question: str, mode: str, k: int | float | None,
                doc_ids: Sequence[str] | None, date_from: str | None, date_to: str | None,
                config: UIConfig = UIConfig(), reader: str | None = None,
                history: Sequence[Mapping[str, Any]] = ()) -> tuple[str, dict[str, Any] | None]:
    """The chat reply for a question read with the chat's earlier turns, and the turn to keep (None when
    it failed): ``{"question", "answer", "understood_as"}``."""
    try:
        filters = parse_filters(doc_ids, date_from, date_to)
        mode_ = parse_mode(mode, config.default_mode)
        follow_up = {"history": list(history)} if history else {}
        answer = service.get().ask(question, k=int(k) if k else None, mode=mode_, filters=filters,
                                   reader=parse_reader(reader), **follow_up)
        turn = {"question": question, "answer": answer.text, "understood_as": answer.understood_as}
        return render_answer(answer, config), turn
    except QAError as exc:
        return render_error(str(exc)), None
    except Exception as exc:
        log.exception("question failed: %r", question)
        return render_error(f"internal error ({type(exc).__name__}); details are in the server console"), None


def add_files(service: QAService, paths: Sequence[str | Path], config: UIConfig = UIConfig(),
              progress: Callable[[float, str], None] | None = None) -> str:
    """Add uploaded files to the served index incrementally; returns the escaped HTML report."""
    from qa.loaders import load_documents

    notify = progress or (lambda _f, _d: None)
    accepted, problems = check_uploads(paths, config)
    if not accepted:
        return render_upload_report([], [], problems or ["no file was uploaded"])
    try:
        qa = service.get()
        with service.write_lock:
            documents = []
            for i, path in enumerate(accepted):  # one by one: a bad file must not block the others
                notify(0.3 * i / len(accepted), f"Reading {path.name}")
                try:
                    documents.extend(load_documents([path], on_warning=problems.append))
                except QAError as exc:
                    problems.append(f"{path.name}: {exc}")
            if not documents:
                return render_upload_report([], [], [*problems, "none of the files contained readable text"])
            notify(0.3, f"Embedding {len(documents)} document(s)")
            report = qa.add_documents(documents, progress=True)
            notify(1.0, "Done")
    except QAError as exc:
        log.warning("upload failed: %s", exc)
        return render_upload_report([], [], problems, error=str(exc))
    except Exception as exc:
        log.exception("upload failed")
        return render_upload_report([], [], problems, error=f"internal error ({type(exc).__name__}).")
    return render_upload_report(report.added, report.changed, problems)


# ---------------------------------------------------------------- the Gradio app

CSS = """
.qa-answer-text { font-size: 1.6em; font-weight: 700; margin: 0.1em 0 0.2em; }
.qa-abstain-text { font-size: 1.15em; font-weight: 600; }
.qa-meta, .qa-preview { color: var(--body-text-color-subdued); font-size: 0.9em; }
.qa-section { margin-top: 0.7em; font-weight: 600; font-size: 0.95em; }
.qa-support { margin: 0.5em 0; padding: 0.3em 0.8em; border-left: 4px solid var(--color-accent);
  white-space: pre-wrap; }
.qa-passage { white-space: pre-wrap; padding: 0.4em 0.8em; margin: 0.3em 0;
  background: var(--background-fill-secondary); border-radius: 6px; }
.qa-answer mark, .qa-upload mark { background: #ffe066; color: #000; padding: 0 2px; border-radius: 2px; }
.qa-answer details summary { cursor: pointer; }
.qa-alts { margin: 0.2em 0 0.2em 1.2em; padding: 0; }
.qa-alt-answer { font-weight: 600; }
.qa-error { color: #b42318; font-weight: 600; }
.qa-ok { color: #067647; font-weight: 600; }
.qa-status { font-size: 0.9em; padding: 0.2em 0; }
.qa-question { white-space: pre-wrap; }
.qa-understood { color: var(--body-text-color-subdued); font-size: 0.9em; font-style: italic; }
"""


def build_app(service: QAService, config: UIConfig = UIConfig()) -> gr.Blocks:
    """The chat UI over `service`; call `launch(demo, ...)` (or `demo.queue().launch()`) to serve it."""
    try:
        import gradio as gr
    except ImportError as exc:  # pragma: no cover - gradio is a dependency
        raise MissingDependencyError("the UI needs gradio: pip install 'gradio>=5'") from exc

    def current_choices() -> list[tuple[str, str]]:
        return doc_choices(service.get().documents) if service.ready else []

    with gr.Blocks(title=config.title) as demo:
        gr.HTML(f"<h2>{esc(config.title)}</h2><div class='qa-meta'>Ask in Chinese or English; every "
                "answer is a span of a corpus document, with its source. "
                "用中文或英文提问，答案均摘自语料并注明出处。</div>")
        status = gr.HTML(service.status_html(), elem_id="qa-status")
        timer = gr.Timer(config.status_poll_s, active=True)
        chat = gr.Chatbot(
            label="Chat",
            elem_id="qa-chat",
            height=config.chat_height,
            render_markdown=False,  # our escaped HTML only: no Markdown links/images from documents
            sanitize_html=True,  # and the browser-side sanitizer as a second line of defence
            latex_delimiters=[],
            allow_tags=False,
            buttons=["copy"],
            feedback_options=None,
        )
        history = gr.State([])
        turns = gr.State([])  # [{"question", "answer", "understood_as"}]: what follow-ups are read with
        with gr.Row():
            question = gr.Textbox(placeholder="Type a question · 输入问题", show_label=False,
                                  elem_id="qa-question", scale=8, lines=1, max_lines=4,
                                  autofocus=True)
            ask_btn = gr.Button("Ask · 提问", variant="primary", elem_id="qa-ask", scale=1)
            clear_btn = gr.Button("Clear", elem_id="qa-clear", scale=0)
        gr.Examples(examples=[[q] for q in config.examples], inputs=[question], label="Examples · 示例问题")

        with gr.Accordion("Settings · 设置", open=False, elem_id="qa-settings"):
            with gr.Row():
                mode = gr.Radio(list(MODES), value=config.default_mode, label="Retrieval mode",
                                elem_id="qa-mode")
                k = gr.Slider(1, config.max_k, value=config.default_k, step=1, label="Passages (k)",
                              elem_id="qa-k")
                reader = gr.Radio(list(reader_names()), value=service.default_reader, label="Reader",
                                  elem_id="qa-reader")
            docs = gr.Dropdown(choices=current_choices(), value=[], multiselect=True,
                               label="Only these documents", info="empty = all documents", elem_id="qa-docs")
            with gr.Row():
                date_from = gr.Textbox(label="Date from (YYYY-MM-DD)", placeholder="2022-01-01",
                                       elem_id="qa-from")
                date_to = gr.Textbox(label="Date to (YYYY-MM-DD)", placeholder="2023-12-31",
                                     elem_id="qa-to")

        with gr.Accordion("Add documents · 添加文档", open=False, elem_id="qa-add"):
            gr.HTML(f"<div class='qa-meta'>{esc(' '.join(config.upload_types))} · at most "
                    f"{config.max_file_mb:g} MB per file · added to the served index incrementally</div>")
            files = gr.File(file_count="multiple", file_types=list(config.upload_types), label="Files",
                            elem_id="qa-files")
            add_btn = gr.Button("Add to index", elem_id="qa-add-btn")
            upload_report = gr.HTML("", elem_id="qa-upload-report")

        # ---- events
        def on_ask(q: str, hist: list[dict[str, str]], mode_v: str, k_v: float, docs_v: list[str] | None,
                   from_v: str, to_v: str, reader_v: str,
                   turns_v: list[dict[str, Any]]) -> Iterator[tuple[Any, Any, Any, Any]]:
            text = (q or "").strip()
            if not text:
                yield hist, hist, gr.update(), turns_v
                return
            hist = [*hist, {"role": "user", "content": render_question(text)}]
            yield [*hist, {"role": "assistant", "content": render_pending()}], hist, "", turns_v
            reply, turn = answer_turn(service, text, mode_v, k_v, docs_v, from_v, to_v, config, reader_v,
                                      turns_v or ())
            hist = [*hist, {"role": "assistant", "content": reply}]
            yield hist, hist, "", [*(turns_v or ()), turn] if turn is not None else turns_v

        ask_inputs = [question, history, mode, k, docs, date_from, date_to, reader, turns]
        for trigger in (question.submit, ask_btn.click):
            trigger(on_ask, inputs=ask_inputs, outputs=[chat, history, question, turns],
                    api_visibility="private")
        clear_btn.click(lambda: ([], [], []), outputs=[chat, history, turns], api_visibility="private")
        chat.clear(lambda: ([], []), outputs=[history, turns], api_visibility="private")  # its trash button

        def on_add(paths: list[str] | None, progress: gr.Progress = gr.Progress()) -> tuple[Any, ...]:  # noqa: B008
            report = add_files(service, paths or [], config, progress=lambda f, d: progress(f, desc=d))
            return report, gr.update(choices=current_choices()), None, service.status_html()

        add_btn.click(on_add, inputs=[files], outputs=[upload_report, docs, files, status],
                      concurrency_limit=1, api_visibility="private")

        def on_tick() -> tuple[Any, Any, Any]:
            settled = not service.loading
            return (service.status_html(), gr.update(choices=current_choices()) if settled else gr.update(),
                    gr.Timer(active=not settled))

        timer.tick(on_tick, outputs=[status, docs, timer], api_visibility="private", queue=False)

        # ---- API
        def ask(question: str, mode: str = "hybrid", k: int | None = None, doc_ids: list[str] | None = None,
                date_from: str | None = None, date_to: str | None = None,
                reader: str | None = None, history: list[Any] | None = None) -> dict[str, Any]:
            """Answer a question over the served index; returns the `qa ask --json` object. ``history``:
            earlier turns (their answer objects), oldest first: the question is read as a follow-up."""
            try:
                return ask_json(service, question, mode, k, doc_ids, date_from, date_to, reader, history)
            except QAError as exc:
                raise gr.Error(str(exc)) from exc

        def status_api() -> dict[str, Any]:
            """Whether the index is loaded, and its size."""
            return service.status()

        gr.api(ask, api_name="ask")
        gr.api(status_api, api_name="status", queue=False)
    return demo


def launch(demo: gr.Blocks, *, host: str = "127.0.0.1", port: int = 7860, share: bool = False,
           config: UIConfig = UIConfig(), **kwargs: Any) -> Any:
    """Queue (concurrent users) and serve the app; blocks unless prevent_thread_lock=True."""
    demo.queue(default_concurrency_limit=config.concurrency_limit)
    return demo.launch(server_name=host, server_port=port, share=share,
                       max_file_size=int(config.max_file_mb * 1024 * 1024), css=CSS, **kwargs)
