# Two commands do all set-up on a fresh machine: `make run` (chat UI over the bundled corpus) and `make test`.
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: install browser run test lint eval-gold eval-cmrc bench

$(STAMP): pyproject.toml
	$(PY) -m venv $(VENV)
	# CPU build of torch first: on this machine kind pip takes torch==2.13.0 from local disk;
	# pyproject's range (torch>=2.1) then admits it, so no multi-GB CUDA build is pulled in.
	$(BIN)/pip install -q torch==2.13.0
	# the milvus extra too: CI runs the Milvus backend's tests on embedded Milvus Lite
	$(BIN)/pip install -q -e '.[dev,milvus]'
	touch $(STAMP)

install: $(STAMP)

browser:  # Debian's Chromium for the browser tests (no browser download at install time)
	@command -v chromium >/dev/null 2>&1 || (apt-get update -qq && apt-get install -y -qq chromium fonts-wqy-microhei >/dev/null)

run: install
	$(BIN)/python app.py

test: install browser
	$(BIN)/python -m pytest -q

lint: install
	$(BIN)/ruff check .

# the gold-set figures of docs/evaluation.md
eval-gold: install
	$(BIN)/qa eval eval/gold/corpus.jsonl --modes dense,bm25,hybrid --json eval/results/gold.json --runs eval/results/gold-runs.jsonl --report eval/results/gold-report

# the CMRC 2018 dev figures of docs/evaluation.md (retrieval, then the default reader's answers)
eval-cmrc: install
	$(BIN)/qa eval ../shared/data/cmrc2018/cmrc2018_dev.json --modes dense,bm25,hybrid --retrieval-only --batch 64 --json eval/results/cmrc-retrieval-int8.json
	$(BIN)/qa eval ../shared/data/cmrc2018/cmrc2018_dev.json --mode hybrid --batch 64 --json eval/results/cmrc-hybrid-rules-int8.json

# `make bench` lists the benchmarks behind docs/benchmarks.md; `make bench B=NAME` reproduces NAME's figure
# (ARGS="..." runs it with other arguments). Same as `python -m bench [NAME [ARGS]]`.
bench: install
	$(BIN)/python -m bench $(B) $(ARGS)
