"""Writes run apart from reads: a bounded set of writer slots with threads of their own, so writers waiting
for the database's write lock can never take the worker threads that reads and `/health` run in.

A write waits for a slot at most `CXREPORT_WRITE_WAIT_MS`, and once it has one (and has read and checked its
body), for the store's write lock at most as long again; past either the answer is a 503 `busy` with
`Retry-After`. Its own parsing does not count against its wait. Reads keep the fixed pool of worker threads
(`http/threads.py`, `WORKER_THREADS`) to themselves.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar, TypeVarTuple

import anyio
import anyio.to_thread
from litestar.datastructures import State

from cxreport.http.threads import counted
from cxreport.store.waits import busy, waiting_at_most

T = TypeVar("T")
Ts = TypeVarTuple("Ts")


class WriteGate:
    """At most `slots` writes at once, each waiting at most `wait_ms` for its turn."""

    def __init__(self, slots: int, wait_ms: int) -> None:
        self.slots = max(1, slots)
        self.wait_seconds = max(0, wait_ms) / 1000
        self._limiters: tuple[anyio.CapacityLimiter, anyio.CapacityLimiter] | None = None

    def _made(self) -> tuple[anyio.CapacityLimiter, anyio.CapacityLimiter]:
        """The turn limiter and the threads' limiter, made in the event loop on first use (anyio needs one)."""
        if self._limiters is None:
            self._limiters = (anyio.CapacityLimiter(self.slots), anyio.CapacityLimiter(self.slots))
        return self._limiters

    async def run(self, function: Callable[[*Ts], T], *args: *Ts) -> T:
        turns, threads = self._made()
        try:
            turns.acquire_nowait()
        except anyio.WouldBlock:
            acquired = False
            with anyio.move_on_after(self.wait_seconds):
                await turns.acquire()
                acquired = True  # no await between: a cancellation cannot fall after the acquire and before this
            if not acquired:
                raise busy() from None
        try:
            with waiting_at_most(self.wait_seconds):
                return await anyio.to_thread.run_sync(counted, function, *args, limiter=threads)
        finally:
            turns.release()


async def in_write_thread(state: State, function: Callable[[*Ts], T], *args: *Ts) -> T:
    """Run a write (a blocking store call) through the app's write gate."""
    gate: WriteGate = state.writes
    return await gate.run(function, *args)
