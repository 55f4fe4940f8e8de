"""Helpers for tests that need a PostgreSQL server."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from urllib.parse import urlsplit, urlunsplit

import psycopg

POSTGRES_URL_VARIABLE = "CXREPORT_TEST_POSTGRES_URL"
"""Names an (admin) PostgreSQL server the tests may create databases on; without it they are skipped."""


@contextmanager
def temporary_postgres_database(admin_url: str) -> Iterator[str]:
    """Create a fresh, uniquely named database on the server `admin_url` points at; drop it afterwards."""
    name = f"cxreport_test_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(admin_url, autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    try:
        yield urlunsplit(urlsplit(admin_url)._replace(path=f"/{name}"))
    finally:
        with psycopg.connect(admin_url, autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
