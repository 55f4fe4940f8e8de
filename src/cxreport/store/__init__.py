"""Storage: one interface (`Store`), one implementation per database, chosen by URL."""

from __future__ import annotations

from cxreport.errors import ConfigError
from cxreport.store.base import Store


def open_store(url: str) -> Store:
    """Open the store a database URL names: `sqlite:///PATH` (the default) or `postgresql://…`."""
    if url.startswith("sqlite:"):
        from cxreport.store.sqlite import SqliteStore, sqlite_path_from_url

        return SqliteStore(sqlite_path_from_url(url))
    if url.startswith(("postgresql:", "postgres:")):
        from cxreport.store.postgres import PostgresStore

        return PostgresStore(url)
    raise ConfigError(f"unsupported database URL {url!r}: expected sqlite:///PATH or postgresql://…")


__all__ = ["Store", "open_store"]
