"""The training data module's command-line pieces (loading needs the shared data, tested elsewhere)."""

from __future__ import annotations

import argparse

import pytest

from training.data import source_list


def test_source_list_keeps_order_and_drops_empty_names() -> None:
    assert source_list("drcd,,cmrc,") == ("drcd", "cmrc")


@pytest.mark.parametrize("text", ["cmrc,nope", "", ","])
def test_source_list_refuses_unknown_or_no_sources(text: str) -> None:
    with pytest.raises(
        argparse.ArgumentTypeError, match=r"choose from \['cmrc', 'csquad-en', 'csquad-zh', 'drcd'\]"
    ):
        source_list(text)
