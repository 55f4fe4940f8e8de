"""The SQLite store: the embedded default.

WAL mode: one writer at a time (a process-wide lock plus `BEGIN IMMEDIATE`), readers on their own
per-thread connections that never block it. Documents are BLOBs holding the JSON text clients receive.
"""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, replace
from pathlib import Path

import msgspec

from cxreport import clock
from cxreport.errors import ConfigError, Conflict, SchemaTooNew, StoreUnavailable
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
    replaces,
    sla_conflict,
)
from cxreport.store.querying import Dialect, export_keys_statement, run_search
from cxreport.store.sqlite_checkpoints import BackgroundCheckpoints
from cxreport.store.sqlite_deadline import DeadlineConnection, untimed
from cxreport.store.sqlite_schema import MIGRATIONS

_LOOKUP_CHUNK = 500

_INSERT_RECORD = """
    INSERT INTO interactions (tenant_id, interaction_id, start_us, end_us, updated_us, revision, record_revision,
        channel_type, direction, customer, contact_point, contact_id, flow_id, flagged, abandoned, doc, doc_with_nulls,
        facets, derived)
    VALUES (?, ?, ?, ?, ?, 1, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
"""
_UPDATE_RECORD = """
    UPDATE interactions SET start_us = ?, end_us = ?, updated_us = ?, revision = revision + 1, record_revision = ?,
        channel_type = ?, direction = ?, customer = ?, contact_point = ?, contact_id = ?, flow_id = ?,
        flagged = ?, abandoned = ?, doc = ?, doc_with_nulls = ?, facets = ?, derived = ?
    WHERE tenant_id = ? AND interaction_id = ?
"""
_DELETE_FACET = (
    "DELETE FROM interaction_facets"
    " WHERE tenant_id = ? AND kind = ? AND value = ? AND start_us = ? AND interaction_id = ?"
)
_INSERT_FACETS_OF = """
    INSERT OR IGNORE INTO interaction_facets (tenant_id, kind, value, start_us, interaction_id)
    SELECT i.tenant_id, json_extract(facet.value, '$[0]'), json_extract(facet.value, '$[1]'), i.start_us,
        i.interaction_id
    FROM json_each(?) AS written
    JOIN interactions AS i ON i.tenant_id = ? AND i.interaction_id = written.value,
        json_each(CAST(i.facets AS TEXT)) AS facet
    ORDER BY 2, 3, 4, 5
"""
"""The facets of the records just written (a JSON array of interactionIds), from their `facets` column, in key
order: SQLite unpacks and sorts them, a third of the CPU of sorting and binding each facet row from Python.
Needs SQLite's JSON functions (built in since 3.38; compiled in by nearly every earlier build) and nothing newer
than 3.9; the CAST keeps SQLite 3.45+ from reading the BLOB as its binary JSONB."""
_INSERT_EVENT = (
    "INSERT OR IGNORE INTO events (tenant_id, event_id, interaction_id, time_us, type, doc) VALUES (?, ?, ?, ?, ?, ?)"
)
_SLA_COLUMNS = "sla_id, name, queue_id, created_us"
_VERSION_COLUMNS = "version, sla_threshold, abandon_type, abandon_threshold, from_us"
DIALECT = Dialect(
    time_columns={"start": "start_us", "end": "end_us", "updated": "updated_us"}, time_param=int, row_id="rowid"
)
_DOC_WITH_NULLS = "coalesce(doc_with_nulls, doc)"


@dataclass(frozen=True, slots=True)
class Memory:
    """How much memory each connection may use. The defaults suit a server (memory-mapped reads, a
    modest page cache); a bulk import wants a large cache (its index inserts land all over the file), and a
    bulk export wants neither (it reads each page once: caching it only grows the process)."""

    mmap_bytes: int = 1 << 30
    cache_bytes: int = 64 << 20
    background_checkpoints: bool = False
    """Checkpoint the write-ahead log on a thread of its own instead of in the committing writer (imports)."""
    temp_in_memory: bool = False
    """Temporary B-trees (the facet upsert's sort) in memory, not in temporary files: imports, whose sorts are
    bounded by their batches (on disk they cost a record import ~30% more system time, measured)."""


FOR_SERVING = Memory()
FOR_BULK_WRITES = Memory(mmap_bytes=1 << 30, cache_bytes=1 << 30, background_checkpoints=True, temp_in_memory=True)
FOR_BULK_READS = Memory(mmap_bytes=0, cache_bytes=8 << 20)


def sqlite_path_from_url(url: str) -> str:
    """`sqlite:///relative.db` or `sqlite:////absolute.db` → a file path (each thread opens its own
    connection, so an in-memory database is not supported)."""
    if not url.startswith("sqlite:///") or url.endswith(":memory:"):
        raise ConfigError(f"expected a SQLite URL such as sqlite:///cxreport.db, got {url!r}")
    return url.removeprefix("sqlite:///")


class SqliteStore(Store):
    def __init__(self, path: str, *, memory: Memory | None = None, statement_timeout_ms: int = 0) -> None:
        """`statement_timeout_ms` > 0: a statement running longer is interrupted (`StatementTimeout`)."""
        self._memory = memory or Memory()
        self._statement_timeout_ms = statement_timeout_ms
        self._path = path
        if path != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        self._local = threading.local()
        self._write_lock = threading.Lock()
        self._connections: list[sqlite3.Connection] = []
        self._connections_lock = threading.Lock()
        self._checkpoints: BackgroundCheckpoints | None = None

    # connections --------------------------------------------------------------------------------------
    def _connect(self) -> sqlite3.Connection:
        try:
            timed = self._statement_timeout_ms > 0
            connection = sqlite3.connect(
                self._path,
                isolation_level=None,
                check_same_thread=False,
                factory=DeadlineConnection if timed else sqlite3.Connection,
            )
            if isinstance(connection, DeadlineConnection):
                connection.arm(self._statement_timeout_ms)
            connection.execute("PRAGMA page_size = 16384")  # takes effect on a new file: records pack 2-3 a page
            connection.execute("PRAGMA busy_timeout = 30000")
            connection.execute("PRAGMA foreign_keys = ON")
            connection.execute("PRAGMA journal_mode = WAL")
            connection.execute("PRAGMA synchronous = NORMAL")
            connection.execute(f"PRAGMA mmap_size = {int(self._memory.mmap_bytes)}")
            connection.execute(f"PRAGMA cache_size = -{int(self._memory.cache_bytes) // 1024}")
            if self._memory.background_checkpoints:
                connection.execute("PRAGMA wal_autocheckpoint = 0")
            if self._memory.temp_in_memory:
                connection.execute("PRAGMA temp_store = MEMORY")
        except sqlite3.Error as error:
            raise StoreUnavailable(f"cannot open the SQLite database {self._path!r}: {error}") from error
        with self._connections_lock:
            self._connections.append(connection)
        return connection

    @property
    def _db(self) -> sqlite3.Connection:
        connection: sqlite3.Connection | None = getattr(self._local, "connection", None)
        if connection is None:
            connection = self._local.connection = self._connect()
        return connection

    @contextmanager
    def _write(self) -> Iterator[sqlite3.Connection]:
        """One write transaction: serialized in this process, `BEGIN IMMEDIATE` across processes."""
        with self._write_lock:
            db = self._db
            db.execute("BEGIN IMMEDIATE")
            try:
                yield db
            except BaseException:
                if db.in_transaction:  # an interrupted statement has rolled its transaction back already
                    db.execute("ROLLBACK")
                raise
            db.execute("COMMIT")
            if self._memory.background_checkpoints:
                if self._checkpoints is None:
                    self._checkpoints = BackgroundCheckpoints(self._path)
                self._checkpoints.after_commit()

    def close(self) -> None:
        if self._checkpoints is not None:
            self._checkpoints.close()
            self._checkpoints = None
        with self._connections_lock:
            for connection in self._connections:
                connection.close()
            self._connections.clear()
        self._local = threading.local()

    def refresh_statistics(self) -> None:
        """Nothing to do: SQLite plans from its indexes without statistics, and the search SQL is written
        for that (an ANALYZE could only change the plans it was measured with)."""

    def ping(self) -> None:
        try:
            self._db.execute("SELECT 1 FROM schema_migrations LIMIT 1").fetchall()
        except sqlite3.Error as error:
            raise StoreUnavailable(f"the SQLite database is unreachable: {error}") from error

    # schema -------------------------------------------------------------------------------------------
    def migrate(self) -> int:
        """Apply every pending migration in one transaction: all of them, or none."""
        with self._write() as db, untimed(db):
            db.execute("CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, applied_us INTEGER)")
            current = self._schema_version(db)
            if current > len(MIGRATIONS):
                raise SchemaTooNew(
                    f"the database is at schema version {current}, newer than this cxreport understands "
                    f"({len(MIGRATIONS)}); upgrade cxreport"
                )
            for version in range(current + 1, len(MIGRATIONS) + 1):
                for statement in _statements(MIGRATIONS[version - 1]):
                    db.execute(statement)
                db.execute(
                    "INSERT INTO schema_migrations (version, applied_us) VALUES (?, ?)", (version, clock.now_us())
                )
        return len(MIGRATIONS)

    def schema_version(self) -> int:
        return self._schema_version(self._db)

    @staticmethod
    def _schema_version(db: sqlite3.Connection) -> int:
        row = db.execute("SELECT coalesce(max(version), 0) FROM schema_migrations").fetchone()
        return int(row[0])

    # tenants ------------------------------------------------------------------------------------------
    def create_tenant(self, tenant: Tenant) -> None:
        try:
            with self._write() as db:
                db.execute(
                    "INSERT INTO tenants (tenant_id, name, timezone) VALUES (?, ?, ?)",
                    (tenant.id, tenant.name, tenant.timezone),
                )
        except sqlite3.IntegrityError:
            raise Conflict(f"a tenant with id {tenant.id} exists already") from None

    def get_tenant(self, tenant_id: str) -> Tenant | None:
        row = self._db.execute(
            "SELECT tenant_id, name, timezone FROM tenants WHERE tenant_id = ?", (tenant_id,)
        ).fetchone()
        return Tenant(*row) if row else None

    # credentials --------------------------------------------------------------------------------------
    def create_key(self, key: ApiKey) -> None:
        with self._write() as db:
            db.execute(
                "INSERT INTO api_keys (tenant_id, key_id, role, secret_hash, created_us, revoked_us)"
                " VALUES (?, ?, ?, ?, ?, ?)",
                (key.tenant_id, key.id, key.role, key.secret_hash, key.created_us, key.revoked_us),
            )

    _KEY_COLUMNS = "key_id, tenant_id, role, secret_hash, created_us, revoked_us"

    def get_key(self, key_id: str) -> ApiKey | None:
        row = self._db.execute(f"SELECT {self._KEY_COLUMNS} FROM api_keys WHERE key_id = ?", (key_id,)).fetchone()
        return ApiKey(*row) if row else None

    def list_keys(self, tenant_id: str) -> list[ApiKey]:
        rows = self._db.execute(
            f"SELECT {self._KEY_COLUMNS} FROM api_keys WHERE tenant_id = ? ORDER BY created_us, key_id",
            (tenant_id,),
        ).fetchall()
        return [ApiKey(*row) for row in rows]

    def revoke_key(self, key_id: str, revoked_us: int) -> ApiKey | None:
        with self._write() as db:
            db.execute(
                "UPDATE api_keys SET revoked_us = ? WHERE key_id = ? AND revoked_us IS NULL", (revoked_us, key_id)
            )
            db.execute("DELETE FROM tokens WHERE key_id = ?", (key_id,))
            row = db.execute(f"SELECT {self._KEY_COLUMNS} FROM api_keys WHERE key_id = ?", (key_id,)).fetchone()
        return ApiKey(*row) if row else None

    def create_token(self, token: Token) -> None:
        with self._write() as db:
            db.execute("DELETE FROM tokens WHERE expires_us < ?", (token.expires_us - 10 * 86400 * 10**6,))
            db.execute(
                "INSERT INTO tokens (tenant_id, token_hash, key_id, expires_us) VALUES (?, ?, ?, ?)",
                (token.tenant_id, token.token_hash, token.key_id, token.expires_us),
            )

    def get_token(self, token_hash: str) -> Token | None:
        row = self._db.execute(
            "SELECT token_hash, tenant_id, key_id, expires_us FROM tokens WHERE token_hash = ?", (token_hash,)
        ).fetchone()
        return Token(*row) if row else None

    # interactions -------------------------------------------------------------------------------------
    def upsert_records(self, tenant_id: str, records: Sequence[StoredRecord], now_us: int) -> UpsertCounts:
        with self._write() as db:
            return self._upsert(db, tenant_id, records, now_us, derived=False)

    def _upsert(
        self, db: sqlite3.Connection, tenant_id: str, records: Sequence[StoredRecord], now_us: int, *, derived: bool
    ) -> UpsertCounts:
        """`upsert_records` inside an open transaction; `derived` marks records made from events."""
        latest = newest_per_id(records)
        stored = self._stored_docs(db, tenant_id, list(latest))
        inserts: list[StoredRecord] = []
        updates: list[StoredRecord] = []
        replaced: list[_Stored] = []
        unchanged = 0
        for interaction_id, record in latest.items():
            previous = stored.get(interaction_id)
            if previous is None:
                inserts.append(record)
            elif previous.content != (record.doc, record.doc_with_nulls) and replaces(
                record, derived, (previous.revision, previous.derived)
            ):
                updates.append(record)
                replaced.append(previous)
            else:
                unchanged += 1
        flag = int(derived)
        db.executemany(_INSERT_RECORD, [(*_insert_row(tenant_id, record, now_us), flag) for record in inserts])
        db.executemany(_UPDATE_RECORD, [_update_row(tenant_id, record, now_us, flag) for record in updates])
        db.executemany(_DELETE_FACET, sorted(_facet_rows(tenant_id, replaced)))
        written = [record.interaction_id for record in inserts] + [record.interaction_id for record in updates]
        if written:
            db.execute(_INSERT_FACETS_OF, (msgspec.json.encode(written).decode(), tenant_id))
        return UpsertCounts(len(inserts), len(updates), unchanged)

    @staticmethod
    def _stored_docs(db: sqlite3.Connection, tenant_id: str, interaction_ids: list[str]) -> dict[str, _Stored]:
        """What is stored of these interactions: their text, revision, derivation, start and facets."""
        stored: dict[str, _Stored] = {}
        for start in range(0, len(interaction_ids), _LOOKUP_CHUNK):
            chunk = interaction_ids[start : start + _LOOKUP_CHUNK]
            marks = ",".join("?" * len(chunk))
            rows = db.execute(
                f"SELECT interaction_id, doc, doc_with_nulls, record_revision, derived, start_us, facets"
                f" FROM interactions WHERE tenant_id = ? AND interaction_id IN ({marks})",
                (tenant_id, *chunk),
            )
            for interaction_id, doc, with_nulls, revision, was_derived, start_us, facets in rows:
                stored[interaction_id] = _Stored(
                    interaction_id, (doc, with_nulls), revision, bool(was_derived), start_us, facets
                )
        return stored

    def search(self, tenant_id: str, request: PageRequest) -> Page:
        db = self._db
        return run_search(
            lambda statement: db.execute(statement.sql, statement.params).fetchall(), tenant_id, request, DIALECT
        )

    def export_keys(self, tenant_id: str, query: Query, limit: int) -> list[ExportKey]:
        statement = export_keys_statement(tenant_id, query, DIALECT, limit=limit)
        rows = self._db.execute(statement.sql, statement.params).fetchall()
        return [ExportKey(row[0], row[1], row[2] if statement.by_row_id else None) for row in rows]

    def export_docs(self, tenant_id: str, keys: list[ExportKey], include_nulls: bool) -> list[bytes]:
        column = _DOC_WITH_NULLS if include_nulls else "doc"
        if keys and keys[0].row is not None:  # the rows themselves, by rowid
            handles: list[object] = [key.row for key in keys]
            rows = self._db.execute(
                f"SELECT rowid, {column} FROM interactions WHERE rowid IN ({','.join('?' * len(handles))})", handles
            ).fetchall()
        else:
            handles = [key.interaction_id for key in keys]
            rows = self._db.execute(
                f"SELECT interaction_id, {column} FROM interactions"
                f" WHERE tenant_id = ? AND interaction_id IN ({','.join('?' * len(handles))})",
                [tenant_id, *handles],
            ).fetchall()
        found = dict(rows)
        return [found[handle] for handle in handles if handle in found]

    def secret(self, name: str, make: Callable[[], str]) -> str:
        with self._write() as db:
            db.execute("INSERT OR IGNORE INTO settings (name, value) VALUES (?, ?)", (name, make()))
            return str(db.execute("SELECT value FROM settings WHERE name = ?", (name,)).fetchone()[0])

    def get_record(self, tenant_id: str, interaction_id: str, include_nulls: bool) -> bytes | None:
        column = _DOC_WITH_NULLS if include_nulls else "doc"
        row = self._db.execute(
            f"SELECT {column} FROM interactions WHERE tenant_id = ? AND interaction_id = ?",
            (tenant_id, interaction_id),
        ).fetchone()
        return bytes(row[0]) if row else None

    # events -------------------------------------------------------------------------------------------
    def ingest_events(
        self, tenant_id: str, events: Sequence[StoredEvent], rebuild: Rebuild, now_us: int
    ) -> EventCounts:
        unique = first_per_id(events)
        rows = [event for _key, event in sorted(unique.items())]  # index inserts in key order: each page visited once
        with self._write() as db:
            last = db.execute("SELECT coalesce(max(rowid), 0) FROM events").fetchone()[0]
            before = db.total_changes
            rows_in = [(tenant_id, e.event_id, e.interaction_id, e.time_us, e.type, _blob(e.doc)) for e in rows]
            db.executemany(_INSERT_EVENT, rows_in)
            if db.total_changes - before == len(rows):
                new = rows  # no duplicate: the common case costs no lookup
            else:  # the rows this transaction inserted are the ones after the last rowid before it
                inserted = set(db.execute("SELECT interaction_id, event_id FROM events WHERE rowid > ?", (last,)))
                new = [event for event in rows if (event.interaction_id, event.event_id) in inserted]
            touched = sorted({event.interaction_id for event in new})
            if touched:
                stored = self._prior_events(db, tenant_id, touched, last)
                self._upsert(db, tenant_id, rebuild(_with_new(stored, new)), now_us, derived=True)
        return EventCounts(len(new), len(events) - len(new), len(touched))

    @staticmethod
    def _prior_events(
        db: sqlite3.Connection, tenant_id: str, interaction_ids: list[str], last: int
    ) -> dict[str, list[bytes]]:
        """The events of these interactions stored before this transaction (rowid up to `last`), as JSON
        text: an interaction new to the store costs one index probe."""
        found: dict[str, list[bytes]] = {}
        for start in range(0, len(interaction_ids), _LOOKUP_CHUNK):
            chunk = interaction_ids[start : start + _LOOKUP_CHUNK]
            marks = ",".join("?" * len(chunk))
            rows = db.execute(
                f"SELECT interaction_id, doc FROM events WHERE tenant_id = ? AND interaction_id IN ({marks})"
                " AND rowid <= ?",
                (tenant_id, *chunk, last),
            )
            for interaction_id, doc in rows:
                found.setdefault(interaction_id, []).append(bytes(doc))
        return found

    @staticmethod
    def _events_of(db: sqlite3.Connection, tenant_id: str, interaction_ids: list[str]) -> dict[str, list[bytes]]:
        found: dict[str, list[bytes]] = {}
        for start in range(0, len(interaction_ids), _LOOKUP_CHUNK):
            chunk = interaction_ids[start : start + _LOOKUP_CHUNK]
            marks = ",".join("?" * len(chunk))
            rows = db.execute(
                f"SELECT interaction_id, doc FROM events WHERE tenant_id = ? AND interaction_id IN ({marks})"
                " ORDER BY interaction_id, time_us, event_id",
                (tenant_id, *chunk),
            )
            for interaction_id, doc in rows:
                found.setdefault(interaction_id, []).append(bytes(doc))
        return found

    def events_of(self, tenant_id: str, interaction_id: str) -> list[bytes]:
        return self._events_of(self._db, tenant_id, [interaction_id]).get(interaction_id, [])

    # service levels -----------------------------------------------------------------------------------
    def create_sla(self, tenant_id: str, sla: Sla) -> None:
        try:
            with self._write() as db:
                db.execute(
                    f"INSERT INTO slas (tenant_id, {_SLA_COLUMNS}) VALUES (?, ?, ?, ?, ?)",
                    (tenant_id, sla.id, sla.name, sla.queue_id, sla.created_us),
                )
                for version in sla.versions:
                    self._insert_version(db, tenant_id, sla.id, version)
        except sqlite3.IntegrityError:
            raise Conflict(sla_conflict(sla)) from None

    @staticmethod
    def _insert_version(db: sqlite3.Connection, tenant_id: str, sla_id: str, v: SlaVersion) -> None:
        db.execute(
            f"INSERT INTO sla_versions (tenant_id, sla_id, {_VERSION_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?)",
            (tenant_id, sla_id, v.version, v.sla_threshold, v.abandon_type, v.abandon_threshold, v.from_us),
        )

    def add_sla_version(self, tenant_id: str, sla_id: str, version: SlaVersion) -> SlaVersion | None:
        with self._write() as db:
            row = db.execute(
                "SELECT max(v.version), max(v.from_us) FROM slas s LEFT JOIN sla_versions v"
                " ON v.tenant_id = s.tenant_id AND v.sla_id = s.sla_id WHERE s.tenant_id = ? AND s.sla_id = ?"
                " GROUP BY s.sla_id",
                (tenant_id, sla_id),
            ).fetchone()
            if row is None:
                return None
            added = replace(version, version=(row[0] or 0) + 1, from_us=max(version.from_us, row[1] or 0))
            self._insert_version(db, tenant_id, sla_id, added)
        return added

    def get_sla(self, tenant_id: str, sla_id: str) -> Sla | None:
        found = self._slas(tenant_id, "AND sla_id = ?", (sla_id,))
        return found[0] if found else None

    def list_slas(self, tenant_id: str) -> list[Sla]:
        return self._slas(tenant_id, "", ())

    def _slas(self, tenant_id: str, condition: str, params: tuple[object, ...]) -> list[Sla]:
        db = self._db
        rows = db.execute(
            f"SELECT {_SLA_COLUMNS} FROM slas WHERE tenant_id = ? {condition}"
            " ORDER BY queue_id IS NOT NULL, queue_id, sla_id",
            (tenant_id, *params),
        ).fetchall()
        versions: dict[str, list[SlaVersion]] = {}
        for sla_id, *version in db.execute(
            f"SELECT sla_id, {_VERSION_COLUMNS} FROM sla_versions WHERE tenant_id = ? {condition} ORDER BY version",
            (tenant_id, *params),
        ):
            versions.setdefault(sla_id, []).append(SlaVersion(*version))
        return [Sla(row[0], row[1], row[2], row[3], tuple(versions.get(row[0], ()))) for row in rows]


_blob = bytearray
"""A BLOB parameter as Python's sqlite3 binds it fastest: it adapts every parameter that is not exactly an int,
float, str or bytearray, and adapting a `bytes` costs a formatted AttributeError (~2 µs an event row, measured)."""


def _statements(script: str) -> list[str]:
    return [statement.strip() for statement in script.split(";") if statement.strip()]


def _promoted(record: StoredRecord) -> tuple[object, ...]:
    return (
        record.channel_type,
        record.direction,
        record.customer,
        record.contact_point,
        record.contact_id,
        record.flow_id,
        int(record.flagged),
        int(record.abandoned),
    )


def _insert_row(tenant_id: str, record: StoredRecord, now_us: int) -> tuple[object, ...]:
    return (
        tenant_id,
        record.interaction_id,
        record.start_us,
        record.end_us,
        now_us,
        record.revision,
        *_promoted(record),
        _blob(record.doc),
        None if record.doc_with_nulls is None else _blob(record.doc_with_nulls),
        _blob(msgspec.json.encode(record.facets)),
    )


def _update_row(tenant_id: str, record: StoredRecord, now_us: int, derived: int) -> tuple[object, ...]:
    return (
        record.start_us,
        record.end_us,
        now_us,
        record.revision,
        *_promoted(record),
        _blob(record.doc),
        None if record.doc_with_nulls is None else _blob(record.doc_with_nulls),
        _blob(msgspec.json.encode(record.facets)),
        derived,
        tenant_id,
        record.interaction_id,
    )


@dataclass(frozen=True, slots=True)
class _Stored:
    """A stored record, as much as an upsert needs to know of it."""

    interaction_id: str
    content: tuple[bytes, bytes | None]
    revision: int | None
    derived: bool
    start_us: int
    facets_blob: bytes | None

    @property
    def facets(self) -> list[tuple[str, str]]:
        return [(kind, value) for kind, value in _decode_facets.decode(self.facets_blob)] if self.facets_blob else []


_decode_facets = msgspec.json.Decoder(list[tuple[str, str]])


def _facet_rows(tenant_id: str, records: Sequence[_Stored]) -> Iterator[tuple[object, ...]]:
    """Facet rows (the primary key of `interaction_facets`) of records about to be replaced, to delete by key."""
    for record in records:
        for kind, value in record.facets:
            yield (tenant_id, kind, value, record.start_us, record.interaction_id)


def _with_new(stored: dict[str, list[bytes]], new: Sequence[StoredEvent]) -> dict[str, list[bytes]]:
    """Every event of each interaction that got new ones: those stored before, then the new ones."""
    merged = stored
    for event in new:
        docs = merged.get(event.interaction_id)
        if docs is None:
            docs = merged[event.interaction_id] = []
        docs.append(event.doc)
    return merged
