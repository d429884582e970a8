"""Alignment of a question with a sentence: the longest pieces of the question's text before and after its
question word found in the sentence (anchors), and the *gap* they leave open ("锣鼓经常用的节奏型称为什么"
aligned to "常用的节奏型称为「锣鼓点」" leaves "锣鼓点")."""

from __future__ import annotations

from qa.readers.rules.question import Question
from qa.readers.rules.text import CJK_OR_WORD, find_all, trim
from qa.sentences import split_clauses


def align_question(q: Question, norm: str) -> tuple[tuple[int, int], float] | None:
    """The gap the question's context anchors leave in the sentence ``norm`` and their support, or None.

    Matching ignores quote marks and spaces ("发展专精特新" matches "发展‘专精特新’"). The left anchor is
    the longest piece of the text before the question word found in the sentence, pushed right past later
    pieces of that text ("…开锁速度" then "最后"); the gap runs from it to the right anchor or the clause
    end.
    Why/how questions take the text after the last anchor instead.
    """
    sq, idx = _squeeze(norm)
    lq, rq = _squeeze(q.left)[0], _squeeze(q.right)[0]
    left, dl = _anchor(lq, sq, from_end=True) if lq else ("", 0)
    right, dr = _anchor(rq, sq, from_end=False) if rq else ("", 0)
    if not left and not right:
        return None
    clauses = split_clauses(norm)
    n = len(norm)

    def clause_end(pos: int) -> int:
        return next((ce for cs, ce in clauses if cs <= pos < ce), n)

    def clause_start(pos: int) -> int:
        return next((cs for cs, ce in clauses if cs <= pos < ce), 0)

    def orig_end(p_sq: int) -> int:
        return idx[p_sq - 1] + 1 if p_sq > 0 else 0

    reason = q.qtype.answer_type == "reason"
    options: list[tuple[float, int, int]] = []
    if left:
        tail = lq[len(lq) - dl :] if dl else ""
        for p in find_all(sq, left):
            le_sq = _extend(tail, sq, p + len(left))
            le = orig_end(le_sq)
            support = len(left) - 0.35 * dl
            rb = clause_end(le)
            if right:
                pos = sq.find(right, le_sq)
                if pos >= 0 and idx[pos] <= rb + 40:
                    support += len(right) - 0.35 * dr
                    if reason:
                        le = orig_end(pos + len(right))
                        rb = clause_end(le)
                    else:
                        rb = idx[pos]
            if _empty(norm, le, rb) or (reason and rb - le < 6):
                rb = clause_end(rb)  # "…的特点是：XXX" — the answer is the next clause
            options.append((support, le, rb))
    else:
        head = rq[:dr] if dr else ""
        for p0 in find_all(sq, right):
            p = _extend_back(head, sq, p0)
            ps = idx[p]
            if reason:
                le = orig_end(p + len(right))
                rb = clause_end(le)
                if _empty(norm, le, rb) or rb - le < 6:
                    rb = clause_end(rb)
                options.append((len(right) - 0.35 * dr, le, rb))
            else:
                cs = clause_start(ps - 1) if ps > 0 else 0
                options.append((len(right) - 0.35 * dr, cs, ps))
    best: tuple[float, int, int] | None = None
    for support, a_, b_ in options:
        gs, ge = trim(norm, a_, b_)
        if ge > gs and (best is None or support > best[0]):
            best = (support, gs, ge)
    if best is None:
        return None
    return (best[1], best[2]), best[0]


def _anchor(
    context: str, sentence: str, *, from_end: bool, min_len: int = 2, max_len: int = 16
) -> tuple[str, int]:
    """The longest piece of ``context`` found in ``sentence``, preferring pieces near the question word.

    ``from_end``: pieces are taken from the end of ``context`` (the text before the question word), else
    from its start. Returns (piece, its distance from the question word in characters), ("", 0) if none.
    """
    best, best_key, best_dist = "", -1e9, 0
    n = len(context)
    for dist in range(min(n, 24)):
        j = n - dist if from_end else dist
        room = j if from_end else n - j
        for length in range(min(max_len, room), min_len - 1, -1):
            piece = context[j - length : j] if from_end else context[j : j + length]
            if piece in sentence and CJK_OR_WORD.search(piece):
                key = length - 0.35 * dist
                if key > best_key:
                    best, best_key, best_dist = piece, key, dist
                break
    return best, best_dist


_SQUEEZE = frozenset("“”‘’「」『』《》\"' \t\u3000\xa0")


def _squeeze(text: str) -> tuple[str, list[int]]:
    """``text`` without quote marks and spaces, and the original index of each kept character."""
    idx = [i for i, ch in enumerate(text) if ch not in _SQUEEZE]
    return "".join(text[i] for i in idx), idx


def _extend(tail: str, sentence: str, pos: int, *, min_len: int = 2, window: int = 40) -> int:
    """Move ``pos`` past later pieces of ``tail`` found in order in ``sentence`` shortly after ``pos``."""
    i = 0
    while i < len(tail) - min_len + 1:
        for length in range(len(tail) - i, min_len - 1, -1):
            piece = tail[i : i + length]
            found = sentence.find(piece, pos)
            if CJK_OR_WORD.search(piece) and 0 <= found <= pos + window:
                pos, i = found + length, i + length
                break
        else:
            i += 1
    return pos


def _extend_back(head: str, sentence: str, pos: int, *, min_len: int = 2, window: int = 40) -> int:
    """Move ``pos`` back before earlier pieces of ``head`` found in order in ``sentence`` just before it."""
    j = len(head)
    while j >= min_len:
        for length in range(j, min_len - 1, -1):
            piece = head[j - length : j]
            found = sentence.rfind(piece, max(0, pos - window - length), pos)
            if CJK_OR_WORD.search(piece) and found >= 0 and found + length <= pos:
                pos, j = found, j - length
                break
        else:
            j -= 1
    return pos


def _empty(text: str, start: int, end: int) -> bool:
    gs, ge = trim(text, start, end)
    return ge <= gs

