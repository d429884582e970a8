"""Benchmarks behind the figures of docs/benchmarks.md; run one with `python -m bench NAME` (see __main__)."""
