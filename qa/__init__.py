"""Cited extractive question answering over document folders (Chinese first)."""

__version__ = "0.1.0"
