"""Peak memory (RSS) of a process that answers with each reader, side by side, on the bundled corpus.

    .venv/bin/python bench/reader_memory.py [--readers rules,neural:runtime=onnx-int8,...] [--json OUT]

Builds the bundled corpus's index once (default int8 encoder), then per reader starts a fresh interpreter
that opens the index, selects the reader (`R:KEY=VALUE` sets a reader option, as `--reader-option` does),
asks the first 10 questions of eval/gold/corpus.jsonl and reports its peak resident set size
(`resource.getrusage(RUSAGE_SELF).ru_maxrss`). Model builds are cached before the timed processes run.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
from pathlib import Path

from common import run_header, write_report

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

CHILD = """
import json, resource, sys
from qa.api import QA
from qa.readers.factory import parse_reader_options
index, name, options, questions = sys.argv[1], sys.argv[2], json.loads(sys.argv[3]), json.loads(sys.argv[4])
qa = QA.open(index)
qa.use_reader(name, **parse_reader_options(options))
answered = sum(qa.ask(q).text is not None for q in questions)
runtime = getattr(qa.reader, "runtime", None)
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
print(json.dumps({"answered": answered, "runtime": runtime, "peak_rss_mib": round(peak, 1)}))
"""
DEFAULT_READERS = "rules,neural:runtime=onnx-int8,neural:runtime=openvino-bf16,neural:runtime=torch-bf16"


def main() -> None:
    from qa.api import QA

    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--readers", default=DEFAULT_READERS)
    p.add_argument("--json", type=Path, default=None)
    args = p.parse_args()
    gold = ROOT / "eval" / "gold" / "corpus.jsonl"
    questions = [json.loads(x)["question"] for x in gold.read_text(encoding="utf-8").splitlines() if x][:10]
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        index = Path(tmp) / "idx"
        QA.build(None, index, progress=False)
        for spec in args.readers.split(","):
            name, _, option = spec.partition(":")
            options = [option] if option else []
            cmd = [sys.executable, "-c", CHILD, str(index), name, json.dumps(options), json.dumps(questions)]
            subprocess.run(cmd, cwd=ROOT, check=True, capture_output=True)  # builds and caches the model
            out = subprocess.run(cmd, cwd=ROOT, check=True, capture_output=True, text=True).stdout
            rows.append({"reader": spec, **json.loads(out.strip().splitlines()[-1])})
            print(json.dumps(rows[-1]), flush=True)
    write_report(args.json, {**run_header(questions=len(questions)), "readers": rows})


if __name__ == "__main__":
    main()
