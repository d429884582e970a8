"""A saved BM25 index scores from its own arrays: the same floats as bm25s, without importing it."""

import random
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from qa.bm25 import BM25Config, BM25Index
from qa.tokenize import tokenize_batch

ROOT = Path(__file__).resolve().parents[2]


def _corpus_texts() -> list[str]:
    texts = []
    for f in sorted((ROOT / "data").rglob("*.txt")):
        texts += [t for t in f.read_text(encoding="utf-8").split("\n") if t.strip()]
    return texts


@pytest.mark.parametrize("method", ["lucene", "robertson", "bm25+", "bm25l"])
def test_loaded_index_scores_exactly_as_bm25s(tmp_path: Path, method: str) -> None:
    texts = _corpus_texts()
    assert len(texts) > 100
    built = BM25Index.build(texts, BM25Config(method=method))
    built.save(tmp_path)
    loaded = BM25Index.load(tmp_path)
    assert loaded._retriever is None
    retriever = built._retriever
    rng = random.Random(0)
    tokens = tokenize_batch(texts)
    vocab = sorted({t for ts in tokens for t in ts})
    queries = [rng.sample(vocab, rng.randint(1, 12)) for _ in range(200)]
    queries += [["不在语料里的词", vocab[0], vocab[0]], [], ["zzz"]]
    for q in queries:
        got = loaded.scores(q)
        ids = retriever.get_tokens_ids([t for t in q if t])
        want = np.zeros(len(texts), np.float32) if not ids else retriever.get_scores_from_ids(ids)
        assert got.dtype == np.float32
        assert np.array_equal(got, np.asarray(want, dtype=np.float32)), q
        assert np.array_equal(got, built.scores(q))
        assert loaded.coverage(q) == built.coverage(q)


def test_a_loaded_index_saves_the_same_files(tmp_path: Path) -> None:
    built = BM25Index.build(["北京是首都", "上海是城市", "深圳"])
    built.save(tmp_path / "a")
    BM25Index.load(tmp_path / "a").save(tmp_path / "b")
    a, b = BM25Index.files(tmp_path / "a"), BM25Index.files(tmp_path / "b")
    assert [f.name for f in a] == [f.name for f in b]
    assert all(x.read_bytes() == y.read_bytes() for x, y in zip(a, b, strict=True))


def test_scoring_a_saved_index_does_not_import_bm25s(tmp_path: Path) -> None:
    BM25Index.build(["北京是首都", "上海是城市"]).save(tmp_path)
    code = (
        "import sys; from pathlib import Path; from qa.bm25 import BM25Index; "
        f"i = BM25Index.load(Path({str(tmp_path)!r})); s = i.scores(['北京']); "
        "assert s[0] > 0 == s[1], s; print('bm25s' in sys.modules, 'scipy.sparse' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=ROOT)
    assert out.stdout.split() == ["False", "False"]
