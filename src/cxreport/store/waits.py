"""How long a write may wait for its turn: a deadline the caller sets (the HTTP layer, per request) and the
stores honour while they wait for their write lock. Without one (the command line) a write waits as long as
it takes."""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

from cxreport.errors import Busy

_deadline: ContextVar[float | None] = ContextVar("cxreport_write_deadline", default=None)
"""`time.monotonic()` by which this context's write must have its lock. Context variables follow the work into
the worker thread that runs it (anyio copies the context)."""


@contextmanager
def waiting_until(deadline: float | None) -> Iterator[None]:
    token = _deadline.set(deadline)
    try:
        yield
    finally:
        _deadline.reset(token)


def remaining_wait() -> float | None:
    """Seconds this write may still wait for its lock (0 when past its deadline), or None: no deadline."""
    deadline = _deadline.get()
    return None if deadline is None else max(0.0, deadline - time.monotonic())


def busy() -> Busy:
    return Busy("the server is busy with other writes; retry shortly", retry_after=1)
