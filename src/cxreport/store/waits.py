"""How long a write may wait for the store's write lock: a bound the caller sets (the HTTP layer, per request)
and the stores honour while they wait for their lock. Without one (the command line) a write waits as long as
it takes."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

from cxreport.errors import Busy

_lock_wait: ContextVar[float | None] = ContextVar("cxreport_lock_wait", default=None)
"""Seconds a write of this context may wait for its lock. Context variables follow the work into the worker
thread that runs it (anyio copies the context)."""


@contextmanager
def waiting_at_most(seconds: float | None) -> Iterator[None]:
    token = _lock_wait.set(seconds)
    try:
        yield
    finally:
        _lock_wait.reset(token)


def lock_wait() -> float | None:
    """Seconds this write may wait for its lock, counted from when it starts waiting; None: no bound."""
    return _lock_wait.get()


def busy() -> Busy:
    return Busy("the server is busy with other writes; retry shortly", retry_after=1)
