"""A document's date read from its own text, for documents whose front matter gives none.

News articles often carry no metadata but say when they were written: the latest day or month they state
("2023年7月12日"), or the year of an event they report by name ("近日举办的2023全国专精特新中小企业发展大会").
The latest such date is taken as the document's date, so that its answers can be placed in time (other
sources' answers are listed with their dates, and a question about a given time prefers the answer from
then). Targets ("到2025年") and bare years are not dates of writing and are ignored.
"""

from __future__ import annotations

import re

# a year naming an event ("2023全国…大会", "2022中国制造业500强" is a ranking, not an event)
_EVENT_YEAR = re.compile(
    r"(?<![\d.])((?:19|20)\d\d)(?:年)?[^\d，。；;,\n]{0,24}?(?:大会|论坛|博览会|峰会|年会|展览会|交易会|运动会)"
)


def date_in_text(text: str) -> str | None:
    """The latest day or month the text states (ISO, "2023-07-12" or "2022-09"), or the latest year of an
    event it names ("2023"); None when it states neither."""
    from qa.readers.rules.dates import mentioned_dates
    from qa.tokenize import normalize_same_length

    norm = normalize_same_length(text)
    found = [d for d in mentioned_dates(norm) if len(d) >= 7]
    found += [m.group(1) for m in _EVENT_YEAR.finditer(norm)]
    if not found:
        return None
    # the latest by its year, then the most precise within that year's latest month
    return max(found, key=lambda d: (d[:4], d[5:7] or "00", d[8:10] or "00", len(d)))
