"""Query-string handling shared by the search, export and contact routes: the documented parameters
(declared once here, for the OpenAPI document), unknown-parameter checks, and the next-page URL."""

from __future__ import annotations

import inspect
import re
from dataclasses import dataclass, replace
from typing import Annotated, Any
from urllib.parse import urlencode

from litestar import Request
from litestar.di import NamedDependency, Provide
from litestar.openapi.spec import Example
from litestar.params import QueryParameter

from cxreport.errors import InvalidParameter, UnknownParameter
from cxreport.records.facets import FACETS, FILTER_PARAMETERS
from cxreport.records.filters import Filter, parse_filters
from cxreport.service.search import DEFAULT_LIMIT, MAX_LIMIT, MAX_OFFSET, TIME_FIELDS, SearchRequest
from cxreport.store.base import MAX_INSTANT, MIN_INSTANT, Window
from cxreport.times import TimeFormatError, parse_instant

TIME_HELP = (
    "ISO 8601, in UTC unless it names an offset: `2017-12-29T14:00:00.000Z`, `2018-09-06T12:00Z`, "
    "`2018-09-06T12:30` (UTC), `2017-12-29T24:00:00.000Z` (end of that day)."
)
FILTER_HELP = "Any of these values (comma-separated, or the parameter repeated); all filters must hold."

Time = Annotated[
    str | None,
    QueryParameter(description=TIME_HELP, format="date-time", examples=[Example(value="2017-12-29T14:00:00.000Z")]),
]
TimeAlias = Annotated[
    str | None, QueryParameter(description="Alias of startTimeRange / endTimeRange.", format="date-time")
]
MAX_OFFSET_DOC = {"minimum": 0, "maximum": 1_000_000_000}
Limit = Annotated[
    int | None,
    QueryParameter(description="Records per page, default 10.", schema_extra={"minimum": 0, "maximum": 1000}),
]
ContactLimit = Annotated[
    int | None,
    QueryParameter(description="Records per page, default 10.", schema_extra={"minimum": 0, "maximum": 100}),
]
PageNumber = Annotated[
    int | None,
    QueryParameter(
        description="0-based page number; offset = page × limit, at most 1,000,000,000.", schema_extra=MAX_OFFSET_DOC
    ),
]
Offset = Annotated[
    int | None,
    QueryParameter(
        description="Records to skip, instead of page (slower than cursor); not with a different page × limit.",
        schema_extra=MAX_OFFSET_DOC,
    ),
]
IncludeNulls = Annotated[
    bool | None, QueryParameter(description="Keep null-valued fields in records (default: left out).")
]
TimeField = Annotated[
    str | None,
    QueryParameter(
        description="What the window applies to: startTimestamp (default), endTimestamp or lastUpdated.",
        enum=["startTimestamp", "endTimestamp", "lastUpdated"],
    ),
]
Sort = Annotated[str | None, QueryParameter(description="desc (newest first, default) or asc.", enum=["desc", "asc"])]
Cursor = Annotated[str | None, QueryParameter(description="The `next` of the previous page: continue after it.")]
FILTER_VALUES = r"^[^,\x00]*[^,\s\x00][^,\x00]*(,[^,\x00]*[^,\s\x00][^,\x00]*)*$"
"""Comma-separated values, none of them blank or holding a NUL (documented only: the filter parser checks
them and names the parameter as it is spelled in the query)."""
NOT_BLANK = r"^[^\x00]*\S[^\x00]*$"
HookName = Annotated[
    str | None,
    QueryParameter(
        description="A custom attribute's name (pairs with attribute-value).", schema_extra={"pattern": NOT_BLANK}
    ),
]
AttributeValue = Annotated[
    str | None,
    QueryParameter(
        name="attribute-value",
        description="Value of the custom attribute named by hookName (pairs).",
        schema_extra={"pattern": FILTER_VALUES},
    ),
]

WINDOW = frozenset({"startTimeRange", "endTimeRange", "start", "end", "timeField", "sort"})
NULLS = frozenset({"includenulls", "includeNulls"})
PAGING = frozenset({"limit", "page", "offset"})
SEARCH_PARAMETERS = WINDOW | NULLS | PAGING | {"cursor"} | set(FILTER_PARAMETERS)
EXPORT_PARAMETERS = WINDOW | NULLS | {"format"} | set(FILTER_PARAMETERS)
CONTACT_PARAMETERS = NULLS | PAGING
_WHOLE_NUMBER = re.compile(r"-?[0-9]+")


def provide_filters(request: Request[Any, Any, Any], **documented: str | None) -> tuple[Filter, ...]:
    """The filters of the request (a dependency: its parameters, one per filter parameter of the facet registry,
    document the filter grammar once for every route that takes it). Values are read from the raw query, so
    repeated parameters count."""
    return parse_filters({name: request.query_params.getall(name) for name in request.query_params})


def _filter_annotation(name: str) -> Any:
    """How the OpenAPI document describes one filter parameter."""
    if name == "hookName":
        return HookName
    if name == "attribute-value":
        return AttributeValue
    facet = next(f for f in FACETS if name in (f.parameter, *f.aliases))
    if facet.is_flag:
        return Annotated[str | None, QueryParameter(description=f"{facet.help} true or false.", enum=["true", "false"])]
    help_text = f"{facet.help} {FILTER_HELP}".strip()
    return Annotated[str | None, QueryParameter(description=help_text, schema_extra={"pattern": FILTER_VALUES})]


def _declare_filter_parameters() -> None:
    """Give `provide_filters` one keyword parameter per filter parameter, for Litestar to document and accept."""
    annotations: dict[str, Any] = {"request": Request[Any, Any, Any], "return": tuple[Filter, ...]}
    parameters = [inspect.Parameter("request", inspect.Parameter.POSITIONAL_OR_KEYWORD)]
    for name in FILTER_PARAMETERS:
        identifier = name.replace("-", "_")  # attribute-value: the annotation's QueryParameter names it
        annotations[identifier] = _filter_annotation(name)
        parameters.append(inspect.Parameter(identifier, inspect.Parameter.KEYWORD_ONLY, default=None))
    provide_filters.__signature__ = inspect.Signature(parameters)  # type: ignore[attr-defined]
    provide_filters.__annotations__ = annotations


_declare_filter_parameters()


def provide_search(
    filters: NamedDependency[tuple[Filter, ...]],
    startTimeRange: Time = None,
    endTimeRange: Time = None,
    start: TimeAlias = None,
    end: TimeAlias = None,
    timeField: TimeField = None,
    sort: Sort = None,
    includenulls: IncludeNulls = None,
    includeNulls: IncludeNulls = None,
) -> SearchQuery:
    """What search and export share: the window, its time field, the order, nulls and filters (a dependency,
    so both routes declare and document these parameters once; `SearchQuery.checked` checks them)."""
    start_name = "start" if start is not None else "startTimeRange"
    end_name = "end" if end is not None else "endTimeRange"
    return SearchQuery(
        start=(one_of("startTimeRange", startTimeRange, "start", start), start_name),
        end=(one_of("endTimeRange", endTimeRange, "end", end), end_name),
        time_field=timeField,
        sort=sort,
        include_nulls=bool(includenulls or includeNulls),
        filters=filters,
    )


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
    start_us = _instant(*start)
    end_us = _instant(*end)
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


def _instant(text: str | None, parameter: str) -> int | None:
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


QUERY = {
    "filters": Provide(provide_filters, sync_to_thread=False),
    "search": Provide(provide_search, sync_to_thread=False),
}


def raw_params(request: Request[Any, Any, Any], accepted: frozenset[str]) -> dict[str, list[str]]:
    """Every query parameter with all its values; an unknown one is a 400 listing those accepted."""
    params = {name: request.query_params.getall(name) for name in request.query_params}
    unknown = sorted(set(params) - accepted)
    if unknown:
        raise UnknownParameter(
            f"unknown parameter {unknown[0]!r}; this route accepts: {', '.join(sorted(accepted))}",
            parameter=unknown[0],
        )
    for name in PAGING & set(params):
        for value in params[name]:
            if not _WHOLE_NUMBER.fullmatch(value):  # Litestar reads "1.0" and "1e3" as numbers; we do not
                raise InvalidParameter(f"{name} must be a whole number, got {value!r}", parameter=name)
    return params


def next_url_for(request: Request[Any, Any, Any]) -> Any:
    """A function: cursor → the same request's URL continuing at that cursor (page/offset dropped)."""
    kept = [(k, v) for k, v in request.query_params.multi_items() if k not in ("cursor", "page", "offset")]

    def build(cursor: str) -> str:
        return f"{request.url.path}?{urlencode([*kept, ('cursor', cursor)])}"

    return build
