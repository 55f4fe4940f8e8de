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
        columns += [*(f"sum(r.{column}){dialect.integer_sum}" for column in FIGURE_COLUMNS),
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


def _target(rollup: Rollup) -> list[str]:
    ids, names = rollup.columns
    return ["tenant_id", "slot_us", *ids, *names, *FIGURE_COLUMNS, "max_wait_ms", "min_rule", "max_rule"]


def _rebuild(rollup: Rollup, dialect: Dialect, *, one_tenant: bool, source: str | None = None) -> str:
    """INSERT the rollup's rows of the facts with entry_us in [?, ?) (of tenant ? first when `one_tenant`);
    with `source` (the facts of some interactions, see `add`), only SELECT (no INSERT) the rows of tenant ?'s facts of
    those interactions."""
    ids, _names = rollup.columns
    target = _target(rollup)
    values = ["f.tenant_id", _floored("f.entry_us", rollup.slot_us), *(f"f.{c}" for c in ids),
              *(f"max(f.{c})" for c in _names),
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
    hours = _hours_of(ranges)
    for rollup in (*ROLLUPS, *HOUR_ROLLUPS):  # the quarter hours first: the hourly rows are summed from them
        delete = dialect.sql(f"DELETE FROM {rollup.table} WHERE tenant_id = ? AND slot_us >= ? AND slot_us < ?")
        hourly = rollup.source is not None
        insert = (_rebuild_hours if hourly else _rebuild)(rollup, dialect, one_tenant=True)
        for start, end in hours if hourly else ranges:
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


def add(execute: Execute, execute_many: ExecuteMany, dialect: Dialect, tenant_id: str,
        new_facts: tuple[str, object]) -> list[int]:
    """Add to the tenant's rollups (quarter-hour and hourly) the facts of interactions that had none before this
    transaction (new records), and return the quarter hours they fell in. `new_facts`: a FROM clause reading a
    table `n` of their ids (column `value`) from one parameter, then the facts `f` (probed by interaction id),
    and that parameter. SQLite: `json_each(?) AS n CROSS JOIN queue_entry_facts AS f INDEXED BY …` and a JSON
    array (its planner would rather scan the tenant's facts in key order); PostgreSQL: `unnest(?::uuid[]) AS
    n(value) CROSS JOIN queue_entry_facts AS f` and a list.

    A rollup row holds sums, greatest and least values only, so the rows of the new facts alone, merged into
    the stored rows of the same slot and group (sums added, the greater or lesser value kept, in SQL: the
    store's collation), are the rows a rebuild from every fact would make. The cost follows the new facts, not
    the facts the slots hold: a bulk import in random time order touches nearly every slot in every batch, and
    rebuilding them made an import quadratic. A group new to a slot gets its row inserted (in an hourly rollup,
    numbered after the hour's last row)."""
    source, ids = new_facts
    touched: set[int] = set()
    for rollup in (*ROLLUPS, *HOUR_ROLLUPS):
        select, update, insert = _merges(rollup, dialect, source)
        touched.update(_merge(execute, execute_many, rollup, execute(select, (ids, tenant_id)).fetchall(), update,
                              insert))
    return sorted(touched)


CELLS = Rollup("new_fact_cells", ("queue", "channelType", "direction", "flow"))
"""The rows of some facts per quarter hour and cell (queue, channel type, direction and flow: every rollup's
groups), with the rollups' columns: each rollup's rows are sums of them (sums added, the greatest and least
kept), so the per-fact expressions are evaluated once, not once a rollup (`add_cells`)."""


def cells_statement(dialect: Dialect, source: str) -> str:
    """SELECT `CELLS`' rows of tenant ?'s facts read from `source` (as `add`'s `new_facts`: the parameter of the
    ids first, then the tenant's), in the columns of `_target(CELLS)`."""
    return _rebuild(CELLS, dialect, one_tenant=True, source=source)


def cells_columns() -> list[str]:
    return _target(CELLS)


def add_cells(execute: Execute, dialect: Dialect, tenant_id: str, cells: str) -> list[int]:
    """`add`, from the table `cells` holding the new facts' `CELLS` rows (`cells_statement`'s, of this tenant
    only) instead of from the facts, and in SQL alone: each rollup's rows of the cells (a sum of sums is the sum,
    a greatest of greatest values the greatest) are merged into the stored rows of the same slot and group
    (`UPDATE … FROM`), then those without one inserted (numbered after their hour's last row in an hourly
    rollup). The per-fact expressions are evaluated once, not once a rollup, and no row crosses into Python
    (measured on a bulk import: 0.65 s a transaction of 20,000 records for `add`'s four aggregations and merges,
    0.3 s for the cells and …). Returns the quarter hours of the cells."""
    for rollup in (*ROLLUPS, *HOUR_ROLLUPS):
        update, insert = _merges_from_cells(rollup, dialect, cells)
        execute(update, (tenant_id,))
        execute(insert, (tenant_id,))
    slots = execute(dialect.sql(f"SELECT DISTINCT slot_us FROM {cells} WHERE tenant_id = ?"), (tenant_id,))
    return sorted(int(slot) for (slot,) in slots.fetchall())


def _merges_from_cells(rollup: Rollup, dialect: Dialect, cells: str) -> tuple[str, str]:
    """UPDATE the rollup's stored rows with its rows of the table `cells` (`add_cells`); INSERT the others."""
    ids, names = rollup.columns
    target = _target(rollup)
    slot = "c.slot_us" if rollup.slot_us == SLOT_US else _floored("c.slot_us", rollup.slot_us)
    values = ["c.tenant_id", slot, *(f"c.{c}" for c in ids), *(f"max(c.{c})" for c in names),
              *(f"sum(c.{c})" for c in FIGURE_COLUMNS), "max(c.max_wait_ms)", "min(c.min_rule)", "max(c.max_rule)"]
    named = ", ".join(f"{value} AS {column}" for value, column in zip(values, target, strict=True))
    group = ", ".join(["c.tenant_id", "2", *(f"c.{c}" for c in ids)])
    delta = f"SELECT {named} FROM {cells} AS c WHERE c.tenant_id = ? GROUP BY {group}"
    same = " AND ".join(
        ["r.tenant_id = d.tenant_id", "r.slot_us = d.slot_us", *(f"r.{c} {dialect.same} d.{c}" for c in ids)]
    )
    # the cells of groups the rollup has no row of yet (once the UPDATE has run: the rest), before aggregating
    absent = " AND ".join(
        ["r.tenant_id = c.tenant_id", f"r.slot_us = {slot}", *(f"r.{c} {dialect.same} c.{c}" for c in ids)]
    )
    new_delta = (f"SELECT {named} FROM {cells} AS c WHERE c.tenant_id = ?"
                 f" AND NOT EXISTS (SELECT 1 FROM {rollup.table} AS r WHERE {absent}) GROUP BY {group}")

    def kept(column: str, pick: str) -> str:  # NULL only when both are (aggregates skip NULLs)
        return f"{column} = coalesce({pick}(r.{column}, d.{column}), r.{column}, d.{column})"

    assignments = [
        *(kept(column, dialect.greatest) for column in names),
        *(f"{column} = r.{column} + d.{column}" for column in FIGURE_COLUMNS),
        kept("max_wait_ms", dialect.greatest), kept("min_rule", dialect.least), kept("max_rule", dialect.greatest),
    ]
    update = f"UPDATE {rollup.table} AS r SET {', '.join(assignments)} FROM ({delta}) AS d WHERE {same}"
    columns, selected = list(target), ["d.*"]
    if rollup.source is not None:  # an hourly rollup's rows are numbered within their hour
        columns.append("n")
        order = ", ".join([f"d.{c}" for c in ids])
        last = f"SELECT max(r.n) FROM {rollup.table} AS r WHERE r.tenant_id = d.tenant_id AND r.slot_us = d.slot_us"
        selected.append(f"coalesce(({last}), 0) + row_number() OVER (PARTITION BY d.slot_us ORDER BY {order})")
    insert = f"INSERT INTO {rollup.table} ({', '.join(columns)}) SELECT {', '.join(selected)} FROM ({new_delta}) AS d"
    return dialect.sql(update), dialect.sql(insert)


def _merge(execute: Execute, execute_many: ExecuteMany, rollup: Rollup, rows: list[Any], update: str,
           insert: str) -> set[int]:
    """Merge `_merges`' SELECT rows into the rollup: UPDATE the stored row of each that has one, INSERT the
    others. Returns the quarter hours of the rows (a quarter-hour rollup's; none for an hourly one)."""
    width = len(_target(rollup))
    update_params = _update_params(rollup)
    stored = [update_params(row) for row in rows if row[width]]
    if stored:
        execute_many(update, stored)
    new = [row[:width] if rollup.source is None else (*row[:width], row[0], row[1]) for row in rows if not row[width]]
    if new:
        execute_many(insert, new)
    return {int(row[1]) for row in rows} if rollup.source is None else set()


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
    if rollup.source is not None:  # an hourly rollup's rows are numbered within their hour
        insert = (f"INSERT INTO {rollup.table} ({', '.join([*target, 'n'])}) VALUES ({', '.join('?' * len(target))},"
                  f" (SELECT coalesce(max(n), 0) + 1 FROM {rollup.table} WHERE tenant_id = ? AND slot_us = ?))")
    return dialect.sql(select), dialect.sql(update), dialect.sql(insert)


def _update_params(rollup: Rollup) -> Callable[[Sequence[object]], tuple[object, ...]]:
    """`_merges`' UPDATE parameters of one of its SELECT's rows (in `_target`'s order), by a function made once
    a rollup (a bulk import merges ~100,000 rows: the column arithmetic once, not once a row)."""
    ids, names = rollup.columns
    at = 2 + len(ids)
    sums = at + len(names)
    tail = sums + len(FIGURE_COLUMNS)

    def params(row: Sequence[object]) -> tuple[object, ...]:
        max_wait, min_rule, max_rule = row[tail : tail + 3]
        return (*(value for name in row[at:sums] for value in (name, name)), *row[sums:tail],
                max_wait, max_wait, min_rule, min_rule, max_rule, max_rule, *row[:at])

    return params


def fill(execute: Execute, dialect: Dialect) -> None:
    """Every tenant's rollups from its facts (right after the migration that creates the rollups)."""
    for rollup in ROLLUPS:
        execute(_rebuild(rollup, dialect, one_tenant=False), (-(2**62), 2**62))


def fill_hours(execute: Execute, dialect: Dialect) -> None:
    """Every tenant's hourly rollups from its quarter-hour ones (right after the migration that creates them)."""
    for rollup in HOUR_ROLLUPS:
        execute(_rebuild_hours(rollup, dialect, one_tenant=False), (-(2**62), 2**62))
