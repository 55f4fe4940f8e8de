"""Storage: one interface (`Store`), one implementation per database, chosen by URL.

May import: `records` (a record's stored form, its facets and filters) and the shared modules.
"""

from __future__ import annotations

from cxreport.errors import ConfigError
from cxreport.store.base import Store

WORKLOADS = ("serving", "bulk-writes", "bulk-reads")


def open_store(url: str, workload: str = "serving", statement_timeout_ms: int = 0) -> Store:
    """Open the store a database URL names: `sqlite:///PATH` (the default) or `postgresql://…`.

    `workload` tunes the embedded store's memory for serving requests, importing, or exporting.
    `statement_timeout_ms` > 0 cancels any statement that runs longer (`StatementTimeout`); 0 lets them run."""
    if url.startswith("sqlite:"):
        from cxreport.store import sqlite

        memory = {"serving": sqlite.FOR_SERVING, "bulk-writes": sqlite.FOR_BULK_WRITES}.get(
            workload, sqlite.FOR_BULK_READS
        )
        return sqlite.SqliteStore(
            sqlite.sqlite_path_from_url(url), memory=memory, statement_timeout_ms=statement_timeout_ms
        )
    if url.startswith(("postgresql:", "postgres:")):
        from cxreport.store.postgres import PostgresStore

        return PostgresStore(url, statement_timeout_ms=statement_timeout_ms)
    raise ConfigError(f"unsupported database URL {url!r}: expected sqlite:///PATH or postgresql://…")


__all__ = ["Store", "open_store"]
