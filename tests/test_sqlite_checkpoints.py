"""Bulk imports into SQLite checkpoint the write-ahead log on a thread of their own: the database file
receives the committed pages while the import goes on, the log stays bounded, and nothing is lost."""

from __future__ import annotations

import os
import sqlite3
import time
import uuid
from pathlib import Path

import msgspec

from cxreport.records.validate import prepare_record
from cxreport.store import open_store
from cxreport.store.base import StoredRecord
from cxreport.store.sqlite_checkpoints import BackgroundCheckpoints
from support.stores import new_tenant


def records(tenant_id: str, count: int, first: int = 0) -> list[StoredRecord]:
    return [
        prepare_record(
            msgspec.json.encode({
                "interactionId": str(uuid.UUID(int=first + number + 1)),
                "startTimestamp": f"2020-02-{1 + number % 28:02d}T10:00:00.000Z",
                "customer": f"+1555{number:07d}",
                "flowName": "x" * 500,
            }),
            tenant_id,
            number,
        )
        for number in range(count)
    ]


def test_the_database_file_fills_while_the_import_goes_on_and_everything_is_kept(tmp_path: Path) -> None:
    database = tmp_path / "bulk.db"
    store = open_store(f"sqlite:///{database}", workload="bulk-writes")
    store.migrate()
    tenant_id = new_tenant(store)
    size_before = database.stat().st_size
    for batch in range(5):
        store.upsert_records(tenant_id, records(tenant_id, 400, first=batch * 400), 0)
    deadline = time.monotonic() + 10
    while database.stat().st_size == size_before and time.monotonic() < deadline:
        time.sleep(0.01)
    assert database.stat().st_size > size_before, "the checkpoint thread copied committed pages into the file"
    store.close()
    with sqlite3.connect(database) as check:
        assert check.execute("PRAGMA integrity_check").fetchone() == ("ok",)
        assert check.execute("SELECT count(*) FROM interactions").fetchone() == (2000,)


def test_a_commit_waits_for_the_checkpoint_when_the_log_passes_its_bound(tmp_path: Path) -> None:
    database = tmp_path / "bounded.db"
    store = open_store(f"sqlite:///{database}")
    store.migrate()
    new_tenant(store)
    store.close()
    writer = sqlite3.connect(database, isolation_level=None)
    writer.execute("PRAGMA journal_mode = WAL")
    writer.execute("PRAGMA wal_autocheckpoint = 0")
    checkpoints = BackgroundCheckpoints(str(database), max_wal_bytes=256 * 1024)
    wal = Path(f"{database}-wal")
    largest = 0
    for number in range(200):
        writer.execute("BEGIN IMMEDIATE")
        writer.execute("INSERT INTO settings (name, value) VALUES (?, ?)", (f"k{number}", os.urandom(8000).hex()))
        writer.execute("COMMIT")
        checkpoints.after_commit()
        largest = max(largest, wal.stat().st_size)
    checkpoints.close()
    writer.close()
    # 200 commits of ~16 KB each would grow an unchecked log to ~6.5 MB; the bound holds it to about itself
    # plus the commits made while the last checkpoint ran.
    assert largest < 2 * 1024 * 1024, largest
    with sqlite3.connect(database) as check:
        assert check.execute("SELECT count(*) FROM settings WHERE name LIKE 'k%'").fetchone() == (200,)


def test_bulk_writes_sort_in_memory_and_serving_on_disk(tmp_path: Path) -> None:
    """An import's upserts sort their facets inside SQLite; in temporary files that sort cost a record import
    ~30% more system time. Imports sort in memory (their sorts are bounded by their batches); a server, whose
    queries are not bounded so, keeps SQLite's default."""
    bulk = open_store(f"sqlite:///{tmp_path / 'bulk.db'}", workload="bulk-writes")
    serving = open_store(f"sqlite:///{tmp_path / 'serving.db'}")
    assert bulk._db.execute("PRAGMA temp_store").fetchone() == (2,)  # type: ignore[attr-defined]
    assert serving._db.execute("PRAGMA temp_store").fetchone() == (0,)  # type: ignore[attr-defined]
    bulk.close()
    serving.close()
