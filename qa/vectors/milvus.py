"""The Milvus vector store: passages, their dense vectors and a jieba BM25 field in one Milvus collection.

A real cluster is `uri="http://host:19530"` (token from `$QA_MILVUS_TOKEN`); a `*.db` path is embedded
Milvus Lite (the same client API, in-process), which the tests use. Dense search, BM25 full-text search and
RRF hybrid search all run in the engine with the filters pushed down as Milvus expressions; the index
directory keeps the passages (for citations and incremental updates) and a small `milvus.json` pointer.

The collection records its schema version and the model fingerprint (collection properties and
description), checked on open. Lite's jieba analyzer shares jieba's process-wide dictionary with
`qa.tokenize`; our analyzer params carry no user words, so it never adds any (a test checks this).
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import re
from collections.abc import Callable, Iterable, Iterator, Sequence
from pathlib import Path
from typing import Any, TypeVar

import numpy as np

from qa.errors import InputError, MissingDependencyError, QAError, first_line
from qa.types import Filters, Passage
from qa.vectors.base import (
    HybridHit,
    VectorHit,
    VectorIndexConfig,
    VectorStoreError,
    VectorStoreUnavailableError,
    check_vectors,
    sort_hits,
)

INSTALL_HINT = "pip install 'qa-corpus[milvus]'"
POINTER_FILE = "milvus.json"
SCHEMA_VERSION = "qa-corpus-passages-1"
DEFAULT_COLLECTION = "qa_passages"
TOKEN_ENV = "QA_MILVUS_TOKEN"
TIMEOUT_ENV = "QA_MILVUS_TIMEOUT_S"  # seconds one request may take, retries included (default 60)
ANALYZER = {"tokenizer": "jieba"}  # no user dictionary words: Lite would add them to jieba's global state
BATCH = 500  # rows (or ids) per request: well under gRPC's message limit with 384-d vectors
ID_BYTES, TITLE_BYTES, TEXT_BYTES = 1024, 1024, 65535
FIELDS = ("passage_id", "doc_id", "title", "date", "paragraph", "text", "sparse", "dense", "content_hash")
_PROPS = ("qa.schema_version", "qa.fingerprint")

T = TypeVar("T")


def load_pymilvus() -> Any:
    """The pymilvus module, or a MissingDependencyError with the install command. pymilvus logs every
    failed request with a traceback; our errors carry the message, so its logger is kept quiet."""
    try:
        import pymilvus
    except ImportError as exc:
        raise MissingDependencyError(
            f"the Milvus backend needs pymilvus and milvus-lite: {INSTALL_HINT}"
        ) from exc
    logging.getLogger("pymilvus").setLevel(logging.CRITICAL)
    return pymilvus


def default_collection(index_dir: Path) -> str:
    """A collection of its own for each index directory: `qa_<dir name>_<hash of its absolute path>`."""
    path = str(Path(index_dir).expanduser().absolute())
    name = re.sub(r"[^A-Za-z0-9_]", "_", Path(index_dir).name)[:40]
    return f"qa_{name}_{hashlib.sha256(path.encode('utf-8')).hexdigest()[:8]}"


def is_lite_uri(uri: str) -> bool:
    """A `*.db` path (no URL scheme): embedded Milvus Lite."""
    return uri.endswith(".db") and "://" not in uri


def quote(value: str) -> str:
    """`value` as a double-quoted Milvus expression string literal (backslash, quote, newlines escaped)."""
    escaped = (
        value.replace("\\", "\\\\")
        .replace('"', '\\"')
        .replace("\n", "\\n")
        .replace("\r", "\\r")
        .replace("\t", "\\t")
    )
    return f'"{escaped}"'


def filter_expression(filters: Filters | None) -> str | None:
    """The Milvus boolean expression for `filters`: "" when nothing is filtered, None when nothing can pass
    (an empty document list). Same rows as `Filters.accepts`: a date range excludes undated passages."""
    if filters is None or not filters.active:
        return ""
    parts = []
    if filters.doc_ids is not None:
        if not filters.doc_ids:
            return None
        parts.append(f"doc_id in [{', '.join(quote(d) for d in sorted(filters.doc_ids))}]")
    if filters.date_from is not None or filters.date_to is not None:
        parts.append('date != ""')
        if filters.date_from is not None:
            parts.append(f"date >= {quote(filters.date_from[:10])}")
        if filters.date_to is not None:
            parts.append(f"date <= {quote(filters.date_to[:10])}")
    return " and ".join(parts)


def _utf8_cut(text: str, limit: int) -> str:
    data = text.encode("utf-8")
    return text if len(data) <= limit else data[:limit].decode("utf-8", errors="ignore")


def _chunks(items: Sequence[T]) -> Iterator[Sequence[T]]:
    size = BATCH  # read at call time (tests make it small)
    for i in range(0, len(items), size):
        yield items[i : i + size]


def _timeout_s() -> float:
    raw = os.environ.get(TIMEOUT_ENV, "")
    try:
        value = float(raw) if raw else 60.0
    except ValueError:
        raise InputError(f"${TIMEOUT_ENV} must be a number of seconds, got {raw!r}") from None
    if value <= 0:
        raise InputError(f"${TIMEOUT_ENV} must be positive, got {raw!r}")
    return value


class MilvusStore:
    """The "milvus" vector store: one collection (`config.collection`) on the server at `config.uri`.

    `create` touches nothing until the first change: then it (re)creates the collection, so a full build
    replaces it and a killed build is replaced by the next one. `open` checks the collection against the
    index (schema version, model fingerprint, dimension, count)."""

    backend = "milvus"

    def __init__(self, config: VectorIndexConfig, dim: int, fingerprint: str, *, fresh: bool) -> None:
        if not config.uri:
            raise InputError(
                "the Milvus backend needs a URI: --uri http://HOST:19530 (a server) "
                "or --uri PATH.db (Milvus Lite)"
            )
        self.config = config
        self.dim = int(dim)
        self.fingerprint = fingerprint
        self.uri = config.uri
        self.collection = config.collection or DEFAULT_COLLECTION
        self._timeout = _timeout_s()
        self._fresh = fresh  # the collection is to be (re)created before the first write
        self._pm = load_pymilvus()
        if is_lite_uri(self.uri):
            try:
                import milvus_lite  # noqa: F401 - pymilvus starts it for *.db URIs
            except ImportError as exc:
                raise MissingDependencyError(f"a *.db URI needs Milvus Lite: {INSTALL_HINT}") from exc
        self._client = self._call("connect to", self._connect)

    # ------------------------------------------------------------ plumbing

    def _connect(self) -> Any:
        if is_lite_uri(self.uri):  # embedded Lite loads jieba in this process: no dictionary-loading chatter
            logging.getLogger("jieba").setLevel(logging.WARNING)
        token = os.environ.get(TOKEN_ENV, "")
        options: dict[str, Any] = {"grpc.use_local_subchannel_pool": 1}  # no backoff shared across clients
        if is_lite_uri(self.uri):  # in-process: no network to keep alive, and Lite answers idle pings with
            options["grpc.keepalive_time_ms"] = 2**31 - 1  # GOAWAY "too_many_pings" (logged on stderr)
        # a dedicated connection: a shared one that saw its server die is not recovered by a restart
        return self._pm.MilvusClient(
            uri=self.uri, token=token, timeout=self._timeout, dedicated=True, grpc_options=options
        )

    def _where(self) -> str:
        return f"Milvus at {self.uri} (collection {self.collection!r})"

    def _call(self, what: str, fn: Callable[[], T]) -> T:
        """Run one client request; any failure becomes a VectorStoreError naming the server and the step."""
        try:
            return fn()
        except QAError:
            raise
        except Exception as exc:  # pymilvus/grpc raise many types; none may leak to the user
            detail = getattr(exc, "message", None) or first_line(exc)  # MilvusException: its message alone
            raise VectorStoreUnavailableError(
                f"cannot {what} {self._where()}: {first_line(Exception(detail))}; if the server is down or "
                "unreachable, start it and re-run the command (`qa index` converges after an interrupted run)"
            ) from None

    def _schema(self) -> Any:
        pm = self._pm
        dt = pm.DataType
        schema = self._pm.MilvusClient.create_schema(
            auto_id=False, enable_dynamic_field=False, description=self._description()
        )
        schema.add_field("passage_id", dt.VARCHAR, is_primary=True, max_length=ID_BYTES)
        schema.add_field("doc_id", dt.VARCHAR, max_length=ID_BYTES)
        schema.add_field("title", dt.VARCHAR, max_length=TITLE_BYTES)
        schema.add_field("date", dt.VARCHAR, max_length=16)  # YYYY-MM-DD, "" when undated
        schema.add_field("paragraph", dt.INT64)
        schema.add_field(
            "text", dt.VARCHAR, max_length=TEXT_BYTES, enable_analyzer=True, analyzer_params=ANALYZER
        )
        schema.add_field("sparse", dt.SPARSE_FLOAT_VECTOR)
        schema.add_field("dense", dt.FLOAT_VECTOR, dim=self.dim)
        schema.add_field(
            "content_hash", dt.VARCHAR, max_length=64
        )  # sha256 of the text (passages.jsonl "hash")
        schema.add_function(
            pm.Function(
                name="text_bm25",
                function_type=pm.FunctionType.BM25,
                input_field_names=["text"],
                output_field_names=["sparse"],
            )
        )
        return schema

    def _description(self) -> str:
        return f"{SCHEMA_VERSION} fingerprint={self.fingerprint}"

    def _recreate(self) -> None:
        """Drop this index's collection (only if qa-corpus made it) and create it empty."""
        client = self._client
        if self._call("look up", lambda: client.has_collection(self.collection, timeout=self._timeout)):
            info = self._call(
                "describe", lambda: client.describe_collection(self.collection, timeout=self._timeout)
            )
            if self._marks(info)[0] is None:
                raise VectorStoreError(
                    f"{self._where()} exists and was not created by qa-corpus; choose another --collection "
                    "or drop it yourself"
                )
            self._call("drop the old collection in", lambda: client.drop_collection(self.collection))
        index_params = client.prepare_index_params()
        c = self.config
        index_params.add_index(
            "dense",
            index_type="HNSW",
            metric_type="IP",
            params={"M": c.hnsw_m, "efConstruction": c.hnsw_ef_construction},
        )
        index_params.add_index("sparse", index_type="SPARSE_INVERTED_INDEX", metric_type="BM25")
        self._call(
            "create the collection in",
            lambda: client.create_collection(
                self.collection,
                schema=self._schema(),
                consistency_level="Strong",
                properties={"qa.schema_version": SCHEMA_VERSION, "qa.fingerprint": self.fingerprint},
                timeout=self._timeout,
            ),
        )
        # embedded Lite lacks the timestamp call behind waiting for an index (its gRPC server would log a
        # traceback in our process); its indexes are ready at once, so it is not waited for
        sync = not is_lite_uri(self.uri)
        self._call(
            "create the indexes in",
            lambda: client.create_index(self.collection, index_params, timeout=self._timeout, sync=sync),
        )
        self._call("load", lambda: client.load_collection(self.collection, timeout=self._timeout))
        self._fresh = False

    @staticmethod
    def _marks(info: dict[str, Any]) -> tuple[str | None, str | None]:
        """(schema version, fingerprint) recorded in a collection: its properties, else its description."""
        props = info.get("properties") or {}
        if all(key in props for key in _PROPS):
            return str(props["qa.schema_version"]), str(props["qa.fingerprint"])
        found = re.fullmatch(
            r"(qa-corpus-passages-\S+) fingerprint=(\S+)", str(info.get("description") or "")
        )
        return (found.group(1), found.group(2)) if found else (None, None)

    def _check(self, info: dict[str, Any]) -> None:
        """A VectorStoreError unless the collection has our schema version, fingerprint and dimension."""
        version, fingerprint = self._marks(info)
        if version != SCHEMA_VERSION:
            got = "no qa-corpus schema version" if version is None else f"schema {version!r}"
            raise VectorStoreError(
                f"{self._where()} has {got}, this version needs {SCHEMA_VERSION!r}; re-index into a new "
                "collection (`qa index ... --backend milvus --collection NAME`)"
            )
        if fingerprint != self.fingerprint:
            raise VectorStoreError(
                f"{self._where()} holds vectors of another model (fingerprint {str(fingerprint)[:12]}, "
                f"the index says {self.fingerprint[:12]}); re-index it"
            )
        fields = {f.get("name"): f for f in info.get("fields", [])}
        dense = fields.get("dense", {})
        dim = int((dense.get("params") or {}).get("dim", -1))
        if sorted(fields) != sorted(FIELDS) or dim != self.dim:
            raise VectorStoreError(
                f"{self._where()} does not have the expected fields ({', '.join(FIELDS)}; "
                f"{self.dim}-d vectors); re-index into a new collection"
            )

    # ------------------------------------------------------------ the protocol

    @classmethod
    def create(cls, config: VectorIndexConfig, dim: int, fingerprint: str) -> MilvusStore:
        """A store whose collection is (re)created empty on the first change."""
        return cls(config, dim, fingerprint, fresh=True)

    @classmethod
    def open(
        cls, directory: Path, config: VectorIndexConfig, *, passages: Sequence[Passage], fingerprint: str
    ) -> MilvusStore:
        """The collection this index refers to, checked: it exists, has our schema and model, and holds one
        vector per passage (else a half-finished update: re-run `qa index`)."""
        pointer = Path(directory) / POINTER_FILE
        try:
            dim = int(json.loads(pointer.read_text(encoding="utf-8"))["dimension"])
        except (OSError, ValueError, KeyError, TypeError) as exc:
            raise VectorStoreError(f"{pointer} cannot be read ({first_line(exc)})") from None
        store = cls(config, dim, fingerprint, fresh=False)
        client = store._client
        if not store._call(
            "look up", lambda: client.has_collection(store.collection, timeout=store._timeout)
        ):
            raise VectorStoreError(f"{store._where()} does not exist (dropped, or another server?)")
        info = store._call(
            "describe", lambda: client.describe_collection(store.collection, timeout=store._timeout)
        )
        store._check(info)
        store._call("load", lambda: client.load_collection(store.collection, timeout=store._timeout))
        n = store.count()
        if n != len(passages):
            raise VectorStoreError(
                f"{store._where()} holds {n} passages but the index has {len(passages)}: an update was "
                "interrupted"
            )
        return store

    @property
    def kind(self) -> str:
        return "milvus-hnsw"

    def count(self) -> int:
        if self._fresh:
            return 0
        res = self._call(
            "count the passages in",
            lambda: self._client.query(
                self.collection, filter="", output_fields=["count(*)"], timeout=self._timeout
            ),
        )
        return int(res[0]["count(*)"]) if res else 0

    def upsert(self, passages: Sequence[Passage], vectors: np.ndarray) -> None:
        x = check_vectors(passages, vectors, self.dim)
        if not len(passages):
            if self._fresh:
                self._recreate()
            return
        rows: dict[str, dict[str, Any]] = {}  # a passage given twice keeps its last vector
        for p, v in zip(passages, x, strict=True):
            for name, value, limit in (
                ("passage", p.passage_id, ID_BYTES),
                ("document", p.doc_id, ID_BYTES),
                ("passage text", p.text, TEXT_BYTES),
            ):
                if len(value.encode("utf-8")) > limit:
                    raise InputError(
                        f"the {name} of {p.passage_id[:80]!r} is over {limit} bytes, "
                        "the Milvus schema's limit"
                    )
            rows[p.passage_id] = {
                "passage_id": p.passage_id,
                "doc_id": p.doc_id,
                "title": _utf8_cut(p.title, TITLE_BYTES),
                "date": (p.date or "")[:10],
                "paragraph": int(p.paragraph),
                "text": p.text,
                "dense": v.tolist(),
                "content_hash": hashlib.sha256(p.text.encode("utf-8")).hexdigest(),
            }
        if self._fresh:
            self._recreate()
        batch = list(rows.values())
        for part in _chunks(batch):
            self._call(
                "upsert passages into",
                lambda part=part: self._client.upsert(self.collection, list(part), timeout=self._timeout),
            )

    def delete_documents(self, doc_ids: Iterable[str]) -> int:
        ids = sorted(set(doc_ids))
        if self._fresh or not ids:
            return 0
        removed = 0
        for part in _chunks(ids):
            expr = filter_expression(Filters(doc_ids=frozenset(part)))
            res = self._call(
                "count the passages to delete in",
                lambda expr=expr: self._client.query(
                    self.collection, filter=expr, output_fields=["count(*)"], timeout=self._timeout
                ),
            )
            n = int(res[0]["count(*)"]) if res else 0
            if n:
                self._call(
                    "delete passages from",
                    lambda expr=expr: self._client.delete(
                        self.collection, filter=expr, timeout=self._timeout
                    ),
                )
            removed += n
        return removed

    def fetch(self, passage_ids: Sequence[str]) -> np.ndarray:
        if not passage_ids:
            return np.zeros((0, self.dim), np.float32)
        found: dict[str, list[float]] = {}
        if not self._fresh:
            for part in _chunks(sorted(set(passage_ids))):
                res = self._call(
                    "fetch vectors from",
                    lambda part=part: self._client.get(
                        self.collection, ids=list(part), output_fields=["dense"], timeout=self._timeout
                    ),
                )
                found.update((row["passage_id"], row["dense"]) for row in res)
        missing = [pid for pid in passage_ids if pid not in found]
        if missing:
            raise KeyError(f"no vector for passage {missing[0]!r}")
        return np.asarray([found[pid] for pid in passage_ids], dtype=np.float32).reshape(-1, self.dim)

    def _search(
        self, what: str, data: list[Any], field: str, k: int, expr: str, params: dict[str, Any]
    ) -> Any:
        return self._call(
            what,
            lambda: self._client.search(
                self.collection,
                data=data,
                anns_field=field,
                limit=k,
                filter=expr,
                output_fields=["doc_id"],
                search_params=params,
                timeout=self._timeout,
            ),
        )

    def search_batch(
        self, queries: np.ndarray, k: int, filters: Filters | None = None
    ) -> list[list[VectorHit]]:
        q = np.ascontiguousarray(queries, dtype=np.float32).reshape(-1, self.dim)
        expr = filter_expression(filters)
        if expr is None or self._fresh or not len(q):
            return [[] for _ in range(len(q))]
        params = {"metric_type": "IP", "params": {"ef": max(self.config.hnsw_ef_search, k)}}
        res = self._search("search", q.tolist(), "dense", k, expr, params)
        return [sort_hits((hit["passage_id"], float(hit["distance"])) for hit in hits) for hits in res]

    def search_text_batch(
        self, questions: Sequence[str], k: int, filters: Filters | None = None
    ) -> list[list[VectorHit]]:
        """BM25 full-text search in the engine (jieba analyzer). Scores are BM25 magnitudes: Milvus Lite
        reports them negated, a server positive; both return best first."""
        expr = filter_expression(filters)
        if expr is None or self._fresh or not questions:
            return [[] for _ in questions]
        res = self._search(
            "run a full-text search in", list(questions), "sparse", k, expr, {"metric_type": "BM25"}
        )
        return [sort_hits((hit["passage_id"], abs(float(hit["distance"]))) for hit in hits) for hits in res]

    def hybrid_search_batch(
        self,
        queries: np.ndarray,
        questions: Sequence[str],
        k: int,
        filters: Filters | None = None,
        *,
        depth: int = 100,
        rrf_k: int = 60,
    ) -> list[list[HybridHit]]:
        """Dense and BM25 candidates (`depth` each) fused by the engine's RRFRanker(rrf_k), one request per
        question; each hit's dense score is its cosine similarity to the query."""
        q = np.ascontiguousarray(queries, dtype=np.float32).reshape(-1, self.dim)
        if len(q) != len(questions):
            raise InputError(f"{len(q)} query vectors for {len(questions)} questions")
        expr = filter_expression(filters)
        if expr is None or self._fresh:
            return [[] for _ in questions]
        pm = self._pm
        dense_params = {"metric_type": "IP", "params": {"ef": max(self.config.hnsw_ef_search, depth)}}
        out: list[list[HybridHit]] = []
        for vec, question in zip(q, questions, strict=True):
            requests = [
                pm.AnnSearchRequest(
                    data=[vec.tolist()], anns_field="dense", param=dense_params, limit=depth, expr=expr
                ),
                pm.AnnSearchRequest(
                    data=[question],
                    anns_field="sparse",
                    param={"metric_type": "BM25"},
                    limit=depth,
                    expr=expr,
                ),
            ]
            res = self._call(
                "run a hybrid search in",
                lambda requests=requests: self._client.hybrid_search(
                    self.collection,
                    requests,
                    pm.RRFRanker(rrf_k),
                    limit=k,
                    output_fields=["dense"],
                    timeout=self._timeout,
                ),
            )
            hits = [
                (
                    hit["passage_id"],
                    float(hit["distance"]),
                    float(np.dot(vec, np.asarray(hit["entity"]["dense"]))),
                )
                for hit in (res[0] if res else [])
            ]
            out.append(sorted(hits, key=lambda h: (-h[1], h[0])))
        return out

    def save(self, directory: Path) -> list[Path]:
        """Flush the collection (durable) and write `milvus.json`: where the vectors live (no secrets)."""
        if self._fresh:
            self._recreate()
        self._call("flush", lambda: self._client.flush(self.collection, timeout=self._timeout))
        path = Path(directory) / POINTER_FILE
        pointer = {
            "uri": self.uri,
            "collection": self.collection,
            "schema_version": SCHEMA_VERSION,
            "fingerprint": self.fingerprint,
            "dimension": self.dim,
        }
        path.write_text(json.dumps(pointer, indent=2) + "\n", encoding="utf-8")
        return [path]
