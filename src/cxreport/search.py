"""Searching interactions: the query's parameters, checked, and the response envelope, built by joining
the stored JSON text of each record into a small envelope (records are never decoded on this path)."""

from __future__ import annotations

from dataclasses import dataclass

import msgspec

from cxreport.errors import InvalidParameter, NotFound
from cxreport.store.base import MAX_INSTANT, MIN_INSTANT, PageRequest, Store, Tenant, Window
from cxreport.timeparse import TimeFormatError, parse_instant

DEFAULT_LIMIT = 10
MAX_LIMIT = 1000
MAX_OFFSET = 1_000_000_000

_encode = msgspec.json.encode


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


def parse_time(text: str | None, parameter: str) -> int | None:
    if text is None:
        return None
    try:
        return parse_instant(text)
    except TimeFormatError as error:
        raise InvalidParameter(f"{parameter}: {error}", parameter=parameter) from None


def build_page_request(params: SearchParameters) -> PageRequest:
    start_us = parse_time(params.start, params.start_name)
    end_us = parse_time(params.end, params.end_name)
    if start_us is not None and end_us is not None and start_us > end_us:
        raise InvalidParameter(
            f"{params.start_name} ({params.start}) is after {params.end_name} ({params.end})",
            parameter=params.start_name,
        )
    limit = DEFAULT_LIMIT if params.limit is None else params.limit
    _check_range("limit", limit, 0, MAX_LIMIT)
    offset = _effective_offset(params, limit)
    return PageRequest(
        window=Window(MIN_INSTANT if start_us is None else start_us, MAX_INSTANT if end_us is None else end_us),
        limit=limit,
        offset=offset,
        include_nulls=params.include_nulls,
    )


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


def search_body(store: Store, tenant: Tenant, params: SearchParameters) -> bytes:
    """The response body of a search: the seed's envelope around the stored records."""
    request = build_page_request(params)
    page = store.search(tenant.id, request)
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
    return head + b",".join(page.docs) + b"]}"


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
