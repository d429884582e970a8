"""Property-based checks (hypothesis) over random Unicode documents, questions and file bytes.

Invariants: every passage is the exact slice ``doc.text[start:end]``; every citation satisfies
``c.text[c.start:c.end] == answer.text`` and cites an indexed passage; nothing raises except the documented
ValueError for a question with nothing printable; the loader never raises on arbitrary file bytes.
"""

from __future__ import annotations

import contextlib
import tempfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, assume, event, given, settings
from hypothesis import strategies as st

from embeddings.encoder import FakeEncoder
from qa.api import QA
from qa.loaders import DecodeError, decode_bytes, load_documents
from qa.passages import ChunkConfig, split_document
from qa.retriever import check_question
from qa.types import MODES, Document
from tests.qa.readers.contract import check_answer

SETTINGS = settings(max_examples=50, deadline=None, suppress_health_check=[HealthCheck.too_slow],
                    derandomize=True)

CJK = "截至年月我国已培育了家专精特新小巨人企业北京市是数量最多的城市银河航天灵犀星成功发射进入预定轨道"
PUNCT = "，。？！；：“”（）《》、…—,.?!;:\"'()[]"
SPECIAL = ["8997家", "2022年9月", "1.2万家", "<script>alert(1)</script>", "**粗体**", "'; DROP TABLE x; --",
           "\u200b", "\ufeff", "\u202e", "😀👨‍👩‍👧", "e\u0301", "𠀀", "\x00", "\r\n", "\n\n", "\t", "   "]

pieces = st.one_of(
    st.text(alphabet=CJK + PUNCT + "0123456789 \n", max_size=60),
    st.text(max_size=30),  # any code point except surrogates: controls, combining marks, astral planes, ...
    st.sampled_from(SPECIAL),
)
paragraphs = st.lists(pieces, min_size=1, max_size=5).map("".join)
doc_texts = st.lists(paragraphs, min_size=1, max_size=6).map("\n\n".join)
documents = st.lists(doc_texts, min_size=1, max_size=4).map(
    lambda texts: [Document(f"d{i}.txt", f"文档{i}", t, "2022-10-01" if i % 2 else None) for i, t in enumerate(texts)]
)


@st.composite
def questions(draw: st.DrawFn, docs: list[Document]) -> str:
    """A random question, or a substring of a document (+ a question word) so that answers occur."""
    kind = draw(st.sampled_from(["random", "cjk", "substring"]))
    if kind == "random":
        return draw(st.text(max_size=80))
    if kind == "cjk":
        return draw(st.text(alphabet=CJK + PUNCT + "0123456789多少哪谁？", min_size=1, max_size=40))
    text = draw(st.sampled_from(docs)).text
    start = draw(st.integers(0, max(0, len(text) - 1)))
    end = draw(st.integers(start, min(len(text), start + 40)))
    return text[start:end] + draw(st.sampled_from(["", "多少？", "是谁？", "哪里？", "?"]))


def _check_answer(qa: QA, question: str) -> None:
    try:
        expected = check_question(question)
    except ValueError:
        event("empty question")
        with pytest.raises(ValueError, match="empty"):
            qa.ask(question)
        return
    answer = qa.ask(question)
    event("answered" if answer.text is not None else "abstained")
    assert answer.question == expected or answer.question.strip() == expected.strip()
    check_answer(answer, {p.passage_id: p for p in qa.passages})
    for mode in MODES:
        hits = qa.retrieve(question, k=4, mode=mode)
        assert [h.rank for h in hits] == list(range(1, len(hits) + 1))
        assert all(a.score >= b.score for a, b in zip(hits, hits[1:], strict=False))


@SETTINGS
@given(data=st.data(), docs=documents)
def test_random_documents_and_questions_keep_the_citation_invariant(data: st.DataObject,
                                                                    docs: list[Document]) -> None:
    config = ChunkConfig()
    by_id = {d.doc_id: d for d in docs}
    split = [split_document(d, config) for d in docs]
    for doc, passages in zip(docs, split, strict=True):
        for p in passages:
            assert doc.text[p.start:p.end] == p.text and p.doc_id == doc.doc_id
            assert p.text and len(p.text) <= config.max_chars
    assume(any(split))  # an all-empty corpus is covered by test_bad_documents
    with tempfile.TemporaryDirectory() as tmp:
        qa = QA.build_from_documents(docs, Path(tmp) / "idx", encoder=FakeEncoder())
        for p in qa.passages:
            assert by_id[p.doc_id].text[p.start:p.end] == p.text
        for _ in range(3):
            _check_answer(qa, data.draw(questions(docs)))


file_bytes = st.one_of(
    st.binary(max_size=3000),
    st.text(max_size=500).map(lambda t: t.encode("utf-8")),
    st.text(alphabet=CJK + PUNCT + "\n ", max_size=300).flatmap(
        lambda t: st.sampled_from(["utf-8", "gbk", "utf-16", "utf-16-le", "utf-16-be", "gb18030"]).map(
            lambda enc, t=t: t.encode(enc, errors="ignore"))),
    st.tuples(st.text(max_size=200), st.text(max_size=200)).map(  # front matter + body
        lambda fb: f"---\n{fb[0]}\n---\n\n{fb[1]}".encode()),
)


@SETTINGS
@given(data=file_bytes, suffix=st.sampled_from([".txt", ".md", ".html"]))
def test_loader_never_raises_on_arbitrary_file_bytes(data: bytes, suffix: str) -> None:
    with contextlib.suppress(DecodeError):  # the documented failure; any other exception fails the test
        decode_bytes(data)
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        (folder / f"doc{suffix}").write_bytes(data)
        warnings: list[str] = []
        docs = load_documents([folder], on_warning=warnings.append)
        assert len(docs) <= 1
        if not docs:
            assert any(f"doc{suffix}" in w for w in warnings), "a skipped file must be named in a warning"
        for doc in docs:
            assert doc.text and doc.doc_id == f"doc{suffix}"
            for p in split_document(doc, ChunkConfig()):
                assert doc.text[p.start:p.end] == p.text


OPTION = st.one_of(st.text(alphabet=CJK, min_size=2, max_size=6), st.text(alphabet=CJK + "0123456789“”", max_size=8))
FIGURE = st.tuples(st.sampled_from(["", "超", "近", "约"]), st.integers(0, 99999),
                   st.sampled_from(["家", "%", "成", "天", "亿元", "万元", "个", ""]))


@SETTINGS
@given(options=st.lists(OPTION, min_size=2, max_size=4, unique=True), figures=st.lists(FIGURE, min_size=1, max_size=6),
       template=st.sampled_from(["{a}和{b}，哪个更多？", "{a}的多，还是{b}的多？", "（{a}、{b}），哪一项最低？",
                                 "{a}还是{b}更便宜？"]),
       noise=st.lists(pieces, max_size=4))
def test_comparisons_never_raise_and_cite_a_slice_of_their_passage(
    options: list[str], figures: list[tuple[str, int, str]], template: str, noise: list[str]
) -> None:
    from qa.readers.comparison import compare
    from qa.types import Hit, Passage

    stated = [f"{o}{p}{n}{u}" for o, (p, n, u) in zip(options * 2, figures, strict=False)]
    texts = ["，".join(stated), *noise]
    hits = [Hit(Passage(f"d{i}#0", f"d{i}", 0, 0, len(t), t), 1.0 / (i + 1), i + 1) for i, t in enumerate(texts)]
    judged = compare(template.format(a=options[0], b=options[-1]), hits)
    event("judged" if judged else "no judgement")
    if judged is None:
        return
    won = judged.figures[judged.winner]
    text = hits[won.hit].passage.text
    assert 0 <= judged.start < judged.end <= len(text) and 0 <= won.start < won.end <= len(text)
    assert 0.0 < judged.confidence <= 1.0 and len(judged.figures) >= 2
    values = [f.value for f in judged.figures]
    assert won.value in (max(values), min(values)) and values.count(won.value) == 1
