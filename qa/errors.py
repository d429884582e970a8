"""The root of user-facing errors: the CLI and UI show a `QAError` as a message; anything else is a bug."""

from __future__ import annotations


class QAError(Exception):
    """An error the user can act on (bad input, missing or damaged index, missing extra); no traceback."""


class InputError(QAError, ValueError):
    """A bad argument from the user (empty question, unknown mode or reader, malformed date)."""


class MissingDependencyError(QAError, ImportError):
    """An optional package is not installed; the message names what to install."""


def first_line(exc: BaseException, limit: int = 200) -> str:
    """The first line of an exception's message (C++ libraries raise long texts), at most `limit` chars."""
    return (str(exc).splitlines() or [type(exc).__name__])[0][:limit]
