"""A set of events in its one canonical order: what makes derivation order-free and idempotent.

- Duplicates are dropped: the same `eventId` again (same content) changes nothing.
- Two events with one `eventId` but different content: the one whose canonical JSON encoding
  (`msgspec.json.encode`) sorts first, bytewise, is kept, whatever the order they came in.
- Order: by instant (µs), then by lifecycle type order (`events.TYPE_ORDER`), then by `eventId`.
- `revision` counts the distinct event versions (distinct eventIds, plus any extra differing version of one),
  so it grows whenever the set grows and never falls when an event is added.
- Superseded source items: of the events naming one `sourceItem` (an importer's restated source item, such as
  an Amazon Connect contact record delivered again with a newer `LastUpdateTimestamp`), only those of the
  greatest `sourceVersion` are applied; the older versions' events still count in `revision`.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import NamedTuple

import msgspec

from cxreport.metrics.events import TYPE_RANK, Event
from cxreport.times import parse_instant

_encode = msgspec.json.encode


Timed = tuple[int, int, str, Event]
"""(instant in µs, type rank, eventId, event): tuples sort in the canonical order."""


class Timeline(NamedTuple):
    events: list[Timed]
    revision: int


def timeline(events: Iterable[Event], instants: dict[str, int] | None = None) -> Timeline:
    """The distinct events in canonical order, with the revision they make.

    `instants` is a memo of timestamp text → epoch µs (`parse_instant`'s result), read and filled: a caller
    that has parsed the timestamps already passes them so that none is parsed twice."""
    kept: dict[str, Event] = {}
    versions: dict[str, set[bytes]] = {}
    newest: dict[str, int] = {}
    for event in events:
        item = event.sourceItem
        if item is not None:
            version = event.sourceVersion or 0
            if newest.get(item, -1) < version:
                newest[item] = version
        previous = kept.setdefault(event.eventId, event)
        if previous is not event and previous != event:
            seen = versions.setdefault(event.eventId, {_encode(previous)})
            encoded = _encode(event)
            seen.add(encoded)
            if encoded == min(seen):
                kept[event.eventId] = event
    revision = len(kept) + sum(len(seen) - 1 for seen in versions.values())
    rank = TYPE_RANK
    if instants is None:
        instants = {}  # events often share an instant: parse each text once
    ordered: list[Timed] = []
    for key, event in kept.items():
        item = event.sourceItem
        if item is not None and (event.sourceVersion or 0) < newest[item]:
            continue  # a newer version of its source item restates it
        text = event.timestamp
        us = instants.get(text)
        if us is None:
            us = instants[text] = parse_instant(text)
        ordered.append((us, rank[type(event)], key, event))
    ordered.sort()
    return Timeline(ordered, revision)
