"""Milvus vector store on embedded Milvus Lite (in tmp_path): the vector-store protocol, server-side BM25 and
hybrid search, filters as expressions, schema/model checks, the retriever's modes, the CLI, jieba isolation,
and a Lite server killed mid-index. With $QA_MILVUS_URI set the store tests also run against that server."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest

from embeddings.encoder import FakeEncoder
from qa.errors import InputError, MissingDependencyError, QAError
from qa.indexer import IndexConfig, build_index
from qa.retriever import Retriever
from qa.store import IndexCorruptError, load_index
from qa.types import Document, Filters, Passage
from qa.vectors.base import TextSearch, VectorIndexConfig, VectorStore, VectorStoreError, clean_uri
from qa.vectors.factory import backend_class, create_store
from qa.vectors.milvus import POINTER_FILE, SCHEMA_VERSION, MilvusStore, filter_expression, quote

REPO = Path(__file__).resolve().parents[3]
MISSING = "pymilvus/milvus-lite are not installed: pip install 'qa-corpus[milvus]'"


def _need_milvus() -> None:
    pytest.importorskip("pymilvus", reason=MISSING)
    pytest.importorskip("milvus_lite", reason=MISSING)


def _unit(n: int, d: int, seed: int) -> np.ndarray:
    x = np.random.default_rng(seed).standard_normal((n, d)).astype(np.float32)
    return x / np.linalg.norm(x, axis=1, keepdims=True)


def _passages(doc_id: str, n: int, date: str | None = None, words: str = "") -> list[Passage]:
    return [
        Passage(f"{doc_id}#{i}", doc_id, i, 0, 1, f"{words or doc_id} 第{i}段", title=f"标题{doc_id}", date=date)
        for i in range(n)
    ]


# ------------------------------------------------------------------ where the store tests run


@pytest.fixture(scope="module")
def lite_uri(tmp_path_factory: pytest.TempPathFactory) -> str:
    """One embedded Milvus Lite database for the module (each test uses its own collection)."""
    _need_milvus()
    return str(tmp_path_factory.mktemp("lite") / "milvus.db")


@pytest.fixture(params=["lite", "server"])
def milvus(request: pytest.FixtureRequest, lite_uri: str) -> VectorIndexConfig:
    """A Milvus config with a collection of this test's own: on Lite, and on $QA_MILVUS_URI when set."""
    name = "t_" + "".join(ch if ch.isalnum() else "_" for ch in request.node.name)[:60]
    if request.param == "lite":
        return VectorIndexConfig(backend="milvus", uri=lite_uri, collection=name)
    uri = os.environ.get("QA_MILVUS_URI")
    if not uri:
        pytest.skip("set QA_MILVUS_URI=http://HOST:19530 (and QA_MILVUS_TOKEN) to run against a real server")
    return VectorIndexConfig(backend="milvus", uri=uri, collection=name)


def _store(config: VectorIndexConfig, *docs: tuple[str, int, str | None], dim: int = 8, seed: int = 20):
    store = create_store(config, dim, "fp")
    passages = [p for doc_id, n, date in docs for p in _passages(doc_id, n, date)]
    store.upsert(passages, _unit(len(passages), dim, seed))
    return store, passages


# ------------------------------------------------------------------ the store protocol


def test_store_is_a_text_searching_vector_store_and_searches_by_passage_id(milvus) -> None:
    store, passages = _store(milvus, ("a", 3, "2022-01-05"), ("b", 2, None))
    assert isinstance(store, MilvusStore) and backend_class("milvus") is MilvusStore
    assert isinstance(store, VectorStore) and isinstance(store, TextSearch)
    assert store.backend == "milvus" and store.count() == 5 and store.dim == 8 and store.fingerprint == "fp"
    x = store.fetch([p.passage_id for p in passages])
    np.testing.assert_allclose(x, _unit(5, 8, 20), atol=1e-6)
    (hits,) = store.search_batch(x[3:4], 5)
    assert hits[0] == ("b#0", pytest.approx(1.0, abs=1e-5)) and len(hits) == 5
    assert hits == sorted(hits, key=lambda h: (-h[1], h[0]))
    np.testing.assert_array_equal(store.fetch(["b#1", "a#0"]), x[[4, 0]])
    with pytest.raises(KeyError, match="zz#0"):
        store.fetch(["a#0", "zz#0"])


def test_store_ties_are_ordered_by_passage_id(milvus) -> None:
    store = create_store(milvus, 4, "fp")
    same = np.tile(_unit(1, 4, 1), (3, 1))
    store.upsert(_passages("z", 1) + _passages("c", 1) + _passages("m", 1), same)
    (hits,) = store.search_batch(same[:1], 3)
    assert [pid for pid, _ in hits] == ["c#0", "m#0", "z#0"] and len({s for _, s in hits}) == 1


def test_store_filters_are_pushed_down_as_expressions(milvus) -> None:
    odd = 'q"u\\o\nte.txt'  # a document id that needs escaping inside an expression
    store, _ = _store(milvus, ("a", 3, "2022-01-05"), ("b", 2, None), ("c", 4, "2023-06-30T08:00:00"), (odd, 1, None))
    q = _unit(2, 8, 21)
    by_doc = store.search_batch(q, 20, Filters(doc_ids=frozenset({"b", "zz"})))
    assert all({pid.split("#")[0] for pid, _ in hits} == {"b"} and len(hits) == 2 for hits in by_doc)
    assert [pid for pid, _ in store.search_batch(q, 20, Filters(doc_ids=frozenset({odd})))[0]] == [f"{odd}#0"]
    dated = store.search_batch(q, 20, Filters(date_from="2022-06-01"))
    assert all({pid.split("#")[0] for pid, _ in hits} == {"c"} for hits in dated)
    up_to = store.search_batch(q, 20, Filters(date_to="2023-06-30"))  # day precision, undated excluded
    assert all(len(hits) == 7 and not any(pid.startswith(("b#", odd)) for pid, _ in hits) for hits in up_to)
    assert store.search_batch(q, 10, Filters(doc_ids=frozenset({"b"}), date_to="2030-01-01")) == [[], []]
    assert store.search_batch(q, 10, Filters(doc_ids=frozenset())) == [[], []]
    assert all(len(hits) == 10 for hits in store.search_batch(q, 10, None))


def test_text_and_hybrid_search_run_in_the_engine(milvus) -> None:
    store = create_store(milvus, 8, "fp")
    texts = {"a#0": "北京市是专精特新企业最多的城市", "a#1": "银河航天卫星成功发射", "b#0": "数字化转型需要资金支持"}
    passages = [Passage(pid, pid[0], 0, 0, 1, t, date="2022-01-01" if pid[0] == "a" else None)
                for pid, t in texts.items()]
    store.upsert(passages, _unit(3, 8, 3))
    (bm25,) = store.search_text_batch(["银河航天"], 10)
    assert [pid for pid, _ in bm25] == ["a#1"] and bm25[0][1] > 0
    undated_out, beijing = store.search_text_batch(["数字化", "北京"], 10, Filters(date_from="2021-01-01"))
    assert undated_out == [] and [pid for pid, _ in beijing] == ["a#0"]  # b#0 is undated: filtered out
    q = store.fetch(["b#0"])
    (fused,) = store.hybrid_search_batch(q, ["数字化转型"], 3, rrf_k=60)
    assert fused[0][0] == "b#0" and fused[0][1] == pytest.approx(2 / 61) and fused[0][2] == pytest.approx(1.0, abs=1e-5)
    assert [h[0] for h in fused] == [h[0] for h in sorted(fused, key=lambda h: (-h[1], h[0]))]
    (only_a,) = store.hybrid_search_batch(q, ["数字化转型"], 3, Filters(doc_ids=frozenset({"a"})))
    assert {pid for pid, *_ in only_a} <= {"a#0", "a#1"} and only_a


def test_store_update_equals_a_fresh_build_and_survives_save_and_open(milvus, tmp_path: Path) -> None:
    store, passages = _store(milvus, ("a", 3, None), ("b", 2, None), ("c", 2, None))
    old = dict(zip([p.passage_id for p in passages], store.fetch([p.passage_id for p in passages]), strict=True))
    assert store.delete_documents(["b", "nope"]) == 2 and store.count() == 5
    new_b = _passages("b", 3)
    new_vectors = _unit(3, 8, 22)
    store.upsert(new_b, new_vectors)
    order = [*_passages("a", 3), *new_b, *_passages("c", 2)]
    fresh_config = VectorIndexConfig(backend="milvus", uri=milvus.uri, collection=milvus.collection + "_fresh")
    fresh = create_store(fresh_config, 8, "fp")
    fresh.upsert(order, np.stack([old[p.passage_id] if p.doc_id != "b" else new_vectors[p.paragraph] for p in order]))
    ids = [p.passage_id for p in order]
    np.testing.assert_array_equal(store.fetch(ids), fresh.fetch(ids))
    files = store.save(tmp_path)
    assert [f.name for f in files] == [POINTER_FILE]
    pointer = json.loads(files[0].read_text())
    assert pointer["collection"] == milvus.collection and pointer["schema_version"] == SCHEMA_VERSION
    back = MilvusStore.open(tmp_path, milvus, passages=order, fingerprint="fp")
    q = _unit(3, 8, 23)
    results = [s.search_batch(q, 4) for s in (back, store, fresh)]  # equal up to float rounding
    assert [[pid for pid, _ in hits] for hits in results[0]] == [[pid for pid, _ in hits] for hits in results[2]]
    for found in results[1:]:
        np.testing.assert_allclose([[s for _, s in hits] for hits in found], [[s for _, s in hits] for hits in results[0]],
                                   atol=1e-5)
    assert back.count() == 8 and back.kind == "milvus-hnsw"


def test_open_refuses_another_model_a_missing_collection_or_a_half_finished_update(milvus, tmp_path: Path) -> None:
    store, passages = _store(milvus, ("a", 3, None))
    store.save(tmp_path)
    with pytest.raises(VectorStoreError, match="another model"):
        MilvusStore.open(tmp_path, milvus, passages=passages, fingerprint="other")
    with pytest.raises(VectorStoreError, match="holds 3 passages but the index has 2.*interrupted"):
        MilvusStore.open(tmp_path, milvus, passages=passages[:2], fingerprint="fp")
    gone = VectorIndexConfig(backend="milvus", uri=milvus.uri, collection=milvus.collection + "_gone")
    with pytest.raises(VectorStoreError, match="does not exist"):
        MilvusStore.open(tmp_path, gone, passages=passages, fingerprint="fp")


def test_a_collection_with_another_schema_is_refused_and_not_dropped(milvus, tmp_path: Path) -> None:
    from pymilvus import DataType, MilvusClient

    client = MilvusClient(uri=milvus.uri, token=os.environ.get("QA_MILVUS_TOKEN", ""))
    if client.has_collection(milvus.collection):  # left by an earlier run on a real server
        client.drop_collection(milvus.collection)
    schema = MilvusClient.create_schema(auto_id=False)
    schema.add_field("pk", DataType.VARCHAR, is_primary=True, max_length=64)
    schema.add_field("vec", DataType.FLOAT_VECTOR, dim=8)
    client.create_collection(milvus.collection, schema=schema)
    (tmp_path / POINTER_FILE).write_text(json.dumps({"dimension": 8}))
    with pytest.raises(VectorStoreError, match="no qa-corpus schema version"):
        MilvusStore.open(tmp_path, milvus, passages=[], fingerprint="fp")
    store = create_store(milvus, 8, "fp")
    with pytest.raises(VectorStoreError, match="not created by qa-corpus"):
        store.upsert(_passages("a", 1), _unit(1, 8, 0))
    assert client.has_collection(milvus.collection)
    # our own collection with another dimension: the schema check names the fields and the dimension
    ours, passages = _store(VectorIndexConfig(backend="milvus", uri=milvus.uri, collection=milvus.collection + "_4d"),
                            ("a", 1, None), dim=4)
    ours.save(tmp_path)
    (tmp_path / POINTER_FILE).write_text(json.dumps({"dimension": 8}))
    with pytest.raises(VectorStoreError, match="expected fields.*8-d vectors"):
        MilvusStore.open(tmp_path, VectorIndexConfig(backend="milvus", uri=milvus.uri,
                                                     collection=milvus.collection + "_4d"),
                         passages=passages, fingerprint="fp")


# ------------------------------------------------------------------ expressions, config, missing dependency


def test_filter_expressions_quote_and_cover_every_filter() -> None:
    assert quote('a"b\\c\nd') == '"a\\"b\\\\c\\nd"'
    assert filter_expression(None) == "" and filter_expression(Filters()) == ""
    assert filter_expression(Filters(doc_ids=frozenset())) is None
    assert filter_expression(Filters(doc_ids=frozenset({"b", 'a"'}), date_from="2022-01-01T00:00")) == (
        'doc_id in ["a\\"", "b"] and date != "" and date >= "2022-01-01"'
    )
    assert filter_expression(Filters(date_to="2023-12-31")) == 'date != "" and date <= "2023-12-31"'


def test_uri_is_saved_without_secrets_and_lite_paths_become_absolute(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.chdir(tmp_path)
    assert VectorIndexConfig(backend="milvus", uri="data/x.db").uri == str(tmp_path / "data" / "x.db")
    assert clean_uri(" http://milvus:19530 ") == "http://milvus:19530"
    for secret in ("http://root:Milvus@host:19530", "https://host:19530?token=abc"):
        with pytest.raises(InputError, match="QA_MILVUS_TOKEN"):
            VectorIndexConfig(backend="milvus", uri=secret)
    with pytest.raises(InputError, match="neither a server address"):
        VectorIndexConfig(backend="milvus", uri="somewhere")
    with pytest.raises(InputError, match="collection name"):
        VectorIndexConfig(backend="milvus", uri="x.db", collection="bad-name")
    with pytest.raises(InputError, match="needs a URI"):
        MilvusStore.create(VectorIndexConfig(backend="milvus"), 8, "fp")


def test_a_lite_database_inside_the_index_directory_is_refused(tmp_path: Path) -> None:
    config = IndexConfig(vector_index=VectorIndexConfig(backend="milvus", uri=str(tmp_path / "idx" / "m.db")))
    with pytest.raises(InputError, match="inside the index directory"):
        build_index(DOCS, tmp_path / "idx", FakeEncoder(), config=config)


def test_without_pymilvus_the_error_says_what_to_install(tmp_path: Path, monkeypatch, capsys) -> None:
    from qa.cli import main

    monkeypatch.setitem(sys.modules, "pymilvus", None)  # import pymilvus -> ImportError
    with pytest.raises(MissingDependencyError, match=r"pip install 'qa-corpus\[milvus\]'"):
        MilvusStore.create(VectorIndexConfig(backend="milvus", uri=str(tmp_path / "m.db")), 8, "fp")
    corpus = tmp_path / "c"
    corpus.mkdir()
    (corpus / "a.txt").write_text("北京市是专精特新企业最多的城市。", encoding="utf-8")
    argv = ["index", str(corpus), "--index", str(tmp_path / "idx"), "--model", "fake", "-q",
            "--backend", "milvus", "--uri", str(tmp_path / "m.db")]
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert err.startswith("error:") and "pip install 'qa-corpus[milvus]'" in err and "Traceback" not in err


# ------------------------------------------------------------------ index, retriever and CLI through Milvus

DOCS = [
    Document("a.txt", "甲", "截至2022年9月，我国已培育了8997家专精特新小巨人企业。\n\n"
             "北京市是国家级专精特新中小企业数量最多的城市，北京经济技术开发区是聚集地之一。", "2022-10-01"),
    Document("b.txt", "乙", "数据显示，我国已累计培育小巨人企业1.2万家。\n\n银河航天灵犀03星成功发射，并进入预定轨道展翅翱翔。",
             "2023-09-01"),
    Document("c.txt", "丙", "磁铁在手机里很常见，但你平时感受不到它的存在。\n\n数字化转型需要资金支持，也需要人才和平台。", None),
    Document("d.txt", "丁", "相同的句子。", None),
    Document("e.txt", "戊", "相同的句子。", None),
]


@pytest.fixture(scope="module")
def milvus_retriever(lite_uri: str, tmp_path_factory: pytest.TempPathFactory) -> Retriever:
    target = tmp_path_factory.mktemp("mr") / "idx"
    enc = FakeEncoder()
    config = IndexConfig(vector_index=VectorIndexConfig(backend="milvus", uri=lite_uri, collection="retriever"))
    build_index(DOCS, target, enc, config=config)
    return Retriever(load_index(target), enc)


@pytest.mark.parametrize("mode", ["dense", "bm25", "hybrid"])
def test_each_mode_finds_the_matching_passage_first_through_milvus(milvus_retriever: Retriever, mode: str) -> None:
    hits = milvus_retriever.retrieve_batch(["哪个城市的专精特新企业数量最多？"], k=3, mode=mode)[0]
    assert hits[0].passage.text == "北京市是国家级专精特新中小企业数量最多的城市，北京经济技术开发区是聚集地之一。"
    assert [h.rank for h in hits] == [1, 2, 3]
    assert all(hits[i].score >= hits[i + 1].score for i in range(len(hits) - 1))
    if mode == "hybrid":  # RRF(60) in the engine; the dense similarity is carried for the reader
        assert hits[0].score == pytest.approx(2 / 61) and hits[0].dense_score is not None
    if mode == "bm25":
        assert hits[0].bm25_score == hits[0].score > 0


def test_milvus_modes_filter_break_ties_and_batch_like_single(milvus_retriever: Retriever) -> None:
    r = milvus_retriever
    for mode in ("dense", "bm25", "hybrid"):
        hits = r.retrieve_batch(["相同的句子"], k=2, mode=mode)[0]
        if mode == "hybrid":  # Milvus's RRF gives tied candidates consecutive ranks: fused scores differ
            assert {h.passage_id for h in hits} == {"d.txt#0", "e.txt#0"} and hits[0].score > hits[1].score
        else:
            assert [h.passage_id for h in hits] == ["d.txt#0", "e.txt#0"] and hits[0].score == hits[1].score
        f = Filters(doc_ids=frozenset({"b.txt"}))
        assert {h.doc_id for h in r.retrieve_batch(["小巨人企业有多少家"], k=5, mode=mode, filters=f)[0]} == {"b.txt"}
        dated = r.retrieve_batch(["小巨人企业"], k=10, mode=mode, filters=Filters(date_from="2023-01-01"))[0]
        assert dated and {h.doc_id for h in dated} == {"b.txt"}
        qs = ["小巨人企业有多少家", "数字化转型", "北京"]
        batch = r.retrieve_batch(qs, k=4, mode=mode)
        assert batch == [r.retrieve_batch([q], k=4, mode=mode)[0] for q in qs]
    assert r.retrieve_batch(["磁铁"], k=10, mode="bm25")[0][0].doc_id == "c.txt"


def test_an_english_question_unknown_to_bm25_gets_the_dense_ranking(milvus_retriever: Retriever) -> None:
    q = "Which magnet firms grow?"
    assert milvus_retriever.bm25_weight(q) == 0
    hybrid = milvus_retriever.retrieve_batch([q], k=3, mode="hybrid")[0]
    dense = milvus_retriever.retrieve_batch([q], k=3, mode="dense")[0]
    assert [h.passage_id for h in hybrid] == [h.passage_id for h in dense]
    assert hybrid[0].score == pytest.approx(1 / 61) and hybrid[0].dense_score == dense[0].score == dense[0].dense_score


def test_lite_jieba_leaves_our_tokenization_alone(milvus_retriever: Retriever) -> None:
    """Lite's jieba analyzer runs in this process on jieba's global dictionary: using it must not change it."""
    import jieba

    from qa.tokenize import jieba_tokenizer, tokenize

    text = "北京经济技术开发区培育了银河航天灵犀03星等专精特新小巨人企业"
    before = (tokenize(text), len(jieba_tokenizer().FREQ), dict(jieba.dt.user_word_tag_tab))
    milvus_retriever.retrieve_batch(["北京经济技术开发区的小巨人", "银河航天灵犀03星"], k=3, mode="hybrid")
    assert (tokenize(text), len(jieba_tokenizer().FREQ), dict(jieba.dt.user_word_tag_tab)) == before


def _corpus(root: Path, docs: dict[str, str]) -> Path:
    root.mkdir(parents=True, exist_ok=True)
    for old in root.glob("*.txt"):
        old.unlink()
    for name, text in docs.items():
        (root / name).write_text(text, encoding="utf-8")
    return root


def test_cli_index_with_milvus_then_search_and_update_without_flags(tmp_path: Path, capsys, monkeypatch) -> None:
    from qa.cli import main

    _need_milvus()
    monkeypatch.chdir(tmp_path)
    corpus = _corpus(tmp_path / "c", {"a.txt": "北京市是国家级专精特新中小企业数量最多的城市。",
                                     "b.txt": "银河航天灵犀03星成功发射。", "c.txt": "磁铁在手机里很常见。"})
    idx = tmp_path / "idx"
    base = ["index", str(corpus), "--index", str(idx), "--model", "fake", "-q"]
    assert main([*base, "--backend", "milvus", "--uri", "lite.db"]) == 0  # relative: made absolute
    assert "indexed 3 documents" in capsys.readouterr().out
    assert main(["info", "--index", str(idx)]) == 0
    manifest = json.loads(capsys.readouterr().out)
    vi = manifest["config"]["vector_index"]
    assert vi["backend"] == "milvus" and vi["uri"] == str(tmp_path / "lite.db") and vi["collection"].startswith("qa_idx_")
    assert manifest["vector_index"] == "milvus-hnsw" and POINTER_FILE in manifest["files"]
    for mode in ("dense", "bm25", "hybrid"):
        assert main(["search", "银河航天", "--index", str(idx), "--json", "-k", "1", "--mode", mode]) == 0
        assert json.loads(capsys.readouterr().out)["hits"][0]["doc_id"] == "b.txt"
    _corpus(corpus, {"a.txt": "北京市是国家级专精特新中小企业数量最多的城市。\n\n新增一段：北京经开区。",
                     "b.txt": "银河航天灵犀03星成功发射。", "d.txt": "全新的文档内容。"})
    assert main(base) == 0  # no backend flags: the index keeps Milvus
    assert "added 1, changed 1, removed 1" in capsys.readouterr().out
    store = load_index(idx)
    assert isinstance(store.vectors, MilvusStore) and store.vectors.count() == len(store.passages)
    assert sorted({p.doc_id for p in store.passages}) == ["a.txt", "b.txt", "d.txt"]
    assert main(["search", "全新的文档", "--index", str(idx), "--json", "-k", "1"]) == 0
    assert json.loads(capsys.readouterr().out)["hits"][0]["doc_id"] == "d.txt"
    assert main([*base, "--backend", "faiss"]) == 0  # back to the local store: a full local build
    assert load_index(idx).vectors.backend == "faiss"
    capsys.readouterr()
    assert main([*base, "--uri", "x.db"]) == 2
    assert "--uri and --collection are for a server-side backend" in capsys.readouterr().err


# ------------------------------------------------------------------ faults: a Lite server killed mid-index


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class LiteServer:
    """`milvus-lite server` as a child process on a fixed data dir and port, to kill and restart."""

    def __init__(self, data_dir: Path, log: Path) -> None:
        self.data_dir, self.log, self.port = data_dir, log, _free_port()
        self.proc: subprocess.Popen[bytes] | None = None

    @property
    def uri(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> None:
        exe = Path(sys.executable).with_name("milvus-lite")
        with self.log.open("ab") as log:
            self.proc = subprocess.Popen(
                [str(exe), "server", "--data-dir", str(self.data_dir), "--host", "127.0.0.1", "--port", str(self.port)],
                stdout=log, stderr=subprocess.STDOUT,
            )
        deadline = time.monotonic() + 120
        while True:  # ready when it accepts connections
            if self.proc.poll() is not None:
                pytest.fail(f"milvus-lite server exited: {self.log.read_text(errors='replace')[-2000:]}")
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=0.5).close()
                return
            except OSError:
                if time.monotonic() > deadline:
                    pytest.fail("milvus-lite server did not start")
                time.sleep(0.1)

    def kill(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGKILL)
            self.proc.wait()


@pytest.fixture
def lite_server(tmp_path: Path) -> Iterator[LiteServer]:
    _need_milvus()
    server = LiteServer(tmp_path / "server-data", tmp_path / "server.log")
    server.start()
    yield server
    server.kill()


def _index_cli(corpus: Path, idx: Path, *extra: str) -> subprocess.CompletedProcess[str]:
    """`qa index` in its own process, as a user runs it (a fresh client after a server restart)."""
    env = {**os.environ, "QA_MILVUS_TIMEOUT_S": "10"}
    cmd = [sys.executable, "-m", "qa", "index", str(corpus), "--index", str(idx), "--model", "fake", "-q", *extra]
    return subprocess.run(cmd, cwd=REPO, capture_output=True, text=True, timeout=300, env=env)


def _state(idx: Path) -> tuple[list[dict], np.ndarray, list]:
    store = load_index(idx)
    ids = [p.passage_id for p in store.passages]
    hits = Retriever(store, FakeEncoder()).retrieve_batch(["小巨人企业", "第3段", "北京"], k=5, mode="hybrid")
    return [p.to_json() for p in store.passages], store.vectors.fetch(ids), [[h.passage_id for h in hs] for hs in hits]


def test_server_killed_mid_index_is_a_clear_error_and_a_rerun_converges(
    tmp_path: Path, lite_server: LiteServer, monkeypatch, capsys
) -> None:
    import pymilvus

    from qa.cli import main
    from qa.vectors import milvus as milvus_module

    docs = {f"{i:02d}.txt": "\n\n".join(f"第{i}篇第{j}段：小巨人企业{i * j}家。" for j in range(6)) for i in range(8)}
    corpus = _corpus(tmp_path / "c", docs)
    idx = tmp_path / "idx"
    milvus_flags = ("--backend", "milvus", "--uri", lite_server.uri, "--collection", "killed")
    done = _index_cli(corpus, idx, *milvus_flags)
    assert done.returncode == 0, done.stderr

    # change every document, then kill the server after the first of several upsert batches
    _corpus(corpus, {name: text + "\n\n改写后新增的一段。" for name, text in docs.items()})
    monkeypatch.setattr(milvus_module, "BATCH", 2)
    monkeypatch.setenv("QA_MILVUS_TIMEOUT_S", "5")
    real_upsert = pymilvus.MilvusClient.upsert
    calls = []

    def upsert_then_die(self, *args, **kwargs):
        calls.append(1)
        if len(calls) == 2:
            lite_server.kill()
        return real_upsert(self, *args, **kwargs)

    monkeypatch.setattr(pymilvus.MilvusClient, "upsert", upsert_then_die)
    assert main(["index", str(corpus), "--index", str(idx), "--model", "fake", "-q"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: cannot upsert passages into Milvus at " + lite_server.uri)
    assert "Traceback" not in err and "Exception" not in err and "re-run" in err
    monkeypatch.undo()

    with pytest.raises(QAError):  # the old index directory still stands, the collection was half updated
        load_index(idx)
    lite_server.start()  # same data dir and port
    with pytest.raises(IndexCorruptError, match="interrupted"):
        load_index(idx)
    rerun = _index_cli(corpus, idx)  # no flags: the index remembers its backend
    assert rerun.returncode == 0, rerun.stderr
    clean = _index_cli(corpus, tmp_path / "clean", *milvus_flags[:-1], "clean")
    assert clean.returncode == 0, clean.stderr
    passages, vectors, hits = _state(idx)
    clean_passages, clean_vectors, clean_hits = _state(tmp_path / "clean")
    assert passages == clean_passages and hits == clean_hits
    np.testing.assert_allclose(vectors, clean_vectors, atol=1e-6)


def test_eval_builds_its_cached_index_in_milvus(tmp_path: Path, monkeypatch) -> None:
    """`qa eval GOLD --backend milvus --uri X.db`: the CMRC comparison's command, on a tiny SQuAD file."""
    from eval.cli import main as eval_main

    _need_milvus()
    monkeypatch.setenv("QA_CACHE_DIR", str(tmp_path / "cache"))
    squad = {"version": "v1.0", "data": [{"title": "城市", "paragraphs": [
        {"context": "北京是中国的首都，人口超过两千万。",
         "qas": [{"id": "q1", "question": "中国的首都是哪座城市？", "answers": [{"text": "北京"}]}]},
        {"context": "上海位于长江入海口，是中国最大的经济中心。",
         "qas": [{"id": "q2", "question": "中国最大的经济中心是哪里？", "answers": [{"text": "上海"}]}]},
    ]}]}
    gold = tmp_path / "tiny.json"
    gold.write_text(json.dumps(squad, ensure_ascii=False), encoding="utf-8")
    out = tmp_path / "m.json"
    argv = [str(gold), "--model", "fake", "--retrieval-only", "--modes", "dense,bm25,hybrid", "--quiet",
            "--backend", "milvus", "--uri", str(tmp_path / "eval.db"), "--json", str(out)]
    assert eval_main(argv) == 0
    metrics = json.loads(out.read_text())
    assert [m["recall@20"] for m in metrics] == [1.0, 1.0, 1.0]
    assert all(m["vector_backend"] == "milvus" and m["index_build_s"] is not None for m in metrics)
    (built,) = (tmp_path / "cache" / "eval").glob("*-milvus")
    assert load_index(built).manifest["config"]["vector_index"]["uri"] == str(tmp_path / "eval.db")


def test_api_add_documents_keeps_serving_from_milvus(tmp_path: Path) -> None:
    """The app's "Add documents" path: `QA.add_documents` re-reads the index's config, so it stays on Milvus."""
    from qa.api import QA

    _need_milvus()
    config = IndexConfig(vector_index=VectorIndexConfig(backend="milvus", uri=str(tmp_path / "m.db"), collection="api"))
    qa = QA.build_from_documents(DOCS[:2], tmp_path / "idx", encoder=FakeEncoder(), config=config)
    report = qa.add_documents([DOCS[2]])
    assert report.added == ("c.txt",) and isinstance(qa.store.vectors, MilvusStore)
    assert qa.store.vectors.count() == len(qa.passages)
    assert qa.retrieve("磁铁在手机里", k=1, mode="hybrid")[0].doc_id == "c.txt"
    assert QA.open(tmp_path / "idx", encoder=FakeEncoder()).retrieve("磁铁", k=1, mode="bm25")[0].doc_id == "c.txt"
