"""Blocking work (database calls) runs in a worker thread so the event loop keeps serving.

One fixed pool of worker threads per process (`WORKER_THREADS`, as many as anyio's default limit): a hand-off
is a `run_in_executor`, a fraction of `anyio.to_thread.run_sync`'s cost, and the threads live as long as the
process, so the database connections they open (one per thread, on SQLite) are bounded by the pool's size
whatever the traffic's pattern.
"""

from __future__ import annotations

import asyncio
import functools
import os
import threading
import weakref
from collections.abc import AsyncIterator, Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import suppress
from typing import TypeVar, TypeVarTuple

from cxreport.errors import Busy
from cxreport.http.fair_slots import FairSlots

T = TypeVar("T")
Ts = TypeVarTuple("Ts")

WORKER_THREADS = 40
_pool: ThreadPoolExecutor | None = None
_running = 0
"""Calls running in a worker or writer thread now (`counted`)."""
_running_lock = threading.Lock()


def idle() -> bool:
    """Whether no worker or writer thread is running a call: then nothing else in this process competes for the
    interpreter lock (a search run on the event loop waits for no one)."""
    return _running == 0


def counted(function: Callable[[*Ts], T], *args: *Ts) -> T:
    """`function(*args)`, counted as running (`idle`) while it runs: every call handed to a thread goes
    through it."""
    global _running
    with _running_lock:
        _running += 1
    try:
        return function(*args)
    finally:
        with _running_lock:
            _running -= 1


READ_SLOTS = max(2, os.cpu_count() or 2)
"""Large reads (`in_read_slot`, `in_read_slot_briefly`, `iterate_in_threadpool`) that run at once; the others wait
for a slot on the event loop, holding no worker thread, in their tenant's turn (`FairSlots`). Two reasons:
- CPU: SQLite's driver lets go of the interpreter lock at every row it steps to, so threads reading at once hand
  the lock to each other at every row: a 1000-record page cost 2.6 ms of CPU on one thread, 2.8 ms on each of 2,
  4.0 on 4 and 7.6 on 16 (in process, the 300,000-interaction demo: 389, 695, 443 and 185 pages/s).
- memory: each statistics request builds its table in 6-20 MB; 40 of them at once held the server's anonymous
  memory at 360-450 MB after bursts of 48 at once (issue 16, `benchmarks/statistics_bursts.py`)."""
READ_SLOT_WAIT_S = 15.0
"""The longest a table-building read (statistics, WFM intervals: `in_read_slot`) waits for a slot; then its request
is answered `503 busy` (`Retry-After: 1`)."""
READ_SLOT_BRIEF_WAIT_S = 0.1
"""The longest a page-sized read (a large search page, an export's chunk: `in_read_slot_briefly`) waits for a slot
before it runs anyway: a cursor walk's every page is a new search, and an export's answer has begun, so neither
queues behind statistics; their memory is bounded by a page's (`CXREPORT_MAX_PAGE_BYTES`) or a chunk's size."""
_slots: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, FairSlots] = weakref.WeakKeyDictionary()


def _read_slots() -> FairSlots:
    """This event loop's slots (a server process has one loop; tests start many)."""
    loop = asyncio.get_running_loop()
    slots = _slots.get(loop)
    if slots is None:
        slots = _slots[loop] = FairSlots(READ_SLOTS)
    return slots


async def _take_read_slot(tenant_id: str, wait_s: float, *, refuse: bool) -> Callable[[], None]:
    """One of the `READ_SLOTS`, waited for in the tenant's turn (`FairSlots`) for `wait_s` at most, and how to give
    it back (from any thread). Without one by then: `Busy` when `refuse`, else no slot (a no-op)."""
    slots = _read_slots()
    if not await slots.acquire(tenant_id.lower(), wait_s):  # one tenant, one turn, however its id is written
        if refuse:
            raise Busy("the server is busy with other large reads; retry shortly", retry_after=1)
        return _nothing
    loop = asyncio.get_running_loop()

    def give_back() -> None:
        with suppress(RuntimeError):  # the loop has closed (its task was cancelled and the process is stopping)
            loop.call_soon_threadsafe(slots.release)

    return give_back


def _nothing() -> None:
    pass


async def _in_slot(tenant_id: str, wait_s: float, refuse: bool, function: Callable[[*Ts], T], *args: *Ts) -> T:
    """`in_thread` once a slot is taken; the slot is given back when the call ends in its thread (not when the
    request awaiting it is cancelled: the thread still reads)."""
    give_back = await _take_read_slot(tenant_id, wait_s, refuse=refuse)
    try:
        running = _workers().submit(functools.partial(counted, function, *args))
    except BaseException:
        give_back()
        raise
    running.add_done_callback(lambda _: give_back())
    return await asyncio.wrap_future(running)


def _workers() -> ThreadPoolExecutor:
    global _pool
    if _pool is None:
        _pool = ThreadPoolExecutor(max_workers=WORKER_THREADS, thread_name_prefix="cxreport-worker")
    return _pool


async def in_thread(function: Callable[[*Ts], T], *args: *Ts) -> T:
    return await asyncio.get_running_loop().run_in_executor(_workers(), functools.partial(counted, function, *args))


async def in_read_slot(tenant_id: str, function: Callable[[*Ts], T], *args: *Ts) -> T:
    """`in_thread` for a call that builds a table from many rows (statistics, agent statistics, WFM intervals), once
    one of the `READ_SLOTS` is free: `Busy` after `READ_SLOT_WAIT_S` without one."""
    return await _in_slot(tenant_id, READ_SLOT_WAIT_S, True, function, *args)


async def in_read_slot_briefly(tenant_id: str, function: Callable[[*Ts], T], *args: *Ts) -> T:
    """`in_thread` for a call that reads a page of many rows (a large search page), in one of the `READ_SLOTS`, or
    without one after `READ_SLOT_BRIEF_WAIT_S`. Small reads skip the slots: waiting for one cost more than the
    convoy it avoids (the seed request's CPU 0.15 -> 0.33 ms with every call slotted, at 16 connections)."""
    return await _in_slot(tenant_id, READ_SLOT_BRIEF_WAIT_S, False, function, *args)


async def iterate_in_threadpool(tenant_id: str, chunks: Iterator[bytes]) -> AsyncIterator[bytes]:
    """Pull each chunk of a blocking iterator (database batches) in a worker thread, as `in_read_slot_briefly`."""
    while True:
        chunk = await in_read_slot_briefly(tenant_id, _next_or_none, chunks)
        if chunk is None:
            return
        yield chunk


def _next_or_none(chunks: Iterator[bytes]) -> bytes | None:
    return next(chunks, None)
