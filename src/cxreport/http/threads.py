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
from collections.abc import AsyncIterator, Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import TypeVar, TypeVarTuple

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
"""Large reads (`in_read_slot`, `iterate_in_threadpool`) that run at once; the others wait for a slot, at most
`READ_SLOT_WAIT_S`. SQLite's driver lets go of the interpreter lock at every row it steps to, so threads reading
at once hand the lock to each other at every row: a 1000-record page cost 2.6 ms of CPU on one thread, 2.8 ms on
each of 2, 4.0 on 4 and 7.6 on 16 (in process, the 300,000-interaction demo: 389, 695, 443 and 185 pages/s)."""
READ_SLOT_WAIT_S = 0.1
"""The longest a call waits for a slot before it runs anyway: slow statements holding every slot (up to the
statement timeout) delay the others by this much at most, never stall them."""
_slots = threading.BoundedSemaphore(READ_SLOTS)


def slotted(function: Callable[[*Ts], T], *args: *Ts) -> T:
    """`counted(function, *args)` once one of the `READ_SLOTS` is free, or after `READ_SLOT_WAIT_S` without one."""
    acquired = _slots.acquire(timeout=READ_SLOT_WAIT_S)
    try:
        return counted(function, *args)
    finally:
        if acquired:
            _slots.release()


def _workers() -> ThreadPoolExecutor:
    global _pool
    if _pool is None:
        _pool = ThreadPoolExecutor(max_workers=WORKER_THREADS, thread_name_prefix="cxreport-worker")
    return _pool


async def in_thread(function: Callable[[*Ts], T], *args: *Ts) -> T:
    return await asyncio.get_running_loop().run_in_executor(_workers(), functools.partial(counted, function, *args))


async def in_read_slot(function: Callable[[*Ts], T], *args: *Ts) -> T:
    """`in_thread` for a call that reads many rows (a large page, statistics, an export's chunk): it runs in one
    of the `READ_SLOTS`. Small reads skip the slots: waiting for one cost more than the convoy it avoids (the
    seed request's CPU 0.15 -> 0.33 ms with every call slotted, at 16 connections)."""
    return await asyncio.get_running_loop().run_in_executor(_workers(), functools.partial(slotted, function, *args))


async def iterate_in_threadpool(chunks: Iterator[bytes]) -> AsyncIterator[bytes]:
    """Pull each chunk of a blocking iterator (database batches) in a worker thread, in one of the `READ_SLOTS`."""
    loop = asyncio.get_running_loop()
    while True:
        chunk = await loop.run_in_executor(_workers(), slotted, _next_or_none, chunks)
        if chunk is None:
            return
        yield chunk


def _next_or_none(chunks: Iterator[bytes]) -> bytes | None:
    return next(chunks, None)
