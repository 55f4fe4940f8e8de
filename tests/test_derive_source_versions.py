"""Derivation's rule for restated source items (`sourceItem`, `sourceVersion`) and estimated events
(`estimated`): only the newest version of an item counts, whatever the order, and estimates flag the record."""

from __future__ import annotations

import itertools

import msgspec

from cxreport.metrics import DEFAULT_SLA, Event, derive_record
from cxreport.metrics.decode import decode_event

INTERACTION = "5b0b2d7e-6f60-4b8c-9a4e-2f1c3e5d7a90"
TENANT = "1d7c9e2a-3b4f-4a5e-8c6d-7e8f9a0b1c2d"


def event(kind: str, event_id: str, at: str, **fields: object) -> Event:
    body = {"type": kind, "eventId": event_id, "interactionId": INTERACTION, "timestamp": at, **fields}
    decoded = decode_event(msgspec.json.encode(body))
    assert not isinstance(decoded, dict)
    return decoded  # type: ignore[return-value]


def started() -> Event:
    return event(
        "interaction-started", "s", "2024-01-01T10:00:00Z", channelType="voice", direction="inbound",
        customer="c", contactPoint="p", flowId="f", flowName="F",
    )


def attributes(version: int, values: dict[str, str], item: str = "leg-1") -> Event:
    return event(
        "custom-attributes-set", f"a{version}{item}", "2024-01-01T10:00:01Z", attributes=values,
        sourceItem=item, sourceVersion=version,
    )


def test_only_the_newest_version_of_an_item_counts_in_any_order() -> None:
    events = [started(), attributes(1, {"old": "1", "tier": "silver"}), attributes(2, {"tier": "gold"})]
    records = [derive_record(TENANT, list(order), DEFAULT_SLA) for order in itertools.permutations(events)]
    assert all(record == records[0] for record in records)
    assert records[0]["customAttributes"] == {"tier": "gold"}
    assert records[0]["revision"] == 3  # the superseded version still counts: the revision never falls


def test_items_are_independent_and_events_without_an_item_always_count() -> None:
    events = [
        started(),
        attributes(5, {"a": "1"}, "leg-1"),
        attributes(1, {"b": "2"}, "leg-2"),
        event("custom-attributes-set", "plain", "2024-01-01T10:00:02Z", attributes={"c": "3"}),
    ]
    assert derive_record(TENANT, events, DEFAULT_SLA)["customAttributes"] == {"a": "1", "b": "2", "c": "3"}


def test_an_estimated_event_flags_the_record() -> None:
    hold = event("customer-hold", "h", "2024-01-01T10:00:03Z", estimated="no hold times in the source")
    record = derive_record(TENANT, [started(), hold], DEFAULT_SLA)
    assert record["flagged"] is True
    assert "customer-hold h is estimated: no hold times in the source" in record["flaggedReasons"]
    assert "flagged" not in derive_record(TENANT, [started()], DEFAULT_SLA)
