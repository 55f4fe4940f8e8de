"""The derivation core: decoding events, the data dictionary's definitions, SLA verdicts, and the structure and
statistics of records derived from hand-written lifecycles."""

from __future__ import annotations

import json
import re
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path
from typing import Any

import msgspec
import pytest
from hypothesis import given
from hypothesis import strategies as st

from cxreport import metrics
from cxreport.errors import InvalidBody, InvalidRecord, RejectedBatch
from cxreport.metrics import (
    DEFAULT_SLA,
    EVENT_TYPES,
    Event,
    MixedInteractions,
    SlaPolicy,
    decode_event,
    decode_events,
    derive_record,
    derive_records,
    versioned_lookup,
)
from cxreport.metrics import dictionary as d
from cxreport.metrics import events as ev
from cxreport.metrics.instants import format_us
from cxreport.records.schema import AgentEntry, Hook, InteractionRecord, QueueEntry, Segment
from cxreport.times import format_instant, parse_instant

ROOT = Path(__file__).resolve().parent.parent
TENANT = "2336d1ec-c956-47e1-b3b1-fe8fde81b2b4"
IID = "0b0f3d8e-8f7e-4f0e-9f6e-1a2b3c4d5e6f"
DAY = "2024-05-02"


def us(time: str) -> int:
    return parse_instant(f"{DAY}T{time}Z")


class Script:
    """An interaction's events written as a timeline: `.at("10:00:01.250", QueueEntered, ...)`."""

    def __init__(self, iid: str = IID) -> None:
        self.iid = iid
        self.events: list[Event] = []

    def at(self, time: str, cls: type[ev.EventBase], **fields: Any) -> Script:
        event_id = f"{self.iid[:4]}-{len(self.events) + 1}"
        stamp = f"{DAY}T{time}Z"
        self.events.append(cls(eventId=event_id, interactionId=self.iid, timestamp=stamp, **fields))  # type: ignore[arg-type]
        return self

    def derive(self, sla: Any = DEFAULT_SLA) -> dict[str, Any]:
        record = derive_record(TENANT, self.events, sla)
        msgspec.convert(record, InteractionRecord)  # always the shape the service accepts
        return record


def started(channel: str = "voice", **extra: Any) -> dict[str, Any]:
    return {
        "channelType": channel,
        "direction": "inbound",
        "customer": "+15550001",
        "contactPoint": "+15550002",
        "flowId": "flow-1",
        "flowName": "Main",
        "interactionSegmentId": "seg-0",
        **extra,
    }


def agent(alloc: str, agent_id: str = "ag-ana", name: str = "Ana", queue: str | None = "q-1") -> dict[str, Any]:
    return {"interactionAgentId": alloc, "agentId": agent_id, "agentName": name, "sessionId": "s-1", "queueId": queue}


def entered(visit: str, entry_type: str = "ivr", queue: str = "q-1") -> dict[str, Any]:
    return {
        "interactionQueueId": visit,
        "queueId": queue,
        "queueName": "Support",
        "entryType": entry_type,
        "queueLength": 3,
    }


def answered_voice_call() -> Script:
    """Offered, answered, a 10 s hold, a wrap-up, the customer hangs up: every agent statistic."""
    return (
        Script()
        .at("10:00:00.000", ev.InteractionStarted, **started())
        .at("10:00:04.500", ev.QueueEntered, **entered("v-1"))
        .at("10:00:10.000", ev.WorkOffered, **agent("a-1"))
        .at("10:00:13.250", ev.WorkAccepted, **agent("a-1"))
        .at("10:00:13.250", ev.QueueExited, interactionQueueId="v-1", reason="success")
        .at("10:00:14.000", ev.ConversationStarted, interactionAgentId="a-1")
        .at("10:01:00.000", ev.CustomerHold, interactionAgentId="a-1")
        .at("10:01:10.000", ev.CustomerResume, interactionAgentId="a-1")
        .at("10:02:00.000", ev.ConversationEnded, interactionAgentId="a-1")
        .at("10:02:00.000", ev.AgentDisconnect, interactionAgentId="a-1")
        .at("10:02:00.000", ev.WrapupStarted, interactionAgentId="a-1")
        .at("10:02:00.000", ev.CustomerDisconnect)
        .at("10:02:00.020", ev.InteractionEnded, endType="customer-disconnect")
        .at("10:02:30.000", ev.WrapupEnded, interactionAgentId="a-1")
    )


# --- decoding ------------------------------------------------------------------------------------------


def encoded(script: Script) -> list[bytes]:
    return [msgspec.json.encode(event) for event in script.events]


def test_a_body_is_one_event_an_array_or_ndjson() -> None:
    lines = encoded(answered_voice_call())[:3]
    assert decode_events(lines[0]) == answered_voice_call().events[:1]
    assert decode_events(b"[" + b",".join(lines) + b"]") == answered_voice_call().events[:3]
    assert decode_events(b"\xef\xbb\xbf" + b"\n\n".join(lines) + b"\n") == answered_voice_call().events[:3]
    pretty = json.dumps(json.loads(lines[1]), indent=2).encode()
    assert decode_events(pretty) == answered_voice_call().events[1:2]


def test_every_malformed_event_is_named_by_position_line_and_field() -> None:
    good, queue = encoded(answered_voice_call())[:2]
    bad_length = queue.replace(b'"queueLength":3', b'"queueLength":"three"')
    unknown = good.replace(b'"interaction-started"', b'"interaction-paused"')
    with pytest.raises(RejectedBatch) as caught:
        decode_events(b"\n".join([good, bad_length, unknown]))
    assert caught.value.errors == [
        {
            "position": 1,
            "message": "Expected `int`, got `str` - at `$.queueLength`",
            "line": 2,
            "path": "$.queueLength",
        },
        {
            "position": 2,
            "message": f"Invalid value 'interaction-paused' (known types: {', '.join(EVENT_TYPES)}) - at `$.type`",
            "line": 3,
            "path": "$.type",
        },
    ]
    assert caught.value.message.startswith(
        "2 of 3 events are invalid, so none was accepted; the first, event 1 (line 2)"
    )


def test_a_missing_field_or_a_bad_timestamp_names_its_path() -> None:
    queue = json.loads(encoded(answered_voice_call())[1])
    del queue["queueId"]
    with pytest.raises(InvalidRecord) as missing:
        decode_event(json.dumps(queue).encode(), position=7)
    assert (missing.value.position, missing.value.path) == (7, "$.queueId")
    assert missing.value.message == "Object missing required field `queueId` - at `$.queueId`"
    queue["queueId"], queue["timestamp"] = "q-1", "2024-02-30T10:00:00Z"
    with pytest.raises(InvalidRecord) as bad_time:
        decode_event(json.dumps(queue).encode(), position=2)
    assert (bad_time.value.position, bad_time.value.path) == (2, "$.timestamp")
    assert "names a date that does not exist" in bad_time.value.message


def test_an_event_naming_another_tenant_is_refused() -> None:
    first = json.loads(encoded(answered_voice_call())[0])
    first["tenantId"] = "11111111-1111-1111-1111-111111111111"
    with pytest.raises(RejectedBatch) as caught:
        decode_events(json.dumps(first).encode(), tenant_id=TENANT)
    assert caught.value.errors[0]["path"] == "$.tenantId"
    assert decode_events(json.dumps(first).encode())[0].tenantId == first["tenantId"]  # no tenant given: kept


@pytest.mark.parametrize(("field", "value"), [
    ("interactionId", "not-a-uuid"),
    ("interactionId", "9776FF80-D9D1-11E7-BF9B-9440DAB83F2"),  # one digit short
    ("interactionId", "9776ff80d9d111e7bf9b9440dab83f25"),  # no hyphens
    ("tenantId", "tenant-7"),
])
def test_an_id_that_is_no_uuid_is_refused_each_time(field: str, value: str) -> None:
    """The UUID check is remembered per well-formed value: a bad one is refused however often it comes, after
    good ones, in a body or alone, in msgspec's words."""
    first = json.loads(encoded(answered_voice_call())[0])
    decode_event(json.dumps(first).encode())  # a well-formed id, now known
    first[field] = value
    message = f"Expected `str` matching regex '{ev.UUID_PATTERN}' - at `$.{field}`"
    for _ in range(2):
        with pytest.raises(InvalidRecord) as alone:
            decode_event(json.dumps(first).encode(), position=4)
        assert (alone.value.message, alone.value.path, alone.value.position) == (message, f"$.{field}", 4)
        with pytest.raises(RejectedBatch) as caught:
            decode_events(b"\n".join([*encoded(answered_voice_call())[1:3], json.dumps(first).encode()]))
        assert caught.value.errors == [{"position": 2, "line": 3, "message": message, "path": f"$.{field}"}]


@pytest.mark.parametrize("body", [b"", b"   \n", b"[1, 2"])
def test_a_body_that_is_no_json_at_all_is_a_bad_body(body: bytes) -> None:
    with pytest.raises(InvalidBody):
        decode_events(body)


def test_a_line_that_is_not_json_is_a_bad_event() -> None:
    with pytest.raises(RejectedBatch) as caught:
        decode_events(encoded(answered_voice_call())[0] + b"\nnot json\n")
    assert caught.value.errors[0]["position"] == 1
    assert str(caught.value.errors[0]["message"]).startswith("not valid JSON")
    assert decode_events(b"[]") == []


def test_the_committed_json_schema_is_the_one_the_structs_make() -> None:
    committed = json.loads((ROOT / "docs/schemas/event.schema.json").read_text())
    generated = msgspec.json.schema(Event)
    assert {key: value for key, value in committed.items() if key in generated} == generated
    assert sorted(committed["discriminator"]["mapping"]) == sorted(EVENT_TYPES)


def test_the_docs_describe_every_event_type_and_every_record_field() -> None:
    events_doc = (ROOT / "docs/events.md").read_text()
    for name in EVENT_TYPES:
        assert f"### `{name}`" in events_doc, name
    assert "instant: " + ", ".join(f"`{name}`" for name in EVENT_TYPES) + ";" in " ".join(events_doc.split())
    examples = re.findall(r"```json\n(.*?)\n```", events_doc, re.DOTALL)
    assert sorted(type(decode_event(example.encode())).__struct_config__.tag for example in examples) == sorted(
        EVENT_TYPES
    )
    dictionary_doc = (ROOT / "docs/data-dictionary.md").read_text()
    fields = set()
    for record in (
        answered_voice_call().derive(),
        json.loads((ROOT / "src/cxreport/data/seed-sample-response.json").read_text())["results"][9],
    ):
        fields |= set(record) | {
            key for part in ("segments", "queues", "agents") for entry in record.get(part, []) for key in entry
        }
    for struct in (InteractionRecord, Segment, QueueEntry, AgentEntry, Hook):
        fields |= set(struct.__struct_fields__)
    fields |= {
        "slaMet",
        "slaAbandoned",
        "slaId",
        "slaVersion",
        "agentHoldTime",
        "agentReadTime",
        "flaggedReasons",
        "customAttributes",
        "hooks",
    }
    for field in sorted(fields):
        assert f"`{field}`" in dictionary_doc, field


def test_the_docs_examples_of_each_reason_decode_and_cover_every_reason() -> None:
    events_doc = (ROOT / "docs/events.md").read_text()
    blocks = re.findall(r"```(?:json|ndjson)\n(.*?)\n```", events_doc, re.DOTALL)
    examples = [decode_event(line.encode()) for block in blocks for line in block.splitlines()]
    exits = {e.reason for e in examples if isinstance(e, ev.QueueExited)}
    refusals = {e.reason for e in examples if isinstance(e, ev.QueueRefused)}
    assert {"success", "timeout", "exit-with-key", "leave-empty"} <= exits
    assert refusals == set(d.QUEUE_REFUSALS)
    dictionary_doc = (ROOT / "docs/data-dictionary.md").read_text()
    outcomes = {reason for reason, _rule in d.QUEUE_REFUSALS.values()} | {r for _t, r in d.QUEUE_EXITS.values()}
    for outcome in outcomes:
        assert f"| `{outcome}` | queue-" in dictionary_doc, outcome


# --- the dictionary ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("micros", "expected"),
    [
        (25_012_000, 25.012),
        (1_499, 0.001),
        (1_500, 0.002),
        (999_999, 1.0),
        (0, 0.0),
        (-5_000, 0.0),
        (8_705_080_000, 8705.08),
    ],
)
def test_seconds_round_half_up_to_the_millisecond(micros: int, expected: float) -> None:
    assert d.seconds(micros) == expected


@given(st.integers(0, 10**14))
def test_seconds_are_exact_millisecond_decimals(micros: int) -> None:
    exact = (Decimal(micros) / 10**6).quantize(Decimal("0.001"), rounding=ROUND_HALF_UP)
    assert Decimal(repr(d.seconds(micros))) == exact


@given(st.integers(-62_135_596_800_000_000, 253_402_300_799_999_999), st.booleans())  # years 1 to 9999
def test_fast_formatting_is_format_instant(micros: int, whole_ms: bool) -> None:
    micros -= micros % 1000 if whole_ms else 0
    assert format_us(micros) == format_instant(micros)


STRICT = SlaPolicy(slaThreshold=20, abandonType="count-against-sla", abandonThreshold=20)


@pytest.mark.parametrize(
    ("policy", "answered_ms", "abandoned_ms", "met", "sla_abandoned"),
    [
        (DEFAULT_SLA, 20_000, None, True, None),
        (DEFAULT_SLA, 20_001, None, False, None),
        (DEFAULT_SLA, None, 19_999, None, False),  # a short abandon the policy ignores
        (DEFAULT_SLA, None, 20_000, False, True),
        (STRICT, None, 3_000, False, True),
        (STRICT, 5_000, None, True, None),
        (SlaPolicy(slaThreshold=30, abandonThreshold=5), None, 6_000, False, True),
    ],
)
def test_sla_verdicts(
    policy: SlaPolicy, answered_ms: int | None, abandoned_ms: int | None, met: bool | None, sla_abandoned: bool | None
) -> None:
    answered = answered_ms * 1000 if answered_ms is not None else None
    abandoned = abandoned_ms * 1000 if abandoned_ms is not None else None
    assert d.sla_met(policy, answered, abandoned) is met
    if abandoned is not None:
        assert d.sla_abandoned(policy, abandoned) is sla_abandoned


def test_the_version_in_force_when_the_entry_happened_judges_it() -> None:
    tight = SlaPolicy(slaThreshold=5, slaId="support", slaVersion=2)
    loose = SlaPolicy(slaThreshold=60, slaId="default", slaVersion=1)
    policy_for = versioned_lookup({None: [(0, loose)], "q-1": [(us("10:00:30.000"), tight)]})
    assert policy_for("q-1", us("10:00:29.999")) is loose
    assert policy_for("q-1", us("10:00:30.000")) is tight
    assert policy_for("q-2", us("11:00:00.000")) is loose
    assert versioned_lookup({})("q-1", 0) is DEFAULT_SLA
    before = answered_voice_call().derive(policy_for)["queues"][0]  # entered 10:00:04.5, answered after 9.5 s
    assert (before["slaMet"], before["slaId"], before["slaVersion"]) == (True, "default", 1)
    later = versioned_lookup({None: [(0, loose)], "q-1": [(us("10:00:00.000"), tight)]})
    assert answered_voice_call().derive(later)["queues"][0]["slaMet"] is False


# --- derived records -----------------------------------------------------------------------------------


def test_an_answered_call_with_a_hold_and_wrap_up() -> None:
    record = answered_voice_call().derive()
    assert {key: record[key] for key in ("startTimestamp", "endTimestamp", "interactionTime", "ivrTime")} == {
        "startTimestamp": "2024-05-02T10:00:00.000Z",
        "endTimestamp": "2024-05-02T10:02:00.020Z",
        "interactionTime": 120.02,
        "ivrTime": 4.5,
    }
    assert (record["customerHolds"], record["customerHoldTime"], "customerAbandonTime" in record) == (1, 10.0, False)
    assert record["segments"] == [
        {
            "segmentNumber": 0,
            "interactionSegmentId": "seg-0",
            "segmentStartType": "interaction",
            "startTimestamp": "2024-05-02T10:00:00.000Z",
            "endTimestamp": "2024-05-02T10:02:30.000Z",
            "segmentTime": 150.0,
            "segmentEndType": "success",
            "segmentToAgentId": "ag-ana",
        }
    ]
    queue = record["queues"][0]
    assert (queue["queueTime"], queue["timeToAnswer"], queue["slaTime"], queue["slaMet"]) == (8.75, 9.5, 9.5, True)
    assert (queue["queueExitType"], queue["agentId"], queue["interactionSegmentId"]) == ("success", "ag-ana", "seg-0")
    assert queue["queueExitReason"] == "answered" and "queueDivertRule" not in queue
    a = record["agents"][0]
    assert {key: a[key] for key in a if key.startswith("agent") and key not in ("agentId", "agentName")} == {
        "agentWorkAccepted": True,
        "agentWorkOfferTime": 3.25,
        "agentWorkAcceptedTime": 3.25,
        "agentConversationTime": 106.0,
        "agentHoldTime": 10.0,
        "agentTalkTime": 106.0,
        "agentWrapUpTime": 30.0,
        "agentHandleTime": 136.0,
        "agentFocusTime": 136.75,
    }
    assert (a["startTimestamp"], a["endTimestamp"]) == ("2024-05-02T10:00:10.000Z", "2024-05-02T10:02:30.000Z")
    assert "flagged" not in record and record["revision"] == 14


def test_a_hang_up_in_the_ivr_is_an_ivr_abandon() -> None:
    record = (
        Script()
        .at("10:00:00.000", ev.InteractionStarted, **started())
        .at("10:00:07.123", ev.CustomerDisconnect)
        .at("10:00:07.130", ev.InteractionEnded, endType="customer-disconnect")
        .derive()
    )
    assert (record["ivrTime"], record["customerAbandonTime"], record["interactionTime"]) == (7.123, 7.123, 7.13)
    assert record["ivrAbandoned"] is True
    assert record["segments"][0]["segmentCancelled"] is True
    assert record["segments"][0]["segmentCancelTime"] == 7.123
    assert "queues" not in record and "agents" not in record


def test_an_interaction_in_progress_has_no_end() -> None:
    record = (
        Script()
        .at("10:00:00.000", ev.InteractionStarted, **started())
        .at("10:00:01.000", ev.QueueEntered, **entered("v-1"))
        .derive()
    )
    assert not {"endTimestamp", "interactionTime", "flagged", "customerAbandonTime"} & set(record)
    assert record["queues"][0].keys() >= {"startTimestamp", "queueEntryLength"}
    assert not {"endTimestamp", "queueTime", "slaTime", "slaMet"} & set(record["queues"][0])
    assert "endTimestamp" not in record["segments"][0]


def test_a_rejected_offer_then_another_agent() -> None:
    record = (
        Script()
        .at("10:00:00.000", ev.InteractionStarted, **started())
        .at("10:00:01.000", ev.QueueEntered, **entered("v-1"))
        .at("10:00:02.000", ev.WorkOffered, **agent("a-1"))
        .at("10:00:04.000", ev.WorkRejected, **agent("a-1"))
        .at("10:00:05.000", ev.WorkOffered, **agent("a-2", "ag-bo", "Bo"))
        .at("10:00:06.000", ev.WorkAccepted, **agent("a-2", "ag-bo", "Bo"))
        .derive()
    )
    first, second = record["agents"]
    assert (first["agentWorkAccepted"], first["agentWorkOfferTime"], first["endTimestamp"]) == (
        False,
        2.0,
        "2024-05-02T10:00:04.000Z",
    )
    assert "agentWorkAcceptedTime" not in first
    assert (second["agentWorkAccepted"], second["agentWorkAcceptedTime"]) == (True, 1.0)
    assert record["segments"][0]["segmentToAgentId"] == "ag-bo"
    assert [a["interactionSegmentId"] for a in record["agents"]] == ["seg-0", "seg-0"]
    assert record["flaggedReasons"] == [
        "queue entry v-1 has no exit; taken as left at the agent's acceptance at 2024-05-02T10:00:06.000Z"
    ]


def test_the_same_agent_entering_again_opens_a_segment() -> None:
    script = answered_voice_call()
    script.events = script.events[:6]  # answered; then the agent's line drops and the flow queues again
    record = (
        script.at("10:00:20.000", ev.AgentDisconnect, interactionAgentId="a-1")
        .at("10:00:20.000", ev.ConversationEnded, interactionAgentId="a-1")
        .at("10:00:21.000", ev.QueueEntered, **entered("v-2"))
        .at("10:00:25.000", ev.WorkOffered, **agent("a-2"))
        .at("10:00:26.000", ev.WorkAccepted, **agent("a-2"))
        .derive()
    )
    zero, again = record["segments"]
    assert (zero["segmentEndType"], zero["endTimestamp"]) == ("success", "2024-05-02T10:00:20.000Z")
    assert (again["segmentStartType"], again["segmentToAgentId"], again["interactionAgentId"]) == (
        "reentry",
        "ag-ana",
        "a-2",
    )
    assert again["startTimestamp"] == "2024-05-02T10:00:25.000Z" and "endTimestamp" not in again
    assert [a["interactionSegmentId"] for a in record["agents"]] == ["seg-0", again["interactionSegmentId"]]
    assert [q["interactionSegmentId"] for q in record["queues"]] == ["seg-0", "seg-0"]


def test_a_direct_transfer_to_an_agent_and_a_conference() -> None:
    script = answered_voice_call()
    script.events = script.events[:6]
    record = (
        script.at(
            "10:00:30.000",
            ev.TransferStarted,
            interactionSegmentId="seg-t",
            interactionAgentId="a-1",
            transferType="agent",
        )
        .at("10:00:31.000", ev.WorkOffered, **agent("a-2", "ag-bo", "Bo", None))
        .at("10:00:33.000", ev.WorkAccepted, **agent("a-2", "ag-bo", "Bo", None))
        .at(
            "10:00:33.500",
            ev.TransferConnected,
            interactionSegmentId="seg-t",
            interactionAgentId="a-2",
            agentId="ag-bo",
        )
        .at("10:00:34.000", ev.ConversationEnded, interactionAgentId="a-1")
        .at("10:00:34.000", ev.AgentDisconnect, interactionAgentId="a-1")
        .at(
            "10:00:40.000",
            ev.ParticipantAdded,
            interactionSegmentId="seg-p",
            participantType="agent",
            agentId="ag-cy",
            interactionAgentId="a-3",
            byInteractionAgentId="a-2",
        )
        .at("10:00:41.000", ev.WorkOffered, **agent("a-3", "ag-cy", "Cy", None))
        .at("10:00:42.000", ev.WorkAccepted, **agent("a-3", "ag-cy", "Cy", None))
        .at("10:00:50.000", ev.ParticipantRemoved, interactionSegmentId="seg-p")
        .derive()
    )
    zero, transfer, conference = record["segments"]
    assert zero["endTimestamp"] == transfer["endTimestamp"] == "2024-05-02T10:00:34.000Z"  # the transferring agent left
    assert (transfer["transfer"], transfer["transferTime"], transfer["segmentTime"], transfer["segmentEndType"]) == (
        True,
        3.5,
        4.0,
        "success",
    )
    assert (transfer["agentId"], transfer["interactionAgentId"], transfer["segmentToAgentId"]) == (
        "ag-ana",
        "a-1",
        "ag-bo",
    )
    assert (conference["segmentStartType"], conference["segmentToAgentId"], conference["interactionAgentId"]) == (
        "participant-added",
        "ag-cy",
        "a-2",
    )
    assert conference["segmentTime"] == 10.0
    assert [a["interactionSegmentId"] for a in record["agents"]] == ["seg-0", "seg-t", "seg-p"]
    assert record["customerTransfers"] == 1


def test_a_cancelled_transfer_segment_ends_at_the_cancel() -> None:
    script = answered_voice_call()
    script.at(
        "10:01:20.000", ev.TransferStarted, interactionSegmentId="seg-t", interactionAgentId="a-1", transferType="queue"
    )
    record = script.at("10:01:22.500", ev.TransferCancelled, interactionSegmentId="seg-t").derive()
    cancelled = record["segments"][1]
    assert (cancelled["segmentCancelled"], cancelled["segmentCancelTime"], cancelled["segmentEndType"]) == (
        True,
        2.5,
        "transfer-cancelled",
    )
    assert "transferTime" not in cancelled


def test_missing_timestamps_are_taken_from_other_events_and_flagged() -> None:
    script = answered_voice_call()
    dropped = {type(e) for e in script.events} - {ev.InteractionStarted, ev.ConversationEnded}
    script.events = [e for e in script.events if type(e) in dropped]
    record = script.derive()
    assert record["startTimestamp"] == "2024-05-02T10:00:04.500Z"
    assert record["flaggedReasons"] == [
        "no interaction-started event; the start is taken from the earliest event, at 2024-05-02T10:00:04.500Z",
        "conversation of agent allocation a-1 has no end; taken as 2024-05-02T10:02:00.000Z",
    ]
    assert record["agents"][0]["agentConversationTime"] == 106.0
    assert "channelType" not in record


def test_events_about_unknown_parts_and_an_agent_never_released_are_flagged() -> None:
    record = (
        Script()
        .at("10:00:00.000", ev.InteractionStarted, **started())
        .at("10:00:01.000", ev.WorkOffered, **agent("a-1", queue=None))
        .at("10:00:02.000", ev.WorkAccepted, **agent("a-1", queue=None))
        .at("10:00:03.000", ev.WrapupEnded, interactionAgentId="a-9")
        .at("10:00:04.000", ev.WorkOffered, **agent("a-2", queue=None))
        .derive()
    )
    assert record["flagged"] is True
    assert record["flaggedReasons"] == [
        "wrapup-ended 0b0f-4 refers to agent allocation a-9, which no event started",
        "agent allocation a-1 was never released (its agent was offered the interaction again at "
        "2024-05-02T10:00:04.000Z)",
    ]


def test_custom_attributes_merge_and_hooks_are_listed_once() -> None:
    record = (
        Script()
        .at("10:00:00.000", ev.InteractionStarted, **started())
        .at("10:00:01.000", ev.CustomAttributesSet, attributes={"lang": "en", "tier": "gold"})
        .at("10:00:02.000", ev.CustomAttributesSet, attributes={"lang": "es"})
        .at("10:00:03.000", ev.HookLinked, hookType="zendesk", hookSubType="ticket", hookId="42")
        .at("10:00:04.000", ev.HookLinked, hookType="zendesk", hookSubType="ticket", hookId="42")
        .derive()
    )
    assert record["customAttributes"] == {"lang": "es", "tier": "gold"}
    assert record["hooks"] == [{"hookType": "zendesk", "hookSubType": "ticket", "hookId": "42"}]


def test_duplicates_change_nothing_and_two_versions_of_an_event_resolve_the_same_way() -> None:
    script = answered_voice_call()
    once = script.derive()
    assert derive_record(TENANT, [*script.events, *script.events[:5]], DEFAULT_SLA) == once
    end = script.events[-2]
    later_end = msgspec.structs.replace(end, timestamp=f"{DAY}T10:02:05.000Z")
    both = derive_record(TENANT, [*script.events, later_end], DEFAULT_SLA)
    assert both == derive_record(TENANT, [later_end, *reversed(script.events)], DEFAULT_SLA)
    assert both["revision"] == once["revision"] + 1
    kept = min(msgspec.json.encode(end), msgspec.json.encode(later_end))
    assert both["endTimestamp"] == msgspec.json.decode(kept)["timestamp"]


def test_events_of_two_interactions_or_none_are_refused() -> None:
    other = Script("9d6a1c8e-0000-4000-8000-000000000001").at("10:00:00.000", ev.CustomerDisconnect)
    with pytest.raises(MixedInteractions):
        derive_record(TENANT, [*answered_voice_call().events, *other.events], DEFAULT_SLA)
    with pytest.raises(ValueError, match="at least one event"):
        derive_record(TENANT, [], DEFAULT_SLA)
    upper = Script(IID.upper()).at("10:00:00.000", ev.InteractionStarted, **started())
    assert upper.derive()["interactionId"] == IID


def test_derive_records_gives_one_record_per_interaction() -> None:
    other = Script("00000000-0000-4000-8000-00000000000a").at("09:00:00.000", ev.InteractionStarted, **started("chat"))
    records = derive_records(TENANT, [*answered_voice_call().events, *other.events], DEFAULT_SLA)
    assert [(r["interactionId"], r["channelType"]) for r in records] == [(other.iid, "chat"), (IID, "voice")]
    assert records[1] == answered_voice_call().derive()


def test_the_public_names_of_the_metrics_package() -> None:
    assert all(hasattr(metrics, name) for name in metrics.__all__)
    assert {"decode_events", "derive_record", "derive_records", "SlaPolicy", "DEFAULT_SLA", "Event"} <= set(
        metrics.__all__
    )


# --- how queue entries end; IVR abandons; talk with hold -----------------------------------------------


def waited(reason: str) -> Script:
    """Entered the queue 4.5 s into the call, left it 30 s later for `reason`; the flow ends the call."""
    return (
        Script()
        .at("10:00:00.000", ev.InteractionStarted, **started())
        .at("10:00:04.500", ev.QueueEntered, **entered("v-1"))
        .at("10:00:34.500", ev.QueueExited, interactionQueueId="v-1", reason=reason)
        .at("10:01:00.000", ev.InteractionEnded, endType="flow-end")
    )


@pytest.mark.parametrize(
    ("reason", "exit_type", "exit_reason"),
    [
        ("timeout", "flow", "timed-out"),
        ("exit-with-key", "flow", "exited-with-key"),
        ("leave-empty", "flow", "left-empty"),
        ("flow", "flow", "moved-by-flow"),
    ],
)
def test_a_caller_sent_on_from_the_queue_waited_but_is_neither_answered_nor_abandoned(
    reason: str, exit_type: str, exit_reason: str
) -> None:
    record = waited(reason).derive()
    queue = record["queues"][0]
    assert (queue["queueExitType"], queue["queueExitReason"], queue["queueTime"]) == (exit_type, exit_reason, 30.0)
    assert queue["endTimestamp"] == "2024-05-02T10:00:34.500Z"
    assert not {"queueAbandoned", "queueAbandonTime", "slaTime", "slaMet", "slaAbandoned", "timeToAnswer"} & set(queue)
    assert not {"queueDivertRule", "agentId"} & set(queue)
    assert not {"customerAbandonTime", "ivrAbandoned", "flagged"} & set(record)
    assert record["ivrTime"] == 4.5


def test_an_abandon_keeps_its_figures_and_says_abandoned() -> None:
    script = waited("abandon")
    script.events.insert(3, ev.CustomerDisconnect(eventId="cd", interactionId=IID, timestamp=f"{DAY}T10:00:34.500Z"))
    queue = script.derive(STRICT)["queues"][0]
    assert (queue["queueExitType"], queue["queueExitReason"], queue["queueAbandoned"]) == ("abandon", "abandoned", True)
    assert (queue["queueAbandonTime"], queue["slaTime"]) == (30, 30)
    assert (queue["slaMet"], queue["slaAbandoned"]) == (False, True)


def refused(reason: str, entry_type: str = "ivr") -> Script:
    """Refused by the Billing queue 3 s into the call; the flow tries q-2, where an agent answers."""
    return (
        Script()
        .at("10:00:00.000", ev.InteractionStarted, **started())
        .at(
            "10:00:03.000",
            ev.QueueRefused,
            interactionQueueId="v-0",
            queueId="q-1",
            queueName="Billing",
            reason=reason,
            entryType=entry_type,
        )
        .at("10:00:04.000", ev.QueueEntered, **entered("v-1", queue="q-2"))
        .at("10:00:06.000", ev.WorkOffered, **agent("a-1", queue="q-2"))
        .at("10:00:07.000", ev.WorkAccepted, **agent("a-1", queue="q-2"))
        .at("10:00:07.000", ev.QueueExited, interactionQueueId="v-1", reason="success")
        .at("10:00:07.500", ev.ConversationStarted, interactionAgentId="a-1")
    )


@pytest.mark.parametrize(
    ("reason", "exit_reason", "rule"),
    [
        ("full", "refused-full", None),
        ("join-empty", "refused-empty", None),
        ("closed", "closed", None),
        ("divert-wait-time", "diverted", "wait-time"),
        ("divert-caller-agent-ratio", "diverted", "caller-agent-ratio"),
    ],
)
def test_a_refusal_at_the_door_is_a_queue_entry_that_never_waited(
    reason: str, exit_reason: str, rule: str | None
) -> None:
    record = refused(reason).derive(STRICT)
    door, taken = record["queues"]
    assert door == {
        "interactionQueueId": "v-0",
        "interactionSegmentId": "seg-0",
        "queueId": "q-1",
        "queueName": "Billing",
        "queueType": "queue",
        "queueEntryType": "ivr",
        "startTimestamp": "2024-05-02T10:00:03.000Z",
        "endTimestamp": "2024-05-02T10:00:03.000Z",
        "queueExitType": "flow",
        "queueExitReason": exit_reason,
        **({"queueDivertRule": rule} if rule else {}),
        "queueTime": 0.0,
    }
    assert (taken["queueExitReason"], taken["agentId"], taken["timeToAnswer"], taken["slaMet"]) == (
        "answered",
        "ag-ana",
        3.5,
        True,
    )
    assert record["agents"][0]["queueId"] == "q-2" and record["ivrTime"] == 3.0
    assert "flagged" not in record


def test_a_refusal_of_a_transfer_belongs_to_the_transfer_and_a_hang_up_after_it_is_no_ivr_abandon() -> None:
    record = (
        Script()
        .at("10:00:00.000", ev.InteractionStarted, **started())
        .at("10:00:02.000", ev.QueueRefused, interactionQueueId="v-0", queueId="q-1", queueName="Billing",
            reason="closed")
        .at("10:00:09.000", ev.CustomerDisconnect)
        .at("10:00:09.010", ev.InteractionEnded, endType="customer-disconnect")
        .derive()
    )
    assert record["queues"][0]["queueExitReason"] == "closed"
    assert (record["ivrTime"], record["customerAbandonTime"]) == (2.0, 9.0)
    assert "ivrAbandoned" not in record and "queueAbandoned" not in record["queues"][0]
    script = answered_voice_call()
    script.events = script.events[:6]
    transferred = (
        script.at("10:00:30.000", ev.TransferStarted, interactionSegmentId="seg-t", interactionAgentId="a-1",
                  transferType="queue")
        .at("10:00:30.500", ev.QueueRefused, interactionQueueId="v-2", queueId="q-1", queueName="Billing",
            reason="full", entryType="transfer")
        .at("10:00:31.000", ev.TransferCancelled, interactionSegmentId="seg-t")
        .derive()
    )
    door = transferred["queues"][1]
    assert (door["interactionSegmentId"], door["queueEntryType"], door["queueExitReason"]) == (
        "seg-t",
        "transfer",
        "refused-full",
    )


def test_the_first_event_about_a_queue_entry_makes_it_and_a_refused_entry_is_never_answered() -> None:
    refused_first = (
        Script()
        .at("10:00:00.000", ev.InteractionStarted, **started())
        .at("10:00:01.000", ev.QueueRefused, interactionQueueId="v-1", queueId="q-1", queueName="Support",
            reason="join-empty")
        .at("10:00:02.000", ev.QueueEntered, **entered("v-1"))
        .at("10:00:03.000", ev.WorkOffered, **agent("a-1"), interactionQueueId="v-1")
        .at("10:00:04.000", ev.WorkAccepted, **agent("a-1"), interactionQueueId="v-1")
        .at("10:00:05.000", ev.QueueExited, interactionQueueId="v-1", reason="success")
        .derive()
    )
    queue = refused_first["queues"][0]
    assert (queue["queueExitReason"], queue["queueTime"], "queueEntryLength" in queue) == ("refused-empty", 0, False)
    assert not {"agentId", "timeToAnswer", "slaTime"} & set(queue)
    entered_first = (
        Script()
        .at("10:00:00.000", ev.InteractionStarted, **started())
        .at("10:00:01.000", ev.QueueEntered, **entered("v-1"))
        .at("10:00:01.000", ev.QueueRefused, interactionQueueId="v-1", queueId="q-1", queueName="Support",
            reason="full")
        .at("10:00:05.000", ev.QueueExited, interactionQueueId="v-1", reason="timeout")
        .derive()
    )
    assert entered_first["queues"][0]["queueExitReason"] == "timed-out"
    assert entered_first["queues"][0]["queueTime"] == 4.0


@pytest.mark.parametrize(
    ("kept", "exit_type", "exit_reason"),
    [
        ((ev.WorkOffered, ev.WorkAccepted), "success", "answered"),
        ((ev.CustomerDisconnect,), "abandon", "abandoned"),
        ((ev.InteractionEnded,), "flow", "moved-by-flow"),
    ],
)
def test_an_exit_taken_from_other_events_has_its_reason(
    kept: tuple[type[ev.EventBase], ...], exit_type: str, exit_reason: str
) -> None:
    script = answered_voice_call()
    script.events = [e for e in script.events if type(e) in (ev.InteractionStarted, ev.QueueEntered, *kept)]
    queue = script.derive()["queues"][0]
    assert (queue["queueExitType"], queue["queueExitReason"]) == (exit_type, exit_reason)


def test_ivr_abandoned_only_when_the_customer_hung_up_before_any_queue_or_agent() -> None:
    def ivr_abandoned(*steps: tuple[str, type[ev.EventBase], dict[str, Any]]) -> bool:
        script = Script().at("10:00:00.000", ev.InteractionStarted, **started())
        for time, cls, fields in steps:
            script.at(time, cls, **fields)
        return bool(script.derive().get("ivrAbandoned", False))

    hang_up = ("10:00:05.000", ev.CustomerDisconnect, {})
    assert ivr_abandoned(hang_up)
    assert ivr_abandoned(hang_up, ("10:00:06.000", ev.QueueEntered, entered("v-1")))  # queued after the hang-up
    assert not ivr_abandoned(("10:00:05.000", ev.QueueEntered, entered("v-1")), hang_up)  # the same instant
    assert not ivr_abandoned(("10:00:04.000", ev.WorkAccepted, agent("a-1", queue=None)), hang_up)
    assert not ivr_abandoned(("10:00:05.000", ev.InteractionEnded, {"endType": "flow-end"}))
    assert "ivrAbandoned" not in answered_voice_call().derive()
    assert "ivrAbandoned" not in waited("abandon").at("10:00:34.500", ev.CustomerDisconnect).derive()


def test_talk_includes_hold_and_handle_is_talk_plus_wrap_up() -> None:
    a = answered_voice_call().derive()["agents"][0]
    assert a["agentTalkTime"] == a["agentConversationTime"] == 106.0  # 10:00:14 → 10:02:00, the 10 s hold inside
    assert a["agentHoldTime"] == 10.0
    assert a["agentHandleTime"] == a["agentTalkTime"] + a["agentWrapUpTime"] == 136.0
    assert d.agent_talk_time(us("10:00:14.000"), us("10:02:00.000")) == 106.0
