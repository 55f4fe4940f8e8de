"""The SQLite store: the embedded default.

WAL mode: one writer at a time (a process-wide lock plus `BEGIN IMMEDIATE`), readers on their own
per-thread connections that never block it. Documents are BLOBs holding the JSON text clients receive.

What lives here is what only SQLite does: its connections and pragmas, the record upsert (compared in Python,
then `executemany`, facets unpacked by SQLite's JSON functions), the events transaction's insert
(`INSERT OR IGNORE`, new rows told by rowid) and prior-events read, and export by rowid. The SQL both stores
share is in `common.py` and `statements.py`; the events transaction's steps in `events.py`.
"""

from __future__ import annotations

import os
import sqlite3
import threading
import weakref
from collections.abc import Iterator, Sequence
from contextlib import AbstractContextManager, contextmanager, suppress
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import cast

import msgspec

from cxreport.errors import ConfigError, StoreUnavailable
from cxreport.store import hours, realtime, rollups
from cxreport.store.base import (
    AgentEventKey,
    BulkUpsert,
    EventKey,
    ExportKey,
    Query,
    StoredAgentEvent,
    StoredEvent,
    StoredRecord,
    UpsertCounts,
    newest_per_id,
    replaces,
)
from cxreport.store.common import SqlStore
from cxreport.store.dialect import Dialect
from cxreport.store.events import NewEvents, by_interaction, live_rows, with_new
from cxreport.store.facts import BACKFILL_BATCH, FACT_COLUMNS, backfill, fact_rows
from cxreport.store.querying import export_keys_statement
from cxreport.store.sqlite_checkpoints import BackgroundCheckpoints
from cxreport.store.sqlite_deadline import DeadlineConnection, is_interruption, translated, untimed
from cxreport.store.sqlite_schema import MIGRATIONS
from cxreport.store.statements import Statements, doc_column
from cxreport.store.waits import busy, lock_wait

_LOOKUP_CHUNK = 500
_BUSY_TIMEOUT_MS = 30_000
"""How long a write waits for another process's write lock when its caller set no deadline (`store/waits.py`)."""

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
_FACT_COLUMNS = FACT_COLUMNS.format(start="start_us")
_INSERT_FACT = (
    f"INSERT INTO queue_entry_facts ({_FACT_COLUMNS}) VALUES ({', '.join('?' * (_FACT_COLUMNS.count(',') + 1))})"
)
_BY_INTERACTION = "queue_entry_facts AS f INDEXED BY queue_entry_facts_by_interaction"
"""The facts, read by interaction: without `INDEXED BY` SQLite scans all the tenant's facts in key order instead."""
_NEW_FACTS = f"json_each(?) AS n CROSS JOIN {_BY_INTERACTION}"
_DELETE_LIVE = "DELETE FROM live_interactions WHERE tenant_id = ? AND interaction_id = ?"
_INSERT_LIVE = "INSERT INTO live_interactions (tenant_id, interaction_id, last_us, activities) VALUES (?, ?, ?, ?)"
_DELETE_FACTS = "DELETE FROM queue_entry_facts WHERE tenant_id = ? AND interaction_id = ?"
_INSERT_EVENT = (
    "INSERT OR IGNORE INTO events (tenant_id, event_id, interaction_id, time_us, type, doc) VALUES (?, ?, ?, ?, ?, ?)"
)
DIALECT = Dialect(
    time_columns={"start": "start_us", "end": "end_us", "updated": "updated_us"}, time_param=int, row_id="rowid",
    native_sums=True,
)


@dataclass(frozen=True, slots=True)
class Memory:
    """How much memory each connection may use. The defaults suit a server (memory-mapped reads, a
    modest page cache). A bulk import wants a bounded process whatever the file's size: no memory map (every
    page of a growing database it touched would stay resident: 650 MB for 100,000 records), a 32 MiB cache
    (its index inserts land all over the file; pages it misses come from the operating system's cache, which
    the process does not hold; a sort may use as much again: 64 MiB peaked at 195 MB with 20,000-record
    transactions, 32 MiB at 164 MB for the same CPU) and temporary files on disk (a statement's journal holds a
    copy of every page it changes: in memory, the facet insert's grew with the database, +110 MB at 100,000
    records). A bulk export wants a small cache (it reads each page once) and the whole file mapped (SQLite caps
    the size at its build's maximum, 2 GiB here): reading through the map instead of copying each page in halves
    the reads' CPU (issue 16: 1.2 vs 2.1 s for 300,000 records). The pages it touched count in its RSS, but as
    the operating system's file cache (clean, shared, reclaimable), not the process's own memory."""

    mmap_bytes: int = 1 << 30
    cache_bytes: int = 64 << 20
    background_checkpoints: bool = False
    """Checkpoint the write-ahead log on a thread of its own instead of in the committing writer (imports)."""
    heap_limit_bytes: int = 0
    """All connections' memory together, in the whole process (SQLite's soft heap limit; 0: none). Each connection
    has a page cache of its own, and a server has a connection per worker thread (up to 40): on a file larger than
    the memory map, their caches filled to 40 × `cache_bytes` under bursts of statistics requests (issue 16: the
    process's anonymous memory rose ~10 MB a burst). Past the limit, a connection reuses its own cache's pages
    instead of adding more."""
    temp_in_memory: bool = False
    """Temporary B-trees and statement journals in memory, not in temporary files (which the operating system
    caches, outside the process). Off for imports since issue 16: a statement journal is as big as the pages
    its statement changes, which grows with the database (measured: no more CPU on disk, 23.1 vs 25.0 s for
    100,000 records; session 2 had measured ~30% more system time on disk for the facet sort alone)."""


FOR_SERVING = Memory(heap_limit_bytes=256 << 20)
FOR_BULK_WRITES = Memory(mmap_bytes=0, cache_bytes=32 << 20, background_checkpoints=True)
FOR_BULK_READS = Memory(mmap_bytes=1 << 40, cache_bytes=8 << 20)


def sqlite_path_from_url(url: str) -> str:
    """`sqlite:///relative.db` or `sqlite:////absolute.db` → a file path (each thread opens its own
    connection, so an in-memory database is not supported)."""
    if not url.startswith("sqlite:///") or url.endswith(":memory:"):
        raise ConfigError(f"expected a SQLite URL such as sqlite:///cxreport.db, got {url!r}")
    return url.removeprefix("sqlite:///")


def _create_private(path: Path) -> None:
    """A new database file is created readable by its owner alone (0600): it holds the cursor-signing key and
    every tenant's data. SQLite gives its `-wal` and `-shm` files the database file's permissions. An existing
    file keeps the permissions its operator gave it."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with suppress(FileExistsError):
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))


class SqliteStore(SqlStore[sqlite3.Connection]):
    reads_in_process = True
    _dialect = DIALECT
    _sql = Statements(DIALECT)
    _duplicate = sqlite3.IntegrityError

    def __init__(self, path: str, *, memory: Memory | None = None, statement_timeout_ms: int = 0) -> None:
        """`statement_timeout_ms` > 0: a statement running longer is interrupted (`StatementTimeout`)."""
        self._memory = memory or Memory()
        self._statement_timeout_ms = statement_timeout_ms
        self._path = path
        if path != ":memory:":
            _create_private(Path(path))
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
            connection.execute(f"PRAGMA busy_timeout = {_BUSY_TIMEOUT_MS}")
            connection.execute("PRAGMA foreign_keys = ON")
            connection.execute("PRAGMA journal_mode = WAL")
            connection.execute("PRAGMA synchronous = NORMAL")
            connection.execute(f"PRAGMA mmap_size = {int(self._memory.mmap_bytes)}")
            connection.execute(f"PRAGMA cache_size = -{int(self._memory.cache_bytes) // 1024}")
            if self._memory.heap_limit_bytes:
                connection.execute(f"PRAGMA soft_heap_limit = {int(self._memory.heap_limit_bytes)}")
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
        owned: _ThreadConnection | None = getattr(self._local, "owned", None)
        if owned is None:
            connection = self._connect()
            owned = self._local.owned = _ThreadConnection(connection)
            weakref.finalize(owned, self._release, connection)
        return owned.connection

    def _release(self, connection: sqlite3.Connection) -> None:
        """A thread that used the store has ended (its thread-local slot, and so its `_ThreadConnection`, is
        gone): close its connection, so that a server whose worker threads come and go with the traffic holds
        no more connections, file descriptors and memory maps than it has threads alive."""
        with self._connections_lock:
            if connection in self._connections:
                self._connections.remove(connection)
        connection.close()

    @contextmanager
    def _write(self) -> Iterator[sqlite3.Connection]:
        """One write transaction: serialized in this process, `BEGIN IMMEDIATE` across processes."""
        wait = lock_wait()
        if not self._write_lock.acquire(timeout=-1 if wait is None else wait):
            raise busy()
        try:
            db = self._db
            self._begin_immediate(db, wait)
            try:
                yield db
            except BaseException as error:
                if db.in_transaction:  # an interrupted statement has rolled its transaction back already
                    db.execute("ROLLBACK")
                if is_interruption(error):  # while fetching rows (`execute` translates its own)
                    raise translated(error) from None  # type: ignore[arg-type]
                raise
            db.execute("COMMIT")
            if self._memory.background_checkpoints:
                if self._checkpoints is None:
                    self._checkpoints = BackgroundCheckpoints(self._path)
                self._checkpoints.after_commit()
        finally:
            self._write_lock.release()

    @staticmethod
    def _begin_immediate(db: sqlite3.Connection, wait: float | None) -> None:
        """`BEGIN IMMEDIATE`, waiting for another process's write at most `wait` seconds (a 503 `busy` then),
        or the connection's 30 s busy timeout without a deadline."""
        if wait is None:
            db.execute("BEGIN IMMEDIATE")
            return
        db.execute(f"PRAGMA busy_timeout = {int(wait * 1000)}")
        try:
            db.execute("BEGIN IMMEDIATE")
        except sqlite3.OperationalError as error:
            if "locked" in str(error) or "busy" in str(error):
                raise busy() from None
            raise
        finally:
            db.execute(f"PRAGMA busy_timeout = {_BUSY_TIMEOUT_MS}")

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

    def _read(self) -> AbstractContextManager[sqlite3.Connection]:
        """This thread's connection (readers never block the writer, nor each other)."""
        return _Reading(self._db)

    # schema -------------------------------------------------------------------------------------------
    @contextmanager
    def _migrating(self) -> Iterator[sqlite3.Connection]:
        with self._write() as db, untimed(db):
            db.execute("CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, applied_us INTEGER)")
            yield db

    def _migrations(self) -> list[str]:
        return MIGRATIONS

    def _statements(self, script: str) -> list[str]:
        return [statement.strip() for statement in script.split(";") if statement.strip()]

    # interactions -------------------------------------------------------------------------------------
    bulk_batch_size = 50_000
    bulk_chunk = 1_000

    @contextmanager
    def bulk_transaction(self, tenant_id: str) -> Iterator[BulkUpsert]:
        """One write transaction for many chunks of records (`cxreport import`'s batch): each commit rewrites
        every index page the transaction dirtied, and records in random time order dirty nearly as many pages
        in 2,000 records as in 20,000, so fewer, bigger transactions cost far less a record (issue 16). The
        records come a chunk at a time, so memory holds a chunk, not the batch. Each chunk's records, their facts
        and the facet deletions of the records they replace are written as it comes; the facets, the hourly
        counts, the rollups and the realtime slot counters of the whole batch are written once, before the
        commit (`_Deferred`): one sorted pass over each index instead of one a chunk, and a rollup row a slot
        and group for the batch instead of one a chunk."""
        with self._write() as db:
            deferred = _Deferred()
            noted = False

            def write(records: Sequence[StoredRecord], now_us: int) -> UpsertCounts:
                nonlocal noted
                counts = self._upsert(db, tenant_id, records, now_us, derived=False, deferred=deferred)
                if not noted and (counts.inserted or counts.updated):
                    self._note_change(db, tenant_id, records[0].interaction_id)
                    noted = True
                return counts

            yield write
            _write_deferred(db, tenant_id, deferred)

    def _upsert(
        self, db: sqlite3.Connection, tenant_id: str, records: Sequence[StoredRecord], now_us: int, *, derived: bool,
        deferred: _Deferred | None = None,
    ) -> UpsertCounts:
        """`upsert_records` inside an open transaction; `derived` marks records made from events. With
        `deferred`, what can wait for the end of a bulk transaction is added to it instead of written."""
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
        kept = _facets_kept(replaced, updates)
        db.executemany(_DELETE_FACET, sorted(_facet_rows(tenant_id, [old for old in replaced
                                                                      if old.interaction_id not in kept])))
        pending = _Deferred() if deferred is None else deferred
        pending.written.update(dict.fromkeys(record.interaction_id for record in (*inserts, *updates)
                                             if record.interaction_id not in kept))
        counts = pending.hour_counts
        for key, change in hours.deltas(map(hours.counted, inserts + updates),
                                        (hours.from_facets(old.start_us, old.facets) for old in replaced)):
            counts[key] = counts.get(key, 0) + change
        _write_facts(db, tenant_id, inserts, updates, pending)
        if deferred is None:
            _write_deferred(db, tenant_id, pending)
        return UpsertCounts(len(inserts), len(updates), unchanged)

    def _refresh_rollups(self, db: sqlite3.Connection, tenant_id: str, instants: list[int]) -> None:
        realtime.keep_in_step(db.execute, db.executemany, DIALECT, tenant_id, None, instants)

    def _fill_facts(self, db: sqlite3.Connection) -> None:
        rows = db.execute("SELECT tenant_id, interaction_id, start_us, doc FROM interactions")
        batches = iter(lambda: rows.fetchmany(BACKFILL_BATCH), [])

        def write(facts: Sequence[tuple[object, ...]]) -> None:
            db.executemany(_INSERT_FACT, facts)

        backfill(batches, int, write)

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

    def export(self, tenant_id: str, query: Query, include_nulls: bool, batch: int) -> Iterator[list[bytes]]:
        """Records read from the table itself (no facet drives the search): each batch one keyset query that
        walks the time index in order and reads each row's document as it goes, as a plain SELECT would
        (measured: the positions first and the documents by rowid on two threads cost 2.2 s of CPU for
        300,000 records against 1.5 s, and ran at 0.66x the plain loop's rate on the shared machine). Otherwise
        (a facet drives it) as every store does: positions first, documents by rowid (`Store.export`)."""
        column = "coalesce(i.doc_with_nulls, i.doc) AS d" if include_nulls else "i.doc AS d"
        probe = export_keys_statement(tenant_id, query, DIALECT, limit=batch, columns=column)
        if not probe.by_row_id:
            yield from super().export(tenant_id, query, include_nulls, batch)
            return
        position = query
        while True:
            statement = export_keys_statement(tenant_id, position, DIALECT, limit=batch, columns=column)
            with self._read() as db:
                rows = db.execute(statement.sql, statement.params).fetchall()
            if rows:
                yield [row[3] for row in rows]
            if len(rows) < batch:
                return
            position = replace(position, after=(rows[-1][0], rows[-1][1]))

    def export_docs(self, tenant_id: str, keys: list[ExportKey], include_nulls: bool) -> list[bytes]:
        column = doc_column(include_nulls)
        with self._read() as db:
            return self._export_docs(db, tenant_id, keys, column)

    @staticmethod
    def _export_docs(db: sqlite3.Connection, tenant_id: str, keys: list[ExportKey], column: str) -> list[bytes]:
        if keys and keys[0].row is not None:  # the rows themselves, by rowid
            handles: list[object] = [key.row for key in keys]
            rows = db.execute(
                f"SELECT rowid, {column} FROM interactions WHERE rowid IN ({','.join('?' * len(handles))})", handles
            ).fetchall()
        else:
            handles = [key.interaction_id for key in keys]
            rows = db.execute(
                f"SELECT interaction_id, {column} FROM interactions"
                f" WHERE tenant_id = ? AND interaction_id IN ({','.join('?' * len(handles))})",
                [tenant_id, *handles],
            ).fetchall()
        found = dict(rows)
        return [found[handle] for handle in handles if handle in found]

    # events -------------------------------------------------------------------------------------------
    def _events_transaction(
        self, tenant_id: str, unique: dict[EventKey, StoredEvent]
    ) -> AbstractContextManager[sqlite3.Connection]:
        """The write transaction: one writer at a time serializes every interaction."""
        return self._write()

    def _insert_new_events(
        self, db: sqlite3.Connection, tenant_id: str, unique: dict[EventKey, StoredEvent]
    ) -> NewEvents:
        """`INSERT OR IGNORE` in key order (each index page visited once); the rows this transaction inserted
        are the ones after the last rowid before it."""
        rows = [event for _key, event in sorted(unique.items())]
        last = db.execute("SELECT coalesce(max(rowid), 0) FROM events").fetchone()[0]
        before = db.total_changes
        rows_in = [(tenant_id, e.event_id, e.interaction_id, e.time_us, e.type, _blob(e.doc)) for e in rows]
        db.executemany(_INSERT_EVENT, rows_in)
        if db.total_changes - before == len(rows):
            new = rows  # no duplicate: the common case costs no lookup
        else:
            inserted = set(db.execute("SELECT interaction_id, event_id FROM events WHERE rowid > ?", (last,)))
            new = [event for event in rows if (event.interaction_id, event.event_id) in inserted]
        return NewEvents(len(new), sorted({event.interaction_id for event in new}), new, last)

    def _insert_agent_events(
        self, db: sqlite3.Connection, tenant_id: str, unique: dict[AgentEventKey, StoredAgentEvent]
    ) -> int:
        """`INSERT OR IGNORE` in key order; what it changed is how many were new."""
        rows = [
            (tenant_id, e.agent_id, e.event_id, e.time_us, e.type, e.state, e.reason_code, e.session_id, _blob(e.doc))
            for _key, e in sorted(unique.items())
        ]
        before = db.total_changes
        db.executemany(self._sql.insert_agent_event, rows)
        return db.total_changes - before

    def _replace_live(self, db: sqlite3.Connection, tenant_id: str, records: Sequence[StoredRecord]) -> None:
        db.executemany(_DELETE_LIVE, [(tenant_id, record.interaction_id) for record in records])
        db.executemany(_INSERT_LIVE, live_rows(tenant_id, records))

    def _events_to_rebuild(self, db: sqlite3.Connection, tenant_id: str, new: NewEvents) -> dict[str, list[bytes]]:
        """The events stored before this transaction (rowid up to `new.before`: an interaction new to the store
        costs one index probe), then the new ones as they came, not read back."""
        found: dict[str, list[bytes]] = {}
        for start in range(0, len(new.touched), _LOOKUP_CHUNK):
            chunk = new.touched[start : start + _LOOKUP_CHUNK]
            marks = ",".join("?" * len(chunk))
            by_interaction(
                db.execute(
                    f"SELECT interaction_id, doc FROM events WHERE tenant_id = ? AND interaction_id IN ({marks})"
                    " AND rowid <= ?",
                    (tenant_id, *chunk, new.before),
                ),
                found,
            )
        return with_new(found, new.events)


class _ThreadConnection:
    """One thread's connection, held in the thread's local storage: when the thread ends, this object goes with
    it and a finalizer closes the connection (`SqliteStore._release`)."""

    __slots__ = ("__weakref__", "connection")

    def __init__(self, connection: sqlite3.Connection) -> None:
        self.connection = connection


_blob = bytearray
"""A BLOB parameter as Python's sqlite3 binds it fastest: it adapts every parameter that is not exactly an int,
float, str or bytearray, and adapting a `bytes` costs a formatted AttributeError (~2 µs an event row, measured)."""


def _write_facts(
    db: sqlite3.Connection, tenant_id: str, inserts: list[StoredRecord], updates: list[StoredRecord],
    pending: _Deferred,
) -> None:
    """The queue-entry facts of the records just written: a replaced record's old facts go first, unless they are
    the new version's too (a restatement that changed none of them keeps them, and their quarter hours' rollups
    stand). What the rollups need (`_write_deferred`) is added to `pending`: the new records with facts, and the
    entry instants of the replaced facts and of the facts replacing them."""
    if updates:
        stored = _stored_facts(db, tenant_id, [record.interaction_id for record in updates])
        updates = [record for record in updates
                   if stored.get(record.interaction_id, []) != fact_rows(tenant_id, [record], int)]
        pending.instants += [cast(int, row[1]) for record in updates for row in stored.get(record.interaction_id, [])]
        db.executemany(_DELETE_FACTS, [(tenant_id, record.interaction_id) for record in updates])
    rows = fact_rows(tenant_id, [*inserts, *updates], int)
    if rows:
        db.executemany(_INSERT_FACT, rows)
    pending.new_facts.update(dict.fromkeys(record.interaction_id for record in inserts if record.facts))
    pending.instants += [fact.entry_us for record in updates for fact in record.facts]


_Row = tuple[object, ...]


def _stored_facts(db: sqlite3.Connection, tenant_id: str, interaction_ids: list[str]) -> dict[str, list[_Row]]:
    """The stored fact rows of these interactions, as `fact_rows` makes them (same columns, same order)."""
    found: dict[str, list[_Row]] = {}
    for start in range(0, len(interaction_ids), _LOOKUP_CHUNK):
        chunk = interaction_ids[start : start + _LOOKUP_CHUNK]
        rows = db.execute(  # the index by interaction: given more columns, the planner would read the tenant's facts
            f"SELECT {_FACT_COLUMNS} FROM {_BY_INTERACTION}"
            f" WHERE tenant_id = ? AND interaction_id IN ({','.join('?' * len(chunk))})",
            (tenant_id, *chunk),
        )
        for row in rows:
            found.setdefault(row[2], []).append(row)
    for facts in found.values():
        facts.sort(key=lambda row: (row[1], row[3]))
    return found


def _facets_kept(replaced: Sequence[_Stored], updates: Sequence[StoredRecord]) -> set[str]:
    """The replaced records whose new version has their start and facets: their facet rows stay as they are
    (deleting and inserting the same keys was a third of the pages a restated record's transaction wrote)."""
    return {old.interaction_id for old, record in zip(replaced, updates, strict=True)
            if old.start_us == record.start_us and old.facets_blob == msgspec.json.encode(record.facets)}


@dataclass(slots=True)
class _Deferred:
    """What an upsert writes after its records and facts, gathered over a bulk transaction's chunks and
    written once before it commits (`_write_deferred`); an upsert of its own writes it at once."""

    written: dict[str, None] = field(default_factory=dict)
    """The interactions written (inserted or replaced), in order, each once: their facets are inserted."""
    hour_counts: dict[hours.Key, int] = field(default_factory=dict)
    """The change of each row of the hourly counts (by the records written and the versions they replaced)."""
    new_facts: dict[str, None] = field(default_factory=dict)
    """New interactions with facts: added to the rollups."""
    instants: list[int] = field(default_factory=list)
    """Entry instants of replaced facts and of the facts replacing them: their quarter hours are rebuilt."""


def _write_deferred(db: sqlite3.Connection, tenant_id: str, pending: _Deferred) -> None:
    """The facets of the records written (their `facets` column as it now is, so a record written twice in
    one transaction gets its last version's; the first version's were never inserted, and the deletion of
    the facets it replaced found none), the hourly counts' changes, then the rollups and the realtime change
    counter of every quarter hour touched (`realtime.keep_in_step`: the new records' facts added, the quarter
    hours of replaced facts rebuilt from the facts after that, which corrects anything the addition counted of
    a record replaced later in the transaction)."""
    if pending.written:
        db.execute(_INSERT_FACETS_OF, (msgspec.json.encode(list(pending.written)).decode(), tenant_id))
    changes = sorted((key, n) for key, n in pending.hour_counts.items() if n)
    if changes:
        db.execute(hours.UPSERT_JSON, (tenant_id, msgspec.json.encode([(*key, n) for key, n in changes]).decode()))
    added: list[int] = []
    if pending.new_facts:
        db.execute(_CREATE_CELLS)
        db.execute(_CLEAR_CELLS)
        db.execute(_INSERT_CELLS, (msgspec.json.encode(list(pending.new_facts)).decode(), tenant_id))
        added = rollups.add_cells(db.execute, DIALECT, tenant_id, _CELLS)
    realtime.keep_in_step(db.execute, db.executemany, DIALECT, tenant_id, None, pending.instants, added=added)


_CELLS = f"temp.{rollups.CELLS.table}"
_CREATE_CELLS = f"CREATE TEMP TABLE IF NOT EXISTS {rollups.CELLS.table} ({', '.join(rollups.cells_columns())})"
_CLEAR_CELLS = f"DELETE FROM {_CELLS}"
_INSERT_CELLS = f"INSERT INTO {_CELLS} {rollups.cells_statement(DIALECT, _NEW_FACTS)}"
"""The new facts' rows per quarter hour and cell, aggregated once (from which `rollups.add_cells` sums each
rollup's), in a temporary table of the connection's, emptied before each use."""


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


class _Reading:
    """A context that lends a connection and does nothing else (cheaper than a generator's)."""

    __slots__ = ("_db",)

    def __init__(self, db: sqlite3.Connection) -> None:
        self._db = db

    def __enter__(self) -> sqlite3.Connection:
        return self._db

    def __exit__(self, kind: object, error: BaseException | None, traceback: object) -> None:
        if is_interruption(error):  # past the statement deadline while fetching rows
            raise translated(error) from None  # type: ignore[arg-type]


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
