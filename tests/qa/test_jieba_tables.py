"""jieba's dictionary tables from the prepared cache: equal to jieba's own parse; stale or damaged caches rebuilt."""

from __future__ import annotations

import io
import logging
from pathlib import Path

import pytest

jieba = pytest.importorskip("jieba")

from qa.jieba_tables import (  # noqa: E402
    PREFIX_DIR,
    TAGS_DIR,
    parse_word_tag_lines,
    prefix_dict_for,
    word_tags_for,
)
from qa.tokenize import initialize_from_cache  # noqa: E402

SMALL = "专精特新 30 n\n小巨人 12 n\n小巨 3 a\n埃夫特 5 nrt\n\n专精 7 d\n"


class FakeDictTokenizer:
    """Enough of a jieba Tokenizer for the tables: a dictionary file to read."""

    def __init__(self, text: str) -> None:
        self.text = text

    def get_dict_file(self) -> io.BytesIO:
        return io.BytesIO(self.text.encode("utf-8"))


@pytest.fixture(autouse=True)
def _cache_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("QA_CACHE_DIR", str(tmp_path))


def test_the_cached_tables_equal_jiebas_own_parse_of_its_dictionary() -> None:
    import jieba.posseg as posseg

    expected_freq, expected_total = jieba.Tokenizer.gen_pfdict(jieba.dt.get_dict_file())
    expected_tags = posseg.dt.word_tag_tab if posseg.dt.word_tag_tab else None
    for _ in range(2):  # built, then read back from the cache
        table = prefix_dict_for(jieba.dt)
        assert table.total == expected_total
        assert table.freq == expected_freq
        assert list(table.freq) == list(expected_freq)
        tags = word_tags_for(jieba.dt)
        assert tags == (expected_tags or parse_word_tag_lines(jieba.dt.get_dict_file().read()))


def test_word_tags_are_read_as_posseg_reads_them() -> None:
    import jieba.posseg as posseg

    fresh = object.__new__(posseg.POSTokenizer)
    posseg.POSTokenizer.load_word_tag(fresh, io.BytesIO(SMALL.replace("\n\n", "\n").encode()))
    assert parse_word_tag_lines(SMALL.encode()) == fresh.word_tag_tab
    with pytest.raises(ValueError, match="line 2"):
        parse_word_tag_lines(b"a 1 n\nb 2\n")


def test_a_tokenizer_initialized_from_the_cache_cuts_like_jiebas_own() -> None:
    own = jieba.Tokenizer()
    own.initialize()
    ours = jieba.Tokenizer()
    initialize_from_cache(ours)
    assert ours.initialized and ours.total == own.total and ours.FREQ == own.FREQ
    text = "截至2022年9月，工信部累计培育了多少家专精特新小巨人企业？埃夫特的董事长是谁"
    assert list(ours.cut_for_search(text)) == list(own.cut_for_search(text))


def test_a_changed_dictionary_makes_the_cache_stale(tmp_path: Path, caplog) -> None:
    assert prefix_dict_for(FakeDictTokenizer(SMALL.replace("\n\n", "\n"))).freq["专精特新"] == 30
    changed = FakeDictTokenizer("专精特新 31 n\n")
    with caplog.at_level(logging.WARNING, logger="qa.prepared"):
        table = prefix_dict_for(changed)
    assert table.freq == {"专精特新": 31, "专": 0, "专精": 0, "专精特": 0} and table.total == 31
    assert "stale" in caplog.text


@pytest.mark.parametrize("folder,name", [(PREFIX_DIR, "words.txt"), (PREFIX_DIR, "freq.npy"), (TAGS_DIR, "tags.txt")])
def test_a_damaged_table_is_rebuilt_and_reported(tmp_path: Path, caplog, folder: str, name: str) -> None:
    tok = FakeDictTokenizer("专精特新 30 n\n小巨人 12 n\n")
    want_freq, want_tags = prefix_dict_for(tok).freq, word_tags_for(tok)
    path = tmp_path / "models" / folder / name
    data = bytearray(path.read_bytes())
    data[-1] ^= 0x01
    path.write_bytes(bytes(data))
    with caplog.at_level(logging.WARNING, logger="qa.prepared"):
        assert prefix_dict_for(tok).freq == want_freq
        assert word_tags_for(tok) == want_tags
    assert "damaged" in caplog.text and name in caplog.text
