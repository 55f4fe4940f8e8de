"""Searching interactions: a checked, typed request in; the page of stored records (their JSON text, never
decoded on this path), its exact total and the cursor to the next page out.

The edges (`http/query.py` for the API, the CLI's export) parse their parameters into a `SearchRequest`;
`http/bodies.py` joins a `SearchResult` into the response envelope.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

from cxreport.errors import InvalidParameter
from cxreport.records.filters import Filter
from cxreport.service.cursors import CursorCodec, fingerprint
from cxreport.store.base import PageRequest, Query, Store, Tenant, Window

DEFAULT_LIMIT = 10
MAX_LIMIT = 1000
MAX_OFFSET = 1_000_000_000

TIME_FIELDS = {"startTimestamp": "start", "endTimestamp": "end", "lastUpdated": "updated"}
"""The API's names of the time a window applies to → the stores' names."""


@dataclass(frozen=True, slots=True)
class SearchRequest:
    """A search whose every value has been checked on its own (`http/query.py` builds it from the query)."""

    window: Window = field(default_factory=Window)
    time_field: str = "startTimestamp"
    """One of `TIME_FIELDS` (the API's name, echoed in the envelope)."""
    descending: bool = True
    limit: int = DEFAULT_LIMIT
    offset: int = 0
    page: int | None = None
    """The page number the client asked for (echoed; `offset` is already page × limit)."""
    cursor: str | None = None
    """The `next` of a previous page: continue after it (then page and offset are absent)."""
    include_nulls: bool = False
    filters: tuple[Filter, ...] = ()
    max_bytes: int = 0
    """Largest page, in bytes of records (`CXREPORT_MAX_PAGE_BYTES`); 0: only `limit` bounds it."""


@dataclass(frozen=True, slots=True)
class SearchResult:
    tenant: Tenant
    request: SearchRequest
    total: int
    docs: list[bytes]
    """The page's records, each the stored JSON text."""
    next_cursor: str | None
    truncated: bool = False
    """The byte cap ended the page before `limit` records: more follow (after `next`, or at offset + len(docs))."""


def page_request(search: SearchRequest, tenant_id: str, cursors: CursorCodec | None) -> tuple[PageRequest, str]:
    """What the store is asked for a search, and the search's fingerprint (what a cursor is bound to)."""
    query = Query(search.window, TIME_FIELDS[search.time_field], search.descending, search.filters)
    sort = "desc" if search.descending else "asc"
    window = search.window
    digest = fingerprint(tenant_id, search.time_field, sort, window.start_us, window.end_us, search.filters)
    if search.cursor is not None:
        if cursors is None:
            raise InvalidParameter("cursor is not accepted here", parameter="cursor")
        query = replace(query, after=cursors.decode(search.cursor, tenant_id, digest))
    return PageRequest(query, search.limit, search.offset, include_nulls=search.include_nulls), digest


def search(store: Store, tenant: Tenant, search: SearchRequest, cursors: CursorCodec | None = None) -> SearchResult:
    """One page of the search, with its exact total and, when more follow and cursors are given, the cursor."""
    request, digest = page_request(search, tenant.id, cursors)
    page = store.search(tenant.id, replace(request, limit=request.limit + 1) if request.limit else request)
    docs, more = page.docs[: request.limit], len(page.docs) > request.limit
    kept = _within(docs, search.max_bytes)
    truncated = kept < len(docs)
    if truncated:
        docs, more = docs[:kept], True
    next_cursor = None
    if more and cursors is not None:
        next_cursor = cursors.encode(tenant.id, digest, page.key(len(docs) - 1))
    return SearchResult(tenant, search, page.total, docs, next_cursor, truncated)


def _within(docs: list[bytes], max_bytes: int) -> int:
    """How many of the first docs fit in `max_bytes` (at least one: a record larger than the cap is a page of
    its own, so paging always moves on)."""
    if max_bytes <= 0:
        return len(docs)
    size = 0
    for index, doc in enumerate(docs):
        size += len(doc) + 1
        if size > max_bytes and index > 0:
            return index
    return len(docs)


def count(store: Store, tenant: Tenant, search: SearchRequest) -> int:
    """How many interactions a search matches (its page aside)."""
    request, _digest = page_request(replace(search, limit=0, offset=0, page=None, cursor=None), tenant.id, None)
    return store.search(tenant.id, request).total
