"""Training windows: examples tokenized once per context, cut into windows, answer positions labelled."""

from __future__ import annotations

import random
from collections.abc import Sequence
from dataclasses import dataclass

from qa.readers.neural.windows import EncodedText, SpanTokenizer, Window, make_windows
from training.data import Example


@dataclass(frozen=True)
class Feature:
    """One training window with its target positions in input_ids (0, 0 = the `<s>` no-answer position)."""

    input_ids: tuple[int, ...]
    start: int
    end: int


def answer_tokens(ctx: EncodedText, start: int, end: int) -> tuple[int, int] | None:
    """First and last context token overlapping the answer's characters [start, end)."""
    first = last = None
    for i, (a, b) in enumerate(ctx.offsets):
        if b > start and a < end:
            if first is None:
                first = i
            last = i
        elif a >= end:
            break
    return None if first is None else (first, last)


def encode_examples(
    examples: Sequence[Example], tok: SpanTokenizer
) -> tuple[dict[str, EncodedText], dict[str, EncodedText]]:
    """Token ids of every distinct context and question (each tokenized once)."""
    contexts = sorted({e.context for e in examples})
    questions = sorted({e.question for e in examples})
    ctx = dict(zip(contexts, tok.encode_batch(contexts), strict=True))
    qs = dict(zip(questions, tok.encode_batch(questions), strict=True))
    return ctx, qs


def build_features(
    examples: Sequence[Example],
    tok: SpanTokenizer,
    *,
    max_len: int,
    stride: int,
    max_question: int,
    max_answer_tokens: int,
    negative_share: float,
    seed: int,
    hard_negatives: Sequence[Example] = (),
) -> list[Feature]:
    """Windows holding the answer, plus a seeded `negative_share` of the windows that hold none, plus every
    window of the `hard_negatives` (other contexts' passages, all labelled no-answer; see
    `training.negatives`)."""
    rng = random.Random(seed)
    ctx, qs = encode_examples([*examples, *hard_negatives], tok)
    out: list[Feature] = []
    cut = {"max_len": max_len, "stride": stride, "max_question": max_question}
    for ex in hard_negatives:
        windows = make_windows(qs[ex.question].ids, ctx[ex.context].ids, **cut)
        out += [Feature(w.input_ids, 0, 0) for w in windows]
    for ex in examples:
        c = ctx[ex.context]
        span = answer_tokens(c, ex.start, ex.start + len(ex.answer)) if ex.start >= 0 else None
        if ex.start >= 0 and (span is None or span[1] - span[0] >= max_answer_tokens):
            continue
        for w in make_windows(
            qs[ex.question].ids, c.ids, max_len=max_len, stride=stride, max_question=max_question
        ):
            if span is not None and w.ctx_start <= span[0] and span[1] < w.ctx_end:
                out.append(
                    Feature(w.input_ids, w.offset + span[0] - w.ctx_start, w.offset + span[1] - w.ctx_start)
                )
            elif rng.random() < negative_share:
                out.append(Feature(w.input_ids, 0, 0))
    return out


def batches(features: Sequence[Feature], batch_size: int, seed: int) -> list[list[int]]:
    """Seeded batches of feature indices, grouped by length (less padding), in shuffled order."""
    rng = random.Random(seed)
    order = list(range(len(features)))
    rng.shuffle(order)
    chunk = batch_size * 50
    out: list[list[int]] = []
    for i in range(0, len(order), chunk):
        part = sorted(order[i : i + chunk], key=lambda j: len(features[j].input_ids))
        out.extend(part[k : k + batch_size] for k in range(0, len(part), batch_size))
    rng.shuffle(out)
    return out


def window_of(feature: Feature) -> Window:
    return Window(feature.input_ids, 0, 0, 0)
