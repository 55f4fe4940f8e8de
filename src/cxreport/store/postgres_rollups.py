"""PostgreSQL: a batch's new queue-entry facts added to the rollups, and its quarter hours' realtime counters
bumped, by one statement each — set-based forms of `rollups.add` and `realtime.note_slots`.

`rollups.add` reads the new facts' rows of a rollup and then updates or inserts them one statement a row; a bulk
import in random time order touches about one row per rollup and record, and each statement is planned on its
own (`plan_cache_mode=force_custom_plan`): ~60 % of the import's CPU went there (`docs/performance.md`). Here one
statement per rollup merges them all: the new facts' rows (`rollups._rebuild`'s delta, the same SQL), the stored
rows of the same slot and group updated with them (sums added, the greater or lesser value kept), the others
inserted (in an hourly rollup, numbered after the hour's last row, in group order). The caller holds the tenant's
rollups lock, so no other transaction writes these rows meanwhile."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from cxreport.store.dialect import Dialect
from cxreport.store.rollups import FIGURE_COLUMNS, HOUR_ROLLUPS, ROLLUPS, SLOT_US, Rollup, _rebuild, _target

Execute = Callable[[str, Sequence[object]], Any]

NEW_FACTS = (
    "unnest(?::uuid[]) AS n(value) CROSS JOIN LATERAL (SELECT * FROM queue_entry_facts AS q"
    " WHERE q.tenant_id = ?::uuid AND q.interaction_id = n.value OFFSET 0) AS f"
)
"""The facts of the interactions a list parameter names (then the tenant's id), each probed by its key: a join
the planner may choose read every fact of the tenant into a hash table when its statistics are stale (a bulk
load into a new database: ~22,000 facts read 4 times a batch at 20,000 records, growing with the table)."""

_NOTE_SLOTS = (
    "INSERT INTO realtime_slots (tenant_id, slot_us, counter) SELECT %s, slot, 1 FROM unnest(%s::bigint[]) AS slot"
    " ON CONFLICT (tenant_id, slot_us) DO UPDATE SET counter = realtime_slots.counter + 1"
)


_MERGES: dict[str, str] = {}
"""Each rollup's merge statement, built once (PostgreSQL's dialect only)."""


def _merge(rollup: Rollup, dialect: Dialect) -> str:
    ids, names = rollup.columns
    target = _target(rollup)

    def same(new: str) -> str:  # the stored row `r` of the slot and group of a row of `new`
        return " AND ".join([f"r.tenant_id = {new}.tenant_id", f"r.slot_us = {new}.slot_us",
                             *(f"r.{c} IS NOT DISTINCT FROM {new}.{c}" for c in ids)])

    def kept(column: str, pick: str) -> str:  # NULL only when both are (aggregates skip NULLs)
        return f"{column} = coalesce({pick}(r.{column}, d.{column}), r.{column}, d.{column})"

    assignments = [
        *(kept(column, "greatest") for column in names),
        *(f"{column} = r.{column} + d.{column}" for column in FIGURE_COLUMNS),
        kept("max_wait_ms", "greatest"), kept("min_rule", "least"), kept("max_rule", "greatest"),
    ]
    delta = _rebuild(rollup, dialect, one_tenant=True, source=NEW_FACTS)
    columns = ", ".join(target)
    values = ", ".join(f"d.{column}" for column in target)
    if rollup.source is None:
        insert = f"INSERT INTO {rollup.table} ({columns}) SELECT {values} FROM d WHERE NOT d.stored"
    else:  # an hourly rollup's rows are numbered within their hour
        order = ", ".join(f"d.{c}" for c in ids)
        insert = (
            f"INSERT INTO {rollup.table} ({columns}, n) SELECT {values},"
            f" coalesce((SELECT max(h.n) FROM {rollup.table} AS h WHERE h.tenant_id = d.tenant_id"
            f" AND h.slot_us = d.slot_us), 0) + row_number() OVER (PARTITION BY d.slot_us ORDER BY {order})"
            " FROM d WHERE NOT d.stored"
        )
    return dialect.sql(
        f"WITH d AS MATERIALIZED (SELECT delta.*, EXISTS (SELECT 1 FROM {rollup.table} AS r"
        f" WHERE {same('delta')}) AS stored FROM ({delta}) AS delta),"
        f" updated AS (UPDATE {rollup.table} AS r SET {', '.join(assignments)} FROM d WHERE d.stored AND {same('d')})"
        f" {insert}"
    )


def add(execute: Execute, dialect: Dialect, tenant_id: str, interaction_ids: list[str]) -> None:
    """Add to the tenant's rollups (quarter-hour and hourly) the facts of `interaction_ids`, interactions that
    had none before this transaction (new records)."""
    for rollup in (*ROLLUPS, *HOUR_ROLLUPS):
        sql = _MERGES.get(rollup.table) or _MERGES.setdefault(rollup.table, _merge(rollup, dialect))
        execute(sql, (interaction_ids, tenant_id, tenant_id))


def note_slots(execute: Execute, tenant_id: str, instants: Sequence[int]) -> None:
    """Bump the tenant's counter of every quarter hour holding one of `instants`, in one statement (in slot order:
    every writer locks the rows in one order)."""
    slots = sorted({instant - instant % SLOT_US for instant in instants})
    if slots:
        execute(_NOTE_SLOTS, (tenant_id, slots))
