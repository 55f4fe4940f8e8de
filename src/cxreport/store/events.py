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

from cxreport.store.base import (
    AgentEventKey,
    EventCounts,
    EventKey,
    Rebuild,
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
            if new.touched:
                stored = self._events_to_rebuild(db, tenant_id, new)
                self._upsert(db, tenant_id, rebuild(stored), now_us, derived=True)
        accepted = new.count + new_agent_events
        return EventCounts(accepted, len(events) + len(agent_events) - accepted, len(new.touched))

    @abc.abstractmethod
    def _events_transaction(self, tenant_id: str, unique: dict[EventKey, StoredEvent]) -> AbstractContextManager[Db]:
        """A write transaction in which no other one ingests events of these interactions."""

    @abc.abstractmethod
    def _insert_new_events(self, db: Db, tenant_id: str, unique: dict[EventKey, StoredEvent]) -> NewEvents:
        """Insert the events the tenant does not have yet (by interactionId and eventId); say which they were."""

    @abc.abstractmethod
    def _insert_agent_events(self, db: Db, tenant_id: str, unique: dict[AgentEventKey, StoredAgentEvent]) -> int:
        """Insert the agent-state events the tenant does not have yet (by agentId and eventId); say how many."""

    @abc.abstractmethod
    def _events_to_rebuild(self, db: Db, tenant_id: str, new: NewEvents) -> dict[str, list[bytes]]:
        """Every event of the touched interactions, as this transaction sees them (JSON text, any order)."""

    @abc.abstractmethod
    def _upsert(
        self, db: Db, tenant_id: str, records: Sequence[StoredRecord], now_us: int, *, derived: bool
    ) -> UpsertCounts:
        """`Store.upsert_records` inside an open transaction; `derived` marks records made from events."""


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
