"""Use cases behind the HTTP routes and the CLI: no HTTP, no SQL."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import replace

import msgspec

from cxreport import clock
from cxreport.errors import InvalidParameter, NotFound, RejectedBatch
from cxreport.ids import normalize_uuid
from cxreport.records.filters import Filter, parse_filters
from cxreport.records.validate import MAX_ERRORS_REPORTED, prepare_records, split_body
from cxreport.service.cursors import CursorCodec
from cxreport.service.events import read_events, store_events
from cxreport.service.export import FORMATS, Chunk, export_csv, export_ndjson
from cxreport.service.search import SearchParameters, interaction_body, resolve, search_body
from cxreport.store.base import Store, Tenant, UpsertCounts

CONTACT_MAX_LIMIT = 100


def one_of(name: str, value: str | None, alias: str, alias_value: str | None) -> str | None:
    """The value of a parameter that has an alias; giving both is an error."""
    if value is not None and alias_value is not None:
        raise InvalidParameter(f"give {name} or {alias}, not both", parameter=alias)
    return value if value is not None else alias_value


def tenant_or_404(store: Store, tenant_id: str) -> Tenant:
    tenant = store.get_tenant(tenant_id.lower())
    if tenant is None:
        raise NotFound(f"there is no tenant {tenant_id}")
    return tenant


def search(
    store: Store,
    tenant_id: str,
    params: SearchParameters,
    cursors: CursorCodec | None = None,
    next_url: Callable[[str], str] | None = None,
) -> bytes:
    return search_body(store, tenant_or_404(store, tenant_id), params, cursors, next_url)


def contact_history(store: Store, tenant_id: str, contact_id: str, params: SearchParameters) -> bytes:
    """A contact's latest interactions, newest first (at most 100 a page): a search filtered by contactId."""
    if not contact_id.strip():
        raise InvalidParameter("contactId must not be empty", parameter="contactId")
    if "\x00" in contact_id:
        raise InvalidParameter("contactId holds a NUL character", parameter="contactId")
    contact = Filter("contactId", (contact_id,))
    return search_body(
        store, tenant_or_404(store, tenant_id), replace(params, filters=(contact,), max_limit=CONTACT_MAX_LIMIT)
    )


def export(store: Store, tenant_id: str, params: SearchParameters, export_format: str) -> Iterator[Chunk]:
    """Checks everything before the first byte is sent (errors are still a 4xx), then streams."""
    tenant = tenant_or_404(store, tenant_id)
    if export_format not in FORMATS:
        raise InvalidParameter(f"format must be one of {', '.join(FORMATS)}", parameter="format")
    resolved = resolve(params, tenant.id, cursors=None)
    query = resolved.request.query
    if export_format == "csv":
        return export_csv(store, tenant.id, query)
    return export_ndjson(store, tenant.id, query, params.include_nulls)


def export_parameters(
    start: str | None,
    end: str | None,
    time_field: str | None,
    sort: str | None,
    include_nulls: bool,
    raw_filters: dict[str, list[str]],
) -> SearchParameters:
    return SearchParameters(
        start=start,
        start_name="start",
        end=end,
        end_name="end",
        time_field=time_field,
        sort=sort,
        include_nulls=include_nulls,
        filters=parse_filters(raw_filters),
    )


def count(store: Store, tenant_id: str, params: SearchParameters) -> int:
    """How many interactions a search or export matches."""
    tenant = tenant_or_404(store, tenant_id)
    resolved = resolve(replace(params, limit=0, page=None, offset=None, cursor=None), tenant.id, cursors=None)
    return store.search(tenant.id, resolved.request).total


def get_interaction(store: Store, tenant_id: str, interaction_id: str, include_nulls: bool) -> bytes:
    canonical = normalize_uuid(interaction_id)
    if canonical is None:
        raise InvalidParameter(f"interactionId must be a UUID, got {interaction_id!r}", parameter="interactionId")
    return interaction_body(store, tenant_or_404(store, tenant_id).id, canonical, include_nulls)


def ingest(store: Store, tenant_id: str, body: bytes) -> bytes:
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
    counts = store.upsert_records(tenant.id, records, clock.now_us()) if records else UpsertCounts()
    return msgspec.json.encode({"inserted": counts.inserted, "updated": counts.updated, "unchanged": counts.unchanged})


def ingest_events(store: Store, tenant_id: str, body: bytes) -> bytes:
    """Every event of a request body, or none: then the records of the interactions they touch, rebuilt."""
    tenant = tenant_or_404(store, tenant_id)
    counts = store_events(store, tenant.id, read_events(body, tenant.id))
    return msgspec.json.encode(
        {"accepted": counts.accepted, "duplicates": counts.duplicates, "interactions": counts.interactions}
    )


def reporting_events(store: Store, tenant_id: str, interaction_id: str) -> bytes:
    """The interaction's stored events in time order, as `{"results": [...]}` joined from their stored text."""
    canonical = normalize_uuid(interaction_id)
    if canonical is None:
        raise InvalidParameter(f"interactionId must be a UUID, got {interaction_id!r}", parameter="interactionId")
    tenant = tenant_or_404(store, tenant_id)
    docs = store.events_of(tenant.id, canonical)
    if not docs:
        raise NotFound(f"interaction {interaction_id} has no events in this tenant")
    head = msgspec.json.encode({"tenantId": tenant.id, "interactionId": canonical})[:-1]
    return head + b',"results":[' + b",".join(docs) + b"]}"
