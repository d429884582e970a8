"""Run a gold set through retrieve + answer_batch, in batches, and score every question; runs files."""

from __future__ import annotations

import functools
import json
import sys
import time
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol, TypeVar

from eval import metrics
from eval.gold import GoldQuestion, GoldSet
from qa.errors import InputError, QAError
from qa.types import MODES, Answer, Filters, Hit, Mode

if TYPE_CHECKING:
    from qa.readers.base import Reader

DEFAULT_K = 5  # passages read when evaluate() gets no k (the CLI passes the reader's max_passages)
RETRIEVE_K = 20  # passages retrieved per question (the largest recall@k cut-off)
RUNS_META_KEY = "meta"  # the first line of a runs file: {"meta": {index, model, reader, gold}}


T = TypeVar("T")


class RunsFormatError(QAError):
    """A runs file is unreadable or malformed; the message names the file and line."""


class Retrieving(Protocol):
    """What the harness needs from ``qa.api.QA``: retrieval (one question or a batch), batch answering
    (reading, plus the second retrieval of readers that seek other sources)."""

    def retrieve(
        self, question: str, k: int = 5, mode: Mode = "hybrid", filters: Filters | None = None
    ) -> list[Hit]: ...

    def retrieve_batch(
        self, questions: Sequence[str], k: int = 5, mode: Mode = "hybrid", filters: Filters | None = None
    ) -> list[list[Hit]]: ...

    def answer_batch(
        self, questions: Sequence[str], hits_batch: Sequence[Sequence[Hit]], *, mode: Mode = "hybrid"
    ) -> list[Answer]: ...


@dataclass(frozen=True)
class QuestionRecord:
    """One question's outcome; ``prediction is None`` means the system abstained (or did not read)."""

    id: str
    question: str
    answers: tuple[str, ...]
    doc_id: str | None
    mode: str
    k: int
    prediction: str | None
    confidence: float | None  # None when the reader did not run
    hit_rank: int | None  # 1-based rank of the first retrieved passage holding a gold answer
    passage_ids: tuple[str, ...]
    latency_ms: float
    em: float | None  # None when the reader did not run
    f1: float | None
    top_passage: str | None = None  # text of the best retrieved passage, for failure reports

    @property
    def answerable(self) -> bool:
        return bool(self.answers)

    @property
    def abstained(self) -> bool:
        return self.prediction is None

    def to_json(self) -> dict[str, Any]:
        """One line of a ``--runs`` file."""
        return {
            "id": self.id,
            "question": self.question,
            "answers": list(self.answers),
            "doc_id": self.doc_id,
            "answerable": self.answerable,
            "mode": self.mode,
            "k": self.k,
            "prediction": self.prediction,
            "confidence": self.confidence,
            "hit_rank": self.hit_rank,
            "passage_ids": list(self.passage_ids),
            "latency_ms": self.latency_ms,
            "em": self.em,
            "f1": self.f1,
            "top_passage": self.top_passage,
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> QuestionRecord:
        """Inverse of :meth:`to_json`; raises KeyError/TypeError/ValueError on a malformed object."""
        return cls(
            id=str(data["id"]),
            question=str(data["question"]),
            answers=tuple(str(a) for a in data["answers"]),
            doc_id=None if data.get("doc_id") is None else str(data["doc_id"]),
            mode=str(data["mode"]),
            k=int(data.get("k", DEFAULT_K)),
            prediction=None if data.get("prediction") is None else str(data["prediction"]),
            confidence=None if data.get("confidence") is None else float(data["confidence"]),
            hit_rank=None if data.get("hit_rank") is None else int(data["hit_rank"]),
            passage_ids=tuple(str(p) for p in data.get("passage_ids") or ()),
            latency_ms=float(data["latency_ms"]),
            em=None if data.get("em") is None else float(data["em"]),
            f1=None if data.get("f1") is None else float(data["f1"]),
            top_passage=data.get("top_passage"),
        )


@dataclass(frozen=True)
class EvalResult:
    """Aggregate metrics (the ``--json`` object) and per-question records of one mode."""

    metrics: Mapping[str, Any]
    records: tuple[QuestionRecord, ...]
    mode: str
    k: int
    reader: bool


def summarize(records: Sequence[QuestionRecord], *, reader: bool | None = None) -> dict[str, Any]:
    """Metric dict from records: answer metrics (None without a reader), recall/MRR, latency, counts.

    Retrieval metrics cover answerable questions only; ``reader=None`` infers it from the records.
    """
    if reader is None:
        reader = bool(records) and all(r.em is not None for r in records)
    answerable = [r.answerable for r in records]
    if reader:
        answer = metrics.answer_metrics(
            [r.em or 0.0 for r in records],
            [r.f1 or 0.0 for r in records],
            answerable,
            [r.abstained for r in records],
        )
    else:
        answer = dict.fromkeys(metrics.answer_metrics([], [], [], []))
    out: dict[str, Any] = {**answer}
    out.update(metrics.retrieval_metrics([r.hit_rank for r in records if r.answerable]))
    out.update(metrics.latency_metrics([r.latency_ms for r in records]))
    n_ans = sum(answerable)
    out.update({"n": len(records), "n_answerable": n_ans, "n_unanswerable": len(records) - n_ans})
    return out


def _progress(items: Sequence[T], enabled: bool, desc: str, unit: str = "q") -> Iterable[T]:
    if not enabled:
        return items
    try:
        from tqdm import tqdm
    except ImportError:  # progress is cosmetic: run without it
        return items
    return tqdm(items, desc=desc, unit=unit, file=sys.stderr, dynamic_ncols=True)


def _evaluate_batch(
    qa: Retrieving,
    batch: Sequence[GoldQuestion],
    *,
    mode: Mode,
    k: int,
    reader: bool,
    match_doc_id: bool,
    batched: bool,
) -> list[QuestionRecord]:
    """Retrieve ``max(20, k)`` passages per question, read the top ``k`` in one ``answer_batch`` call, score.

    ``batched=False`` (one question) retrieves with ``retrieve``, else with ``retrieve_batch``; every
    question's latency is the wall time of the whole batch (retrieve + read) divided by its size.
    """
    texts = [q.question for q in batch]
    depth = max(RETRIEVE_K, k)
    start = time.perf_counter()
    if batched:
        hit_lists = [list(h) for h in qa.retrieve_batch(texts, k=depth, mode=mode)]
    else:
        hit_lists = [list(qa.retrieve(t, k=depth, mode=mode)) for t in texts]
    answers: Sequence[Answer | None] = (
        qa.answer_batch(texts, [h[:k] for h in hit_lists], mode=mode) if reader else [None] * len(batch)
    )
    latency_ms = (time.perf_counter() - start) * 1000.0 / max(1, len(batch))
    return [
        _record(q, hits, answer, mode=mode, k=k, match_doc_id=match_doc_id, latency_ms=latency_ms)
        for q, hits, answer in zip(batch, hit_lists, answers, strict=True)
    ]


def _record(
    question: GoldQuestion,
    hits: Sequence[Hit],
    answer: Answer | None,
    *,
    mode: Mode,
    k: int,
    match_doc_id: bool,
    latency_ms: float,
) -> QuestionRecord:
    """Score one question's retrieved hits and answer (``None``: the reader did not run)."""
    doc_id = question.doc_id if match_doc_id else None
    rank = metrics.first_hit_rank([(h.doc_id, h.text) for h in hits], question.answers, doc_id)
    prediction = answer.text if answer is not None else None
    return QuestionRecord(
        id=question.id,
        question=question.question,
        answers=question.answers,
        doc_id=question.doc_id,
        mode=mode,
        k=k,
        prediction=prediction,
        confidence=float(answer.confidence) if answer is not None else None,
        hit_rank=rank,
        passage_ids=tuple(h.passage_id for h in hits),
        latency_ms=latency_ms,
        em=metrics.exact_match(prediction, question.answers) if answer is not None else None,
        f1=metrics.f1_score(prediction, question.answers) if answer is not None else None,
        top_passage=hits[0].text if hits else None,
    )


def evaluate(
    qa: Retrieving,
    gold: GoldSet | Sequence[GoldQuestion],
    *,
    mode: Mode = "hybrid",
    k: int = DEFAULT_K,
    reader: bool = True,
    progress: bool = True,
    match_doc_id: bool = True,
    warmup: bool = True,
    batch_size: int = 1,
) -> EvalResult:
    """Evaluate every gold question in one retrieval mode; ``match_doc_id=False`` ignores gold doc ids.

    Questions go through in batches of ``batch_size``: ``retrieve`` (one question) or ``retrieve_batch``,
    then one ``answer_batch`` per batch; a question's latency is its share of its batch's wall time. With
    ``warmup`` the first question is first asked once untimed, so lazy model loading is not counted.
    """
    if mode not in MODES:
        raise InputError(f"unknown mode {mode!r}; choose one of {', '.join(MODES)}")
    if not isinstance(k, int) or k < 1:
        raise InputError(f"k must be a positive int, got {k!r}")
    questions = gold.questions if isinstance(gold, GoldSet) else tuple(gold)
    size = max(1, batch_size)
    run = functools.partial(
        _evaluate_batch, qa, mode=mode, k=k, reader=reader, match_doc_id=match_doc_id, batched=size > 1
    )
    if warmup and questions:
        run(questions[:1])
    batches = [questions[i : i + size] for i in range(0, len(questions), size)]
    desc, unit = (f"eval {mode} (batches of {size})", "batch") if size > 1 else (f"eval {mode}", "q")
    records = tuple(record for batch in _progress(batches, progress, desc, unit) for record in run(batch))
    return EvalResult(summarize(records, reader=reader), records, mode, k, reader)


def reader_info(reader: Reader) -> dict[str, Any]:
    """What identifies a reader in ``--json`` and runs files: its name, passages read and whole config, and
    the runtime it resolved to where it has one (the neural reader's "auto" differs by CPU)."""
    info = {"name": reader.name, "max_passages": reader.max_passages, "config": reader.config.to_dict()}
    runtime = getattr(reader, "runtime", None)
    if isinstance(runtime, str):
        info["runtime"] = runtime
    json.dumps(info)  # a config that is not JSON-ready fails here, before the run, not after it
    return info


@dataclass(frozen=True)
class Runs:
    """A runs file read back: its records, and its metadata line (``None`` in files written before it)."""

    records: tuple[QuestionRecord, ...]
    meta: Mapping[str, Any] | None = None


def write_runs(
    results: Sequence[EvalResult], path: str | Path, meta: Mapping[str, Any] | None = None
) -> None:
    """Write ``{"meta": meta}`` (index, model, reader, gold), then one line per record of every result."""
    with Path(path).open("w", encoding="utf-8") as fh:
        if meta is not None:
            fh.write(json.dumps({RUNS_META_KEY: dict(meta)}, ensure_ascii=False) + "\n")
        for result in results:
            for record in result.records:
                fh.write(json.dumps(record.to_json(), ensure_ascii=False) + "\n")


def load_runs(path: str | Path) -> Runs:
    """Read a ``--runs`` file back: records, and the metadata line when the file has one."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise RunsFormatError(f"{path}: cannot read runs file ({exc.strerror or exc})") from exc
    records: list[QuestionRecord] = []
    meta: Mapping[str, Any] | None = None
    for lineno, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            data = json.loads(line)
            if not isinstance(data, dict):
                raise TypeError(f"expected an object, got {type(data).__name__}")
            if set(data) == {RUNS_META_KEY}:
                if records or meta is not None:
                    raise ValueError("the metadata line must be the first line")
                if not isinstance(data[RUNS_META_KEY], dict):
                    raise TypeError(f"metadata must be an object, got {type(data[RUNS_META_KEY]).__name__}")
                meta = data[RUNS_META_KEY]
                continue
            records.append(QuestionRecord.from_json(data))
        except json.JSONDecodeError as exc:
            raise RunsFormatError(f"{path}:{lineno}: not valid JSON ({exc.msg})") from exc
        except KeyError as exc:
            raise RunsFormatError(f"{path}:{lineno}: missing field {exc.args[0]!r}") from exc
        except (TypeError, ValueError) as exc:
            raise RunsFormatError(f"{path}:{lineno}: malformed run record ({exc})") from exc
    if not records:
        raise RunsFormatError(f"{path}: empty runs file")
    return Runs(tuple(records), meta)
