"""Connections `serve` accepts: each must send its request head within a deadline and its body within
another, and there are at most so many at once, so sockets that send nothing, or trickle, are closed and
cannot exhaust the process's file descriptors (docs/operations.md, "Connections").

uvicorn's own keep-alive timeout closes a connection idle between requests, but any byte resets it, and it
does not run before a connection's first request; `GuardedH11` adds what it lacks: a head deadline from the
moment the server waits for a request (a new connection, or the end of the previous response), a body
deadline from the end of the head, and a cap on open connections. At the cap a new connection first evicts
the connection that has waited longest for a request head (an idle or trickling one: never one with a request
in progress); when there is none, the new one is closed at once.

`AcceptErrorFilter` turns asyncio's "socket.accept() out of system resource" (logged with a traceback at each
failing accept, thousands a second when file descriptors run out) into one line per interval.
"""

from __future__ import annotations

import asyncio
import logging
import resource
import time
from typing import Any

from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

log = logging.getLogger("cxreport.connections")

FILE_DESCRIPTORS_RESERVED = 64
"""File descriptors kept for everything but client connections, besides 3 per worker thread (a SQLite
connection's database, WAL and shared-memory files): listening socket, log files, a PostgreSQL pool."""


def connection_cap(max_connections: int, threads: int) -> int:
    """`max_connections`, lowered so that connections and the threads' files fit in the soft file limit."""
    soft, _ = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft == resource.RLIM_INFINITY:
        return max_connections
    room = soft - FILE_DESCRIPTORS_RESERVED - 3 * threads
    return max(8, min(max_connections, room))


class Guarded(HttpToolsProtocol):
    """uvicorn's httptools protocol with head and body deadlines, a bound on a request head's size and a cap on
    open connections; `guarded` sets the class attributes.

    Where a request is: `_awaiting_head` from the moment the server waits for one (a new connection, or the end
    of the last response when no request is queued behind it) until its head is parsed; `_body_pending` from the
    end of its head to the end of its body (for a request without a body, both come in the same read). The
    head's bytes are counted from the moment the server waits for it (its size bound: what h11's
    `max_incomplete_event_size` was, give or take one read)."""

    header_timeout: float = 10.0
    body_timeout: float = 60.0
    max_connections: int = 1000
    max_head_bytes: int = 65536

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._deadline: asyncio.TimerHandle | None = None
        self._waiting_since = 0.0
        self._awaiting_head = False
        self._body_pending = False
        self._head_bytes = 0

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        if len(self.connections) > self.max_connections and not self._evict_one():
            log.warning("connection refused: %d open, the cap (CXREPORT_MAX_CONNECTIONS)", len(self.connections) - 1)
            transport.abort()
            return
        self._await_head()

    def connection_lost(self, exc: Exception | None) -> None:
        self._cancel_deadline()
        super().connection_lost(exc)

    def data_received(self, data: bytes) -> None:
        if self._awaiting_head:
            self._head_bytes += len(data)
        super().data_received(data)
        if self._awaiting_head:
            if self._head_bytes > self.max_head_bytes and not self.transport.is_closing():
                self.send_400_response("Invalid HTTP request received.")
        elif self._body_pending and self._deadline is None and not self.transport.is_closing():
            self._deadline = self.loop.call_later(self.body_timeout, self._expired, "body")

    def on_headers_complete(self) -> None:
        self._awaiting_head = False
        self._body_pending = True
        self._cancel_deadline()
        super().on_headers_complete()

    def on_message_complete(self) -> None:
        self._body_pending = False
        if self._deadline is not None:
            self._cancel_deadline()
        super().on_message_complete()
        if self.cycle.response_complete:  # answered before its body ended (a 413): wait for the next request
            self._await_head()

    def on_response_complete(self) -> None:
        super().on_response_complete()
        if not self.transport.is_closing() and self.cycle.response_complete and not self._body_pending:
            self._await_head()  # the last request parsed is answered: the server waits for the next one

    # --- deadlines ------------------------------------------------------------------------------------------
    def _await_head(self) -> None:
        self._cancel_deadline()
        self._awaiting_head = True
        self._head_bytes = 0
        self._waiting_since = time.monotonic()
        self._deadline = self.loop.call_later(self.header_timeout, self._expired, "head")

    def _cancel_deadline(self) -> None:
        if self._deadline is not None:
            self._deadline.cancel()
            self._deadline = None

    def _expired(self, part: str) -> None:
        self._deadline = None
        if self.transport.is_closing():
            return
        if self._awaiting_head if part == "head" else self._body_pending:
            self.transport.close()

    def _evict_one(self) -> bool:
        """Close the connection that has waited longest for a request head; False when none is waiting."""
        idle = [c for c in self.connections if isinstance(c, Guarded) and c is not self and c._awaiting_head]
        if not idle:
            return False
        oldest = min(idle, key=lambda connection: connection._waiting_since)
        oldest._cancel_deadline()
        oldest.transport.abort()
        self.connections.discard(oldest)
        return True


def guarded(header_timeout: float, body_timeout: float, max_connections: int, max_head_bytes: int) -> type[Guarded]:
    """The protocol class `serve` hands uvicorn (`http=`), with these limits: the module's own class, so that
    `serve --workers` can hand it to the processes it spawns by name; each process sets its limits once."""
    Guarded.header_timeout = header_timeout
    Guarded.body_timeout = body_timeout
    Guarded.max_connections = max_connections
    Guarded.max_head_bytes = max_head_bytes
    return Guarded


class AcceptErrorFilter(logging.Filter):
    """On the `asyncio` logger: "socket.accept() out of system resource" once per `interval` seconds, as one
    line without its traceback, saying how many were left out since."""

    MESSAGE = "socket.accept() out of system resource"

    def __init__(self, interval: float = 60.0) -> None:
        super().__init__()
        self.interval = interval
        self._last = float("-inf")
        self._suppressed = 0

    def filter(self, record: logging.LogRecord) -> bool:
        if not str(record.msg).startswith(self.MESSAGE):
            return True
        now = time.monotonic()
        if now - self._last < self.interval:
            self._suppressed += 1
            return False
        error = record.exc_info[1] if record.exc_info else None
        record.msg = (
            f"{self.MESSAGE} ({error}); {self._suppressed} more since the last report; new connections wait "
            f"(lower CXREPORT_MAX_CONNECTIONS or raise the file limit, ulimit -n)"
        )
        record.args = ()
        record.exc_info = None
        record.exc_text = None
        self._last = now
        self._suppressed = 0
        return True
