"""ClauseBaselineReader: the whole best-matching clause, chosen with the rule reader's sentence evidence."""

from __future__ import annotations

from qa.readers.baseline import ClauseBaselineReader
from qa.readers.factory import make_reader
from qa.readers.rules.config import RuleReaderConfig
from qa.readers.rules.reader import RuleReader
from qa.types import Hit, Passage

TEXT = "工信部发布的数据显示，截至2022年9月，我国已培育了四批共计8997家专精特新小巨人企业，带动全国发展。"
QUESTION = "截至2022年9月我国培育了多少家小巨人企业？"


def hit(text: str = TEXT, doc: str = "d") -> Hit:
    return Hit(Passage(f"{doc}#0", doc, 0, 0, len(text), text, "t", None), 1.0, 1)


def test_the_answer_is_the_whole_best_clause_with_a_valid_citation() -> None:
    ans = ClauseBaselineReader().read(QUESTION, [hit()])
    c = ans.citations[0]
    assert ans.text == "我国已培育了四批共计8997家专精特新小巨人企业"
    assert "，" not in ans.text and c.text[c.start : c.end] == ans.text
    assert ans.supporting_sentence == TEXT and ans.answer_type == "quantity"
    assert isinstance(make_reader("baseline"), ClauseBaselineReader)


def test_it_is_a_composition_of_the_rule_readers_evidence_not_a_subclass() -> None:
    baseline = ClauseBaselineReader(RuleReaderConfig(max_passages=2))
    assert not isinstance(baseline, RuleReader)
    assert baseline.name == "baseline" and baseline.max_passages == 2
    assert baseline.evidence.config is baseline.config


def test_its_confidence_is_the_rule_readers_sentence_confidence_without_type_fit() -> None:
    baseline = ClauseBaselineReader()
    rules = RuleReader()
    unrelated = hit("钕铁硼磁铁是一种稀土磁铁，是磁能性最大的物质之一。")
    ans = baseline.read(QUESTION, [unrelated])
    assert ans.text is not None  # it never abstains when there is a sentence to read
    assert ans.confidence < rules.config.abstain_threshold
    assert rules.read(QUESTION, [unrelated]).text is None
