"""SQLite's bulk transaction (`SqliteStore.bulk_transaction`, `cxreport import`'s batches): records come in
chunks, the facets, hourly counts, rollups and realtime slot counters of the whole batch are written once before
the commit. Whatever the chunks hold (new records, records stored before, the same record restated in a later
chunk), every table ends as it does when the final versions are written by plain upserts."""

from __future__ import annotations

import random
import sqlite3
import uuid
from pathlib import Path
from typing import Any

from cxreport.store import open_store
from cxreport.store.base import StoredRecord, Tenant
from cxreport.times import format_instant, parse_instant
from support.stores import record

TENANT = Tenant("b0000000-0000-4000-8000-000000000001", "Bulk", "UTC")
TABLES = {
    "interactions": "tenant_id, interaction_id, start_us, end_us, channel_type, direction, customer, flagged,"
                    " abandoned, CAST(doc AS TEXT), CAST(facets AS TEXT)",
    "interaction_facets": "*",
    "interaction_hours": "tenant_id, kind, value, hour_us, channel_type, direction, flagged, abandoned, n",
    "queue_entry_facts": "*",
    "queue_slot_rollups": "*",
    "channel_slot_rollups": "*",
    "realtime_slots": "tenant_id, slot_us",
}
"""What must be equal (the hourly rollups are compared without `n`, which only numbers a slot's rows; the
realtime counters by the quarter hours they count, not by how many transactions bumped them: a batch also bumps
those of the facts of a version it restated in a later chunk, harmless for a reader, which reads them again)."""


BASE = parse_instant("2026-03-07T00:00:00Z")


def drawn_record(tenant_id: str, rng: random.Random, interaction_id: str | None = None) -> StoredRecord:
    """A record of random start (30 hours), channel, direction, flags, flow, queues (with their facts), agents."""
    start = BASE + rng.randrange(0, 30 * 3600) * 1_000_000
    fields: dict[str, Any] = {"direction": rng.choice(["inbound", "outbound"]), "flagged": rng.random() < 0.2,
                              "customer": f"c{rng.randrange(5)}"}
    channel = rng.choice(["voice", "email", "sms", None])
    if channel is not None:
        fields["channelType"] = channel
    if rng.random() < 0.7:
        fields |= {"flowId": rng.choice(["f1", "f2", "f3"])}
    queues = rng.sample(["q1", "q2", "q3"], rng.randrange(0, 3))
    if queues:
        fields["queues"] = [{"interactionQueueId": str(uuid.uuid4()), "queueId": queue,
                             "startTimestamp": format_instant(start + rng.randrange(0, 600) * 1_000_000),
                             "queueAbandoned": rng.random() < 0.3} for queue in queues]
    if rng.random() < 0.5:
        fields["agents"] = [{"agentId": rng.choice(["a1", "a2"])}]
    return record(tenant_id, format_instant(start), interaction_id, **fields)


def contents(database: Path) -> dict[str, list[Any]]:
    with sqlite3.connect(database) as db:
        found = {table: sorted(db.execute(f"SELECT {columns} FROM {table}").fetchall(), key=repr)
                 for table, columns in TABLES.items()}
        for table in ("queue_hour_rollups", "channel_hour_rollups"):
            columns = [row[1] for row in db.execute(f"PRAGMA table_info({table})") if row[1] != "n"]
            found[table] = sorted(db.execute(f"SELECT {', '.join(columns)} FROM {table}").fetchall(), key=repr)
    found["interaction_hours"] = [row for row in found["interaction_hours"] if row[-1] != 0]
    return found


def test_a_chunked_batch_ends_as_plain_upserts_of_the_final_versions(tmp_path: Path) -> None:
    rng = random.Random(16)
    before = [str(uuid.uuid4()) for _ in range(40)]
    fresh = [str(uuid.uuid4()) for _ in range(60)]
    stored = [drawn_record(TENANT.id, rng, interaction_id) for interaction_id in before]
    chunks = [
        [drawn_record(TENANT.id, rng, i) for i in fresh[:30] + before[:10]],  # new ones, and restated
        [drawn_record(TENANT.id, rng, i) for i in fresh[30:] + fresh[:10]],  # more new ones; restated new ones
        [drawn_record(TENANT.id, rng, i) for i in fresh[5:15] + before[5:15]],  # restated again, and stored ones
    ]
    final = {record.interaction_id: record for chunk in [stored, *chunks] for record in chunk}

    bulk, plain = tmp_path / "bulk.db", tmp_path / "plain.db"
    for database in (bulk, plain):
        store = open_store(f"sqlite:///{database}")
        store.migrate()
        store.create_tenant(TENANT)
        store.upsert_records(TENANT.id, stored, 1)
        if database == bulk:
            with store.bulk_transaction(TENANT.id) as write:
                counts = [write(chunk, 2) for chunk in chunks]
            assert [(c.inserted, c.updated, c.unchanged) for c in counts] == [(30, 10, 0), (30, 10, 0), (0, 20, 0)]
        else:
            store.upsert_records(TENANT.id, [final[i] for i in before + fresh], 2)
        store.close()
    got, expected = contents(bulk), contents(plain)
    assert len(expected["interactions"]) == 100 and len(expected["queue_entry_facts"]) > 50
    assert len(expected["interaction_facets"]) > 500 and len(expected["queue_slot_rollups"]) > 20
    assert set(got.pop("realtime_slots")) >= set(expected.pop("realtime_slots"))
    for table, rows in expected.items():
        assert got[table] == rows, table


def test_a_failed_bulk_transaction_writes_nothing(tmp_path: Path) -> None:
    database = tmp_path / "failed.db"
    store = open_store(f"sqlite:///{database}")
    store.migrate()
    store.create_tenant(TENANT)
    rng = random.Random(3)
    try:
        with store.bulk_transaction(TENANT.id) as write:
            write([drawn_record(TENANT.id, rng) for _ in range(20)], 1)
            raise RuntimeError("stopped by the test")
    except RuntimeError:
        pass
    with sqlite3.connect(database) as db:
        for table in (*TABLES, "queue_hour_rollups"):
            assert db.execute(f"SELECT count(*) FROM {table}").fetchone() == (0,), table
    store.close()
