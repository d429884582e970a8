"""The Python API: build or open an index, retrieve passages, ask questions (CLI and UI are thin layers)."""

from __future__ import annotations

import os
import threading
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from embeddings.encoder import DEFAULT_MODEL, Encoder, load_encoder
from qa.indexer import BuildReport, IndexConfig, UpdateMode, build_index
from qa.loaders import load_documents
from qa.retriever import RetrievalConfig, Retriever, check_question
from qa.store import DocumentInfo, StoredIndex, load_index, read_manifest
from qa.types import Answer, Document, Filters, Hit, Mode, Passage

if TYPE_CHECKING:
    from qa.reader import Reader

BUNDLED_CORPUS = Path(__file__).resolve().parent.parent / "data" / "corpus"


def cache_dir() -> Path:
    """Where models and evaluation indexes are cached: $QA_CACHE_DIR or ~/.cache/qa."""
    return Path(os.environ.get("QA_CACHE_DIR") or Path.home() / ".cache" / "qa").expanduser()


def default_index_dir() -> Path:
    """Where `qa index` writes without --index: $QA_INDEX_DIR or <cache>/index/default (outside the repo)."""
    env = os.environ.get("QA_INDEX_DIR")
    return Path(env).expanduser() if env else cache_dir() / "index" / "default"


def bundled_corpus() -> Path:
    if not BUNDLED_CORPUS.is_dir():
        raise FileNotFoundError(
            f"the bundled corpus is missing at {BUNDLED_CORPUS}; run from a source checkout or pass PATHs"
        )
    return BUNDLED_CORPUS


def _default_reader(encoder: Encoder) -> Reader:
    from qa.reader import RuleReader

    return RuleReader(encoder=encoder)


class QA:
    """One opened index with its encoder, retriever and reader."""

    def __init__(
        self,
        index_dir: Path,
        store: StoredIndex,
        encoder: Encoder,
        *,
        reader: Reader | None = None,
        retrieval: RetrievalConfig = RetrievalConfig(),
        last_build: BuildReport | None = None,
    ) -> None:
        self.index_dir = Path(index_dir)
        self.store = store
        self.encoder = encoder
        self.retriever = Retriever(store, encoder, retrieval)
        self._reader = reader
        self._reader_lock = threading.Lock()
        self.last_build = last_build

    # ------------------------------------------------------------ construction

    @classmethod
    def open(
        cls,
        index_dir: str | Path | None = None,
        *,
        encoder: Encoder | None = None,
        model: str | None = None,
        reader: Reader | None = None,
        retrieval: RetrievalConfig = RetrievalConfig(),
    ) -> QA:
        """Open an existing index; the encoder defaults to the model recorded in its manifest."""
        target = Path(index_dir) if index_dir is not None else default_index_dir()
        if encoder is None:
            manifest = read_manifest(target)
            encoder = load_encoder(model or manifest["model"]["id"])
        return cls(target, load_index(target), encoder, reader=reader, retrieval=retrieval)

    @classmethod
    def build(
        cls,
        paths: Sequence[str | Path] | None = None,
        index_dir: str | Path | None = None,
        *,
        model: str | None = None,
        encoder: Encoder | None = None,
        config: IndexConfig = IndexConfig(),
        mode: UpdateMode = "sync",
        progress: bool = False,
        on_warning: Callable[[str], None] | None = None,
    ) -> QA:
        """Index files/folders (None: the bundled corpus) incrementally, then open the result."""
        documents = load_documents(list(paths) if paths else [bundled_corpus()], on_warning=on_warning)
        return cls.build_from_documents(
            documents, index_dir, model=model, encoder=encoder, config=config, mode=mode, progress=progress
        )

    @classmethod
    def build_from_documents(
        cls,
        documents: Sequence[Document],
        index_dir: str | Path | None = None,
        *,
        model: str | None = None,
        encoder: Encoder | None = None,
        config: IndexConfig = IndexConfig(),
        mode: UpdateMode = "sync",
        progress: bool = False,
    ) -> QA:
        """Index already-loaded documents (e.g. SQuAD contexts) and open the result."""
        target = Path(index_dir) if index_dir is not None else default_index_dir()
        encoder = encoder or load_encoder(model or DEFAULT_MODEL)
        report = build_index(documents, target, encoder, mode=mode, config=config, progress=progress)
        return cls(target, load_index(target), encoder, last_build=report)

    def add_documents(self, documents: Sequence[Document], *, progress: bool = False) -> BuildReport:
        """Add or replace documents in this index (others stay), then serve the updated index."""
        report = build_index(
            documents,
            self.index_dir,
            self.encoder,
            mode="add",
            config=self._index_config(),
            progress=progress,
        )
        self._reload()
        return report

    def add_paths(
        self,
        paths: Sequence[str | Path],
        *,
        on_warning: Callable[[str], None] | None = None,
        progress: bool = False,
    ) -> BuildReport:
        return self.add_documents(load_documents(list(paths), on_warning=on_warning), progress=progress)

    def _index_config(self) -> IndexConfig:
        from embeddings.index import VectorIndexConfig
        from qa.bm25 import BM25Config
        from qa.passages import ChunkConfig

        cfg = self.store.manifest.get("config", {})
        return IndexConfig(
            chunk=ChunkConfig(**cfg.get("chunk", {})),
            vector_index=VectorIndexConfig(**cfg.get("vector_index", {})),
            bm25=BM25Config(**cfg.get("bm25", {})),
        )

    def _reload(self) -> None:
        store = load_index(self.index_dir)
        retriever = Retriever(store, self.encoder, self.retriever.config)
        self.store, self.retriever = store, retriever  # swap together: readers see old or new

    # ------------------------------------------------------------ properties

    @property
    def model_id(self) -> str:
        return self.store.model_id

    @property
    def passages(self) -> Sequence[Passage]:
        return self.store.passages

    @property
    def documents(self) -> dict[str, DocumentInfo]:
        return {d.doc_id: d for d in self.store.documents}

    @property
    def reader(self) -> Reader:
        with self._reader_lock:
            if self._reader is None:
                self._reader = _default_reader(self.encoder)
            return self._reader

    def use_reader(self, name: str) -> None:
        """Switch the answer reader by name ("rules", "baseline"); see qa.reader.make_reader."""
        from qa.reader import make_reader

        reader = make_reader(name, self.encoder)
        with self._reader_lock:
            self._reader = reader

    # ------------------------------------------------------------ queries

    def retrieve(
        self, question: str, k: int = 5, mode: Mode = "hybrid", filters: Filters | None = None
    ) -> list[Hit]:
        """The top-k passages for a question."""
        return self.retrieve_batch([question], k=k, mode=mode, filters=filters)[0]

    def retrieve_batch(
        self, questions: Sequence[str], k: int = 5, mode: Mode = "hybrid", filters: Filters | None = None
    ) -> list[list[Hit]]:
        """Top-k passages for each question (query encoding is batched)."""
        return self.retriever.retrieve_batch(questions, k=k, mode=mode, filters=filters)

    def read(self, question: str, hits: Sequence[Hit]) -> Answer:
        """Run the reader on given hits (no retrieval)."""
        return self.reader.read(check_question(question), hits)

    def _reader_k(self, k: int | None) -> int:
        if k is not None:
            return k
        cfg = getattr(self.reader, "config", None)
        return int(getattr(cfg, "max_passages", 5))

    def ask(
        self, question: str, *, k: int | None = None, mode: Mode = "hybrid", filters: Filters | None = None
    ) -> Answer:
        """Retrieve passages and extract a cited answer, or abstain (`answer.text is None`)."""
        return self.ask_batch([question], k=k, mode=mode, filters=filters)[0]

    def ask_batch(
        self,
        questions: Sequence[str],
        *,
        k: int | None = None,
        mode: Mode = "hybrid",
        filters: Filters | None = None,
    ) -> list[Answer]:
        qs = [check_question(q) for q in questions]
        hits = self.retrieve_batch(qs, k=self._reader_k(k), mode=mode, filters=filters)
        return self.reader.read_batch(qs, hits)
