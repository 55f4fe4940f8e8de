"""Blocking work (database calls) runs in a worker thread so the event loop keeps serving.

One fixed pool of worker threads per process (`WORKER_THREADS`, as many as anyio's default limit): a hand-off
is a `run_in_executor`, a fraction of `anyio.to_thread.run_sync`'s cost, and the threads live as long as the
process, so the database connections they open (one per thread, on SQLite) are bounded by the pool's size
whatever the traffic's pattern.
"""

from __future__ import annotations

import asyncio
import functools
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


def _workers() -> ThreadPoolExecutor:
    global _pool
    if _pool is None:
        _pool = ThreadPoolExecutor(max_workers=WORKER_THREADS, thread_name_prefix="cxreport-worker")
    return _pool


async def in_thread(function: Callable[[*Ts], T], *args: *Ts) -> T:
    return await asyncio.get_running_loop().run_in_executor(_workers(), functools.partial(counted, function, *args))


async def iterate_in_threadpool(chunks: Iterator[bytes]) -> AsyncIterator[bytes]:
    """Pull each chunk of a blocking iterator (database batches) in a worker thread."""
    loop = asyncio.get_running_loop()
    while True:
        chunk = await loop.run_in_executor(_workers(), counted, _next_or_none, chunks)
        if chunk is None:
            return
        yield chunk


def _next_or_none(chunks: Iterator[bytes]) -> bytes | None:
    return next(chunks, None)
