"""A Unigram tokenizer that loads in milliseconds: each call builds HF ``tokenizers`` over only the pieces its
texts can use, from a prepared copy of the vocabulary.

``Tokenizer.from_str`` of multilingual-e5's tokenizer.json takes 0.6-0.9 s, nearly all of it building the
Unigram model's trie of 250k pieces; the normalizer, pre-tokenizer and post-processor load in ~2 ms. The
Unigram model's output for a pre-tokenized word depends only on the pieces that occur in that word as
substrings (the Viterbi lattice has a node for each such piece, with its score), on the minimum score of the
vocabulary (the unknown-character penalty is ``min_score - 10``) and on the unknown id. So:

1. a *front* tokenizer (tokenizer.json with its vocabulary cut to a few base pieces: the ids the
   post-processor inserts, the unknown piece, the lowest-scoring piece and every added token's piece) runs
   the file's own added-token splitting, normalizer and pre-tokenizer over the texts; its tokens, joined per
   word, are exactly the words the model sees;
2. every substring of those words that is a piece of the vocabulary is looked up in a prepared table;
3. a tokenizer is built from tokenizer.json with the vocabulary cut to the base pieces plus those pieces (the
   same JSON text for each piece and score, so the same ``f64`` scores) and encodes the texts; its ids are
   mapped back to the full vocabulary's ids. The base pieces with the lowest ids keep their ids, so the
   post-processor's explicit ids (``<s>`` 0, ``</s>`` 2) need no mapping.

Every step is HF ``tokenizers``' own code on the same input with the same lattice, so ids and offsets are
those of the full tokenizer (tested token for token on the bundled corpus, CMRC 2018, DRCD, SQuAD questions
and unusual strings; also checked on a fixed sample each time the prepared table is built). A call costs a few
ms more than with the full model (~4 ms + ~5 ms per 1,000 characters), so a process that has spent
FULL_MODEL_AFTER_S in this path (indexing, training, a long-running app) builds the full model once and uses
it from then on: the same tokens either way.

The prepared table (``qa.prepared``: checksummed, rebuilt when tokenizer.json's bytes or ``tokenizers``'
version change) sits beside the model folder as ``<folder>.tokenizer/``. A tokenizer.json this scheme does not
fit (not Unigram, byte fallback, duplicate pieces, added tokens outside the vocabulary, a post-processor
inserting high ids) or one whose check fails is recorded as such and loaded whole, as before.
"""

from __future__ import annotations

import json
import logging
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from qa.prepared import PreparedCache, PreparedCacheError, load_prepared

RECIPE_VERSION = "1"  # bump when the prepared files or the subset construction change
SUFFIX = ".tokenizer"  # the cache's folder: the model's folder name + this, beside it
VOCAB_PLACEHOLDER = "\u0000qa-subset-vocab\u0000"  # stands for the vocabulary in the front template
MAX_BASE_ID = 16  # post-processors inserting ids above this are not supported (XLM-R: 0 and 2)
GROUP_SPLIT = 2000  # a first character with more pieces than this is grouped by its first two characters
# Each call pays ~4 ms + ~5 ms per 1,000 characters more than the full model: once a process has spent this
# long in the subset path (about what building the full model costs), it builds the full model and uses it.
FULL_MODEL_AFTER_S = 0.5
log = logging.getLogger(__name__)

# A fixed sample checked against the full tokenizer whenever the prepared table is built.
SELF_CHECK_TEXTS = (
    "",
    " ",
    "埃夫特的董事长是谁？",
    "截至2022年9月，工信部累计培育了多少家专精特新小巨人企业？",
    "query: 金坤新材的实际控制人兼总经理是谁？",
    "passage: 臺灣的首都是臺北市，位於北部。",
    "What is the capital of France?  It's   Paris.",
    "  leading and trailing   ",
    "Ｆｕｌｌ－ｗｉｄｔｈ　ＡＢＣ　１２３，（）：“”、！？",
    "emoji 😀👍🏽 and ZWJ 👨\u200d👩\u200d👧 flags 🇫🇷",
    "cafe\u0301 e\u0301\u0302 a\u0308 ñ n\u0303 한국어 日本語のテキスト",
    "ctrl\x00\x01\t\n\r\x7f\x85\u200b\u2028\ufeff end",
    "<s> special </s> <mask> <pad><unk> ▁x ▁▁y",
    "鸲鹟 𠀀𠀁 \U0001f9ff\U000e0001 \ud7ff",
    "a" * 300 + " " + "中" * 300,
)


class SubsetTokenizerError(Exception):
    """The tokenizer.json does not fit the subset scheme (internal: the full tokenizer is used instead)."""


@dataclass(frozen=True)
class TokenEncoding:
    """One text's token ids and each token's [start, end) character span in the text."""

    ids: tuple[int, ...]
    offsets: tuple[tuple[int, int], ...]


def from_hf(encoding: Any, id_map: Sequence[int] | None = None) -> TokenEncoding:
    """A TokenEncoding of a ``tokenizers.Encoding`` (ids translated through ``id_map`` when given)."""
    ids = encoding.ids if id_map is None else [id_map[i] for i in encoding.ids]
    return TokenEncoding(tuple(ids), tuple((int(a), int(b)) for a, b in encoding.offsets))


def prepared_folder(path: Path) -> Path:
    """Where the prepared table of the tokenizer.json at ``path`` is kept: beside its model folder."""
    return path.parent.parent / f"{path.parent.name}{SUFFIX}"


# ------------------------------------------------------------------ build


def _split_vocab_text(text: str) -> tuple[Any, list[str], list[str]]:
    """(the tokenizer.json as objects, each piece, each piece's score exactly as written in the file)."""
    data = json.loads(text)
    model = data.get("model") or {}
    if model.get("type") != "Unigram":
        raise SubsetTokenizerError(f"the model is {model.get('type')!r}, not Unigram")
    if model.get("byte_fallback"):
        raise SubsetTokenizerError("the Unigram model uses byte fallback")
    vocab = model.get("vocab")
    if not isinstance(vocab, list) or not vocab:
        raise SubsetTokenizerError("no vocabulary")
    pieces = [entry[0] for entry in vocab]
    # each score exactly as written: the subset's JSON repeats the text, so tokenizers parses the same f64
    scores = [e[1] for e in json.loads(text, parse_float=str, parse_int=str)["model"]["vocab"]]
    if not all(isinstance(p, str) for p in pieces) or not all(isinstance(s, str) for s in scores):
        raise SubsetTokenizerError("malformed vocabulary entries")
    return data, pieces, scores


def _base_ids(data: Any, pieces: list[str], scores: list[str]) -> list[int]:
    """The ids every subset keeps: 0..k (covering the post-processor's ids), unknown, lowest score, added."""
    model = data["model"]
    unk = model.get("unk_id")
    if not isinstance(unk, int) or not 0 <= unk < len(pieces):
        raise SubsetTokenizerError("no unknown piece")
    index = {p: i for i, p in enumerate(pieces)}
    if len(index) != len(pieces):
        raise SubsetTokenizerError("duplicate pieces")
    if any("\n" in p or p == "" for p in pieces):
        raise SubsetTokenizerError("a piece is empty or holds a newline")
    if VOCAB_PLACEHOLDER in json.dumps(data, ensure_ascii=False):
        raise SubsetTokenizerError("the file holds the placeholder text")
    floats = [float(s) for s in scores]
    lowest = min(range(len(floats)), key=floats.__getitem__)
    added = []
    for token in data.get("added_tokens") or []:
        if index.get(token["content"]) != token["id"]:
            raise SubsetTokenizerError(f"added token {token['content']!r} is not the vocabulary's piece")
        added.append(token["id"])
    inserted = _post_processor_ids(data.get("post_processor"))
    if any(i > MAX_BASE_ID or i >= len(pieces) for i in inserted):
        raise SubsetTokenizerError("the post-processor inserts high ids")
    low = list(range(max(inserted, default=-1) + 1))
    return low + sorted({unk, lowest, *added} - set(low))


def _post_processor_ids(processor: Any) -> list[int]:
    """The ids a post-processor inserts (TemplateProcessing, or a Sequence of them; None inserts nothing)."""
    if processor is None:
        return []
    kind = processor.get("type")
    if kind == "Sequence":
        return [i for p in processor.get("processors", []) for i in _post_processor_ids(p)]
    if kind == "TemplateProcessing":
        return [int(i) for tok in processor.get("special_tokens", {}).values() for i in tok.get("ids", [])]
    raise SubsetTokenizerError(f"post-processor {kind!r} is not supported")


def group_key(piece: str, split: frozenset[str] | set[str]) -> str:
    """The table group of a piece: its first character, or its first two for a crowded first character."""
    return piece[:2] if piece[0] in split else piece[0]


def build_files(text: str, digest: str) -> dict[str, bytes]:
    """The prepared files of a tokenizer.json's text (sha256 ``digest``):

    - ``front.json``: the file with its vocabulary replaced by a placeholder, no padding, no truncation;
    - ``pieces.txt`` / ``ids.npy``: every piece (one a line) and its id, ordered by group (first character;
      first two characters for a first character with over GROUP_SPLIT pieces, i.e. "▁");
    - ``groups.txt`` / ``groups.npy``: each group's key (one a line) and its [first, last) line, byte span in
      pieces.txt and longest piece (characters);
    - ``scores.txt`` / ``score_ends.npy``: each id's score exactly as written in the file, and where it ends;
    - ``subset.json``: eligibility, the source's sha256, the base ids and their pieces.

    An unfit file gives only ``subset.json`` with ``eligible: false`` and the reason."""
    import numpy as np

    try:
        data, pieces, scores = _split_vocab_text(text)
        base = _base_ids(data, pieces, scores)
    except (SubsetTokenizerError, KeyError, TypeError, IndexError, ValueError, AttributeError) as exc:
        return {"subset.json": _json({"eligible": False, "reason": str(exc), "source_sha256": digest})}
    data["model"]["vocab"] = VOCAB_PLACEHOLDER
    data["truncation"] = None
    data["padding"] = None
    counts: dict[str, int] = {}
    for p in pieces:
        counts[p[0]] = counts.get(p[0], 0) + 1
    split = {c for c, n in counts.items() if n > GROUP_SPLIT}
    order = sorted(range(len(pieces)), key=lambda i: (group_key(pieces[i], split), i))
    lines: list[bytes] = []
    keys: list[str] = []
    rows: list[list[int]] = []
    at = 0
    for k, i in enumerate(order):
        key = group_key(pieces[i], split)
        if not keys or keys[-1] != key:
            keys.append(key)
            rows.append([k, k, at, at, 0])
        line = pieces[i].encode("utf-8")
        lines.append(line)
        row = rows[-1]
        row[1] = k + 1
        row[3] = at + len(line)
        row[4] = max(row[4], len(pieces[i]))
        at += len(line) + 1
    score_bytes = [s.encode("ascii") for s in scores]
    return {
        "front.json": json.dumps(data).encode("utf-8"),
        "pieces.txt": b"\n".join(lines),
        "ids.npy": _npy(np.asarray(order, dtype="<i4")),
        "groups.txt": "\n".join(keys).encode("utf-8"),
        "groups.npy": _npy(np.asarray(rows, dtype="<i8")),
        "scores.txt": b"".join(score_bytes),
        "score_ends.npy": _npy(np.cumsum([len(s) for s in score_bytes], dtype="<i8")),
        "subset.json": _json({"eligible": True, "source_sha256": digest, "split": sorted(split), "base": base,
                              "base_pieces": [pieces[i] for i in base]}),
    }


def _npy(array: Any) -> bytes:
    import io

    import numpy as np

    out = io.BytesIO()
    np.save(out, array, allow_pickle=False)
    return out.getvalue()


def _load_npy(data: bytes) -> Any:
    import io

    import numpy as np

    return np.load(io.BytesIO(data), allow_pickle=False)


def _json(value: Any) -> bytes:
    return json.dumps(value, ensure_ascii=False).encode("utf-8")


# ------------------------------------------------------------------ load


@dataclass(frozen=True)
class SubsetTables:
    """The prepared table of one tokenizer.json, parsed (groups are split into dicts on first use)."""

    digest: str  # sha256 of the tokenizer.json
    front: str  # tokenizer.json with VOCAB_PLACEHOLDER (JSON-quoted) for the vocabulary
    base: tuple[int, ...]
    base_pieces: tuple[str, ...]
    split: frozenset[str]  # first characters whose groups are keyed by two characters
    groups: dict[str, int]  # group key -> row of group_rows
    group_rows: list[list[int]]  # [first, last) line, [start, end) byte span in pieces, longest piece
    pieces: bytes
    ids: Any  # int32 array: id of each line of pieces
    scores: bytes
    score_ends: Any  # int64 array: where each id's score ends in scores


def parse_files(files: dict[str, bytes]) -> SubsetTables | str:
    """The tables of checked prepared files, or the reason the file is unfit (``eligible: false``)."""
    meta = json.loads(files["subset.json"].decode("utf-8"))
    if not meta.get("eligible"):
        return str(meta.get("reason") or "unfit")
    front = files["front.json"].decode("utf-8")
    keys = files["groups.txt"].decode("utf-8").split("\n")
    rows = _load_npy(files["groups.npy"]).tolist()
    ids = _load_npy(files["ids.npy"])
    score_ends = _load_npy(files["score_ends.npy"])
    base = tuple(int(i) for i in meta["base"])
    base_pieces = tuple(str(p) for p in meta["base_pieces"])
    n = len(score_ends)
    if (
        json.dumps(VOCAB_PLACEHOLDER) not in front
        or len(keys) != len(rows)
        or len(ids) != n
        or (rows and (rows[-1][1] != n or rows[-1][3] != len(files["pieces.txt"])))
        or (n and int(score_ends[-1]) != len(files["scores.txt"]))
        or len(base) != len(base_pieces)
        or any(not 0 <= i < n for i in base)
    ):
        raise ValueError("the prepared files do not agree")
    return SubsetTables(
        digest=str(meta["source_sha256"]), front=front, base=base, base_pieces=base_pieces,
        split=frozenset(meta["split"]), groups=dict(zip(keys, range(len(keys)), strict=True)),
        group_rows=rows, pieces=files["pieces.txt"], ids=ids, scores=files["scores.txt"],
        score_ends=score_ends,
    )


class SubsetUnigramTokenizer:
    """Encodes like the full tokenizer.json (same ids, same offsets), building per call a Unigram model of
    the pieces the texts can use. Thread-safe; unconfigured (no padding, no truncation)."""

    def __init__(self, tables: SubsetTables, full: Any) -> None:
        from tokenizers import Tokenizer

        self.digest = tables.digest
        self._t = tables
        self._full_loader = full  # () -> the full tokenizers.Tokenizer, for large batches
        self._full: Any = None
        self._lock = threading.Lock()
        self._spent = 0.0  # seconds spent in the subset path
        self._groups: dict[int, dict[str, int]] = {}
        self._front = Tokenizer.from_str(self._json_with(list(tables.base), list(tables.base_pieces)))

    def _group(self, key: str) -> tuple[dict[str, int], int]:
        """The pieces of a group (piece -> id) and its longest piece's length; empty for an unknown key."""
        row = self._t.groups.get(key)
        if row is None:
            return {}, 0
        table = self._groups.get(row)
        first, last, start, end, longest = self._t.group_rows[row]
        if table is None:  # a race builds the same dict twice, harmlessly
            pieces = self._t.pieces[start:end].decode("utf-8").split("\n")
            table = dict(zip(pieces, self._t.ids[first:last].tolist(), strict=True))
            self._groups[row] = table
        return table, longest

    def _score(self, piece_id: int) -> str:
        start = int(self._t.score_ends[piece_id - 1]) if piece_id else 0
        return self._t.scores[start : int(self._t.score_ends[piece_id])].decode("ascii")

    def _json_with(self, ids: Sequence[int], pieces: Sequence[str]) -> str:
        """tokenizer.json with only these pieces (in this order), scores written as in the file."""
        vocab = ",".join(f"[{json.dumps(p)},{self._score(i)}]" for i, p in zip(ids, pieces, strict=True))
        return self._t.front.replace(json.dumps(VOCAB_PLACEHOLDER), f"[{vocab}]", 1)

    @property
    def truncation(self) -> None:
        """Never configured (as ``tokenizers.Tokenizer.truncation`` of an unconfigured tokenizer)."""
        return None

    @property
    def padding(self) -> None:
        """Never configured (as ``tokenizers.Tokenizer.padding`` of an unconfigured tokenizer)."""
        return None

    def token_to_id(self, token: str) -> int | None:
        """The id of a piece of the full vocabulary (added tokens are pieces of it), or None."""
        if not token:
            return None
        return self._group(group_key(token, self._t.split))[0].get(token)

    def normalize(self, text: str) -> str:
        """``text`` as tokenizer.json's normalizer makes it (full-width "，" -> ",")."""
        normalizer = self._front.normalizer
        return normalizer.normalize_str(text) if normalizer is not None else text

    def words(self, texts: Sequence[str]) -> list[list[str]]:
        """The words the Unigram model sees in each text (after added tokens, normalizer, pre-tokenizer)."""
        out = []
        for enc in self._front.encode_batch(list(texts), add_special_tokens=False):
            words: dict[Any, list[str]] = {}
            for k, (token, word) in enumerate(zip(enc.tokens, enc.word_ids, strict=True)):
                words.setdefault(("token", k) if word is None else word, []).append(token)
            out.append(["".join(parts) for parts in words.values()])
        return out

    def candidates(self, texts: Sequence[str]) -> dict[int, str]:
        """Every vocabulary piece that occurs as a substring of a word of the texts (id -> piece)."""
        found: dict[int, str] = {}
        split = self._t.split
        seen: set[str] = set()
        for words in self.words(texts):
            for word in words:
                if word in seen:
                    continue
                seen.add(word)
                n = len(word)
                for i in range(n):
                    if word[i] in split:  # one-character piece in its own group, longer ones by two
                        spans = [(word[i], i + 1, i + 1), (word[i : i + 2], i + 2, n)]
                    else:
                        spans = [(word[i], i + 1, n)]
                    for key, lo, hi in spans:
                        table, longest = self._group(key)
                        for j in range(lo, min(hi, i + longest) + 1):
                            piece_id = table.get(word[i:j])
                            if piece_id is not None:
                                found[piece_id] = word[i:j]
        return found

    def _use_full(self) -> Any:
        """The full tokenizer once this process has spent FULL_MODEL_AFTER_S in the subset path, else None."""
        with self._lock:
            if self._full is None and self._spent > FULL_MODEL_AFTER_S:
                self._full = self._full_loader()
            return self._full

    def encode_batch(self, texts: Sequence[str], add_special_tokens: bool = True) -> list[TokenEncoding]:
        """Token ids and character offsets of each text, as the full tokenizer gives them."""
        texts = list(texts)
        if not texts:
            return []
        full = self._use_full()
        if full is not None:
            return [from_hf(e) for e in full.encode_batch(texts, add_special_tokens=add_special_tokens)]
        start = time.perf_counter()
        try:
            return self.encode_subset(texts, add_special_tokens)
        finally:
            with self._lock:
                self._spent += time.perf_counter() - start

    def encode_subset(self, texts: Sequence[str], add_special_tokens: bool = True) -> list[TokenEncoding]:
        """encode_batch through a Unigram model of the texts' pieces, whatever the batch's size."""
        from tokenizers import Tokenizer

        texts = list(texts)
        if not texts:
            return []
        found = self.candidates(texts)
        for i in self._t.base:
            found.pop(i, None)
        more = sorted(found)
        ids = [*self._t.base, *more]
        sub = Tokenizer.from_str(self._json_with(ids, [*self._t.base_pieces, *(found[i] for i in more)]))
        return [from_hf(e, ids) for e in sub.encode_batch(texts, add_special_tokens=add_special_tokens)]


def source_key(path: Path) -> dict[str, Any]:
    """The identity of a tokenizer.json file as the prepared table's key: path, size, times, inode."""
    import tokenizers

    st = path.stat()
    return {"kind": "unigram-subset", "recipe": RECIPE_VERSION, "tokenizers": tokenizers.__version__,
            "source": str(path.resolve()), "size": st.st_size, "mtime_ns": st.st_mtime_ns,
            "ctime_ns": st.st_ctime_ns, "inode": st.st_ino}


def read_source(path: Path) -> tuple[bytes, str]:
    """A tokenizer.json's bytes and their sha256, read while its stat did not change."""
    import hashlib

    for _ in range(3):
        before = source_key(path)
        data = path.read_bytes()
        if source_key(path) == before:
            return data, hashlib.sha256(data).hexdigest()
    raise SubsetTokenizerError(f"{path} keeps changing while it is read")


def load_subset_tokenizer(path: Path, full: Any) -> SubsetUnigramTokenizer:
    """The subset tokenizer of the tokenizer.json at ``path``, from its prepared table (built on first use);
    SubsetTokenizerError when the file does not fit the scheme or fails the check against the full
    tokenizer (``full()``, called only when the table is built)."""
    path = Path(path)
    cache = PreparedCache(prepared_folder(path), source_key(path), f"tokenizer tables of {path}")

    def build() -> dict[str, bytes]:
        data, digest = read_source(path)
        files = build_files(data.decode("utf-8"), digest)
        parsed = parse_files(files)
        if isinstance(parsed, SubsetTables):
            try:
                problem = self_check(SubsetUnigramTokenizer(parsed, full), full(), SELF_CHECK_TEXTS)
            except Exception as exc:  # tokenizers raises its own exception types
                problem = f"the subset tokenizer fails ({exc})"
            if problem:
                log.warning("the subset tokenizer of %s differs from the full one (%s); using the full one",
                            path, problem)
                return {"subset.json": _json({"eligible": False, "reason": f"self-check failed: {problem}",
                                              "source_sha256": digest})}
        return files

    try:
        tables = load_prepared(cache, build, parse_files)
    except PreparedCacheError as exc:  # a fresh build does not parse either: a bug, use the full tokenizer
        raise SubsetTokenizerError(str(exc)) from exc
    if isinstance(tables, str):
        raise SubsetTokenizerError(tables)
    return SubsetUnigramTokenizer(tables, full)


def self_check(subset: SubsetUnigramTokenizer, full: Any, texts: Sequence[str]) -> str:
    """The first difference between the subset and the full tokenizer on ``texts`` (ids and offsets, with
    and without special tokens), or "" when there is none."""
    for special in (False, True):
        ours = subset.encode_subset(texts, add_special_tokens=special)
        theirs = [from_hf(e) for e in full.encode_batch(list(texts), add_special_tokens=special)]
        for text, a, b in zip(texts, ours, theirs, strict=True):
            if a != b:
                return f"text {text[:40]!r}: {a.ids[:8]}... != {b.ids[:8]}..."
    return ""
