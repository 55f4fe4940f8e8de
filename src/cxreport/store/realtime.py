"""The SQL of realtime statistics, for both stores: the change counter, what interactions have in progress, each
agent's latest state event, and today's queue-entry figures per queue and agent.

Today's figures are the interval statistics' own SQL (`store/statistics.py`: the same per-entry expressions,
one slot spanning the day, grouped by queue and agent), with the extremes of the time figures added.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from cxreport.store.base import DayRow, SlotQuery
from cxreport.store.dialect import Dialect
from cxreport.store.querying import Statement
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


def live_statement(dialect: Dialect) -> str:
    return dialect.sql(
        f"SELECT interaction_id{dialect.as_text}, last_us, activities FROM live_interactions"
        " WHERE tenant_id = ? AND last_us >= ?"
    )


def entries_changed_statement(dialect: Dialect) -> str:
    return dialect.sql(
        "SELECT 1 FROM interactions AS i WHERE i.tenant_id = ? AND i.updated_us >= ? AND EXISTS ("
        "SELECT 1 FROM queue_entry_facts AS f WHERE f.tenant_id = i.tenant_id AND f.interaction_id = i.interaction_id"
        " AND f.entry_us >= ? AND f.entry_us < ?) LIMIT 1"
    )


def stale_statement(dialect: Dialect) -> str:
    return dialect.sql("SELECT count(*) FROM live_interactions WHERE tenant_id = ? AND last_us < ?")


_EXTREMES = (
    f"min(CASE WHEN {_ANSWERED} AND f.answer_ms IS NOT NULL THEN f.answer_ms END)",
    f"max(CASE WHEN {_ANSWERED} AND f.answer_ms IS NOT NULL THEN f.answer_ms END)",
    f"min(CASE WHEN {_HANDLED} THEN f.handle_ms END)",
    f"max(CASE WHEN {_HANDLED} THEN f.handle_ms END)",
)


def day_statement(tenant_id: str, start_us: int, end_us: int, dialect: Dialect) -> Statement:
    query = SlotQuery(start_us, end_us, max(end_us - start_us, 1), ("queue", "agent"))
    return slots_statement(tenant_id, query, dialect, _EXTREMES)


def day_rows(rows: Sequence[Sequence[Any]]) -> list[DayRow]:
    found = []
    for row, slot in zip(rows, slot_rows(rows, 2), strict=True):
        low_answer, high_answer, low_handle, high_handle = (None if v is None else int(v) for v in row[-4:])
        found.append(DayRow(slot.group[0], slot.group[1], slot.figures, slot.rules,
                            (low_answer, high_answer, low_handle, high_handle)))
    return found
