"""The answer contract every reader keeps, as one checker (used by the contract suite and the hardening tests).

- types: an Answer with a non-empty question, a str text or None, a float confidence in [0, 1], Hit hits;
- citations: every citation holds the answer at its offsets (``c.text[c.start:c.end] == answer.text``) and,
  when the passages are known, is the indexed passage's text;
- abstention: ``text is None`` with no citations and no alternatives;
- alternatives: each is the exact span of a read hit, from that hit's document;
- the answer is JSON-serialisable (``qa ask --json``).
"""

from __future__ import annotations

import json
from collections.abc import Mapping

from qa.types import Alternative, Answer, Citation, Hit, Passage


def check_answer(answer: Answer, passages: Mapping[str, Passage] | None = None) -> None:
    """Assert the answer contract; ``passages`` (by id) also checks that citations quote indexed passages."""
    assert isinstance(answer, Answer)
    assert isinstance(answer.question, str) and answer.question
    assert isinstance(answer.confidence, float) and 0.0 <= answer.confidence <= 1.0
    assert isinstance(answer.hits, tuple) and all(isinstance(h, Hit) for h in answer.hits)
    assert isinstance(answer.answer_type, str) and answer.answer_type
    if answer.text is None:
        assert answer.citations == () and answer.alternatives == ()
    else:
        assert isinstance(answer.text, str) and answer.text.strip()
        assert answer.citations, "an answer must cite at least one passage"
        assert isinstance(answer.supporting_sentence, str)
    for c in answer.citations:
        assert isinstance(c, Citation)
        assert c.text[c.start : c.end] == answer.text
        if passages is not None:
            assert passages[c.passage_id].text == c.text and passages[c.passage_id].doc_id == c.doc_id
    assert len({c.passage_id for c in answer.citations}) == len(answer.citations), "one citation per passage"
    for alt in answer.alternatives:
        assert isinstance(alt, Alternative)
        hit = next(h for h in answer.hits if h.passage_id == alt.passage_id)
        assert hit.text[alt.start : alt.end] == alt.answer and hit.doc_id == alt.doc_id
        assert alt.answer != answer.text
    json.dumps(answer.to_json())  # ASCII-escaped: works even for odd code points
