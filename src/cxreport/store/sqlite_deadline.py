"""Statement deadlines for SQLite, which has no `statement_timeout`: each statement gets a deadline when it
starts, a progress handler checks it every few thousand virtual-machine steps, and a statement past it is
interrupted (its transaction rolled back) and reported as `StatementTimeout`.

Connections of a store without a timeout are plain `sqlite3.Connection`s: nothing here costs them anything.
"""

from __future__ import annotations

import math
import sqlite3
import time
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from typing import Any

from cxreport.errors import StatementTimeout

_CHECK_EVERY = 5_000
"""Virtual-machine instructions between two looks at the clock (a few microseconds of work)."""


class DeadlineConnection(sqlite3.Connection):
    """A connection whose statements (`execute`, `executemany`) each run under a deadline."""

    timeout_s = 0.0
    deadline = math.inf

    def arm(self, timeout_ms: int) -> None:
        self.timeout_s = timeout_ms / 1000
        self.set_progress_handler(self._past_deadline, _CHECK_EVERY)

    def _past_deadline(self) -> bool:
        return time.monotonic() > self.deadline

    def start_statement(self) -> None:
        self.deadline = time.monotonic() + self.timeout_s if self.timeout_s else math.inf

    def execute(self, sql: str, parameters: Any = (), /) -> sqlite3.Cursor:
        return DeadlineCursor(self).execute(sql, parameters)

    def executemany(self, sql: str, parameters: Iterable[Any], /) -> sqlite3.Cursor:
        return DeadlineCursor(self).executemany(sql, parameters)


class DeadlineCursor(sqlite3.Cursor):
    """Starts the deadline with each statement and reports an interruption as `StatementTimeout`, whether it
    happens while executing or while fetching rows."""

    def execute(self, sql: str, parameters: Any = (), /) -> DeadlineCursor:
        _connection(self).start_statement()
        with _translated():
            super().execute(sql, parameters)
        return self

    def executemany(self, sql: str, parameters: Iterable[Any], /) -> DeadlineCursor:
        _connection(self).start_statement()
        with _translated():
            super().executemany(sql, parameters)
        return self

    def fetchone(self) -> Any:
        with _translated():
            return super().fetchone()

    def fetchmany(self, size: int | None = 1) -> list[Any]:
        with _translated():
            return super().fetchmany(size)

    def fetchall(self) -> list[Any]:
        with _translated():
            return super().fetchall()

    def __next__(self) -> Any:
        with _translated():
            return super().__next__()


def _connection(cursor: sqlite3.Cursor) -> DeadlineConnection:
    connection = cursor.connection
    assert isinstance(connection, DeadlineConnection)
    return connection


@contextmanager
def _translated() -> Iterator[None]:
    try:
        yield
    except sqlite3.OperationalError as error:
        if str(error) == "interrupted":
            raise StatementTimeout("the database took too long to answer; try a narrower request") from None
        raise


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
