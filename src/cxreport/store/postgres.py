"""The PostgreSQL store: the production backend.

Connections come from a pool. Every connection runs with `plan_cache_mode=force_custom_plan`: psycopg
prepares a statement after five executions and PostgreSQL would then switch to a generic plan, which
made the keyset page 13× slower in our measurements. Documents are `json` columns read back as raw bytes
(a loader that does not parse them). Bulk upserts COPY into a temporary table and merge from it.
"""

from __future__ import annotations

import zlib
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

import psycopg
from psycopg.adapt import Loader
from psycopg_pool import ConnectionPool

from cxreport import clock
from cxreport.errors import Conflict, SchemaTooNew, StatementTimeout, StoreUnavailable
from cxreport.ids import normalize_uuid
from cxreport.store.base import (
    ApiKey,
    EventCounts,
    ExportKey,
    Page,
    PageRequest,
    Query,
    Rebuild,
    Sla,
    SlaVersion,
    Store,
    StoredEvent,
    StoredRecord,
    Tenant,
    Token,
    UpsertCounts,
    first_per_id,
    newest_per_id,
    sla_conflict,
)
from cxreport.store.postgres_schema import MIGRATIONS
from cxreport.store.querying import Dialect, export_keys_statement, run_search

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_EARLIEST_US = -62_135_596_800_000_000  # 0001-01-01T00:00:00Z
_LATEST_US = 253_402_300_799_999_999  # 9999-12-31T23:59:59.999999Z
_MIGRATION_LOCK = 7_236_505_106_417_152_001  # pg_advisory_xact_lock key: one migrator at a time

_RECORD_COLUMNS = (
    "tenant_id, interaction_id, start_ts, end_ts, updated_us, revision, record_revision, channel_type, direction, "
    "customer, contact_point, contact_id, flow_id, flagged, abandoned, doc, doc_with_nulls"
)
_STAGE = """
    CREATE TEMP TABLE IF NOT EXISTS staged_interactions_v2 (
        tenant_id uuid, interaction_id uuid, start_ts timestamptz, end_ts timestamptz, updated_us bigint,
        revision integer, record_revision bigint, channel_type text, direction text, customer text,
        contact_point text, contact_id text, flow_id text, flagged boolean, abandoned boolean, doc json,
        doc_with_nulls json
    ) ON COMMIT DELETE ROWS
"""


def _merge(derived: bool) -> str:
    """Staged records into `interactions`: a derived record replaces a direct one whatever the revisions, a
    direct one never replaces a derived one (see `base.replaces`)."""
    if derived:
        allowed = (
            "(NOT interactions.derived OR EXCLUDED.record_revision IS NULL OR interactions.record_revision IS NULL"
            " OR EXCLUDED.record_revision > interactions.record_revision)"
        )
    else:
        allowed = (
            "NOT interactions.derived AND (EXCLUDED.record_revision IS NULL OR interactions.record_revision IS NULL"
            " OR EXCLUDED.record_revision > interactions.record_revision)"
        )
    return f"""
    INSERT INTO interactions ({_RECORD_COLUMNS}, derived)
    SELECT {_RECORD_COLUMNS}, {"true" if derived else "false"} FROM staged_interactions_v2 ORDER BY interaction_id
    ON CONFLICT (tenant_id, interaction_id) DO UPDATE SET
        start_ts = EXCLUDED.start_ts, end_ts = EXCLUDED.end_ts, updated_us = EXCLUDED.updated_us,
        revision = interactions.revision + 1, record_revision = EXCLUDED.record_revision,
        channel_type = EXCLUDED.channel_type, direction = EXCLUDED.direction, customer = EXCLUDED.customer,
        contact_point = EXCLUDED.contact_point, contact_id = EXCLUDED.contact_id, flow_id = EXCLUDED.flow_id,
        flagged = EXCLUDED.flagged, abandoned = EXCLUDED.abandoned, doc = EXCLUDED.doc,
        doc_with_nulls = EXCLUDED.doc_with_nulls, derived = EXCLUDED.derived
    WHERE (interactions.doc::text IS DISTINCT FROM EXCLUDED.doc::text
           OR interactions.doc_with_nulls::text IS DISTINCT FROM EXCLUDED.doc_with_nulls::text)
      AND {allowed}
    RETURNING interaction_id, (xmax = 0) AS inserted
"""


_MERGE = {False: _merge(False), True: _merge(True)}
_STAGE_EVENTS = """
    CREATE TEMP TABLE IF NOT EXISTS staged_events_v1 (
        event_id text, interaction_id uuid, time_ts timestamptz, type text, doc json
    ) ON COMMIT DELETE ROWS
"""
_INSERT_EVENTS = """
    INSERT INTO events (tenant_id, event_id, interaction_id, time_ts, type, doc)
    SELECT %s, event_id, interaction_id, time_ts, type, doc FROM staged_events_v1
    ON CONFLICT (tenant_id, interaction_id, event_id) DO NOTHING
    RETURNING interaction_id::text
"""
_EVENTS_OF = "SELECT interaction_id::text, doc FROM events WHERE tenant_id = %s AND interaction_id = ANY(%s)"
_EVENTS_IN_ORDER = f"{_EVENTS_OF} ORDER BY interaction_id, time_ts, event_id"
_LOCK_BUCKETS = 256
"""Event ingestion locks interactions by hash bucket (at most this many locks a transaction)."""
_SLA_COLUMNS = "sla_id::text, name, queue_id, created_us"
_VERSION_COLUMNS = "version, sla_threshold, abandon_type, abandon_threshold, from_us"
_DELETE_FACETS = "DELETE FROM interaction_facets WHERE tenant_id = %(tenant)s AND interaction_id = ANY(%(ids)s)"
DIALECT = Dialect(
    time_columns={"start": "start_ts", "end": "end_ts", "updated": "updated_us"},
    time_param=lambda micros: timestamp_param(micros),
    placeholder="%s",
    micros=lambda value: _micros(value),
)
_KEY_COLUMNS = "key_id::text, tenant_id::text, role, secret_hash, created_us, revoked_us"


class _RawJson(Loader):
    """Load json columns as the bytes PostgreSQL sends: the stored text, unparsed."""

    def load(self, data: Any) -> bytes:
        return bytes(data)


def _configure(connection: psycopg.Connection[Any]) -> None:
    connection.adapters.register_loader("json", _RawJson)


def timestamp_param(micros: int) -> datetime | str:
    """Epoch microseconds as a timestamptz parameter; beyond Python's datetime range, ±infinity."""
    if micros <= _EARLIEST_US:
        return "-infinity"
    if micros > _LATEST_US:
        return "infinity"
    return _EPOCH + timedelta(microseconds=micros)


class PostgresStore(Store):
    bulk_writers = 2  # the server indexes two batches at once while the client prepares the next ones

    def __init__(
        self, url: str, min_connections: int = 1, max_connections: int = 10, statement_timeout_ms: int = 0
    ) -> None:
        """`statement_timeout_ms` > 0: PostgreSQL cancels a statement running longer (`StatementTimeout`)."""
        self._url = url
        options = "-c plan_cache_mode=force_custom_plan"
        if statement_timeout_ms > 0:
            options += f" -c statement_timeout={int(statement_timeout_ms)}"
        self._pool = ConnectionPool(
            url,
            min_size=min_connections,
            max_size=max_connections,
            kwargs={"autocommit": True, "options": options},
            configure=_configure,
            open=False,
        )
        try:
            self._pool.open(wait=True, timeout=10)
        except psycopg.Error as error:
            raise StoreUnavailable(f"cannot connect to PostgreSQL: {error}") from error
        except Exception as error:  # psycopg_pool.PoolTimeout carries the cause
            raise StoreUnavailable(f"cannot connect to PostgreSQL: {error}") from error

    @contextmanager
    def _read(self) -> Iterator[psycopg.Connection[Any]]:
        try:
            with self._pool.connection() as connection:
                yield connection
        except psycopg.errors.QueryCanceled:
            raise StatementTimeout("the database took too long to answer; try a narrower request") from None
        except psycopg.OperationalError as error:
            raise StoreUnavailable(f"PostgreSQL is unreachable: {error}") from error

    @contextmanager
    def _write(self) -> Iterator[psycopg.Connection[Any]]:
        with self._read() as connection, connection.transaction():
            yield connection

    def close(self) -> None:
        self._pool.close()

    def refresh_statistics(self) -> None:
        with self._read() as db:
            db.execute("ANALYZE interactions, interaction_facets, events")

    def ping(self) -> None:
        try:
            with self._pool.connection(timeout=5) as connection:
                connection.execute("SELECT 1 FROM schema_migrations LIMIT 1")
        except Exception as error:
            raise StoreUnavailable(f"PostgreSQL is unreachable: {error}") from error

    # schema -------------------------------------------------------------------------------------------
    def migrate(self) -> int:
        with self._write() as db:
            db.execute("SET LOCAL statement_timeout = 0")  # migrations may legitimately run long
            db.execute("SELECT pg_advisory_xact_lock(%s)", (_MIGRATION_LOCK,))
            db.execute("CREATE TABLE IF NOT EXISTS schema_migrations (version integer PRIMARY KEY, applied_us bigint)")
            current = self._schema_version(db)
            if current > len(MIGRATIONS):
                raise SchemaTooNew(
                    f"the database is at schema version {current}, newer than this cxreport understands "
                    f"({len(MIGRATIONS)}); upgrade cxreport"
                )
            for version in range(current + 1, len(MIGRATIONS) + 1):
                db.execute(MIGRATIONS[version - 1])
                db.execute(
                    "INSERT INTO schema_migrations (version, applied_us) VALUES (%s, %s)", (version, clock.now_us())
                )
        return len(MIGRATIONS)

    def schema_version(self) -> int:
        with self._read() as db:
            return self._schema_version(db)

    @staticmethod
    def _schema_version(db: psycopg.Connection[Any]) -> int:
        row = db.execute("SELECT coalesce(max(version), 0) FROM schema_migrations").fetchone()
        return int(row[0]) if row else 0

    # tenants ------------------------------------------------------------------------------------------
    def create_tenant(self, tenant: Tenant) -> None:
        try:
            with self._write() as db:
                db.execute(
                    "INSERT INTO tenants (tenant_id, name, timezone) VALUES (%s, %s, %s)",
                    (tenant.id, tenant.name, tenant.timezone),
                )
        except psycopg.errors.UniqueViolation:
            raise Conflict(f"a tenant with id {tenant.id} exists already") from None

    def get_tenant(self, tenant_id: str) -> Tenant | None:
        with self._read() as db:
            row = db.execute(
                "SELECT tenant_id::text, name, timezone FROM tenants WHERE tenant_id = %s", (_uuid_or_none(tenant_id),)
            ).fetchone()
        return Tenant(*row) if row else None

    # credentials --------------------------------------------------------------------------------------
    def create_key(self, key: ApiKey) -> None:
        with self._write() as db:
            db.execute(
                "INSERT INTO api_keys (tenant_id, key_id, role, secret_hash, created_us, revoked_us)"
                " VALUES (%s, %s, %s, %s, %s, %s)",
                (key.tenant_id, key.id, key.role, key.secret_hash, key.created_us, key.revoked_us),
            )

    def get_key(self, key_id: str) -> ApiKey | None:
        with self._read() as db:
            row = db.execute(
                f"SELECT {_KEY_COLUMNS} FROM api_keys WHERE key_id = %s", (_uuid_or_none(key_id),)
            ).fetchone()
        return ApiKey(*row) if row else None

    def list_keys(self, tenant_id: str) -> list[ApiKey]:
        with self._read() as db:
            rows = db.execute(
                f"SELECT {_KEY_COLUMNS} FROM api_keys WHERE tenant_id = %s ORDER BY created_us, key_id",
                (_uuid_or_none(tenant_id),),
            ).fetchall()
        return [ApiKey(*row) for row in rows]

    def revoke_key(self, key_id: str, revoked_us: int) -> ApiKey | None:
        key = _uuid_or_none(key_id)
        with self._write() as db:
            db.execute(
                "UPDATE api_keys SET revoked_us = %s WHERE key_id = %s AND revoked_us IS NULL", (revoked_us, key)
            )
            db.execute("DELETE FROM tokens WHERE key_id = %s", (key,))
            row = db.execute(f"SELECT {_KEY_COLUMNS} FROM api_keys WHERE key_id = %s", (key,)).fetchone()
        return ApiKey(*row) if row else None

    def create_token(self, token: Token) -> None:
        with self._write() as db:
            db.execute("DELETE FROM tokens WHERE expires_us < %s", (token.expires_us - 10 * 86400 * 10**6,))
            db.execute(
                "INSERT INTO tokens (tenant_id, token_hash, key_id, expires_us) VALUES (%s, %s, %s, %s)",
                (token.tenant_id, token.token_hash, token.key_id, token.expires_us),
            )

    def get_token(self, token_hash: str) -> Token | None:
        with self._read() as db:
            row = db.execute(
                "SELECT token_hash, tenant_id::text, key_id::text, expires_us FROM tokens WHERE token_hash = %s",
                (token_hash,),
            ).fetchone()
        return Token(*row) if row else None

    # interactions -------------------------------------------------------------------------------------
    def upsert_records(self, tenant_id: str, records: Sequence[StoredRecord], now_us: int) -> UpsertCounts:
        if not records:
            return UpsertCounts()
        with self._write() as db:
            return self._upsert(db, tenant_id, records, now_us, derived=False)

    def _upsert(
        self,
        db: psycopg.Connection[Any],
        tenant_id: str,
        records: Sequence[StoredRecord],
        now_us: int,
        *,
        derived: bool,
    ) -> UpsertCounts:
        """`upsert_records` inside an open transaction; `derived` marks records made from events."""
        latest = newest_per_id(records)
        if not latest:
            return UpsertCounts()
        db.execute(_STAGE)
        with db.cursor().copy(f"COPY staged_interactions_v2 ({_RECORD_COLUMNS}) FROM STDIN") as copy:
            for record in latest.values():
                copy.write_row(_copy_row(tenant_id, record, now_us))
        written = db.execute(_MERGE[derived]).fetchall()
        replaced = [interaction_id for interaction_id, was_insert in written if not was_insert]
        if replaced:  # only replaced records have facets to remove
            db.execute(_DELETE_FACETS, {"tenant": tenant_id, "ids": replaced})
        if written:  # the written records' facets go straight in: none of them has any left
            _copy_facets(db, tenant_id, latest, [str(interaction_id) for interaction_id, _ in written])
        inserted = sum(1 for (_, was_insert) in written if was_insert)
        updated = len(written) - inserted
        return UpsertCounts(inserted, updated, len(latest) - len(written))

    # events -------------------------------------------------------------------------------------------
    def ingest_events(
        self, tenant_id: str, events: Sequence[StoredEvent], rebuild: Rebuild, now_us: int
    ) -> EventCounts:
        unique = first_per_id(events)
        if not unique:
            return EventCounts()
        buckets = sorted({zlib.crc32(event.interaction_id.encode()) % _LOCK_BUCKETS for event in unique.values()})
        tenant_key = zlib.crc32(tenant_id.encode()) * _LOCK_BUCKETS
        with self._write() as db:
            # One interaction's events are ingested by one transaction at a time, so each sees all the others
            # committed before it derives the record (READ COMMITTED: each statement sees the latest commits).
            db.execute(
                "SELECT count(pg_advisory_xact_lock(%s + bucket)) FROM unnest(%s::bigint[]) AS bucket",
                (tenant_key, buckets),
            )
            db.execute(_STAGE_EVENTS)
            with db.cursor().copy(
                "COPY staged_events_v1 (event_id, interaction_id, time_ts, type, doc) FROM STDIN"
            ) as copy:
                for e in unique.values():
                    copy.write_row((e.event_id, e.interaction_id, timestamp_param(e.time_us), e.type, e.doc.decode()))
            new = db.execute(_INSERT_EVENTS, (tenant_id,)).fetchall()
            touched = sorted({row[0] for row in new})
            if touched:
                found: dict[str, list[bytes]] = {}
                for interaction_id, doc in db.execute(_EVENTS_OF, (tenant_id, touched)):
                    found.setdefault(interaction_id, []).append(doc)
                self._upsert(db, tenant_id, rebuild(found), now_us, derived=True)
        return EventCounts(len(new), len(events) - len(new), len(touched))

    def events_of(self, tenant_id: str, interaction_id: str) -> list[bytes]:
        with self._read() as db:
            found = db.execute(_EVENTS_IN_ORDER, (tenant_id, [_uuid_or_none(interaction_id)]))
            return [bytes(row[1]) for row in found]

    # service levels -----------------------------------------------------------------------------------
    def create_sla(self, tenant_id: str, sla: Sla) -> None:
        try:
            with self._write() as db:
                db.execute(
                    "INSERT INTO slas (tenant_id, sla_id, name, queue_id, created_us) VALUES (%s, %s, %s, %s, %s)",
                    (tenant_id, sla.id, sla.name, sla.queue_id, sla.created_us),
                )
                for version in sla.versions:
                    _insert_version(db, tenant_id, sla.id, version)
        except psycopg.errors.UniqueViolation:
            raise Conflict(sla_conflict(sla)) from None

    def add_sla_version(self, tenant_id: str, sla_id: str, version: SlaVersion) -> SlaVersion | None:
        sla_key = _uuid_or_none(sla_id)
        if sla_key is None:
            return None
        with self._write() as db:
            row = db.execute(
                "SELECT 1 FROM slas WHERE tenant_id = %s AND sla_id = %s FOR UPDATE", (tenant_id, sla_key)
            ).fetchone()
            if row is None:
                return None
            last = db.execute(
                "SELECT coalesce(max(version), 0), coalesce(max(from_us), 0) FROM sla_versions"
                " WHERE tenant_id = %s AND sla_id = %s",
                (tenant_id, sla_key),
            ).fetchone()
            number, since = (int(last[0]), int(last[1])) if last else (0, 0)
            added = replace(version, version=number + 1, from_us=max(version.from_us, since))
            _insert_version(db, tenant_id, sla_key, added)
        return added

    def get_sla(self, tenant_id: str, sla_id: str) -> Sla | None:
        sla_key = _uuid_or_none(sla_id)
        if sla_key is None:
            return None
        found = self._slas(tenant_id, "AND sla_id = %s", (sla_key,))
        return found[0] if found else None

    def list_slas(self, tenant_id: str) -> list[Sla]:
        return self._slas(tenant_id, "", ())

    def _slas(self, tenant_id: str, condition: str, params: tuple[object, ...]) -> list[Sla]:
        with self._read() as db:
            rows = db.execute(
                f"SELECT {_SLA_COLUMNS} FROM slas WHERE tenant_id = %s {condition}"
                " ORDER BY queue_id IS NOT NULL, queue_id, sla_id",
                (tenant_id, *params),
            ).fetchall()
            versions: dict[str, list[SlaVersion]] = {}
            for row in db.execute(
                f"SELECT sla_id::text, {_VERSION_COLUMNS} FROM sla_versions WHERE tenant_id = %s {condition}"
                " ORDER BY version",
                (tenant_id, *params),
            ):
                versions.setdefault(row[0], []).append(SlaVersion(row[1], row[2], row[3], row[4], row[5]))
        return [Sla(row[0], row[1], row[2], row[3], tuple(versions.get(row[0], ()))) for row in rows]

    def search(self, tenant_id: str, request: PageRequest) -> Page:
        with self._read() as db:
            return run_search(
                lambda statement: db.execute(statement.sql, statement.params).fetchall(), tenant_id, request, DIALECT
            )

    def export_keys(self, tenant_id: str, query: Query, limit: int) -> list[ExportKey]:
        statement = export_keys_statement(tenant_id, query, DIALECT, limit=limit)
        with self._read() as db:
            rows = db.execute(statement.sql, statement.params).fetchall()
        return [ExportKey(_micros(row[0]), str(row[1])) for row in rows]

    def export_docs(self, tenant_id: str, keys: list[ExportKey], include_nulls: bool) -> list[bytes]:
        column = "coalesce(doc_with_nulls, doc)" if include_nulls else "doc"
        ids = [key.interaction_id for key in keys]
        with self._read() as db:
            rows = db.execute(
                f"SELECT interaction_id::text, {column} FROM interactions"
                " WHERE tenant_id = %s AND interaction_id = ANY(%s::uuid[])",
                (tenant_id, ids),
            ).fetchall()
        found = dict(rows)
        return [found[interaction_id] for interaction_id in ids if interaction_id in found]

    def secret(self, name: str, make: Callable[[], str]) -> str:
        with self._write() as db:
            db.execute("INSERT INTO settings (name, value) VALUES (%s, %s) ON CONFLICT DO NOTHING", (name, make()))
            row = db.execute("SELECT value FROM settings WHERE name = %s", (name,)).fetchone()
        return str(row[0]) if row else ""

    def get_record(self, tenant_id: str, interaction_id: str, include_nulls: bool) -> bytes | None:
        column = "coalesce(doc_with_nulls, doc)" if include_nulls else "doc"
        with self._read() as db:
            row = db.execute(
                f"SELECT {column} FROM interactions WHERE tenant_id = %s AND interaction_id = %s",
                (tenant_id, interaction_id),
            ).fetchone()
        return bytes(row[0]) if row else None


def _insert_version(db: psycopg.Connection[Any], tenant_id: str, sla_id: str, v: SlaVersion) -> None:
    db.execute(
        f"INSERT INTO sla_versions (tenant_id, sla_id, {_VERSION_COLUMNS}) VALUES (%s, %s, %s, %s, %s, %s, %s)",
        (tenant_id, sla_id, v.version, v.sla_threshold, v.abandon_type, v.abandon_threshold, v.from_us),
    )


def _copy_facets(
    db: psycopg.Connection[Any], tenant_id: str, records: dict[str, StoredRecord], written: list[str]
) -> None:
    """COPY the facets of the written records into `interaction_facets`, in key order (it keeps index
    inserts local). Plain inserts: a written record has no facets left (new, or its old ones deleted)."""
    rows: list[tuple[str, str, int, str, datetime | str]] = []
    for interaction_id in written:
        record = records[interaction_id]
        start = timestamp_param(record.start_us)
        rows.extend((kind, value, record.start_us, interaction_id, start) for kind, value in record.facets)
    rows.sort()  # by key; the last item (the start as a parameter) is never compared: the key is unique
    with db.cursor().copy(
        "COPY interaction_facets (tenant_id, kind, value, start_ts, interaction_id) FROM STDIN"
    ) as copy:
        for kind, value, _, interaction_id, start in rows:
            copy.write_row((tenant_id, kind, value, start, interaction_id))


def _uuid_or_none(text: str) -> str | None:
    """Ids that come from clients: anything that is not a UUID matches no row (and must not error)."""
    return normalize_uuid(text)


def _copy_row(tenant_id: str, record: StoredRecord, now_us: int) -> tuple[object, ...]:
    return (
        tenant_id,
        record.interaction_id,
        timestamp_param(record.start_us),
        timestamp_param(record.end_us) if record.end_us is not None else None,
        now_us,
        1,
        record.revision,
        record.channel_type,
        record.direction,
        record.customer,
        record.contact_point,
        record.contact_id,
        record.flow_id,
        record.flagged,
        record.abandoned,
        record.doc.decode("utf-8"),
        record.doc_with_nulls.decode("utf-8") if record.doc_with_nulls is not None else None,
    )


def _micros(value: datetime | int) -> int:
    """A keyset time as epoch microseconds (PostgreSQL returns timestamptz columns as datetimes)."""
    if isinstance(value, datetime):
        return (value - _EPOCH) // timedelta(microseconds=1)
    return int(value)
