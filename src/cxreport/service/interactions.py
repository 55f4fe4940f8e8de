"""Use cases on interaction records, behind the HTTP routes and the CLI: typed values in, values out; no HTTP,
no SQL."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, replace

from cxreport import clock
from cxreport.errors import InvalidParameter, NotFound, RejectedBatch
from cxreport.ids import normalize_uuid
from cxreport.records.facets import FACET_SEPARATOR
from cxreport.records.filters import MAX_VALUE_LENGTH, Filter
from cxreport.records.validate import MAX_ERRORS_REPORTED, prepare_records, split_body
from cxreport.service import search as searching
from cxreport.service.cursors import CursorCodec, fingerprint
from cxreport.service.export import FORMATS, Chunk, export_csv, export_ndjson
from cxreport.service.search import SearchRequest, SearchResult
from cxreport.store.base import EventCounts, Store, Tenant, UpsertCounts

CONTACT_MAX_LIMIT = 100


def tenant_or_404(store: Store, tenant_id: str) -> Tenant:
    tenant = store.get_tenant(tenant_id.lower())
    if tenant is None:
        raise NotFound(f"there is no tenant {tenant_id}")
    return tenant


def search(store: Store, tenant_id: str, request: SearchRequest, cursors: CursorCodec | None = None) -> SearchResult:
    return searching.search(store, tenant_or_404(store, tenant_id), request, cursors)


def contact_history(store: Store, tenant_id: str, contact_id: str, request: SearchRequest) -> SearchResult:
    """A contact's latest interactions, newest first (at most 100 a page): a search filtered by contactId."""
    if not contact_id.strip():
        raise InvalidParameter("contactId must not be empty", parameter="contactId")
    if "\x00" in contact_id or FACET_SEPARATOR in contact_id:
        raise InvalidParameter("contactId holds a NUL or U+001F character", parameter="contactId")
    if len(contact_id) > MAX_VALUE_LENGTH:
        raise InvalidParameter(f"contactId is at most {MAX_VALUE_LENGTH} characters", parameter="contactId")
    contact = Filter("contactId", (contact_id,))
    return searching.search(store, tenant_or_404(store, tenant_id), replace(request, filters=(contact,)))


def export(store: Store, tenant_id: str, request: SearchRequest, export_format: str) -> Iterator[Chunk]:
    """Checks everything before the first byte is sent (errors are still a 4xx), then streams."""
    tenant = tenant_or_404(store, tenant_id)
    if export_format not in FORMATS:
        raise InvalidParameter(f"format must be one of {', '.join(FORMATS)}", parameter="format")
    query = searching.page_request(request, tenant.id, cursors=None)[0].query
    if export_format == "csv":
        return export_csv(store, tenant.id, query)
    return export_ndjson(store, tenant.id, query, request.include_nulls)


def count(store: Store, tenant_id: str, request: SearchRequest) -> int:
    """How many interactions a search or export matches."""
    return searching.count(store, tenant_or_404(store, tenant_id), request)


def interaction_id_or_400(interaction_id: str) -> str:
    canonical = normalize_uuid(interaction_id)
    if canonical is None:
        raise InvalidParameter(f"interactionId must be a UUID, got {interaction_id!r}", parameter="interactionId")
    return canonical


def get_interaction(store: Store, tenant_id: str, interaction_id: str, include_nulls: bool) -> bytes:
    """One stored record's JSON text."""
    canonical = interaction_id_or_400(interaction_id)
    doc = store.get_record(tenant_or_404(store, tenant_id).id, canonical, include_nulls)
    if doc is None:
        raise NotFound(f"there is no interaction {canonical} in this tenant")
    return doc


def ingest(store: Store, tenant_id: str, body: bytes) -> UpsertCounts:
    """Validate every record of a request body, then upsert them all in one transaction, or none."""
    tenant = tenant_or_404(store, tenant_id)
    records, rejected = prepare_records(split_body(body), tenant.id)
    if rejected:
        first = rejected[0]
        raise RejectedBatch(
            f"{len(rejected)} of {len(records) + len(rejected)} records are invalid, so none was stored; "
            f"the first, at position {first.position}: {first.message}",
            [rejection.as_json() for rejection in rejected[:MAX_ERRORS_REPORTED]],
        )
    return store.upsert_records(tenant.id, records, clock.now_us()) if records else UpsertCounts()


def ingest_events(store: Store, tenant_id: str, body: bytes, max_events: int = 0) -> EventCounts:
    """Every event of a request body, or none: then the records of the interactions they touch, rebuilt
    (`max_events` > 0: at most that many events an interaction)."""
    from cxreport.service.events import read_events, store_events  # the derivation core: not for searches

    tenant = tenant_or_404(store, tenant_id)
    return store_events(store, tenant.id, read_events(body, tenant.id), max_events)


MAX_EVENTS_LIMIT = 1000


@dataclass(frozen=True, slots=True)
class EventsPage:
    tenant: Tenant
    interaction_id: str
    docs: list[bytes]
    limit: int | None
    """None: every event, in one answer (the shape clients had before paging)."""
    next_cursor: str | None = None


def reporting_events_page(
    store: Store, tenant_id: str, interaction_id: str, limit: int | None, cursor: str | None, cursors: CursorCodec
) -> EventsPage:
    """A page of the interaction's stored events in time order: `limit` of them after `cursor` (signed for this
    tenant and interaction: it holds how many came before); without `limit`, all of them."""
    if limit is not None and not 1 <= limit <= MAX_EVENTS_LIMIT:
        raise InvalidParameter(f"limit must be between 1 and {MAX_EVENTS_LIMIT}, got {limit}", parameter="limit")
    if cursor is not None and limit is None:
        raise InvalidParameter("cursor needs limit", parameter="cursor")
    tenant, canonical, docs = reporting_events(store, tenant_id, interaction_id)
    if limit is None:
        return EventsPage(tenant, canonical, docs, None)
    digest = fingerprint(tenant.id, "reporting-events", canonical)
    start = cursors.decode(cursor, tenant.id, digest)[0] if cursor is not None else 0
    page = docs[start : start + limit]
    more = start + limit < len(docs)
    next_cursor = cursors.encode(tenant.id, digest, (start + limit, canonical)) if more else None
    return EventsPage(tenant, canonical, page, limit, next_cursor)


def reporting_events(store: Store, tenant_id: str, interaction_id: str) -> tuple[Tenant, str, list[bytes]]:
    """The interaction's stored events in time order (each its stored JSON text), with its tenant and id."""
    canonical = interaction_id_or_400(interaction_id)
    tenant = tenant_or_404(store, tenant_id)
    docs = store.events_of(tenant.id, canonical)
    if not docs:
        raise NotFound(f"interaction {interaction_id} has no events in this tenant")
    return tenant, canonical, docs
