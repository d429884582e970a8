"""Every candidate answer span of a text: quantities, dates, quoted terms and (optionally) names and noun
phrases, each with offsets into the text so an answer can always be cited as ``text[start:end]``."""

from __future__ import annotations

from collections.abc import Sequence

from qa.errors import InputError
from qa.readers.rules.dates import find_dates
from qa.readers.rules.entities import (
    coordinate_spans,
    find_entities,
    find_titled_names,
    find_transliterated_names,
)
from qa.readers.rules.numbers import find_quantities
from qa.readers.rules.quotes import find_quotes
from qa.readers.rules.span import Span


def candidate_spans(
    text: str, start: int = 0, end: int | None = None, *, entities: bool = True, hmm: bool = True
) -> list[Span]:
    """All candidate spans inside ``text[start:end]`` (offsets into ``text``), by (start, -length, kind)."""
    end = len(text) if end is None else end
    if not 0 <= start <= end <= len(text):
        raise InputError(f"span bounds {start}:{end} are outside a text of {len(text)} characters")
    piece = text[start:end]
    found = find_quantities(piece) + find_dates(piece) + find_quotes(piece)
    if entities:
        named = find_entities(piece, hmm=hmm) + find_titled_names(piece) + find_transliterated_names(piece)
        found += named + coordinate_spans(piece, named)
    orgs = [(sp.start, sp.end) for sp in found if sp.kind == "organization"]
    found = [
        sp
        for sp in found
        if not (
            sp.kind in ("place", "person")
            and any(a <= sp.start and sp.end <= b and (a, b) != (sp.start, sp.end) for a, b in orgs)
        )
    ]  # "浙江" of "浙江众大塑料有限公司" names no place of its own
    out: dict[tuple[int, int, str], Span] = {}
    for span in found:
        key = (span.start + start, span.end + start, span.kind)
        if key not in out:
            out[key] = Span(key[0], key[1], span.text, span.kind, span.unit)
    return sorted(out.values(), key=lambda s: (s.start, -(s.end - s.start), s.kind))


def candidate_spans_batch(texts: Sequence[str], *, entities: bool = True) -> list[list[Span]]:
    """Batch form of :func:`candidate_spans` over whole texts."""
    return [candidate_spans(t, entities=entities) for t in texts]
