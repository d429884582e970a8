"""What a history costs `ask`: p50 of ask(question, history=...) against ask(question) on the dialog
follow-ups (baseline in the same run, interleaved), the resolver alone, and a check that a question without
history gets exactly the answer of the pre-follow-up ask path (retrieve_batch + answer_batch).

    python bench/followup_latency.py --index /tmp/fu-index --reader rules --repeats 5 --json out.json
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))


def _ms(fn) -> float:  # noqa: ANN001
    start = time.perf_counter()
    fn()
    return (time.perf_counter() - start) * 1000


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--index", type=Path, default=None, help="index (default: the default index)")
    p.add_argument("--reader", default="rules", help="reader name (default: rules)")
    p.add_argument("--dialogs", type=Path, default=REPO / "eval" / "gold" / "dialogs.jsonl")
    p.add_argument("--gold", type=Path, default=REPO / "eval" / "gold" / "corpus.jsonl",
                   help="questions for the no-history equivalence check")
    p.add_argument("--repeats", type=int, default=5)
    p.add_argument("--json", type=Path, default=None)
    args = p.parse_args(argv)

    from eval.dialogs import load_dialogs
    from qa.api import QA
    from qa.conversation.resolver import default_resolver

    qa = QA.open(args.index)
    qa.use_reader(args.reader)
    cases = []
    for dialog in load_dialogs(args.dialogs):
        history: list[dict] = []
        for i, turn in enumerate(dialog.turns):
            if i:
                cases.append((turn.question, list(history)))
            answer = qa.ask(turn.question, history=history or None)  # also warms every model up
            history.append({"question": turn.question, "answer": answer.text,
                            "understood_as": answer.understood_as})
    plain: list[float] = []
    with_history: list[float] = []
    resolve: list[float] = []
    for _ in range(args.repeats):
        for question, history in cases:  # interleaved: the same machine state for both
            plain.append(_ms(lambda q=question: qa.ask(q)))
            with_history.append(_ms(lambda q=question, h=history: qa.ask(q, history=h)))
            resolve.append(_ms(lambda q=question, h=history: default_resolver().resolve(q, h)))

    questions = [json.loads(line)["question"] for line in args.gold.read_text(encoding="utf-8").splitlines()
                 if line.strip()]
    now = [a.to_json() for a in (qa.ask(q) for q in questions)]
    hits = qa.retrieve_batch(questions, k=qa.reader.max_passages)
    before = [a.to_json() for a in qa.answer_batch(questions, hits)]  # the ask path before follow-ups
    same = sum(a == b for a, b in zip(now, before, strict=True))

    result = {
        "reader": args.reader,
        "follow_ups": len(cases),
        "repeats": args.repeats,
        "ask_p50_ms": statistics.median(plain),
        "ask_with_history_p50_ms": statistics.median(with_history),
        "extra_p50_ms": statistics.median(with_history) - statistics.median(plain),
        "median_paired_extra_ms": statistics.median(w - a for w, a in zip(with_history, plain, strict=True)),
        "resolve_p50_ms": statistics.median(resolve),
        "no_history_same_answer": f"{same}/{len(questions)}",
    }
    print(json.dumps(result, ensure_ascii=False, indent=2))
    if args.json is not None:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(result, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    return 0 if same == len(questions) else 1


if __name__ == "__main__":
    sys.exit(main())
