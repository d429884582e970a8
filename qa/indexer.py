"""Build or update an index directory: split documents, embed only new passages, write atomically."""

from __future__ import annotations

import hashlib
import logging
from collections import Counter
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Literal

import numpy as np

from embeddings.base import Encoder
from qa.bm25 import BM25Config, BM25Index
from qa.errors import InputError
from qa.filetypes import supported_list
from qa.passages import ChunkConfig, split_document
from qa.store import (
    MANIFEST,
    DocumentInfo,
    IndexCorruptError,
    StoredIndex,
    corpus_hash,
    default_configs,
    load_index,
    manifest_config,
    recover,
    text_hash,
    write_index,
    write_lock,
)
from qa.types import Document, Passage
from qa.vectors.base import VectorIndexConfig, VectorStore
from qa.vectors.factory import create_store

log = logging.getLogger("qa")

UpdateMode = Literal["sync", "add"]


@dataclass(frozen=True)
class IndexConfig:
    """How an index is built; saved in its manifest."""

    chunk: ChunkConfig = field(default_factory=ChunkConfig)
    vector_index: VectorIndexConfig = field(default_factory=VectorIndexConfig)
    bm25: BM25Config = field(default_factory=BM25Config)
    lock_timeout_s: float = 600.0


@dataclass(frozen=True)
class BuildReport:
    """What an index run did: counts for the CLI and for tests of incremental behaviour."""

    index_dir: Path
    documents: int
    passages: int
    embedded: int  # passages whose vectors were computed in this run
    reused: int  # passages whose vectors came from the previous index
    added: tuple[str, ...]
    changed: tuple[str, ...]
    removed: tuple[str, ...]
    written: bool  # False when nothing changed and the index was left untouched


def _doc_hash(doc: Document) -> str:
    h = hashlib.sha256()
    for part in (doc.text, doc.title, doc.date or "", doc.source):
        h.update(part.encode("utf-8") + b"\0")
    return h.hexdigest()


def _chunk_fingerprint(config: ChunkConfig) -> str:
    return hashlib.sha256(repr(sorted(asdict(config).items())).encode()).hexdigest()[:16]


def _check_target(target: Path, config: VectorIndexConfig) -> None:
    """Refuse to replace something that is not an index: a file, or a non-empty folder without a manifest;
    and a local database (Milvus Lite) inside the index directory, which an atomic update would delete."""
    if config.uri and "://" not in config.uri:
        db = Path(config.uri).absolute()
        if db == target.absolute() or target.absolute() in db.parents:
            raise InputError(
                f"the vector database {db} is inside the index directory {target}, which each update "
                f"replaces: put it beside the index (e.g. --uri {target}.milvus.db)"
            )
    if target.exists() and not target.is_dir():
        raise InputError(f"{target} is a file, not an index directory: choose another --index path")
    if target.is_dir() and not (target / MANIFEST).exists() and any(target.iterdir()):
        raise InputError(
            f"refusing to write an index into {target}: the folder is not empty and holds no index "
            f"({MANIFEST} is missing); choose a new or empty --index directory"
        )


def _previous(target: Path) -> StoredIndex | None:
    if not target.exists():
        return None
    try:
        return load_index(target)
    except IndexCorruptError as exc:
        log.warning("the existing index is unusable (%s); building it again from scratch", exc)
        return None


def _same_vector_config(prev: StoredIndex | None, config: VectorIndexConfig, target: Path) -> bool:
    """Whether the previous index was built with this vector config (backend, URI, collection, tiers)."""
    if prev is None:
        return False
    saved = manifest_config(VectorIndexConfig, prev.manifest.get("config", {}).get("vector_index"), target)
    return saved == config


def _updated_store(
    prev: StoredIndex | None, same_model: bool, config: VectorIndexConfig, encoder: Encoder, target: Path
) -> VectorStore | None:
    """The previous index's vector store, to update in place, when it holds this model's vectors under the
    same vector config; None when a new store must be built."""
    if prev is None or not same_model or prev.vectors.dim != encoder.dim:
        return None
    return prev.vectors if _same_vector_config(prev, config, target) else None


def build_index(
    documents: Sequence[Document],
    target: Path,
    encoder: Encoder,
    *,
    mode: UpdateMode = "sync",
    config: IndexConfig = IndexConfig(),
    progress: bool = False,
) -> BuildReport:
    """Index `documents` at `target`.

    mode="sync": the index holds exactly these documents afterwards (deleted ones are dropped).
    mode="add": these documents are added or replaced; the others already indexed stay.
    Passages whose text is unchanged reuse their stored vectors, so re-indexing embeds only what is new.
    """
    target = Path(target)
    dupes = sorted(i for i, n in Counter(d.doc_id for d in documents).items() if n > 1)
    if dupes:
        raise InputError(
            f"two documents share the id {dupes[0]!r}; index them from separate --index dirs or rename one"
        )
    if not documents:
        raise InputError("nothing to index: no readable document was found in the given paths "
                         f"(supported: {supported_list()})")
    with write_lock(target, timeout_s=config.lock_timeout_s):
        recover(target, clean=True)
        _check_target(target, config.vector_index)
        prev = _previous(target)
        chunk_fp = _chunk_fingerprint(config.chunk)
        same_model = prev is not None and prev.model_fingerprint == encoder.fingerprint
        same_chunking = (
            prev is not None and prev.manifest.get("config", {}).get("chunk_fingerprint") == chunk_fp
        )
        prev_docs = {d.doc_id: d for d in prev.documents} if prev else {}

        # Passages of previous documents, grouped, for the "add" mode and for unchanged documents.
        prev_passages: dict[str, list[tuple[Passage, str]]] = {}
        prev_by_hash: dict[str, str] = {}  # passage text hash -> the first previous passage id with it
        if prev is not None:
            for p, h in zip(prev.passages, prev.passage_hashes, strict=True):
                prev_passages.setdefault(p.doc_id, []).append((p, h))
                prev_by_hash.setdefault(h, p.passage_id)

        new_docs = {d.doc_id: d for d in documents}
        if mode == "add":
            keep_ids = set(prev_docs) | set(new_docs)
        elif mode == "sync":
            keep_ids = set(new_docs)
        else:
            raise InputError(f"unknown update mode {mode!r}: use 'sync' or 'add'")

        infos: list[DocumentInfo] = []
        passages: list[Passage] = []
        hashes: list[str] = []
        added, changed = [], []
        rewritten: list[str] = []  # documents whose passages were split anew (their vectors are upserted)
        for doc_id in sorted(keep_ids):
            doc = new_docs.get(doc_id)
            old = prev_docs.get(doc_id)
            if doc is None and old is not None:  # kept from the previous index ("add" mode)
                infos.append(old)
                for p, h in prev_passages.get(doc_id, []):
                    passages.append(p)
                    hashes.append(h)
                continue
            if doc is None:
                continue
            dh = _doc_hash(doc)
            if old is None:
                added.append(doc_id)
            elif old.content_hash != dh:
                changed.append(doc_id)
            if old is not None and old.content_hash == dh and same_chunking:
                doc_passages = [p for p, _ in prev_passages.get(doc_id, [])]
                doc_hashes = [h for _, h in prev_passages.get(doc_id, [])]
            else:
                doc_passages = split_document(doc, config.chunk)
                doc_hashes = [text_hash(p.text) for p in doc_passages]
                rewritten.append(doc_id)
            infos.append(
                DocumentInfo(
                    doc.doc_id, doc.title, doc.date, doc.source, dh, len(doc_passages), dict(doc.metadata)
                )
            )
            passages.extend(doc_passages)
            hashes.extend(doc_hashes)
        removed = sorted(set(prev_docs) - keep_ids)

        unchanged = (
            prev is not None
            and same_model
            and same_chunking
            and corpus_hash(infos) == prev.manifest.get("corpus_hash")
            and len(passages) == len(prev.passages)
            and _same_vector_config(prev, config.vector_index, target)  # e.g. a move to another backend
        )
        if unchanged:
            return BuildReport(target, len(infos), len(passages), 0, len(passages), (), (), (), False)

        # Vectors: reuse by passage-text hash when the model is the same, embed the rest once each.
        reusable = prev_by_hash if (prev is not None and same_model) else {}
        need = sorted({h for h in hashes if h not in reusable})
        text_of = {h: p.text for p, h in zip(passages, hashes, strict=True)}
        fresh = encoder.encode_passages([text_of[h] for h in need], show_progress=progress) if need else None
        fresh_row = {h: i for i, h in enumerate(need)}
        vectors = _updated_store(prev, same_model, config.vector_index, encoder, target)
        in_place = vectors is not None
        if vectors is None:  # a new store: every passage goes in
            vectors = create_store(config.vector_index, encoder.dim, encoder.fingerprint)
        renew = set(rewritten) if in_place else keep_ids
        upsert = [i for i, p in enumerate(passages) if p.doc_id in renew]
        reused_hashes = sorted({hashes[i] for i in upsert if hashes[i] not in fresh_row})
        reused = (
            prev.vectors.fetch([reusable[h] for h in reused_hashes])
            if prev is not None and reused_hashes
            else np.zeros((0, encoder.dim), np.float32)
        )
        reused_row = {h: i for i, h in enumerate(reused_hashes)}
        matrix = np.empty((len(upsert), encoder.dim), dtype=np.float32)
        for j, i in enumerate(upsert):
            h = hashes[i]
            matrix[j] = fresh[fresh_row[h]] if h in fresh_row else reused[reused_row[h]]  # type: ignore[index]
        if in_place:  # drop removed documents and the old passages of rewritten ones, then add the new
            vectors.delete_documents(sorted(set(removed) | (set(rewritten) & set(prev_docs))))
        vectors.upsert([passages[i] for i in upsert], matrix)
        bm25 = BM25Index.build([p.text for p in passages], config.bm25)
        configs = default_configs(
            config.vector_index, config.bm25, chunk=asdict(config.chunk), chunk_fingerprint=chunk_fp
        )
        write_index(
            target,
            documents=infos,
            passages=passages,
            passage_hashes=hashes,
            vectors=vectors,
            bm25=bm25,
            model_id=encoder.model_id,
            model_fingerprint=encoder.fingerprint,
            configs=configs,
        )
        n_fresh_rows = sum(1 for h in hashes if h in fresh_row)
        return BuildReport(
            target,
            len(infos),
            len(passages),
            len(need),
            len(passages) - n_fresh_rows,
            tuple(added),
            tuple(changed),
            tuple(removed),
            True,
        )
