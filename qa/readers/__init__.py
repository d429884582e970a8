"""Readers: turn a question and its retrieved hits into a cited answer.

`base` (the `Reader` protocol and the config every reader shares), `factory` (readers by name),
`answers` (citations, abstentions and time-aware alternatives, for every reader), `rules/` (the rule-based
reader, the default), `baseline` (the best-clause baseline for evaluation).
"""

from qa.readers.base import Reader, SharedReaderConfig
from qa.readers.factory import DEFAULT_READER, make_reader, reader_names

__all__ = ["DEFAULT_READER", "Reader", "SharedReaderConfig", "make_reader", "reader_names"]
