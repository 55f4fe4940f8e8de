"""Order-free and idempotent: random valid event streams, shuffled, split into batches and duplicated,
derive identical records; a record's revision never falls as events arrive."""

from __future__ import annotations

from typing import Any

import msgspec
from hypothesis import given
from hypothesis import strategies as st

from cxreport.metrics import Event, derive_record
from cxreport.metrics import dictionary as d
from cxreport.metrics import events as ev
from cxreport.records.schema import InteractionRecord
from cxreport.times import format_instant, parse_instant
from support.event_strategies import POLICY, TENANT, fast, interaction_events


def derive(events: list[Event]) -> dict[str, Any]:
    return derive_record(TENANT, events, POLICY)


@fast
@given(st.data())
def test_shuffled_duplicated_events_derive_the_same_record(data: st.DataObject) -> None:
    events = data.draw(interaction_events())
    expected = derive(events)
    shuffled = data.draw(st.permutations(events))
    duplicates = data.draw(st.lists(st.sampled_from(events), max_size=len(events)))
    again = derive([*shuffled, *duplicates])
    assert again == expected
    assert expected["revision"] == len(events)
    msgspec.convert(expected, InteractionRecord)  # the shape the service accepts for records


@fast
@given(st.data())
def test_batches_in_any_order_end_in_the_same_record_and_revision_never_falls(data: st.DataObject) -> None:
    events = data.draw(interaction_events())
    expected = derive(events)
    arriving = data.draw(st.permutations(events))
    cuts = sorted(data.draw(st.lists(st.integers(0, len(arriving)), max_size=5)))
    batches = [arriving[a:b] for a, b in zip([0, *cuts], [*cuts, len(arriving)], strict=True)]
    stored: dict[str, Event] = {}
    revisions = []
    for batch in batches:
        replay = data.draw(st.lists(st.sampled_from(list(stored.values())), max_size=3)) if stored else []
        for event in [*batch, *replay]:
            stored.setdefault(event.eventId, event)
        if stored:
            revisions.append(derive(list(stored.values()))["revision"])
    assert derive(list(stored.values())) == expected
    assert revisions == sorted(revisions)
    assert revisions[-1] == len(events)


@fast
@given(st.data())
def test_one_more_event_never_lowers_the_revision(data: st.DataObject) -> None:
    events = data.draw(interaction_events())
    arriving = data.draw(st.permutations(events))
    previous = 0
    for count in range(1, len(arriving) + 1):
        revision = derive(arriving[:count])["revision"]
        assert revision == count > previous
        previous = revision


@fast
@given(st.data())
def test_two_versions_of_one_event_id_give_one_record_whatever_their_order(data: st.DataObject) -> None:
    events = data.draw(interaction_events())
    original = data.draw(st.sampled_from(events))
    shift_ms = data.draw(st.integers(1, 5000))
    moved = msgspec.structs.replace(
        original, timestamp=format_instant(parse_instant(original.timestamp) + shift_ms * 1000)
    )
    forwards = derive([*events, moved])
    backwards = derive([moved, *data.draw(st.permutations(events))])
    assert forwards == backwards
    assert forwards["revision"] == len(events) + 1
    kept = min(msgspec.json.encode(original), msgspec.json.encode(moved))
    assert derive([msgspec.json.decode(kept, type=Event), *[e for e in events if e is not original]]) == {
        **forwards,
        "revision": len(events),
    }


@st.composite
def with_queue_outcomes(draw: st.DrawFn) -> list[Event]:
    """A stream with refusals at the door (of new entries, or naming an entry the stream entered) and maybe one
    entry sent on by another reason, at instants of the stream's own events."""
    events = draw(interaction_events())
    iid, stamps = events[0].interactionId, [event.timestamp for event in events]
    visits = [event.interactionQueueId for event in events if isinstance(event, ev.QueueEntered)]
    extra: list[Event] = []
    for n in range(draw(st.integers(1, 3))):
        extra.append(
            ev.QueueRefused(
                eventId=f"refused-{n}",
                interactionId=iid,
                timestamp=draw(st.sampled_from(stamps)),
                interactionQueueId=draw(st.sampled_from([f"door-{n}", *visits])),
                queueId="q-sales",
                queueName="Sales",
                reason=draw(st.sampled_from(list(d.QUEUE_REFUSALS))),
                entryType=draw(st.sampled_from(["ivr", "transfer"])),
            )
        )
    if visits and draw(st.booleans()):
        extra.append(
            ev.QueueExited(
                eventId="sent-on",
                interactionId=iid,
                timestamp=draw(st.sampled_from(stamps)),
                interactionQueueId=draw(st.sampled_from(visits)),
                reason=draw(st.sampled_from(list(d.QUEUE_EXITS))),
            )
        )
    return [*events, *extra]


@fast
@given(st.data())
def test_refusals_and_every_exit_reason_derive_the_same_record_in_any_order(data: st.DataObject) -> None:
    events = data.draw(with_queue_outcomes())
    expected = derive(events)
    assert derive(data.draw(st.permutations(events))) == expected
    assert expected["revision"] == len(events)
    msgspec.convert(expected, InteractionRecord)
    types = {reason: exit_type for exit_type, reason in d.QUEUE_EXITS.values()}
    types |= {reason: d.REFUSED_EXIT_TYPE for reason, _rule in d.QUEUE_REFUSALS.values()}
    for queue in expected.get("queues", []):
        if "queueExitReason" not in queue:
            continue
        assert queue["queueExitType"] == types[queue["queueExitReason"]]
        assert ("queueDivertRule" in queue) == (queue["queueExitReason"] == "diverted")
        assert ("queueAbandoned" in queue) == (queue["queueExitReason"] == "abandoned")
        if queue["queueExitReason"] not in ("answered", "abandoned") and "agentId" not in queue:
            assert not {"slaTime", "slaMet", "slaAbandoned"} & set(queue)  # (an agent's acceptance answers it)
        if queue["interactionQueueId"].startswith("door-"):
            assert queue["queueTime"] == 0 and queue["startTimestamp"] == queue["endTimestamp"]
            assert not {"agentId", "timeToAnswer", "queueEntryLength"} & set(queue)
