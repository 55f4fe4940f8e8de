"""Use cases behind the HTTP routes and the CLI: no HTTP, no SQL."""

from __future__ import annotations

import msgspec

from cxreport import clock
from cxreport.errors import InvalidParameter, NotFound, RejectedBatch
from cxreport.ingest import MAX_ERRORS_REPORTED, normalize_uuid, prepare_records, split_body
from cxreport.search import SearchParameters, interaction_body, search_body
from cxreport.store.base import Store, Tenant, UpsertCounts


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


def search(store: Store, tenant_id: str, params: SearchParameters) -> bytes:
    return search_body(store, tenant_or_404(store, tenant_id), params)


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
