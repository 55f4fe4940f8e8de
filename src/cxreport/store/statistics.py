"""The SQL of interval statistics, for both stores: the queue-entry facts of a window summed per slot (a fixed
number of microseconds from the window's start) and group. The service folds slots into the zone's buckets
(`service/intervals.py`): a slot never straddles a bucket boundary, as it is their greatest common divisor.

Each figure is one SQL expression summed over the facts (`maxWaitTime`, a maximum); their definitions are in
`docs/data-dictionary.md` ("Interval statistics"). A filter applies to the interaction an entry belongs to: a
probe of its facets, as a search's.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, cast

from cxreport.records.facts import REFUSALS
from cxreport.store.base import GROUP_COLUMNS, Query, SlotQuery, SlotRow
from cxreport.store.dialect import Dialect
from cxreport.store.querying import Statement, _split_filters

DEFAULT_ABANDON_THRESHOLD_MS = 20_000
"""The built-in SLA's abandon threshold, for entries no stored SLA version judged."""

_REFUSED = ", ".join(f"'{outcome}'" for outcome in sorted(REFUSALS))
_WAITED = f"f.queue_ms IS NOT NULL AND coalesce(f.outcome, '') NOT IN ({_REFUSED})"
_ANSWERED = "f.outcome = 'answered'"
_HANDLED = "f.handle_ms IS NOT NULL"


def _count(condition: str) -> str:
    return f"CASE WHEN {condition} THEN 1 ELSE 0 END"


def _sum(condition: str, value: str) -> str:
    return f"CASE WHEN {condition} THEN {value} ELSE 0 END"


def _outcome(name: str) -> str:
    return _count(f"f.outcome = '{name}'")


FIGURES: tuple[tuple[str, str], ...] = (
    ("offered", "1"),
    ("answered", _count(_ANSWERED)),
    ("abandoned", _outcome("abandoned")),
    ("shortAbandoned", _count(
        f"f.outcome = 'abandoned' AND f.queue_ms < coalesce(v.abandon_threshold * 1000, {DEFAULT_ABANDON_THRESHOLD_MS})"
    )),
    ("timedOut", _outcome("timed-out")),
    ("exitedWithKey", _outcome("exited-with-key")),
    ("leftEmpty", _outcome("left-empty")),
    ("movedByFlow", _outcome("moved-by-flow")),
    ("refusedFull", _outcome("refused-full")),
    ("refusedEmpty", _outcome("refused-empty")),
    ("closed", _outcome("closed")),
    ("diverted", _outcome("diverted")),
    ("answeredWithinSla", "{within}"),
    ("slaJudged", "{judged}"),
    ("waited", _count(_WAITED)),
    ("waitTimeTotal", _sum(_WAITED, "f.queue_ms")),
    ("answersTimed", _count(f"{_ANSWERED} AND f.answer_ms IS NOT NULL")),
    ("answerTimeTotal", _sum(f"{_ANSWERED} AND f.answer_ms IS NOT NULL", "f.answer_ms")),
    ("handled", _count(_HANDLED)),
    ("handleTimeTotal", _sum(_HANDLED, "f.handle_ms")),
    ("talkTimeTotal", _sum(_HANDLED, "coalesce(f.talk_ms, 0)")),
    ("holdTimeTotal", _sum(_HANDLED, "coalesce(f.hold_ms, 0)")),
    ("wrapUpTimeTotal", _sum(_HANDLED, "coalesce(f.wrap_ms, 0)")),
    ("transfers", "f.transfers"),
    ("flagged", _count("f.flagged")),
)
"""(name, the per-entry expression summed), in the order of `SlotRow.figures`; `maxWaitTime` follows them."""
FIGURE_NAMES = (*(name for name, _ in FIGURES), "maxWaitTime")

_WITHIN_SLA = _count("f.sla_met")
_JUDGED = _count("f.sla_met IS NOT NULL")
_WITHIN_THRESHOLD = _count(f"{_ANSWERED} AND f.sla_ms <= ?")
_JUDGED_BY_THRESHOLD = _count(f"({_ANSWERED} AND f.sla_ms IS NOT NULL) OR f.sla_abandoned")
_RULE = "CASE WHEN f.sla_met IS NOT NULL THEN coalesce(v.abandon_type, 'ignore-abandons') END"


def figure_sums(*, by_threshold: bool, cast: str = "") -> list[str]:
    """The SQL sums of `FIGURES` over the facts `f` (joined to their SLA version `v`), in order; `by_threshold`:
    answeredWithinSla and slaJudged against a threshold given as the statement's first `?` after the slot's;
    `cast` appended to each (`Dialect.integer_sum`)."""
    within, judged = (_WITHIN_THRESHOLD, _JUDGED_BY_THRESHOLD) if by_threshold else (_WITHIN_SLA, _JUDGED)
    return [f"sum({expression.format(within=within, judged=judged)}){cast}" for _name, expression in FIGURES]


TAIL = (f"max(CASE WHEN {_WAITED} THEN f.queue_ms END)", f"min({_RULE})", f"max({_RULE})")
"""What follows the sums: the longest wait, the least and greatest abandonType rule."""


def facts_joined(dialect: Dialect, facts: str = "queue_entry_facts AS f") -> str:
    """FROM the facts `f` joined to the SLA version `v` that judged each (none: the built-in SLA); `facts`: what
    to read them from (`rollups.add`: the facts of some interactions, joined to a table of their ids)."""
    return (
        f"FROM {facts}"
        f" LEFT JOIN sla_versions AS v ON v.tenant_id = f.tenant_id AND v.sla_id{dialect.as_text} = f.sla_id"
        f" AND v.version = f.sla_version"
    )


def slots_statement(tenant_id: str, query: SlotQuery, dialect: Dialect, extra: Sequence[str] = (), *,
                    sums: bool = True) -> Statement:
    """SELECT slot, group ids…, names…, figures…, max wait, least and greatest rule, per slot and group (then
    the `extra` aggregate columns); without `sums`, only slot, group ids… and names… (which slots and groups
    hold an entry)."""
    ids = [f"f.{GROUP_COLUMNS[name][0]}" for name in query.group_by]
    names = [f"max(f.{column})" if column else "NULL" for _id, column in (GROUP_COLUMNS[n] for n in query.group_by)]
    threshold = sums and query.sla_threshold_ms is not None
    params: list[object] = [query.start_us, query.slot_us]
    if threshold:
        params.append(query.sla_threshold_ms)
    start_column = dialect.time_columns["start"]
    where = ["f.tenant_id = ?", "f.entry_us >= ?", "f.entry_us < ?"]
    params += [tenant_id, query.start_us, query.end_us]
    present, absent = _split_filters(Query(filters=query.filters))
    for probe, negated in [*((f, False) for f in present), *((f, True) for f in absent)]:
        where.append(
            f"{'NOT ' if negated else ''}EXISTS (SELECT 1 FROM interaction_facets AS g"
            f" WHERE g.tenant_id = f.tenant_id AND g.kind = ? AND g.value IN ({','.join('?' * len(probe.values))})"
            f" AND g.{start_column} = f.{start_column} AND g.interaction_id = f.interaction_id)"
        )
        params += [probe.kind, *probe.values]
    columns = ["(f.entry_us - ?) / ? AS slot", *ids, *names]
    source = "FROM queue_entry_facts AS f"
    if sums:
        columns += [*figure_sums(by_threshold=threshold, cast=dialect.integer_sum), *TAIL, *extra]
        source = facts_joined(dialect)
    group = ", ".join(["1", *ids])
    sql = f"SELECT {', '.join(columns)} {source} WHERE {' AND '.join(where)} GROUP BY {group}"
    return Statement(dialect.sql(sql), params)


def slot_rows(rows: Sequence[Sequence[Any]], group_count: int, *, sums: bool = True,
              native: bool = False) -> list[SlotRow]:
    """The statement's rows as `SlotRow`s (PostgreSQL sums not cast arrive as Decimal: whole numbers, made ints);
    without `sums`, rows of no figures and no rules. `native`: the driver returns tuples of ids and names as str
    and sums as int already (SQLite; PostgreSQL's sums cast, `Dialect.integer_sum`), so rows are sliced as they
    are — only the longest wait may be NULL."""
    found = []
    figures = len(FIGURES) + 1
    names_end = 1 + 2 * group_count
    if native:  # the driver's rows are tuples: their slices are the SlotRow's tuples
        longest = names_end + figures - 1
        tuples = cast("Sequence[tuple[Any, ...]]", rows)
        if not sums:
            return [SlotRow(line[0], line[1 : 1 + group_count], line[1 + group_count : names_end], (), (None, None))
                    for line in tuples]
        for line in tuples:
            found.append(SlotRow(
                line[0], line[1 : 1 + group_count], line[1 + group_count : names_end],
                line[names_end : longest + 1] if line[longest] is not None else (*line[names_end:longest], 0),
                (line[longest + 1], line[longest + 2]),
            ))
        return found
    for row in rows:
        group = tuple(row[1 : 1 + group_count])
        names = tuple(row[1 + group_count : names_end])
        values = row[names_end:]
        found.append(
            SlotRow(
                int(row[0]),
                tuple(None if value is None else str(value) for value in group),
                tuple(None if name is None else str(name) for name in names),
                tuple(int(value or 0) for value in values[:figures]) if sums else (),
                (values[figures], values[figures + 1]) if sums else (None, None),
            )
        )
    return found
