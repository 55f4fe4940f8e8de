"""Schema migrations are versioned and recorded; a failing one leaves the database as it was; `serve`
refuses a database newer than it understands. SQLite and PostgreSQL alike."""

from __future__ import annotations

import sqlite3
import subprocess
import sys
from pathlib import Path

import psycopg
import pytest

from cxreport.errors import SchemaTooNew
from cxreport.store import open_store, postgres_schema, sqlite_schema


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
