"""Evaluation harness: gold sets, CMRC-2018 EM/F1, retrieval recall, latency, reports (`qa eval`)."""
