"""The PostgreSQL store: the production backend.

Connections come from a pool. Every connection runs with `plan_cache_mode=force_custom_plan`: psycopg
prepares a statement after five executions and PostgreSQL would then switch to a generic plan, which
made the keyset page 13× slower in our measurements. Documents are `json` columns read back as raw bytes
(a loader that does not parse them). Bulk upserts COPY the records into a temporary table and merge them from it
in key order (every writer locks rows in one order); everything a record derives (facets, facts, hourly
counts, rollups, realtime counters) is written set-based, a statement or COPY per table and batch, in the same
transaction (where the CPU went and what each step saved: `docs/performance.md`, and
`benchmarks/profile_pg_import.py`).

What lives here is what only PostgreSQL does: the pool and its settings, the record upsert (COPY, then one
`INSERT … ON CONFLICT … RETURNING`), the events transaction's locking
(advisory locks by hash bucket), insert (COPY, `RETURNING`) and read-back, and export by `ANY(uuid[])`. The SQL
both stores share is in `common.py` and `statements.py`; the events transaction's steps in `events.py`.
"""

from __future__ import annotations

import zlib
from collections.abc import Iterator, Sequence
from contextlib import contextmanager, suppress
from datetime import UTC, datetime, timedelta
from typing import Any

import msgspec
import psycopg
from psycopg.adapt import Loader
from psycopg_pool import ConnectionPool

from cxreport.errors import StatementTimeout, StoreUnavailable
from cxreport.ids import normalize_uuid
from cxreport.store import hours, postgres_copy, postgres_rollups, rollups
from cxreport.store.base import (
    AgentEventKey,
    EventKey,
    ExportKey,
    StoredAgentEvent,
    StoredEvent,
    StoredRecord,
    UpsertCounts,
    newest_per_id,
)
from cxreport.store.common import SqlStore
from cxreport.store.dialect import Dialect
from cxreport.store.events import NewEvents, by_interaction, live_rows
from cxreport.store.facts import BACKFILL_BATCH, FACT_COLUMNS, backfill, fact_rows
from cxreport.store.postgres_schema import MIGRATIONS
from cxreport.store.statements import Statements, doc_column
from cxreport.store.waits import busy, lock_wait

_encode_facets = _encode_json = msgspec.json.Encoder().encode
_decode_facets = msgspec.json.Decoder(list[tuple[str, str]]).decode
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_EARLIEST_US = -62_135_596_800_000_000  # 0001-01-01T00:00:00Z
_LATEST_US = 253_402_300_799_999_999  # 9999-12-31T23:59:59.999999Z
_MIGRATION_LOCK = 7_236_505_106_417_152_001  # pg_advisory_xact_lock key: one migrator at a time
_ROLLUPS_LOCK = 1_263_816_012  # pg_advisory_xact_lock(this, tenant hash): one rollup writer per tenant at a time
_SLAS_LOCK = 1_263_816_013
"""pg_advisory_xact_lock(this, tenant hash): adding an SLA version (exclusive) against deriving records under the
versions (shared), see `Rebuild`; taken before the rollups' lock."""

_RECORD_COLUMNS = (
    "tenant_id, interaction_id, start_ts, end_ts, updated_us, revision, record_revision, channel_type, direction, "
    "customer, contact_point, contact_id, flow_id, flagged, abandoned, doc, doc_with_nulls, facets"
)
_STAGE = """
    CREATE TEMP TABLE IF NOT EXISTS staged_interactions_v3 (
        tenant_id uuid, interaction_id uuid, start_ts timestamptz, end_ts timestamptz, updated_us bigint,
        revision integer, record_revision bigint, channel_type text, direction text, customer text,
        contact_point text, contact_id text, flow_id text, flagged boolean, abandoned boolean, doc json,
        doc_with_nulls json, facets text
    ) ON COMMIT DELETE ROWS
"""


def _merge(derived: bool) -> str:
    """Staged records into `interactions`: a derived record replaces a direct one whatever the revisions, and
    a derived one unless its revision is lower; a direct one never replaces a derived one (see `base.replaces`)."""
    if derived:
        allowed = (
            "(NOT interactions.derived OR EXCLUDED.record_revision IS NULL OR interactions.record_revision IS NULL"
            " OR EXCLUDED.record_revision >= interactions.record_revision)"
        )
    else:
        allowed = (
            "NOT interactions.derived AND (EXCLUDED.record_revision IS NULL OR interactions.record_revision IS NULL"
            " OR EXCLUDED.record_revision > interactions.record_revision)"
        )
    return f"""
    INSERT INTO interactions ({_RECORD_COLUMNS}, derived)
    SELECT {_RECORD_COLUMNS}, {"true" if derived else "false"} FROM staged_interactions_v3 ORDER BY interaction_id
    ON CONFLICT (tenant_id, interaction_id) DO UPDATE SET
        start_ts = EXCLUDED.start_ts, end_ts = EXCLUDED.end_ts, updated_us = EXCLUDED.updated_us,
        revision = interactions.revision + 1, record_revision = EXCLUDED.record_revision,
        channel_type = EXCLUDED.channel_type, direction = EXCLUDED.direction, customer = EXCLUDED.customer,
        contact_point = EXCLUDED.contact_point, contact_id = EXCLUDED.contact_id, flow_id = EXCLUDED.flow_id,
        flagged = EXCLUDED.flagged, abandoned = EXCLUDED.abandoned, doc = EXCLUDED.doc,
        doc_with_nulls = EXCLUDED.doc_with_nulls, derived = EXCLUDED.derived,
        facets = EXCLUDED.facets, replaced_facets = interactions.facets,
        replaced_start_us = (extract(epoch FROM interactions.start_ts) * 1000000)::bigint
    WHERE (interactions.doc::text IS DISTINCT FROM EXCLUDED.doc::text
           OR interactions.doc_with_nulls::text IS DISTINCT FROM EXCLUDED.doc_with_nulls::text)
      AND {allowed}
    RETURNING interaction_id, (xmax = 0) AS inserted, replaced_start_us, replaced_facets
"""


_MERGE = {False: _merge(False), True: _merge(True)}
_STAGE_EVENTS = """
    CREATE TEMP TABLE IF NOT EXISTS staged_events_v1 (
        event_id text, interaction_id uuid, time_ts timestamptz, type text, doc json
    ) ON COMMIT DELETE ROWS
"""
_COPY_EVENTS = "COPY staged_events_v1 (event_id, interaction_id, time_ts, type, doc) FROM STDIN"
_INSERT_EVENTS = """
    INSERT INTO events (tenant_id, event_id, interaction_id, time_ts, type, doc)
    SELECT %s, event_id, interaction_id, time_ts, type, doc FROM staged_events_v1
    ON CONFLICT (tenant_id, interaction_id, event_id) DO NOTHING
    RETURNING interaction_id::text
"""
_EVENTS_OF = "SELECT interaction_id::text, doc FROM events WHERE tenant_id = %s AND interaction_id = ANY(%s)"
_LOCK_BUCKETS = 256
"""Event ingestion locks interactions by hash bucket (at most this many locks a transaction)."""
_DELETE_FACETS = (
    "DELETE FROM interaction_facets AS f USING unnest(%s::text[], %s::text[], %s::bigint[], %s::uuid[])"
    " AS g(kind, value, start_us, interaction_id)"
    " WHERE f.tenant_id = %s AND f.kind = g.kind AND f.value = g.value AND f.interaction_id = g.interaction_id"
    " AND f.start_ts = timestamptz 'epoch' + (g.start_us / 1000000) * interval '1 second'"
    " + (g.start_us %% 1000000) * interval '1 microsecond'"
)
"""Deletes facets by their keys (a replaced record's: its former facets, at its former start, `replaced_start_us`).
Whole seconds and microseconds apart: an interval times a number goes through a double, which is exact to the
microsecond only within ~285 years of 1970 (`start_us * interval '1 microsecond'` made 9999-12-31T23:59:59.999999
the year 10000, and the facets of a record replaced there stayed)."""
_UPSERT_HOURS = (
    "INSERT INTO interaction_hours (tenant_id, kind, value, hour_us, channel_type, direction, flagged, abandoned, n)"
    " SELECT %s, e->>0, e->>1, (e->>2)::bigint, e->>3, e->>4, (e->>5)::integer, (e->>6)::integer, (e->>7)::bigint"
    " FROM jsonb_array_elements(%s::jsonb) AS e"
    " ON CONFLICT (tenant_id, kind, value, hour_us, channel_type, direction, flagged, abandoned)"
    " DO UPDATE SET n = interaction_hours.n + EXCLUDED.n"
)
"""A batch's changes (`hours.deltas`, in key order) as one JSON array of [kind, value, hour_us, channel, direction,
flagged, abandoned, n]: the driver's dump of nine arrays of ~4,000 values each took ~9 µs of client CPU a record."""
_DELETE_LIVE = "DELETE FROM live_interactions WHERE tenant_id = %(tenant)s AND interaction_id = ANY(%(ids)s::uuid[])"
_INSERT_LIVE = "INSERT INTO live_interactions (tenant_id, interaction_id, last_us, activities) VALUES (%s, %s, %s, %s)"
_DELETE_QUEUE_FACTS = (
    "DELETE FROM queue_entry_facts WHERE tenant_id = %(tenant)s AND interaction_id = ANY(%(ids)s::uuid[])"
    " RETURNING entry_us"
)
_COPY_QUEUE_FACTS = f"COPY queue_entry_facts ({FACT_COLUMNS.format(start='start_ts')}) FROM STDIN"
_STORED_FACTS = (
    f"SELECT {FACT_COLUMNS.format(start='start_ts')} FROM queue_entry_facts"
    " WHERE tenant_id = %(tenant)s AND interaction_id = ANY(%(ids)s::uuid[])"
)
_Row = tuple[object, ...]
DIALECT = Dialect(
    time_columns={"start": "start_ts", "end": "end_ts", "updated": "updated_us"},
    time_param=lambda micros: timestamp_param(micros),
    placeholder="%s",
    micros=lambda value: _micros(value),
    event_time="time_ts",
    as_text="::text",
    id_param=normalize_uuid,
    insert_ignoring=("INSERT INTO", " ON CONFLICT DO NOTHING"),
    same="IS NOT DISTINCT FROM",
    greatest="greatest",
    least="least",
    lock_row=" FOR UPDATE",
    native_sums=True,
    integer_sum="::bigint",
)


class _RawJson(Loader):
    """Load json columns as the bytes PostgreSQL sends: the stored text, unparsed."""

    def load(self, data: Any) -> bytes:
        return bytes(data)


def _configure(connection: psycopg.Connection[Any]) -> None:
    connection.adapters.register_loader("json", _RawJson)
    # documents compressed by lz4 where the server has it (pglz took ~12 µs of a 2 KB record's write); a server
    # built without it, or before PostgreSQL 14 (no such setting), keeps its default
    with suppress(psycopg.errors.InvalidParameterValue, psycopg.errors.UndefinedObject):
        connection.execute("SET default_toast_compression = lz4")


def timestamp_param(micros: int) -> datetime | str:
    """Epoch microseconds as a timestamptz parameter; beyond Python's datetime range (an open bound of a window,
    never a stored instant: those are in the years 0001 to 9999), ±infinity, which the driver cannot read back."""
    if micros < _EARLIEST_US:
        return "-infinity"
    if micros > _LATEST_US:
        return "infinity"
    return _EPOCH + timedelta(microseconds=micros)


class PostgresStore(SqlStore[psycopg.Connection[Any]]):
    _dialect = DIALECT
    _sql = Statements(DIALECT)
    _duplicate = psycopg.errors.UniqueViolation

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
        """One write transaction; with a deadline (`store/waits.py`), its lock waits end there (503 `busy`)."""
        wait = lock_wait()
        try:
            with self._read() as connection, connection.transaction():
                if wait is not None:
                    connection.execute(f"SET LOCAL lock_timeout = {max(1, int(wait * 1000))}")
                yield connection
        except psycopg.errors.LockNotAvailable:
            raise busy() from None

    def close(self) -> None:
        self._pool.close()

    def refresh_statistics(self) -> None:
        """VACUUM (ANALYZE) the tables searches count and page through: a bulk load leaves their visibility map
        unset, so every index-only scan (the counts of a search) visits the table too until autovacuum comes by
        (the 1000-record page of a fresh 300,000-record demo: 9 req/s before, 32 after). The events tables,
        read by index scans, are only analyzed."""
        with self._read() as db:  # autocommit connections: VACUUM runs outside a transaction
            db.execute("VACUUM (ANALYZE) interactions, interaction_facets, queue_entry_facts, interaction_hours")
            db.execute("ANALYZE events, agent_events")

    def ping(self) -> None:
        try:
            with self._pool.connection(timeout=5) as connection:
                connection.execute("SELECT 1 FROM schema_migrations LIMIT 1")
        except Exception as error:
            raise StoreUnavailable(f"PostgreSQL is unreachable: {error}") from error

    # schema -------------------------------------------------------------------------------------------
    @contextmanager
    def _migrating(self) -> Iterator[psycopg.Connection[Any]]:
        with self._write() as db:
            db.execute("SET LOCAL statement_timeout = 0")  # migrations may legitimately run long
            db.execute("SELECT pg_advisory_xact_lock(%s)", (_MIGRATION_LOCK,))
            db.execute("CREATE TABLE IF NOT EXISTS schema_migrations (version integer PRIMARY KEY, applied_us bigint)")
            yield db

    def _migrations(self) -> list[str]:
        return MIGRATIONS

    def _statements(self, script: str) -> list[str]:
        return [script]  # one round trip: PostgreSQL runs a script of several statements as given

    # interactions -------------------------------------------------------------------------------------
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
        with db.cursor().copy(f"COPY staged_interactions_v3 ({_RECORD_COLUMNS}) FROM STDIN") as copy:
            for record in latest.values():
                copy.write_row(_copy_row(tenant_id, record, now_us))
        returned = db.execute(_MERGE[derived]).fetchall()
        written = [(interaction_id, was_insert) for interaction_id, was_insert, _, _ in returned]
        former = [(int(start_us), _decode_facets(facets or "[]"), str(interaction_id))
                  for interaction_id, was_insert, start_us, facets in returned if not was_insert]
        # a replaced record whose start and facets are as they were keeps its facet rows (deleting and inserting the
        # same keys was a third of what a restatement wrote)
        kept = {interaction_id for start_us, facets, interaction_id in former
                if start_us == latest[interaction_id].start_us and facets == list(latest[interaction_id].facets)}
        _delete_facets(db, tenant_id, [old for old in former if old[2] not in kept])
        removed = [hours.from_facets(start_us, facets) for start_us, facets, _ in former]
        if written:  # the written records' facets go straight in: none of them has any left
            _copy_facets(db, tenant_id, latest, [str(interaction_id) for interaction_id, _ in written
                                                  if str(interaction_id) not in kept])
            changes = hours.deltas((hours.counted(latest[str(interaction_id)]) for interaction_id, _ in written),
                                   removed)
            _write_queue_facts(db, tenant_id, latest, written, changes)
        inserted = sum(1 for (_, was_insert) in written if was_insert)
        updated = len(written) - inserted
        return UpsertCounts(inserted, updated, len(latest) - len(written))

    def _refresh_rollups(self, db: psycopg.Connection[Any], tenant_id: str, instants: list[int]) -> None:
        _lock_rollups(db, tenant_id)
        _keep_in_step(db, tenant_id, [], [], instants)

    def _lock_slas(self, db: psycopg.Connection[Any], tenant_id: str, *, exclusive: bool) -> None:
        lock = "pg_advisory_xact_lock" if exclusive else "pg_advisory_xact_lock_shared"
        db.execute(f"SELECT {lock}(%s, %s)", (_SLAS_LOCK, _signed32(zlib.crc32(tenant_id.encode()))))

    def _fill_facts(self, db: psycopg.Connection[Any]) -> None:
        with db.cursor(name="cxreport_fill_facts") as cursor:
            cursor.execute("SELECT tenant_id::text, interaction_id::text, start_ts, doc FROM interactions")

            def batches() -> Iterator[list[tuple[str, str, int, bytes]]]:
                while rows := cursor.fetchmany(BACKFILL_BATCH):
                    yield [(tenant, interaction, _micros(start), doc) for tenant, interaction, start, doc in rows]

            backfill(batches(), timestamp_param, lambda rows: _copy_rows(db, rows))

    # events -------------------------------------------------------------------------------------------
    @contextmanager
    def _events_transaction(
        self, tenant_id: str, unique: dict[EventKey, StoredEvent]
    ) -> Iterator[psycopg.Connection[Any]]:
        """One interaction's events are ingested by one transaction at a time, so each sees all the others
        committed before it derives the record (READ COMMITTED: each statement sees the latest commits): a
        transaction-scoped advisory lock per hash bucket of the interactions."""
        buckets = sorted({zlib.crc32(event.interaction_id.encode()) % _LOCK_BUCKETS for event in unique.values()})
        tenant_key = zlib.crc32(tenant_id.encode()) * _LOCK_BUCKETS
        with self._write() as db:
            if buckets:  # agent-state events alone need no lock: their insert skips what another one inserted
                db.execute(
                    "SELECT count(pg_advisory_xact_lock(%s + bucket)) FROM unnest(%s::bigint[]) AS bucket",
                    (tenant_key, buckets),
                )
            yield db

    def _insert_new_events(
        self, db: psycopg.Connection[Any], tenant_id: str, unique: dict[EventKey, StoredEvent]
    ) -> NewEvents:
        """COPY into a staging table, then insert what is new: `RETURNING` says which rows were."""
        db.execute(_STAGE_EVENTS)
        with db.cursor().copy(
            "COPY staged_events_v1 (event_id, interaction_id, time_ts, type, doc) FROM STDIN"
        ) as copy:
            for e in unique.values():
                copy.write_row((e.event_id, e.interaction_id, timestamp_param(e.time_us), e.type, e.doc.decode()))
        new = db.execute(_INSERT_EVENTS, (tenant_id,)).fetchall()
        return NewEvents(len(new), sorted({row[0] for row in new}))

    def _insert_agent_events(
        self, db: psycopg.Connection[Any], tenant_id: str, unique: dict[AgentEventKey, StoredAgentEvent]
    ) -> int:
        """Inserted in key order, skipping the keys the tenant has: the rows inserted are the new ones."""
        rows = [
            (
                tenant_id,
                e.agent_id,
                e.event_id,
                timestamp_param(e.time_us),
                e.type,
                e.state,
                e.reason_code,
                e.session_id,
                e.doc.decode(),
            )
            for _key, e in sorted(unique.items())
        ]
        with db.cursor() as cursor:
            cursor.executemany(self._sql.insert_agent_event, rows)
            return max(cursor.rowcount, 0)

    def _replace_live(self, db: psycopg.Connection[Any], tenant_id: str, records: Sequence[StoredRecord]) -> None:
        db.execute(_DELETE_LIVE, {"tenant": tenant_id, "ids": [record.interaction_id for record in records]})
        rows = live_rows(tenant_id, records)
        if rows:
            with db.cursor() as cursor:
                cursor.executemany(_INSERT_LIVE, rows)

    def _events_to_rebuild(self, db: psycopg.Connection[Any], tenant_id: str, new: NewEvents) -> dict[str, list[bytes]]:
        """Every event of the touched interactions, read back: this transaction sees its own new ones."""
        return by_interaction(db.execute(_EVENTS_OF, (tenant_id, new.touched)), {})

    def export_docs(self, tenant_id: str, keys: list[ExportKey], include_nulls: bool) -> list[bytes]:
        column = doc_column(include_nulls)
        ids = [key.interaction_id for key in keys]
        with self._read() as db:
            rows = db.execute(
                f"SELECT interaction_id::text, {column} FROM interactions"
                " WHERE tenant_id = %s AND interaction_id = ANY(%s::uuid[])",
                (tenant_id, ids),
            ).fetchall()
        found = dict(rows)
        return [found[interaction_id] for interaction_id in ids if interaction_id in found]


def _delete_facets(
    db: psycopg.Connection[Any], tenant_id: str, former: list[tuple[int, list[tuple[str, str]], str]]
) -> None:
    """Delete the facets replaced records had (their start, facets and id), by key, in key order."""
    keys = sorted((kind, value, start_us, interaction_id) for start_us, facets, interaction_id in former
                  for kind, value in facets)
    if keys:
        db.execute(_DELETE_FACETS, (*(list(column) for column in zip(*keys, strict=True)), tenant_id))


def _copy_facets(
    db: psycopg.Connection[Any], tenant_id: str, records: dict[str, StoredRecord], written: list[str]
) -> None:
    """COPY the facets of the written records into `interaction_facets`, in key order (it keeps index
    inserts local). Plain inserts: a written record has no facets left (new, or its old ones deleted)."""
    if not written:
        return
    rows: list[tuple[str, str, int, str, str]] = []
    for interaction_id in written:
        record = records[interaction_id]
        start = postgres_copy.timestamp(timestamp_param(record.start_us))
        rows.extend((kind, value, record.start_us, interaction_id, start) for kind, value in record.facets)
    rows.sort()  # by key; the last item (the start as COPY text) is never compared: the key is unique
    text = postgres_copy.text
    data = "".join([f"{tenant_id}\t{text(kind)}\t{text(value)}\t{start}\t{interaction_id}\n"
                    for kind, value, _, interaction_id, start in rows])
    with db.cursor().copy(
        "COPY interaction_facets (tenant_id, kind, value, start_ts, interaction_id) FROM STDIN"
    ) as copy:
        copy.write(data.encode())


def _write_queue_facts(
    db: psycopg.Connection[Any], tenant_id: str, records: dict[str, StoredRecord], written: list[Any],
    changes: list[tuple[hours.Key, int]],
) -> None:
    """The queue-entry facts of the records just written: a replaced record's old facts go first, unless they are
    the new version's too (a restatement that changed none of them keeps them, and their quarter hours' rollups
    stand); then the hourly counts' `changes`, the rollups of every quarter hour that held or holds one of them
    and its realtime change counter, one transaction of the tenant at a time (a transaction-scoped advisory lock,
    taken last: the counts and rollups are what the transaction writes last)."""
    instants: list[int] = []
    replaced = [str(interaction_id) for interaction_id, was_insert in written if not was_insert]
    if replaced:
        stored = _stored_facts(db, tenant_id, replaced)
        replaced = [interaction_id for interaction_id in replaced if stored.get(interaction_id, []) != [
            _fact_content(row) for row in fact_rows(tenant_id, [records[interaction_id]], timestamp_param)]]
    if replaced:
        removed = db.execute(_DELETE_QUEUE_FACTS, {"tenant": tenant_id, "ids": replaced}).fetchall()
        instants += [int(entry_us) for (entry_us,) in removed]
    inserted = [str(interaction_id) for interaction_id, was_insert in written if was_insert]
    rows = fact_rows(tenant_id, (records[interaction_id] for interaction_id in [*inserted, *replaced]), timestamp_param)
    if rows:
        _copy_rows(db, rows)
    new = [interaction_id for interaction_id in inserted if records[interaction_id].facts]
    instants += [fact.entry_us for interaction_id in replaced for fact in records[str(interaction_id)].facts]
    if new or instants or changes:
        _lock_rollups(db, tenant_id)
    if changes:
        db.execute(_UPSERT_HOURS, (tenant_id, _encode_json([(*key, n) for key, n in changes]).decode()))
    # the new records' facts are added to the rollups; quarter hours of replaced ones are rebuilt
    _keep_in_step(db, tenant_id, [fact.entry_us for interaction_id in new for fact in records[interaction_id].facts],
                  new, instants)


def _stored_facts(db: psycopg.Connection[Any], tenant_id: str, interaction_ids: list[str]) -> dict[str, list[_Row]]:
    """The stored facts of these interactions, each as `_fact_content` of its row, in `fact_rows`' order."""
    found: dict[str, list[_Row]] = {}
    for row in db.execute(_STORED_FACTS, {"tenant": tenant_id, "ids": interaction_ids}):
        found.setdefault(str(row[2]), []).append(row)
    return {interaction_id: [_fact_content(row) for row in sorted(rows, key=lambda row: (row[1], row[3]))]
            for interaction_id, rows in found.items()}


def _fact_content(row: _Row) -> _Row:
    """A fact row without its tenant and interaction ids (the driver reads them back as UUIDs)."""
    return (row[1], *row[3:])


def _keep_in_step(db: psycopg.Connection[Any], tenant_id: str, added: list[int], new: list[str],
                  instants: list[int]) -> None:
    """`realtime.keep_in_step`, set-based (`postgres_rollups`): the facts of the `new` interactions (entry
    instants `added`) added to the rollups, the quarter hours holding `instants` rebuilt, the counters of both
    bumped."""
    if new:
        postgres_rollups.add(db.execute, DIALECT, tenant_id, new)
    if instants:
        rollups.refresh(db.execute, DIALECT, tenant_id, instants)
    postgres_rollups.note_slots(db.execute, tenant_id, [*added, *instants])


def _lock_rollups(db: psycopg.Connection[Any], tenant_id: str) -> None:
    """One transaction of the tenant at a time writes its rollups (a transaction-scoped advisory lock, taken
    last: the rollups are what a transaction writes last)."""
    db.execute("SELECT pg_advisory_xact_lock(%s, %s)", (_ROLLUPS_LOCK, _signed32(zlib.crc32(tenant_id.encode()))))


def _signed32(value: int) -> int:
    return value - 2**32 if value >= 2**31 else value


def _copy_rows(db: psycopg.Connection[Any], rows: Sequence[tuple[object, ...]]) -> None:
    with db.cursor().copy(_COPY_QUEUE_FACTS) as copy:
        for row in rows:
            copy.write_row(row)


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
        _encode_facets(record.facets).decode("utf-8"),
    )


def _micros(value: datetime | int) -> int:
    """A keyset time as epoch microseconds (PostgreSQL returns timestamptz columns as datetimes)."""
    if isinstance(value, datetime):
        return (value - _EPOCH) // timedelta(microseconds=1)
    return int(value)
