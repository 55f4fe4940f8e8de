"""Searching interactions: the query's parameters, checked, and the response envelope, built by joining
the stored JSON text of each record into a small envelope (records are never decoded on this path)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace

import msgspec

from cxreport.errors import InvalidParameter, NotFound
from cxreport.records.filters import Filter
from cxreport.service.cursors import CursorCodec, fingerprint
from cxreport.store.base import MAX_INSTANT, MIN_INSTANT, PageRequest, Query, Store, Tenant, Window
from cxreport.times import TimeFormatError, format_instant, parse_instant

DEFAULT_LIMIT = 10
MAX_LIMIT = 1000
MAX_OFFSET = 1_000_000_000

_encode = msgspec.json.encode


TIME_FIELDS = {"startTimestamp": "start", "endTimestamp": "end", "lastUpdated": "updated"}
SORTS = {"desc": True, "asc": False}


@dataclass(frozen=True, slots=True)
class SearchParameters:
    """The search query as the client sent it (strings and numbers, not yet checked against each other)."""

    start: str | None = None
    start_name: str = "startTimeRange"
    end: str | None = None
    end_name: str = "endTimeRange"
    limit: int | None = None
    page: int | None = None
    offset: int | None = None
    include_nulls: bool = False
    time_field: str | None = None
    sort: str | None = None
    cursor: str | None = None
    filters: tuple[Filter, ...] = ()
    max_limit: int = MAX_LIMIT


@dataclass(frozen=True, slots=True)
class ResolvedSearch:
    """A checked search: what the store is asked, and what the envelope echoes."""

    request: PageRequest
    fingerprint: str
    time_field: str
    sort: str


def parse_time(text: str | None, parameter: str) -> int | None:
    if text is None:
        return None
    try:
        return parse_instant(text)
    except TimeFormatError as error:
        raise InvalidParameter(f"{parameter}: {error}", parameter=parameter) from None


def resolve(params: SearchParameters, tenant_id: str, cursors: CursorCodec | None) -> ResolvedSearch:
    start_us = parse_time(params.start, params.start_name)
    end_us = parse_time(params.end, params.end_name)
    if start_us is not None and end_us is not None and start_us > end_us:
        raise InvalidParameter(
            f"{params.start_name} ({params.start}) is after {params.end_name} ({params.end})",
            parameter=params.start_name,
        )
    time_field = "startTimestamp" if params.time_field is None else params.time_field
    if time_field not in TIME_FIELDS:
        raise InvalidParameter(f"timeField must be one of {', '.join(TIME_FIELDS)}", parameter="timeField")
    sort = "desc" if params.sort is None else params.sort
    if sort not in SORTS:
        raise InvalidParameter("sort must be desc (newest first) or asc (oldest first)", parameter="sort")
    limit = DEFAULT_LIMIT if params.limit is None else params.limit
    _check_range("limit", limit, 0, params.max_limit)
    window = Window(MIN_INSTANT if start_us is None else start_us, MAX_INSTANT if end_us is None else end_us)
    query = Query(window, TIME_FIELDS[time_field], SORTS[sort], params.filters)
    digest = fingerprint(tenant_id, time_field, sort, window.start_us, window.end_us, params.filters)
    offset = _effective_offset(params, limit)
    if params.cursor is not None:
        if cursors is None:
            raise InvalidParameter("cursor is not accepted here", parameter="cursor")
        if params.page is not None or params.offset is not None:
            raise InvalidParameter("give cursor, or page/offset, not both", parameter="cursor")
        query = replace(query, after=cursors.decode(params.cursor, tenant_id, digest))
    request = PageRequest(query, limit, offset, include_nulls=params.include_nulls)
    return ResolvedSearch(request, digest, time_field, sort)


def _effective_offset(params: SearchParameters, limit: int) -> int:
    if params.page is not None:
        _check_range("page", params.page, 0, MAX_OFFSET)
        page_offset = params.page * limit
        if params.offset is not None and params.offset != page_offset:
            raise InvalidParameter(
                f"offset ({params.offset}) contradicts page × limit ({page_offset}); give one of page or offset",
                parameter="offset",
            )
        _check_range("page", page_offset, 0, MAX_OFFSET, what="page × limit")
        return page_offset
    offset = params.offset or 0
    _check_range("offset", offset, 0, MAX_OFFSET)
    return offset


def _check_range(parameter: str, value: int, low: int, high: int, what: str | None = None) -> None:
    if not low <= value <= high:
        raise InvalidParameter(
            f"{what or parameter} must be between {low} and {high}, got {value}", parameter=parameter
        )


def search_body(
    store: Store,
    tenant: Tenant,
    params: SearchParameters,
    cursors: CursorCodec | None = None,
    next_url: Callable[[str], str] | None = None,
) -> bytes:
    """The response body of a search: the seed's envelope around the stored records, then what this
    implementation adds (the resolved time field, sort and window; the cursor to the next page)."""
    resolved = resolve(params, tenant.id, cursors)
    request = resolved.request
    page = store.search(tenant.id, replace(request, limit=request.limit + 1) if request.limit else request)
    docs, more = page.docs[: request.limit], len(page.docs) > request.limit
    next_cursor = None
    if more and cursors is not None:
        next_cursor = cursors.encode(tenant.id, resolved.fingerprint, page.keys[request.limit - 1])
    head = b"".join(
        (
            b'{"page":',
            b"null" if params.page is None else str(params.page).encode(),
            b',"limit":',
            str(request.limit).encode(),
            b',"offset":',
            str(request.offset).encode(),
            b',"tenantId":',
            _encode(tenant.id),
            b',"total":',
            str(page.total).encode(),
            b',"tenantName":',
            _encode(tenant.name),
            b',"tenantTimezone":',
            _encode(tenant.timezone),
            b',"results":[',
        )
    )
    tail = _encode(
        {
            "timeField": resolved.time_field,
            "sort": resolved.sort,
            "window": _window_json(request.query.window),
            "next": next_cursor,
            "nextUrl": next_url(next_cursor) if next_cursor and next_url else None,
        }
    )
    return head + b",".join(docs) + b"]," + tail[1:]


def _window_json(window: Window) -> dict[str, str | None]:
    return {
        "start": None if window.start_us == MIN_INSTANT else format_instant(window.start_us),
        "end": None if window.end_us == MAX_INSTANT else format_instant(window.end_us),
    }


def interaction_body(store: Store, tenant_id: str, interaction_id: str, include_nulls: bool) -> bytes:
    """One record with a `details` object appended (the fields of the original API's detail view)."""
    doc = store.get_record(tenant_id, interaction_id, include_nulls)
    if doc is None:
        raise NotFound(f"there is no interaction {interaction_id} in this tenant")
    return doc[:-1] + b',"details":' + details_of(doc) + b"}"


_DETAIL_FIELDS = (
    "endTimestamp",
    "interactionId",
    "contactPoint",
    "customer",
    "csat",
    "startTimestamp",
    "agents",
    "direction",
    "contactId",
    "channelType",
)
_decode_raw = msgspec.json.Decoder(dict[str, msgspec.Raw])


def details_of(doc: bytes) -> bytes:
    """The `details` object of one record, built from the record's own JSON text (values kept verbatim)."""
    fields = _decode_raw.decode(doc)
    parts = [_encode(name) + b":" + bytes(fields[name]) for name in _DETAIL_FIELDS if name in fields]
    return b"{" + b",".join(parts) + b"}"
