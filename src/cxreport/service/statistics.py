"""Interval statistics: the queue entries of a range counted per bucket of the tenant's (or a chosen) zone and
per group, from the stores' queue-entry facts. Typed values in, a table out; no HTTP, no SQL.

The store sums the facts per slot (the greatest span dividing every bucket) and group; the slots are folded
into their buckets here, and each row's ratios are computed from that row's counts and sums only.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass
from typing import Any

from cxreport.errors import InvalidParameter
from cxreport.records.filters import Filter
from cxreport.service.collector import collector_paused
from cxreport.service.interactions import tenant_or_404
from cxreport.service.intervals import MAX_BUCKETS, WEEKDAYS, Buckets, buckets, zone_named
from cxreport.store.base import GROUP_COLUMNS, SlotQuery, Store, Tenant
from cxreport.store.statistics import FIGURE_NAMES

GROUPS = tuple(GROUP_COLUMNS)
"""What rows may be grouped by: queue, agent, channelType, direction, flow."""
GROUP_FIELDS = {
    "queue": ("queueId", "queueName"),
    "agent": ("agentId", "agentName"),
    "channelType": ("channelType", None),
    "direction": ("direction", None),
    "flow": ("flowId", "flowName"),
}
"""The row fields that show a group's id and name."""

_AVERAGES = (
    # (average, total, the count it is divided by)
    ("averageWaitTime", "waitTimeTotal", "waited"),
    ("averageSpeedOfAnswer", "answerTimeTotal", "answersTimed"),
    ("averageHandleTime", "handleTimeTotal", "handled"),
    ("averageTalkTime", "talkTimeTotal", "handled"),
    ("averageHoldTime", "holdTimeTotal", "handled"),
    ("averageWrapUpTime", "wrapUpTimeTotal", "handled"),
)
_MAX_WAIT = FIGURE_NAMES.index("maxWaitTime")


@dataclass(frozen=True, slots=True)
class StatisticsRequest:
    start_us: int
    end_us: int
    interval: str
    group_by: tuple[str, ...] = ()
    timezone: str | None = None
    """An IANA zone; None: the tenant's."""
    week_start: int = 0
    filters: tuple[Filter, ...] = ()
    sla_threshold: float | None = None
    """Seconds: count answeredWithinSla against this threshold instead of each entry's SLA version's."""
    limit: int | None = None
    """Rows per page (at most `MAX_BUCKETS`); None: every row in one answer (refused beyond `MAX_BUCKETS`)."""
    page: int = 0
    """The page (from 0) of `limit` rows: rows page × limit to (page + 1) × limit − 1 of the whole table."""


_Bucket = tuple[Sequence[int], set[str]]
"""A bucket's sums (`FIGURE_NAMES` order) and the abandonType rules of the SLAs that judged its entries."""


@dataclass(frozen=True, slots=True)
class StatisticsTable:
    tenant_id: str
    tenant_name: str
    timezone: str
    request: StatisticsRequest
    columns: tuple[str, ...]
    """The row's keys, in order: start, end, the groups' ids and names, the figures."""
    rows: list[dict[str, Any]]
    total_rows: int = 0
    """Rows in the whole table (buckets × groups), of which `rows` are the page asked for (all when unpaged)."""


def columns_for(group_by: tuple[str, ...]) -> tuple[str, ...]:
    groups = [name for group in group_by for name in GROUP_FIELDS[group] if name is not None]
    figures: list[str] = []
    for name in FIGURE_NAMES:
        figures.append(name)
        figures += [average for average, total, _ in _AVERAGES if total == name]
        if name == "slaJudged":
            figures += ["serviceLevel", "serviceLevelRule"]
    return ("start", "end", *groups, *figures)


def check_group_by(names: tuple[str, ...]) -> tuple[str, ...]:
    for name in names:
        if name not in GROUP_COLUMNS:
            raise InvalidParameter(f"groupBy {name!r} is not one of {', '.join(GROUPS)}", parameter="groupBy")
    return names


def statistics(store: Store, tenant_id: str, request: StatisticsRequest) -> StatisticsTable:
    """The table of `request`: every bucket × group seen in the range, by bucket then group; with `limit`, only
    the rows of its page, whose buckets alone are summed."""
    with collector_paused():  # ~100,000 objects a month's page, no cycles among them
        if request.limit is not None:
            return _page(store, tenant_id, request, request.limit)
        return _table(store, tenant_id, request)


def _table(store: Store, tenant_id: str, request: StatisticsRequest) -> StatisticsTable:
    folded = _fold(store, tenant_id, request)
    found, ordered = folded.buckets, folded.ordered
    if len(found) * len(ordered) > MAX_BUCKETS:
        raise InvalidParameter(
            f"{len(found)} buckets × {len(ordered)} groups make more than {MAX_BUCKETS} rows: ask for a shorter "
            f"range, a longer interval or fewer groups, or page through them with limit (at most {MAX_BUCKETS})",
            parameter="interval",
        )
    rows = _rows(folded, request.group_by, range(len(found)), 0, len(found) * len(ordered))
    return StatisticsTable(folded.tenant.id, folded.tenant.name, folded.zone_name, request,
                           columns_for(request.group_by), rows, len(rows))


def _page(store: Store, tenant_id: str, request: StatisticsRequest, limit: int) -> StatisticsTable:
    """Rows [page × limit, (page + 1) × limit) of the table: the groups (and their names) of the whole range
    first, then the sums of the buckets those rows are in."""
    if not 0 <= limit <= MAX_BUCKETS:
        raise InvalidParameter(f"limit must be between 0 and {MAX_BUCKETS}, got {limit}", parameter="limit")
    if request.page < 0:
        raise InvalidParameter(f"page must be 0 or more, got {request.page}", parameter="page")
    whole = _fold(store, tenant_id, request, whole_range=True)
    found, groups = whole.buckets, len(whole.ordered)
    total = len(found) * groups
    first, last = min(request.page * limit, total), min((request.page + 1) * limit, total)
    rows: list[dict[str, Any]] = []
    if first < last:
        bucket_range = range(first // groups, (last - 1) // groups + 1)
        sliced = _fold(store, tenant_id, request, buckets_of=(whole, bucket_range))
        rows = _rows(sliced, request.group_by, bucket_range, first - bucket_range.start * groups, last - first)
    return StatisticsTable(whole.tenant.id, whole.tenant.name, whole.zone_name, request,
                           columns_for(request.group_by), rows, total)


def _rows(folded: _Folded, group_by: tuple[str, ...], indexes: range, skip: int, count: int) -> list[dict[str, Any]]:
    """`count` rows after the first `skip` of these buckets' (each bucket's groups in `folded.ordered` order)."""
    found, ordered, sums = folded.buckets, folded.ordered, folded.sums
    build = _row_builder(_group_keys(group_by))
    groups = list(zip(ordered, folded.label_values(group_by), strict=True))
    local, boundaries = found.local, found.boundaries
    rows: list[dict[str, Any]] = []
    if not groups or count <= 0:
        return rows
    append = rows.append
    first = skip // len(groups)  # the bucket (from indexes.start) of the first row, and that row's group
    skip -= first * len(groups)
    # a group's row of no entries, whose start and end are set in a copy (a copy of a dict is its table copied)
    empty = {group: build("", "", label, _NONE, ()) for group, label in groups}
    for index in indexes[first:]:
        start, stop = local(boundaries[index]), local(boundaries[index + 1])
        for group, label in groups[skip:] if skip else groups:
            if len(rows) == count:
                return rows
            bucket = sums.get((index, group))
            if bucket is None:
                row = empty[group].copy()
                row["start"], row["end"] = start, stop
                append(row)
            else:
                append(build(start, stop, label, *bucket))
        skip = 0
    return rows


@dataclass(frozen=True, slots=True)
class RowPage:
    tenant: Tenant
    total: int
    """How many rows there are in all."""
    rows: list[dict[str, Any]]


def nonempty_rows(store: Store, tenant_id: str, request: StatisticsRequest, offset: int, limit: int,
                  keep: Callable[[tuple[str | None, ...]], bool] | None = None) -> RowPage:
    """The rows of `statistics` that hold a queue entry and whose group (its ids, in `group_by` order) `keep`
    accepts, in the same order: how many, and those of [offset, offset + limit) with their figures. Which
    buckets and groups hold entries is read without sums (`Store.queue_entry_cells`); only the buckets of the
    page's rows are summed. No limit on buckets × groups: such rows are at most as many as the range's queue
    entries. What the WFM intervals page through."""
    tenant = tenant_or_404(store, tenant_id)
    zone_name = request.timezone or tenant.timezone
    check_group_by(request.group_by)
    found = buckets(request.start_us, request.end_us, request.interval, zone_named(zone_name), request.week_start)
    threshold_ms = None if request.sla_threshold is None else round(request.sla_threshold * 1000)
    query = SlotQuery(request.start_us, request.end_us, found.slot_us, request.group_by, request.filters,
                      threshold_ms)
    names: dict[tuple[str | None, ...], list[str | None]] = {}
    occupied: set[tuple[int, tuple[str | None, ...]]] = set()
    slot_us = query.slot_us  # `Buckets.slot_us` is computed on every read
    for row in store.queue_entry_cells(tenant.id, query):
        occupied.add((found.index_of(request.start_us + row.slot * slot_us), row.group))
        _keep_names(names, row.group, row.names)
    ordered: list[tuple[str | None, ...]] = sorted(names, key=_group_order) if request.group_by else [()]
    at = {group: position for position, group in enumerate(ordered) if keep is None or keep(group)}
    cells = sorted((index, at[group]) for index, group in occupied if group in at)
    page = cells[offset : offset + limit]
    whole = _Folded(tenant, zone_name, found, {}, ordered, names)
    if not page:
        return RowPage(tenant, len(cells), [])
    folded = _fold(store, tenant_id, request, buckets_of=(whole, range(page[0][0], page[-1][0] + 1)))
    labels = folded.label_values(request.group_by)
    build = _row_builder(_group_keys(request.group_by))
    rows = []
    for index, position in page:
        bucket = folded.sums[index, ordered[position]]
        rows.append(build(found.local(found.boundaries[index]), found.local(found.boundaries[index + 1]),
                          labels[position], *bucket))
    return RowPage(tenant, len(cells), rows)


def _group_order(group: tuple[str | None, ...]) -> tuple[tuple[bool, str], ...]:
    """Rows' order of groups: by each id, nulls first."""
    return tuple((value is not None, value or "") for value in group)


def _keep_names(names: dict[tuple[str | None, ...], list[str | None]], group: tuple[str | None, ...],
                found: tuple[str | None, ...]) -> None:
    """A group's names: the greatest seen of each (as the facts' max())."""
    known = names.setdefault(group, list(found))
    for i, name in enumerate(found):
        previous = known[i]
        if name is not None and (previous is None or name > previous):
            known[i] = name


@dataclass(frozen=True, slots=True)
class _Folded:
    tenant: Tenant
    zone_name: str
    buckets: Buckets
    sums: dict[tuple[int, tuple[str | None, ...]], _Bucket]
    """(bucket index, group) → its sums, for those holding an entry."""
    ordered: list[tuple[str | None, ...]]
    """Every group seen, in row order (null ids first)."""
    names: dict[tuple[str | None, ...], list[str | None]]

    def label_values(self, group_by: tuple[str, ...]) -> list[tuple[str | None, ...]]:
        """Each group's fields (`_group_keys`' values), in row order."""
        return [_group_values(group_by, group, self.names.get(group)) for group in self.ordered]


def _fold(store: Store, tenant_id: str, request: StatisticsRequest, *, whole_range: bool = False,
          buckets_of: tuple[_Folded, range] | None = None) -> _Folded:
    """The store's slot sums of `request` folded into its buckets, per group. `whole_range`: one slot, the
    whole range, its groups and names only (`sums` empty). `buckets_of`: only these buckets'
    sums, with the groups and names of that earlier fold of the whole range."""
    if buckets_of is None:
        tenant = tenant_or_404(store, tenant_id)
        zone_name = request.timezone or tenant.timezone
        check_group_by(request.group_by)
        found = buckets(request.start_us, request.end_us, request.interval, zone_named(zone_name),
                        request.week_start)
        start_us, end_us = request.start_us, request.end_us
        slot_us = end_us - start_us if whole_range else found.slot_us
    else:
        whole, indexes = buckets_of
        tenant, zone_name, found = whole.tenant, whole.zone_name, whole.buckets
        start_us, end_us, slot_us = found.boundaries[indexes.start], found.boundaries[indexes.stop], found.slot_us
    threshold_ms = None if request.sla_threshold is None else round(request.sla_threshold * 1000)
    query = SlotQuery(start_us, end_us, slot_us, request.group_by, request.filters, threshold_ms)
    folded: dict[tuple[int, tuple[str | None, ...]], _Bucket] = {}
    groups: set[tuple[str | None, ...]] = set() if request.group_by else {()}
    names: dict[tuple[str | None, ...], list[str | None]] = {}
    read = store.queue_entry_cells if whole_range else store.queue_entry_slots  # the whole range: groups alone
    index_of = found.index_of
    bucket_of: dict[int, int] = {}  # slot → its bucket's index
    seen: dict[tuple[str | None, ...], tuple[str | None, ...]] = {}  # group → the names it was last seen with
    naming = buckets_of is None  # (`buckets_of` has the groups and names of the whole range already)
    for row in read(tenant.id, query):
        group = row.group
        if naming and seen.get(group) != row.names:
            seen[group] = row.names
            groups.add(group)
            _keep_names(names, group, row.names)
        if whole_range:
            continue
        slot = row.slot
        bucket = bucket_of.get(slot)
        if bucket is None:
            bucket = bucket_of[slot] = index_of(start_us + slot * slot_us)
        into = folded.get((bucket, group))
        low, high = row.rules
        if into is None:
            folded[bucket, group] = (row.figures, {low, high} if low is not None and high is not None else
                                     {rule for rule in (low, high) if rule is not None})
            continue
        sums, rules = into
        merged = [mine + theirs for mine, theirs in zip(sums, row.figures, strict=True)]
        merged[_MAX_WAIT] = max(sums[_MAX_WAIT], row.figures[_MAX_WAIT])  # a maximum, not a sum
        folded[bucket, group] = (merged, rules)
        if low is not None:
            rules.add(low)
        if high is not None:
            rules.add(high)
    if buckets_of is not None:
        return _Folded(tenant, zone_name, found, folded, buckets_of[0].ordered, buckets_of[0].names)
    ordered = sorted(groups, key=_group_order)
    return _Folded(tenant, zone_name, found, folded, ordered, names)


def _group_keys(group_by: tuple[str, ...]) -> tuple[str, ...]:
    """The fields that show a row's group: each group's id and name (channelType and direction: no name)."""
    return tuple(field for name in group_by for field in GROUP_FIELDS[name] if field is not None)


def _group_values(group_by: tuple[str, ...], group: tuple[str | None, ...],
                  names: list[str | None] | None) -> tuple[str | None, ...]:
    """A group's values of `_group_keys(group_by)`: its ids, and its names (None when unknown)."""
    values: list[str | None] = []
    for position, name in enumerate(group_by):
        values.append(group[position])
        if GROUP_FIELDS[name][1] is not None:
            values.append(names[position] if names else None)
    return tuple(values)


_KEYS = columns_for(())[2:]
"""A row's figure keys, in order."""
_NONE = (0,) * len(FIGURE_NAMES)

# A row's figures from its sums (`FIGURE_NAMES` order, milliseconds shown as seconds) and the SLA rules of its
# entries: each average after its total, the service level and its rule after slaJudged. `_rounded(value, n)`
# spells `round(value, n)` inline: the nearest multiple of 10^-n found from value × 10^n as an int (the same
# float: k / 10^n is the double nearest to k × 10^-n, as round() returns; a value that close to a half falls
# back to round(), as does one of 10^12 or more); ~35 % cheaper than round(), 7 of them a row.
_SUMS = ("offered, answered, abandoned, short_abandoned, timed_out, exited_with_key, left_empty, moved_by_flow,"
         " refused_full, refused_empty, closed, diverted, within, judged, waited, wait_ms, answers_timed,"
         " answer_ms, handled, handle_ms, talk_ms, hold_ms, wrap_ms, transfers, flagged, longest_ms")


def _rounded(value: str, digits: int) -> str:
    scale = 10**digits
    return (f"(_k / {scale} if 0.0 <= (_y := (_v := {value}) * {scale}.0) < 1e12"
            f" and -0.49 < _y - (_k := round(_y)) < 0.49 else round(_v, {digits}))")


_FIGURE_ITEMS = (
    '"offered": offered, "answered": answered, "abandoned": abandoned, "shortAbandoned": short_abandoned,'
    ' "timedOut": timed_out, "exitedWithKey": exited_with_key, "leftEmpty": left_empty,'
    ' "movedByFlow": moved_by_flow, "refusedFull": refused_full, "refusedEmpty": refused_empty,'
    ' "closed": closed, "diverted": diverted, "answeredWithinSla": within, "slaJudged": judged,'
    f' "serviceLevel": {_rounded("100 * within / judged", 2)} if judged else None,'
    ' "serviceLevelRule": (next(iter(rules)) if len(rules) == 1 else "mixed") if rules else None,'
    ' "waited": waited, "waitTimeTotal": wait_ms / 1000,'
    f' "averageWaitTime": {_rounded("wait_ms / waited / 1000", 3)} if waited else None,'
    ' "answersTimed": answers_timed, "answerTimeTotal": answer_ms / 1000,'
    f' "averageSpeedOfAnswer": {_rounded("answer_ms / answers_timed / 1000", 3)} if answers_timed else None,'
    ' "handled": handled, "handleTimeTotal": handle_ms / 1000,'
    f' "averageHandleTime": {_rounded("handle_ms / handled / 1000", 3)} if handled else None,'
    ' "talkTimeTotal": talk_ms / 1000,'
    f' "averageTalkTime": {_rounded("talk_ms / handled / 1000", 3)} if handled else None,'
    ' "holdTimeTotal": hold_ms / 1000,'
    f' "averageHoldTime": {_rounded("hold_ms / handled / 1000", 3)} if handled else None,'
    ' "wrapUpTimeTotal": wrap_ms / 1000,'
    f' "averageWrapUpTime": {_rounded("wrap_ms / handled / 1000", 3)} if handled else None,'
    ' "transfers": transfers, "flagged": flagged,'
    ' "maxWaitTime": longest_ms / 1000 if waited else None'
)

RowBuilder = Callable[[str, str, tuple[str | None, ...], Sequence[int], Collection[str]], dict[str, Any]]
"""(start, end, the group's fields, the sums, the rules) → a row."""


@functools.cache
def _row_builder(group_keys: tuple[str, ...], *, times: bool = True) -> RowBuilder:
    """A function building a row: start and end (unless not `times`), the group's fields `group_keys`, then the
    figures; one dict display of constant keys, compiled once per set of keys — the cheapest dict to build, with
    no merge of a label's and the figures' dicts into each row."""
    names = [f"_{position}" for position in range(len(group_keys))]
    unpack = f"    {''.join(name + ', ' for name in names)}= label\n" if group_keys else ""
    items = ('"start": start, "end": end, ' if times else "") + "".join(
        f"{key!r}: {name}, " for key, name in zip(group_keys, names, strict=True))
    source = (f"def build(start, end, label, sums, rules):\n{unpack}    {_SUMS} = sums\n"
              f"    return {{{items}{_FIGURE_ITEMS}}}\n")
    namespace: dict[str, Any] = {}
    exec(compile(source, f"<statistics row of {group_keys}>", "exec"), namespace)  # noqa: S102  # the text above
    built: RowBuilder = namespace["build"]
    return built


_figures_only = _row_builder((), times=False)
if tuple(_figures_only("", "", (), _NONE, ())) != _KEYS:  # pragma: no cover  # the keys must follow columns_for
    raise AssertionError("_FIGURE_ITEMS' keys differ from columns_for's")


def row_figures(sums: list[int], rules: set[str]) -> dict[str, Any]:
    """A `/statistics` row's figures from its sums (`FIGURE_NAMES` order) and the SLA rules of its entries: what
    realtime statistics show of today, by the same formulas."""
    return _figures_only("", "", (), sums, rules)


__all__ = [
    "GROUPS",
    "MAX_BUCKETS",
    "WEEKDAYS",
    "RowPage",
    "StatisticsRequest",
    "StatisticsTable",
    "check_group_by",
    "nonempty_rows",
    "row_figures",
    "statistics",
]
