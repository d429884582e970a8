"""The runner with a fake QA (no model), runs files, the report, and a real index built with FakeEncoder."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from pathlib import Path

import pytest

from eval.cli import main
from eval.gold import GoldQuestion, load_gold
from eval.report import render_markdown, worst_failures, write_report
from eval.runner import RunsFormatError, evaluate, load_runs, reader_info, summarize, write_runs
from qa.types import Answer, Hit, Passage

PASSAGES = [
    Passage("d1#0", "d1", 0, 0, 9, "北京是中国的首都。", title="d1"),
    Passage("d2#0", "d2", 0, 0, 7, "上海是大城市。", title="d2"),
    Passage("d3#0", "d3", 0, 0, 8, "长江是最长的河。", title="d3"),
]


@dataclass(frozen=True)
class FakeReaderConfig:
    max_passages: int = 3
    min_confidence: float = 0.25
    stop_words: tuple[str, ...] = ("了", "的")

    def to_dict(self) -> dict:
        return {**asdict(self), "stop_words": list(self.stop_words)}  # JSON-ready, as the Reader contract says


class FakeReader:
    """Just what the harness reads off a reader: name, max_passages, config.to_dict()."""

    def __init__(self, name: str = "fake", config: FakeReaderConfig = FakeReaderConfig()) -> None:
        self.name = name
        self.config = config
        self.max_passages = config.max_passages


class FakeQA:
    """Retrieves passages sharing characters with the question; answers from a fixed table, in batches only."""

    index_dir = Path("/fake/index")
    model_id = "fake-model"

    def __init__(self, answers: dict[str, tuple[str | None, float]], reader: FakeReader | None = None) -> None:
        self.answers = answers
        self.reader = reader or FakeReader()
        self.retrieve_calls: list[tuple[str, int, str]] = []
        self.batch_retrieve_sizes: list[int] = []
        self.read_batches: list[list[int]] = []  # one list per read_batch call: the hits per question

    def retrieve(self, question: str, k: int = 5, mode: str = "hybrid", filters=None) -> list[Hit]:
        self.retrieve_calls.append((question, k, mode))
        scored = sorted(
            ((-len(set(question) & set(p.text)), p.passage_id, p) for p in PASSAGES),
            key=lambda t: (t[0], t[1]),
        )
        if mode == "bm25":  # a worse retriever: reversed order
            scored = scored[::-1]
        return [Hit(p, float(-s), rank) for rank, (s, _, p) in enumerate(scored[:k], start=1)]

    def retrieve_batch(self, questions: Sequence[str], k: int = 5, mode: str = "hybrid", filters=None):
        self.batch_retrieve_sizes.append(len(questions))
        return [self.retrieve(q, k=k, mode=mode) for q in questions]

    def answer_batch(
        self, questions: Sequence[str], hits_batch: Sequence[Sequence[Hit]], *, mode: str = "hybrid"
    ) -> list[Answer]:
        assert not isinstance(questions, str) and len(questions) == len(hits_batch)
        self.read_batches.append([len(h) for h in hits_batch])
        return [
            Answer(question=q, text=self.answers.get(q, (None, 0.0))[0],
                   confidence=self.answers.get(q, (None, 0.0))[1], supporting_sentence=None)
            for q in questions
        ]


GOLD = (
    GoldQuestion("q1", "中国的首都是哪里？", ("北京",), "d1"),
    GoldQuestion("q2", "哪个是大城市？", ("上海",), "d3"),  # gold doc is wrong on purpose: no hit
    GoldQuestion("q3", "首都中国的河？", ("长江",), "d3"),  # d1 shares more characters: hit at rank 2
    GoldQuestion("q4", "火星首都？", ()),
    GoldQuestion("q5", "长江多长？", ("三峡",)),  # no passage holds the answer
)
ANSWERS = {
    "中国的首都是哪里？": ("北京市", 0.9),  # EM 0, F1 0.8 (P 2/3, R 1)
    "哪个是大城市？": (None, 0.1),  # wrong abstention
    "首都中国的河？": ("长江", 0.7),
    "火星首都？": ("北京", 0.4),  # answers an unanswerable
    "长江多长？": ("六千公里", 0.3),
}


def test_evaluate_scores_each_question():
    qa = FakeQA(ANSWERS)
    result = evaluate(qa, GOLD, mode="dense", k=2, progress=False)
    # one untimed warm-up ask, then max(20, k) passages per question; the reader sees the top k only
    assert [c[0] for c in qa.retrieve_calls] == [GOLD[0].question] + [q.question for q in GOLD]
    assert [c[1:] for c in qa.retrieve_calls] == [(20, "dense")] * 6
    assert qa.read_batches == [[2]] * 6 and qa.batch_retrieve_sizes == []  # read_batch, one question each
    r1, r2, r3, r4, r5 = result.records
    assert (r1.prediction, r1.em, r1.f1, r1.hit_rank) == ("北京市", 0.0, pytest.approx(0.8), 1)
    assert (r2.prediction, r2.em, r2.f1, r2.hit_rank) == (None, 0.0, 0.0, None)
    assert (r3.em, r3.f1, r3.hit_rank) == (1.0, 1.0, 2)
    assert (r4.em, r4.f1, r5.em, r5.f1, r5.hit_rank) == (0.0, 0.0, 0.0, 0.0, None)
    assert r1.passage_ids == ("d1#0", "d3#0", "d2#0") and r1.top_passage == "北京是中国的首都。"
    assert r1.confidence == 0.9 and r1.mode == "dense" and r1.k == 2
    assert all(r.latency_ms >= 0 for r in result.records)
    mt = result.metrics
    assert mt["exact_match"] == pytest.approx(0.2) and mt["f1"] == pytest.approx(0.36)
    assert mt["has_answer_exact_match"] == 0.25 and mt["has_answer_f1"] == pytest.approx(0.45)
    assert mt["no_answer_accuracy"] == 0.0 and mt["answerable_abstain_rate"] == 0.25
    assert mt["recall@1"] == 0.25 and mt["recall@5"] == 0.5 and mt["recall@20"] == 0.5
    assert mt["mrr@10"] == pytest.approx((1 + 0.5) / 4)
    assert (mt["n"], mt["n_answerable"], mt["n_unanswerable"]) == (5, 4, 1)
    assert mt["latency_ms_p50"] is not None and mt["latency_ms_p95"] >= mt["latency_ms_p50"]


def test_match_doc_id_false_ignores_gold_docs():
    result = evaluate(FakeQA(ANSWERS), GOLD, mode="dense", k=2, progress=False, match_doc_id=False)
    assert result.records[1].hit_rank == 1
    assert result.metrics["recall@1"] == 0.5


def test_retrieval_only_skips_reader():
    qa = FakeQA(ANSWERS)
    result = evaluate(qa, GOLD, mode="bm25", k=5, reader=False, progress=False, warmup=False)
    assert qa.read_batches == [] and len(qa.retrieve_calls) == 5
    assert all(result.metrics[k] is None for k in ("exact_match", "f1", "no_answer_accuracy"))
    assert result.metrics["recall@20"] == 0.5
    assert all(r.em is None and r.prediction is None and r.confidence is None for r in result.records)


def test_evaluate_rejects_bad_arguments():
    with pytest.raises(ValueError, match="unknown mode"):
        evaluate(FakeQA({}), GOLD, mode="sparse", progress=False)
    with pytest.raises(ValueError, match="k must be"):
        evaluate(FakeQA({}), GOLD, k=0, progress=False)


def test_runs_roundtrip_and_summarize(tmp_path):
    results = [evaluate(FakeQA(ANSWERS), GOLD, mode=m, k=2, progress=False) for m in ("dense", "bm25")]
    path = tmp_path / "runs.jsonl"
    write_runs(results, path)
    lines = [json.loads(x) for x in path.read_text(encoding="utf-8").splitlines()]
    assert len(lines) == 10 and lines[0]["id"] == "q1" and lines[5]["mode"] == "bm25"
    for key in (
        "question",
        "answers",
        "prediction",
        "confidence",
        "hit_rank",
        "passage_ids",
        "latency_ms",
        "em",
        "f1",
    ):
        assert key in lines[0]
    back = load_runs(path)
    assert back.meta is None  # written without metadata, like runs files from before it existed
    assert list(back.records[:5]) == list(results[0].records)
    assert summarize(back.records[:5]) == dict(results[0].metrics)


def test_runs_file_starts_with_the_run_metadata(tmp_path):
    qa = FakeQA(ANSWERS)
    results = [evaluate(qa, GOLD, mode="dense", k=2, progress=False)]
    meta = {"index": "/i", "model": "m", "reader": reader_info(qa.reader), "gold": {"questions": 5}}
    path = tmp_path / "runs.jsonl"
    write_runs(results, path, meta)
    first = json.loads(path.read_text(encoding="utf-8").splitlines()[0])
    assert first == {"meta": meta}
    assert meta["reader"] == {
        "name": "fake",
        "max_passages": 3,
        "config": {"max_passages": 3, "min_confidence": 0.25, "stop_words": ["了", "的"]},
    }
    back = load_runs(path)
    assert back.meta == meta and back.records == results[0].records


def test_load_runs_errors(tmp_path):
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"id": "q"}\n', encoding="utf-8")
    with pytest.raises(RunsFormatError, match="bad.jsonl:1: missing field"):
        load_runs(bad)
    bad.write_text("", encoding="utf-8")
    with pytest.raises(RunsFormatError, match="empty"):
        load_runs(bad)
    bad.write_text('{"meta": {"model": "m"}}\n', encoding="utf-8")
    with pytest.raises(RunsFormatError, match="empty"):
        load_runs(bad)
    record = json.dumps(evaluate(FakeQA(ANSWERS), GOLD[:1], k=2, progress=False).records[0].to_json())
    bad.write_text(f'{record}\n{{"meta": {{"model": "m"}}}}\n', encoding="utf-8")
    with pytest.raises(RunsFormatError, match="bad.jsonl:2: .*metadata line must be the first"):
        load_runs(bad)
    bad.write_text('{"meta": ["m"]}\n', encoding="utf-8")
    with pytest.raises(RunsFormatError, match="bad.jsonl:1: .*metadata must be an object"):
        load_runs(bad)


def test_batches_are_read_with_one_read_batch_call_each():
    qa = FakeQA(ANSWERS)
    batched = evaluate(qa, GOLD, mode="dense", k=2, progress=False, batch_size=2)
    # the warm-up question alone, then batches of 2, 2 and 1: one retrieve_batch and one read_batch each
    assert qa.batch_retrieve_sizes == [1, 2, 2, 1] and qa.read_batches == [[2], [2, 2], [2, 2], [2]]
    assert qa.retrieve_calls[1:] == [(q.question, 20, "dense") for q in GOLD]
    single = evaluate(FakeQA(ANSWERS), GOLD, mode="dense", k=2, progress=False)
    strip = lambda r: {k: v for k, v in r.to_json().items() if k != "latency_ms"}  # noqa: E731
    assert [strip(r) for r in batched.records] == [strip(r) for r in single.records]
    assert {k: v for k, v in batched.metrics.items() if "latency" not in k} == {
        k: v for k, v in single.metrics.items() if "latency" not in k
    }
    # a question's latency is its share of its batch: both questions of a batch get the same
    lat = [r.latency_ms for r in batched.records]
    assert lat[0] == lat[1] and lat[2] == lat[3] and all(x > 0 for x in lat)


def test_cli_records_the_reader_in_json_and_runs(tmp_path, monkeypatch, capsys):
    import eval.cli

    qa = FakeQA(ANSWERS, reader=FakeReader("fake", FakeReaderConfig(max_passages=2)))
    monkeypatch.setattr(eval.cli, "open_qa", lambda args, gold: qa)
    gold_path = tmp_path / "g.jsonl"
    rows = [{"id": q.id, "question": q.question, "answers": list(q.answers), "doc_id": q.doc_id} for q in GOLD]
    rows.insert(2, {"id": "bad", "question": " ", "answers": []})
    gold_path.write_text("\n".join(json.dumps(r, ensure_ascii=False) for r in rows) + "\nnot json\n", "utf-8")
    out = tmp_path / "out"
    args = [str(gold_path), "--modes", "dense,bm25", "--quiet", "--json", str(out / "m.json"),
            "--runs", str(out / "runs.jsonl")]
    assert main(args) == 0
    console = capsys.readouterr()
    payload = json.loads((out / "m.json").read_text(encoding="utf-8"))
    expected_reader = {
        "name": "fake",
        "max_passages": 2,
        "config": {"max_passages": 2, "min_confidence": 0.25, "stop_words": ["了", "的"]},
    }
    for obj in payload:
        assert obj["reader"] == expected_reader and obj["model"] == "fake-model" and obj["index"] == "/fake/index"
        assert obj["n"] == 5 and obj["gold"]["questions"] == 5 and obj["gold"]["skipped"] == 2
        assert obj["gold"]["skipped_by_reason"] == {"bad_json": 1, "empty_question": 1}
        assert [e["id"] for e in obj["gold"]["skipped_examples"]] == ["bad", None]
    assert qa.read_batches[-1] == [2]  # -k defaults to the reader's max_passages
    runs = load_runs(out / "runs.jsonl")
    assert runs.meta["reader"] == expected_reader and runs.meta["gold"] == payload[0]["gold"]
    assert len(runs.records) == 10
    # the console summary says what was skipped and why, with ids; each row was warned about on stderr
    assert "5 questions; 2 rows skipped (bad_json 1, empty_question 1); 0 answer offsets corrected" in console.out
    assert "skipped line 3 (bad): empty_question" in console.out and "skipped line 7: bad_json" in console.out
    assert "warning: " in console.err and "line 7: skipped (bad_json)" in console.err

    assert main([str(gold_path), "--retrieval-only", "--quiet", "--json", str(out / "r.json")]) == 0
    assert json.loads((out / "r.json").read_text(encoding="utf-8"))["reader"] is None


def test_cli_write_errors_are_user_errors(tmp_path, monkeypatch, capsys):
    import eval.cli

    monkeypatch.setattr(eval.cli, "open_qa", lambda args, gold: FakeQA(ANSWERS))
    gold_path = tmp_path / "g.jsonl"
    gold_path.write_text(json.dumps({"id": "q", "question": "中国的首都是哪里？", "answers": ["北京"]}), "utf-8")
    blocker = tmp_path / "file"
    blocker.write_text("x", encoding="utf-8")
    assert main([str(gold_path), "--quiet", "--json", str(blocker / "m.json")]) == 2
    assert "error: --json" in capsys.readouterr().err


def test_worst_failures_order():
    result = evaluate(FakeQA(ANSWERS), GOLD, mode="dense", k=2, progress=False)
    worst = worst_failures(result.records, 10)
    # F1 0 first, most confident first (q4 0.4 > q5 0.3 > q2 0.1), then q1 with F1 0.8; q3 is correct
    assert [r.id for r in worst] == ["q4", "q5", "q2", "q1"]
    assert [r.id for r in worst_failures(result.records, 2)] == ["q4", "q5"]
    retrieval = evaluate(FakeQA(ANSWERS), GOLD, mode="dense", reader=False, progress=False)
    assert [r.id for r in worst_failures(retrieval.records)] == ["q2", "q5"]


def test_write_report(tmp_path):
    results = [evaluate(FakeQA(ANSWERS), GOLD, mode=m, k=2, progress=False) for m in ("dense", "hybrid")]
    path = write_report(results, tmp_path / "rep", header=["gold: test"])
    text = path.read_text(encoding="utf-8")
    assert "| metric | dense | hybrid |" in text and "| exact_match | 0.200 | 0.200 |" in text
    for png in ("recall_at_k.png", "latency.png", "abstention.png"):
        assert f"]({png})" in text and (tmp_path / "rep" / png).stat().st_size > 0
    assert "## Worst failures (dense)" in text and "**q4** 火星首都？" in text and "(unanswerable)" in text
    only_answerable = [evaluate(FakeQA(ANSWERS), GOLD[:3], mode="dense", k=2, progress=False)]
    assert not write_report(only_answerable, tmp_path / "rep2").parent.joinpath("abstention.png").exists()
    md = render_markdown(only_answerable, {"recall": "r.png", "latency": "l.png", "abstention": None})
    assert "Not drawn" in md


# --------------------------------------------------------------------------- real index (FakeEncoder)

SQUAD = {
    "version": "v1.0",
    "data": [
        {
            "title": "城市",
            "paragraphs": [
                {
                    "id": "P1",
                    "context": "北京是中国的首都，人口超过两千万。",
                    "qas": [
                        {"id": "q1", "question": "中国的首都是哪座城市？", "answers": [{"text": "北京"}]}
                    ],
                },
                {
                    "context": "上海位于长江入海口，是中国最大的经济中心。",
                    "qas": [
                        {"id": "q2", "question": "中国最大的经济中心是哪里？", "answers": [{"text": "上海"}]},
                        {"id": "q3", "question": "火星的首都是哪里？", "answers": [], "is_impossible": True},
                    ],
                },
            ],
        }
    ],
}


def test_real_index_from_squad_contexts(tmp_path):
    from embeddings.encoder import FakeEncoder
    from qa.api import QA

    gold_path = tmp_path / "tiny.json"
    gold_path.write_text(json.dumps(SQUAD, ensure_ascii=False), encoding="utf-8")
    gold = load_gold(gold_path)
    qa = QA.build_from_documents(gold.documents, tmp_path / "idx", encoder=FakeEncoder())
    assert {d.doc_id for d in gold.documents} == set(qa.documents)
    for mode in ("dense", "bm25", "hybrid"):
        result = evaluate(qa, gold, mode=mode, k=2, reader=False, progress=False)
        assert result.metrics["recall@20"] == 1.0  # two passages only: both answers are retrieved
        assert result.metrics["n_unanswerable"] == 1


def test_cli_builds_cached_eval_index(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("QA_CACHE_DIR", str(tmp_path / "cache"))
    gold_path = tmp_path / "tiny.json"
    gold_path.write_text(json.dumps(SQUAD, ensure_ascii=False), encoding="utf-8")
    out = tmp_path / "out"
    args = [
        str(gold_path),
        "--model",
        "fake",
        "--retrieval-only",
        "--modes",
        "dense,bm25",
        "--quiet",
        "--json",
        str(out / "m.json"),
        "--runs",
        str(out / "runs.jsonl"),
        "--report",
        str(out / "rep"),
    ]
    assert main(args) == 0
    payload = json.loads((out / "m.json").read_text(encoding="utf-8"))
    assert [p["mode"] for p in payload] == ["dense", "bm25"]
    assert payload[0]["model"].startswith("fake") and payload[0]["exact_match"] is None
    assert payload[0]["index"].startswith(str(tmp_path / "cache" / "eval"))
    assert payload[0]["n"] == 3 and payload[0]["recall@20"] == 1.0
    runs = load_runs(out / "runs.jsonl")
    assert len(runs.records) == 6 and runs.meta["reader"] is None and runs.meta["model"] == payload[0]["model"]
    assert (out / "rep" / "report.md").is_file()
    cached = [p for p in (tmp_path / "cache" / "eval").iterdir() if p.is_dir()]  # (a lock file sits beside)
    assert len(cached) == 1

    from eval.cli import open_qa

    ns = type("Args", (), {"index": None, "model": "fake", "quiet": True})()
    again = open_qa(ns, load_gold(gold_path))
    assert again.last_build is not None and again.last_build.embedded == 0  # the cache is reused

    assert (
        main(
            [
                str(gold_path),
                "--model",
                "fake",
                "--retrieval-only",
                "--limit",
                "1",
                "--quiet",
                "--json",
                str(out / "one.json"),
            ]
        )
        == 0
    )
    one = json.loads((out / "one.json").read_text(encoding="utf-8"))
    assert isinstance(one, dict) and one["n"] == 1 and one["mode"] == "hybrid"
    assert set(one) >= {
        "recall@1",
        "recall@5",
        "recall@10",
        "recall@20",
        "mrr@10",
        "latency_ms_p50",
        "latency_ms_p95",
        "n_answerable",
        "n_unanswerable",
        "index",
        "model",
    }
    assert [p for p in (tmp_path / "cache" / "eval").iterdir() if p.is_dir()] == cached


@pytest.mark.parametrize("reader", ["rules", "baseline"])
def test_cli_with_the_real_reader(tmp_path, monkeypatch, reader):
    monkeypatch.setenv("QA_CACHE_DIR", str(tmp_path / "cache"))
    gold_path = tmp_path / "tiny.json"
    gold_path.write_text(json.dumps(SQUAD, ensure_ascii=False), encoding="utf-8")
    json_path, runs_path = tmp_path / "m.json", tmp_path / "runs.jsonl"
    args = [str(gold_path), "--model", "fake", "--quiet", "--reader", reader, "--json", str(json_path),
            "--runs", str(runs_path)]
    assert main(args) == 0
    payload = json.loads(json_path.read_text(encoding="utf-8"))
    for key in ("exact_match", "f1", "no_answer_accuracy", "answerable_abstain_rate"):
        assert 0.0 <= payload[key] <= 1.0
    assert payload["reader"]["name"] == reader and payload["reader"]["max_passages"] >= 1
    assert isinstance(payload["reader"]["config"], dict) and payload["reader"]["config"]
    assert load_runs(runs_path).meta["reader"] == payload["reader"]


def test_batched_retrieval_gives_the_same_records_as_single() -> None:
    import tempfile

    from embeddings.encoder import FakeEncoder
    from eval.gold import GoldQuestion
    from eval.runner import evaluate
    from qa.api import QA
    from qa.types import Document

    docs = [Document(f"d{i}", f"t{i}", f"第{i}号文档说：本公司共有{i * 7 + 3}名员工，总部位于城市{i}。", None) for i in range(8)]
    with tempfile.TemporaryDirectory() as tmp:
        qa = QA.build_from_documents(docs, tmp + "/idx", encoder=FakeEncoder())
        gold = [GoldQuestion(id=f"q{i}", question=f"第{i}号文档的公司有多少名员工？", answers=(f"{i * 7 + 3}名",),
                             doc_id=f"d{i}") for i in range(8)]
        one = evaluate(qa, gold, progress=False)
        many = evaluate(qa, gold, progress=False, batch_size=3)
    strip = lambda r: {k: v for k, v in r.to_json().items() if k != "latency_ms"}  # noqa: E731
    assert [strip(r) for r in one.records] == [strip(r) for r in many.records]
    assert all(r.latency_ms > 0 for r in many.records)
