"""Hard negatives for the span model: passages of other contexts that retrieval ranks high for a question.

Windows of a question's own context teach the no-answer score that *this paragraph's other part* does not
answer. In the product the reader also reads the next-best passages of a whole corpus, on the question's
topic but without its answer (the open-domain case, and the corpus that holds no answer at all). Mined here:
for a seeded share of the training questions, the best hybrid-retrieved passage of another training context
that does not hold the answer, labelled no-answer (as multi-passage readers are trained, e.g. DPR's reader).
The pool holds training contexts only, so held-out contexts stay unseen. Mined once per run and saved in the
run folder (`hard_negatives.jsonl`), so a resumed run trains on exactly the same windows.
"""

from __future__ import annotations

import json
import logging
import os
import random
import tempfile
from collections.abc import Sequence
from dataclasses import asdict, replace
from pathlib import Path

from training.data import Example, context_documents, context_id

log = logging.getLogger(__name__)

NEGATIVES_FILE = "hard_negatives.jsonl"


def mine_hard_negatives(
    examples: Sequence[Example], share: float, seed: int, *, k: int = 5, model: str | None = None
) -> list[Example]:
    """For a seeded ``share`` of ``examples``: the highest-ranked passage (hybrid retrieval over all the
    examples' contexts, top ``k``) of another context that does not contain the answer, as an unanswerable
    example (``qid`` + ":neg"); a question whose top ``k`` hold no such passage gets none. ``model`` is the
    embedding model the pool is indexed with (default: the product's int8 encoder)."""
    from embeddings.base import INT8_MODEL
    from qa.api import QA

    if not 0.0 <= share <= 1.0:
        raise ValueError(f"hard negative share must lie in [0, 1], got {share}")
    n = round(share * len(examples))
    if n == 0:
        return []
    chosen = sorted(random.Random(seed).sample(range(len(examples)), n))
    docs = context_documents([e.context for e in examples])
    with tempfile.TemporaryDirectory() as tmp:
        qa = QA.build_from_documents(docs, Path(tmp) / "idx", model=model or INT8_MODEL)
        hits = qa.retrieve_batch([examples[i].question for i in chosen], k=k)
    out: list[Example] = []
    for i, found in zip(chosen, hits, strict=True):
        e = examples[i]
        own = context_id(e.context)
        for h in found:  # best first
            text = h.passage.text
            if h.doc_id == own or not text.strip() or (e.answer and e.answer in text):
                continue
            out.append(replace(e, qid=e.qid + ":neg", context_id="neg:" + h.passage_id, context=text,
                               answer="", start=-1))  # fmt: skip
            break
    log.info("hard negatives: %d of %d questions asked got one", len(out), n)
    return out


def save_negatives(path: Path, negatives: Sequence[Example]) -> None:
    """One JSON object per line, written to a temporary sibling and swapped in."""
    tmp = path.with_name(path.name + ".tmp")
    with tmp.open("w", encoding="utf-8") as f:
        for e in negatives:
            f.write(json.dumps(asdict(e), ensure_ascii=False) + "\n")
    os.replace(tmp, path)


def load_negatives(path: Path) -> list[Example]:
    """The negatives a run saved with `save_negatives`."""
    with path.open(encoding="utf-8") as f:
        return [Example(**json.loads(line)) for line in f if line.strip()]
