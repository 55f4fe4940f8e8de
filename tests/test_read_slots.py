"""Worker-thread reads of many rows run in at most `READ_SLOTS` at once (threads reading at once hand the
interpreter lock to each other at every row), and a call never waits for a slot longer than
`READ_SLOT_WAIT_S`: slow statements holding every slot delay the others, never stall them."""

from __future__ import annotations

import asyncio
import threading
import time

import pytest

from cxreport.http import threads


def test_reads_run_in_at_most_read_slots_at_once(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(threads, "READ_SLOT_WAIT_S", 60.0)  # nobody runs without a slot here
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
        return await asyncio.gather(*(threads.in_read_slot(read, n) for n in range(threads.READ_SLOTS + 4)))

    assert asyncio.run(main()) == list(range(threads.READ_SLOTS + 4))
    assert most == threads.READ_SLOTS
    assert threads.idle()


def test_a_read_runs_anyway_when_every_slot_stays_held(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(threads, "READ_SLOT_WAIT_S", 0.05)
    release = threading.Event()
    holding = threading.Semaphore(0)

    def slow() -> str:
        holding.release()
        assert release.wait(60)
        return "slow"

    async def main() -> tuple[str, list[str]]:
        held = [asyncio.ensure_future(threads.in_read_slot(slow)) for _ in range(threads.READ_SLOTS)]
        for _ in range(threads.READ_SLOTS):  # every slot taken
            await asyncio.to_thread(holding.acquire)
        quick = await asyncio.wait_for(threads.in_read_slot(lambda: "quick"), timeout=30)
        assert not any(task.done() for task in held)  # answered while the slots were still held
        release.set()
        return quick, list(await asyncio.gather(*held))

    assert asyncio.run(main()) == ("quick", ["slow"] * threads.READ_SLOTS)


def test_a_failing_read_gives_its_slot_back() -> None:
    def failing() -> None:
        raise ValueError("no such thing")

    async def main() -> None:
        for _ in range(threads.READ_SLOTS + 1):
            with pytest.raises(ValueError, match="no such thing"):
                await threads.in_read_slot(failing)

    asyncio.run(main())
    for _ in range(threads.READ_SLOTS):  # every slot free again
        assert threads._slots.acquire(blocking=False)
    for _ in range(threads.READ_SLOTS):
        threads._slots.release()
