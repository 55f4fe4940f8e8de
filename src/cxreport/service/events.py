"""Events in, records out: the glue between the derivation core (`cxreport.metrics`) and the store.

- `read_events`: a request body (one event, an array, NDJSON) into typed events with their exact JSON text,
  all or nothing (`RejectedBatch` names every bad event's position and reason).
- `store_events`: what the HTTP route and `cxreport import-events` both call: the events and the records
  they make go to the store in one transaction (`Store.ingest_events`); the records are rebuilt from ALL
  stored events of each touched interaction, judged by the tenant's SLA versions. Agent-state events (login,
  logout, presence) may come in the same body: they are stored in the same transaction, per agent, and make
  no record.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from typing import cast

import msgspec

from cxreport import clock
from cxreport.errors import InvalidRecord, TooManyEvents
from cxreport.metrics import (
    AGENT_EVENT_CLASSES,
    AGENT_TYPE_NAME,
    TYPE_NAME,
    AgentEvent,
    AgentLoggedOut,
    Event,
    PolicyLookup,
    Record,
    SlaPolicy,
    decode_events,
    decode_interaction_event,
    decode_timed_event,
    derive_record,
    split_events,
    versioned_lookup,
)
from cxreport.metrics.live import live_activities
from cxreport.metrics.timeline import Timed
from cxreport.records.facets import record_view
from cxreport.records.facts import facts_view
from cxreport.records.stored import StoredRecord, stored_record
from cxreport.records.validate import prepare_record
from cxreport.store.base import EventCounts, Rebuild, Sla, Store, StoredAgentEvent, StoredEvent, UpsertCounts
from cxreport.times import parse_instant

_encode = msgspec.json.encode

InteractionIncoming = tuple[Event, StoredEvent]
"""An interaction's event as decoded, and as the store keeps it (its exact JSON text and instant)."""
Incoming = InteractionIncoming | StoredAgentEvent
"""An event of a body: an interaction's (as decoded and as stored), or an agent-state event (as stored)."""


def read_events(body: bytes, tenant_id: str | None = None) -> list[Incoming]:
    """Every event of a body with its JSON text (insignificant whitespace removed). Raises InvalidBody when
    the body is not events at all, RejectedBatch when any event is malformed (nothing is accepted)."""
    items = split_events(body)
    decoded: list[Incoming] = []
    try:
        for position, (raw, _line) in enumerate(items):
            decoded.append(incoming(raw, position, tenant_id))
    except InvalidRecord:
        decode_events(body, tenant_id)  # raises RejectedBatch, naming every malformed event
        raise
    return decoded


def incoming(raw: bytes | msgspec.Raw, position: int, tenant_id: str | None) -> Incoming:
    """One event's JSON text, decoded and checked (raises InvalidRecord), with what the store keeps of it."""
    event, time_us = decode_timed_event(raw, position, tenant_id)
    if type(event) in AGENT_EVENT_CLASSES:
        return stored_agent_event(cast("AgentEvent", event), compact(raw), time_us)
    interaction_event = cast("Event", event)
    return interaction_event, stored_event(interaction_event, compact(raw), time_us)


_SPACE, _TAB, _CR, _LF = b" \t\r\n"
"""The JSON whitespace bytes, as ints: `int in bytes` is one memchr, while `bytes in bytes` first tries the
bytes as an int and formats a TypeError."""


def compact(raw: bytes | msgspec.Raw) -> bytes:
    """An event's JSON text without insignificant whitespace; numbers, strings and key order as sent."""
    if isinstance(raw, bytes) and not (_SPACE in raw or _TAB in raw or _CR in raw or _LF in raw):
        return raw  # no whitespace byte at all: compact already (most producers write it so)
    return msgspec.json.format(raw, indent=-1)


def stored_event(event: Event, text: bytes, time_us: int | None = None) -> StoredEvent:
    """What the store keeps of an event; `time_us` is its timestamp, when it has been parsed already."""
    kind = TYPE_NAME[type(event)]
    instant = parse_instant(event.timestamp) if time_us is None else time_us
    return StoredEvent(event.eventId, event.interactionId.lower(), instant, kind, text)


def stored_agent_event(event: AgentEvent, text: bytes, time_us: int) -> StoredAgentEvent:
    """What the store keeps of an agent-state event."""
    state = None if isinstance(event, AgentLoggedOut) else event.state
    kind = AGENT_TYPE_NAME[type(event)]
    return StoredAgentEvent(
        event.agentId, event.eventId, time_us, kind, state, event.reasonCode, event.sessionId, text
    )


def sla_policy(slas: Sequence[Sla]) -> PolicyLookup:
    """The tenant's SLA versions as the lookup derivation asks: each version in force from its `effectiveFrom`
    (`from_us`) until the next one's, in the order of (from_us, version): at one instant, the higher version."""
    versions: dict[str | None, list[tuple[int, SlaPolicy]]] = {}
    for sla in slas:
        versions[sla.queue_id] = [
            (
                v.from_us,
                SlaPolicy(
                    slaThreshold=v.sla_threshold,
                    abandonType=v.abandon_type,  # type: ignore[arg-type]  # the schema's CHECK holds it to the two
                    abandonThreshold=v.abandon_threshold,
                    slaId=sla.id,
                    slaVersion=v.version,
                ),
            )
            for v in sla.versions
        ]
    return versioned_lookup(versions)


def rebuilder(tenant_id: str, known: Sequence[InteractionIncoming] = (), max_events: int = 0) -> Rebuild:
    """`Store.ingest_events`'s `rebuild`: each interaction's stored events → its record, ready to store, under
    the SLA versions the store's transaction reads. `known` holds events already decoded, so that a batch's own
    events are neither decoded nor their timestamps parsed again (found by their text)."""
    cache: dict[bytes, Event] = {}
    instants: dict[str, int] = {}
    for event, stored_as in known:
        cache[stored_as.doc] = event
        instants[event.timestamp] = stored_as.time_us

    def rebuild(stored: dict[str, list[bytes]], slas: Sequence[Sla]) -> list[StoredRecord]:
        records = []
        policy = sla_policy(slas)
        if max_events > 0:
            _check_event_counts(stored, max_events)
        for docs in stored.values():
            events = []
            for doc in docs:
                event = cache.get(doc)
                if event is None:
                    event, time_us = decode_interaction_event(doc)
                    instants[event.timestamp] = time_us
                events.append(event)
            timed: list[Timed] = []
            record = derived_record(derive_record(tenant_id, events, policy, instants, timed), tenant_id)
            live, last_us = live_activities(timed)  # what is in progress now
            records.append(replace(record, live=live, last_event_us=last_us))
        return records

    return rebuild
def derived_record(record: Record, tenant_id: str) -> StoredRecord:
    """What the store keeps of a record derived from events: what `prepare_record` makes of its JSON, without
    validating it again (derivation makes valid records by construction; `tests/test_derive_store.py` checks
    that both agree)."""
    doc = _encode(record)
    if doc.find(b"null") >= 0:  # derivation leaves out what it does not know; were a null to appear, take the long way
        return prepare_record(doc, tenant_id, 0)
    end = record.get("endTimestamp")
    return stored_record(
        record["interactionId"],
        parse_instant(record["startTimestamp"]),
        parse_instant(end) if end else None,
        doc,
        None,
        record.get("revision"),
        record_view(record),
        facts_view(record),
    )


def _check_event_counts(stored: dict[str, list[bytes]], max_events: int) -> None:
    """Derivation reads every event of an interaction: its cost is capped by capping their number."""
    for interaction_id, docs in stored.items():
        if len(docs) > max_events:
            raise TooManyEvents(
                f"interaction {interaction_id} would hold {len(docs)} events; at most {max_events} an interaction"
                f" (CXREPORT_MAX_EVENTS_PER_INTERACTION): nothing of this request was stored"
            )


def store_events(store: Store, tenant_id: str, events: Sequence[Incoming], max_events: int = 0) -> EventCounts:
    """Store the events and rebuild the records of the interactions they touch, in one transaction; with
    `max_events` > 0, an interaction that would hold more events refuses the whole request (`TooManyEvents`)."""
    if not events:
        return EventCounts()
    interactions: list[InteractionIncoming] = []
    agents: list[StoredAgentEvent] = []
    for item in events:
        if isinstance(item, tuple):  # cheap for a builtin type (a Struct's metaclass makes isinstance slow)
            interactions.append(item)
        else:
            agents.append(item)
    rebuild = rebuilder(tenant_id, interactions, max_events)
    stored = [stored for _event, stored in interactions]
    return store.ingest_events(tenant_id, stored, rebuild, clock.now_us(), agents)


def rederive(store: Store, tenant_id: str, interaction_ids: Sequence[str]) -> UpsertCounts:
    """Derive these interactions' records again from their stored events under the tenant's SLA versions as
    they are now, and store those that changed (one transaction: `Store.rederive`)."""
    rebuild = rebuilder(tenant_id)
    return store.rederive(tenant_id, interaction_ids, rebuild, clock.now_us())
