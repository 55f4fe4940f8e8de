"""The storage contract for agent-state events: SQLite and PostgreSQL alike. Stored per tenant and agent in the
events transaction, deduplicated by (agentId, eventId), making no record; read back a window at a time, paged
by (time, eventId), and for sessions with the events at the instants next to the window."""

from __future__ import annotations

import uuid
from collections.abc import Sequence

import msgspec
import pytest

from cxreport.store import Store
from cxreport.store.base import (
    EventCounts,
    PageRequest,
    Query,
    Sla,
    StoredAgentEvent,
    StoredEvent,
    Tenant,
    Window,
)


def new_tenant(store: Store) -> str:
    tenant_id = str(uuid.uuid4())
    store.create_tenant(Tenant(tenant_id, "t", "UTC"))
    return tenant_id


def agent_event(agent_id: str, event_id: str, time_us: int, kind: str = "agent-state-changed",
                state: str | None = "ready", reason: str | None = None, note: str = "") -> StoredAgentEvent:
    doc = msgspec.json.encode({"type": kind, "eventId": event_id, "agentId": agent_id, "note": note})
    return StoredAgentEvent(agent_id, event_id, time_us, kind, state, reason, "s-1", doc)


def nothing_to_rebuild(stored: dict[str, list[bytes]], slas: Sequence[Sla]) -> list:  # type: ignore[type-arg]
    raise AssertionError(f"agent-state events rebuild no record: {stored}")


def ids(events: list[StoredAgentEvent]) -> list[str]:
    return [event.event_id for event in events]


def test_agent_events_are_stored_once_per_agent_and_event_id(contract_store: Store) -> None:
    tenant_id = new_tenant(contract_store)
    batch = [agent_event("ada", "1", 10), agent_event("ada", "2", 20), agent_event("bob", "1", 15),
             agent_event("ada", "1", 10, note="again")]
    assert contract_store.ingest_events(tenant_id, [], nothing_to_rebuild, 1, batch) == EventCounts(3, 1, 0)
    later = [agent_event("ada", "2", 20, note="changed text, same id"), agent_event("ada", "3", 5)]
    assert contract_store.ingest_events(tenant_id, [], nothing_to_rebuild, 2, later) == EventCounts(1, 1, 0)
    stored = contract_store.agent_events(tenant_id, "ada", Window(), None, 100)
    assert ids(stored) == ["3", "1", "2"]
    assert [msgspec.json.decode(e.doc)["note"] for e in stored] == ["", "", ""], "the first version stays"
    assert stored[1] == agent_event("ada", "1", 10)
    assert ids(contract_store.agent_events(tenant_id, "bob", Window(), None, 100)) == ["1"]
    assert contract_store.agent_events(tenant_id, "Ada", Window(), None, 100) == [], "ids are compared exactly"
    assert contract_store.agent_events(new_tenant(contract_store), "ada", Window(), None, 100) == [], (
        "events stay in their tenant")
    assert contract_store.search(tenant_id, PageRequest(Query(), 10)).total == 0, "no record is made"


def test_agent_events_go_with_interaction_events_in_one_transaction(contract_store: Store) -> None:
    tenant_id, interaction_id = new_tenant(contract_store), str(uuid.uuid4())
    event = StoredEvent("e-1", interaction_id, 1, "custom-attributes-set", b'{"eventId":"e-1"}')

    def broken(stored: dict[str, list[bytes]], slas: Sequence[Sla]) -> list:  # type: ignore[type-arg]
        raise RuntimeError("boom")

    with pytest.raises(RuntimeError):
        contract_store.ingest_events(tenant_id, [event], broken, 1, [agent_event("ada", "1", 10)])
    assert contract_store.agent_events(tenant_id, "ada", Window(), None, 10) == [], "all or nothing"
    assert contract_store.events_of(tenant_id, interaction_id) == []


def test_a_window_paged_by_time_and_event_id(contract_store: Store) -> None:
    tenant_id = new_tenant(contract_store)
    batch = [agent_event("ada", f"{n:02d}", 10 * (n // 2)) for n in range(10)]  # two events an instant
    contract_store.ingest_events(tenant_id, [], nothing_to_rebuild, 1, batch)
    window = Window(10, 80)
    assert ids(contract_store.agent_events(tenant_id, "ada", window, None, 100)) == [f"{n:02d}" for n in range(2, 10)]
    assert ids(contract_store.agent_events(tenant_id, "ada", Window(10, 30), None, 100)) == ["02", "03", "04", "05"]
    first = contract_store.agent_events(tenant_id, "ada", window, None, 3)
    assert ids(first) == ["02", "03", "04"]
    after = (first[-1].time_us, first[-1].event_id)
    assert ids(contract_store.agent_events(tenant_id, "ada", window, after, 3)) == ["05", "06", "07"]
    assert ids(contract_store.agent_events(tenant_id, "ada", window, (30, "06"), 3)) == ["07", "08", "09"]
    assert ids(contract_store.agent_events(tenant_id, "ada", window, (40, "09"), 3)) == []


def test_state_changes_include_the_instants_next_to_the_window(contract_store: Store) -> None:
    tenant_id = new_tenant(contract_store)
    batch = [
        agent_event("ada", "login", 10, "agent-logged-in", None),
        agent_event("ada", "pause", 20, "agent-state-changed", "not-ready", "lunch"),
        agent_event("ada", "pause-2", 20, "agent-state-changed", "not-ready", "break"),
        agent_event("ada", "ready", 40, "agent-state-changed", "ready"),
        agent_event("ada", "logout", 60, "agent-logged-out", None),
    ]
    contract_store.ingest_events(tenant_id, [], nothing_to_rebuild, 1, batch)
    changes = contract_store.agent_state_changes(tenant_id, "ada", Window(30, 60))
    assert ids(changes) == ["pause", "pause-2", "ready", "logout"]
    assert changes[0] == StoredAgentEvent("ada", "pause", 20, "agent-state-changed", "not-ready", "lunch", "s-1")
    assert ids(contract_store.agent_state_changes(tenant_id, "ada", Window(0, 15))) == ["login", "pause", "pause-2"]
    assert ids(contract_store.agent_state_changes(tenant_id, "ada", Window(21, 39))) == ["pause", "pause-2", "ready"]
    assert ids(contract_store.agent_state_changes(tenant_id, "ada", Window(61, 70))) == ["logout"]
    assert ids(contract_store.agent_state_changes(tenant_id, "ada", Window())) == [e.event_id for e in batch]
    assert contract_store.agent_state_changes(tenant_id, "bob", Window(30, 60)) == []
