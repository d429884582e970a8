"""jieba part-of-speech tagging for the rule reader: one process-wide tagger and a cache of tagged texts.

The tagger is jieba's ``posseg`` tagger with one step replaced: the Viterbi decoding of the words its
dictionary lacks (the HMM) runs vectorised with numpy (:class:`PosHMM`) instead of jieba's pure-Python loop.
It finds the same path with the same probability, tie for tie, so every tag is unchanged; it is much faster
where jieba's state table lacks a character and every one of the 256 (position, tag) states must be tried
at each step — Traditional Chinese text, where the HMM dominated the reader's time
(bench/reader_latency.py, at commit a9119df).
"""

from __future__ import annotations

import functools
import io
import threading
from collections.abc import Iterator, Mapping, Sequence
from typing import Any

import numpy as np

from qa.tokenize import JiebaUnavailableError, jieba_tokenizer

State = tuple[str, str]  # (B/M/E/S position in the word, POS tag)
# one Viterbi step: previous states (largest first), next states, their positions, transitions (next x
# previous), the next states as mask bytes
_Step = tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, bytes]
_MIN_FLOAT = -3.14e100  # jieba's log probability of an unseen emission
_TAGGER_LOCK = threading.Lock()  # one tagger per process, even when threads ask for it at once


class PosHMM:
    """jieba.posseg's Viterbi decoding (``jieba.posseg.viterbi``) over numpy arrays, with equal results.

    The same sums in the same order ((previous + transition) + emission), the same candidate states at each
    step, and the same tie-breaking (the larger state wins, as Python's ``max`` over ``(prob, state)``).
    """

    def __init__(
        self,
        char_states: Mapping[str, Sequence[State]],
        start_p: Mapping[State, float],
        trans_p: Mapping[State, Mapping[State, float]],
        emit_p: Mapping[State, Mapping[str, float]],
    ) -> None:
        self.states: list[State] = sorted(trans_p)  # index order = tuple order, for the tie-breaking
        index = {s: i for i, s in enumerate(self.states)}
        n = len(self.states)
        self._trans = np.full((n, n), -np.inf)
        self._follows = np.zeros((n, n), dtype=bool)
        for s, successors in trans_p.items():
            for t, p in successors.items():
                self._trans[index[s], index[t]] = p
                self._follows[index[s], index[t]] = True
        self._has_next = self._follows.any(axis=1)
        self._start = np.array([start_p[s] for s in self.states])
        self._any = np.ones(n, dtype=bool)
        self._index = index
        self._char_states = char_states
        self._emit_p = [emit_p[s] for s in self.states]
        # per character: its emission log probabilities and its allowed states (as mask bytes)
        self._emission = functools.lru_cache(maxsize=8192)(self._emission_of)
        self._allowed = functools.lru_cache(maxsize=8192)(self._allowed_of)
        # per (states present, states allowed): the step's sources, targets and transition block; a few
        # patterns recur (every unknown character allows every state), so most steps skip this work
        self._step = functools.lru_cache(maxsize=4096)(self._step_of)

    def _emission_of(self, ch: str) -> np.ndarray:
        return np.array([e.get(ch, _MIN_FLOAT) for e in self._emit_p])

    def _allowed_of(self, ch: str) -> bytes:
        states = self._char_states.get(ch)
        if states is None:
            return self._any.tobytes()
        mask = np.zeros(len(self.states), dtype=bool)
        mask[[self._index[s] for s in states]] = True
        return mask.tobytes()

    def _step_of(self, present: bytes, allowed: bytes) -> _Step | None:
        """jieba's choice of previous states (those with successors) and next states for one step."""
        prev = np.flatnonzero(np.frombuffer(present, dtype=bool) & self._has_next)
        if prev.size == 0:
            return None
        expect = self._follows[prev].any(axis=0)
        cand = np.frombuffer(allowed, dtype=bool) & expect
        if not cand.any():
            cand = expect if expect.any() else self._any
        ys = np.flatnonzero(cand)
        prev = prev[::-1].copy()  # largest state first: argmax (first maximum) breaks ties like max()
        trans = np.ascontiguousarray(self._trans[np.ix_(prev, ys)].T)  # one row per next state
        return prev, ys, np.arange(len(ys)), trans, cand.tobytes()

    def viterbi(self, obs: str) -> tuple[float, list[State]] | None:
        """(log probability, state per character) of the best path; None where jieba's own would fail."""
        if not obs:
            return None
        present = self._allowed(obs[0])
        v = np.where(np.frombuffer(present, dtype=bool), self._start + self._emission(obs[0]), -np.inf)
        back: list[np.ndarray] = []
        for ch in obs[1:]:
            step = self._step(present, self._allowed(ch))
            if step is None:
                return None
            prev, ys, cols, trans, present = step
            scores = v[prev][None, :] + trans  # (previous + transition) + emission, as jieba sums
            scores += self._emission(ch)[ys][:, None]
            best = scores.argmax(axis=1)
            v = np.full(len(self.states), -np.inf)
            v[ys] = scores[cols, best]
            came_from = np.full(len(self.states), -1)
            came_from[ys] = prev[best]
            back.append(came_from)
        last = np.flatnonzero(np.frombuffer(present, dtype=bool))
        best = int(last[(len(last) - 1) - np.argmax(v[last][::-1])])
        prob = float(v[best])
        route: list[State] = [self.states[0]] * len(obs)
        for i in range(len(obs) - 1, 0, -1):
            route[i] = self.states[best]
            best = int(back[i - 1][best])
        route[0] = self.states[best]
        return prob, route


def import_posseg() -> Any:
    """``jieba.posseg``, imported without its module-level tagger (``posseg.dt``) parsing the word-tag table
    from jieba's dictionary file: it is given the process-wide table (``qa.jieba_tables.word_tags``) instead,
    so the table is read once per process, from the prepared cache."""
    import sys

    from qa.jieba_tables import word_tags

    if "jieba.posseg" in sys.modules:
        return sys.modules["jieba.posseg"]
    tokenizer = jieba_tokenizer()
    table = word_tags()
    with tokenizer.lock:  # jieba reads the dictionary file under this lock too (Tokenizer.initialize)
        tokenizer.get_dict_file = lambda: io.BytesIO(b"")  # shadows the method during the import only
        try:
            import jieba.posseg as posseg
        finally:
            del tokenizer.get_dict_file
        if posseg.dt.tokenizer is tokenizer and not posseg.dt.word_tag_tab:
            posseg.dt.word_tag_tab = table
    return posseg


def _fast_tagger_class(posseg: Any) -> Any:
    """jieba's POSTokenizer with its HMM step decoded by :class:`PosHMM`."""
    tables = (posseg.char_state_tab_P, posseg.start_P, posseg.trans_P, posseg.emit_P)
    hmm = PosHMM(*tables)

    class FastPOSTokenizer(posseg.POSTokenizer):  # type: ignore[misc]
        def __init__(self, tokenizer: Any, word_tag_tab: dict[str, str]) -> None:
            # jieba's __init__ would parse the word-tag table again: take the shared one
            self.tokenizer = tokenizer
            self.word_tag_tab = word_tag_tab

        def _POSTokenizer__cut(self, sentence: str) -> Iterator[Any]:  # jieba's private __cut, name-mangled
            decoded = hmm.viterbi(sentence) or posseg.viterbi(sentence, *tables)
            pos_list = decoded[1]
            begin, nexti = 0, 0
            for i, char in enumerate(sentence):  # jieba's own word assembly from the B/M/E/S states
                pos = pos_list[i][0]
                if pos == "B":
                    begin = i
                elif pos == "E":
                    yield posseg.pair(sentence[begin : i + 1], pos_list[i][1])
                    nexti = i + 1
                elif pos == "S":
                    yield posseg.pair(char, pos_list[i][1])
                    nexti = i + 1
            if nexti < len(sentence):
                yield posseg.pair(sentence[nexti:], pos_list[nexti][1])

    return FastPOSTokenizer


@functools.lru_cache(maxsize=1)
def pos_tagger() -> Any:
    """The process-wide jieba part-of-speech tagger, created once; its word-tag table is jieba.posseg's own
    (``posseg.dt``), read once from the prepared cache."""
    try:
        import jieba
    except ImportError as exc:  # pragma: no cover - jieba is a core dependency
        raise JiebaUnavailableError("entity spans need jieba: pip install jieba") from exc
    jieba.setLogLevel(30)  # WARNING: keep "Building prefix dict" chatter off stderr (jieba's own logger only)
    with _TAGGER_LOCK:
        posseg = import_posseg()
        return _fast_tagger_class(posseg)(jieba_tokenizer(), posseg.dt.word_tag_tab)


@functools.lru_cache(maxsize=4096)
def pos_tag(text: str, hmm: bool = True) -> tuple[tuple[str, str], ...]:
    """(word, tag) pairs of ``text`` from jieba.posseg; cached.

    ``hmm=True`` keeps unknown names whole (slower); ``hmm=False`` leaves them as single characters, which
    :func:`~qa.readers.rules.entities.find_entities` merges back into noun runs.
    """
    return tuple((p.word, p.flag) for p in pos_tagger().cut(text, HMM=hmm))
