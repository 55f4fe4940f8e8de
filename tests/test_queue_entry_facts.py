"""Queue-entry facts (`records/facts.py`, `queue_entry_facts`): read from a record's own fields, written and
replaced with the record in its transaction (ingested directly or derived from events, restated by a late
event), filled for records stored before the table existed. SQLite and PostgreSQL alike."""

from __future__ import annotations

import sqlite3
import uuid
from typing import Any

import msgspec
import psycopg

from cxreport.records.facts import facts_of_doc
from cxreport.service.events import read_events, store_events
from cxreport.store import Store, open_store
from cxreport.store.base import Filter, SlotQuery
from cxreport.store.facts import FACTS_VERSION
from cxreport.store.statistics import FIGURE_NAMES
from cxreport.times import parse_instant
from support.data import SAMPLE_RESULTS, event_stream
from support.migrations import undo_migrations_from
from support.stores import new_tenant, record

FAR_PAST, FAR_FUTURE = parse_instant("2000-01-01"), parse_instant("2100-01-01")


def totals(store: Store, tenant_id: str, *filters: Filter, group_by: tuple[str, ...] = ()) -> dict[Any, Any]:
    """Every figure over all time, per group (the whole tenant under the key ())."""
    query = SlotQuery(FAR_PAST, FAR_FUTURE, FAR_FUTURE - FAR_PAST, group_by, filters)
    found: dict[Any, Any] = {}
    for row in store.queue_entry_slots(tenant_id, query):
        assert row.slot == 0
        found[row.group] = dict(zip(FIGURE_NAMES, row.figures, strict=True))
    return found


def entry(queue: str, start: str, **fields: object) -> dict[str, object]:
    return {"interactionQueueId": str(uuid.uuid4()), "queueId": queue, "queueName": f"Queue {queue}",
            "startTimestamp": start, **fields}


def test_facts_read_a_records_queue_entries_and_the_agent_that_answered() -> None:
    answered = next(r for r in SAMPLE_RESULTS if r["interactionId"].startswith("9776ff80"))
    facts = facts_of_doc(answered["interactionId"], 0, msgspec.json.encode(answered))
    assert [fact.outcome for fact in facts] == ["answered", "answered"]
    first = facts[0]
    agent = next(a for a in answered["agents"] if a["interactionSegmentId"] == answered["queues"][0][
        "interactionSegmentId"] and a["agentId"] == answered["queues"][0]["agentId"])
    assert first.agent_id == agent["agentId"] and first.agent_name == agent["agentName"]
    assert first.handle_ms == round(agent["agentHandleTime"] * 1000)
    assert first.queue_ms == round(answered["queues"][0]["queueTime"] * 1000)
    assert first.entry_us == parse_instant(answered["queues"][0]["startTimestamp"])
    assert first.channel_type == "sms" and first.flagged is True
    assert first.transfers == 1  # the first agent transferred to the second
    abandoned = next(r for r in SAMPLE_RESULTS if r["interactionId"].startswith("a17b02c0"))
    (fact,) = facts_of_doc(abandoned["interactionId"], 0, msgspec.json.encode(abandoned))
    assert (fact.outcome, fact.queue_ms, fact.sla_ms, fact.sla_abandoned, fact.agent_id) == (
        "abandoned", 24931, 24931, True, None)
    assert facts_of_doc("x", 0, b'{"interactionId":"x","startTimestamp":"2020-01-01"}') == ()


def test_outcome_from_the_exit_reason_else_from_the_exit_type() -> None:
    doc = msgspec.json.encode({"queues": [
        {"queueExitType": "success"}, {"queueExitType": "abandon"}, {"queueExitType": "flow"},
        {"queueExitType": "flow", "queueExitReason": "timed-out"}, {}, {"startTimestamp": "2020-01-01T00:00:00Z"},
    ]})
    facts = facts_of_doc("x", 7, doc)
    assert [fact.outcome for fact in facts] == ["answered", "abandoned", "moved-by-flow", "timed-out", None, None]
    assert [fact.entry_us for fact in facts][-2:] == [7, parse_instant("2020-01-01")]


def test_facts_are_written_with_the_record_and_replaced_with_it(contract_store: Store) -> None:
    tenant = new_tenant(contract_store)
    interaction = str(uuid.uuid4())
    first = record(tenant, "2026-01-05T10:00:00Z", interaction, revision=1, channelType="voice", queues=[
        entry("q1", "2026-01-05T10:00:05Z", queueExitType="success", queueTime=12.5, agentId="a1"),
        entry("q2", "2026-01-05T10:01:00Z", queueExitType="abandon", queueAbandoned=True, queueTime=3.0),
    ])
    other = record(tenant, "2026-01-05T11:00:00Z", channelType="email", queues=[
        entry("q1", "2026-01-05T11:00:05Z", queueExitType="success", queueTime=1.0)])
    contract_store.upsert_records(tenant, [first, other], 1)
    by_queue = totals(contract_store, tenant, group_by=("queue",))
    assert {key: (v["offered"], v["answered"], v["abandoned"]) for key, v in by_queue.items()} == {
        ("q1",): (2, 2, 0), ("q2",): (1, 0, 1)}
    assert by_queue["q1",]["waitTimeTotal"] == 13_500
    assert totals(contract_store, tenant, Filter("channelType", ("email",)))[()]["offered"] == 1
    assert totals(contract_store, tenant, Filter("abandoned", ("false",)))[()]["offered"] == 1

    restated = record(tenant, "2026-01-05T10:00:00Z", interaction, revision=2, channelType="voice", queues=[
        entry("q3", "2026-01-05T10:00:05Z", queueExitType="success", queueTime=2.0)])
    contract_store.upsert_records(tenant, [restated], 2)
    assert set(totals(contract_store, tenant, group_by=("queue",))) == {("q1",), ("q3",)}
    stale = record(tenant, "2026-01-05T10:00:00Z", interaction, revision=1, queues=[entry("q9", "2026-01-05")])
    contract_store.upsert_records(tenant, [stale], 3)  # older: left alone, and so are its facts
    assert set(totals(contract_store, tenant, group_by=("queue",))) == {("q1",), ("q3",)}
    assert totals(contract_store, new_tenant(contract_store)) == {}


def test_a_derived_record_writes_its_facts_and_a_late_event_restates_them(contract_store: Store) -> None:
    tenant = new_tenant(contract_store)
    _, lines = event_stream("9776ff80-d9d1-11e7-bf9b-9440dab83f25", tenant)
    early = [line for line in lines if b'"queue-exited"' not in line and b'"work-' not in line
             and b'"conversation-' not in line and b'"wrapup-' not in line]
    store_events(contract_store, tenant, read_events(b"\n".join(early), tenant))
    before = totals(contract_store, tenant)[()]
    assert before["offered"] >= 1 and before["answered"] == 0
    store_events(contract_store, tenant, read_events(b"\n".join(lines), tenant))
    after = totals(contract_store, tenant)[()]
    assert after["offered"] == before["offered"] and after["answered"] == after["offered"] == 2
    assert after["handled"] == 2


def execute(database_url: str, sql: str) -> list[tuple[object, ...]]:
    if database_url.startswith("sqlite"):
        with sqlite3.connect(database_url.removeprefix("sqlite:///")) as connection:
            return connection.execute(sql).fetchall()
    with psycopg.connect(database_url, autocommit=True) as connection:
        cursor = connection.execute(sql)
        return cursor.fetchall() if cursor.description else []


def test_the_migration_fills_the_facts_of_records_stored_before(fresh_database_url: str) -> None:
    store = open_store(fresh_database_url)
    store.migrate()
    tenant = new_tenant(store)
    records = [record(tenant, f"2026-01-0{day}T10:00:00Z", queues=[
        entry("q1", f"2026-01-0{day}T10:00:05Z", queueExitType="success", queueTime=day)] * day)
        for day in range(1, 6)]
    store.upsert_records(tenant, records, 1)
    expected = totals(store, tenant)
    assert expected[()]["offered"] == 15
    store.close()
    execute(fresh_database_url, "DELETE FROM queue_entry_facts")
    execute(fresh_database_url, f"DELETE FROM schema_migrations WHERE version >= {FACTS_VERSION}")
    undo_migrations_from(execute, fresh_database_url, FACTS_VERSION)  # the facts' and every later migration's
    store = open_store(fresh_database_url)
    store.migrate()
    assert totals(store, tenant) == expected
    store.close()
