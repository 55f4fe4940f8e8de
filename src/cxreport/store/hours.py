"""Exact totals without walking a whole window: counts of records per tenant and UTC hour, kept with the records.

A search's `total` counts the records whose start falls in its window and that match its filters. Walking the
index for that costs a few tens of nanoseconds an entry: 40–130 ms for a window of a million records. Instead
`interaction_hours` keeps, per tenant, UTC hour of the start and cell, how many records there are; a window is
then the sum of its whole hours' counts plus the index count of its two ragged ends (less than an hour each).

Which filters the counts answer (the rest walk the index as before):
- `channelType`, `direction`, `flagged`, `abandoned`: each row is a cell of these four (single-valued, a handful
  of values each), so any combination of them, with any values, is a sum of disjoint cells;
- with them, one `queueId` value: rows keyed by queue, by the same cells (one value only: a record in two queues
  is in two rows, so a sum over several queues would count it twice).
Every other facet (agents, customers, contact ids and points, hooks, attributes) has about as many values an hour
as records, so its counts would hold nearly a row per record: no cheaper than the index. `flowId` would qualify
(tens of values) but costs a row per record per write when kept per value like queues (~3 µs of SQL a record in a
random-order batch); left to the index (a cell column of its own is the cheaper way to add it).

Rows: `kind` '' and `value` '' count every record of the hour by cell; `kind` 'queueId' counts the records in
that queue. The upsert of a batch of records adds +1 for each written record's rows and −1 for the rows of the
version it replaced (by the cells both were in), summed per row in Python and written once per distinct row, in
the transaction that writes the records. Rows that fall to zero stay (a sum skips them). The migration that
creates the table fills it from the stored records.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, replace

from cxreport.records.facets import MULTI_VALUED_KINDS
from cxreport.records.filters import Filter
from cxreport.store.base import Query, StoredRecord
from cxreport.store.dialect import Dialect

HOUR_US = 3_600_000_000
HOURS_MARK = "CREATE TABLE interaction_hours"
"""Text of the migration that creates the counts (tests find it by this, whatever its number)."""

CELL_COLUMNS = {"channelType": "channel_type", "direction": "direction", "flagged": "flagged",
                "abandoned": "abandoned"}
"""The facets every row is split by, and their columns."""
KEYED = ("queueId",)
"""The facets rows are also kept per value of (one at a time)."""
COUNTED_KINDS = (*CELL_COLUMNS, *KEYED)
_FLAGS = frozenset(("flagged", "abandoned"))

Key = tuple[str, str, int, str, str, int, int]
"""(kind, value, hour_us, channel_type, direction, flagged, abandoned): a row of `interaction_hours`."""

Counted = tuple[int, str, str, int, int, tuple[str, ...]]
"""What the counts know of one record: (start_us, channel type, direction, flagged, abandoned, queue ids), ''
and 0 for an absent field or flag."""


def counted(record: StoredRecord) -> Counted:
    """A record about to be written, by its promoted columns (the same values as its facets)."""
    return (record.start_us, record.channel_type or "", record.direction or "", int(record.flagged),
            int(record.abandoned), tuple(value for kind, value in record.facets if kind == "queueId"))


def from_facets(start_us: int, facets: Iterable[tuple[str, str]]) -> Counted:
    """A stored record, by its start and its facets (those of `COUNTED_KINDS`; others are skipped)."""
    channel = direction = ""
    flagged = abandoned = 0
    queues: list[str] = []
    for kind, value in facets:
        if kind == "channelType":
            channel = value
        elif kind == "direction":
            direction = value
        elif kind == "flagged":
            flagged = 1
        elif kind == "abandoned":
            abandoned = 1
        elif kind == "queueId":
            queues.append(value)
    return start_us, channel, direction, flagged, abandoned, tuple(queues)


def deltas(added: Iterable[Counted], removed: Iterable[Counted]) -> list[tuple[Key, int]]:
    """The change of each row, sorted by key (every writer locks rows in one order), zeros left out."""
    change: dict[Key, int] = {}
    get = change.get
    for sign, records in ((1, added), (-1, removed)):
        for start, channel, direction, flagged, abandoned, queues in records:
            hour = start - start % HOUR_US
            key: Key = ("", "", hour, channel, direction, flagged, abandoned)
            change[key] = get(key, 0) + sign
            for queue in queues:
                key = ("queueId", queue, hour, channel, direction, flagged, abandoned)
                change[key] = get(key, 0) + sign
    return sorted((key, n) for key, n in change.items() if n)


UPSERT_JSON = (
    "INSERT INTO interaction_hours (tenant_id, kind, value, hour_us, channel_type, direction, flagged, abandoned, n)"
    " SELECT ?, json_extract(value, '$[0]'), json_extract(value, '$[1]'), json_extract(value, '$[2]'),"
    " json_extract(value, '$[3]'), json_extract(value, '$[4]'), json_extract(value, '$[5]'),"
    " json_extract(value, '$[6]'), json_extract(value, '$[7]') FROM json_each(?) WHERE true"
    " ON CONFLICT (tenant_id, kind, value, hour_us, channel_type, direction, flagged, abandoned)"
    " DO UPDATE SET n = interaction_hours.n + excluded.n"
)
"""A batch's changes, given as one JSON array of [kind, value, hour_us, channel, direction, flagged, abandoned, n]
(SQLite: unpacked by its JSON functions, a fraction of the CPU of binding each row's nine values from Python;
`WHERE true` keeps the upsert's ON CONFLICT from parsing as a join's ON)."""


# reading --------------------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class HourSum:
    """The part of a count the hours answer: its SQL (a scalar subquery) and parameters, and the two ragged
    ends of the window (queries whose keys the index counts)."""

    sql: str
    params: list[object]
    ends: tuple[Query, Query]


def hour_sum(tenant_id: str, query: Query, positive: list[Filter], negative: list[Filter],
             dialect: Dialect) -> HourSum | None:
    """The whole hours of `query`'s window from the counts, or None when they cannot answer it (a window on
    another time, less than a whole hour, or a filter they do not keep)."""
    if query.time_field != "start" or query.after is not None:
        return None
    low, high = query.window.start_us, query.window.end_us
    first, last = -((-low) // HOUR_US) * HOUR_US, high - high % HOUR_US
    if first >= last:
        return None
    where = ["h.tenant_id = ?", "h.hour_us >= ?", "h.hour_us < ?"]
    params: list[object] = [tenant_id, first, last]
    kind: Filter | None = None
    for item in positive:
        column = CELL_COLUMNS.get(item.kind)
        if column is not None:
            values = [1] * len(item.values) if item.kind in _FLAGS else list(item.values)
            where.append(f"h.{column} IN ({','.join('?' * len(values))})")
            params += values
        elif item.kind in KEYED and kind is None and (
            item.kind not in MULTI_VALUED_KINDS or len(set(item.values)) == 1
        ):
            kind = item
        else:
            return None
    for item in negative:
        column = CELL_COLUMNS.get(item.kind)
        if column is None:
            return None
        where.append(f"h.{column} = 0")
    if kind is None:
        where[1:1] = ["h.kind = ''", "h.value = ''"]
    else:
        keyed = sorted(set(kind.values))
        where[1:1] = ["h.kind = ?", f"h.value IN ({','.join('?' * len(keyed))})"]
        params[1:1] = [kind.kind, *keyed]
    sql = f"coalesce((SELECT sum(h.n) FROM interaction_hours AS h WHERE {' AND '.join(where)}), 0)"
    ends = (replace(query, window=replace(query.window, end_us=first)),
            replace(query, window=replace(query.window, start_us=last)))
    return HourSum(dialect.sql(sql), params, ends)
