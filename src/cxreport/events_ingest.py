"""Events in, records out: the glue between the derivation core (`cxreport.metrics`) and the store.

- `read_events`: a request body (one event, an array, NDJSON) into typed events with their exact JSON text,
  all or nothing (`RejectedBatch` names every bad event's position and reason).
- `store_events`: what the HTTP route and `cxreport import-events` both call: the events and the records
  they make go to the store in one transaction (`Store.ingest_events`); the records are rebuilt from ALL
  stored events of each touched interaction, judged by the tenant's SLA versions.
"""

from __future__ import annotations

from collections.abc import Sequence

import msgspec

from cxreport import clock
from cxreport.errors import InvalidRecord
from cxreport.ingest import prepare_record
from cxreport.metrics import (
    Event,
    PolicyLookup,
    SlaPolicy,
    decode_event,
    decode_events,
    derive_record,
    split_events,
    versioned_lookup,
)
from cxreport.store.base import EventCounts, Rebuild, Sla, Store, StoredEvent, StoredRecord
from cxreport.timeparse import parse_instant

_encode = msgspec.json.encode


def read_events(body: bytes, tenant_id: str | None = None) -> list[tuple[Event, bytes]]:
    """Every event of a body with its JSON text (insignificant whitespace removed). Raises InvalidBody when
    the body is not events at all, RejectedBatch when any event is malformed (nothing is accepted)."""
    items = split_events(body)
    decoded: list[tuple[Event, bytes]] = []
    try:
        for position, (raw, _line) in enumerate(items):
            decoded.append((decode_event(raw, position, tenant_id), compact(raw)))
    except InvalidRecord:
        decode_events(body, tenant_id)  # raises RejectedBatch, naming every malformed event
        raise
    return decoded


def compact(raw: bytes | msgspec.Raw) -> bytes:
    """An event's JSON text without insignificant whitespace; numbers, strings and key order as sent."""
    return msgspec.json.format(raw, indent=-1)


def stored_event(event: Event, text: bytes) -> StoredEvent:
    kind = str(type(event).__struct_config__.tag)
    return StoredEvent(event.eventId, event.interactionId.lower(), parse_instant(event.timestamp), kind, text)


def sla_policy(slas: Sequence[Sla]) -> PolicyLookup:
    """The tenant's SLA versions as the lookup derivation asks: each version in force from its creation on."""
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


def rebuilder(tenant_id: str, policy: PolicyLookup, known: dict[bytes, Event] | None = None) -> Rebuild:
    """`Store.ingest_events`'s `rebuild`: each interaction's stored events → its record, ready to store.
    `known` holds events already decoded (by their text), so a batch's own events are not decoded twice."""
    cache = known or {}

    def rebuild(stored: dict[str, list[bytes]]) -> list[StoredRecord]:
        records = []
        for docs in stored.values():
            events = []
            for doc in docs:
                event = cache.get(doc)
                events.append(event if event is not None else decode_event(doc))
            records.append(prepare_record(_encode(derive_record(tenant_id, events, policy)), tenant_id, 0))
        return records

    return rebuild


def store_events(store: Store, tenant_id: str, events: Sequence[tuple[Event, bytes]]) -> EventCounts:
    """Store the events and rebuild the records of the interactions they touch, in one transaction."""
    if not events:
        return EventCounts()
    stored = [stored_event(event, text) for event, text in events]
    known = {item.doc: event for item, (event, _text) in zip(stored, events, strict=True)}
    rebuild = rebuilder(tenant_id, sla_policy(store.list_slas(tenant_id)), known)
    return store.ingest_events(tenant_id, stored, rebuild, clock.now_us())
