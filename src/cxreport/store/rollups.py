"""Rollups of the queue-entry facts per 15-minute UTC slot, what interval statistics read when they can.

Every zone's bucket boundaries fall on UTC quarter hours (zone offsets are whole multiples of 15 minutes: the
:30 and :45 zones included), so a query whose range and slot are whole quarter hours is answered from sums per
quarter hour. Two rollups hold them: per queue (`queue_slot_rollups`) and per channel type, direction and flow
(`channel_slot_rollups`); a query grouped by columns of one of them (or by none), with no search filter and no
`slaThreshold`, reads that one; any other reads the facts (`store/statistics.py`).

A rollup row holds the very sums the facts query makes (`figure_sums`, the same SQL over the same facts and SLA
versions, which are never changed once created), so both paths give the same figures. They are kept in step
in the transaction that writes the facts: a new record's facts are added to them (`add`: their rows merged into
the stored ones), and every slot that held or holds a replaced record's facts is rebuilt from the facts
(`refresh`); they are filled from the facts right after the migration that creates them (`fill`).

One case the rollups do not follow: a record ingested directly that names an SLA version not created yet
(`slaId` of an existing definition with a `slaVersion` beyond its last) is judged by the built-in abandon
threshold in both paths until that version is created; from then on the facts path joins the new version and
the rollups keep the built-in threshold for `shortAbandoned` and the rule until a write replaces a record with
entries in those quarter hours (new records are added without re-judging the others). Derived records only
ever name versions that exist.
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


def rollup_for(query: SlotQuery) -> Rollup | None:
    """The rollup that answers `query` exactly, or None when only the facts can."""
    if not query.use_rollups or query.filters or query.sla_threshold_ms is not None:
        return None
    if query.start_us % SLOT_US or query.end_us % SLOT_US or query.slot_us % SLOT_US:
        return None
    for rollup in ROLLUPS:
        if set(query.group_by) <= set(rollup.groups):
            return rollup
    return None


def rollup_statement(tenant_id: str, query: SlotQuery, rollup: Rollup, dialect: Dialect, *,
                     sums: bool = True) -> Statement:
    """The same columns as `statistics.slots_statement` (with or without `sums`), from `rollup`'s rows."""
    ids = [f"r.{GROUP_COLUMNS[name][0]}" for name in query.group_by]
    names = [f"max(r.{column})" if column else "NULL" for _id, column in (GROUP_COLUMNS[n] for n in query.group_by)]
    columns = ["(r.slot_us - ?) / ? AS slot", *ids, *names]
    if sums:
        columns += [*(f"sum(r.{column})" for column in FIGURE_COLUMNS),
                    "max(r.max_wait_ms)", "min(r.min_rule)", "max(r.max_rule)"]
    sql = (
        f"SELECT {', '.join(columns)} FROM {rollup.table} AS r"
        f" WHERE r.tenant_id = ? AND r.slot_us >= ? AND r.slot_us < ? GROUP BY {', '.join(['1', *ids])}"
    )
    return Statement(dialect.sql(sql), [query.start_us, query.slot_us, tenant_id, query.start_us, query.end_us])


_SLOT_OF_ENTRY = (
    f"CASE WHEN f.entry_us >= 0 THEN f.entry_us / {SLOT_US} * {SLOT_US}"
    f" ELSE -((-f.entry_us + {SLOT_US - 1}) / {SLOT_US}) * {SLOT_US} END"
)
"""The quarter hour holding a fact (rounded down, before 1970 too, without `%`: psycopg's placeholder)."""


def _target(rollup: Rollup) -> list[str]:
    ids, names = rollup.columns
    return ["tenant_id", "slot_us", *ids, *names, *FIGURE_COLUMNS, "max_wait_ms", "min_rule", "max_rule"]


def _rebuild(rollup: Rollup, dialect: Dialect, *, one_tenant: bool, source: str | None = None) -> str:
    """INSERT the rollup's rows of the facts with entry_us in [?, ?) (of tenant ? first when `one_tenant`);
    with `source` (the facts of some interactions, see `add`), only SELECT (no INSERT) the rows of tenant ?'s facts of
    those interactions."""
    ids, _names = rollup.columns
    target = _target(rollup)
    values = ["f.tenant_id", _SLOT_OF_ENTRY, *(f"f.{c}" for c in ids), *(f"max(f.{c})" for c in _names),
              *figure_sums(by_threshold=False), *TAIL]
    where = ["f.entry_us >= ?", "f.entry_us < ?"] if source is None else ["f.interaction_id = n.value"]
    if one_tenant:
        where.insert(0, "f.tenant_id = ?")
    group = ", ".join(["f.tenant_id", "2", *(f"f.{c}" for c in ids)])
    select = (
        f"SELECT {', '.join(f'{value} AS {column}' for value, column in zip(values, target, strict=True))}"
        f" {facts_joined(dialect, *([source] if source else []))} WHERE {' AND '.join(where)} GROUP BY {group}"
    )
    return select if source is not None else dialect.sql(f"INSERT INTO {rollup.table} ({', '.join(target)}) {select}")


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


def add(execute: Execute, execute_many: ExecuteMany, dialect: Dialect, tenant_id: str,
        new_facts: tuple[str, object]) -> None:
    """Add to the tenant's rollups the facts of interactions that had none before this transaction (new
    records). `new_facts`: a FROM clause reading a table `n` of their ids (column `value`) from one parameter,
    then the facts `f` (probed by interaction id), and that parameter. SQLite: `json_each(?) AS n CROSS JOIN
    queue_entry_facts AS f INDEXED BY …` and a JSON array (its planner would rather scan the tenant's facts in
    key order); PostgreSQL: `unnest(?::uuid[]) AS n(value) CROSS JOIN queue_entry_facts AS f` and a list.

    A rollup row holds sums, greatest and least values only, so the rows of the new facts alone, merged into
    the stored rows of the same slot and group (sums added, the greater or lesser value kept, in SQL: the
    store's collation), are the rows a rebuild from every fact would make. The cost follows the new facts, not
    the facts the slots hold: a bulk import in random time order touches nearly every slot in every batch, and
    rebuilding them made an import quadratic. A group new to a slot gets its row inserted."""
    source, ids = new_facts
    for rollup in ROLLUPS:
        select, update, insert = _merges(rollup, dialect, source)
        rows = execute(select, (ids, tenant_id)).fetchall()
        width = len(_target(rollup))
        stored = [_update_params(rollup, row) for row in rows if row[width]]
        if stored:
            execute_many(update, stored)
        new = [row[:width] for row in rows if not row[width]]
        if new:
            execute_many(insert, new)


ExecuteMany = Callable[[str, Sequence[Sequence[object]]], Any]


def _merges(rollup: Rollup, dialect: Dialect, source: str) -> tuple[str, str, str]:
    """SELECT the new facts' rows, each followed by whether the rollup has a row of its slot and group; UPDATE
    such a row with one; INSERT one."""
    ids, names = rollup.columns
    target = _target(rollup)
    delta = _rebuild(rollup, dialect, one_tenant=True, source=source)
    same = " AND ".join(
        ["r.tenant_id = d.tenant_id", "r.slot_us = d.slot_us", *(f"r.{c} {dialect.same} d.{c}" for c in ids)]
    )
    select = f"SELECT d.*, EXISTS (SELECT 1 FROM {rollup.table} AS r WHERE {same}) FROM ({delta}) AS d"

    def kept(column: str, pick: str) -> str:  # NULL only when both are (aggregates skip NULLs)
        return f"{column} = coalesce({pick}({column}, ?), {column}, ?)"

    assignments = [
        *(kept(column, dialect.greatest) for column in names),
        *(f"{column} = {column} + ?" for column in FIGURE_COLUMNS),
        kept("max_wait_ms", dialect.greatest), kept("min_rule", dialect.least), kept("max_rule", dialect.greatest),
    ]
    where = ["tenant_id = ?", "slot_us = ?", *(f"{column} {dialect.same} ?" for column in ids)]
    update = f"UPDATE {rollup.table} SET {', '.join(assignments)} WHERE {' AND '.join(where)}"
    insert = f"INSERT INTO {rollup.table} ({', '.join(target)}) VALUES ({', '.join('?' * len(target))})"
    return dialect.sql(select), dialect.sql(update), dialect.sql(insert)


def _update_params(rollup: Rollup, row: Sequence[object]) -> list[object]:
    """`_merges`' UPDATE parameters of one of its SELECT's rows (in `_target`'s order)."""
    ids, names = rollup.columns
    keys = row[: 2 + len(ids)]
    at = len(keys)
    name_values = row[at : at + len(names)]
    tail = at + len(names) + len(FIGURE_COLUMNS)
    sums = row[at + len(names) : tail]
    max_wait, min_rule, max_rule = row[tail : tail + 3]
    return [
        *(value for name in name_values for value in (name, name)),
        *sums,
        max_wait, max_wait, min_rule, min_rule, max_rule, max_rule,
        *keys,
    ]


def fill(execute: Execute, dialect: Dialect) -> None:
    """Every tenant's rollups from its facts (right after the migration that creates the rollups)."""
    for rollup in ROLLUPS:
        execute(_rebuild(rollup, dialect, one_tenant=False), (-(2**62), 2**62))
