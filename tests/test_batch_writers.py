"""Batched writes on writer threads (`cxreport import`'s path), against each store: every record lands,
the last version of an interaction in input order wins whichever writer takes it, counts add up, and a
writer's failure reaches the caller and stops further batches."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest

from cxreport.cli.batch_writers import BatchWriters
from cxreport.store import Store, open_store
from cxreport.store.base import StoredRecord, UpsertCounts
from support.stores import new_tenant, page, record


def version(tenant_id: str, number: int, label: str) -> StoredRecord:
    """Interaction `number` (a fixed id and start), its customer field telling which version it is."""
    return record(tenant_id, f"2019-03-{1 + number % 28:02d}T08:00:00.000Z",
                  f"00000000-0000-4000-8000-{number:012d}", customer=label)


@pytest.mark.parametrize("writers", [1, 2, 3])
def test_every_record_lands_and_the_last_version_in_input_order_wins(contract_store: Store, writers: int) -> None:
    tenant_id = new_tenant(contract_store)
    with BatchWriters(contract_store, tenant_id, batch_size=7, writers=writers) as sink:
        for number in range(60):
            sink.add(version(tenant_id, number, "first"))
        for number in range(0, 60, 2):  # a second version of every even one, in later batches
            sink.add(version(tenant_id, number, "second"))
        for number in range(0, 60, 4):  # and a third of every fourth one
            sink.add(version(tenant_id, number, "third"))
    # Versions of one id that meet in one batch collapse to the newest, so `updated` depends on where
    # the batches break; what was inserted, and that nothing was left unchanged, does not.
    assert (sink.counts.inserted, sink.counts.unchanged) == (60, 0)
    assert 0 < sink.counts.updated <= 45
    total, docs = page(contract_store, tenant_id, limit=1000)
    assert total == 60
    customers = {json.loads(doc)["interactionId"]: json.loads(doc)["customer"] for doc in docs}
    expected = {
        version(tenant_id, number, "").interaction_id: "third" if number % 4 == 0 else "second" if number % 2 == 0
        else "first"
        for number in range(60)
    }
    assert customers == expected


def test_flush_ends_a_batch_early(contract_store: Store) -> None:
    tenant_id = new_tenant(contract_store)
    with BatchWriters(contract_store, tenant_id, batch_size=1000, writers=2) as sink:
        sink.add(version(tenant_id, 1, "a"))
        sink.flush()
        sink.add(version(tenant_id, 1, "a"))  # the same record again, in a batch of its own: unchanged
    assert sink.counts == UpsertCounts(inserted=1, updated=0, unchanged=1)


def test_a_writer_failure_reaches_the_caller_and_stops_the_import(tmp_path: Path) -> None:
    database = tmp_path / "damaged.db"
    store = open_store(f"sqlite:///{database}")
    store.migrate()
    tenant_id = new_tenant(store)
    with sqlite3.connect(database) as damage:  # every batch now fails, after writing its records' rows
        damage.execute("DROP TABLE interaction_facets")
    added = 0
    with (
        pytest.raises(sqlite3.OperationalError, match="interaction_facets"),
        BatchWriters(store, tenant_id, batch_size=2, writers=1) as sink,
    ):
        for number in range(10_000):
            sink.add(version(tenant_id, number, "x"))
            added += 1
    assert added < 10_000, "the caller stops soon after the failure, not at the end of its input"
    with sqlite3.connect(database) as check:
        assert check.execute("SELECT count(*) FROM interactions").fetchone() == (0,), "the failed batch rolled back"
    store.close()


def test_a_batch_taken_in_chunks_is_one_transaction(tmp_path: Path) -> None:
    """SQLite takes a batch in chunks (`bulk_chunk`) in one transaction: a failure in the batch's last chunk
    rolls back its earlier chunks too, and the batches committed before it stay whole."""
    database = tmp_path / "chunks.db"
    store = open_store(f"sqlite:///{database}")
    store.migrate()
    tenant_id = new_tenant(store)
    assert store.bulk_chunk == 1000
    failing = version(tenant_id, 9_999, "x").interaction_id
    with sqlite3.connect(database) as damage:
        damage.execute(
            f"CREATE TRIGGER refuse BEFORE INSERT ON interactions WHEN NEW.interaction_id = '{failing}'"
            " BEGIN SELECT RAISE(ABORT, 'refused by the test'); END"
        )
    with (
        pytest.raises(sqlite3.IntegrityError, match="refused by the test"),
        BatchWriters(store, tenant_id, batch_size=5000, writers=1) as sink,
    ):
        for number in range(5000):  # one whole batch: five chunks, committed
            sink.add(version(tenant_id, number, "first batch"))
        for number in range(5000, 9_000):  # four chunks of the second batch, then its last, which fails
            sink.add(version(tenant_id, number, "second batch"))
        sink.add(version(tenant_id, 9_999, "x"))
    assert sink.counts == UpsertCounts(inserted=5000)
    with sqlite3.connect(database) as check:
        assert check.execute("SELECT count(*), min(interaction_id), max(interaction_id) FROM interactions"
                             ).fetchone() == (5000, version(tenant_id, 0, "").interaction_id,
                                              version(tenant_id, 4_999, "").interaction_id)
        assert check.execute("SELECT count(*) FROM interaction_facets WHERE interaction_id > ?",
                             (version(tenant_id, 4_999, "").interaction_id,)).fetchone() == (0,)
    store.close()
