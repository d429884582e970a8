"""Helpers shared by the benchmark scripts: run header, --json writer, encoder choice, a free port."""

from __future__ import annotations

import json
import os
import platform
import socket
import time
from pathlib import Path
from typing import Any


def run_header(**fields: Any) -> dict[str, Any]:
    """When and where a benchmark ran (UTC date, CPU count), plus the run's own settings."""
    return {
        "date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
        "machine": f"{platform.machine()} {os.cpu_count()} cores (shared, noisy)",
        **fields,
    }


def write_report(path: Path | None, report: dict[str, Any]) -> None:
    """Write the raw figures as JSON (UTF-8, readable Chinese) when --json was given."""
    if path is None:
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(report, indent=1, ensure_ascii=False), encoding="utf-8")


def make_encoder(model: str, threads: int = 0, workers: int = 0) -> Any:
    """The encoder for `model`; with --threads / --workers the int8 one gets those ONNX Runtime settings
    (threads per inference, parallel inferences), else every encoder keeps its defaults."""
    from embeddings.base import INT8_MODEL
    from embeddings.factory import load_encoder

    if model == INT8_MODEL and (threads or workers):
        from embeddings.onnx_encoder import OnnxInt8Encoder

        return OnnxInt8Encoder(threads=threads or 1, workers=workers or None)
    return load_encoder(model)


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])
