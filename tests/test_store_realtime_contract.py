"""The storage contract for realtime statistics: SQLite and PostgreSQL alike. The change counter grows with every
transaction that changes a tenant's data (and only its own); what an interaction has in progress is replaced by
each events transaction and dropped when nothing is; an agent's latest state event wins by time, then login <
change < logout, then eventId, whatever the order they arrive in; today's sums come from the queue-entry facts
per quarter hour, each with a counter that moves with its entries."""

from __future__ import annotations

import uuid
from collections.abc import Sequence

import msgspec

from cxreport.service.events import read_events, store_events
from cxreport.store import Store
from cxreport.store.base import Sla, StoredAgentEvent, Tenant
from support.calls import SECOND, Call, agent_event
from support.stores import record

T0 = 1_780_000_000 * SECOND
QUARTER = 900 * SECOND


def new_tenant(store: Store) -> str:
    tenant_id = str(uuid.uuid4())
    store.create_tenant(Tenant(tenant_id, "t", "UTC"))
    return tenant_id


def post(store: Store, tenant_id: str, events: list[dict[str, object]]) -> None:
    store_events(store, tenant_id, read_events(msgspec.json.encode(events), tenant_id))


def test_the_change_counter_grows_with_each_change_of_the_tenant_only(contract_store: Store) -> None:
    mine, other = new_tenant(contract_store), new_tenant(contract_store)
    assert contract_store.realtime_version(mine) == 0
    call = Call()
    post(contract_store, mine, call.start(T0))
    first = contract_store.realtime_version(mine)
    assert first >= 1
    post(contract_store, mine, call.events[:2])  # the same events again: duplicates
    assert contract_store.realtime_version(mine) == first
    post(contract_store, mine, [agent_event("ag-1", "agent-logged-in", T0, "ready")])
    after_agent = contract_store.realtime_version(mine)
    assert after_agent > first
    contract_store.upsert_records(mine, [record(mine, "2026-05-01T10:00:00Z")], 1)
    assert contract_store.realtime_version(mine) > after_agent
    for _ in range(40):  # concurrent-safe shards: the sum still counts every change
        post(contract_store, mine, Call().start(T0))
    assert contract_store.realtime_version(mine) >= after_agent + 41
    assert contract_store.realtime_version(other) == 0


def test_what_is_in_progress_is_replaced_and_dropped(contract_store: Store) -> None:
    tenant_id = new_tenant(contract_store)
    waiting, talking = Call("q-a"), Call("q-b")
    post(contract_store, tenant_id, [*waiting.start(T0), *talking.start(T0)])
    live = contract_store.live_interactions(tenant_id, 0)
    assert live.stale == 0
    assert {(i.interaction_id, i.activities) for i in live.fresh} == {
        (waiting.interaction_id, (("waiting", "q-a", None, T0 + SECOND),)),
        (talking.interaction_id, (("waiting", "q-b", None, T0 + SECOND),)),
    }
    post(contract_store, tenant_id, talking.answer(T0 + 9 * SECOND, ("ag-7", "Seven")))
    found = {i.interaction_id: i for i in contract_store.live_interactions(tenant_id, 0).fresh}
    assert found[talking.interaction_id].activities == (("conversation", "q-b", "ag-7", T0 + 9 * SECOND),)
    assert found[talking.interaction_id].last_us == T0 + 9 * SECOND
    post(contract_store, tenant_id, [*talking.hang_up(T0 + 20 * SECOND), *talking.wrap_up_done(T0 + 30 * SECOND)])
    post(contract_store, tenant_id, waiting.abandon(T0 + 40 * SECOND))
    assert contract_store.live_interactions(tenant_id, 0).fresh == []
    post(contract_store, tenant_id, Call("q-c").start(T0))
    split = contract_store.live_interactions(tenant_id, T0 + SECOND + 1)
    assert (split.fresh, split.stale) == ([], 1)
    assert contract_store.live_interactions(new_tenant(contract_store), 0).fresh == []


def presence(agent: str, event_id: str, time_us: int, kind: str, state: str | None = None) -> StoredAgentEvent:
    return StoredAgentEvent(agent, event_id, time_us, kind, state, None, None, b'{"x":1}')


def nothing(stored: dict[str, list[bytes]], slas: Sequence[Sla]) -> list:  # type: ignore[type-arg]
    raise AssertionError(stored)


def test_each_agents_latest_state_event_wins_whatever_the_arrival_order(contract_store: Store) -> None:
    tenant_id = new_tenant(contract_store)
    later = [presence("ada", "3", T0 + 5, "agent-state-changed", "not-ready"),
             presence("bob", "2", T0, "agent-logged-out")]
    contract_store.ingest_events(tenant_id, [], nothing, 1, later)
    earlier = [presence("ada", "1", T0, "agent-logged-in", "ready"),
               presence("bob", "1", T0, "agent-state-changed", "ready"),  # same instant: a logout comes after
               presence("cy", "1", T0, "agent-logged-in", "ready")]
    contract_store.ingest_events(tenant_id, [], nothing, 1, earlier)
    found = {p.agent_id: (p.time_us, p.type, p.state) for p in contract_store.agent_presences(tenant_id)}
    assert found == {"ada": (T0 + 5, "agent-state-changed", "not-ready"), "bob": (T0, "agent-logged-out", None),
                     "cy": (T0, "agent-logged-in", "ready")}
    assert [p.agent_id for p in contract_store.agent_presences(tenant_id)] == ["ada", "bob", "cy"]
    assert contract_store.agent_presences(new_tenant(contract_store)) == []


def test_todays_sums_per_quarter_hour_queue_and_agent(contract_store: Store) -> None:
    tenant_id = new_tenant(contract_store)
    answered, abandoned, later, yesterday = Call("q-a"), Call("q-a"), Call("q-b"), Call("q-a")
    post(contract_store, tenant_id, [*answered.start(T0), *answered.answer(T0 + 11 * SECOND, ("ag-1", "One")),
                                     *answered.hang_up(T0 + 71 * SECOND), *answered.wrap_up_done(T0 + 81 * SECOND),
                                     *abandoned.start(T0), *abandoned.abandon(T0 + 6 * SECOND),
                                     *later.start(T0 + 1000 * SECOND), *yesterday.start(T0 - 86_400 * SECOND)])
    day = T0 - T0 % QUARTER
    found = contract_store.realtime_slots(tenant_id, day, day + 4 * QUARTER)
    rows = {(row.slot_us, row.queue_id, row.agent_id): row for row in found}
    entered = T0 + SECOND  # Call.start enters the queue a second after it starts
    first, second = entered - entered % QUARTER, (entered + 999 * SECOND) - (entered + 999 * SECOND) % QUARTER
    assert set(rows) == {(first, "q-a", None), (first, "q-a", "ag-1"), (second, "q-b", None)}
    assert rows[first, "q-a", None].figures[:3] == (1, 0, 1)  # offered, answered, abandoned
    assert rows[first, "q-a", "ag-1"].figures[:3] == (1, 1, 0)
    assert rows[second, "q-b", None].figures[:3] == (1, 0, 0)
    low_answer, high_answer, low_handle, high_handle = rows[first, "q-a", "ag-1"].extremes
    assert low_answer == high_answer == 10_000
    assert low_handle == high_handle is not None and low_handle > 0
    assert rows[first, "q-a", None].extremes == (None, None, None, None)


def test_a_quarter_hours_counter_moves_with_each_write_of_its_entries(contract_store: Store) -> None:
    tenant_id = new_tenant(contract_store)
    early, late = Call("q-a"), Call("q-a")
    day = T0 - T0 % QUARTER
    assert contract_store.realtime_slot_counters(tenant_id, day, day + 96 * QUARTER) == {}
    post(contract_store, tenant_id, [*early.start(T0), *late.start(T0 + 3600 * SECOND)])
    first, fifth = (T0 + SECOND) - (T0 + SECOND) % QUARTER, (T0 + 3601 * SECOND) - (T0 + 3601 * SECOND) % QUARTER
    counters = contract_store.realtime_slot_counters(tenant_id, day, day + 96 * QUARTER)
    assert set(counters) == {first, fifth} and all(value >= 1 for value in counters.values())
    post(contract_store, tenant_id, early.abandon(T0 + 30 * SECOND))  # replaces the early entry's fact
    after = contract_store.realtime_slot_counters(tenant_id, day, day + 96 * QUARTER)
    assert after[first] > counters[first] and after[fifth] == counters[fifth]
    post(contract_store, tenant_id, [agent_event("ag-1", "agent-logged-in", T0, "ready")])  # no entry: no move
    assert contract_store.realtime_slot_counters(tenant_id, day, day + 96 * QUARTER) == after
    assert contract_store.realtime_slot_counters(tenant_id, day, first) == {}
    assert contract_store.realtime_slot_counters(new_tenant(contract_store), day, day + 96 * QUARTER) == {}
