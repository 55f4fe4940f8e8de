"""Blocking work (database calls) runs in a worker thread so the event loop keeps serving."""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar, TypeVarTuple

import anyio.to_thread

T = TypeVar("T")
Ts = TypeVarTuple("Ts")


async def in_thread(function: Callable[[*Ts], T], *args: *Ts) -> T:
    return await anyio.to_thread.run_sync(function, *args)
