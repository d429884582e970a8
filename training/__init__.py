"""Training the neural span reader (CPU, in a session, never in CI): `python -m training.reader_train`."""
