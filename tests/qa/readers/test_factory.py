"""Readers by name: the registry, options that override a reader's config, and errors that list the names."""

from __future__ import annotations

import pytest

from qa.errors import InputError
from qa.readers.baseline import ClauseBaselineReader
from qa.readers.factory import DEFAULT_READER, as_reader, make_reader, reader_class, reader_names
from qa.readers.rules.config import RuleReaderConfig
from qa.readers.rules.reader import RuleReader


def test_the_default_is_the_neural_reader_and_comes_first() -> None:
    from qa.readers.neural.reader import NeuralReader

    assert DEFAULT_READER == "neural" == reader_names()[0]
    assert reader_names() == ("neural", "rules", "baseline")
    assert isinstance(make_reader(), NeuralReader) and reader_class("neural") is NeuralReader
    assert reader_class("rules") is RuleReader and make_reader("rules").config == RuleReaderConfig()
    assert reader_class("baseline") is ClauseBaselineReader


def test_options_override_config_fields() -> None:
    reader = make_reader("rules", max_passages=3, abstain_threshold=0.0)
    assert reader.config == RuleReaderConfig(max_passages=3, abstain_threshold=0.0)
    assert reader.max_passages == 3
    assert make_reader("baseline", max_passages=2).max_passages == 2


def test_the_encoder_is_passed_on() -> None:
    from embeddings.encoder import FakeEncoder

    encoder = FakeEncoder()
    assert make_reader("rules", encoder=encoder).encoder is encoder


@pytest.mark.parametrize("name", ["neural-typo", "", "RULES", None])
def test_an_unknown_name_is_an_input_error_listing_the_names(name: object) -> None:
    with pytest.raises(InputError, match="unknown reader .*choose one of neural, rules, baseline"):
        make_reader(name)  # type: ignore[arg-type]


def test_an_unknown_option_is_an_input_error_listing_the_options() -> None:
    with pytest.raises(InputError, match="has no option 'max_pasages'; its options: .*max_passages"):
        make_reader("rules", max_pasages=3)


def test_as_reader_takes_a_reader_a_name_or_none() -> None:
    reader = RuleReader()
    assert as_reader(reader) is reader
    assert isinstance(as_reader("baseline"), ClauseBaselineReader)
    assert isinstance(as_reader("rules"), RuleReader)
    from qa.readers.neural.reader import NeuralReader

    assert isinstance(as_reader(None), NeuralReader)  # None: the default reader


def test_cli_reader_options_parse_as_json_values_else_text() -> None:
    from qa.readers.factory import parse_reader_options

    assert parse_reader_options(["runtime=onnx-int8", "threads=1", "abstain_threshold=0.3", "x=null"]) == {
        "runtime": "onnx-int8",
        "threads": 1,
        "abstain_threshold": 0.3,
        "x": None,
    }
    assert parse_reader_options(None) == {}
    reader = make_reader("rules", **parse_reader_options(["max_passages=3"]))
    assert reader.max_passages == 3
    for bad in ("runtime", "=1"):
        with pytest.raises(InputError, match="is not KEY=VALUE"):
            parse_reader_options([bad])
