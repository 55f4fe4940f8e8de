"""`service.collector.collector_paused`: the collector is off while any pause lasts, nested or in other threads,
and back as it was when the last one ends, an exception included."""

from __future__ import annotations

import gc
import threading
from collections.abc import Iterator
from contextlib import contextmanager

import pytest

from cxreport.service.collector import collector_paused


@pytest.fixture(autouse=True)
def collector_on() -> Iterator[None]:
    gc.enable()
    yield
    gc.enable()


def test_nested_pauses_keep_it_off_until_the_last_ends() -> None:
    with collector_paused():
        assert not gc.isenabled()
        with collector_paused():
            assert not gc.isenabled()
        assert not gc.isenabled()
    assert gc.isenabled()


def test_an_exception_ends_the_pause() -> None:
    with pytest.raises(ValueError), collector_paused():
        raise ValueError("boom")
    assert gc.isenabled()


def test_a_collector_off_before_stays_off() -> None:
    gc.disable()
    with collector_paused():
        assert not gc.isenabled()
    assert not gc.isenabled()


@contextmanager
def paused_in_another_thread() -> Iterator[None]:
    """Another thread's pause, lasting as long as the block."""
    entered, release = threading.Event(), threading.Event()

    def other() -> None:
        with collector_paused():
            entered.set()
            release.wait(10)

    thread = threading.Thread(target=other)
    thread.start()
    assert entered.wait(10)
    try:
        yield
    finally:
        release.set()
        thread.join(10)


def test_overlapping_pauses_in_threads() -> None:
    with paused_in_another_thread():
        with collector_paused():
            assert not gc.isenabled()
        assert not gc.isenabled()  # the other thread's pause lasts
    assert gc.isenabled()


def test_pauses_overlapping_without_a_break_still_collect_cycles(monkeypatch: pytest.MonkeyPatch) -> None:
    """A pause ending while another lasts collects when the collector has been off longer than LONGEST_OFF:
    a server answering statistics all the time does not keep cyclic garbage for ever."""
    from cxreport.service import collector

    monkeypatch.setattr(collector, "LONGEST_OFF", -1.0)

    class Cycle:
        pass

    with paused_in_another_thread():
        with collector_paused():
            cycle = Cycle()
            cycle.self = cycle  # type: ignore[attr-defined]
            del cycle
            assert any(isinstance(o, Cycle) for o in gc.get_objects())
        assert not gc.isenabled()  # the other pause lasts, yet the cycle was collected when this one ended
        assert not any(isinstance(o, Cycle) for o in gc.get_objects())
    assert gc.isenabled()
