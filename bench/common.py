"""Helpers shared by the benchmark scripts: the run header and the --json writer."""

from __future__ import annotations

import json
import os
import platform
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
