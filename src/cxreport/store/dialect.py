"""What differs between the two SQL stores' SQL, as data: the shared statements (`common.py`, `querying.py`)
are written once with `?` placeholders and these spellings."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any


def _as_is(text: str) -> str | None:
    return text


@dataclass(frozen=True)
class Dialect:
    """What differs between the stores: column names of the times and how a time becomes a parameter, how an
    id column reads back as text, how a client's id becomes a parameter, and the spellings that differ."""

    time_columns: dict[str, str]
    time_param: Callable[[int], object]
    placeholder: str = "?"
    row_id: str | None = None
    """A column that finds an interactions row directly (SQLite's rowid), to join a page's documents by."""
    micros: Callable[[Any], int] = int
    """A keyset time as the store returns it → epoch microseconds."""
    event_time: str = "time_us"
    """The events' time column."""
    as_text: str = ""
    """Appended to an id column read back, so that it arrives as text (PostgreSQL's uuid columns: `::text`)."""
    id_param: Callable[[str], str | None] = _as_is
    """An id from a client → its parameter; None matches no row (PostgreSQL's uuid columns take only UUIDs)."""
    insert_ignoring: tuple[str, str] = ("INSERT OR IGNORE INTO", "")
    """How an insert that skips a row whose key exists starts and ends."""
    lock_row: str = ""
    """Appended to a SELECT whose rows the transaction must hold until it ends (SQLite has one writer)."""
    native_sums: bool = False
    """Whether interval statistics' sums come back as int and text columns as str, needing no conversion (SQLite;
    PostgreSQL's too, their `sum()`s cast with `integer_sum`)."""
    integer_sum: str = ""
    """Appended to a `sum()` of integers read back so that it arrives as an integer (PostgreSQL's `sum()` of
    bigint is numeric, a Decimal each in Python: `::bigint`)."""
    same: str = "IS"
    """Equality that holds between two NULLs too (PostgreSQL: `IS NOT DISTINCT FROM`)."""
    greatest: str = "max"
    """The greater of two values (SQLite's scalar `max`, which is NULL when either is; PostgreSQL's `greatest`)."""
    least: str = "min"

    def sql(self, text: str) -> str:
        return text if self.placeholder == "?" else text.replace("?", self.placeholder)
