"""The 15-minute rollups (`store/rollups.py`): for every query they cover, the very sums the facts give — over
random records, restatements, SLA versions, ranges, slots and groupings, for records ingested directly and
derived from events — kept in step by every write, filled by their migration. SQLite and PostgreSQL alike."""

from __future__ import annotations

import random
import sqlite3
import uuid
from typing import Any

import msgspec
import psycopg
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cxreport.cli.synthetic import generate_events
from cxreport.service.events import read_events, store_events
from cxreport.store import Store, open_store
from cxreport.store.base import Filter, Sla, SlaVersion, SlotQuery, SlotRow
from cxreport.store.rollups import HOUR_ROLLUPS, ROLLUPS, ROLLUPS_MARK, SLOT_US, rollup_for, slots_of
from cxreport.store.sqlite_schema import MIGRATIONS as SQLITE_MIGRATIONS
from cxreport.times import format_instant, parse_instant
from support.migrations import undo_migrations_from
from support.stores import new_tenant, record

BASE = parse_instant("2026-03-07T00:00:00Z")
HOUR = 4 * SLOT_US
GROUPINGS = [(), ("queue",), ("channelType",), ("direction",), ("flow",), ("channelType", "direction", "flow"),
             ("flow", "channelType")]
OUTCOMES = ["answered", "abandoned", "timed-out", "exited-with-key", "refused-full", "diverted", None]


def answers(store: Store, tenant_id: str, query: SlotQuery) -> tuple[list[SlotRow], list[SlotRow]]:
    """`query` from the rollups and from the facts, each sorted by slot and group."""
    def key(row: SlotRow) -> tuple[Any, ...]:
        return row.slot, tuple((value is not None, value or "") for value in row.group)

    assert rollup_for(query) is not None, query
    from_rollups = sorted(store.queue_entry_slots(tenant_id, query), key=key)
    from_facts = sorted(store.queue_entry_slots(tenant_id, SlotQuery(
        query.start_us, query.end_us, query.slot_us, query.group_by, use_rollups=False)), key=key)
    return from_rollups, from_facts


def entry(queue: str, at_us: int, outcome: str | None, wait_ms: int, sla: tuple[str, int] | None) -> dict[str, Any]:
    made: dict[str, Any] = {"interactionQueueId": str(uuid.uuid4()), "queueId": queue, "queueName": f"Q {queue}",
                            "interactionSegmentId": "s0", "startTimestamp": format_instant(at_us),
                            "queueTime": wait_ms / 1000}
    if outcome is not None:
        made["queueExitReason"] = outcome
    if outcome == "answered":
        made |= {"agentId": "a1", "slaTime": wait_ms / 1000, "slaMet": wait_ms < 20_000, "timeToAnswer": 1.5}
    if outcome == "abandoned":
        made |= {"slaTime": wait_ms / 1000, "slaAbandoned": True}
    if sla is not None and outcome in ("answered", "abandoned"):
        made |= {"slaId": sla[0], "slaVersion": sla[1]}
    return made


drawn_entries = st.lists(st.tuples(
    st.sampled_from(["q1", "q2", None]), st.integers(-2 * 3600, 30 * 3600), st.sampled_from(OUTCOMES),
    st.integers(0, 90_000), st.integers(0, 2)), max_size=4)
drawn_records = st.lists(st.tuples(
    st.sampled_from(["voice", "email", None]), st.sampled_from(["inbound", "outbound"]),
    st.sampled_from([None, "f1", "f2"]), st.booleans(), drawn_entries), min_size=1, max_size=10)


def build(tenant_id: str, drawn: list[Any], slas: list[tuple[str, int] | None],
          ids: list[str] | None = None, revision: int = 1) -> list[Any]:
    built = []
    for index, (channel, direction, flow, flagged, entries) in enumerate(drawn):
        fields: dict[str, Any] = {"direction": direction, "flagged": flagged}
        if channel is not None:
            fields["channelType"] = channel
        if flow is not None:
            fields |= {"flowId": flow, "flowName": f"Flow {flow}"}
        queues = [entry(queue or "", BASE + offset * 1_000_000, outcome, wait, slas[which])
                  for queue, offset, outcome, wait, which in entries]
        for made, (queue, *_rest) in zip(queues, entries, strict=True):
            if queue is None:
                del made["queueId"], made["queueName"]
        agents = [{"agentId": "a1", "agentName": "Agent One", "interactionSegmentId": "s0", "queueId": q.get("queueId"),
                   "agentHandleTime": 30.0, "agentTalkTime": 20.0, "agentHoldTime": 2.0, "agentWrapUpTime": 8.0}
                  for q in queues if q.get("queueExitReason") == "answered"]
        interaction = ids[index] if ids else None
        built.append(record(tenant_id, format_instant(BASE), interaction, revision=revision, queues=queues,
                            agents=agents, **fields))
    return built


def with_slas(store: Store, tenant_id: str) -> list[tuple[str, int] | None]:
    """Two stored SLA versions of different abandon thresholds and rules, and none (the built-in one)."""
    sla_id = str(uuid.uuid4())
    store.create_sla(tenant_id, Sla(sla_id, "Gold", "q1", BASE, (
        SlaVersion(1, 20.0, "ignore-abandons", 5.0, BASE), SlaVersion(2, 30.0, "count-against-sla", 45.0, BASE + 1))))
    return [(sla_id, 1), (sla_id, 2), None]


queries = st.tuples(st.integers(-16, 112), st.integers(1, 40), st.sampled_from([1, 2, 4, 96]),
                    st.sampled_from(GROUPINGS))
"""(first quarter hour, hours, quarter hours a slot, groups): from a whole hour, the hourly rollups answer slots of
whole hours; from any other quarter hour, the quarter-hour ones."""


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow,
                                                                 HealthCheck.function_scoped_fixture])
@given(drawn_records, drawn_records, st.lists(queries, min_size=3, max_size=6), st.randoms())
def test_rollups_answer_what_the_facts_answer(contract_store: Store, first: list[Any], second: list[Any],
                                              asked: list[Any], rng: random.Random) -> None:
    tenant = new_tenant(contract_store)
    slas = with_slas(contract_store, tenant)
    written = build(tenant, first, slas)
    contract_store.upsert_records(tenant, written, 1)
    ids = [rng.choice([made.interaction_id, str(uuid.uuid4())]) for made in written[: len(second)]]
    # restated (a later revision moving, adding or dropping entries) or new records, in a second transaction
    contract_store.upsert_records(tenant, build(tenant, second[: len(ids)], slas, ids, revision=2), 2)
    for first_quarter, hours, slots_in_bucket, group_by in asked:
        start = BASE + first_quarter * SLOT_US
        query = SlotQuery(start, start + hours * HOUR, slots_in_bucket * SLOT_US, group_by)
        from_rollups, from_facts = answers(contract_store, tenant, query)
        assert from_rollups == from_facts, query


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow,
                                                                 HealthCheck.function_scoped_fixture])
@given(drawn_records, st.lists(queries, min_size=2, max_size=4), st.randoms())
def test_new_records_written_one_transaction_each_add_up_to_what_the_facts_answer(
        contract_store: Store, drawn: list[Any], asked: list[Any], rng: random.Random) -> None:
    """New records are added to the rollups (`rollups.add`), not rebuilt: each transaction merges its facts'
    rows into the stored ones of the same quarter hour and group (NULL groups too), or inserts them. Every
    drawn record is written twice (as two interactions), so that quarter hours and groups repeat."""
    tenant = new_tenant(contract_store)
    slas = with_slas(contract_store, tenant)
    written = build(tenant, drawn + drawn, slas)
    rng.shuffle(written)
    for number, made in enumerate(written):
        contract_store.upsert_records(tenant, [made], number)
    for first_hour, hours, slots_in_bucket, group_by in asked:
        start = BASE + first_hour * HOUR
        query = SlotQuery(start, start + hours * HOUR, slots_in_bucket * SLOT_US, group_by)
        from_rollups, from_facts = answers(contract_store, tenant, query)
        assert from_rollups == from_facts, query


def test_only_whole_quarter_hours_unfiltered_and_covered_groupings_read_the_rollups() -> None:
    hour = SlotQuery(BASE, BASE + HOUR, HOUR, ("queue",))
    assert rollup_for(hour) is HOUR_ROLLUPS[1]
    assert rollup_for(SlotQuery(BASE, BASE + HOUR, HOUR)) is HOUR_ROLLUPS[0]
    assert rollup_for(SlotQuery(BASE, BASE + 2 * HOUR, 2 * HOUR, ("direction", "flow"))) is HOUR_ROLLUPS[0]
    # quarter hours, or hours from a half hour (a zone of a :30 offset): the quarter-hour rollups
    assert rollup_for(SlotQuery(BASE, BASE + HOUR, SLOT_US, ("queue",))) is ROLLUPS[1]
    assert rollup_for(SlotQuery(BASE + 2 * SLOT_US, BASE + 3 * HOUR + 2 * SLOT_US, HOUR, ("queue",))) is ROLLUPS[1]
    assert rollup_for(SlotQuery(BASE, BASE + HOUR + SLOT_US, HOUR + SLOT_US)) is ROLLUPS[0]
    for refused in (
        SlotQuery(BASE + 60_000_000, BASE + HOUR + 60_000_000, HOUR),  # a minute off the quarter hours
        SlotQuery(BASE, BASE + HOUR, 5 * 60_000_000),  # 5-minute slots
        SlotQuery(BASE, BASE + HOUR, HOUR, ("agent",)),
        SlotQuery(BASE, BASE + HOUR, HOUR, ("queue", "channelType")),
        SlotQuery(BASE, BASE + HOUR, HOUR, (), (Filter("channelType", ("voice",)),)),
        SlotQuery(BASE, BASE + HOUR, HOUR, (), (), 20_000),
        SlotQuery(BASE, BASE + HOUR, HOUR, use_rollups=False),
    ):
        assert rollup_for(refused) is None, refused


def test_touched_quarter_hours_are_rebuilt_in_ranges() -> None:
    assert slots_of([]) == []
    assert slots_of([BASE + 1, BASE + SLOT_US - 1]) == [(BASE, BASE + SLOT_US)]
    assert slots_of([BASE, BASE + 5 * SLOT_US, BASE + 20 * SLOT_US]) == [
        (BASE, BASE + 6 * SLOT_US), (BASE + 20 * SLOT_US, BASE + 21 * SLOT_US)]
    assert slots_of([-1]) == [(-SLOT_US, 0)]  # before 1970: rounded down too


def test_entries_before_1970_and_across_midnight_fall_in_their_quarter_hours(contract_store: Store) -> None:
    tenant = new_tenant(contract_store)
    instants = [-SLOT_US - 1000, -SLOT_US, -1000, 0, 1000, SLOT_US - 1000, SLOT_US]  # records keep milliseconds
    contract_store.upsert_records(tenant, [record(tenant, format_instant(-10 * SLOT_US), queues=[
        entry("q1", at, "answered", 1000, None) for at in instants])], 1)
    query = SlotQuery(-4 * SLOT_US, 4 * SLOT_US, SLOT_US, ("queue",))
    from_rollups, from_facts = answers(contract_store, tenant, query)
    assert from_rollups == from_facts
    assert [(row.slot, row.figures[0]) for row in from_rollups] == [(2, 1), (3, 2), (4, 3), (5, 1)]


def test_derived_records_and_a_late_event_keep_the_rollups_in_step(contract_store: Store) -> None:
    tenant = new_tenant(contract_store)
    start, end = "2026-03-07T00:00:00Z", "2026-03-09T00:00:00Z"
    streams = list(generate_events(120, seed=3, tenant_id=tenant, start=start, end=end, queues=4, agents=6))
    held_back = [events[-1] for events in streams[:40]]  # the last event of 40 interactions comes late
    first = [event for events in streams[:40] for event in events[:-1]]
    first += [event for events in streams[40:] for event in events]
    for batch in (first, held_back):
        lines = b"\n".join(msgspec.json.encode(event) for event in batch)
        store_events(contract_store, tenant, read_events(lines, tenant))
        for group_by in [(), ("queue",), ("channelType",), ("direction", "flow")]:
            for slot in (SLOT_US, HOUR, 96 * HOUR // 4):
                query = SlotQuery(parse_instant(start), parse_instant(end), slot, group_by)
                from_rollups, from_facts = answers(contract_store, tenant, query)
                assert from_rollups == from_facts and from_rollups, (group_by, slot)
    total = answers(contract_store, tenant, SlotQuery(parse_instant(start), parse_instant(end), 48 * HOUR))[0]
    assert sum(row.figures[0] for row in total) >= 120


def execute(database_url: str, sql: str) -> None:
    if database_url.startswith("sqlite"):
        with sqlite3.connect(database_url.removeprefix("sqlite:///")) as connection:
            connection.execute(sql)
        return
    with psycopg.connect(database_url, autocommit=True) as connection:
        connection.execute(sql)


@pytest.mark.parametrize("group_by", [("queue",), ("channelType", "direction")])
def test_the_migration_fills_the_rollups_of_facts_stored_before(fresh_database_url: str,
                                                                group_by: tuple[str, ...]) -> None:
    store = open_store(fresh_database_url)
    version = store.migrate()
    tenant, other = new_tenant(store), new_tenant(store)
    slas = with_slas(store, tenant)
    rng = random.Random(5)
    drawn = [(rng.choice(["voice", "email"]), "inbound", "f1", False,
              [(rng.choice(["q1", "q2"]), rng.randrange(0, 20 * 3600), rng.choice(OUTCOMES), rng.randrange(60_000),
                rng.randrange(3)) for _ in range(3)]) for _ in range(40)]
    store.upsert_records(tenant, build(tenant, drawn, slas), 1)
    store.upsert_records(other, build(other, drawn[:5], [None, None, None]), 1)
    query = SlotQuery(BASE, BASE + 24 * HOUR, HOUR, group_by)
    expected = answers(store, tenant, query)[1]
    assert sum(row.figures[0] for row in expected) == 120
    store.close()
    rollups_version = 1 + next(i for i, text in enumerate(SQLITE_MIGRATIONS) if ROLLUPS_MARK in text)
    assert version >= rollups_version
    # the rollups' migration and every later one run again: their tables go first
    undo_migrations_from(execute, fresh_database_url, rollups_version)
    execute(fresh_database_url, f"DELETE FROM schema_migrations WHERE version >= {rollups_version}")
    store = open_store(fresh_database_url)
    store.migrate()
    assert answers(store, tenant, query) == (expected, expected)
    assert sum(row.figures[0] for row in answers(store, other, query)[0]) == 15
    store.close()


@pytest.mark.parametrize("group_by", [("queue",), ("agent",), ("agent", "queue"), ("channelType",)])
def test_cells_are_the_slots_and_groups_the_sums_have(contract_store: Store, group_by: tuple[str, ...]) -> None:
    tenant = new_tenant(contract_store)
    rng = random.Random(11)
    drawn = [(rng.choice(["voice", "email"]), "inbound", None, False,
              [(rng.choice(["q1", "q2", None]), rng.randrange(0, 6 * 3600), rng.choice(OUTCOMES), 5000, 2)
               for _ in range(2)]) for _ in range(30)]
    contract_store.upsert_records(tenant, build(tenant, drawn, [None, None, None]), 1)
    for use_rollups in (True, False):
        query = SlotQuery(BASE, BASE + 8 * HOUR, SLOT_US, group_by, use_rollups=use_rollups)
        sums = contract_store.queue_entry_slots(tenant, query)
        cells = contract_store.queue_entry_cells(tenant, query)
        assert len(sums) > 5
        assert sorted((row.slot, repr(row.group), row.names) for row in cells) == sorted(
            (row.slot, repr(row.group), row.names) for row in sums)
        assert all(row.figures == () and row.rules == (None, None) for row in cells)
