"""Statement deadlines for SQLite, which has no `statement_timeout`: each statement gets a deadline when it
starts (`execute`, `executemany`: one clock read and an attribute set), and one watchdog thread per process,
asleep until the earliest deadline of any connection, interrupts (`sqlite3.Connection.interrupt`) a connection
whose statement is past it. The interrupted statement's transaction is rolled back and the error reported as
`StatementTimeout`, whether it happens while executing or while fetching rows (`translated`).

Nothing runs per row or per virtual-machine step, so a statement that ends in time costs what it costs without a
deadline. (The earlier design, a progress handler calling into Python every 5,000 steps and a cursor wrapping
every fetch, cost 1.14x at the seed request and 1.35x at a 1000-record page.)

Deadlines and interrupts are taken under one lock, so the watchdog never interrupts a statement that started
after it looked. An interrupt that lands when the connection runs no statement is a no-op (SQLite clears it
when the next statement starts). Connections of a store without a timeout are plain `sqlite3.Connection`s.
"""

from __future__ import annotations

import math
import sqlite3
import threading
import time
import weakref
from collections.abc import Iterable, Iterator
from contextlib import contextmanager, suppress
from typing import Any

from cxreport.errors import StatementTimeout

TIMEOUT_MESSAGE = "the database took too long to answer; try a narrower request"


class _Watchdog:
    """The process's one thread that interrupts connections past their statement's deadline."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.next_check = math.inf  # when the watchdog wakes next (inf: asleep until a deadline is set)
        self._wake = threading.Event()
        self._connections: weakref.WeakSet[DeadlineConnection] = weakref.WeakSet()
        self._thread: threading.Thread | None = None

    def watch(self, connection: DeadlineConnection) -> None:
        with self.lock:
            self._connections.add(connection)
            if self._thread is None:
                self._thread = threading.Thread(target=self._run, name="cxreport-sqlite-deadlines", daemon=True)
                self._thread.start()

    def earlier_deadline(self) -> None:
        """Called under `lock` when a deadline comes before `next_check`."""
        self._wake.set()

    def _run(self) -> None:
        while True:
            with self.lock:
                now = time.monotonic()
                earliest = math.inf
                for connection in list(self._connections):
                    if connection.deadline <= now:
                        connection.deadline = math.inf
                        with suppress(sqlite3.ProgrammingError):  # closed meanwhile
                            connection.interrupt()
                    elif connection.deadline < earliest:
                        earliest = connection.deadline
                self.next_check = earliest
                self._wake.clear()
            self._wake.wait(None if earliest == math.inf else earliest - now)


_WATCHDOG = _Watchdog()


class DeadlineConnection(sqlite3.Connection):
    """A connection whose statements (`execute`, `executemany`) each run under a deadline."""

    timeout_s = 0.0
    deadline = math.inf

    def arm(self, timeout_ms: int) -> None:
        self.timeout_s = timeout_ms / 1000
        _WATCHDOG.watch(self)

    def start_statement(self) -> None:
        watchdog = _WATCHDOG
        with watchdog.lock:
            if not self.timeout_s:  # untimed
                self.deadline = math.inf
                return
            self.deadline = deadline = time.monotonic() + self.timeout_s
            if deadline < watchdog.next_check:
                watchdog.next_check = deadline
                watchdog.earlier_deadline()

    def execute(self, sql: str, parameters: Any = (), /) -> sqlite3.Cursor:
        self.start_statement()
        try:
            return super().execute(sql, parameters)
        except sqlite3.OperationalError as error:
            raise translated(error) from None

    def executemany(self, sql: str, parameters: Iterable[Any], /) -> sqlite3.Cursor:
        self.start_statement()
        try:
            return super().executemany(sql, parameters)
        except sqlite3.OperationalError as error:
            raise translated(error) from None


def is_interruption(error: BaseException | None) -> bool:
    return isinstance(error, sqlite3.OperationalError) and str(error) == "interrupted"


def translated(error: sqlite3.OperationalError) -> Exception:
    """What to raise for a SQLite error: `StatementTimeout` for an interruption, else the error itself."""
    return StatementTimeout(TIMEOUT_MESSAGE) if is_interruption(error) else error


@contextmanager
def untimed(connection: sqlite3.Connection) -> Iterator[None]:
    """No deadline for the statements of this block (migrations may legitimately run long)."""
    if not isinstance(connection, DeadlineConnection):
        yield
        return
    saved = connection.timeout_s
    connection.timeout_s = 0.0
    try:
        yield
    finally:
        connection.timeout_s = saved
