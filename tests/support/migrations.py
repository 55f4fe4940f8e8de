"""The tables and columns migrations create, read from their text: what a test that runs migrations again
drops first."""

from __future__ import annotations

import re
from collections.abc import Callable

from cxreport.store.postgres_schema import MIGRATIONS as POSTGRES_MIGRATIONS
from cxreport.store.sqlite_schema import MIGRATIONS


def tables_created_from(version: int) -> list[str]:
    """Every table that migration `version` and the later ones create (their names are the same in both
    stores), in the order they create them."""
    return [name for text in MIGRATIONS[version - 1 :] for name in re.findall(r"CREATE TABLE (\w+)", text)]


def columns_added_from(version: int, postgres: bool) -> list[tuple[str, str]]:
    """Every (table, column) that migration `version` and the later ones add to an existing table."""
    migrations = POSTGRES_MIGRATIONS if postgres else MIGRATIONS
    return [(table, column) for text in migrations[version - 1 :]
            for table, column in re.findall(r"ALTER TABLE (\w+) ADD COLUMN (\w+)", text)]


def undo_migrations_from(execute: Callable[[str, str], object], url: str, version: int) -> None:
    """Drop what migration `version` and the later ones made (their tables, the columns they added), so that
    `migrate()` runs them again once their rows in `schema_migrations` are gone."""
    postgres = not url.startswith("sqlite")
    for table, column in columns_added_from(version, postgres):
        if table not in tables_created_from(version):
            execute(url, f"ALTER TABLE {table} DROP COLUMN {column}")
    for table in tables_created_from(version):
        execute(url, f"DROP TABLE {table}")
