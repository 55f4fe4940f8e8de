"""Events → interaction records: the one entry point of the derivation core (pure: no storage, no clock).

`derive_record` depends only on the set of events it is given: their order and duplicates do not matter
(see `timeline.py`), and a record derived from more events carries a `revision` at least as high.
"""

from __future__ import annotations

from collections.abc import Iterable

from cxreport.metrics.build import Builder, derived_id
from cxreport.metrics.close import close
from cxreport.metrics.consultative import resolve
from cxreport.metrics.events import TYPE_NAME, Event, InteractionStarted
from cxreport.metrics.instants import format_us
from cxreport.metrics.model import InteractionState
from cxreport.metrics.render import Record, render
from cxreport.metrics.sla import PolicyLookup, SlaPolicy, policy_lookup
from cxreport.metrics.timeline import Timed, timeline


class MixedInteractions(ValueError):
    """derive_record was given events of more than one interaction."""


def derive_record(
    tenant_id: str, events: Iterable[Event], sla: SlaPolicy | PolicyLookup, instants: dict[str, int] | None = None,
    timed_into: list[Timed] | None = None,
) -> Record:
    """The interaction record that these events (all of one interaction) make, in the seed's shape.

    `sla` is one policy for every queue entry, or `policy_for(queue_id, instant_us)` giving the version in
    force for that queue at that instant. `instants`: timestamps already parsed (text → epoch µs), a memo
    that this call reads and fills (see `timeline`). Raises ValueError for no events, MixedInteractions for several
    interactions' events. `timed_into`, when given, receives the events in canonical order (what `metrics/live.py`
    reads, so that they are not ordered twice)."""
    timed, revision = timeline(events, instants)
    timed = resolve(timed)  # the rules that need more than one source item (`consultative.py`)
    if timed_into is not None:
        timed_into.extend(timed)
    if not timed:
        raise ValueError("derive_record needs at least one event")
    named = {item[3].interactionId for item in timed}
    interaction_id = min(named).lower()
    if len(named) > 1 and len({name.lower() for name in named}) > 1:
        raise MixedInteractions(f"events of several interactions: {', '.join(sorted(named))}")
    started: InteractionStarted | None = None
    start_us = timed[0][0]
    for us, _rank, _event_id, event in timed:
        if isinstance(event, InteractionStarted):
            started, start_us = event, us
            break
    it = InteractionState(interaction_id, start_us, started, started.channelType if started else None)
    if started is None:
        earliest = format_us(it.start_us)
        it.reasons.append(f"no interaction-started event; the start is taken from the earliest event, at {earliest}")
    named_id = started.interactionSegmentId if started is not None else None
    segment_id = named_id or derived_id(interaction_id, "segment-0")  # the same before and after it arrives
    it.reasons.extend(
        f"{TYPE_NAME[type(event)]} {event.eventId} is estimated: {event.estimated}"
        for _us, _rank, _event_id, event in timed
        if event.estimated is not None
    )
    builder = Builder(it)
    builder.open_segment("interaction", segment_id, it.start_us)
    builder.apply(timed)
    close(it)
    return render(it, tenant_id.lower(), policy_lookup(sla), revision)


def derive_records(tenant_id: str, events: Iterable[Event], sla: SlaPolicy | PolicyLookup) -> list[Record]:
    """One record per interaction among `events`, in order of interactionId."""
    groups: dict[str, list[Event]] = {}
    for event in events:
        groups.setdefault(event.interactionId.lower(), []).append(event)
    lookup = policy_lookup(sla)
    return [derive_record(tenant_id, groups[key], lookup) for key in sorted(groups)]
