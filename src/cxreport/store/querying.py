"""The SQL of a search, for both stores: which rows match a `Query`, in which order, and how many.

Every filter is a facet: a row (tenant, kind, value, start time, interaction id) in `interaction_facets`,
whose primary key is the index that serves it. A window on the start time with filters is driven by the
most selective filter's facets (walked in index order); the other filters are point probes on the same key.
Windows on the end or last-update time walk the interactions' own index for that time and probe facets.
Only index columns are read until the page is known: skipped rows never have their documents read.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from cxreport.records.facets import FLAG_KINDS, MULTI_VALUED_KINDS, SELECTIVITY
from cxreport.records.filters import Filter
from cxreport.store.base import Page, PageRequest, Query
from cxreport.store.dialect import Dialect
from cxreport.store.hours import hour_sum


@dataclass(frozen=True)
class Statement:
    sql: str
    params: list[object]
    by_row_id: bool = False


def _split_filters(query: Query) -> tuple[list[Filter], list[Filter]]:
    """(filters that must match a facet, most selective first; flags that must NOT have their true facet)."""
    positive: list[Filter] = []
    negative: list[Filter] = []
    for item in query.filters:
        if item.kind not in FLAG_KINDS:
            positive.append(item)
        elif set(item.values) == {"true"}:
            positive.append(Filter(item.kind, ("true",)))
        elif set(item.values) == {"false"}:
            negative.append(Filter(item.kind, ("true",)))
        # true and false together: any record
    positive.sort(key=lambda f: SELECTIVITY.index(f.kind) if f.kind in SELECTIVITY else 99)
    return positive, negative


def _in_list(values: tuple[str, ...]) -> str:
    return ",".join("?" * len(values))


def matching_keys(tenant_id: str, query: Query, dialect: Dialect, *, keyset: bool, columns: str = "") -> Statement:
    """SELECT t, id of every matching record (unordered), optionally after the keyset position; `columns`
    (of the interactions row `i`, e.g. its document) follow when the keys come from it (`by_row_id`)."""
    filters, absent = _split_filters(query)
    start_column = dialect.time_columns["start"]
    params: list[object] = []
    if filters and query.time_field == "start":
        driver, rest = filters[0], filters[1:]
        time_expr, id_expr, row_start = f"f.{start_column}", "f.interaction_id", f"f.{start_column}"
        distinct = "DISTINCT " if driver.kind in MULTI_VALUED_KINDS and len(driver.values) > 1 else ""
        where = ["f.tenant_id = ?", "f.kind = ?", f"f.value IN ({_in_list(driver.values)})"]
        params += [tenant_id, driver.kind, *driver.values]
        source = f"SELECT {distinct}{time_expr} AS t, {id_expr} AS id FROM interaction_facets AS f"
        owner = "f"
    else:
        rest = filters
        column = dialect.time_columns[query.time_field]
        time_expr, id_expr, row_start = f"i.{column}", "i.interaction_id", f"i.{start_column}"
        where = ["i.tenant_id = ?"]
        params.append(tenant_id)
        row_id = f", i.{dialect.row_id} AS rk" if dialect.row_id else ""
        extra = f", {columns}" if columns and dialect.row_id else ""
        source = f"SELECT {time_expr} AS t, {id_expr} AS id{row_id}{extra} FROM interactions AS i"
        owner = "i"
    low, high = query.window.start_us, query.window.end_us
    if keyset and query.after is not None:
        # Narrow the index range itself to the cursor's time (a row comparison alone would be applied as a
        # filter while the scan walks from the window's edge: the deeper the page, the slower); the row
        # comparison then only drops the rows of that same instant already seen.
        if query.descending:
            high = min(high, query.after[0] + 1)
        else:
            low = max(low, query.after[0])
        where.append(f"({time_expr}, {id_expr}) {'<' if query.descending else '>'} (?, ?)")
        params += [_time(query, dialect, query.after[0]), query.after[1]]
    where += [f"{time_expr} >= ?", f"{time_expr} < ?"]
    params += [_time(query, dialect, low), _time(query, dialect, high)]
    for probe, negated in [*((f, False) for f in rest), *((f, True) for f in absent)]:
        where.append(
            f"{'NOT ' if negated else ''}EXISTS (SELECT 1 FROM interaction_facets AS g"
            f" WHERE g.tenant_id = {owner}.tenant_id AND g.kind = ?"
            f" AND g.value IN ({_in_list(probe.values)}) AND g.{start_column} = {row_start}"
            f" AND g.interaction_id = {id_expr})"
        )
        params += [probe.kind, *probe.values]
    by_row_id = owner == "i" and dialect.row_id is not None
    return Statement(dialect.sql(f"{source} WHERE {' AND '.join(where)}"), params, by_row_id)


def count_statement(tenant_id: str, query: Query, dialect: Dialect, *, use_hours: bool = True) -> Statement:
    """The exact number of matches: the whole hours of the window from the hourly counts where they answer the
    filters (`store/hours.py`), its ragged ends and every other query from the index."""
    positive, negative = _split_filters(query)
    hours = hour_sum(tenant_id, query, positive, negative, dialect) if use_hours else None
    if hours is None:
        keys = matching_keys(tenant_id, query, dialect, keyset=False)
        return Statement(f"SELECT count(*) FROM ({keys.sql}) AS matching", keys.params)
    low, high = (matching_keys(tenant_id, end, dialect, keyset=False) for end in hours.ends)
    return Statement(
        f"SELECT {hours.sql} + (SELECT count(*) FROM ({low.sql}) AS low)"
        f" + (SELECT count(*) FROM ({high.sql}) AS high)",
        [*hours.params, *low.params, *high.params],
    )


def page_statement(
    tenant_id: str, query: Query, dialect: Dialect, *, limit: int, offset: int, include_nulls: bool
) -> Statement:
    """The page's documents with their keyset positions: keys first (index only), then documents. The id comes as
    text: a cursor needs one row's, and PostgreSQL's driver made a `UUID` of every row's (~0.3 µs a row)."""
    keys = matching_keys(tenant_id, query, dialect, keyset=True)
    direction = "DESC" if query.descending else "ASC"
    doc = "coalesce(i.doc_with_nulls, i.doc)" if include_nulls else "i.doc"
    mark = dialect.placeholder
    join = f"i.{dialect.row_id} = p.rk" if keys.by_row_id else f"i.tenant_id = {mark} AND i.interaction_id = p.id"
    sql = (
        f"SELECT {doc}, p.t, p.id{dialect.as_text} FROM ("
        f"{keys.sql} ORDER BY t {direction}, id {direction} LIMIT {mark} OFFSET {mark}"
        f") AS p JOIN interactions AS i ON {join} ORDER BY p.t {direction}, p.id {direction}"
    )
    return Statement(sql, [*keys.params, limit, offset, *([] if keys.by_row_id else [tenant_id])])


def export_keys_statement(
    tenant_id: str, query: Query, dialect: Dialect, *, limit: int, columns: str = ""
) -> Statement:
    """The next `limit` matching positions (time, id, and the row id where the store has one), in order:
    index columns only, unless `columns` are asked for (see `matching_keys`)."""
    keys = matching_keys(tenant_id, query, dialect, keyset=True, columns=columns)
    direction = "DESC" if query.descending else "ASC"
    return Statement(
        f"{keys.sql} ORDER BY t {direction}, id {direction} LIMIT {dialect.placeholder}",
        [*keys.params, limit],
        keys.by_row_id,
    )


def _time(query: Query, dialect: Dialect, micros: int) -> object:
    return micros if query.time_field == "updated" else dialect.time_param(micros)


Fetch = Callable[[Statement], Sequence[Sequence[Any]]]
"""Runs a statement on the store's connection and returns its rows."""


def run_search(fetch: Fetch, tenant_id: str, request: PageRequest, dialect: Dialect) -> Page:
    """A search, for either store: the exact count (when asked), then the page with its keyset positions."""
    count, page = _statements(tenant_id, request, dialect)
    total = -1
    if count is not None:
        total = int(fetch(count)[0][0])
    if request.limit == 0 or (request.count and request.offset >= total):
        return Page(total=total, docs=[])
    rows = fetch(page)
    return Page(total=total, docs=[row[0] for row in rows], rows=rows, micros=dialect.micros)


_STATEMENTS: dict[tuple[int, str, PageRequest], tuple[Statement | None, Statement]] = {}
MAX_STATEMENTS = 1024
"""Searches whose statements are remembered (all forgotten when full): clients repeat their searches, and building
a search's SQL text costs about as much as SQLite running the seed request's count."""


def _statements(tenant_id: str, request: PageRequest, dialect: Dialect) -> tuple[Statement | None, Statement]:
    """The count (None when not asked for) and page statements of a search, built once per distinct search (the
    statements are never changed once built: their `params` lists are shared)."""
    key = (id(dialect), tenant_id, request)  # the dialects are the stores' module constants
    found = _STATEMENTS.get(key)
    if found is None:
        query = request.query
        count = count_statement(tenant_id, query, dialect) if request.count else None
        page = page_statement(tenant_id, query, dialect, limit=request.limit, offset=request.offset,
                              include_nulls=request.include_nulls)
        if len(_STATEMENTS) >= MAX_STATEMENTS:
            _STATEMENTS.clear()
        found = _STATEMENTS[key] = (count, page)
    return found
