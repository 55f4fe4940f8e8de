"""SLA versions and stored entries, whichever comes first: a version created with `effectiveFrom` in the past
while another connection ingests events gives the records and rollups a from-scratch derivation gives (the
store reads the versions inside the events transaction, which a version's creation waits for or which waits for
it); and a version that records ingested directly named before it existed restates their rollups. SQLite and
PostgreSQL alike, each through two connections to one database (two processes' worth)."""

from __future__ import annotations

import threading
import uuid
from typing import Any

import msgspec

from cxreport.cli.synthetic import generate_events
from cxreport.service import slas
from cxreport.service.events import read_events, rederive, store_events
from cxreport.store import Store, open_store
from cxreport.store.base import Sla, SlaVersion, SlotQuery, SlotRow
from cxreport.store.rollups import SLOT_US
from cxreport.times import format_instant, parse_instant
from support.stores import new_tenant, record

START, END = "2026-03-07T00:00:00Z", "2026-03-08T00:00:00Z"
HOUR = 4 * SLOT_US


def sums(store: Store, tenant_id: str, slot_us: int, *, use_rollups: bool) -> list[SlotRow]:
    query = SlotQuery(parse_instant(START), parse_instant(END), slot_us, ("queue",), use_rollups=use_rollups)
    return sorted(store.queue_entry_slots(tenant_id, query), key=lambda row: (row.slot, repr(row.group)))


def assert_rollups_follow_the_facts(store: Store, tenant_id: str) -> list[SlotRow]:
    for slot_us in (SLOT_US, HOUR, 24 * HOUR):
        from_facts = sums(store, tenant_id, slot_us, use_rollups=False)
        assert sums(store, tenant_id, slot_us, use_rollups=True) == from_facts, slot_us
    return from_facts


def test_a_version_dated_in_the_past_racing_an_event_batch_ends_as_a_derivation_from_scratch(
    fresh_database_url: str,
) -> None:
    ingesting, judging = open_store(fresh_database_url), open_store(fresh_database_url)
    try:
        ingesting.migrate()
        for round_ in range(3):
            tenant = new_tenant(ingesting)
            streams = list(generate_events(160, seed=round_, tenant_id=tenant, start=START, end=END, queues=4,
                                           agents=6))
            batches = [streams[i : i + 4] for i in range(0, len(streams), 4)]
            half = threading.Event()
            failures: list[BaseException] = []

            def ingest(tenant: str = tenant, batches: list[Any] = batches, half: threading.Event = half,
                       failures: list[BaseException] = failures) -> None:
                try:
                    for n, batch in enumerate(batches):
                        if n == len(batches) // 3:
                            half.set()
                        lines = b"\n".join(msgspec.json.encode(event) for events in batch for event in events)
                        store_events(ingesting, tenant, read_events(lines, tenant))
                except BaseException as error:  # noqa: BLE001  # reported by the main thread
                    failures.append(error)
                    half.set()

            worker = threading.Thread(target=ingest)
            worker.start()
            half.wait(60)
            # a strict tenant default from the start of the day, then a laxer version from noon, both restating
            made = slas.create(judging, tenant, msgspec.json.encode({
                "slaThreshold": 4, "abandonType": "count-against-sla", "abandonThreshold": 2, "effectiveFrom": START}))
            slas.add_version(judging, tenant, made.slaId, msgspec.json.encode({
                "slaThreshold": 40, "abandonThreshold": 30, "effectiveFrom": "2026-03-07T12:00:00Z"}))
            worker.join(120)
            assert not worker.is_alive() and not failures, failures
            ids = sorted({event.interactionId for events in streams for event in events})
            # every record stored is what deriving it now, under both versions, makes: nothing changes
            again = rederive(ingesting, tenant, ids)
            assert (again.inserted, again.updated, again.unchanged) == (0, 0, len(ids)), round_
            figures = assert_rollups_follow_the_facts(ingesting, tenant)
            assert sum(row.figures[13] for row in figures) > 50  # slaJudged: the versions judged entries
            assert {row.rules for row in figures} <= {("count-against-sla", "count-against-sla"), (None, None)}
    finally:
        ingesting.close()
        judging.close()


def test_a_version_created_after_records_that_name_it_restates_their_rollups(contract_store: Store) -> None:
    tenant = new_tenant(contract_store)
    sla_id = str(uuid.uuid4())
    base = parse_instant(START)
    contract_store.create_sla(tenant, Sla(sla_id, "Gold", "q1", base, (
        SlaVersion(1, 20.0, "ignore-abandons", 5.0, base),)))
    # imported history judged by version 2 of the definition, which does not exist yet: abandoned after 30 s,
    # short by its 45-s abandon threshold, not by the built-in 20 s
    queues = [{"interactionQueueId": str(uuid.uuid4()), "queueId": "q1", "queueName": "Q 1",
               "interactionSegmentId": "s0", "startTimestamp": format_instant(base + n * 20 * 60_000_000),
               "queueTime": 30.0, "queueExitReason": "abandoned", "slaTime": 30.0, "slaAbandoned": True,
               "slaId": sla_id, "slaVersion": 2} for n in range(6)]
    contract_store.upsert_records(tenant, [record(tenant, START, queues=queues[:3]),
                                           record(tenant, START, queues=queues[3:])], 1)
    other = new_tenant(contract_store)  # another tenant's rows, untouched
    contract_store.upsert_records(other, [record(other, START, queues=queues[:2])], 1)
    short = 3  # shortAbandoned's place in the figures
    before = assert_rollups_follow_the_facts(contract_store, tenant)
    assert sum(row.figures[short] for row in before) == 0
    added = contract_store.add_sla_version(tenant, sla_id, SlaVersion(0, 30.0, "count-against-sla", 45.0, base),
                                           exact=True)
    assert added is not None and added.version == 2
    after = assert_rollups_follow_the_facts(contract_store, tenant)
    assert sum(row.figures[short] for row in after) == 6
    assert sum(row.figures[0] for row in after) == 6
    untouched = sums(contract_store, other, HOUR, use_rollups=True)
    assert sum(row.figures[short] for row in untouched) == 0 and sum(row.figures[0] for row in untouched) == 2
