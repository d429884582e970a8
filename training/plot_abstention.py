"""Plot the abstention trade-off a calibration chose its thresholds on (the README's figure).

    python -m training.plot_abstention CAL.json --out docs/abstention-tradeoff.svg

For each question language, the share of answerable held-out questions abstained on (x) against the share of
unanswerable ones abstained on (y) as the threshold rises, from `reader_calibrate`'s
``abstained_by_threshold``; the shipped thresholds are marked, and the issue's target (answerable abstained
at most 8%, unanswerable at least 70%) is the shaded corner.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

LANGS = {"zh": "Chinese questions", "en": "English questions"}


def curves(calibration: dict) -> dict[str, list[tuple[float, float, float]]]:
    """Per language, (threshold, answerable abstained, unanswerable abstained) by rising threshold."""
    table = calibration.get("abstained_by_threshold")
    if not table:
        raise SystemExit(
            "error: the calibration has no abstained_by_threshold; run training.reader_calibrate again"
        )
    out: dict[str, list[tuple[float, float, float]]] = {}
    for t, by_lang in sorted(table.items(), key=lambda kv: float(kv[0])):
        for lang, rates in by_lang.items():
            if "answerable" in rates and "unanswerable" in rates:
                out.setdefault(lang, []).append((float(t), rates["answerable"], rates["unanswerable"]))
    return out


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(
        prog="python -m training.plot_abstention",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("calibration", type=Path)
    p.add_argument("--out", type=Path, required=True)
    args = p.parse_args(argv)
    cal = json.loads(args.calibration.read_text())
    lines = curves(cal)
    try:
        import matplotlib
    except ImportError:
        print("error: plotting needs matplotlib: pip install matplotlib", file=sys.stderr)
        return 2
    matplotlib.use("Agg")
    matplotlib.rcParams["svg.hashsalt"] = "qa"  # the same file for the same data
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(6, 4.2))
    ax.axvspan(0, 8, ymin=0.7, ymax=1.0, color="#2ca02c", alpha=0.12, label="target: ≤ 8% and ≥ 70%")
    shipped = {"zh": cal.get("abstain_threshold"), "en": cal.get("abstain_threshold_en")}
    for (lang, rows), colour in zip(
        sorted(lines.items(), reverse=True), ("#1f77b4", "#d62728"), strict=False
    ):
        ax.plot(
            [100 * r[1] for r in rows], [100 * r[2] for r in rows], color=colour, label=LANGS.get(lang, lang)
        )
        chosen = [r for r in rows if shipped.get(lang) is not None and abs(r[0] - shipped[lang]) < 1e-9]
        if chosen:
            _, x, y = chosen[0]
            ax.plot([100 * x], [100 * y], "o", color=colour)
            ax.annotate(f"shipped {shipped[lang]:.2f}", (100 * x, 100 * y), textcoords="offset points",
                        xytext=(6, -12), fontsize=8, color=colour)  # fmt: skip
    ax.set_xlim(0, 60)
    ax.set_ylim(0, 100)
    ax.set_xlabel("answerable questions abstained on (%)")
    ax.set_ylabel("unanswerable questions abstained on (%)")
    ax.set_title("Neural reader: abstention as the threshold rises (held-out)", fontsize=10)
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8, loc="lower right")
    fig.tight_layout()
    fig.savefig(args.out, metadata={"Date": None})
    print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
