"""Schema migrations are versioned and recorded; a failing one leaves the database as it was; `serve`
refuses a database newer than it understands. SQLite and PostgreSQL alike."""

from __future__ import annotations

import sqlite3
import subprocess
import sys
import uuid
from collections.abc import Sequence
from pathlib import Path

import msgspec
import psycopg
import pytest

from cxreport.errors import SchemaTooNew
from cxreport.records.validate import prepare_record
from cxreport.store import open_store, postgres_schema, sqlite_schema
from cxreport.store.base import Sla, StoredEvent, StoredRecord


@pytest.fixture
def database_url(fresh_database_url: str) -> str:
    return fresh_database_url


def execute(database_url: str, sql: str) -> list[tuple[object, ...]]:
    """Run one statement straight on the database, outside cxreport."""
    if database_url.startswith("sqlite"):
        with sqlite3.connect(database_url.removeprefix("sqlite:///")) as connection:
            return connection.execute(sql).fetchall()
    with psycopg.connect(database_url, autocommit=True) as connection:
        cursor = connection.execute(sql)
        return cursor.fetchall() if cursor.description else []


def migrations_module(database_url: str) -> object:
    return sqlite_schema if database_url.startswith("sqlite") else postgres_schema


def test_migrations_are_recorded(database_url: str) -> None:
    store = open_store(database_url)
    known = len(sqlite_schema.MIGRATIONS)
    assert store.migrate() == known
    assert store.migrate() == known
    store.close()
    rows = execute(database_url, "SELECT version FROM schema_migrations ORDER BY version")
    assert [row[0] for row in rows] == list(range(1, known + 1))


def test_a_failing_migration_leaves_the_database_as_it_was(database_url: str,
                                                           monkeypatch: pytest.MonkeyPatch) -> None:
    store = open_store(database_url)
    before = store.migrate()
    broken = "CREATE TABLE half_done (x integer); CREATE TABLE half_done (x integer)"
    module = migrations_module(database_url)
    monkeypatch.setattr(module, "MIGRATIONS", [*module.MIGRATIONS, broken])  # type: ignore[attr-defined]
    if database_url.startswith("sqlite"):
        monkeypatch.setattr("cxreport.store.sqlite.MIGRATIONS", module.MIGRATIONS)  # type: ignore[attr-defined]
    else:
        monkeypatch.setattr("cxreport.store.postgres.MIGRATIONS", module.MIGRATIONS)  # type: ignore[attr-defined]
    with pytest.raises(Exception, match="half_done"):
        store.migrate()
    store.close()
    assert execute(database_url, "SELECT max(version) FROM schema_migrations") == [(before,)]
    tables = "SELECT name FROM sqlite_master" if database_url.startswith("sqlite") else (
        "SELECT tablename FROM pg_tables WHERE schemaname = 'public'")
    assert "half_done" not in {row[0] for row in execute(database_url, tables)}


def test_serve_refuses_a_newer_database(database_url: str) -> None:
    store = open_store(database_url)
    store.migrate()
    store.close()
    execute(database_url, "INSERT INTO schema_migrations (version, applied_us) VALUES (999, 0)")
    with pytest.raises(SchemaTooNew):
        open_store(database_url).migrate()
    result = subprocess.run([str(Path(sys.executable).parent / "cxreport"), "serve", "--database", database_url,
                             "--port", "1"], capture_output=True, text=True, timeout=60)
    assert result.returncode != 0
    assert result.stderr.splitlines()[-1:] == [
        f"cxreport: error: the database is at schema version 999, newer than this cxreport understands "
        f"({len(sqlite_schema.MIGRATIONS)}); upgrade cxreport"
    ]
    assert "Traceback" not in result.stderr


def test_migration_3_keeps_every_event_and_identifies_them_by_interaction(database_url: str,
                                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    """A database written before migration 3 (events unique by eventId alone) keeps all its events; after it, a
    resent event is still a duplicate and the same eventId in another interaction is another event."""
    module = migrations_module(database_url)
    store_module = "cxreport.store.sqlite" if database_url.startswith("sqlite") else "cxreport.store.postgres"
    with monkeypatch.context() as patched:
        patched.setattr(f"{store_module}.MIGRATIONS", module.MIGRATIONS[:2])  # type: ignore[attr-defined]
        store = open_store(database_url)
        assert store.migrate() == 2
        store.close()
    tenant, one, two = str(uuid.uuid4()), str(uuid.uuid4()), str(uuid.uuid4())
    execute(database_url, f"INSERT INTO tenants (tenant_id, name, timezone) VALUES ('{tenant}', 't', 'UTC')")
    time_column, time_value = ("time_us", "{0}") if database_url.startswith("sqlite") else (
        "time_ts", "to_timestamp({0})")
    for event_id, interaction, second in (("e-1", one, 1), ("e-2", one, 2)):
        doc = msgspec.json.encode({"eventId": event_id, "interactionId": interaction})
        literal = f"X'{doc.hex()}'" if database_url.startswith("sqlite") else f"'{doc.decode()}'"
        execute(database_url, f"INSERT INTO events (tenant_id, event_id, interaction_id, {time_column}, type, doc)"
                              f" VALUES ('{tenant}', '{event_id}', '{interaction}', {time_value.format(second)},"
                              f" 'custom-attributes-set', {literal})")
    store = open_store(database_url)
    assert store.migrate() == len(module.MIGRATIONS)  # type: ignore[attr-defined]

    def stored(event_id: str, interaction: str, second: int) -> StoredEvent:
        doc = msgspec.json.encode({"eventId": event_id, "interactionId": interaction})
        return StoredEvent(event_id, interaction, second * 1_000_000, "custom-attributes-set", doc)

    def rebuild(events: dict[str, list[bytes]], slas: Sequence[Sla]) -> list[StoredRecord]:
        return [prepare_record(msgspec.json.encode({"interactionId": interaction, "startTimestamp": "2024-01-01",
                                                    "revision": len(docs)}), tenant, 0)
                for interaction, docs in events.items()]

    assert [msgspec.json.decode(doc)["eventId"] for doc in store.events_of(tenant, one)] == ["e-1", "e-2"]
    counts = store.ingest_events(tenant, [stored("e-1", one, 1), stored("e-1", two, 3)], rebuild, 1)
    assert (counts.accepted, counts.duplicates) == (1, 1)
    assert [msgspec.json.decode(doc)["eventId"] for doc in store.events_of(tenant, two)] == ["e-1"]
    store.close()
