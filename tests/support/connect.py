"""Amazon Connect contact records for tests: built from the fields AWS documents (`ctr-data-model.md`), and the
public samples in tests/data/importers/connect/ (SOURCES.md there says where they come from)."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import msgspec

from cxreport.importers.base import ImportOptions, Translated
from cxreport.importers.connect import translate
from cxreport.metrics import DEFAULT_SLA, Event, Record, derive_record
from cxreport.metrics.decode import decode_event

SAMPLES = Path(__file__).resolve().parent.parent / "data" / "importers" / "connect"
TENANT = "7c0d6a52-41f4-4b8e-9e43-0f2b5bb1d0c1"
OPTIONS = ImportOptions(source="test-connect")
INSTANCE = "arn:aws:connect:eu-west-1:123456789012:instance/11111111-2222-3333-4444-555555555555"


def ctr(contact_id: str, start: str, end: str, **fields: Any) -> dict[str, Any]:
    """A contact record with the fields every record has; `fields` adds or overrides (None removes)."""
    record: dict[str, Any] = {
        "AWSAccountId": "123456789012",
        "AWSContactTraceRecordFormatVersion": "2017-03-10",
        "ContactId": contact_id,
        "InitialContactId": None,
        "PreviousContactId": None,
        "NextContactId": None,
        "Channel": "VOICE",
        "InitiationMethod": "INBOUND",
        "InitiationTimestamp": start,
        "ConnectedToSystemTimestamp": start,
        "DisconnectTimestamp": end,
        "DisconnectReason": "CUSTOMER_DISCONNECT",
        "LastUpdateTimestamp": end,
        "CustomerEndpoint": {"Address": "+15550001111", "Type": "TELEPHONE_NUMBER"},
        "SystemEndpoint": {"Address": "+18005550100", "Type": "TELEPHONE_NUMBER"},
        "InstanceARN": INSTANCE,
        "Attributes": {},
        "Queue": None,
        "Agent": None,
    }
    record.update(fields)
    return record


def queue(name: str, entered: str, dequeued: str, duration: int) -> dict[str, Any]:
    return {
        "ARN": f"{INSTANCE}/queue/{name}",
        "Name": name,
        "EnqueueTimestamp": entered,
        "DequeueTimestamp": dequeued,
        "Duration": duration,
    }


def agent(
    name: str, connected: str, talk: int, acw_start: str, acw_end: str, acw: int, holds: int = 0, hold: int = 0,
    longest: int = 0,
) -> dict[str, Any]:
    return {
        "ARN": f"{INSTANCE}/agent/{name}",
        "Username": name,
        "ConnectedToAgentTimestamp": connected,
        "AgentInteractionDuration": talk,
        "CustomerHoldDuration": hold,
        "NumberOfHolds": holds,
        "LongestHoldDuration": longest,
        "AfterContactWorkStartTimestamp": acw_start,
        "AfterContactWorkEndTimestamp": acw_end,
        "AfterContactWorkDuration": acw,
    }


def ndjson(*records: dict[str, Any]) -> bytes:
    return b"".join(msgspec.json.encode(record) + b"\n" for record in records)


def translated(data: bytes) -> list[Translated]:
    return list(translate(io.BytesIO(data), OPTIONS))


def events_of(data: bytes) -> list[Event]:
    found: list[Event] = []
    for item in translated(data):
        assert item.error is None, item.error
        found.extend(decode_event(event) for event in item.events)  # type: ignore[misc]
    return found


def records_of(events: list[Event]) -> dict[str, Record]:
    """The record of each interaction among the events, by its contactId (the first leg's ContactId)."""
    groups: dict[str, list[Event]] = {}
    for event in events:
        groups.setdefault(event.interactionId, []).append(event)
    records = [derive_record(TENANT, group, DEFAULT_SLA) for group in groups.values()]
    return {str(record.get("contactId", record["interactionId"])): record for record in records}
