"""SIGKILL `qa index` at random moments; the index must always be the previous or the new complete one.

    .venv/bin/python bench/kill_index.py --trials 60 [--seed 0] [--docs 40] [--markdown out.md]

Each trial switches a generated corpus folder between two states (A, B: documents changed, deleted and
added), starts `python -m qa index FOLDER --index IDX --model fake`, kills it with SIGKILL at a random
moment, then checks that IDX loads, holds exactly the passages of a fresh build of A or of B (the previous
or the new state, never a mix; by the manifest's corpus_hash and the passage list), answers a question,
and that at most one killed run's temporary directories are left beside it. A final uninterrupted run
must leave none. Kill moments: "uniform" (a random delay over the whole run), "write" (a random delay
after the run's temporary directory appears, i.e. while files are written and swapped in) and "swap" (inside
the swap itself, which the child holds open for 0.3 s: after renameat2's exchange but before the old index
is deleted, or between the two renames of the fallback). Half of the trials force the rename-aside swap
(no renameat2) to exercise `qa.store.recover()`.

The harness lives in tests/hardening/kill_harness.py (tests/hardening/test_kill_index.py runs a few of these
trials); this script runs many and writes the summary.
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import tempfile
from collections.abc import Sequence
from dataclasses import asdict
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
if str(REPO) not in sys.path:  # run as a script from anywhere
    sys.path.insert(0, str(REPO))

from tests.hardening.kill_harness import (  # noqa: E402  (after the sys.path line)
    KILL_MODES,
    Trial,
    build_references,
    run_trial,
    timed_full_run,
)


def summarize(trials: Sequence[Trial], run_s: float, command: str) -> str:
    """The markdown snippet for docs/benchmarks.md."""
    lines = [
        "### SIGKILL during `qa index` (bench/kill_index.py)",
        "",
        f"Command: `{command}`",
        "",
        f"{len(trials)} trials, corpus of ~{run_s:.1f} s per uninterrupted `qa index --model fake` run. "
        "After every kill the index loaded, held exactly a fresh build of the previous or the new corpus "
        "state (corpus_hash and passage list) and answered the check question; the final run left no "
        "temporary directory.",
        "",
        "| swap | kill moment | trials | previous kept | new in place | finished before kill | "
        "index dir renamed aside at kill (recovered) | max leftovers after a kill |",
        "| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for swap in ("exchange", "rename-aside"):
        for kill in ("uniform", "write", "swap"):
            group = [t for t in trials if t.swap == swap and t.kill == kill]
            if not group:
                continue
            count = {o: sum(t.outcome == o for t in group) for o in ("previous", "new", "finished")}
            lines.append(
                f"| {swap} | {kill} | {len(group)} | {count['previous']} | {count['new']} "
                f"| {count['finished']} | {sum(t.target_missing for t in group)} "
                f"| {max(t.leftovers for t in group)} |"
            )
    return "\n".join(lines) + "\n"


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--trials", type=int, default=60)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--docs", type=int, default=40, help="generated documents (20 paragraphs each)")
    parser.add_argument("--workdir", type=Path, default=None, help="default: a temporary directory")
    parser.add_argument("--markdown", type=Path, default=None, help="also write the summary here")
    parser.add_argument("--json", type=Path, default=None, help="write every trial as JSON lines")
    args = parser.parse_args(argv)
    if args.trials < 1:
        parser.error("--trials must be >= 1")
    with tempfile.TemporaryDirectory(prefix="kill-index-") as tmp:
        work = args.workdir or Path(tmp)
        work.mkdir(parents=True, exist_ok=True)
        folder, index_dir = work / "corpus", work / "idx"
        refs = build_references(folder, work, args.docs)
        run_s = timed_full_run(folder, index_dir, refs, args.docs)
        run_s = max(run_s, timed_full_run(folder, index_dir, refs, args.docs))
        print(f"uninterrupted run: {run_s:.2f} s", flush=True)
        rng = random.Random(args.seed)
        trials: list[Trial] = []
        for n in range(args.trials):
            trial = run_trial(n, folder, index_dir, refs, rng, kill=KILL_MODES[n % 3],
                              rename_aside=(n // 3) % 2 == 1, run_s=run_s, n_docs=args.docs)
            trials.append(trial)
            print(f"trial {n:3d}: {trial.swap:12s} {trial.kill:7s} delay {trial.delay_s:6.3f} s -> "
                  f"{trial.outcome:8s} (found {trial.found}, leftovers {trial.leftovers}"
                  f"{', dir renamed aside' if trial.target_missing else ''})", flush=True)
        timed_full_run(folder, index_dir, refs, args.docs)  # cleans every stale temp dir
    command = "python bench/kill_index.py " + " ".join(argv if argv is not None else sys.argv[1:])
    text = summarize(trials, run_s, command.strip())
    print(text)
    if args.markdown:
        args.markdown.write_text(text, encoding="utf-8")
    if args.json:
        args.json.write_text("".join(json.dumps(asdict(t)) + "\n" for t in trials), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
