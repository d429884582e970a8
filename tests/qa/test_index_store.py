"""Index directory: build, incremental updates, manifest checks, corruption errors, atomic swap, lock."""

from __future__ import annotations

import json
import os
import threading
import time
from pathlib import Path

import numpy as np
import pytest

from embeddings.encoder import FakeEncoder
from qa.errors import QAError
from qa.indexer import IndexConfig, build_index
from qa.retriever import ModelMismatchError, Retriever
from qa.store import (
    MANIFEST,
    PASSAGES,
    IndexCorruptError,
    IndexLockedError,
    IndexNotFoundError,
    IndexWriteError,
    StoredIndex,
    load_index,
    recover,
    write_lock,
)
from qa.types import Document
from qa.vectors.base import VectorIndexConfig

DOCS = [
    Document(
        "a.txt",
        "甲",
        "截至2022年9月，我国已培育了8997家专精特新“小巨人”企业。\n\n北京市是国家级专精特新中小企业数量最多的城市，北京经济技术开发区是聚集地之一。",
        "2022-10-01",
    ),
    Document(
        "b.txt",
        "乙",
        "数据显示，我国已累计培育“小巨人”企业1.2万家。\n\n银河航天灵犀03星成功发射，并进入预定轨道展翅翱翔。",
        "2023-09-01",
    ),
    Document(
        "c.txt",
        "丙",
        "Little giants are small and medium enterprises.\n\nThey focus on niche markets and grow strong.",
        None,
    ),
]


def _vectors(store: StoredIndex) -> np.ndarray:
    """Every stored vector, in passage order (through the vector-store protocol)."""
    return store.vectors.fetch([p.passage_id for p in store.passages])


def _build(target: Path, docs=DOCS, enc=None, **kw):
    enc = enc or FakeEncoder()
    return build_index(docs, target, enc, **kw), enc


@pytest.fixture(params=["faiss", "milvus"])
def backend(request: pytest.FixtureRequest, tmp_path: Path):
    """The index config for a target directory: vectors in FAISS, or in embedded Milvus Lite (a collection
    per index directory), so the same incremental contract is tested on both backends."""
    if request.param == "faiss":
        return lambda target: IndexConfig()
    pytest.importorskip("pymilvus", reason="pymilvus is not installed: pip install 'qa-corpus[milvus]'")
    uri = str(tmp_path / "milvus.db")
    return lambda target: IndexConfig(
        vector_index=VectorIndexConfig(backend="milvus", uri=uri, collection=f"c_{target.name}")
    )


def test_round_trip_keeps_passages_vectors_and_manifest(tmp_path: Path, backend) -> None:
    report, enc = _build(tmp_path / "idx", config=backend(tmp_path / "idx"))
    assert report.written and report.documents == 3 and report.embedded == report.passages
    store = load_index(tmp_path / "idx")
    m = store.manifest
    assert m["format_version"] == 1 and m["model"]["id"] == enc.model_id and m["dimension"] == enc.dim
    assert m["counts"] == {"documents": 3, "passages": len(store.passages), "vectors": len(store.passages)}
    assert m["metric"] == "inner_product" and len(m["corpus_hash"]) == 64 and m["package_version"]
    for p in store.passages:
        doc = next(d for d in DOCS if d.doc_id == p.doc_id)
        assert doc.text[p.start : p.end] == p.text
    np.testing.assert_allclose(
        _vectors(store), enc.encode_passages([p.text for p in store.passages]), atol=1e-6
    )
    assert not any(
        f.name.endswith(".pkl") or f.name.endswith(".pickle") for f in (tmp_path / "idx").rglob("*")
    )


def test_incremental_reindex_embeds_only_new_or_changed_passages(tmp_path: Path, backend) -> None:
    target = tmp_path / "idx"
    enc = FakeEncoder()
    first, _ = _build(target, enc=enc, config=backend(target))
    n0 = enc.n_encoded
    again, _ = _build(target, enc=enc, config=backend(target))
    assert not again.written and again.embedded == 0 and enc.n_encoded == n0  # nothing changed: no embedding

    changed = Document("b.txt", "乙", DOCS[1].text + "\n\n新增一段：高千峰是副总裁。", "2023-09-01")
    added = Document("d.txt", "丁", "全新的文档内容。", None)
    report, _ = _build(target, docs=[DOCS[0], changed, added], enc=enc, config=backend(target))  # c.txt deleted
    assert report.added == ("d.txt",) and report.changed == ("b.txt",) and report.removed == ("c.txt",)
    assert enc.n_encoded - n0 == report.embedded == 2  # the new paragraph of b.txt and d.txt
    store = load_index(target)
    assert sorted({p.doc_id for p in store.passages}) == ["a.txt", "b.txt", "d.txt"]

    # The incremental result equals a fresh full build of the same documents.
    fresh, _ = _build(tmp_path / "fresh", docs=[DOCS[0], changed, added], config=backend(tmp_path / "fresh"))
    other = load_index(tmp_path / "fresh")
    assert [p.to_json() for p in store.passages] == [p.to_json() for p in other.passages]
    np.testing.assert_allclose(_vectors(store), _vectors(other), atol=1e-6)
    assert store.vectors.count() == other.vectors.count() == len(other.passages)
    assert store.manifest["config"]["vector_index"]["backend"] == other.vectors.backend


def test_add_mode_keeps_other_documents(tmp_path: Path, backend) -> None:
    target = tmp_path / "idx"
    _build(target, docs=DOCS[:1], config=backend(target))
    report, _ = _build(target, docs=DOCS[1:2], mode="add", config=backend(target))
    assert report.added == ("b.txt",) and report.removed == ()
    assert sorted(d.doc_id for d in load_index(target).documents) == ["a.txt", "b.txt"]


def test_query_with_another_model_is_a_clear_error(tmp_path: Path) -> None:
    _build(tmp_path / "idx")
    with pytest.raises(ModelMismatchError, match="built with the model"):
        Retriever(load_index(tmp_path / "idx"), FakeEncoder(dim=32))


def test_missing_index_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(IndexNotFoundError, match="qa index"):
        load_index(tmp_path / "nope")


@pytest.mark.parametrize("victim", ["vectors.faiss", PASSAGES, "documents.jsonl", "bm25/vocab.index.json"])
@pytest.mark.parametrize("damage", ["truncate", "flip", "delete"])
def test_damaged_files_fail_with_a_message_naming_the_file(tmp_path: Path, victim: str, damage: str) -> None:
    target = tmp_path / "idx"
    _build(target)
    path = target / victim
    data = path.read_bytes()
    if damage == "truncate":
        path.write_bytes(data[: len(data) // 2])
    elif damage == "flip":
        path.write_bytes(data[:-3] + bytes(b ^ 0xFF for b in data[-3:]))
    else:
        path.unlink()
    with pytest.raises(IndexCorruptError) as info:
        load_index(target)
    assert path.name in str(info.value) and "qa index" in str(info.value)


@pytest.mark.parametrize("content", ["", "{not json", "[]", '{"format_version": 1}'])
def test_damaged_manifest_is_a_clear_error(tmp_path: Path, content: str) -> None:
    target = tmp_path / "idx"
    _build(target)
    (target / MANIFEST).write_text(content)
    with pytest.raises(IndexCorruptError, match="manifest.json"):
        load_index(target)


def test_manifest_format_version_mismatch(tmp_path: Path) -> None:
    target = tmp_path / "idx"
    _build(target)
    m = json.loads((target / MANIFEST).read_text())
    m["format_version"] = 99
    (target / MANIFEST).write_text(json.dumps(m))
    with pytest.raises(IndexCorruptError, match="format 99"):
        load_index(target)


def test_corrupt_existing_index_is_rebuilt_on_next_index_run(tmp_path: Path) -> None:
    target = tmp_path / "idx"
    _build(target)
    (target / "vectors.faiss").write_bytes(b"garbage")
    report, _ = _build(target)
    assert report.written and report.embedded == report.passages
    load_index(target)


def test_failed_build_leaves_previous_index_and_no_temp_dirs(tmp_path: Path) -> None:
    target = tmp_path / "idx"
    _build(target)
    before = (target / MANIFEST).read_text()

    class Boom(FakeEncoder):
        def encode_passages(self, texts, *, show_progress=False):
            raise OSError("disk full")

    with pytest.raises(OSError, match="disk full"):
        build_index([*DOCS, Document("z.txt", "z", "new text here", None)], target, Boom())
    assert (target / MANIFEST).read_text() == before
    load_index(target)
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".idx.tmp")] == []


def test_interrupted_swap_is_recovered_and_stale_temps_cleaned(tmp_path: Path) -> None:
    target = tmp_path / "idx"
    _build(target)
    os.replace(target, tmp_path / ".idx.old-123-abc")  # a crash between the two renames of the fallback path
    (tmp_path / ".idx.tmp-999-dead").mkdir()
    recover(target, clean=True)
    load_index(target)
    assert not list(tmp_path.glob(".idx.old-*"))
    assert not (tmp_path / ".idx.tmp-999-dead").exists()


def test_second_writer_waits_for_the_lock_then_fails_clearly(tmp_path: Path) -> None:
    target = tmp_path / "idx"
    held = threading.Event()
    release = threading.Event()

    def holder() -> None:
        with write_lock(target):
            held.set()
            release.wait(5)

    t = threading.Thread(target=holder)
    t.start()
    held.wait(5)
    try:
        start = time.monotonic()
        with pytest.raises(IndexLockedError, match="another process"), write_lock(target, timeout_s=0.3):
            pass
        assert time.monotonic() - start >= 0.3
    finally:
        release.set()
        t.join()
    with write_lock(target, timeout_s=1):  # free again
        pass


def test_duplicate_doc_ids_rejected(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="share the id"):
        build_index([DOCS[0], DOCS[0]], tmp_path / "idx", FakeEncoder())


def test_large_index_tier_ivf_round_trips_and_updates_like_a_fresh_build(tmp_path: Path) -> None:
    from qa.indexer import IndexConfig
    from qa.vectors.base import VectorIndexConfig

    docs = [Document(f"n{i:03d}.txt", f"第{i}号", f"第{i}号公告：企业{i}获评专精特新，营收{i * 7}亿元。", None)
            for i in range(80)]
    config = IndexConfig(vector_index=VectorIndexConfig(ann_threshold=10, ivf_threshold=40, ivf_nlist=4))
    target = tmp_path / "idx"
    _build(target, docs=docs[:60], config=config)
    store = load_index(target)
    assert store.vectors.kind == "ivf" and store.manifest["vector_index"] == "ivf"
    hits = Retriever(store, FakeEncoder()).retrieve_batch(["第7号公告"], k=3, mode="dense")[0]
    assert hits and hits[0].passage.doc_id == "n007.txt"
    _build(target, docs=docs[20:], config=config)  # 20 removed, 20 added, 40 reused from fp16 storage
    _build(tmp_path / "fresh", docs=docs[20:], config=config)
    a, b = load_index(target), load_index(tmp_path / "fresh")
    assert [p.to_json() for p in a.passages] == [p.to_json() for p in b.passages]
    np.testing.assert_array_equal(_vectors(a), _vectors(b))


def test_manifest_config_from_another_version_says_re_index(tmp_path: Path) -> None:
    target = tmp_path / "idx"
    _build(target)
    m = json.loads((target / MANIFEST).read_text())
    assert m["config"]["vector_index"]["backend"] == "faiss"
    del m["config"]["vector_index"]["backend"]  # written before the backend field existed: still loads
    (target / MANIFEST).write_text(json.dumps(m))
    assert load_index(target).vectors.backend == "faiss"
    m["config"]["vector_index"]["hnsw_links"] = 16  # a field this version does not know
    (target / MANIFEST).write_text(json.dumps(m))
    with pytest.raises(IndexCorruptError, match="unknown field.*hnsw_links.*another version.*qa index"):
        load_index(target)
    m["config"]["vector_index"] = {"backend": "nope"}
    (target / MANIFEST).write_text(json.dumps(m))
    with pytest.raises(IndexCorruptError, match="unknown vector backend 'nope'.*qa index"):
        load_index(target)


def test_write_failures_are_index_write_errors(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    target = tmp_path / "idx"
    _build(target)

    def full(*_a: object, **_k: object) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr("qa.vectors.faiss.FaissIndex.save", full)
    with pytest.raises(IndexWriteError, match="No space left on device.*previous index is unchanged") as info:
        _build(target, docs=DOCS[:2])
    assert isinstance(info.value, OSError) and isinstance(info.value, QAError)
    monkeypatch.undo()
    assert load_index(target).manifest["counts"]["documents"] == 3
