"""Blocking work (database calls) runs in a worker thread so the event loop keeps serving.

One fixed pool of worker threads per process (`WORKER_THREADS`, as many as anyio's default limit): a hand-off
is a `run_in_executor`, a fraction of `anyio.to_thread.run_sync`'s cost, and the threads live as long as the
process, so the database connections they open (one per thread, on SQLite) are bounded by the pool's size
whatever the traffic's pattern.
"""

from __future__ import annotations

import asyncio
import functools
from collections.abc import AsyncIterator, Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import TypeVar, TypeVarTuple

T = TypeVar("T")
Ts = TypeVarTuple("Ts")

WORKER_THREADS = 40
_pool: ThreadPoolExecutor | None = None


def _workers() -> ThreadPoolExecutor:
    global _pool
    if _pool is None:
        _pool = ThreadPoolExecutor(max_workers=WORKER_THREADS, thread_name_prefix="cxreport-worker")
    return _pool


async def in_thread(function: Callable[[*Ts], T], *args: *Ts) -> T:
    return await asyncio.get_running_loop().run_in_executor(_workers(), functools.partial(function, *args))


async def iterate_in_threadpool(chunks: Iterator[bytes]) -> AsyncIterator[bytes]:
    """Pull each chunk of a blocking iterator (database batches) in a worker thread."""
    done = object()
    loop = asyncio.get_running_loop()
    while True:
        chunk = await loop.run_in_executor(_workers(), next, chunks, done)
        if chunk is done:
            return
        yield chunk  # type: ignore[misc]
