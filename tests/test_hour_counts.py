"""The hourly counts (`store/hours.py`): a search's `total`, summed from them over a window's whole hours and
counted from the index at its ragged ends, equals the plain count of the matching records — for random windows
and filters, across tenants, after updates that move a record's start or change what it is counted by, for
records ingested directly and derived from events (late ones too) — and their migration fills them from the
records stored before. SQLite and PostgreSQL alike."""

from __future__ import annotations

import random
import sqlite3
import uuid
from typing import Any

import msgspec
import psycopg
import pytest

from cxreport.cli.synthetic import generate_events
from cxreport.records.filters import parse_filters
from cxreport.service.events import read_events, store_events
from cxreport.store import Store, open_store
from cxreport.store.base import MAX_INSTANT, MIN_INSTANT, PageRequest, Query, StoredRecord, Window
from cxreport.store.hours import HOUR_US, HOURS_MARK, hour_sum
from cxreport.store.querying import _split_filters
from cxreport.store.sqlite_schema import MIGRATIONS as SQLITE_MIGRATIONS
from cxreport.times import format_instant, parse_instant
from support.migrations import undo_migrations_from
from support.stores import new_tenant, record

BASE = parse_instant("2026-03-07T00:00:00Z")
SPAN_HOURS = 30
CHANNELS = ["voice", "email", "sms", None]
FILTERS: list[dict[str, list[str]]] = [
    {},
    {"channelType": ["voice"]},
    {"channelType": ["voice", "sms"]},
    {"direction": ["outbound"]},
    {"flagged": ["true"]},
    {"flagged": ["false"]},
    {"abandoned": ["true"]},
    {"abandoned": ["true", "false"]},
    {"queueId": ["q1"]},
    {"flowId": ["f1", "f2"]},
    {"channelType": ["voice"], "queueId": ["q2"], "abandoned": ["true"]},
    {"channelType": ["email"], "direction": ["inbound"], "flagged": ["false"], "flowId": ["f2"]},
    # not answered by the counts: the index counts them whole
    {"queueId": ["q1", "q2"]},
    {"queueId": ["q1"], "flowId": ["f1"]},
    {"agentId": ["a1"]},
    {"channelType": ["voice"], "customer": ["c3"]},
]


def drawn_record(tenant_id: str, rng: random.Random, interaction_id: str | None = None,
                 revision: int | None = None) -> StoredRecord:
    start = BASE + rng.randrange(0, SPAN_HOURS * 3600) * 1_000_000 + rng.choice([0, 1000, 999_000])
    fields: dict[str, Any] = {"direction": rng.choice(["inbound", "outbound"]), "flagged": rng.random() < 0.2,
                              "customer": f"c{rng.randrange(5)}"}
    channel = rng.choice(CHANNELS)
    if channel is not None:
        fields["channelType"] = channel
    if rng.random() < 0.7:
        fields["flowId"] = rng.choice(["f1", "f2", "f3"])
    queues = rng.sample(["q1", "q2", "q3"], rng.randrange(0, 3))
    if queues:
        fields["queues"] = [{"interactionQueueId": str(uuid.uuid4()), "queueId": queue,
                             "startTimestamp": format_instant(start), "queueAbandoned": rng.random() < 0.3}
                            for queue in queues]
    if rng.random() < 0.5:
        fields["agents"] = [{"agentId": rng.choice(["a1", "a2"])}]
    if revision is not None:
        fields["revision"] = revision
    return record(tenant_id, format_instant(start), interaction_id, **fields)


def window(rng: random.Random) -> Window:
    def instant() -> int:
        hour = BASE + rng.randrange(-2, SPAN_HOURS + 2) * HOUR_US
        return hour + rng.choice([0, 0, 1000, HOUR_US // 2, HOUR_US - 1000])

    low, high = sorted((instant(), instant()))
    return Window(rng.choice([low, low, MIN_INSTANT]), rng.choice([high, high, MAX_INSTANT]))


def check_totals(store: Store, tenant_id: str, rng: random.Random, windows: int = 12) -> int:
    """Every filter over random windows: the total equals the number of records the search returns."""
    served = 0
    for _ in range(windows):
        span = window(rng)
        for filters in FILTERS:
            query = Query(span, filters=parse_filters(filters))
            total = store.search(tenant_id, PageRequest(query, 0)).total
            every = store.search(tenant_id, PageRequest(query, 100_000, count=False)).docs
            assert total == len(every), (span, filters)
            served += hour_sum(tenant_id, query, *_split_filters(query), store._dialect) is not None  # type: ignore[attr-defined]
    return served


def test_totals_equal_the_plain_count_through_inserts_and_updates(contract_store: Store) -> None:
    rng = random.Random(5)
    tenant, other = new_tenant(contract_store), new_tenant(contract_store)
    ids = [str(uuid.uuid4()) for _ in range(150)]
    contract_store.upsert_records(tenant, [drawn_record(tenant, rng, i, 1) for i in ids], 1)
    contract_store.upsert_records(other, [drawn_record(other, rng) for _ in range(60)], 1)
    assert check_totals(contract_store, tenant, rng) > 50  # most of them are summed from the counts
    # updates: new starts (another hour) and new channels, directions, flags, flows and queues
    moved = rng.sample(ids, 70)
    contract_store.upsert_records(tenant, [drawn_record(tenant, rng, i, 2) for i in moved], 2)
    check_totals(contract_store, tenant, rng)
    # a lower revision changes nothing; the same record again changes nothing
    contract_store.upsert_records(tenant, [drawn_record(tenant, rng, i, 1) for i in moved[:20]], 3)
    check_totals(contract_store, tenant, rng)
    check_totals(contract_store, other, rng, windows=4)
    everything = Query()
    assert contract_store.search(tenant, PageRequest(everything, 0)).total == 150
    assert contract_store.search(other, PageRequest(everything, 0)).total == 60


def test_a_search_sums_whole_hours_and_counts_the_ragged_ends(contract_store: Store) -> None:
    tenant = new_tenant(contract_store)
    # one record at each edge of hours 0..3, and one record an hour before (another tenant's too)
    instants = [BASE - HOUR_US + 5_000_000, BASE, BASE + HOUR_US - 1000, BASE + HOUR_US, BASE + 2 * HOUR_US + 1000,
                BASE + 4 * HOUR_US - 1000]
    contract_store.upsert_records(tenant, [record(tenant, format_instant(at), channelType="voice")
                                           for at in instants], 1)
    other = new_tenant(contract_store)
    contract_store.upsert_records(other, [record(other, format_instant(at)) for at in instants], 1)

    def total(low: int, high: int, **filters: list[str]) -> int:
        return contract_store.search(tenant, PageRequest(Query(Window(low, high), filters=parse_filters(filters)),
                                                         0)).total

    assert total(BASE, BASE + 4 * HOUR_US) == 5
    assert total(BASE + 1000, BASE + 4 * HOUR_US - 1000) == 3  # both ends ragged
    assert total(BASE - 1, BASE + 3 * HOUR_US) == 4
    assert total(BASE + HOUR_US - 1000, BASE + HOUR_US + 1) == 2  # less than an hour: the index alone
    assert total(MIN_INSTANT, MAX_INSTANT) == 6
    assert total(MIN_INSTANT, MAX_INSTANT, channelType=["voice"]) == 6
    assert total(MIN_INSTANT, MAX_INSTANT, channelType=["email"]) == 0


def test_derived_records_and_late_events_that_move_the_start_keep_the_counts(contract_store: Store) -> None:
    tenant = new_tenant(contract_store)
    start, end = "2026-03-07T00:00:00Z", "2026-03-08T06:00:00Z"
    streams = list(generate_events(150, seed=4, tenant_id=tenant, start=start, end=end, queues=4, agents=6))
    held_back = [events[0] for events in streams[:50]]  # the first event of 50 interactions comes late
    first = [event for events in streams[:50] for event in events[1:]]
    first += [event for events in streams[50:] for event in events]
    rng = random.Random(8)
    for batch in (first, held_back):
        lines = b"\n".join(msgspec.json.encode(event) for event in batch)
        store_events(contract_store, tenant, read_events(lines, tenant))
        check_totals(contract_store, tenant, rng, windows=6)
    assert contract_store.search(tenant, PageRequest(Query(), 0)).total == 150


def execute(database_url: str, sql: str) -> list[Any]:
    if database_url.startswith("sqlite"):
        with sqlite3.connect(database_url.removeprefix("sqlite:///")) as connection:
            return connection.execute(sql).fetchall()
    with psycopg.connect(database_url, autocommit=True) as connection:
        cursor = connection.execute(sql)
        return cursor.fetchall() if cursor.description else []


COUNTS = ("SELECT tenant_id, kind, value, hour_us, channel_type, direction, flagged, abandoned, n"
          " FROM interaction_hours WHERE n <> 0 ORDER BY 1, 2, 3, 4, 5, 6, 7, 8")


def test_the_migration_fills_the_counts_of_records_stored_before(fresh_database_url: str) -> None:
    store = open_store(fresh_database_url)
    store.migrate()
    rng = random.Random(9)
    tenant, other = new_tenant(store), new_tenant(store)
    ids = [str(uuid.uuid4()) for _ in range(80)]
    store.upsert_records(tenant, [drawn_record(tenant, rng, i, 1) for i in ids], 1)
    store.upsert_records(tenant, [drawn_record(tenant, rng, i, 2) for i in ids[:30]], 2)
    store.upsert_records(other, [drawn_record(other, rng) for _ in range(20)], 1)
    store.upsert_records(other, [record(other, "0001-01-01T00:00:00Z"), record(other, "1969-12-31T23:59:59.999Z")], 1)
    kept = execute(fresh_database_url, COUNTS)
    assert sum(row[8] for row in kept if row[1] == "") == 102
    store.close()
    version = 1 + next(i for i, text in enumerate(SQLITE_MIGRATIONS) if HOURS_MARK in text)
    undo_migrations_from(execute, fresh_database_url, version)  # this migration and every later one
    execute(fresh_database_url, f"DELETE FROM schema_migrations WHERE version >= {version}")
    store = open_store(fresh_database_url)
    store.migrate()
    assert execute(fresh_database_url, COUNTS) == kept  # the fill gives the very rows the writes kept
    check_totals(store, tenant, rng, windows=4)
    check_totals(store, other, rng, windows=2)
    store.close()


@pytest.mark.parametrize("filters", [{"queueId": ["q1", "q2"]}, {"agentId": ["a1"]}, {"customer": ["c1"]},
                                     {"queueId": ["q1"], "flowId": ["f1"]}])
def test_filters_the_counts_do_not_keep_are_counted_by_the_index(filters: dict[str, list[str]]) -> None:
    query = Query(Window(BASE, BASE + 5 * HOUR_US), filters=parse_filters(filters))
    from cxreport.store.sqlite import DIALECT

    assert hour_sum("t", query, *_split_filters(query), DIALECT) is None
    served = Query(Window(BASE, BASE + 5 * HOUR_US), filters=parse_filters({"queueId": ["q1"]}))
    assert hour_sum("t", served, *_split_filters(served), DIALECT) is not None
    assert hour_sum("t", Query(Window(BASE + 1, BASE + HOUR_US + 1)), [], [], DIALECT) is None
    assert hour_sum("t", Query(Window(BASE, BASE + HOUR_US), time_field="end"), [], [], DIALECT) is None
