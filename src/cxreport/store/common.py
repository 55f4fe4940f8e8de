"""What the two SQL stores do the same way, written once over their `Dialect`: the migrations' loop,
tenants, credentials, service levels, settings, reading records and events, and searches.

A store subclasses `SqlStore` with its connection type and supplies its connections (`_read`, `_write`,
`_migrating`), its dialect and statements (`_sql`), and what truly differs: the upsert, the events
transaction's steps (see `events.py`), export by position, pings and statistics."""

from __future__ import annotations

import abc
import functools
import zlib
from collections.abc import Callable, Iterator, Sequence
from contextlib import AbstractContextManager
from dataclasses import replace
from typing import Any, Generic, Protocol, TypeVar

import msgspec

from cxreport import clock
from cxreport.errors import Conflict, SchemaTooNew, TooManyKeys, TooManyTokens
from cxreport.store import realtime, rollups
from cxreport.store.base import (
    AgentPresence,
    ApiKey,
    DayRow,
    ExportKey,
    FollowPosition,
    LiveInteraction,
    LiveInteractions,
    Page,
    PageRequest,
    Query,
    Rebuild,
    Sla,
    SlaVersion,
    SlotQuery,
    SlotRow,
    Store,
    StoredAgentEvent,
    StoredRecord,
    Tenant,
    Token,
    UpsertCounts,
    Window,
    sla_conflict,
)
from cxreport.store.dialect import Dialect
from cxreport.store.events import PRESENCE_RANK, EventsTransaction, NewEvents
from cxreport.store.facts import FACTS_VERSION
from cxreport.store.querying import export_keys_statement, run_search
from cxreport.store.rollups import HOUR_ROLLUPS_MARK, ROLLUPS_MARK, rollup_for, rollup_statement
from cxreport.store.statements import Statements, restatement_statement
from cxreport.store.statistics import slot_rows, slots_statement

_decode_live = msgspec.json.Decoder(list[tuple[str, str | None, str | None, int]]).decode


@functools.lru_cache(maxsize=65_536)
def _activities(text: str) -> tuple[tuple[str, str | None, str | None, int], ...]:
    """What an interaction has in progress, from its stored text (the same text at each realtime read while the
    interaction does not change: decoded once)."""
    return tuple(_decode_live(text))

_EVERY_ROW = 2**63 - 1
"""`NewEvents.before` when no event is new: every stored event is one to rebuild from."""


class Cursor(Protocol):
    def fetchone(self) -> Any: ...
    def fetchall(self) -> list[Any]: ...
    def __iter__(self) -> Iterator[Any]: ...


class Connection(Protocol):
    """What the shared code uses of a DB-API connection (sqlite3's and psycopg's have it)."""

    def execute(self, sql: str, params: Sequence[Any] = ..., /) -> Cursor: ...


Db = TypeVar("Db", bound=Connection)


class SqlStore(EventsTransaction[Db], Store, Generic[Db]):
    """A `Store` over SQL: the shared methods, over the connections and statements its subclass supplies."""

    _dialect: Dialect
    _sql: Statements
    _duplicate: type[Exception]
    """What a unique key violation raises."""

    @abc.abstractmethod
    def _read(self) -> AbstractContextManager[Db]:
        """A connection to read on."""

    @abc.abstractmethod
    def _write(self) -> AbstractContextManager[Db]:
        """A connection in a write transaction, committed on leaving (rolled back on an exception)."""

    @abc.abstractmethod
    def _migrating(self) -> AbstractContextManager[Db]:
        """A write transaction without a statement timeout, one migrator at a time, with `schema_migrations`."""

    @abc.abstractmethod
    def _migrations(self) -> list[str]:
        """The schema's migration scripts, version N the N-th."""

    @abc.abstractmethod
    def _statements(self, script: str) -> list[str]:
        """A migration script as the statements to execute."""

    @abc.abstractmethod
    def _fill_facts(self, db: Db) -> None:
        """Write the queue-entry facts of every stored record (right after the migration that creates them)."""

    @abc.abstractmethod
    def _refresh_rollups(self, db: Db, tenant_id: str, instants: list[int]) -> None:
        """Rebuild the tenant's rollups of the quarter hours holding these entry instants, in this transaction."""

    def _lock_slas(self, db: Db, tenant_id: str, *, exclusive: bool) -> None:
        """Hold the tenant's SLA versions until this transaction ends: `exclusive` to add one, shared to derive
        records under them (see `Rebuild`). Nothing to do with one writer at a time (SQLite)."""

    # schema -------------------------------------------------------------------------------------------
    def migrate(self) -> int:
        """Apply every pending migration in one transaction: all of them, or none."""
        migrations = self._migrations()
        with self._migrating() as db:
            current = self._schema_version(db)
            if current > len(migrations):
                raise SchemaTooNew(
                    f"the database is at schema version {current}, newer than this cxreport understands "
                    f"({len(migrations)}); upgrade cxreport"
                )
            for version in range(current + 1, len(migrations) + 1):
                for statement in self._statements(migrations[version - 1]):
                    db.execute(statement)
                if version == FACTS_VERSION:
                    self._fill_facts(db)
                if ROLLUPS_MARK in migrations[version - 1]:
                    rollups.fill(db.execute, self._dialect)
                if HOUR_ROLLUPS_MARK in migrations[version - 1]:
                    rollups.fill_hours(db.execute, self._dialect)
                db.execute(self._sql.record_migration, (version, clock.now_us()))
        return len(migrations)

    def schema_version(self) -> int:
        with self._read() as db:
            return self._schema_version(db)

    def _schema_version(self, db: Db) -> int:
        row = db.execute(self._sql.schema_version).fetchone()
        return int(row[0]) if row else 0

    # tenants ------------------------------------------------------------------------------------------
    def create_tenant(self, tenant: Tenant) -> None:
        try:
            with self._write() as db:
                db.execute(self._sql.insert_tenant, (tenant.id, tenant.name, tenant.timezone))
        except self._duplicate:
            raise Conflict(f"a tenant with id {tenant.id} exists already") from None

    def get_tenant(self, tenant_id: str) -> Tenant | None:
        with self._read() as db:
            row = db.execute(self._sql.get_tenant, (self._dialect.id_param(tenant_id),)).fetchone()
        return Tenant(*row) if row else None

    # credentials --------------------------------------------------------------------------------------
    def create_key(self, key: ApiKey, *, max_live: int = 0) -> None:
        with self._write() as db:
            if max_live > 0:
                live = db.execute(self._sql.count_live_keys, (self._dialect.id_param(key.tenant_id),)).fetchone()[0]
                if live >= max_live:
                    raise TooManyKeys(
                        f"the tenant has {live} API keys that are not revoked, the most it may have"
                        f" (CXREPORT_MAX_KEYS_PER_TENANT = {max_live}); revoke one first"
                    )
            db.execute(
                self._sql.insert_key, (key.tenant_id, key.id, key.role, key.secret_hash, key.created_us, key.revoked_us)
            )

    def get_key(self, key_id: str) -> ApiKey | None:
        with self._read() as db:
            row = db.execute(self._sql.get_key, (self._dialect.id_param(key_id),)).fetchone()
        return ApiKey(*row) if row else None

    def list_keys(self, tenant_id: str) -> list[ApiKey]:
        with self._read() as db:
            rows = db.execute(self._sql.list_keys, (self._dialect.id_param(tenant_id),)).fetchall()
        return [ApiKey(*row) for row in rows]

    def revoke_key(self, key_id: str, revoked_us: int) -> ApiKey | None:
        key = self._dialect.id_param(key_id)
        with self._write() as db:
            db.execute(self._sql.revoke_key, (revoked_us, key))
            db.execute(self._sql.delete_key_tokens, (key,))
            row = db.execute(self._sql.get_key, (key,)).fetchone()
        return ApiKey(*row) if row else None

    def create_token(self, token: Token, *, max_live: int = 0, now_us: int = 0) -> None:
        with self._write() as db:
            db.execute(self._sql.delete_expired_tokens, (token.expires_us - 10 * 86400 * 10**6,))
            if max_live > 0:
                key = self._dialect.id_param(token.key_id)
                live = db.execute(self._sql.count_live_tokens, (key, now_us)).fetchone()[0]
                if live >= max_live:
                    raise TooManyTokens(
                        f"this API key has {live} unexpired tokens, the most it may have"
                        f" (CXREPORT_MAX_TOKENS_PER_KEY = {max_live}); reuse one until it expires"
                    )
            db.execute(self._sql.insert_token, (token.tenant_id, token.token_hash, token.key_id, token.expires_us))

    def get_token(self, token_hash: str) -> Token | None:
        with self._read() as db:
            row = db.execute(self._sql.get_token, (token_hash,)).fetchone()
        return Token(*row) if row else None

    # interactions -------------------------------------------------------------------------------------
    def upsert_records(self, tenant_id: str, records: Sequence[StoredRecord], now_us: int) -> UpsertCounts:
        if not records:
            return UpsertCounts()
        with self._write() as db:
            counts = self._upsert(db, tenant_id, records, now_us, derived=False)
            if counts.inserted or counts.updated:
                self._note_change(db, tenant_id, records[0].interaction_id)
            return counts

    def search(self, tenant_id: str, request: PageRequest) -> Page:
        with self._read() as db:
            return run_search(
                lambda statement: db.execute(statement.sql, statement.params).fetchall(),
                tenant_id,
                request,
                self._dialect,
            )

    def export_keys(self, tenant_id: str, query: Query, limit: int) -> list[ExportKey]:
        statement = export_keys_statement(tenant_id, query, self._dialect, limit=limit)
        with self._read() as db:
            rows = db.execute(statement.sql, statement.params).fetchall()
        micros = self._dialect.micros
        if micros is int:  # SQLite: times are epoch µs and ids text already (an export reads 100,000s of keys)
            if statement.by_row_id:
                return [ExportKey(time_us, interaction_id, row) for time_us, interaction_id, row in rows]
            return [ExportKey(time_us, interaction_id) for time_us, interaction_id in rows]
        return [ExportKey(micros(row[0]), str(row[1]), row[2] if statement.by_row_id else None) for row in rows]

    def get_record(self, tenant_id: str, interaction_id: str, include_nulls: bool) -> bytes | None:
        with self._read() as db:
            row = db.execute(self._sql.get_record[include_nulls], (tenant_id, interaction_id)).fetchone()
        return bytes(row[0]) if row else None

    def secret(self, name: str, make: Callable[[], str]) -> str:
        with self._write() as db:
            db.execute(self._sql.insert_setting, (name, make()))
            row = db.execute(self._sql.get_setting, (name,)).fetchone()
        return str(row[0]) if row else ""

    # followed logs ------------------------------------------------------------------------------------
    def follow_position(self, tenant_id: str, source: str, path: str) -> FollowPosition | None:
        with self._read() as db:
            row = db.execute(self._sql.follow_position, (tenant_id, source, path)).fetchone()
        return FollowPosition(str(row[0]), int(row[1]), int(row[2])) if row else None

    def set_follow_position(self, tenant_id: str, source: str, path: str, position: FollowPosition) -> None:
        with self._write() as db:
            db.execute(self._sql.set_follow_position, (
                tenant_id, source, path, position.file_id, position.offset, position.line, clock.now_us()))

    # events -------------------------------------------------------------------------------------------
    def events_of(self, tenant_id: str, interaction_id: str) -> list[bytes]:
        with self._read() as db:
            rows = db.execute(self._sql.events_of, (tenant_id, self._dialect.id_param(interaction_id)))
            return [bytes(row[0]) for row in rows]

    # agent states -------------------------------------------------------------------------------------
    def agent_events(
        self, tenant_id: str, agent_id: str, window: Window, after: tuple[int, str] | None, limit: int
    ) -> list[StoredAgentEvent]:
        d = self._dialect
        params: list[object] = [tenant_id, agent_id, d.time_param(window.start_us), d.time_param(window.end_us)]
        if after is not None:
            params += [d.time_param(after[0]), after[1]]
        with self._read() as db:
            rows = db.execute(self._sql.agent_events[after is not None], (*params, limit)).fetchall()
        return [
            StoredAgentEvent(agent_id, event_id, d.micros(time), kind, state, reason, session, bytes(doc))
            for time, event_id, kind, state, reason, session, doc in rows
        ]

    def agents_with_states(self, tenant_id: str, before_us: int) -> list[str]:
        with self._read() as db:
            rows = db.execute(self._sql.agents_with_states, (tenant_id, self._dialect.time_param(before_us)))
            return [str(row[0]) for row in rows]

    def agent_state_changes(self, tenant_id: str, agent_id: str, window: Window) -> list[StoredAgentEvent]:
        d = self._dialect
        start, end = d.time_param(window.start_us), d.time_param(window.end_us)
        with self._read() as db:
            rows = db.execute(
                self._sql.agent_state_changes,
                (tenant_id, agent_id, tenant_id, agent_id, start, start, tenant_id, agent_id, end, end),
            ).fetchall()
        return [StoredAgentEvent(agent_id, event_id, d.micros(time), *rest) for time, event_id, *rest in rows]

    # interval statistics ------------------------------------------------------------------------------
    def queue_entry_slots(self, tenant_id: str, query: SlotQuery) -> list[SlotRow]:
        return self._slots(tenant_id, query, sums=True)

    def queue_entry_cells(self, tenant_id: str, query: SlotQuery) -> list[SlotRow]:
        return self._slots(tenant_id, query, sums=False)

    def _slots(self, tenant_id: str, query: SlotQuery, *, sums: bool) -> list[SlotRow]:
        rollup = rollup_for(query)
        if rollup is None:
            statement = slots_statement(tenant_id, query, self._dialect, sums=sums)
        else:
            statement = rollup_statement(tenant_id, query, rollup, self._dialect, sums=sums)
        with self._read() as db:
            rows = db.execute(statement.sql, statement.params).fetchall()
        return slot_rows(rows, len(query.group_by), sums=sums, native=self._dialect.native_sums)

    # realtime -----------------------------------------------------------------------------------------
    def _note_change(self, db: Db, tenant_id: str, key: str) -> None:
        shard = zlib.crc32(key.encode()) % realtime.SHARDS
        db.execute(self._dialect.sql(realtime.NOTE_CHANGE), (tenant_id, shard))

    def _note_presence(self, db: Db, tenant_id: str, latest: Sequence[StoredAgentEvent]) -> None:
        sql = self._dialect.sql(realtime.NOTE_PRESENCE)
        for e in latest:
            rank = PRESENCE_RANK.get(e.type, 2)
            db.execute(sql, (tenant_id, e.agent_id, e.time_us, rank, e.event_id, e.type, e.state, e.reason_code))

    def realtime_version(self, tenant_id: str) -> int:
        with self._read() as db:
            row = db.execute(self._dialect.sql(realtime.VERSION), (tenant_id,)).fetchone()
        return int(row[0])

    def live_interactions(self, tenant_id: str, fresh_from_us: int) -> LiveInteractions:
        d = self._dialect
        with self._read() as db:
            rows = db.execute(realtime.live_statement(d), (tenant_id, fresh_from_us)).fetchall()
            stale = db.execute(realtime.stale_statement(d), (tenant_id, fresh_from_us)).fetchone()
        fresh = [LiveInteraction(str(interaction_id), int(last_us), _activities(text))
                 for interaction_id, last_us, text in rows]
        return LiveInteractions(fresh, int(stale[0]))

    def agent_presences(self, tenant_id: str) -> list[AgentPresence]:
        with self._read() as db:
            rows = db.execute(self._dialect.sql(realtime.PRESENCES), (tenant_id,)).fetchall()
        return [AgentPresence(str(agent), int(time_us), str(kind), state, reason) for agent, time_us, kind, state,
                reason in rows]

    def realtime_slot_counters(self, tenant_id: str, start_us: int, end_us: int) -> dict[int, int]:
        with self._read() as db:
            rows = db.execute(self._dialect.sql(realtime.SLOT_COUNTERS), (tenant_id, start_us, end_us)).fetchall()
        return {int(slot_us): int(counter) for slot_us, counter in rows}

    def realtime_slots(self, tenant_id: str, start_us: int, end_us: int) -> list[DayRow]:
        statement = realtime.slots_day_statement(tenant_id, start_us, end_us, self._dialect)
        with self._read() as db:
            rows = db.execute(statement.sql, statement.params).fetchall()
        return realtime.slot_day_rows(rows, start_us)

    # service levels -----------------------------------------------------------------------------------
    def create_sla(self, tenant_id: str, sla: Sla) -> None:
        try:
            with self._write() as db:
                self._lock_slas(db, tenant_id, exclusive=True)
                db.execute(self._sql.insert_sla, (tenant_id, sla.id, sla.name, sla.queue_id, sla.created_us))
                for version in sla.versions:  # a new definition's id: no stored entry names it
                    self._insert_version(db, tenant_id, sla.id, version, named_before=False)
        except self._duplicate:
            raise Conflict(sla_conflict(sla)) from None

    def _insert_version(self, db: Db, tenant_id: str, sla_id: str, v: SlaVersion, *, named_before: bool = True) -> None:
        """Insert a version, and (`named_before`) rebuild the rollups of the entries stored already that name it:
        a record ingested directly may name a version before it exists (judged by the built-in abandon threshold
        until then); from now on its facts join this one."""
        db.execute(
            self._sql.insert_version,
            (tenant_id, sla_id, v.version, v.sla_threshold, v.abandon_type, v.abandon_threshold, v.from_us),
        )
        if not named_before:
            return
        naming = db.execute(self._sql.entries_naming_version, (tenant_id, str(sla_id), v.version)).fetchall()
        if naming:
            self._refresh_rollups(db, tenant_id, [int(entry_us) for (entry_us,) in naming])

    def add_sla_version(
        self, tenant_id: str, sla_id: str, version: SlaVersion, *, exact: bool = False
    ) -> SlaVersion | None:
        sla_key = self._dialect.id_param(sla_id)
        if sla_key is None:
            return None
        with self._write() as db:
            self._lock_slas(db, tenant_id, exclusive=True)
            if db.execute(self._sql.lock_sla, (tenant_id, sla_key)).fetchone() is None:
                return None
            number, since = db.execute(self._sql.last_version, (tenant_id, sla_key)).fetchone()
            start = version.from_us if exact else max(version.from_us, int(since))
            added = replace(version, version=int(number) + 1, from_us=start)
            self._insert_version(db, tenant_id, sla_key, added)
        return added

    def get_sla(self, tenant_id: str, sla_id: str) -> Sla | None:
        sla_key = self._dialect.id_param(sla_id)
        if sla_key is None:
            return None
        found = self._slas(tenant_id, self._sql.sla_id_is, (sla_key,))
        return found[0] if found else None

    def list_slas(self, tenant_id: str) -> list[Sla]:
        return self._slas(tenant_id, "", ())

    def _slas(self, tenant_id: str, condition: str, params: tuple[object, ...]) -> list[Sla]:
        with self._read() as db:
            return self._slas_on(db, tenant_id, condition, params)

    def _slas_on(self, db: Db, tenant_id: str, condition: str, params: tuple[object, ...]) -> list[Sla]:
        rows = db.execute(self._sql.slas.format(condition), (tenant_id, *params)).fetchall()
        versions: dict[str, list[SlaVersion]] = {}
        for sla_id, *version in db.execute(self._sql.versions.format(condition), (tenant_id, *params)):
            versions.setdefault(sla_id, []).append(SlaVersion(*version))
        return [Sla(row[0], row[1], row[2], row[3], tuple(versions.get(row[0], ()))) for row in rows]

    def _judging_slas(self, db: Db, tenant_id: str) -> list[Sla]:
        self._lock_slas(db, tenant_id, exclusive=False)
        return self._slas_on(db, tenant_id, "", ())

    # restating what SLA versions judge ------------------------------------------------------------------
    def restatement_batch(
        self, tenant_id: str, queue_id: str | None, window: Window, after: tuple[int, str] | None, limit: int
    ) -> list[tuple[int, str]]:
        sql, params = restatement_statement(self._dialect, tenant_id, queue_id, window, after, limit)
        with self._read() as db:
            rows = db.execute(sql, params).fetchall()
        return [(self._dialect.micros(start), str(interaction_id)) for start, interaction_id in rows]

    def rederive(self, tenant_id: str, interaction_ids: Sequence[str], rebuild: Rebuild, now_us: int) -> UpsertCounts:
        if not interaction_ids:
            return UpsertCounts()
        every_event = NewEvents(0, sorted(interaction_ids), before=_EVERY_ROW)
        with self._write() as db:
            stored = self._events_to_rebuild(db, tenant_id, every_event)
            counts = self._upsert(db, tenant_id, rebuild(stored, self._judging_slas(db, tenant_id)), now_us,
                                  derived=True)
            if counts.inserted or counts.updated:
                self._note_change(db, tenant_id, interaction_ids[0])
            return counts
