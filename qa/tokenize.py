"""Chinese-aware lexical tokenization (jieba search mode) shared by BM25 and the reader."""

from __future__ import annotations

import functools
import re
import unicodedata
from collections.abc import Sequence
from typing import Any

from qa.errors import MissingDependencyError

# A token must contain a letter, digit or CJK ideograph; pure punctuation/space tokens are dropped.
_WORDLIKE = re.compile(r"[0-9A-Za-z\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")

# Function words and question words that carry no retrieval signal in either language.
STOPWORDS: frozenset[str] = frozenset(
    [
        "的",
        "了",
        "是",
        "在",
        "和",
        "与",
        "及",
        "或",
        "也",
        "都",
        "而",
        "就",
        "被",
        "把",
        "对",
        "于",
        "从",
        "为",
        "以",
        "之",
        "其",
        "这",
        "那",
        "这些",
        "那些",
        "一个",
        "有",
        "有的",
        "吗",
        "呢",
        "吧",
        "啊",
        "什么",
        "多少",
        "哪",
        "哪个",
        "哪些",
        "哪里",
        "哪儿",
        "哪家",
        "哪位",
        "哪年",
        "几",
        "谁",
        "怎么",
        "怎样",
        "如何",
        "为什么",
        "为何",
        "何时",
        "是否",
        "请问",
        "呢",
        "么",
        "a",
        "an",
        "the",
        "of",
        "to",
        "in",
        "on",
        "at",
        "for",
        "by",
        "with",
        "from",
        "and",
        "or",
        "is",
        "are",
        "was",
        "were",
        "be",
        "been",
        "what",
        "which",
        "who",
        "whom",
        "whose",
        "when",
        "where",
        "why",
        "how",
        "many",
        "much",
        "does",
        "do",
        "did",
        "it",
        "its",
        "this",
        "that",
        "these",
        "those",
        "as",
    ]
)


class JiebaUnavailableError(MissingDependencyError):
    """jieba is needed for Chinese tokenization (and the entity spans built on it)."""


@functools.lru_cache(maxsize=1)
def jieba_tokenizer() -> Any:
    """The process-wide jieba tokenizer, initialised once (its dictionary load costs ~1 s)."""
    try:
        import jieba
    except ImportError as exc:  # pragma: no cover - jieba is a core dependency
        raise JiebaUnavailableError("Chinese tokenization needs jieba: pip install jieba") from exc
    import logging

    logging.getLogger("jieba").setLevel(logging.WARNING)  # silence "Building prefix dict" chatter
    initialize_from_cache(jieba.dt)
    return jieba.dt


def initialize_from_cache(tokenizer: Any) -> None:
    """jieba's ``Tokenizer.initialize`` with the prefix dictionary read from the prepared cache
    (``qa.jieba_tables``, ~4x faster) instead of rebuilt or read from jieba's marshal file in /tmp."""
    from qa.jieba_tables import prefix_dict_for

    with tokenizer.lock:
        if tokenizer.initialized:
            return
        table = prefix_dict_for(tokenizer)
        tokenizer.FREQ, tokenizer.total = table.freq, table.total
        tokenizer.initialized = True


def normalize(text: str) -> str:
    """NFKC (full-width → half-width) and case folding, so 'ＡＢＣ１２' matches 'abc12'."""
    return unicodedata.normalize("NFKC", text).casefold()


@functools.lru_cache(maxsize=65536)
def _norm_char(ch: str) -> str:
    folded = unicodedata.normalize("NFKC", ch).casefold()
    return folded if len(folded) == 1 else ch.casefold()[:1] or ch


def normalize_same_length(text: str) -> str:
    """NFKC + casefold character by character, so offsets in the result are offsets in ``text``."""
    return "".join(_norm_char(ch) for ch in text)


def tokenize(text: str, *, stopwords: frozenset[str] = STOPWORDS) -> list[str]:
    """Search-mode jieba tokens of normalized text; English words and numbers stay whole tokens."""
    norm = normalize(text)
    out: list[str] = []
    for tok in jieba_tokenizer().cut_for_search(norm):
        tok = tok.strip()
        if not tok or not _WORDLIKE.search(tok) or tok in stopwords:
            continue
        out.append(tok)
    return out


def tokenize_batch(texts: Sequence[str], *, stopwords: frozenset[str] = STOPWORDS) -> list[list[str]]:
    """Batch form of :func:`tokenize`."""
    return [tokenize(t, stopwords=stopwords) for t in texts]
