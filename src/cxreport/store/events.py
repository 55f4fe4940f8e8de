"""The events transaction, written once for both SQL stores: dedupe, store the new events, read the prior
ones, rebuild the records of the interactions that got new events, upsert them as derived.

Each store supplies only what differs: how the transaction locks (`_events_transaction`), how the new events
are inserted and told apart from duplicates (`_insert_new_events`: SQLite's `INSERT OR IGNORE` and rowids,
PostgreSQL's COPY and `RETURNING`), and how the events to rebuild from are read (`_events_to_rebuild`)."""

from __future__ import annotations

import abc
from collections.abc import Iterable, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

import msgspec

from cxreport.store.base import (
    AgentEventKey,
    EventCounts,
    EventKey,
    Rebuild,
    Sla,
    StoredAgentEvent,
    StoredEvent,
    StoredRecord,
    UpsertCounts,
    first_per_agent_event,
    first_per_id,
)

Db = TypeVar("Db")


@dataclass(frozen=True, slots=True)
class NewEvents:
    """What inserting a batch's events stored: the others were duplicates."""

    count: int
    touched: list[str]
    """The interactions that got new events, sorted."""
    events: Sequence[StoredEvent] = ()
    """The new events themselves, for a store that adds them to the prior ones instead of reading them back."""
    before: int = 0
    """A store's position in its events before this transaction (SQLite: the last rowid)."""


_NO_EVENTS = NewEvents(0, [])


class EventsTransaction(abc.ABC, Generic[Db]):
    """`Store.ingest_events` over a store's connection type `Db`."""

    def ingest_events(
        self,
        tenant_id: str,
        events: Sequence[StoredEvent],
        rebuild: Rebuild,
        now_us: int,
        agent_events: Sequence[StoredAgentEvent] = (),
    ) -> EventCounts:
        unique = first_per_id(events)
        agents = first_per_agent_event(agent_events) if agent_events else {}
        if not unique and not agents:
            return EventCounts()
        new, new_agent_events = _NO_EVENTS, 0
        with self._events_transaction(tenant_id, unique) as db:
            if agents:
                new_agent_events = self._insert_agent_events(db, tenant_id, agents)
            if unique:
                new = self._insert_new_events(db, tenant_id, unique)
            if new_agent_events:
                self._note_presence(db, tenant_id, latest_per_agent(agents.values()))
            if new.touched:
                stored = self._events_to_rebuild(db, tenant_id, new)
                records = rebuild(stored, self._judging_slas(db, tenant_id))
                self._upsert(db, tenant_id, records, now_us, derived=True)
                self._replace_live(db, tenant_id, records)
            if new.count or new_agent_events:
                self._note_change(db, tenant_id, (new.touched or sorted(agent for agent, _ in agents))[0])
        accepted = new.count + new_agent_events
        return EventCounts(accepted, len(events) + len(agent_events) - accepted, len(new.touched))

    @abc.abstractmethod
    def _events_transaction(self, tenant_id: str, unique: dict[EventKey, StoredEvent]) -> AbstractContextManager[Db]:
        """A write transaction in which no other one ingests events of these interactions."""

    @abc.abstractmethod
    def _judging_slas(self, db: Db, tenant_id: str) -> list[Sla]:
        """The tenant's SLA definitions, read in this transaction once no version can be added to them until it
        ends (see `Rebuild`)."""

    @abc.abstractmethod
    def _insert_new_events(self, db: Db, tenant_id: str, unique: dict[EventKey, StoredEvent]) -> NewEvents:
        """Insert the events the tenant does not have yet (by interactionId and eventId); say which they were."""

    @abc.abstractmethod
    def _insert_agent_events(self, db: Db, tenant_id: str, unique: dict[AgentEventKey, StoredAgentEvent]) -> int:
        """Insert the agent-state events the tenant does not have yet (by agentId and eventId); say how many."""

    @abc.abstractmethod
    def _note_presence(self, db: Db, tenant_id: str, latest: Sequence[StoredAgentEvent]) -> None:
        """Keep each agent's latest state event (`agent_presence`): these replace older ones."""

    @abc.abstractmethod
    def _replace_live(self, db: Db, tenant_id: str, records: Sequence[StoredRecord]) -> None:
        """Replace what these derived records' interactions have in progress (`live_interactions`)."""

    @abc.abstractmethod
    def _note_change(self, db: Db, tenant_id: str, key: str) -> None:
        """Bump the tenant's change counter (`Store.realtime_version`) in this transaction; `key` picks the
        shard (concurrent transactions with different keys mostly bump different rows)."""

    @abc.abstractmethod
    def _events_to_rebuild(self, db: Db, tenant_id: str, new: NewEvents) -> dict[str, list[bytes]]:
        """Every event of the touched interactions, as this transaction sees them (JSON text, any order)."""

    @abc.abstractmethod
    def _upsert(
        self, db: Db, tenant_id: str, records: Sequence[StoredRecord], now_us: int, *, derived: bool
    ) -> UpsertCounts:
        """`Store.upsert_records` inside an open transaction; `derived` marks records made from events."""


PRESENCE_RANK = {"agent-logged-in": 0, "agent-state-changed": 1, "agent-logged-out": 2}
"""At one instant: a login, then presence changes, then a logout (the order `agent_presence` keeps the latest in)."""


def presence_key(event: StoredAgentEvent) -> tuple[int, int, str]:
    return event.time_us, PRESENCE_RANK.get(event.type, 2), event.event_id


def latest_per_agent(events: Iterable[StoredAgentEvent]) -> list[StoredAgentEvent]:
    """Each agent's latest event among `events` (by `presence_key`), by agent id."""
    latest: dict[str, StoredAgentEvent] = {}
    for event in events:
        previous = latest.get(event.agent_id)
        if previous is None or presence_key(event) > presence_key(previous):
            latest[event.agent_id] = event
    return [latest[agent] for agent in sorted(latest)]


def by_interaction(rows: Iterable[Any], found: dict[str, list[bytes]]) -> dict[str, list[bytes]]:
    """(interaction id as text, doc) rows added to `found`, grouped by interaction."""
    for interaction_id, doc in rows:
        found.setdefault(interaction_id, []).append(bytes(doc))
    return found


def with_new(stored: dict[str, list[bytes]], new: Sequence[StoredEvent]) -> dict[str, list[bytes]]:
    """Every event of each interaction that got new ones: those stored before, then the new ones."""
    merged = stored
    for event in new:
        docs = merged.get(event.interaction_id)
        if docs is None:
            docs = merged[event.interaction_id] = []
        docs.append(event.doc)
    return merged


def live_rows(tenant_id: str, records: Sequence[StoredRecord]) -> list[tuple[str, str, int, str]]:
    """(tenant id, interaction id, latest event µs, activities as JSON) of the records with something in progress."""
    return [
        (tenant_id, r.interaction_id, r.last_event_us or r.start_us, msgspec.json.encode(r.live).decode())
        for r in records
        if r.live
    ]
