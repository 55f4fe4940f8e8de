"""The storage contract for events, derived records and service levels: SQLite and PostgreSQL alike."""

from __future__ import annotations

import uuid
from collections.abc import Sequence

import msgspec
import pytest

from cxreport.errors import Conflict
from cxreport.records.validate import prepare_record
from cxreport.store import Store
from cxreport.store.base import (
    EventCounts,
    Filter,
    PageRequest,
    Query,
    Sla,
    SlaVersion,
    StoredEvent,
    StoredRecord,
    Tenant,
    UpsertCounts,
)


def new_tenant(store: Store) -> str:
    tenant_id = str(uuid.uuid4())
    store.create_tenant(Tenant(tenant_id, "t", "UTC"))
    return tenant_id


def event(interaction_id: str, event_id: str, time_us: int, text: str = "") -> StoredEvent:
    doc = msgspec.json.encode({"eventId": event_id, "interactionId": interaction_id, "note": text})
    return StoredEvent(event_id, interaction_id, time_us, "custom-attributes-set", doc)


class Recorder:
    """A rebuild that records what it was given and makes a record listing the event ids (as customer, sorted:
    the store gives them in any order) with an agent per event id."""

    def __init__(self, tenant_id: str) -> None:
        self.tenant_id = tenant_id
        self.calls: list[dict[str, list[bytes]]] = []

    def __call__(self, stored: dict[str, list[bytes]], slas: Sequence[Sla]) -> list[StoredRecord]:
        self.calls.append(stored)
        records = []
        for interaction_id, docs in stored.items():
            ids = sorted(msgspec.json.decode(doc)["eventId"] for doc in docs)
            body = {"interactionId": interaction_id, "startTimestamp": "2024-01-01T00:00:00Z",
                    "customer": ",".join(ids), "agents": [{"agentId": "agent-" + i} for i in ids],
                    "revision": len(ids)}
            records.append(prepare_record(msgspec.json.encode(body), self.tenant_id, 0))
        return records


def customer(store: Store, tenant_id: str, interaction_id: str) -> str | None:
    doc = store.get_record(tenant_id, interaction_id, False)
    return None if doc is None else msgspec.json.decode(doc).get("customer")


def test_schema_is_at_least_version_3(contract_store: Store) -> None:
    assert contract_store.migrate() >= 3


def test_events_are_stored_once_and_records_rebuilt_from_all_of_them(contract_store: Store) -> None:
    tenant_id, one, two = new_tenant(contract_store), str(uuid.uuid4()), str(uuid.uuid4())
    rebuild = Recorder(tenant_id)
    first = [event(one, "b", 20), event(one, "a", 10), event(two, "c", 5), event(one, "b", 20, "again")]
    assert contract_store.ingest_events(tenant_id, first, rebuild, 1) == EventCounts(3, 1, 2)
    assert customer(contract_store, tenant_id, one) == "a,b"
    assert customer(contract_store, tenant_id, two) == "c"
    later = [event(one, "z", 15), event(two, "c", 5, "changed text, same id")]
    assert contract_store.ingest_events(tenant_id, later, rebuild, 2) == EventCounts(1, 1, 1)
    assert set(rebuild.calls[-1]) == {one}, "only the interaction that got a new event is rebuilt"
    assert customer(contract_store, tenant_id, one) == "a,b,z"
    assert [msgspec.json.decode(d)["eventId"] for d in contract_store.events_of(tenant_id, one)] == ["a", "z", "b"]
    assert msgspec.json.decode(contract_store.events_of(tenant_id, two)[0])["note"] == "", "the first version stays"
    duplicates_only = [event(one, "a", 10)]
    calls = len(rebuild.calls)
    assert contract_store.ingest_events(tenant_id, duplicates_only, rebuild, 3) == EventCounts(0, 1, 0)
    assert len(rebuild.calls) == calls
    found = contract_store.search(tenant_id, PageRequest(Query(filters=(Filter("agentId", ("agent-b",)),)), 10))
    assert found.total == 1, "derived records get their facets"
    assert contract_store.events_of(tenant_id, str(uuid.uuid4())) == []
    assert contract_store.events_of(new_tenant(contract_store), one) == [], "events stay in their tenant"


def test_an_event_is_identified_by_its_interaction_and_event_id(contract_store: Store) -> None:
    """A resent event repeats its interactionId and eventId; an eventId that comes again in another interaction
    (a platform numbering each interaction's events 1, 2, 3…) is another event, and none is lost."""
    tenant_id, one, two = new_tenant(contract_store), str(uuid.uuid4()), str(uuid.uuid4())
    rebuild = Recorder(tenant_id)
    numbered = [event(one, "1", 10), event(one, "2", 20), event(two, "1", 30), event(two, "2", 40)]
    assert contract_store.ingest_events(tenant_id, numbered, rebuild, 1) == EventCounts(4, 0, 2)
    assert contract_store.ingest_events(tenant_id, [event(two, "2", 40), event(two, "3", 50)], rebuild, 2) == (
        EventCounts(1, 1, 1)
    )
    assert customer(contract_store, tenant_id, one) == "1,2"
    assert customer(contract_store, tenant_id, two) == "1,2,3"
    assert [msgspec.json.decode(d)["eventId"] for d in contract_store.events_of(tenant_id, two)] == ["1", "2", "3"]


def test_a_failing_rebuild_stores_nothing(contract_store: Store) -> None:
    tenant_id, one = new_tenant(contract_store), str(uuid.uuid4())

    def broken(stored: dict[str, list[bytes]], slas: Sequence[Sla]) -> list[StoredRecord]:
        raise RuntimeError("boom")

    with pytest.raises(RuntimeError):
        contract_store.ingest_events(tenant_id, [event(one, "a", 1)], broken, 1)
    assert contract_store.events_of(tenant_id, one) == []
    assert contract_store.ingest_events(tenant_id, [event(one, "a", 1)], Recorder(tenant_id), 2).accepted == 1


def test_derived_records_win_over_direct_ones(contract_store: Store) -> None:
    tenant_id, one, two = new_tenant(contract_store), str(uuid.uuid4()), str(uuid.uuid4())
    direct = {"interactionId": one, "startTimestamp": "2024-01-01T00:00:00Z", "customer": "direct", "revision": 99}
    assert contract_store.upsert_records(tenant_id, [prepare_record(msgspec.json.encode(direct), tenant_id, 0)], 1) \
        == UpsertCounts(1, 0, 0)
    contract_store.ingest_events(tenant_id, [event(one, "a", 1)], Recorder(tenant_id), 2)
    assert customer(contract_store, tenant_id, one) == "a", "a derived record replaces a direct one, revision 99 or not"
    for body in (direct, {**direct, "revision": None}, {**direct, "revision": 1000}):
        counts = contract_store.upsert_records(tenant_id, [prepare_record(msgspec.json.encode(body), tenant_id, 0)], 3)
        assert counts == UpsertCounts(0, 0, 1)
    assert customer(contract_store, tenant_id, one) == "a"
    other = {"interactionId": two, "startTimestamp": "2024-01-01T00:00:00Z", "customer": "x"}
    assert contract_store.upsert_records(tenant_id, [prepare_record(msgspec.json.encode(other), tenant_id, 0)], 4) \
        == UpsertCounts(1, 0, 0), "interactions without events take direct records as before"


def test_service_levels(contract_store: Store) -> None:
    tenant_id = new_tenant(contract_store)
    default = Sla(str(uuid.uuid4()), "default", None, 100, (SlaVersion(1, 20.0, "ignore-abandons", 20.0, 100),))
    queue = Sla(str(uuid.uuid4()), None, "queue-1", 200, (SlaVersion(1, 30.5, "count-against-sla", 10.0, 200),))
    contract_store.create_sla(tenant_id, queue)
    contract_store.create_sla(tenant_id, default)
    with pytest.raises(Conflict):
        contract_store.create_sla(tenant_id, Sla(str(uuid.uuid4()), None, "queue-1", 300, queue.versions))
    with pytest.raises(Conflict):
        contract_store.create_sla(tenant_id, Sla(str(uuid.uuid4()), None, None, 300, default.versions))
    assert contract_store.list_slas(tenant_id) == [default, queue]
    added = contract_store.add_sla_version(tenant_id, queue.id, SlaVersion(0, 5.0, "ignore-abandons", 5.0, 150))
    assert added == SlaVersion(2, 5.0, "ignore-abandons", 5.0, 200), "numbered next; never in force before the last"
    later = contract_store.add_sla_version(tenant_id, queue.id, SlaVersion(0, 6.0, "ignore-abandons", 5.0, 900))
    assert later is not None and later.version == 3 and later.from_us == 900
    stored = contract_store.get_sla(tenant_id, queue.id)
    assert stored is not None and [v.version for v in stored.versions] == [1, 2, 3]
    assert contract_store.add_sla_version(tenant_id, str(uuid.uuid4()), later) is None
    assert contract_store.get_sla(tenant_id, "not-a-uuid") is None
    assert contract_store.get_sla(new_tenant(contract_store), queue.id) is None
    assert contract_store.list_slas(new_tenant(contract_store)) == []
