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


def test_bulk_writes_hold_bounded_memory_whatever_the_database_size(tmp_path: Path) -> None:
    """An import's connections map nothing, cache 64 MiB and keep temporary B-trees and statement journals in
    files (the operating system caches them, outside the process): a memory map or an in-memory statement
    journal grew with the database (issue 16: peak RSS 635 MB for 100,000 records, now ~155 MB at any size). A
    server keeps its memory map; an export maps the whole file (up to SQLite's cap) and caches 8 MiB."""
    bulk = open_store(f"sqlite:///{tmp_path / 'bulk.db'}", workload="bulk-writes")
    serving = open_store(f"sqlite:///{tmp_path / 'serving.db'}")
    reads = open_store(f"sqlite:///{tmp_path / 'reads.db'}", workload="bulk-reads")

    def pragmas(store: object) -> tuple[int, int, int]:
        db = store._db  # type: ignore[attr-defined]
        return tuple(db.execute(f"PRAGMA {name}").fetchone()[0] for name in ("mmap_size", "cache_size", "temp_store"))

    assert pragmas(bulk) == (0, -(32 << 10), 0)
    assert pragmas(serving) == (1 << 30, -(64 << 10), 0)
    assert pragmas(reads)[1:] == (-(8 << 10), 0)
    assert pragmas(reads)[0] >= pragmas(serving)[0]
    for store in (bulk, serving, reads):
        store.close()
