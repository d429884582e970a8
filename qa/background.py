"""Work started in a thread now and collected where it is needed.

A cold process spends a third of its start building ONNX Runtime sessions, which release the GIL: started
in the background, they overlap with the Python part of the start (imports, jieba's tables, the index).
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Generic, TypeVar

T = TypeVar("T")


class Background(Generic[T]):
    """``fn()`` running in its own thread; ``result()`` waits for it and returns its value or raises its
    exception (every call, in whichever thread asks). The thread is not a daemon: a process that exits
    first waits for it rather than tearing down a native library mid-call."""

    def __init__(self, fn: Callable[[], T], name: str) -> None:
        self._value: T | None = None
        self._error: BaseException | None = None
        self._thread: threading.Thread | None = threading.Thread(target=self._run, args=(fn,), name=name)
        self._thread.start()

    @classmethod
    def ready(cls, value: T) -> Background[T]:
        """A job that is already done with ``value`` (no thread)."""
        job = cls.__new__(cls)
        job._value, job._error, job._thread = value, None, None
        return job

    def _run(self, fn: Callable[[], T]) -> None:
        try:
            self._value = fn()
        except BaseException as exc:  # handed to whoever asks for the result
            self._error = exc

    def done(self) -> bool:
        """Whether the work has finished (successfully or not)."""
        return self._thread is None or not self._thread.is_alive()

    def result(self) -> T:
        """The value, once the work is done; its exception, re-raised, if it failed."""
        if self._thread is not None:
            self._thread.join()
        if self._error is not None:
            raise self._error
        return self._value  # type: ignore[return-value]  # set when no error was recorded
