"""Rollups of the queue-entry facts per 15-minute UTC slot, what interval statistics read when they can.

Every zone's bucket boundaries fall on UTC quarter hours (zone offsets are whole multiples of 15 minutes: the
:30 and :45 zones included), so a query whose range and slot are whole quarter hours is answered from sums per
quarter hour. Two rollups hold them: per queue (`queue_slot_rollups`) and per channel type, direction and flow
(`channel_slot_rollups`); a query grouped by columns of one of them (or by none), with no search filter and no
`slaThreshold`, reads that one; any other reads the facts (`store/statistics.py`).

A rollup row holds the very sums the facts query makes (`figure_sums`, the same SQL over the same facts and SLA
versions, which are never changed once created), so both paths give the same figures. They are kept in step
by rebuilding every slot a write touches — the slots of the facts written and of those they replace — from the
facts, in the transaction that writes them (`refresh`), and filled from the facts right after the migration
that creates them (`fill`).

A record ingested directly may name an SLA version not created yet (`slaId` of an existing definition with a
`slaVersion` beyond its last): both paths judge it by the built-in abandon threshold until that version is
created, and the transaction that creates it rebuilds the rollups of the entries naming it (`Store.add_sla_version`).

Hourly rollups (`HOUR_ROLLUPS`) hold the same sums per UTC hour, summed from the quarter-hour rows in the same
transaction; a query whose range and slot are whole hours reads them (every zone of a whole-hour offset).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from cxreport.store.base import GROUP_COLUMNS, SlotQuery
from cxreport.store.dialect import Dialect
from cxreport.store.querying import Statement
from cxreport.store.statistics import FIGURES, TAIL, facts_joined, figure_sums

SLOT_US = 15 * 60 * 1_000_000
"""A rollup's slot: a UTC quarter hour."""
FIGURE_COLUMNS = (
    "offered", "answered", "abandoned", "short_abandoned", "timed_out", "exited_with_key", "left_empty",
    "moved_by_flow", "refused_full", "refused_empty", "closed", "diverted", "answered_within_sla", "sla_judged",
    "waited", "wait_ms", "answers_timed", "answer_ms", "handled", "handle_ms", "talk_ms", "hold_ms", "wrap_ms",
    "transfers", "flagged",
)
"""The rollups' columns of `FIGURES`' sums, in that order; `max_wait_ms`, `min_rule` and `max_rule` follow."""
assert len(FIGURE_COLUMNS) == len(FIGURES)
ROLLUPS_MARK = "CREATE TABLE queue_slot_rollups"
"""Text of the migration that creates the rollups: the stores fill them right after it, whatever its number."""
_MERGED_GAP = 4
"""Touched slots this many quarter hours apart or closer are rebuilt as one range (one statement)."""


@dataclass(frozen=True, slots=True)
class Rollup:
    table: str
    groups: tuple[str, ...]
    """The `GROUP_COLUMNS` names it keeps apart: a query grouped by any of these (or none) can read it."""
    slot_us: int = SLOT_US
    """Its slot: a quarter hour, or an hour."""
    source: str | None = None
    """The quarter-hour rollup an hourly one is summed from (None: summed from the facts)."""

    @property
    def columns(self) -> tuple[list[str], list[str]]:
        """Its id columns and its name columns."""
        ids = [GROUP_COLUMNS[name][0] for name in self.groups]
        names = [column for _, column in (GROUP_COLUMNS[name] for name in self.groups) if column]
        return ids, names


ROLLUPS = (
    Rollup("channel_slot_rollups", ("channelType", "direction", "flow")),
    Rollup("queue_slot_rollups", ("queue",)),
)
"""In the order tried: the smaller first (a few channels, directions and flows against dozens of queues)."""
HOUR_US = 4 * SLOT_US
HOUR_ROLLUPS = (
    Rollup("channel_hour_rollups", ("channelType", "direction", "flow"), HOUR_US, "channel_slot_rollups"),
    Rollup("queue_hour_rollups", ("queue",), HOUR_US, "queue_slot_rollups"),
)
"""The same sums per UTC hour, summed from the quarter-hour rows (4× fewer rows to read for hourly and longer
buckets in a zone of whole-hour offsets); clustered by (tenant, hour) on SQLite (`WITHOUT ROWID`, `n` numbering
the rows of an hour)."""
HOUR_ROLLUPS_MARK = "CREATE TABLE queue_hour_rollups"
"""Text of the migration that creates the hourly rollups: filled from the quarter-hour ones right after it."""


def rollup_for(query: SlotQuery) -> Rollup | None:
    """The rollup that answers `query` exactly, or None when only the facts can."""
    if not query.use_rollups or query.filters or query.sla_threshold_ms is not None:
        return None
    if query.start_us % SLOT_US or query.end_us % SLOT_US or query.slot_us % SLOT_US:
        return None
    hourly = not (query.start_us % HOUR_US or query.end_us % HOUR_US or query.slot_us % HOUR_US)
    for rollup in (*HOUR_ROLLUPS, *ROLLUPS) if hourly else ROLLUPS:
        if set(query.group_by) <= set(rollup.groups):
            return rollup
    return None


def rollup_statement(tenant_id: str, query: SlotQuery, rollup: Rollup, dialect: Dialect, *,
                     sums: bool = True) -> Statement:
    """The same columns as `statistics.slots_statement` (with or without `sums`), from `rollup`'s rows."""
    ids = [f"r.{GROUP_COLUMNS[name][0]}" for name in query.group_by]
    # a rollup row per slot and group already: read as it is, without aggregating again
    whole = query.slot_us == rollup.slot_us and set(query.group_by) == set(rollup.groups)
    names = [
        ("r.{}" if whole else "max(r.{})").format(column) if column else "NULL"
        for _id, column in (GROUP_COLUMNS[n] for n in query.group_by)
    ]
    columns = ["(r.slot_us - ?) / ? AS slot", *ids, *names]
    if sums and whole:
        columns += [*(f"r.{column}" for column in FIGURE_COLUMNS), "r.max_wait_ms", "r.min_rule", "r.max_rule"]
    elif sums:
        columns += [*(f"sum(r.{column})" for column in FIGURE_COLUMNS),
                    "max(r.max_wait_ms)", "min(r.min_rule)", "max(r.max_rule)"]
    sql = (
        f"SELECT {', '.join(columns)} FROM {rollup.table} AS r"
        f" WHERE r.tenant_id = ? AND r.slot_us >= ? AND r.slot_us < ?"
    )
    if not whole:
        sql += f" GROUP BY {', '.join(['1', *ids])}"
    return Statement(dialect.sql(sql), [query.start_us, query.slot_us, tenant_id, query.start_us, query.end_us])


def _floored(column: str, span: int) -> str:
    """SQL of `column` rounded down to a multiple of `span` (before 1970 too, without `%`: psycopg's placeholder)."""
    return (f"CASE WHEN {column} >= 0 THEN {column} / {span} * {span}"
            f" ELSE -((-{column} + {span - 1}) / {span}) * {span} END")


_SLOT_OF_ENTRY = _floored("f.entry_us", SLOT_US)
"""The quarter hour holding a fact."""


def _rebuild(rollup: Rollup, dialect: Dialect, *, one_tenant: bool) -> str:
    """INSERT the rollup's rows of the facts with entry_us in [?, ?) (of tenant ? first when `one_tenant`)."""
    ids, names = rollup.columns
    target = ["tenant_id", "slot_us", *ids, *names, *FIGURE_COLUMNS, "max_wait_ms", "min_rule", "max_rule"]
    values = ["f.tenant_id", _SLOT_OF_ENTRY, *(f"f.{c}" for c in ids), *(f"max(f.{c})" for c in names),
              *figure_sums(by_threshold=False), *TAIL]
    where = ["f.entry_us >= ?", "f.entry_us < ?"]
    if one_tenant:
        where.insert(0, "f.tenant_id = ?")
    group = ", ".join(["f.tenant_id", "2", *(f"f.{c}" for c in ids)])
    return dialect.sql(
        f"INSERT INTO {rollup.table} ({', '.join(target)}) SELECT {', '.join(values)} {facts_joined(dialect)}"
        f" WHERE {' AND '.join(where)} GROUP BY {group}"
    )


def _rebuild_hours(rollup: Rollup, dialect: Dialect, *, one_tenant: bool) -> str:
    """INSERT the hourly rollup's rows of the quarter-hour rows with slot_us in [?, ?) (of tenant ? first when
    `one_tenant`): their sums, longest wait, least and greatest rule, greatest names (as the facts' max())."""
    assert rollup.source is not None
    ids, names = rollup.columns
    target = ["tenant_id", "slot_us", *ids, *names, *FIGURE_COLUMNS, "max_wait_ms", "min_rule", "max_rule", "n"]
    hour = _floored("r.slot_us", rollup.slot_us)
    order = ", ".join(f"r.{c}" for c in ids)
    values = ["r.tenant_id", hour, *(f"r.{c}" for c in ids), *(f"max(r.{c})" for c in names),
              *(f"sum(r.{c})" for c in FIGURE_COLUMNS), "max(r.max_wait_ms)", "min(r.min_rule)", "max(r.max_rule)",
              f"row_number() OVER (PARTITION BY r.tenant_id, {hour} ORDER BY {order})"]
    where = ["r.slot_us >= ?", "r.slot_us < ?"]
    if one_tenant:
        where.insert(0, "r.tenant_id = ?")
    group = ", ".join(["r.tenant_id", "2", *(f"r.{c}" for c in ids)])
    return dialect.sql(
        f"INSERT INTO {rollup.table} ({', '.join(target)}) SELECT {', '.join(values)} FROM {rollup.source} AS r"
        f" WHERE {' AND '.join(where)} GROUP BY {group}"
    )


Execute = Callable[[str, Sequence[object]], Any]


def slots_of(instants: Iterable[int]) -> list[tuple[int, int]]:
    """The quarter hours holding these instants, as [start, end) ranges (near ones merged)."""
    slots = sorted({instant - instant % SLOT_US for instant in instants})
    ranges: list[tuple[int, int]] = []
    for slot in slots:
        if ranges and slot <= ranges[-1][1] + _MERGED_GAP * SLOT_US:
            ranges[-1] = (ranges[-1][0], slot + SLOT_US)
        else:
            ranges.append((slot, slot + SLOT_US))
    return ranges


def refresh(execute: Execute, dialect: Dialect, tenant_id: str, instants: Iterable[int]) -> None:
    """Rebuild the tenant's rollup rows of every quarter hour holding one of `instants` (entry instants of the
    facts just written and of those they replaced) from its facts, as the calling transaction sees them."""
    ranges = slots_of(instants)
    for rollup in ROLLUPS:
        delete = dialect.sql(f"DELETE FROM {rollup.table} WHERE tenant_id = ? AND slot_us >= ? AND slot_us < ?")
        insert = _rebuild(rollup, dialect, one_tenant=True)
        for start, end in ranges:
            execute(delete, (tenant_id, start, end))
            execute(insert, (tenant_id, start, end))
    hours = _hours_of(ranges)
    for rollup in HOUR_ROLLUPS:
        delete = dialect.sql(f"DELETE FROM {rollup.table} WHERE tenant_id = ? AND slot_us >= ? AND slot_us < ?")
        insert = _rebuild_hours(rollup, dialect, one_tenant=True)
        for start, end in hours:
            execute(delete, (tenant_id, start, end))
            execute(insert, (tenant_id, start, end))


def _hours_of(ranges: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """Quarter-hour ranges widened to whole hours (those that come to touch merged)."""
    hours: list[tuple[int, int]] = []
    for start, end in ranges:
        start, end = start - start % HOUR_US, end + (-end) % HOUR_US
        if hours and start <= hours[-1][1]:
            hours[-1] = (hours[-1][0], max(end, hours[-1][1]))
        else:
            hours.append((start, end))
    return hours


def fill(execute: Execute, dialect: Dialect) -> None:
    """Every tenant's rollups from its facts (right after the migration that creates the rollups)."""
    for rollup in ROLLUPS:
        execute(_rebuild(rollup, dialect, one_tenant=False), (-(2**62), 2**62))


def fill_hours(execute: Execute, dialect: Dialect) -> None:
    """Every tenant's hourly rollups from its quarter-hour ones (right after the migration that creates them)."""
    for rollup in HOUR_ROLLUPS:
        execute(_rebuild_hours(rollup, dialect, one_tenant=False), (-(2**62), 2**62))
