"""Write the held-out split of training sources as a SQuAD-format file, to compare readers on it.

    python -m training.heldout --sources cmrc,csquad-en,drcd --out heldout.json [--share 0.05] [--seed 0]
    python -m training.reader_eval heldout.json --weights RUN/weights --runtime onnx-int8

The split is the one `training.reader_train` makes (per source, by context, seeded): no run with the same
share and seed trained on these contexts, so models and data mixes can be compared here instead of on the
sets we report. Only answerable questions are written (`reader_eval` scores spans given the paragraph); each
source is one article titled with its name.
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
from pathlib import Path

from training.data import SHARED_DATA, SOURCES, load_source, source_list, split_heldout


def heldout_squad(sources: list[str], share: float, seed: int, root: Path = SHARED_DATA) -> dict:
    """The answerable held-out examples of each source as one SQuAD-format dataset."""
    articles = []
    for name in sources:
        _, held = split_heldout(load_source(name, root), share, seed)
        paragraphs: dict[str, dict] = {}
        for e in held:
            if e.start < 0:
                continue
            para = paragraphs.setdefault(e.context_id, {"context": e.context, "qas": []})
            para["qas"].append(
                {
                    "id": e.qid,
                    "question": e.question,
                    "answers": [{"text": e.answer, "answer_start": e.start}],
                }
            )
        articles.append({"title": name, "paragraphs": list(paragraphs.values())})
    return {"version": "heldout", "data": articles}


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m training.heldout", description=__doc__.split("\n")[0])
    p.add_argument(
        "--sources",
        type=source_list,
        default="cmrc,csquad-en,drcd",
        help=f"comma-separated: {', '.join(SOURCES)}",
    )
    p.add_argument("--share", type=float, default=0.05, help="held-out share of each source's contexts")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--out", type=Path, required=True)
    args = p.parse_args(argv)
    sources = list(args.sources)
    logging.basicConfig(level=logging.INFO, format="%(message)s", stream=sys.stderr)
    data = heldout_squad(sources, args.share, args.seed)
    args.out.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    n = sum(len(q["qas"]) for a in data["data"] for q in a["paragraphs"])
    print(f"{n} answerable held-out questions from {', '.join(sources)} -> {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
