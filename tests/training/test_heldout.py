"""The held-out file is the training run's own split: same contexts, answerable questions only."""

from __future__ import annotations

import json
from pathlib import Path

from training.data import SOURCES, load_source, split_heldout
from training.heldout import heldout_squad, main


def _cmrc_like(root: Path) -> None:
    paragraphs = []
    for c in range(40):
        context = f"第{c}段：北京是首都。"
        paragraphs.append(
            {
                "id": f"p{c}",
                "context": context,
                "qas": [
                    {"id": f"q{c}a", "question": "首都是哪里？", "answers": [{"text": "北京", "answer_start": 3 + len(str(c))}]},
                    {"id": f"q{c}b", "question": "哪里？", "answers": [], "is_impossible": True},
                ],
            }
        )
    path = root / SOURCES["cmrc"]
    path.parent.mkdir(parents=True)
    path.write_text(json.dumps({"data": [{"title": "t", "paragraphs": paragraphs}]}, ensure_ascii=False))


def test_heldout_file_holds_exactly_the_runs_held_out_answerable_questions(tmp_path: Path) -> None:
    _cmrc_like(tmp_path)
    data = heldout_squad(["cmrc"], 0.25, 0, root=tmp_path)
    _, held = split_heldout(load_source("cmrc", tmp_path), 0.25, 0)
    written = [q for a in data["data"] for p in a["paragraphs"] for q in p["qas"]]
    assert sorted(q["id"] for q in written) == sorted(e.qid for e in held if e.start >= 0)
    assert len(written) == 10  # a quarter of 40 contexts, one answerable question each
    for a in data["data"]:
        for p in a["paragraphs"]:
            for q in p["qas"]:
                ans = q["answers"][0]
                assert p["context"][ans["answer_start"] :].startswith(ans["text"])


def test_unknown_source_is_refused(tmp_path: Path, capsys) -> None:  # noqa: ANN001
    import pytest

    with pytest.raises(SystemExit):
        main(["--sources", "nope", "--out", str(tmp_path / "x.json")])
    assert "unknown sources" in capsys.readouterr().err
