"""Write ``report.md`` with metric table, recall@k curve, latency histogram, abstention curve, failures."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from eval import metrics
from eval.runner import EvalResult, QuestionRecord
from qa.errors import MissingDependencyError

TABLE_KEYS: tuple[str, ...] = (
    "exact_match",
    "f1",
    "has_answer_exact_match",
    "has_answer_f1",
    "no_answer_accuracy",
    "answerable_abstain_rate",
    "recall@1",
    "recall@5",
    "recall@10",
    "recall@20",
    "mrr@10",
    "latency_ms_p50",
    "latency_ms_p95",
    "n",
    "n_answerable",
    "n_unanswerable",
)
_COUNT_KEYS = frozenset({"n", "n_answerable", "n_unanswerable"})


@dataclass(frozen=True)
class ReportConfig:
    """Knobs of the report: how many failures to list and how much passage text to show."""

    n_failures: int = 10
    passage_chars: int = 300
    max_k: int = 20
    latency_bins: int = 30


def _cell(value: Any, key: str) -> str:
    if value is None:
        return "–"
    if key in _COUNT_KEYS:
        return str(value)
    return f"{value:.1f}" if key.startswith("latency") else f"{value:.3f}"


def _md(text: str) -> str:
    """One-line markdown-safe text (pipes and newlines would break tables and lists)."""
    return " ".join(str(text).split()).replace("|", "\\|")


def failure_key(record: QuestionRecord) -> tuple[float, float, str]:
    """Sort key for "worst first": lowest F1, then the most confident, then id."""
    f1 = record.f1 if record.f1 is not None else (1.0 if record.hit_rank is not None else 0.0)
    return (f1, -(record.confidence or 0.0), record.id)


def worst_failures(records: Sequence[QuestionRecord], n: int = 10) -> list[QuestionRecord]:
    """The ``n`` worst questions: low-F1 answers, wrong abstentions, answers to unanswerables.

    Without a reader (``f1 is None``), answerable questions with no retrieved hit.
    """
    if any(r.f1 is not None for r in records):
        bad = [r for r in records if r.f1 is not None and r.f1 < 1.0]
    else:
        bad = [r for r in records if r.answerable and r.hit_rank is None]
    return sorted(bad, key=failure_key)[:n]


def _plots(results: Sequence[EvalResult], out_dir: Path, config: ReportConfig) -> dict[str, str | None]:
    """Draw the PNGs (Agg backend); returns file name per plot, None where a plot is undefined."""
    try:
        import matplotlib
    except ImportError as exc:
        raise MissingDependencyError("--report needs matplotlib: pip install matplotlib") from exc
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    files: dict[str, str | None] = {}
    ks = list(range(1, config.max_k + 1))

    fig, ax = plt.subplots(figsize=(6, 4))
    drawn = False
    for res in results:
        curve = metrics.recall_curve([r.hit_rank for r in res.records if r.answerable], config.max_k)
        if curve:
            ax.plot(ks, curve, marker="o", markersize=3, label=res.mode)
            drawn = True
    ax.set(xlabel="k", ylabel="recall@k (answerable questions)", ylim=(0, 1.02), title="Recall@k")
    ax.set_xticks([1, 5, 10, 15, 20] if config.max_k == 20 else ks)
    ax.grid(alpha=0.3)
    if drawn:
        ax.legend()
    fig.tight_layout()
    fig.savefig(out_dir / "recall_at_k.png", dpi=110)
    plt.close(fig)
    files["recall"] = "recall_at_k.png" if drawn else None

    fig, ax = plt.subplots(figsize=(6, 4))
    for res in results:
        ax.hist([r.latency_ms for r in res.records], bins=config.latency_bins, alpha=0.5, label=res.mode)
    ax.set(xlabel="latency per question (ms)", ylabel="questions", title="Latency")
    ax.legend()
    fig.tight_layout()
    fig.savefig(out_dir / "latency.png", dpi=110)
    plt.close(fig)
    files["latency"] = "latency.png"

    fig, ax = plt.subplots(figsize=(6, 5))
    drawn = False
    for res in results:
        if not res.reader:
            continue
        recs = res.records
        curve = metrics.abstention_curve(
            [r.confidence for r in recs], [r.abstained for r in recs], [r.answerable for r in recs]
        )
        if not curve:
            continue
        xs, ys = [p[1] for p in curve], [p[2] for p in curve]
        (line,) = ax.plot(xs, ys, marker=".", markersize=4, label=res.mode)
        ax.plot([xs[0]], [ys[0]], marker="*", markersize=14, color=line.get_color(), linestyle="none")
        drawn = True
    if drawn:
        ax.plot([0, 1], [0, 1], color="grey", linestyle=":", linewidth=1)
        ax.set(
            xlabel="answerable questions abstained (wrong)",
            ylabel="unanswerable questions abstained (right)",
            xlim=(-0.02, 1.02),
            ylim=(-0.02, 1.02),
            title="Abstention trade-off (★ = current operating point)",
        )
        ax.grid(alpha=0.3)
        ax.legend()
        fig.tight_layout()
        fig.savefig(out_dir / "abstention.png", dpi=110)
    plt.close(fig)
    files["abstention"] = "abstention.png" if drawn else None
    return files


def render_markdown(
    results: Sequence[EvalResult],
    plots: dict[str, str | None],
    *,
    title: str = "Evaluation report",
    header: Sequence[str] = (),
    config: ReportConfig | None = None,
) -> str:
    """The markdown text of the report (pure; the plots must already exist)."""
    config = config or ReportConfig()
    lines = [f"# {title}", ""]
    lines += [f"- {_md(h)}" for h in header]
    if header:
        lines.append("")
    lines += [
        "EM/F1 follow the CMRC 2018 official script; unanswerable questions score 1 only when the system "
        "abstains. Recall@k/MRR@10 count answerable questions only: a hit is a retrieved passage containing "
        "a gold answer (NFKC, lower-cased, whitespace and punctuation removed) from the gold document when "
        "one is named. Latency is one retrieve + read per question.",
        "",
        "## Metrics",
        "",
        "| metric | " + " | ".join(r.mode for r in results) + " |",
        "|---|" + "---:|" * len(results),
    ]
    for key in TABLE_KEYS:
        lines.append(f"| {key} | " + " | ".join(_cell(r.metrics.get(key), key) for r in results) + " |")
    lines.append("")
    lines += ["## Recall@k", ""]
    lines.append(f"![recall@k]({plots['recall']})" if plots.get("recall") else "No answerable questions.")
    lines += ["", "## Latency", "", f"![latency histogram]({plots['latency']})", ""]
    lines += ["## Abstention trade-off", ""]
    if plots.get("abstention"):
        lines += [
            "Sweeping a confidence threshold (abstain when confidence <= t): x = answerable questions "
            "abstained, y = unanswerable questions abstained. The star is the current behaviour.",
            "",
            f"![abstention trade-off]({plots['abstention']})",
        ]
    else:
        lines.append("Not drawn: needs the reader and both answerable and unanswerable questions.")
    lines.append("")
    for res in results:
        failures = worst_failures(res.records, config.n_failures)
        lines += [f"## Worst failures ({res.mode})", ""]
        if not failures:
            lines += ["None.", ""]
            continue
        for i, r in enumerate(failures, start=1):
            gold = " / ".join(_md(a) for a in r.answers) if r.answers else "(unanswerable)"
            if r.f1 is None:
                pred = "(reader not run)"
            else:
                pred = "(abstained)" if r.prediction is None else f"`{_md(r.prediction)}`"
            conf = "–" if r.confidence is None else f"{r.confidence:.2f}"
            f1 = "–" if r.f1 is None else f"{r.f1:.2f}"
            rank = r.hit_rank or "–"
            top = _md(r.top_passage or "(nothing retrieved)")
            if len(top) > config.passage_chars:
                top = top[: config.passage_chars] + "…"
            lines += [
                f"{i}. **{_md(r.id)}** {_md(r.question)}",
                f"   - gold: {gold}; predicted: {pred}; confidence {conf}; F1 {f1}; hit rank {rank}",
                f"   - top passage ({r.passage_ids[0] if r.passage_ids else '–'}): {top}",
            ]
        lines.append("")
    return "\n".join(lines)


def write_report(
    results: Sequence[EvalResult],
    out_dir: str | Path,
    *,
    title: str = "Evaluation report",
    header: Sequence[str] = (),
    config: ReportConfig | None = None,
) -> Path:
    """Write ``report.md`` and its PNGs into ``out_dir`` (created); returns the markdown path."""
    config = config or ReportConfig()
    if not results:
        raise ValueError("write_report needs at least one EvalResult")
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    plots = _plots(results, out, config)
    path = out / "report.md"
    path.write_text(
        render_markdown(results, plots, title=title, header=header, config=config), encoding="utf-8"
    )
    return path
