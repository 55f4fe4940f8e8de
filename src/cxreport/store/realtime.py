"""The SQL of realtime statistics, for both stores: the change counter, what interactions have in progress, each
agent's latest state event, and today's queue-entry figures per quarter hour, queue and agent with each quarter
hour's own change counter.

Today's figures are the interval statistics' own SQL (`store/statistics.py`: the same per-entry expressions,
slots of a UTC quarter hour, grouped by queue and agent), with the extremes of the time figures added. A quarter
hour's counter (`realtime_slots`) is bumped by every transaction that writes a fact in it or replaces one that
was (`note_slots`, beside the rollups' refresh), so a reader that keeps each quarter hour's sums with the counter
it read first reads again only the quarter hours whose counter moved.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from cxreport.store import rollups
from cxreport.store.base import DayRow, SlotQuery
from cxreport.store.dialect import Dialect
from cxreport.store.querying import Statement
from cxreport.store.rollups import SLOT_US, Execute, ExecuteMany
from cxreport.store.statistics import _ANSWERED, _HANDLED, slot_rows, slots_statement

SHARDS = 16
"""Rows of a tenant's change counter (`realtime_changes`); its value is their sum."""

NOTE_CHANGE = (
    "INSERT INTO realtime_changes (tenant_id, shard, counter) VALUES (?, ?, 1)"
    " ON CONFLICT (tenant_id, shard) DO UPDATE SET counter = realtime_changes.counter + 1"
)
VERSION = "SELECT coalesce(sum(counter), 0) FROM realtime_changes WHERE tenant_id = ?"
NOTE_PRESENCE = (
    "INSERT INTO agent_presence (tenant_id, agent_id, time_us, rank, event_id, type, state, reason_code)"
    " VALUES (?, ?, ?, ?, ?, ?, ?, ?)"
    " ON CONFLICT (tenant_id, agent_id) DO UPDATE SET time_us = excluded.time_us, rank = excluded.rank,"
    " event_id = excluded.event_id, type = excluded.type, state = excluded.state, reason_code = excluded.reason_code"
    " WHERE (excluded.time_us, excluded.rank, excluded.event_id)"
    " > (agent_presence.time_us, agent_presence.rank, agent_presence.event_id)"
)
PRESENCES = (
    "SELECT agent_id, time_us, type, state, reason_code FROM agent_presence WHERE tenant_id = ? ORDER BY agent_id"
)


NOTE_SLOT = (
    "INSERT INTO realtime_slots (tenant_id, slot_us, counter) VALUES (?, ?, 1)"
    " ON CONFLICT (tenant_id, slot_us) DO UPDATE SET counter = realtime_slots.counter + 1"
)
SLOT_COUNTERS = "SELECT slot_us, counter FROM realtime_slots WHERE tenant_id = ? AND slot_us >= ? AND slot_us < ?"


def note_slots(execute: Execute, dialect: Dialect, tenant_id: str, instants: Iterable[int]) -> None:
    """Bump the tenant's counter of every quarter hour holding one of `instants` (entry instants of the facts
    just written and of those they replaced), in the calling transaction."""
    sql = dialect.sql(NOTE_SLOT)
    for slot in sorted({instant - instant % SLOT_US for instant in instants}):
        execute(sql, (tenant_id, slot))


def keep_in_step(execute: Execute, execute_many: ExecuteMany, dialect: Dialect, tenant_id: str,
                 new_facts: tuple[str, object] | None, instants: list[int], *, added: Iterable[int] = ()) -> None:
    """After a write's queue-entry facts, in its transaction: the rollups and the realtime change counter of
    every quarter hour the write touched. `new_facts` (see `rollups.add`; None: no new record has facts) are
    added to the rollups; the quarter hours holding `instants` (a replaced record's old and new facts, or the
    entries an SLA version now judges) are rebuilt. `added`: quarter hours whose rollups the caller has added
    new facts to already (`rollups.add_cells`), counted as touched."""
    touched = rollups.add(execute, execute_many, dialect, tenant_id, new_facts) if new_facts else []
    touched = [*touched, *added]
    if instants:
        rollups.refresh(execute, dialect, tenant_id, instants)
    note_slots(execute, dialect, tenant_id, [*touched, *instants])


def live_statement(dialect: Dialect) -> str:
    return dialect.sql(
        f"SELECT interaction_id{dialect.as_text}, last_us, activities FROM live_interactions"
        " WHERE tenant_id = ? AND last_us >= ?"
    )


def stale_statement(dialect: Dialect) -> str:
    return dialect.sql("SELECT count(*) FROM live_interactions WHERE tenant_id = ? AND last_us < ?")


_EXTREMES = (
    f"min(CASE WHEN {_ANSWERED} AND f.answer_ms IS NOT NULL THEN f.answer_ms END)",
    f"max(CASE WHEN {_ANSWERED} AND f.answer_ms IS NOT NULL THEN f.answer_ms END)",
    f"min(CASE WHEN {_HANDLED} THEN f.handle_ms END)",
    f"max(CASE WHEN {_HANDLED} THEN f.handle_ms END)",
)


def slots_day_statement(tenant_id: str, start_us: int, end_us: int, dialect: Dialect) -> Statement:
    """Per quarter hour from `start_us` (the slot's index), queue and agent: the figures and their extremes."""
    query = SlotQuery(start_us, end_us, SLOT_US, ("queue", "agent"))
    return slots_statement(tenant_id, query, dialect, _EXTREMES)


def slot_day_rows(rows: Sequence[Sequence[Any]], start_us: int) -> list[DayRow]:
    found = []
    for row, slot in zip(rows, slot_rows(rows, 2), strict=True):
        low_answer, high_answer, low_handle, high_handle = (None if v is None else int(v) for v in row[-4:])
        queue_id, agent_id = slot.group
        found.append(DayRow(queue_id, agent_id, slot.figures, slot.rules,
                            (low_answer, high_answer, low_handle, high_handle), start_us + slot.slot * SLOT_US))
    return found
