"""Query-string handling shared by the search, export and contact routes: the documented parameters
(declared once here, for the OpenAPI document), unknown-parameter checks, and the next-page URL."""

from __future__ import annotations

import functools
import inspect
import re
from typing import Annotated, Any, cast
from urllib.parse import parse_qsl, urlencode

from litestar import Request
from litestar.di import NamedDependency, Provide
from litestar.openapi.spec import Example
from litestar.params import QueryParameter

from cxreport.errors import InvalidParameter, UnknownParameter
from cxreport.http.search_query import SearchQuery, search_query
from cxreport.records.facets import FACETS, FILTER_PARAMETERS
from cxreport.records.filters import Filter, parse_filters

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
FILTER_VALUES = r"^[^,\x00\x1f]*[^,\s\x00\x1f][^,\x00\x1f]*(,[^,\x00\x1f]*[^,\s\x00\x1f][^,\x00\x1f]*)*$"
"""Comma-separated values, none of them blank or holding a NUL (documented only: the filter parser checks
them and names the parameter as it is spelled in the query). U+001F joins compound facets: refused."""
NOT_BLANK = r"^[^\x00\x1f]*[^\s\x00\x1f][^\x00\x1f]*$"
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
    return parse_filters(query_values(request))


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
    values = {"startTimeRange": startTimeRange, "endTimeRange": endTimeRange, "start": start, "end": end,
              "timeField": timeField, "sort": sort}
    return search_query(values, bool(includenulls or includeNulls), filters)


QUERY = {
    "filters": Provide(provide_filters, sync_to_thread=False),
    "search": Provide(provide_search, sync_to_thread=False),
}


_QUERY_VALUES = "cxreport.query_values"


def query_values(request: Request[Any, Any, Any]) -> dict[str, list[str]]:
    """Every query parameter with all its values, in the order sent: read from the query once per request
    (the filters and the parameter check share it)."""
    values = cast("dict[str, list[str]] | None", request.scope.get(_QUERY_VALUES))
    if values is None:
        values = {name: request.query_params.getall(name) for name in request.query_params}
        request.scope[_QUERY_VALUES] = values  # type: ignore[literal-required]
    return values


def raw_params(request: Request[Any, Any, Any], accepted: frozenset[str]) -> dict[str, list[str]]:
    """Every query parameter with all its values; an unknown one is a 400 listing those accepted."""
    params = query_values(request)
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
    return next_url_in(request.scope)


def next_url_in(scope: Any) -> Any:
    """`next_url_for` of a request's ASGI scope."""
    prefix = _next_url_prefix(scope.get("root_path", "") + scope["path"], scope["query_string"])

    def build(cursor: str) -> str:
        return prefix + urlencode([("cursor", cursor)])

    return build


@functools.lru_cache(maxsize=1024)  # clients repeat their searches: the same query strings, other cursors
def _next_url_prefix(path: str, query_string: bytes) -> str:
    """`path?` and the query's parameters but cursor, page and offset, re-encoded, then `&` when any remain."""
    parsed = parse_qsl(query_string.decode("latin-1"), keep_blank_values=True)  # as Litestar's query_params
    kept = [(k, v) for k, v in parsed if k not in ("cursor", "page", "offset")]
    return f"{path}?{urlencode(kept)}&" if kept else f"{path}?"
