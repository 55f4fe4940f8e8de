"""`in_order`: the export's documents are fetched on threads a few batches ahead and come back in order."""

from __future__ import annotations

import threading
import time

import pytest

from cxreport.store.base import EXPORT_READERS, in_order


def test_results_come_back_in_input_order_whatever_finishes_first() -> None:
    def slow_for_even(number: int) -> int:
        time.sleep(0.01 if number % 2 == 0 else 0)
        return number * 10

    assert list(in_order(slow_for_even, range(20))) == [number * 10 for number in range(20)]


def test_work_runs_on_several_threads_at_once() -> None:
    barrier = threading.Barrier(EXPORT_READERS, timeout=5)  # passes only if EXPORT_READERS items run together

    def meet(number: int) -> int:
        barrier.wait()
        return number

    assert list(in_order(meet, range(EXPORT_READERS * 3))) == list(range(EXPORT_READERS * 3))


def test_reading_ahead_is_bounded() -> None:
    started: list[int] = []

    def note(number: int) -> int:
        started.append(number)
        return number

    results = in_order(note, range(1000))
    assert next(results) == 0
    time.sleep(0.05)
    assert len(started) <= EXPORT_READERS + 2, "a few items ahead, not the whole input"
    results.close()


def test_a_failure_reaches_the_consumer_at_its_place() -> None:
    def fail_at_three(number: int) -> int:
        if number == 3:
            raise ValueError("batch 3 failed")
        return number

    received: list[int] = []
    with pytest.raises(ValueError, match="batch 3 failed"):
        for value in in_order(fail_at_three, range(10)):
            received.append(value)
    assert received == [0, 1, 2]
