"""The search's query values → a checked `SearchRequest`: the window (each bound with the name it was sent
under, so errors name it), time field, order, paging and filters. No web framework here: `cxreport export`
builds its search with `search_request` too (the routes' declarations of these parameters are in `query.py`).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace

from cxreport.errors import InvalidParameter
from cxreport.records.filters import Filter
from cxreport.service.search import DEFAULT_LIMIT, MAX_LIMIT, MAX_OFFSET, TIME_FIELDS, SearchRequest
from cxreport.store.base import MAX_INSTANT, MIN_INSTANT, Window
from cxreport.times import TimeFormatError, parse_instant


@dataclass(frozen=True, slots=True)
class SearchQuery:
    """The search's query values as sent, each bound of the window with the name it was sent under."""

    start: tuple[str | None, str]
    end: tuple[str | None, str]
    time_field: str | None
    sort: str | None
    include_nulls: bool
    filters: tuple[Filter, ...]

    def checked(self) -> SearchRequest:
        return search_request(
            self.start,
            self.end,
            time_field=self.time_field,
            sort=self.sort,
            include_nulls=self.include_nulls,
            filters=self.filters,
        )


def search_query(values: Mapping[str, str | None], include_nulls: bool, filters: tuple[Filter, ...]) -> SearchQuery:
    """The window (each bound under the name it was sent as: `startTimeRange` or its alias `start`, …), time
    field and order among a query's values, with the nulls flag and the filters already read."""
    start, end = values.get("start"), values.get("end")
    return SearchQuery(
        start=(one_of("startTimeRange", values.get("startTimeRange"), "start", start),
               "start" if start is not None else "startTimeRange"),
        end=(one_of("endTimeRange", values.get("endTimeRange"), "end", end),
             "end" if end is not None else "endTimeRange"),
        time_field=values.get("timeField"),
        sort=values.get("sort"),
        include_nulls=include_nulls,
        filters=filters,
    )


def one_of(name: str, value: str | None, alias: str, alias_value: str | None) -> str | None:
    """The value of a parameter that has an alias; giving both is an error."""
    if value is not None and alias_value is not None:
        raise InvalidParameter(f"give {name} or {alias}, not both", parameter=alias)
    return value if value is not None else alias_value


def search_request(
    start: tuple[str | None, str],
    end: tuple[str | None, str],
    *,
    time_field: str | None = None,
    sort: str | None = None,
    include_nulls: bool = False,
    filters: tuple[Filter, ...] = (),
) -> SearchRequest:
    """A search's window (each bound as (text, the parameter's name)), time field, order, nulls and filters,
    checked; the paging values are added by `paged`. Also what `cxreport export` builds its search with."""
    start_us = time_parameter(*start)
    end_us = time_parameter(*end)
    if start_us is not None and end_us is not None and start_us > end_us:
        raise InvalidParameter(f"{start[1]} ({start[0]}) is after {end[1]} ({end[0]})", parameter=start[1])
    time_field = "startTimestamp" if time_field is None else time_field
    if time_field not in TIME_FIELDS:
        raise InvalidParameter(f"timeField must be one of {', '.join(TIME_FIELDS)}", parameter="timeField")
    if sort not in (None, "desc", "asc"):
        raise InvalidParameter("sort must be desc (newest first) or asc (oldest first)", parameter="sort")
    window = Window(MIN_INSTANT if start_us is None else start_us, MAX_INSTANT if end_us is None else end_us)
    return SearchRequest(
        window=window, time_field=time_field, descending=sort != "asc", include_nulls=include_nulls, filters=filters
    )


def paged(
    search: SearchRequest,
    limit: int | None,
    page: int | None,
    offset: int | None,
    cursor: str | None = None,
    max_limit: int = MAX_LIMIT,
) -> SearchRequest:
    """The search with its page: `limit` records after `offset` (or page × limit), or after the `cursor`."""
    limit = DEFAULT_LIMIT if limit is None else limit
    _check_range("limit", limit, 0, max_limit)
    effective_offset = _effective_offset(page, offset, limit)
    if cursor is not None and (page is not None or offset is not None):
        raise InvalidParameter("give cursor, or page/offset, not both", parameter="cursor")
    return replace(search, limit=limit, offset=effective_offset, page=page, cursor=cursor)


def time_parameter(text: str | None, parameter: str) -> int | None:
    """A time parameter's value as epoch µs (None when absent); a 400 naming the parameter when it is no time."""
    if text is None:
        return None
    try:
        return parse_instant(text)
    except TimeFormatError as error:
        raise InvalidParameter(f"{parameter}: {error}", parameter=parameter) from None


def _effective_offset(page: int | None, offset: int | None, limit: int) -> int:
    if page is not None:
        _check_range("page", page, 0, MAX_OFFSET)
        page_offset = page * limit
        if offset is not None and offset != page_offset:
            raise InvalidParameter(
                f"offset ({offset}) contradicts page × limit ({page_offset}); give one of page or offset",
                parameter="offset",
            )
        _check_range("page", page_offset, 0, MAX_OFFSET, what="page × limit")
        return page_offset
    offset = offset or 0
    _check_range("offset", offset, 0, MAX_OFFSET)
    return offset


def _check_range(parameter: str, value: int, low: int, high: int, what: str | None = None) -> None:
    if not low <= value <= high:
        raise InvalidParameter(
            f"{what or parameter} must be between {low} and {high}, got {value}", parameter=parameter
        )
