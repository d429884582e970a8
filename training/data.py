"""Reading-comprehension training data in SQuAD format: loading, answer-offset repair, and the data mix."""

from __future__ import annotations

import hashlib
import json
import logging
import random
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from qa.types import Document

log = logging.getLogger(__name__)

SHARED_DATA = Path(__file__).resolve().parent.parent.parent / "shared" / "data"
# name -> (file under ../shared/data, question language); "csquad-en" pairs SQuAD's English question with the
# ChineseSquad context and answer (same ids), the cross-lingual part of the mix.
SOURCES: dict[str, str] = {
    "cmrc": "cmrc2018/cmrc2018_train.json",
    "drcd": "drcd/DRCD_test.json",
    "csquad-zh": "chinesesquad/dev-v2.0-zh.json",
    "csquad-en": "chinesesquad/dev-v2.0-zh.json",
}
SQUAD_EN = "squad-en/dev-v2.0.json"
OFFSET_SEARCH_CHARS = 8  # an answer_start this far off is repaired by locating the text near it


def source_list(text: str) -> tuple[str, ...]:
    """Comma-separated source names, checked against `SOURCES`: the one parser of the commands' `--sources`
    (an argparse ``type``, so a bad name is a usage error that says which names exist)."""
    import argparse

    names = tuple(x for x in text.split(",") if x)
    unknown = sorted(set(names) - set(SOURCES))
    if unknown or not names:
        raise argparse.ArgumentTypeError(f"unknown sources {unknown}; choose from {sorted(SOURCES)}")
    return names


@dataclass(frozen=True)
class Example:
    """One question over one context; `start` is -1 (and `answer` "") for an unanswerable question."""

    qid: str
    source: str
    context_id: str
    question: str
    context: str
    answer: str
    start: int


def _locate(context: str, text: str, start: int) -> int:
    """The offset of `text` in `context` nearest to `start`, or -1 when it is not there."""
    if start >= 0 and context[start : start + len(text)] == text:
        return start
    best = -1
    pos = context.find(text)
    while pos != -1:
        if best == -1 or abs(pos - start) < abs(best - start):
            best = pos
        pos = context.find(text, pos + 1)
    if best != -1 and (start < 0 or abs(best - start) <= OFFSET_SEARCH_CHARS or context.count(text) == 1):
        return best
    return -1


def _squad(path: Path) -> Iterator[tuple[str, str, dict]]:
    data = json.loads(path.read_text(encoding="utf-8"))
    for article in data["data"]:
        for pi, para in enumerate(article["paragraphs"]):
            cid = para.get("id") or f"{article.get('title', '')}#{pi}"
            for qa in para["qas"]:
                yield cid, para["context"], qa


def load_source(name: str, root: Path = SHARED_DATA) -> list[Example]:
    """All usable examples of one source; rows with no locatable answer are dropped with a count logged."""
    path = root / SOURCES[name]
    english: dict[str, str] = {}
    if name == "csquad-en":
        for _, _, qa in _squad(root / SQUAD_EN):
            english[qa["id"]] = qa["question"]
    out: list[Example] = []
    dropped = 0
    for cid, context, qa in _squad(path):
        question = english.get(qa["id"]) if name == "csquad-en" else qa.get("question")
        if not question or not question.strip() or not context.strip():
            dropped += 1
            continue
        answers = qa.get("answers") or []
        if qa.get("is_impossible") or not answers:
            out.append(Example(qa["id"], name, f"{name}:{cid}", question.strip(), context, "", -1))
            continue
        ans = answers[0]
        text = ans["text"].strip()
        start = _locate(
            context, text, int(ans.get("answer_start", -1)) + (len(ans["text"]) - len(ans["text"].lstrip()))
        )
        if not text or start < 0:
            dropped += 1
            continue
        out.append(Example(qa["id"], name, f"{name}:{cid}", question.strip(), context, text, start))
    log.info("%s: %d examples, %d dropped (no locatable answer)", name, len(out), dropped)
    return out


def split_heldout(
    examples: Sequence[Example], share: float, seed: int
) -> tuple[list[Example], list[Example]]:
    """Split by context (no context on both sides): (train, held-out)."""
    contexts = sorted({e.context_id for e in examples})
    rng = random.Random(seed)
    rng.shuffle(contexts)
    held = set(contexts[: int(len(contexts) * share)])
    return [e for e in examples if e.context_id not in held], [e for e in examples if e.context_id in held]


def context_id(context: str) -> str:
    """A stable document id for a context indexed as its own document (held-out and hard-negative pools)."""
    return "ctx-" + hashlib.sha1(context.encode("utf-8")).hexdigest()[:12]


def context_documents(contexts: Sequence[str]) -> list[Document]:
    """Each distinct context as one document (id from `context_id`), in sorted order, ready to index."""
    from qa.types import Document

    return [Document(doc_id=context_id(c), title="", text=c) for c in sorted(set(contexts))]
