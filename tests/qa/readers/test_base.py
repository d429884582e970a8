"""The shared reader config: defaults, validation as InputError, to_dict for the eval records."""

from __future__ import annotations

import json

import pytest

from qa.errors import InputError
from qa.readers.base import SharedReaderConfig
from qa.readers.rules.config import RuleReaderConfig


def test_the_shared_defaults_are_the_rule_readers() -> None:
    shared, rules = SharedReaderConfig(), RuleReaderConfig()
    for name in ("max_passages", "abstain_threshold", "alternative_types", "max_alternatives", "max_citations"):
        assert getattr(shared, name) == getattr(rules, name)
    assert (shared.max_passages, shared.abstain_threshold, shared.max_alternatives, shared.max_citations) == (
        5, 0.5, 4, 3)  # fmt: skip
    assert shared.alternative_types == ("quantity", "date")


@pytest.mark.parametrize("kwargs", [{"max_passages": 0}, {"abstain_threshold": -0.1}, {"abstain_threshold": 2},
                                    {"max_citations": 0}, {"max_alternatives": -1}])
def test_bad_values_are_input_errors(kwargs: dict) -> None:
    with pytest.raises(InputError):
        SharedReaderConfig(**kwargs)
    with pytest.raises(InputError):
        RuleReaderConfig(**kwargs)


def test_to_dict_is_json_ready_and_complete() -> None:
    data = RuleReaderConfig(max_passages=3).to_dict()
    assert data["max_passages"] == 3 and data["alternative_types"] == ["quantity", "date"]
    assert data["type_compat"]["term"]["quote"] == 1.0
    assert json.loads(json.dumps(data)) == data
    assert SharedReaderConfig().to_dict() == {
        "max_passages": 5, "abstain_threshold": 0.5, "alternative_types": ["quantity", "date"],
        "max_alternatives": 4, "max_citations": 3,
    }  # fmt: skip
