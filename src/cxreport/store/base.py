"""The storage interface every backend implements, and the plain types that cross it.

Every method that touches tenant data takes the tenant id first; no query leaves a tenant's rows.
Documents cross this interface as bytes: the exact JSON text a client will receive.
"""

from __future__ import annotations

import abc
from collections import deque
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, replace
from threading import Lock
from typing import Any, NamedTuple, TypeVar

import msgspec

from cxreport.records.filters import Filter as Filter  # re-exported: the stores' interface takes it
from cxreport.records.stored import StoredRecord as StoredRecord  # re-exported: the stores' interface takes it

# Bounds used when a window side is open: far outside any real timestamp, inside a signed 64-bit integer.
MIN_INSTANT = -(2**62)
MAX_INSTANT = 2**62


@dataclass(frozen=True, slots=True)
class Tenant:
    id: str
    name: str
    timezone: str


@dataclass(frozen=True, slots=True)
class ApiKey:
    id: str
    tenant_id: str
    role: str
    secret_hash: str
    created_us: int
    revoked_us: int | None = None


@dataclass(frozen=True, slots=True)
class Token:
    token_hash: str
    tenant_id: str
    key_id: str
    expires_us: int


def newest_per_id(records: Sequence[StoredRecord]) -> dict[str, StoredRecord]:
    """One record per interaction id: the highest revision, and among equals (or none) the last."""
    newest: dict[str, StoredRecord] = {}
    for record in records:
        previous = newest.get(record.interaction_id)
        if (
            previous is None
            or record.revision is None
            or previous.revision is None
            or (record.revision >= previous.revision)
        ):
            newest[record.interaction_id] = record
    return newest


def replaces(record: StoredRecord, derived: bool, stored: tuple[int | None, bool]) -> bool:
    """Whether `record` (derived from events or not) may replace a stored one with (record revision, derived):
    a direct record never replaces a derived one; a derived one always replaces a direct one, and another
    derived one unless its revision is lower (an equal revision means the same events, derived again: under
    SLA versions restated since, see `Store.rederive`)."""
    stored_revision, stored_derived = stored
    if stored_derived and not derived:
        return False
    if derived and not stored_derived:
        return True
    if derived and record.revision is not None and stored_revision is not None:
        return record.revision >= stored_revision  # the same events, derived again (an SLA restatement)
    return record.supersedes(stored_revision)


@dataclass(frozen=True, slots=True)
class UpsertCounts:
    inserted: int = 0
    updated: int = 0
    unchanged: int = 0

    def __add__(self, other: UpsertCounts) -> UpsertCounts:
        return UpsertCounts(
            self.inserted + other.inserted, self.updated + other.updated, self.unchanged + other.unchanged
        )


BulkUpsert = Callable[[Sequence[StoredRecord], int], UpsertCounts]
"""Upserts records (and `now_us`) in an open bulk transaction (`Store.bulk_transaction`)."""


class StoredEvent(msgspec.Struct, frozen=True, gc=False):
    """One event ready to store: its exact JSON text and the columns promoted from it.

    Not tracked by the garbage collector (it holds no container): an import holds a batch of 100,000 of
    them, which full collections would otherwise walk again and again."""

    event_id: str
    interaction_id: str
    """Lower case, as records use it."""
    time_us: int
    type: str
    doc: bytes


class StoredAgentEvent(msgspec.Struct, frozen=True, gc=False):
    """One agent-state event (login, logout, presence change) ready to store, or as read back: its exact JSON
    text and the columns promoted from it. Read back for sessions, `doc` is empty."""

    agent_id: str
    event_id: str
    time_us: int
    type: str
    state: str | None
    reason_code: str | None
    session_id: str | None
    doc: bytes = b""


AgentEventKey = tuple[str, str]
"""What identifies a stored agent-state event: (agentId, eventId)."""


def first_per_agent_event(events: Sequence[StoredAgentEvent]) -> dict[AgentEventKey, StoredAgentEvent]:
    """One agent-state event per (agentId, eventId): the first of each."""
    unique: dict[AgentEventKey, StoredAgentEvent] = {}
    for event in events:
        unique.setdefault((event.agent_id, event.event_id), event)
    return unique


@dataclass(frozen=True, slots=True)
class FollowPosition:
    """How far a follower (`cxreport follow-queue-log`) has stored a live log file: the file it read (its device
    and inode, `"dev:ino"`, which tell a rotated file from its successor), the byte offset just after the last
    line whose events are stored, and how many lines that is (for `FILE: line L` reports)."""

    file_id: str
    offset: int
    line: int


@dataclass(frozen=True, slots=True)
class EventCounts:
    accepted: int = 0
    """Events stored now (interaction events whose interactionId and eventId, agent-state events whose agentId
    and eventId, were new to the tenant)."""
    duplicates: int = 0
    """Events the tenant already had by those keys (or that repeated within the batch): they change nothing."""
    interactions: int = 0
    """Interactions whose record was derived again because they got new events."""

    def __add__(self, other: EventCounts) -> EventCounts:
        return EventCounts(
            self.accepted + other.accepted, self.duplicates + other.duplicates, self.interactions + other.interactions
        )


EventKey = tuple[str, str]
"""What identifies a stored event: (interactionId in lower case, eventId). A resent event repeats both."""


def first_per_id(events: Sequence[StoredEvent]) -> dict[EventKey, StoredEvent]:
    """One event per (interactionId, eventId): the first of each."""
    unique: dict[EventKey, StoredEvent] = {}
    for event in events:
        unique.setdefault((event.interaction_id, event.event_id), event)
    return unique


def sla_conflict(sla: Sla) -> str:
    if sla.queue_id is None:
        return "the tenant has a default service level already: add a version to it"
    return f"queue {sla.queue_id} has a service level already: add a version to it"


@dataclass(frozen=True, slots=True)
class SlaVersion:
    version: int
    sla_threshold: float
    abandon_type: str
    abandon_threshold: float
    from_us: int
    """In force from this instant on (its `effectiveFrom`: its creation, unless one was chosen), until the next
    version's, in the order of (from_us, version)."""


@dataclass(frozen=True, slots=True)
class Sla:
    """A service-level definition: the tenant default (`queue_id` None) or one queue's, with its versions."""

    id: str
    name: str | None
    queue_id: str | None
    created_us: int
    versions: tuple[SlaVersion, ...] = ()


Rebuild = Callable[[dict[str, list[bytes]], Sequence[Sla]], list[StoredRecord]]
"""(interaction id → every stored event of it (JSON text, in any order: derivation does not depend on it), the
tenant's SLA definitions) → the records derived from them. The store reads the definitions inside the
transaction that stores the records, where no SLA version can be added until it commits (SQLite: one writer;
PostgreSQL: a shared lock against `create_sla` and `add_sla_version`'s exclusive one), so a record is derived
under every version created before it is stored, and a version's restatement sees every record stored before
the version was."""


@dataclass(frozen=True, slots=True)
class Window:
    """A half-open window [start_us, end_us) on one of the record's times, in epoch microseconds."""

    start_us: int = MIN_INSTANT
    end_us: int = MAX_INSTANT


TIME_FIELDS = ("start", "end", "updated")
"""What a window applies to: the interaction's start, its end, or the last time its record changed."""


@dataclass(frozen=True, slots=True)
class Query:
    """Which records, in which order: a window on one time field, filters that must all hold, and for keyset
    paging the position (time, interaction id) to continue after."""

    window: Window = Window()
    time_field: str = "start"
    descending: bool = True
    filters: tuple[Filter, ...] = ()
    after: tuple[int, str] | None = None


@dataclass(frozen=True, slots=True)
class PageRequest:
    query: Query
    limit: int
    offset: int = 0
    include_nulls: bool = False
    count: bool = True


@dataclass(frozen=True, slots=True)
class Page:
    total: int
    docs: list[bytes]
    rows: Sequence[Sequence[Any]] = ()
    """The page's rows as the store fetched them: (document, keyset time, interaction id)."""
    micros: Callable[[Any], int] = int
    """The store's keyset time → epoch microseconds."""

    def key(self, index: int) -> tuple[int, str]:
        """The keyset position (time, interaction id) of document `index`, to continue after it: converted when
        asked (a page needs one, for its cursor; converting a thousand cost ~3 µs each on PostgreSQL)."""
        row = self.rows[index]
        return self.micros(row[1]), str(row[2])


@dataclass(frozen=True, slots=True)
class ExportKey:
    """Where a record sits in an export: its keyset position, and a store's own handle on its row."""

    time_us: int
    interaction_id: str
    row: object = None


EXPORT_READERS = 2
"""Threads fetching an export's documents at once (shared by every export of the process)."""
_READ_AHEAD = EXPORT_READERS + 1
_export_pool: ThreadPoolExecutor | None = None
_T = TypeVar("_T")
_R = TypeVar("_R")
_export_pool_lock = Lock()


def in_order(work: Callable[[_T], _R], items: Iterable[_T]) -> Iterator[_R]:
    """`work` applied to each item on the export threads, a few items ahead, results in input order."""
    global _export_pool
    with _export_pool_lock:
        if _export_pool is None:
            _export_pool = ThreadPoolExecutor(EXPORT_READERS, thread_name_prefix="cxreport-export")
        pool = _export_pool
    pending: deque[Future[_R]] = deque()
    try:
        for item in items:
            pending.append(pool.submit(work, item))
            if len(pending) >= _READ_AHEAD:
                yield pending.popleft().result()
        while pending:
            yield pending.popleft().result()
    finally:
        for future in pending:  # the consumer stopped early: drop what has not started
            future.cancel()


GROUP_COLUMNS = {
    "queue": ("queue_id", "queue_name"),
    "agent": ("agent_id", "agent_name"),
    "channelType": ("channel_type", None),
    "direction": ("direction", None),
    "flow": ("flow_id", "flow_name"),
}
"""What interval statistics group by: the fact's id column, and its name column when it has one."""


@dataclass(frozen=True, slots=True)
class SlotQuery:
    """Interval statistics as the store aggregates them: the queue entries of [start_us, end_us) (by entry
    instant) of the interactions matching `filters`, summed per slot of `slot_us` from `start_us` and per
    value of the `group_by` columns. `sla_threshold_ms` replaces the judging SLA's threshold in
    answeredWithinSla when given."""

    start_us: int
    end_us: int
    slot_us: int
    group_by: tuple[str, ...] = ()
    filters: tuple[Filter, ...] = ()
    sla_threshold_ms: int | None = None
    use_rollups: bool = True
    """Read the 15-minute rollups when they cover the query (`store/rollups.py`); False: always the facts (the
    same sums; tests compare the two)."""


class SlotRow(NamedTuple):
    """The sums of one slot and group (see `store/statistics.py` for the figures, in `FIGURES` order). A named
    tuple: a month of hourly rows is ~20,000 of them, made 4× faster than a frozen dataclass's."""

    slot: int
    group: tuple[str | None, ...]
    names: tuple[str | None, ...]
    figures: tuple[int, ...]
    rules: tuple[str | None, str | None]
    """The least and greatest abandonType of the SLAs that judged the slot's entries (None when none did)."""


@dataclass(frozen=True, slots=True)
class LiveInteraction:
    """An interaction with something in progress (`metrics/live.py`), as the events transaction stored it."""

    interaction_id: str
    last_us: int
    """Its latest event's instant."""
    activities: tuple[tuple[str, str | None, str | None, int], ...]
    """(kind, queue id, agent id, since µs) of each thing in progress."""


@dataclass(frozen=True, slots=True)
class LiveInteractions:
    fresh: list[LiveInteraction]
    """Those whose latest event is at or after the staleness cutoff asked for."""
    stale: int
    """How many others there are (their events stopped before the cutoff without an end)."""


@dataclass(frozen=True, slots=True)
class AgentPresence:
    """An agent's latest state event (by time, then login < change < logout, then eventId)."""

    agent_id: str
    time_us: int
    type: str
    state: str | None
    reason_code: str | None


@dataclass(frozen=True, slots=True)
class DayRow:
    """The queue-entry facts of a quarter hour summed per queue id and answering agent id: the figures of
    `store/statistics.py` (`FIGURES` order, then `maxWaitTime`), the SLA rules, and the extremes of the time
    figures (min and max answer time, min and max handle time, in ms; None without any)."""

    queue_id: str | None
    agent_id: str | None
    figures: tuple[int, ...]
    rules: tuple[str | None, str | None]
    extremes: tuple[int | None, int | None, int | None, int | None]
    slot_us: int = 0
    """The quarter hour's start (epoch µs)."""


class Store(abc.ABC):
    """What cxreport needs from a database. Implementations: SqliteStore, and PostgreSQL next."""

    reads_in_process = False
    """True when a read is work in this process only (SQLite: no network, no pool to wait for), so that a read
    known to be short may run on the event loop instead of a worker thread (`http/fast_search.py`)."""

    @abc.abstractmethod
    def migrate(self) -> int:
        """Bring the schema to the newest version this code knows; return that version.

        Raises SchemaTooNew when the database was written by a newer cxreport."""

    @abc.abstractmethod
    def ping(self) -> None:
        """Raise StoreUnavailable when the database cannot answer a trivial query."""

    @abc.abstractmethod
    def close(self) -> None: ...

    @abc.abstractmethod
    def refresh_statistics(self) -> None:
        """After a bulk load: let the query planner see the data as it now is. PostgreSQL plans searches
        from table statistics, which a freshly loaded table lacks until autovacuum analyzes it (never, when
        autovacuum is off); without them a filtered search on 20,000 records took 1.1 s instead of 0.5 ms.
        PostgreSQL also sets the visibility map of what was loaded (VACUUM), so counts are index-only scans."""

    # tenants ------------------------------------------------------------------------------------------
    @abc.abstractmethod
    def create_tenant(self, tenant: Tenant) -> None:
        """Raise Conflict when a tenant with that id exists."""

    @abc.abstractmethod
    def get_tenant(self, tenant_id: str) -> Tenant | None: ...

    # credentials --------------------------------------------------------------------------------------
    @abc.abstractmethod
    def create_key(self, key: ApiKey, *, max_live: int = 0) -> None:
        """With `max_live` > 0: `TooManyKeys` when the tenant has that many unrevoked keys already."""

    @abc.abstractmethod
    def get_key(self, key_id: str) -> ApiKey | None:
        """Look a key up by its id alone (authentication does not know the tenant yet)."""

    @abc.abstractmethod
    def list_keys(self, tenant_id: str) -> list[ApiKey]: ...

    @abc.abstractmethod
    def revoke_key(self, key_id: str, revoked_us: int) -> ApiKey | None:
        """Mark the key revoked and delete its tokens; return it, or None when there is no such key."""

    @abc.abstractmethod
    def create_token(self, token: Token, *, max_live: int = 0, now_us: int = 0) -> None:
        """With `max_live` > 0: `TooManyTokens` when the key has that many tokens unexpired at `now_us`."""

    @abc.abstractmethod
    def get_token(self, token_hash: str) -> Token | None: ...

    # interactions -------------------------------------------------------------------------------------
    bulk_writers = 1
    """How many bulk imports' batches this store takes at once, each on its own connection."""
    bulk_batch_size = 2000
    """`cxreport import`'s default records a transaction on this store."""
    bulk_chunk: int | None = None
    """Records handed at a time to a `bulk_transaction`'s writer (so that a big transaction never holds all its
    records in memory); None: a whole batch at once."""

    @contextmanager
    def bulk_transaction(self, tenant_id: str) -> Iterator[BulkUpsert]:
        """One bulk import's transaction: the function it yields upserts records as `upsert_records` does, and
        everything written through it commits when the block ends, or rolls back on an exception. Here, each call
        is a transaction of its own (which is why `bulk_chunk` is None: a batch is handed over in one call)."""
        yield lambda records, now_us: self.upsert_records(tenant_id, records, now_us)

    @abc.abstractmethod
    def upsert_records(self, tenant_id: str, records: Sequence[StoredRecord], now_us: int) -> UpsertCounts:
        """Insert or replace records by interaction id, all of them or none (one transaction).

        Which version is newest: a record that carries its own `revision` replaces a stored one only when
        that revision is higher than the stored record's; a record without one (or replacing one without
        one) always replaces it. A record identical to the stored one, or older than it, is left alone and
        counted as unchanged. A replaced row gets the next row revision and `now_us` as its last-update
        time. When an id repeats within `records`, the newest of them (by the same rule) is kept.

        A stored record derived from events (see `ingest_events`) is never replaced by a record ingested
        directly: it is counted as unchanged."""

    @abc.abstractmethod
    def search(self, tenant_id: str, request: PageRequest) -> Page:
        """One page of the tenant's interactions matching `request.query`, ordered by the query's time field
        (ties: interaction id, in the same direction), with the total number that match (without the keyset
        position: the whole window). Every filter is served by an index."""

    def export(self, tenant_id: str, query: Query, include_nulls: bool, batch: int) -> Iterator[list[bytes]]:
        """Every record matching `query`, in order, in batches of at most `batch`: each batch a separate
        keyset query, so memory stays flat and no transaction stays open between batches.

        The positions come first, read in order from the indexes (cheap); the documents of each batch are
        fetched on `EXPORT_READERS` threads at once, a few batches ahead (they are the costly part: a
        document's place in the table follows arrival, not time), and yielded in order."""

        def key_batches() -> Iterator[list[ExportKey]]:
            position = query
            while True:
                keys = self.export_keys(tenant_id, position, batch)
                if keys:
                    yield keys
                if len(keys) < batch:
                    return
                position = replace(position, after=(keys[-1].time_us, keys[-1].interaction_id))

        return in_order(lambda keys: self.export_docs(tenant_id, keys, include_nulls), key_batches())

    @abc.abstractmethod
    def export_keys(self, tenant_id: str, query: Query, limit: int) -> list[ExportKey]:
        """The positions of the next `limit` records matching `query` (after `query.after`), in order."""

    @abc.abstractmethod
    def export_docs(self, tenant_id: str, keys: list[ExportKey], include_nulls: bool) -> list[bytes]:
        """The documents at `keys`, in the same order (a record gone since is left out)."""

    @abc.abstractmethod
    def secret(self, name: str, make: Callable[[], str]) -> str:
        """A server-wide secret shared by every process on this database: the stored one, or `make()`'s value
        stored now (the first process to ask wins)."""

    @abc.abstractmethod
    def get_record(self, tenant_id: str, interaction_id: str, include_nulls: bool) -> bytes | None: ...

    # events -------------------------------------------------------------------------------------------
    @abc.abstractmethod
    def ingest_events(
        self,
        tenant_id: str,
        events: Sequence[StoredEvent],
        rebuild: Rebuild,
        now_us: int,
        agent_events: Sequence[StoredAgentEvent] = (),
    ) -> EventCounts:
        """Store events and the records they make, and agent-state events, all in one transaction.

        An agent-state event whose agentId and eventId the tenant has already (or that repeats within
        `agent_events`) is ignored like a duplicate interaction event; agent-state events make no record.

        An event whose interactionId and eventId the tenant has already (or that repeats within `events`) is
        ignored: a duplicate changes nothing, even when its text differs (the first version stored is kept).
        For every interaction that got a new event, ALL its stored events are read and passed to `rebuild`; the records
        it returns are upserted as `upsert_records` does (facets included), marked as derived: a derived
        record replaces a directly ingested one whatever their revisions, and another derived one unless its
        revision is lower. Concurrent calls touching one interaction are serialized."""

    @abc.abstractmethod
    def events_of(self, tenant_id: str, interaction_id: str) -> list[bytes]:
        """The interaction's stored events (JSON text), in time order (ties: eventId)."""

    # followed logs ------------------------------------------------------------------------------------
    @abc.abstractmethod
    def follow_position(self, tenant_id: str, source: str, path: str) -> FollowPosition | None:
        """Where the follower of `path` for `source` stopped, or None when it never stored a line."""

    @abc.abstractmethod
    def set_follow_position(self, tenant_id: str, source: str, path: str, position: FollowPosition) -> None:
        """Record (replace) where the follower of `path` for `source` stands; called after the events of the lines
        before it are stored, so a restart re-reads at most lines already stored (duplicates, which change nothing)."""

    # agent states -------------------------------------------------------------------------------------
    @abc.abstractmethod
    def agent_events(
        self, tenant_id: str, agent_id: str, window: Window, after: tuple[int, str] | None, limit: int
    ) -> list[StoredAgentEvent]:
        """The agent's stored state events in [window.start_us, window.end_us) after the keyset position
        `after` (time, eventId), at most `limit`, in time order (ties: eventId), with their JSON text."""

    @abc.abstractmethod
    def agents_with_states(self, tenant_id: str, before_us: int) -> list[str]:
        """The ids of the agents with a state event before `before_us`, in order."""

    @abc.abstractmethod
    def agent_state_changes(self, tenant_id: str, agent_id: str, window: Window) -> list[StoredAgentEvent]:
        """What the agent's sessions in the window are made of, without the JSON text, in time order: every
        state event in the window, those at the last instant before it (they say what was open when it starts)
        and those at the first instant from its end on (they say whether a session goes on after it)."""

    # interval statistics ------------------------------------------------------------------------------
    @abc.abstractmethod
    def queue_entry_slots(self, tenant_id: str, query: SlotQuery) -> list[SlotRow]:
        """The queue-entry facts of `query`'s window summed per slot and group (only those with entries), read
        from `queue_entry_facts` alone (no record is decoded)."""

    @abc.abstractmethod
    def queue_entry_cells(self, tenant_id: str, query: SlotQuery) -> list[SlotRow]:
        """The slots and groups of `query`'s window that hold a queue entry, with the groups' names, as
        `queue_entry_slots` finds them but without their sums (`figures` empty, `rules` None): cheaper, for
        paging through them."""

    # realtime -----------------------------------------------------------------------------------------
    @abc.abstractmethod
    def realtime_version(self, tenant_id: str) -> int:
        """The tenant's change counter: it grows in every transaction that stores an event, a record or a
        restatement of the tenant (committed with it), so equal values mean the same stored data."""

    @abc.abstractmethod
    def live_interactions(self, tenant_id: str, fresh_from_us: int) -> LiveInteractions:
        """The tenant's interactions with something in progress whose latest event is at or after
        `fresh_from_us`, and how many older ones there are."""

    @abc.abstractmethod
    def agent_presences(self, tenant_id: str) -> list[AgentPresence]:
        """Each agent's latest state event, by agent id."""

    @abc.abstractmethod
    def realtime_slot_counters(self, tenant_id: str, start_us: int, end_us: int) -> dict[int, int]:
        """The change counter of each UTC quarter hour starting in [start_us, end_us) that has one (absent: 0):
        it grows in every transaction that writes a queue-entry fact in that quarter hour or replaces one that
        was, committed with it."""

    @abc.abstractmethod
    def realtime_slots(self, tenant_id: str, start_us: int, end_us: int) -> list[DayRow]:
        """The queue-entry facts with an entry instant in [start_us, end_us) summed per quarter hour (from
        `start_us`), queue and answering agent, by the same expressions as `queue_entry_slots` (only groups with
        entries)."""

    # service levels -----------------------------------------------------------------------------------
    @abc.abstractmethod
    def create_sla(self, tenant_id: str, sla: Sla) -> None:
        """Store a definition with its versions. Raises Conflict when the tenant has one for that queue (or,
        for `queue_id` None, a tenant default) already."""

    @abc.abstractmethod
    def add_sla_version(
        self, tenant_id: str, sla_id: str, version: SlaVersion, *, exact: bool = False
    ) -> SlaVersion | None:
        """Append a version; its number is the next one (`version.version` is ignored) and it is in force from
        `version.from_us` — unless `exact`, from the latest start of the earlier versions when that is later
        (a version made "now" by a process whose clock lags). With `exact` (a chosen `effectiveFrom`) it may
        start before earlier versions. None when there is no such definition. In the same transaction, the
        rollups of the entries stored already that name the new version (records ingested directly may name a
        version before it exists) are rebuilt: a scan of the tenant's queue-entry facts."""

    @abc.abstractmethod
    def get_sla(self, tenant_id: str, sla_id: str) -> Sla | None: ...

    @abc.abstractmethod
    def list_slas(self, tenant_id: str) -> list[Sla]:
        """Every definition of the tenant with its versions, the tenant default first, then by queue id."""

    @abc.abstractmethod
    def restatement_batch(
        self, tenant_id: str, queue_id: str | None, window: Window, after: tuple[int, str] | None, limit: int
    ) -> list[tuple[int, str]]:
        """The next `limit` records derived from events (after the keyset position `after`, in order of start
        and interaction id, as (start, interaction id)) that may have a queue entry inside `window`: those
        whose span [start, end] (an open one: [start, ∞)) overlaps it; with `queue_id`, only those with an entry
        in that queue. A superset of the interactions an SLA version judging `window` may change."""

    @abc.abstractmethod
    def rederive(self, tenant_id: str, interaction_ids: Sequence[str], rebuild: Rebuild, now_us: int) -> UpsertCounts:
        """Derive these interactions' records again from all their stored events, in one transaction, and store
        those that changed as `ingest_events` does (a late event's restatement, without a new event): the row
        revision goes up and `updated` becomes `now_us`. A record a concurrent event made newer is left alone."""
