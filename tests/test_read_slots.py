"""Worker-thread reads of many rows run in at most `READ_SLOTS` at once (threads reading at once hand the
interpreter lock to each other at every row, and each holds its own working memory). A read waits for a slot on
the event loop, holding no worker thread, in its tenant's turn (`tests/test_fair_slots.py`): a table-building
read (`in_read_slot`) at most `READ_SLOT_WAIT_S`, then `Busy` (503, `Retry-After: 1`); a page-sized one
(`in_read_slot_briefly`, an export's chunks) at most `READ_SLOT_BRIEF_WAIT_S`, then it runs anyway."""

from __future__ import annotations

import asyncio
import threading
import time

import pytest

from cxreport.errors import Busy
from cxreport.http import threads

TENANT = "5eed0000-0000-4000-8000-000000000001"


def test_reads_run_in_at_most_read_slots_at_once(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(threads, "READ_SLOT_WAIT_S", 60.0)  # nobody runs without a slot here
    monkeypatch.setattr(threads, "READ_SLOT_BRIEF_WAIT_S", 60.0)
    lock = threading.Lock()
    running = 0
    most = 0

    def read(n: int) -> int:
        nonlocal running, most
        with lock:
            running += 1
            most = max(most, running)
        time.sleep(0.02)
        with lock:
            running -= 1
        return n

    async def main() -> list[int]:
        tables = [threads.in_read_slot(TENANT, read, n) for n in range(0, threads.READ_SLOTS + 4, 2)]
        pages = [threads.in_read_slot_briefly(TENANT, read, n) for n in range(1, threads.READ_SLOTS + 4, 2)]
        return sorted(await asyncio.gather(*tables, *pages))

    assert asyncio.run(main()) == list(range(threads.READ_SLOTS + 4))
    assert most == threads.READ_SLOTS
    assert threads.idle()


async def _hold_every_slot(release: threading.Event) -> list[asyncio.Future[str]]:
    """`READ_SLOTS` reads running, each until `release` is set."""
    started = threading.Semaphore(0)

    def slow() -> str:
        started.release()
        assert release.wait(60)
        return "slow"

    held = [asyncio.ensure_future(threads.in_read_slot(TENANT, slow)) for _ in range(threads.READ_SLOTS)]
    for _ in range(threads.READ_SLOTS):
        await asyncio.to_thread(started.acquire)
    return held


def test_a_request_waiting_too_long_for_a_slot_is_told_busy(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(threads, "READ_SLOT_WAIT_S", 0.2)
    release = threading.Event()
    ran = threading.Event()

    async def main() -> tuple[Busy, float, list[str]]:
        held = await _hold_every_slot(release)
        started = time.monotonic()
        with pytest.raises(Busy) as refused:
            await threads.in_read_slot(TENANT, ran.set)
        waited = time.monotonic() - started
        release.set()
        return refused.value, waited, list(await asyncio.gather(*held))

    refused, waited, held = asyncio.run(main())
    assert (refused.status, refused.code, refused.retry_after) == (503, "busy", 1)
    assert "large reads" in str(refused)
    assert 0.15 <= waited < 5
    assert not ran.is_set()  # refused before it ran
    assert held == ["slow"] * threads.READ_SLOTS


def test_pages_and_export_chunks_run_anyway_when_every_slot_stays_held(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(threads, "READ_SLOT_WAIT_S", 60.0)
    monkeypatch.setattr(threads, "READ_SLOT_BRIEF_WAIT_S", 0.05)
    release = threading.Event()

    async def main() -> tuple[str, list[bytes], list[str]]:
        held = await _hold_every_slot(release)
        page = await asyncio.wait_for(threads.in_read_slot_briefly(TENANT, lambda: "page"), timeout=30)
        chunks = [chunk async for chunk in threads.iterate_in_threadpool(TENANT, iter([b"a", b"b"]))]
        assert not any(task.done() for task in held)  # answered while the slots were still held
        release.set()
        return page, chunks, list(await asyncio.gather(*held))

    assert asyncio.run(main()) == ("page", [b"a", b"b"], ["slow"] * threads.READ_SLOTS)


def test_reads_waiting_for_a_slot_hold_no_worker_thread(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(threads, "READ_SLOT_WAIT_S", 60.0)
    release = threading.Event()

    async def main() -> tuple[str, int, list[str]]:
        held = await _hold_every_slot(release)
        waiting = [
            asyncio.ensure_future(threads.in_read_slot(TENANT, lambda: "waited")) for _ in range(threads.WORKER_THREADS)
        ]
        await asyncio.sleep(0.1)
        small = await asyncio.wait_for(threads.in_thread(lambda: "small"), timeout=10)  # a thread was free
        done_meanwhile = sum(task.done() for task in waiting)
        release.set()
        return small, done_meanwhile, [*await asyncio.gather(*held), *await asyncio.gather(*waiting)]

    small, done_meanwhile, answers = asyncio.run(main())
    assert (small, done_meanwhile) == ("small", 0)
    assert answers == ["slow"] * threads.READ_SLOTS + ["waited"] * threads.WORKER_THREADS


def test_a_slot_is_held_until_its_read_ends_even_when_its_request_is_gone(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(threads, "READ_SLOT_WAIT_S", 0.3)
    release = threading.Event()

    async def main() -> str:
        held = await _hold_every_slot(release)
        for task in held:  # the requests go away; their reads still run in their threads
            task.cancel()
        await asyncio.sleep(0.05)
        with pytest.raises(Busy):  # so the slots are still taken
            await threads.in_read_slot(TENANT, lambda: "too early")
        release.set()
        return await asyncio.wait_for(threads.in_read_slot(TENANT, lambda: "after"), timeout=10)

    assert asyncio.run(main()) == "after"


def test_a_failing_read_gives_its_slot_back(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(threads, "READ_SLOT_WAIT_S", 5.0)

    def failing() -> None:
        raise ValueError("no such thing")

    together = threading.Barrier(threads.READ_SLOTS, timeout=10)

    def at_once() -> int:
        return together.wait()  # broken (an error) unless READ_SLOTS reads run at once

    async def main() -> list[int]:
        for _ in range(threads.READ_SLOTS + 1):
            with pytest.raises(ValueError, match="no such thing"):
                await threads.in_read_slot(TENANT, failing)
        return await asyncio.gather(*(threads.in_read_slot(TENANT, at_once) for _ in range(threads.READ_SLOTS)))

    assert sorted(asyncio.run(main())) == list(range(threads.READ_SLOTS))
