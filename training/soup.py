"""Average the weights of finished training runs of one model line (a "model soup", Wortsman et al. 2022).

Fine-tuned models that share an initialisation lie in one basin of the loss; their weight average often
reads better than each alone, at no cost when answering. The result is a run folder that
`training.reader_export` packs like any other.

    python -m training.soup RUN_A RUN_B [RUN_C ...] --out RUN [--weights 0.5 0.5 ...]
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import sys
from pathlib import Path
from typing import Any

import numpy as np

# what a run's windows and answers must share with the others for their weights to be averaged
WINDOW_KEYS = ("max_len", "stride", "max_question", "max_answer_tokens")


class SoupError(Exception):
    """Runs that cannot be averaged, with the reason."""


def _sha256(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def soup(
    runs: list[Path], weights: list[float] | None = None
) -> tuple[dict[str, np.ndarray], dict[str, Any]]:
    """The weighted average of the runs' final weights and the soup's train_config (the last run's config,
    with every member's run, weight, weights hash and config under ``soup``)."""
    if len(runs) < 2:
        raise SoupError("a soup needs at least two runs")
    weights = weights or [1.0 / len(runs)] * len(runs)
    if len(weights) != len(runs) or any(w <= 0 for w in weights):
        raise SoupError(f"need one positive weight per run, got {weights} for {len(runs)} runs")
    total = sum(weights)
    weights = [w / total for w in weights]
    from safetensors.numpy import load_file

    configs, states = [], []
    for run in runs:
        final, config = run / "final.safetensors", run / "train_config.json"
        if not final.is_file() or not config.is_file():
            raise SoupError(f"{run} is not a finished run (needs final.safetensors and train_config.json)")
        configs.append(json.loads(config.read_text()))
        states.append(load_file(str(final)))
    first = configs[0]["config"]
    for run, cfg, state in zip(runs[1:], configs[1:], states[1:], strict=True):
        differ = [k for k in WINDOW_KEYS if cfg["config"].get(k) != first.get(k)]
        if differ:
            raise SoupError(f"{run} was trained at other windows ({', '.join(differ)}) than {runs[0]}")
        if state.keys() != states[0].keys() or any(state[k].shape != states[0][k].shape for k in state):
            raise SoupError(f"{run} holds other tensors than {runs[0]}: not the same model")
    averaged = {
        k: sum(w * s[k].astype(np.float64) for w, s in zip(weights, states, strict=True)).astype(
            states[0][k].dtype
        )
        for k in sorted(states[0])
    }
    train = dict(configs[-1])
    train["soup"] = [
        {
            "run": str(run),
            "weight": round(w, 6),
            "sha256": _sha256(run / "final.safetensors"),
            "train_config": c,
        }
        for run, w, c in zip(runs, weights, configs, strict=True)
    ]
    return averaged, train


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(
        prog="python -m training.soup",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("runs", type=Path, nargs="+")
    p.add_argument("--out", type=Path, required=True)
    p.add_argument("--weights", type=float, nargs="*", default=None, help="one per run (default: equal)")
    args = p.parse_args(argv)
    try:
        state, train = soup(args.runs, args.weights)
    except SoupError as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    from safetensors.numpy import save_file

    args.out.mkdir(parents=True, exist_ok=True)
    tmp = args.out / "final.safetensors.tmp"
    save_file(state, str(tmp))
    os.replace(tmp, args.out / "final.safetensors")
    (args.out / "train_config.json").write_text(json.dumps(train, indent=2, ensure_ascii=False))
    (args.out / "metrics.jsonl").write_text("")
    print(f"wrote {args.out} (soup of {len(args.runs)} runs)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
