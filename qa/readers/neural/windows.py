"""Question + passage windows for the span model and span decoding; shared by training and serving."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

CLS_ID, PAD_ID, SEP_ID = 0, 1, 2  # XLM-R specials, as in multilingual-e5's tokenizer


@dataclass(frozen=True)
class EncodedText:
    """A text's token ids with each token's [start, end) character span in that text."""

    ids: tuple[int, ...]
    offsets: tuple[tuple[int, int], ...]


@dataclass(frozen=True)
class Window:
    """One model input: `<s> question </s></s> context[ctx_start:ctx_end] </s>` (token positions)."""

    input_ids: tuple[int, ...]
    ctx_start: int  # first context token of the window (index into the context's tokens)
    ctx_end: int
    offset: int  # position of the first context token in input_ids


# Han characters, CJK punctuation ("》，" is one piece), full-width forms and curly quotes
_CJK = re.compile(
    r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\U00020000-\U0002fa1f\u3000-\u303f\uff00-\uffef\u2018-\u201f]"
)


class SpanTokenizer:
    """The e5 tokenizer (tokenizer.json of the model folder) used without its post-processor or truncation.

    ``han_chars``: a token of two or more characters that holds a Han character or CJK punctuation ("在北京",
    "是一种", "》，") becomes one token per character (the vocabulary's bare single-character pieces), so
    that every character boundary of Chinese text is a token edge a span can start or end at. A model reads
    with the tokenization it was trained with (its manifest's ``window.han_chars``).
    """

    def __init__(self, tokenizer_json: Path, *, han_chars: bool = False) -> None:
        from embeddings.tokenizer import shared_tokenizer

        self._tok = shared_tokenizer(tokenizer_json)  # the encoder's instance when it reads the same file
        self.han_chars = han_chars
        self._char_ids: dict[str, int | None] = {}

    def encode(self, text: str) -> EncodedText:
        """Token ids without special tokens; tokens that cover no character (a bare '▁') are dropped."""
        return self.encode_batch([text])[0]

    def encode_batch(self, texts: Sequence[str]) -> list[EncodedText]:
        out = []
        texts = list(texts)
        for text, enc in zip(texts, self._tok.encode_batch(texts, add_special_tokens=False), strict=True):
            ids: list[int] = []
            offsets: list[tuple[int, int]] = []
            for i, (a, b) in zip(enc.ids, enc.offsets, strict=True):
                a, b = int(a), int(b)
                if b <= a:
                    continue
                split = self._split(text[a:b]) if self.han_chars and b - a > 1 else None
                if split is None:
                    ids.append(i)
                    offsets.append((a, b))
                else:
                    ids += split
                    offsets += [(a + k, a + k + 1) for k in range(b - a)]
            out.append(EncodedText(tuple(ids), tuple(offsets)))
        return out

    def _split(self, piece: str) -> list[int] | None:
        """One id per character of a piece that holds a Han character or CJK punctuation, or None (no such
        character, or a character with no piece of its own: the token is kept whole)."""
        if not _CJK.search(piece):
            return None
        ids = []
        for c in piece:
            if c not in self._char_ids:
                n = self._tok.normalize(c)  # the piece of the character as the model reads it ("，" -> ",")
                self._char_ids[c] = self._tok.token_to_id(n) if len(n) == 1 else None
            i = self._char_ids[c]
            if i is None:
                return None
            ids.append(i)
        return ids


def make_windows(
    question: Sequence[int], context: Sequence[int], *, max_len: int, stride: int, max_question: int
) -> list[Window]:
    """Cover the context with windows of at most `max_len` tokens, each `stride` tokens after the last."""
    q = list(question[:max_question])
    room = max_len - len(q) - 4
    if room < 8:
        raise ValueError(f"max_len {max_len} leaves no room for the passage")
    head = [CLS_ID, *q, SEP_ID, SEP_ID]
    out: list[Window] = []
    start = 0
    n = len(context)
    while True:
        end = min(n, start + room)
        out.append(Window(tuple(head + list(context[start:end]) + [SEP_ID]), start, end, len(head)))
        if end >= n:
            return out
        start += min(stride, room)


def pad_batch(windows: Sequence[Window]) -> tuple[np.ndarray, np.ndarray]:
    """(input_ids, attention_mask) int64 arrays padded to the longest window."""
    width = max(len(w.input_ids) for w in windows)
    ids = np.full((len(windows), width), PAD_ID, dtype=np.int64)
    mask = np.zeros((len(windows), width), dtype=np.int64)
    for i, w in enumerate(windows):
        ids[i, : len(w.input_ids)] = w.input_ids
        mask[i, : len(w.input_ids)] = 1
    return ids, mask


@dataclass(frozen=True)
class SpanCandidate:
    """A scored span in context-token positions; `score` = start logit + end logit."""

    score: float
    start: int
    end: int  # inclusive


def best_spans(
    start_logits: np.ndarray,
    end_logits: np.ndarray,
    window: Window,
    *,
    max_answer_tokens: int,
    top: int = 5,
    length_penalty: float = 0.0,
) -> tuple[float, list[SpanCandidate]]:
    """The window's no-answer score (`<s>` position) and its best spans, best first (ties by position).

    Spans are ranked by start + end logit minus ``length_penalty`` per token beyond the first (a prior
    against over-long spans, calibrated on held-out data); a candidate's ``score`` stays the plain logit sum.
    """
    null = float(start_logits[0] + end_logits[0])
    lo, hi = window.offset, window.offset + (window.ctx_end - window.ctx_start)
    s = start_logits[lo:hi].astype(np.float64)
    e = end_logits[lo:hi].astype(np.float64)
    n = hi - lo
    if n == 0:
        return null, []
    # score[i, j] = s[i] + e[j] for i <= j < i + max_answer_tokens
    scores = s[:, None] + e[None, :]
    i, j = np.indices((n, n))
    scores[(j < i) | (j - i >= max_answer_tokens)] = -np.inf
    ranked = scores - length_penalty * (j - i) if length_penalty else scores
    flat = np.argsort(-ranked, axis=None, kind="stable")[:top]
    cands = []
    for f in flat:
        a, b = divmod(int(f), n)
        if not np.isfinite(scores[a, b]):
            break
        cands.append(SpanCandidate(float(scores[a, b]), window.ctx_start + a, window.ctx_start + b))
    return null, cands
