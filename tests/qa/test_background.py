"""Background work: the value or the error comes back to whoever asks, as often as asked."""

import threading

import pytest

from qa.background import Background
from qa.errors import InputError


def test_result_waits_for_the_work_and_returns_its_value() -> None:
    gate = threading.Event()
    job = Background(lambda: (gate.wait(5), 42)[1], "test-job")
    assert not job.done()
    gate.set()
    assert job.result() == 42 and job.result() == 42
    assert job.done()


def test_the_error_is_raised_where_the_result_is_asked_for_every_time() -> None:
    def fail() -> int:
        raise InputError("the model file is damaged: delete it to rebuild")

    job = Background(fail, "test-job")
    for _ in range(2):
        with pytest.raises(InputError, match="damaged"):
            job.result()


def test_the_thread_is_not_a_daemon_so_exit_waits_for_native_work() -> None:
    seen: list[bool] = []
    Background(lambda: seen.append(threading.current_thread().daemon), "test-job").result()
    assert seen == [False]


def test_a_ready_job_has_no_thread() -> None:
    job = Background.ready("x")
    assert job.done() and job.result() == "x"
