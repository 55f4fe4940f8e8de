"""Amazon Connect contact records end to end: translated, then stored through the one events path
(`service.events.incoming` and `store_events`, as `cxreport import-events` does) into a real SQLite store and
PostgreSQL (marker `postgres`); the stored records carry the figures the records' fields state."""

from __future__ import annotations

import io
import uuid
from typing import Any

import msgspec
import pytest

from cxreport.importers.base import source_id
from cxreport.importers.connect import translate
from cxreport.records.filters import parse_filters
from cxreport.service.events import Incoming, incoming, store_events
from cxreport.service.search import SearchRequest, search
from cxreport.store import Store
from cxreport.store.base import Tenant
from support.connect import OPTIONS, SAMPLES, agent, ctr, ndjson, queue

SAMPLE_CONTACT = "6fe40d2a-1a89-4d73-bfcf-5d9c33894f47"


def new_tenant(store: Store) -> str:
    tenant_id = str(uuid.uuid4())
    store.create_tenant(Tenant(tenant_id, "t", "UTC"))
    return tenant_id


def import_bytes(store: Store, tenant_id: str, data: bytes) -> int:
    """Translate and store like the CLI: every item's events in one batch; returns how many were new."""
    batch: list[Incoming] = []
    for item in translate(io.BytesIO(data), OPTIONS):
        assert item.error is None, item.error
        batch.extend(incoming(event, len(batch), tenant_id) for event in item.events)
    return store_events(store, tenant_id, batch).accepted if batch else 0


def record(store: Store, tenant_id: str, contact_id: str) -> dict[str, Any]:
    doc = store.get_record(tenant_id, source_id(OPTIONS, "interaction", contact_id), False)
    assert doc is not None
    found: dict[str, Any] = msgspec.json.decode(doc)
    return found


def test_the_samples_give_the_figures_their_fields_state(contract_store: Store) -> None:
    tenant_id = new_tenant(contract_store)
    import_bytes(contract_store, tenant_id, (SAMPLES / "ctr-versions-array.json").read_bytes())
    stored = record(contract_store, tenant_id, SAMPLE_CONTACT)
    assert (stored["channelType"], stored["direction"]) == ("voice", "inbound")  # Channel, InitiationMethod
    assert (stored["customer"], stored["contactPoint"]) == ("+190011112222", "+18003335555")  # the endpoints
    [entry] = stored["queues"]
    assert (entry["queueName"], entry["queueTime"]) == ("TCC Refrig AC LLA", 346.0)  # Queue.Duration
    assert entry["queueExitReason"] == "answered"
    [allocation] = stored["agents"]
    assert allocation["agentName"] == "Steve.Lusk"
    assert allocation["agentConversationTime"] - allocation["agentHoldTime"] == 239.0  # AgentInteractionDuration
    assert allocation["agentHoldTime"] == 221.0  # CustomerHoldDuration
    assert allocation["agentWrapUpTime"] == 5.0  # AfterContactWorkDuration
    assert stored["customerHolds"] == 2  # NumberOfHolds
    assert stored["interactionEndType"] == "transfer-external"
    assert stored["customAttributes"]["connect.disconnectReason"] == "CUSTOMER_DISCONNECT"
    assert stored["customAttributes"]["GreetingPlayed"] == "false"  # the newest version's attribute
    assert stored["flagged"] is True


def test_importing_twice_or_as_ndjson_changes_nothing(contract_store: Store) -> None:
    tenant_id = new_tenant(contract_store)
    assert import_bytes(contract_store, tenant_id, (SAMPLES / "ctr-versions-array.json").read_bytes()) > 0
    first = record(contract_store, tenant_id, SAMPLE_CONTACT)
    assert import_bytes(contract_store, tenant_id, (SAMPLES / "ctr-versions-array.json").read_bytes()) == 0
    assert import_bytes(contract_store, tenant_id, (SAMPLES / "ctr-versions.ndjson").read_bytes()) == 0
    assert record(contract_store, tenant_id, SAMPLE_CONTACT) == first


def versions() -> tuple[bytes, bytes]:
    def version(updated: str, attributes: dict[str, str], wrap_end: str, wrap: int) -> bytes:
        return ndjson(
            ctr(
                "22222222-0000-4000-8000-000000000001",
                "2024-03-04T10:00:00Z",
                "2024-03-04T10:05:30Z",
                Queue=queue("Support", "2024-03-04T10:00:30Z", "2024-03-04T10:01:10Z", 40),
                Agent=agent("ada", "2024-03-04T10:01:10Z", 260, "2024-03-04T10:05:30Z", wrap_end, wrap),
                Attributes=attributes,
                LastUpdateTimestamp=updated,
            )
        )

    old = version("2024-03-04T10:06:05Z", {"tier": "silver", "stale": "1"}, "2024-03-04T10:06:00Z", 30)
    new = version("2024-03-04T11:00:00Z", {"tier": "gold"}, "2024-03-04T10:07:00Z", 90)
    return old, new


@pytest.mark.parametrize("newest_first", [False, True])
def test_the_newest_version_wins_across_imports_in_either_order(contract_store: Store, newest_first: bool) -> None:
    tenant_id = new_tenant(contract_store)
    old, new = versions()
    for data in (new, old) if newest_first else (old, new):
        assert import_bytes(contract_store, tenant_id, data) > 0  # each version's events are stored
    stored = record(contract_store, tenant_id, "22222222-0000-4000-8000-000000000001")
    assert stored["customAttributes"]["tier"] == "gold"
    assert "stale" not in stored["customAttributes"]
    assert stored["agents"][0]["agentWrapUpTime"] == 90.0
    assert stored["queues"][0]["queueTime"] == 40.0
    found = search(
        contract_store,
        Tenant(tenant_id, "t", "UTC"),
        SearchRequest(filters=parse_filters({"hookName": ["tier"], "attribute-value": ["gold"]})),
    )
    assert found.total == 1
    stale = search(
        contract_store,
        Tenant(tenant_id, "t", "UTC"),
        SearchRequest(filters=parse_filters({"hookName": ["tier"], "attribute-value": ["silver"]})),
    )
    assert stale.total == 0
