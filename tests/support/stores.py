"""Tenants, records and pages straight through the `Store` interface (no HTTP, no service layer)."""

from __future__ import annotations

import json
import uuid

import msgspec

from cxreport.records.validate import prepare_record
from cxreport.service import interactions as service
from cxreport.service.search import SearchRequest
from cxreport.store import Store
from cxreport.store.base import MAX_INSTANT, MIN_INSTANT, PageRequest, Query, StoredRecord, Tenant, Window
from cxreport.times import parse_instant


def new_tenant(store: Store, timezone: str = "UTC") -> str:
    tenant_id = str(uuid.uuid4())
    store.create_tenant(Tenant(tenant_id, f"tenant {tenant_id[:8]}", timezone))
    return tenant_id


def record(tenant_id: str, start: str, interaction_id: str | None = None, **fields: object) -> StoredRecord:
    body = {"interactionId": interaction_id or str(uuid.uuid4()), "startTimestamp": start, **fields}
    return prepare_record(msgspec.json.encode(body), tenant_id, 0)


def page(store: Store, tenant_id: str, start: str | None = None, end: str | None = None, limit: int = 100,
         offset: int = 0, include_nulls: bool = False) -> tuple[int, list[bytes]]:
    window = Window(parse_instant(start) if start else MIN_INSTANT, parse_instant(end) if end else MAX_INSTANT)
    found = store.search(tenant_id, PageRequest(Query(window), limit, offset, include_nulls))
    return found.total, found.docs


def stored_records(store: Store, tenant_id: str, include_nulls: bool = True) -> dict[str, bytes]:
    """Every record of the tenant as the store serves it, by interaction id (through the export path)."""
    params = SearchRequest(descending=False, include_nulls=include_nulls)
    found: dict[str, bytes] = {}
    for chunk in service.export(store, tenant_id, params, "ndjson"):
        for line in chunk.data.splitlines():
            if line:
                interaction_id = json.loads(line)["interactionId"]
                assert interaction_id not in found, f"{interaction_id} exported twice"
                found[interaction_id] = line
    return found
