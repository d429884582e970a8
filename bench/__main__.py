"""One entry point for the benchmarks behind the figures in docs/benchmarks.md.

    python -m bench                  # list them, with the command that reproduces each stated figure
    python -m bench NAME             # run NAME with those arguments
    python -m bench NAME ARGS ...    # run NAME with your own arguments instead (NAME --help lists them)

Each benchmark is a script in this folder (run as `python bench/NAME.py`, so `common.py`, the shared
harness, is importable); results go to `bench/results/`. A script that is not in BENCHMARKS is not a
benchmark the docs rely on.
"""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent

# name -> the arguments that reproduce the figure docs/benchmarks.md states for it
BENCHMARKS: dict[str, str] = {
    "query_latency": "--repeats 3 --threads 1 --cmrc --cmrc-questions 300 "
                     "--json bench/results/query_latency_int8.json",
    "index_speed": "--corpus bundled200 --limit-docs 400 --json bench/results/index_speed_200.json",
    "ask_at_scale": "--passages 100000 --questions 300 --repeats 3 --threads 1 "
                    "--json bench/results/ask_at_scale.json",
    "scale": "--sizes 1000000 --kinds ivf-fp16 --bm25-sizes --queries 200 --repeats 3 --threads 2 "
             "--data e5mix --json bench/results/scale_1m_e5mix_fp16.json",
    "reader_ask_latency": "--readers rules,neural --threads 2,1 --repeats 3 "
                          "--runtimes openvino-bf16,onnx-int8 --json bench/results/reader_ask_latency.json",
    "cold_start": "--runs 5 --json bench/results/cold_start.json",
    "followup_latency": "--reader neural --repeats 5 --json bench/results/followup_latency_neural.json",
    "milvus_backend": "--sizes 20000 100000 --queries 100 --json bench/results/milvus_backend.json",
    "kill_index": "--trials 60 --seed 0",
    "load_app": "--clients 50 --questions 4",
}


def summary(name: str) -> str:
    """The first line of the script's docstring, or why there is none."""
    path = HERE / f"{name}.py"
    if not path.is_file():
        return "(not in this checkout)"
    doc = ast.get_docstring(ast.parse(path.read_text(encoding="utf-8"))) or ""
    return doc.splitlines()[0] if doc else ""


def command(name: str, args: list[str]) -> list[str]:
    return [sys.executable, str(HERE / f"{name}.py"), *args]


def main(argv: list[str]) -> int:
    if not argv or argv[0] in ("-h", "--help", "list"):
        print(__doc__.strip().splitlines()[0] + "\n")
        for name, args in BENCHMARKS.items():
            print(f"{name}: {summary(name)}\n    python -m bench {name}  # = bench/{name}.py {args}")
        return 0
    name, rest = argv[0], argv[1:]
    if name not in BENCHMARKS:
        print(f"error: unknown benchmark {name!r}; known: {', '.join(BENCHMARKS)}", file=sys.stderr)
        return 2
    if not (HERE / f"{name}.py").is_file():
        print(f"error: bench/{name}.py is not in this checkout", file=sys.stderr)
        return 2
    return subprocess.call(command(name, rest or BENCHMARKS[name].split()), cwd=HERE.parent)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
