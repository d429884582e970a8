"""Dense vector stores behind one small protocol (base), chosen by name from the index config (factory)."""
