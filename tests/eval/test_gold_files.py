"""The committed gold files over the bundled corpus: well formed, and every answer verbatim in its article."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
GOLD = sorted((REPO / "eval" / "gold").glob("*.jsonl"))
CORPUS = REPO / "data" / "corpus"


def _rows(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def _answerable(row: dict) -> list[tuple[str, list[str], str | None]]:
    """(where, answers, doc_id) of a question row, or of each turn of a dialog row."""
    if "turns" in row:
        return [(f"{row['id']} turn {i}", t["answers"], t.get("doc_id")) for i, t in enumerate(row["turns"])]
    return [(row["id"], row["answers"], row.get("doc_id"))]


def test_the_gold_files_are_found() -> None:
    names = {p.name for p in GOLD}
    assert {"corpus.jsonl", "newcomer.jsonl", "dialogs.jsonl", "tune-corpus.jsonl"} <= names


@pytest.mark.parametrize("path", GOLD, ids=[p.name for p in GOLD])
def test_ids_are_unique_and_every_answer_is_verbatim_in_its_article(path: Path) -> None:
    rows = _rows(path)
    ids = [r["id"] for r in rows]
    assert len(ids) == len(set(ids)), f"{path.name}: duplicate ids"
    articles = {p.name: p.read_text(encoding="utf-8") for p in CORPUS.glob("*.txt")}
    missing = []
    for row in rows:
        assert row.get("lang") in ("zh", "en"), f"{path.name} {row['id']}: lang {row.get('lang')!r}"
        for where, answers, doc_id in _answerable(row):
            if not answers:
                continue  # a question the corpus does not answer
            if doc_id is None:  # no one article (several state it): each answer is in one of them
                missing += [
                    f"{where}: {a!r} in no article"
                    for a in answers
                    if not any(a in t for t in articles.values())
                ]
                continue
            if doc_id not in articles:
                missing.append(f"{where}: no article {doc_id!r}")
                continue
            missing += [f"{where}: {a!r} not in {doc_id}" for a in answers if a not in articles[doc_id]]
    assert not missing, f"{path.name}: " + "; ".join(missing[:10])
