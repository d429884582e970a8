"""Encoders by model name: the int8 ONNX e5-small (default), the fp32 torch one, the fake, any ST model."""

from __future__ import annotations

from embeddings.base import FAKE_PREFIX, INT8_MODEL, Encoder
from qa.errors import InputError


def load_encoder(model: str | None = None) -> Encoder:
    """Encoder by name: None or "multilingual-e5-small-int8" -> e5-small, int8, ONNX Runtime (default);
    "multilingual-e5-small" -> the same model in fp32 on torch; "fake" / "fake-ngram-N" -> FakeEncoder;
    anything else -> a sentence-transformers model name or folder. Implementations are imported lazily."""
    if model is None or model == INT8_MODEL:
        from embeddings.onnx_encoder import OnnxInt8Encoder

        return OnnxInt8Encoder()
    if model == "fake" or model.startswith(FAKE_PREFIX):
        from embeddings.encoder import FakeEncoder

        if model == "fake":
            return FakeEncoder()
        suffix = model[len(FAKE_PREFIX) :]
        if not suffix.isdigit():
            raise InputError(f"fake encoder name must look like 'fake-ngram-64', got {model!r}")
        return FakeEncoder(dim=int(suffix))
    from embeddings.encoder import SentenceTransformerEncoder

    return SentenceTransformerEncoder(model)
