"""The POS tagger: jieba's tags exactly, with the HMM step decoded by the vectorised PosHMM."""

from __future__ import annotations

import random

import pytest

posseg = pytest.importorskip("jieba.posseg")

from qa.readers.rules.postag import PosHMM, pos_tag, pos_tagger  # noqa: E402
from qa.tokenize import jieba_tokenizer  # noqa: E402

TABLES = (posseg.char_state_tab_P, posseg.start_P, posseg.trans_P, posseg.emit_P)
# Traditional characters are missing from jieba's state table (every state is tried); Simplified ones are in it.
TEXTS = (
    "要探討從梨俱吠陀到波你尼時代梵語的發展",
    "現存最古老的梵語文法是波你尼的八篇書",
    "夜柔吠陀與阿闥婆吠陀均可以最為研究哪一門語言的參考",
    "蔡天宇是平台的项目负责人",
    "浙江华益精密机械有限公司生产车间",
    "伊芳卡特菲参加了歌唱比赛",
    "國",
    "的",
    "臺灣大學",
)


def _random_texts(n: int, seed: int = 0) -> list[str]:
    rng = random.Random(seed)
    alphabet = "".join(sorted(set("".join(TEXTS)))) + "龘靐齉爨"
    return ["".join(rng.choice(alphabet) for _ in range(rng.randint(1, 12))) for _ in range(n)]


@pytest.mark.parametrize("text", [*TEXTS, *_random_texts(12)])
def test_pos_hmm_finds_jiebas_path_and_probability(text: str) -> None:
    hmm = PosHMM(*TABLES)
    prob, route = posseg.viterbi(text, *TABLES)
    assert hmm.viterbi(text) == (prob, list(route))


def test_the_tagger_tags_exactly_like_jieba() -> None:
    reference = posseg.POSTokenizer(jieba_tokenizer())
    for text in ("，".join(TEXTS), "國立臺灣大學（簡稱臺大）是臺灣第一所高等教育機構。", *_random_texts(5, seed=1)):
        for hmm in (True, False):
            expected = [(p.word, p.flag) for p in reference.cut(text, HMM=hmm)]
            assert [(p.word, p.flag) for p in pos_tagger().cut(text, HMM=hmm)] == expected
            assert list(pos_tag(text, hmm)) == expected


def test_jieba_still_has_the_step_the_tagger_replaces() -> None:
    assert hasattr(posseg.POSTokenizer, "_POSTokenizer__cut")  # else the override would silently do nothing
    assert type(pos_tagger()).__mro__[1] is posseg.POSTokenizer
    assert PosHMM(*TABLES).viterbi("") is None


def test_a_fresh_process_shares_one_word_tag_table(tmp_path) -> None:
    """jieba.posseg's own tagger and ours hold the one table read from the prepared cache (a second parse by
    posseg's import would leave it its own table)."""
    import os
    import subprocess
    import sys

    code = (
        "import jieba.posseg, sys\n"
        "from qa.jieba_tables import word_tags\n"
        "from qa.readers.rules.postag import pos_tagger\n"
        "t = pos_tagger().word_tag_tab\n"
        "assert t is jieba.posseg.dt.word_tag_tab is word_tags(), 'two tables'\n"
        "assert len(t) > 300000\n"
    )
    # the tagger must be made before anything imports jieba.posseg: import it through pos_tagger first
    code = code.replace("import jieba.posseg, sys\n", "from qa.readers.rules.postag import pos_tagger\n"
                        "pos_tagger()\nimport jieba.posseg\n")
    env = {**os.environ, "QA_CACHE_DIR": str(tmp_path)}
    for _ in range(2):  # builds the cache, then reads it
        out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True)
        assert out.returncode == 0, out.stderr[-2000:]

