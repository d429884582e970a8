"""The Python API: build or open an index, retrieve passages, ask questions (CLI and UI are thin layers)."""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from embeddings.base import DEFAULT_MODEL, Encoder
from embeddings.factory import load_encoder
from qa.paths import bundled_corpus, default_index_dir
from qa.readers.factory import DEFAULT_READER, as_reader, make_reader
from qa.retriever import RetrievalConfig, Retriever, check_question
from qa.store import DocumentInfo, StoredIndex, load_index, manifest_config, read_manifest
from qa.types import Answer, Document, Filters, Hit, Mode, Passage

if TYPE_CHECKING:
    from qa.indexer import BuildReport, IndexConfig, UpdateMode
    from qa.readers.base import Reader


class QA:
    """One opened index with its encoder, retriever and reader."""

    def __init__(
        self,
        index_dir: Path,
        store: StoredIndex,
        encoder: Encoder,
        *,
        reader: Reader | str | None = None,
        retrieval: RetrievalConfig = RetrievalConfig(),
        last_build: BuildReport | None = None,
    ) -> None:
        self.index_dir = Path(index_dir)
        self.store = store
        self.encoder = encoder
        self.retriever = Retriever(store, encoder, retrieval)
        # a reader name is resolved now (an unknown name fails here); None: the default reader, made lazily
        self._reader = as_reader(reader, encoder=encoder) if reader is not None else None
        self._named_readers: dict[str, Reader] = {}  # readers asked for by name in single calls
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
        reader: Reader | str | None = None,
        retrieval: RetrievalConfig = RetrievalConfig(),
    ) -> QA:
        """Open an existing index; the encoder defaults to the model recorded in its manifest.

        ``reader``: a Reader, or a name from ``qa.readers.reader_names()`` (None: the default reader).
        """
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
        config: IndexConfig | None = None,
        mode: UpdateMode = "sync",
        progress: bool = False,
        on_warning: Callable[[str], None] | None = None,
        reader: Reader | str | None = None,
    ) -> QA:
        """Index files/folders (None: the bundled corpus) incrementally, then open the result (``config``
        None: the default `IndexConfig`). The indexer and loaders are imported here, not by an `ask`."""
        from qa.loaders import load_documents

        documents = load_documents(list(paths) if paths else [bundled_corpus()], on_warning=on_warning)
        return cls.build_from_documents(
            documents, index_dir, model=model, encoder=encoder, config=config, mode=mode, progress=progress,
            reader=reader,
        )

    @classmethod
    def build_from_documents(
        cls,
        documents: Sequence[Document],
        index_dir: str | Path | None = None,
        *,
        model: str | None = None,
        encoder: Encoder | None = None,
        config: IndexConfig | None = None,
        mode: UpdateMode = "sync",
        progress: bool = False,
        reader: Reader | str | None = None,
    ) -> QA:
        """Index already-loaded documents (e.g. SQuAD contexts) and open the result."""
        from qa.indexer import IndexConfig, build_index

        config = config if config is not None else IndexConfig()
        target = Path(index_dir) if index_dir is not None else default_index_dir()
        encoder = encoder or load_encoder(model or DEFAULT_MODEL)
        report = build_index(documents, target, encoder, mode=mode, config=config, progress=progress)
        return cls(target, load_index(target), encoder, reader=reader, last_build=report)

    def add_documents(self, documents: Sequence[Document], *, progress: bool = False) -> BuildReport:
        """Add or replace documents in this index (others stay), then serve the updated index."""
        from qa.indexer import build_index

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
        from qa.loaders import load_documents

        return self.add_documents(load_documents(list(paths), on_warning=on_warning), progress=progress)

    def _index_config(self) -> IndexConfig:
        from qa.bm25 import BM25Config
        from qa.indexer import IndexConfig
        from qa.passages import ChunkConfig
        from qa.vectors.base import VectorIndexConfig

        cfg = self.store.manifest.get("config", {})
        return IndexConfig(
            chunk=manifest_config(ChunkConfig, cfg.get("chunk"), self.index_dir),
            vector_index=manifest_config(VectorIndexConfig, cfg.get("vector_index"), self.index_dir),
            bm25=manifest_config(BM25Config, cfg.get("bm25"), self.index_dir),
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
        """The reader `ask` uses unless a call names another (default: ``DEFAULT_READER``)."""
        with self._reader_lock:
            if self._reader is None:
                self._reader = make_reader(DEFAULT_READER, encoder=self.encoder)
            return self._reader

    def warm_up(self) -> QA:
        """Start loading the reader's model in the background (a cold `qa ask` overlaps it with retrieval);
        returns self. A reader without a model to load is left as it is."""
        from qa.readers.base import WarmsUp

        reader = self.reader
        if isinstance(reader, WarmsUp):
            reader.warm_up()
        return self

    def use_reader(self, name: str, **options: Any) -> None:
        """Switch the answer reader by name, options overriding its config; see qa.readers.make_reader."""
        reader = make_reader(name, encoder=self.encoder, **options)
        with self._reader_lock:
            self._reader = reader

    def reader_for(self, reader: Reader | str | None = None) -> Reader:
        """The reader one call uses: this QA's own (None), the given one, or the one of that name.

        A name other than the current reader's makes that reader once (default options) and keeps it, so
        a shared QA (the UI) can answer with another reader without switching everybody's.
        """
        if reader is None:
            return self.reader
        if not isinstance(reader, str):
            return reader
        current = self.reader
        if current.name == reader:
            return current
        with self._reader_lock:
            if reader not in self._named_readers:
                self._named_readers[reader] = make_reader(reader, encoder=self.encoder)
            return self._named_readers[reader]

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

    def read_batch(self, questions: Sequence[str], hits_batch: Sequence[Sequence[Hit]]) -> list[Answer]:
        """Run the reader on each question's given hits (no retrieval); one reader call for the batch."""
        return self.reader.read_batch([check_question(q) for q in questions], hits_batch)

    def answer_batch(
        self,
        questions: Sequence[str],
        hits_batch: Sequence[Sequence[Hit]],
        *,
        mode: Mode = "hybrid",
        filters: Filters | None = None,
        reader: Reader | str | None = None,
    ) -> list[Answer]:
        """Read each question's hits; a reader that seeks other sources (`SourceSeeking`) gets one more
        retrieval with the query it names, and reads the merged hits (what `ask` does after retrieving)."""
        from qa.readers.base import SourceSeeking

        qs = [check_question(q) for q in questions]
        chosen = self.reader_for(reader)
        answers = chosen.read_batch(qs, hits_batch)
        if not isinstance(chosen, SourceSeeking):
            return answers
        todo = [(i, chosen.source_query(qs[i], a)) for i, a in enumerate(answers)]
        todo = [(i, query) for i, query in todo if query]
        if not todo:
            return answers
        found = self.retrieve_batch(
            [query for _, query in todo], k=chosen.max_passages, mode=mode, filters=filters
        )
        merged = [chosen.with_sources(hits_batch[i], more) for (i, _), more in zip(todo, found, strict=True)]
        again = chosen.read_batch([qs[i] for i, _ in todo], merged)
        for (i, _), answer in zip(todo, again, strict=True):
            answers[i] = answer
        return answers

    def _reader_k(self, k: int | None, reader: Reader | None = None) -> int:
        return k if k is not None else (reader or self.reader).max_passages

    def ask(
        self,
        question: str,
        *,
        k: int | None = None,
        mode: Mode = "hybrid",
        filters: Filters | None = None,
        reader: Reader | str | None = None,
        history: Sequence[Any] | None = None,
    ) -> Answer:
        """Retrieve passages and extract a cited answer, or abstain (`answer.text is None`).

        ``k``: passages retrieved and read (None: the reader's ``max_passages``); ``reader``: see
        :meth:`reader_for`; ``history``: the earlier turns, oldest first (``qa.conversation.Turn``s, answer
        objects or dicts with ``question``/``answer``/``understood_as``): a follow-up ("那2023年呢？") is read
        as the standalone question in ``answer.understood_as``. No history: the question is read as it is.
        """
        histories = None if history is None else [history]
        return self.ask_batch(
            [question], k=k, mode=mode, filters=filters, reader=reader, histories=histories
        )[0]

    def ask_batch(
        self,
        questions: Sequence[str],
        *,
        k: int | None = None,
        mode: Mode = "hybrid",
        filters: Filters | None = None,
        reader: Reader | str | None = None,
        histories: Sequence[Sequence[Any] | None] | None = None,
    ) -> list[Answer]:
        """:meth:`ask` for many questions (query encoding is batched, then one reader call); ``histories``:
        one history (or None) per question."""
        qs = [check_question(q) for q in questions]
        read = qs
        if histories is not None:
            from qa.conversation.resolver import default_resolver

            resolutions = default_resolver().resolve_batch(qs, histories)
            read = [check_question(r.understood_as) for r in resolutions]
        chosen = self.reader_for(reader)
        hits = self.retrieve_batch(read, k=self._reader_k(k, chosen), mode=mode, filters=filters)
        answers = self.answer_batch(read, hits, mode=mode, filters=filters, reader=chosen)
        if histories is None:
            return answers
        from dataclasses import replace

        return [replace(a, question=q, understood_as=r) for a, q, r in zip(answers, qs, read, strict=True)]
