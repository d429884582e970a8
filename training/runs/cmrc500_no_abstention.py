"""Open-domain CMRC dev, first 500 questions, neural reader with abstention off (the README figure).

Needs the cached CMRC dev index that `qa eval ../shared/data/cmrc2018/cmrc2018_dev.json` builds.
    .venv/bin/python training/runs/cmrc500_no_abstention.py
"""

import json

from eval.gold import load_gold
from eval.runner import evaluate
from qa.api import QA
from qa.paths import cache_dir

gold = load_gold("../shared/data/cmrc2018/cmrc2018_dev.json")
index = sorted((cache_dir() / "eval").glob("*-multilingual-e5-small-int8"))[0]
qa = QA.open(index)
qa.use_reader("neural", abstain_threshold=0.0)
res = evaluate(qa, gold.questions[:500], mode="hybrid", k=5, progress=False, batch_size=64)
print(json.dumps({k: res.metrics[k] for k in ("exact_match", "f1", "answerable_abstain_rate", "recall@5")}))
