"""Compare two runs files: questions whose correctness changed, and metric deltas."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from eval.runner import QuestionRecord, RunsFormatError, load_runs, summarize
from qa.types import MODES

DELTA_KEYS: tuple[str, ...] = (
    "exact_match",
    "f1",
    "has_answer_f1",
    "no_answer_accuracy",
    "recall@1",
    "recall@5",
    "recall@10",
    "recall@20",
    "mrr@10",
    "latency_ms_p50",
    "latency_ms_p95",
)
F1_TOLERANCE = 1e-9  # F1 differences below this are float noise, not a change
MAX_CONFIG_DIFFS = 8  # reader config fields listed when two runs used different configs


@dataclass(frozen=True)
class Change:
    """One question scored differently by run A and run B."""

    a: QuestionRecord
    b: QuestionRecord

    @property
    def improved(self) -> bool:
        return _score(self.b) > _score(self.a)


@dataclass(frozen=True)
class Comparison:
    """Changed questions (in A's order), metric deltas over the shared questions, and unshared ids."""

    label_a: str
    label_b: str
    changed: tuple[Change, ...]
    metrics_a: dict[str, float | None]
    metrics_b: dict[str, float | None]
    n_shared: int
    only_a: tuple[str, ...]
    only_b: tuple[str, ...]
    meta_a: Mapping[str, Any] | None = None  # each runs file's metadata line (None: written before it)
    meta_b: Mapping[str, Any] | None = None

    def delta(self, key: str) -> float | None:
        a, b = self.metrics_a.get(key), self.metrics_b.get(key)
        return None if a is None or b is None else b - a


def _score(r: QuestionRecord) -> tuple[float, float]:
    """Correctness of a record: (EM, F1) with a reader, else whether a hit was within the reader's k."""
    if r.em is not None and r.f1 is not None:
        return (r.em, r.f1)
    hit = 1.0 if r.hit_rank is not None and r.hit_rank <= r.k else 0.0
    return (hit, hit)


def _changed(a: QuestionRecord, b: QuestionRecord) -> bool:
    (em_a, f1_a), (em_b, f1_b) = _score(a), _score(b)
    return em_a != em_b or abs(f1_a - f1_b) > F1_TOLERANCE


def split_spec(spec: str) -> tuple[Path, str | None]:
    """``FILE`` or ``FILE:MODE`` (MODE one of dense/bm25/hybrid) -> (path, mode or None)."""
    head, sep, tail = spec.rpartition(":")
    if sep and tail in MODES and head:
        return Path(head), tail
    return Path(spec), None


def select_mode(records: Sequence[QuestionRecord], mode: str | None, label: str) -> list[QuestionRecord]:
    """Records of one mode: the given one, or the file's only mode (error if it holds several)."""
    modes = sorted({r.mode for r in records})
    if mode is None:
        if len(modes) > 1:
            raise RunsFormatError(
                f"{label}: holds several modes ({', '.join(modes)}); pick one as {label}:MODE"
            )
        return list(records)
    picked = [r for r in records if r.mode == mode]
    if not picked:
        raise RunsFormatError(f"{label}: no records for mode {mode!r} (has {', '.join(modes)})")
    return picked


def compare_records(
    a: Sequence[QuestionRecord],
    b: Sequence[QuestionRecord],
    *,
    label_a: str = "A",
    label_b: str = "B",
    meta_a: Mapping[str, Any] | None = None,
    meta_b: Mapping[str, Any] | None = None,
) -> Comparison:
    """Match records by question id; metrics are recomputed over the shared ids only."""
    by_b = {r.id: r for r in b}
    ids_a = {r.id for r in a}
    shared_a = [r for r in a if r.id in by_b]
    shared_b = [by_b[r.id] for r in shared_a]
    changed = tuple(Change(x, y) for x, y in zip(shared_a, shared_b, strict=True) if _changed(x, y))
    return Comparison(
        label_a=label_a,
        label_b=label_b,
        changed=changed,
        metrics_a=summarize(shared_a),
        metrics_b=summarize(shared_b),
        n_shared=len(shared_a),
        only_a=tuple(r.id for r in a if r.id not in by_b),
        only_b=tuple(r.id for r in b if r.id not in ids_a),
        meta_a=meta_a,
        meta_b=meta_b,
    )


def compare_files(spec_a: str, spec_b: str) -> Comparison:
    """Load and compare two runs files, each ``FILE`` or ``FILE:MODE``."""
    path_a, mode_a = split_spec(spec_a)
    path_b, mode_b = split_spec(spec_b)
    runs_a, runs_b = load_runs(path_a), load_runs(path_b)
    a = select_mode(runs_a.records, mode_a, spec_a)
    b = select_mode(runs_b.records, mode_b, spec_b)
    return compare_records(a, b, label_a=spec_a, label_b=spec_b, meta_a=runs_a.meta, meta_b=runs_b.meta)


def _reader(meta: Mapping[str, Any] | None) -> Mapping[str, Any] | None:
    return meta.get("reader") if meta is not None else None


def _reader_text(meta: Mapping[str, Any] | None) -> str:
    if meta is None:
        return "not recorded (older runs file)"
    reader = _reader(meta)
    if not isinstance(reader, Mapping):
        return "none (retrieval only)"
    return f"{reader.get('name')} (max_passages {reader.get('max_passages')})"


def reader_lines(comp: Comparison) -> list[str]:
    """Which reader (and model) each run used; the config fields that differ when both were recorded."""
    text_a, text_b = _reader_text(comp.meta_a), _reader_text(comp.meta_b)
    reader_a, reader_b = _reader(comp.meta_a), _reader(comp.meta_b)
    if comp.meta_a is not None and text_a == text_b and reader_a == reader_b:
        lines = [f"reader: {text_a}, the same in A and B"]
    else:
        lines = [f"reader: A = {text_a}; B = {text_b}"]
    if isinstance(reader_a, Mapping) and isinstance(reader_b, Mapping):
        lines.extend(_config_diff(reader_a.get("config") or {}, reader_b.get("config") or {}))
    model_a, model_b = (m.get("model") if m is not None else None for m in (comp.meta_a, comp.meta_b))
    if model_a is not None and model_b is not None and model_a != model_b:
        lines.append(f"model: A = {model_a}; B = {model_b}")
    return lines


def _config_diff(a: Mapping[str, Any], b: Mapping[str, Any]) -> list[str]:
    keys = [k for k in dict.fromkeys([*a, *b]) if a.get(k) != b.get(k)]
    if not keys:
        return []
    shown = ", ".join(f"{k}: {a.get(k)!r} -> {b.get(k)!r}" for k in keys[:MAX_CONFIG_DIFFS])
    more = f" (+{len(keys) - MAX_CONFIG_DIFFS} more)" if len(keys) > MAX_CONFIG_DIFFS else ""
    return [f"reader config differs in {len(keys)} fields: {shown}{more}"]


def _fmt(value: float | None, key: str) -> str:
    if value is None:
        return "-"
    return f"{value:.1f}" if key.startswith("latency") else f"{value:.4f}"


def _fmt_delta(value: float | None, key: str) -> str:
    if value is None:
        return "-"
    return f"{value:+.1f}" if key.startswith("latency") else f"{value:+.4f}"


def _answer(r: QuestionRecord) -> str:
    if r.em is None:
        return f"(no reader; hit rank {r.hit_rank})"
    return "(abstained)" if r.prediction is None else repr(r.prediction)


def format_comparison(comp: Comparison) -> str:
    """Human-readable text: changed questions then a metric delta table."""
    lines = [f"A = {comp.label_a}", f"B = {comp.label_b}", *reader_lines(comp)]
    lines.append(f"shared questions: {comp.n_shared}")
    if comp.only_a or comp.only_b:
        lines.append(f"only in A: {len(comp.only_a)}, only in B: {len(comp.only_b)} (ignored)")
    n_up = sum(1 for c in comp.changed if c.improved)
    lines.append(f"\nchanged: {len(comp.changed)} ({n_up} better in B, {len(comp.changed) - n_up} worse)")
    for c in comp.changed:
        sa, sb = _score(c.a), _score(c.b)
        lines.append(f"\n[{'+' if c.improved else '-'}] {c.a.id}: {c.a.question}")
        gold = " | ".join(c.a.answers) if c.a.answers else "(unanswerable)"
        lines.append(f"    gold: {gold}")
        lines.append(f"    A: {_answer(c.a)}  em={sa[0]:.0f} f1={sa[1]:.2f}")
        lines.append(f"    B: {_answer(c.b)}  em={sb[0]:.0f} f1={sb[1]:.2f}")
    lines.append("")
    width = max(len(k) for k in DELTA_KEYS)
    lines.append(f"{'metric':<{width}}  {'A':>9}  {'B':>9}  {'B-A':>9}")
    for key in DELTA_KEYS:
        a, b = comp.metrics_a.get(key), comp.metrics_b.get(key)
        if a is None and b is None:
            continue
        lines.append(
            f"{key:<{width}}  {_fmt(a, key):>9}  {_fmt(b, key):>9}  {_fmt_delta(comp.delta(key), key):>9}"
        )
    return "\n".join(lines) + "\n"
