"""The Amazon Connect importer on its own: contact records in every container form → cxreport events → the
records derivation makes of them (no store here: `test_import_connect_store.py` goes through one)."""

from __future__ import annotations

import base64
import io
import itertools
import json
from typing import Any

import msgspec
import pytest

from cxreport.importers import translator
from cxreport.importers.base import ImportOptions, source_id
from cxreport.importers.connect import translate
from cxreport.importers.connect_legs import fast_id
from cxreport.importers.connect_reading import CHUNK_SIZE
from support.connect import SAMPLES, agent, ctr, events_of, ndjson, queue, records_of, translated

C1 = "11111111-0000-4000-8000-000000000001"
C2 = "11111111-0000-4000-8000-000000000002"
C3 = "11111111-0000-4000-8000-000000000003"


def answered(contact_id: str = C1, **fields: Any) -> dict[str, Any]:
    """Queued 40 s, answered, 200 s of talk and two holds (45 s and 15 s), 30 s of after-contact work."""
    record = ctr(
        contact_id,
        "2024-03-04T10:00:00Z",
        "2024-03-04T10:05:30Z",
        Queue=queue("Support", "2024-03-04T10:00:30Z", "2024-03-04T10:01:10Z", 40),
        Agent=agent(
            "ada", "2024-03-04T10:01:10Z", 200, "2024-03-04T10:05:30Z", "2024-03-04T10:06:00Z", 30, 2, 60, 45
        ),
        Attributes={"language": "en", "tier": "gold"},
        LastUpdateTimestamp="2024-03-04T10:06:05Z",
    )
    record.update(fields)
    return record


def only(records: dict[str, dict[str, Any]]) -> dict[str, Any]:
    assert len(records) == 1, records.keys()
    return next(iter(records.values()))


def test_the_format_registry_names_this_translator() -> None:
    assert translator("connect-ctr") is translate


def test_an_answered_call_gives_the_figures_its_fields_state() -> None:
    record = only(records_of(events_of(ndjson(answered()))))
    assert (record["channelType"], record["direction"]) == ("voice", "inbound")
    assert (record["customer"], record["contactPoint"], record["contactId"]) == ("+15550001111", "+18005550100", C1)
    assert record["startTimestamp"] == "2024-03-04T10:00:00.000Z"
    assert record["endTimestamp"] == "2024-03-04T10:05:30.000Z"
    assert record["interactionEndType"] == "customer-disconnect"
    [entry] = record["queues"]
    assert (entry["queueName"], entry["queueTime"], entry["queueExitReason"]) == ("Support", 40.0, "answered")
    assert entry["queueEntryType"] == "ivr"
    [allocation] = record["agents"]
    assert allocation["agentName"] == "ada"
    assert allocation["agentConversationTime"] == 260.0  # AgentInteractionDuration + CustomerHoldDuration
    assert allocation["agentHoldTime"] == 60.0
    assert allocation["agentWrapUpTime"] == 30.0
    assert (record["customerHolds"], record["customerHoldTime"]) == (2, 60.0)
    assert record["customAttributes"] == {
        "language": "en",
        "tier": "gold",
        "connect.channel": "VOICE",
        "connect.initiationMethod": "INBOUND",
        "connect.disconnectReason": "CUSTOMER_DISCONNECT",
    }
    assert record["flagged"] is True
    assert any("no hold times" in reason for reason in record["flaggedReasons"])
    assert any("no offer time" in reason for reason in record["flaggedReasons"])


def test_holds_are_spread_inside_the_conversation_the_first_as_long_as_the_longest() -> None:
    events = events_of(ndjson(answered()))
    holds = [(e.__struct_config__.tag, e.timestamp) for e in events if "hold" in str(e.__struct_config__.tag)]
    holds += [(e.__struct_config__.tag, e.timestamp) for e in events if "resume" in str(e.__struct_config__.tag)]
    assert sorted(holds, key=lambda pair: pair[1]) == [
        ("customer-hold", "2024-03-04T10:02:16.666Z"),  # connected + 200 s / 3
        ("customer-resume", "2024-03-04T10:03:01.666Z"),  # + 45 s (LongestHoldDuration)
        ("customer-hold", "2024-03-04T10:04:08.332Z"),
        ("customer-resume", "2024-03-04T10:04:23.332Z"),  # + the other 15 s, before the ACW start
    ]
    assert all(e.estimated for e in events if "hold" in str(e.__struct_config__.tag))


@pytest.mark.parametrize("reason", ["CUSTOMER_DISCONNECT", None])
def test_a_contact_queued_and_never_connected_to_an_agent_is_abandoned(reason: str | None) -> None:
    record = only(
        records_of(
            events_of(
                ndjson(
                    ctr(
                        C1,
                        "2024-03-04T10:00:00Z",
                        "2024-03-04T10:01:00Z",
                        Queue=queue("Support", "2024-03-04T10:00:30Z", "2024-03-04T10:01:00Z", 30),
                        DisconnectReason=reason,
                    )
                )
            )
        )
    )
    [entry] = record["queues"]
    assert (entry["queueExitReason"], entry["queueAbandoned"], entry["queueTime"]) == ("abandoned", True, 30.0)
    assert record["interactionEndType"] == "customer-disconnect"
    assert "agents" not in record


def test_a_contact_the_flow_disconnected_in_the_queue_is_not_abandoned() -> None:
    record = only(
        records_of(
            events_of(
                ndjson(
                    ctr(
                        C1,
                        "2024-03-04T10:00:00Z",
                        "2024-03-04T10:01:00Z",
                        Queue=queue("Support", "2024-03-04T10:00:30Z", "2024-03-04T10:01:00Z", 30),
                        DisconnectReason="CONTACT_FLOW_DISCONNECT",
                    )
                )
            )
        )
    )
    [entry] = record["queues"]
    assert entry["queueExitReason"] == "moved-by-flow"
    assert not entry.get("queueAbandoned")
    assert record["interactionEndType"] == "flow-end"


def transfer_chain(to_queue: bool) -> list[dict[str, Any]]:
    """Agent ada takes the call, then transfers it (quick connect) to agent bob, or to the Billing queue."""
    first = ctr(
        C1,
        "2024-03-04T10:00:00Z",
        "2024-03-04T10:02:50Z",
        Queue=queue("Support", "2024-03-04T10:00:30Z", "2024-03-04T10:01:10Z", 40),
        Agent=agent("ada", "2024-03-04T10:01:10Z", 100, "2024-03-04T10:02:50Z", "2024-03-04T10:03:00Z", 10),
        NextContactId=C2,
        TransferCompletedTimestamp="2024-03-04T10:02:50Z",
        DisconnectReason="AGENT_DISCONNECT",
    )
    second = ctr(
        C2,
        "2024-03-04T10:02:40Z",
        "2024-03-04T10:05:00Z",
        InitialContactId=C1,
        PreviousContactId=C1,
        InitiationMethod="TRANSFER",
        Agent=agent("bob", "2024-03-04T10:02:50Z", 130, "2024-03-04T10:05:00Z", "2024-03-04T10:05:20Z", 20),
        Attributes={"transferred": "yes"},
    )
    if to_queue:
        second["Queue"] = queue("Billing", "2024-03-04T10:02:41Z", "2024-03-04T10:02:50Z", 9)
    return [first, second]


@pytest.mark.parametrize("to_queue", [False, True])
def test_a_transfer_by_an_agent_opens_a_transfer_segment_owned_by_the_first_leg(to_queue: bool) -> None:
    record = only(records_of(events_of(ndjson(*transfer_chain(to_queue)))))
    assert record["contactId"] == C1
    assert record["customerTransfers"] == 1
    assert [a["agentName"] for a in record["agents"]] == ["ada", "bob"]
    transfer = record["segments"][1]
    assert transfer["segmentStartType"] == "transfer"
    assert transfer["startTimestamp"] == "2024-03-04T10:02:40.000Z"
    assert transfer["transferTime"] == 10.0
    assert transfer["interactionAgentId"] == record["agents"][0]["interactionAgentId"]
    assert transfer["segmentToAgentId"] == record["agents"][1]["agentId"]
    assert record["endTimestamp"] == "2024-03-04T10:05:00.000Z"
    assert record["customAttributes"]["transferred"] == "yes"
    assert record["customAttributes"]["connect.disconnectReason"] == "CUSTOMER_DISCONNECT"
    if to_queue:
        assert [(q["queueName"], q["queueEntryType"]) for q in record["queues"]] == [
            ("Support", "ivr"),
            ("Billing", "transfer"),
        ]
        assert record["queues"][1]["interactionSegmentId"] == transfer["interactionSegmentId"]
    else:
        assert [q["queueName"] for q in record["queues"]] == ["Support"]


def test_a_transfer_nobody_took_is_cancelled() -> None:
    first, second = transfer_chain(to_queue=True)
    second["Agent"] = None
    second["Queue"] = queue("Billing", "2024-03-04T10:02:41Z", "2024-03-04T10:03:20Z", 39)
    second["DisconnectTimestamp"] = "2024-03-04T10:03:20Z"
    record = only(records_of(events_of(ndjson(first, second))))
    transfer = record["segments"][1]
    assert transfer["segmentEndType"] == "transfer-cancelled", transfer
    assert record["queues"][1]["queueExitReason"] == "abandoned"


def test_a_queue_transfer_by_the_flow_is_a_second_queue_entry_and_no_agent_transfer() -> None:
    first = ctr(
        C1,
        "2024-03-04T10:00:00Z",
        "2024-03-04T10:02:00Z",
        Queue=queue("Support", "2024-03-04T10:00:30Z", "2024-03-04T10:02:00Z", 90),
        NextContactId=C2,
        DisconnectReason=None,
    )
    second = ctr(
        C2,
        "2024-03-04T10:02:00Z",
        "2024-03-04T10:06:00Z",
        InitialContactId=C1,
        PreviousContactId=C1,
        InitiationMethod="QUEUE_TRANSFER",
        Queue=queue("Overflow", "2024-03-04T10:02:00Z", "2024-03-04T10:02:20Z", 20),
        Agent=agent("bob", "2024-03-04T10:02:20Z", 200, "2024-03-04T10:05:40Z", "2024-03-04T10:06:10Z", 30),
    )
    record = only(records_of(events_of(ndjson(second, first))))
    assert [(q["queueName"], q["queueExitReason"], q["queueEntryType"]) for q in record["queues"]] == [
        ("Support", "moved-by-flow", "ivr"),
        ("Overflow", "answered", "transfer"),
    ]
    assert not record["queues"][0].get("queueAbandoned")
    assert not record.get("customerTransfers")
    assert record["agents"][0]["agentName"] == "bob"


def test_a_callback_is_a_new_queue_entry_of_the_same_interaction() -> None:
    first = ctr(
        C1,
        "2024-03-04T10:00:00Z",
        "2024-03-04T10:01:00Z",
        Queue=queue("Support", "2024-03-04T10:00:30Z", "2024-03-04T10:01:00Z", 30),
        NextContactId=C2,
        DisconnectReason="CONTACT_FLOW_DISCONNECT",
    )
    callback = ctr(
        C2,
        "2024-03-04T10:01:00Z",
        "2024-03-04T10:25:00Z",
        InitialContactId=C1,
        PreviousContactId=C1,
        InitiationMethod="CALLBACK",
        Queue=queue("Support", "2024-03-04T10:01:00Z", "2024-03-04T10:20:00Z", 1140),
        Agent=agent("ada", "2024-03-04T10:20:00Z", 300, "2024-03-04T10:25:00Z", "2024-03-04T10:25:10Z", 10),
        DisconnectReason="AGENT_DISCONNECT",
    )
    record = only(records_of(events_of(ndjson(first, callback))))
    assert record["direction"] == "inbound"
    assert [(q["queueExitReason"], q["queueTime"]) for q in record["queues"]] == [
        ("moved-by-flow", 30.0),
        ("answered", 1140.0),
    ]
    assert record["interactionEndType"] == "agent-disconnect"


def test_a_first_leg_that_is_a_callback_or_outbound_sets_the_direction() -> None:
    calls = events_of(
        ndjson(
            ctr(C1, "2024-03-04T10:00:00Z", "2024-03-04T10:01:00Z", InitiationMethod="OUTBOUND"),
            ctr(C2, "2024-03-04T10:00:00Z", "2024-03-04T10:01:00Z", InitiationMethod="CALLBACK"),
            ctr(C3, "2024-03-04T10:00:00Z", "2024-03-04T10:01:00Z", InitiationMethod="INBOUND", Channel="CHAT"),
        )
    )
    records = records_of(calls)
    assert records[C1]["direction"] == "agent-initiated"
    assert records[C2]["direction"] == "outbound"
    assert (records[C3]["direction"], records[C3]["channelType"]) == ("inbound", "chat")


def test_a_task_has_no_cxreport_channel_and_is_flagged() -> None:
    record = only(
        records_of(events_of(ndjson(ctr(C1, "2024-03-04T10:00:00Z", "2024-03-04T10:01:00Z", Channel="TASK"))))
    )
    assert record["channelType"] == "email"
    assert record["customAttributes"]["connect.channel"] == "TASK"
    assert any("channel TASK" in reason for reason in record["flaggedReasons"])


def test_a_supervisor_monitoring_is_an_added_participant() -> None:
    monitor = ctr(
        C2,
        "2024-03-04T10:02:00Z",
        "2024-03-04T10:03:00Z",
        InitialContactId=C1,
        PreviousContactId=C1,
        InitiationMethod="MONITOR",
        Agent={"ARN": "arn:sup", "Username": "sue", "ConnectedToAgentTimestamp": "2024-03-04T10:02:00Z"},
    )
    record = only(records_of(events_of(ndjson(answered(NextContactId=C2), monitor))))
    added = [s for s in record["segments"] if s["segmentStartType"] == "participant-added"]
    assert len(added) == 1 and added[0]["startTimestamp"] == "2024-03-04T10:02:00.000Z"
    assert [a["agentName"] for a in record["agents"]] == ["ada"]
    # the supervisor leaving ends nothing: the call ends with ada's leg (which names the monitor as its next)
    assert (record["endTimestamp"], record["interactionEndType"]) == ("2024-03-04T10:05:30.000Z", "customer-disconnect")


def test_the_sample_contact_answered_held_twice_and_transferred_out() -> None:
    record = only(records_of(events_of((SAMPLES / "ctr-versions.ndjson").read_bytes())))
    assert record["contactId"] == "6fe40d2a-1a89-4d73-bfcf-5d9c33894f47"
    [entry] = record["queues"]
    assert (entry["queueName"], entry["queueTime"]) == ("TCC Refrig AC LLA", 346.0)  # Queue.Duration
    [allocation] = record["agents"]
    assert allocation["agentName"] == "Steve.Lusk"
    assert allocation["agentConversationTime"] - allocation["agentHoldTime"] == 239.0  # AgentInteractionDuration
    assert allocation["agentHoldTime"] == 221.0  # CustomerHoldDuration
    assert allocation["agentWrapUpTime"] == 5.0  # AfterContactWorkDuration
    assert record["customerHolds"] == 2  # NumberOfHolds
    assert record["customerTransfers"] == 1
    transfer = record["segments"][1]
    assert transfer["startTimestamp"] == "2022-01-05T17:28:12.000Z"  # TransferCompletedTimestamp
    assert record["interactionEndType"] == "transfer-external"
    assert record["endTimestamp"] == "2022-01-05T17:47:28.000Z"  # DisconnectTimestamp
    # the newest version's attributes (v3 added GreetingPlayed)
    assert record["customAttributes"]["GreetingPlayed"] == "false"
    assert record["customAttributes"]["greetingPlayed"] == "false"


# --- versions of one leg ------------------------------------------------------------------------------


def versions() -> tuple[dict[str, Any], dict[str, Any]]:
    old = answered(Attributes={"language": "en", "stale": "yes"}, LastUpdateTimestamp="2024-03-04T10:06:05Z")
    new = answered(Attributes={"language": "fr"}, LastUpdateTimestamp="2024-03-05T08:00:00Z")
    new["Agent"]["AfterContactWorkEndTimestamp"] = "2024-03-04T10:07:00Z"
    new["Agent"]["AfterContactWorkDuration"] = 90
    return old, new


def without_revision(record: dict[str, Any]) -> dict[str, Any]:
    return {key: value for key, value in record.items() if key != "revision"}


@pytest.mark.parametrize("newest_first", [False, True])
def test_the_newest_version_of_a_leg_wins_in_either_order(newest_first: bool) -> None:
    old, new = versions()
    order = (new, old) if newest_first else (old, new)
    # each version in its own stream, as two imports would read them (the stream's own dedup cannot help)
    events = events_of(ndjson(order[0])) + events_of(ndjson(order[1]))
    record = only(records_of(events))
    assert record["customAttributes"]["language"] == "fr"
    assert "stale" not in record["customAttributes"]
    assert record["agents"][0]["agentWrapUpTime"] == 90.0
    assert without_revision(record) == without_revision(only(records_of(events_of(ndjson(new)))))


def test_within_one_stream_a_repeated_or_older_version_yields_nothing() -> None:
    old, new = versions()
    items = translated(ndjson(new, old, new))
    assert [bool(item.events) for item in items] == [True, False, False]
    assert [item.line for item in items] == [1, 2, 3]
    items = translated(ndjson(old, new, old))
    assert [bool(item.events) for item in items] == [True, True, False]


def test_the_sample_array_of_six_deliveries_gives_three_versions_and_the_ndjson_record() -> None:
    items = translated((SAMPLES / "ctr-versions-array.json").read_bytes())
    assert len(items) == 6 and all(item.error is None for item in items)
    assert sum(1 for item in items if item.events) == 3  # each version delivered twice
    from_array = only(records_of(events_of((SAMPLES / "ctr-versions-array.json").read_bytes())))
    from_ndjson = only(records_of(events_of((SAMPLES / "ctr-versions.ndjson").read_bytes())))
    assert from_array == from_ndjson


# --- ids, idempotence, order ------------------------------------------------------------------------------


def test_ids_are_source_ids_namespaced_by_the_source() -> None:
    assert fast_id("pbx-1", "event", C1, "12", "queue-entered", "") == source_id(
        ImportOptions(source="pbx-1"), "event", C1, "12", "queue-entered", ""
    )
    data = ndjson(answered())
    one = list(translate(io.BytesIO(data), ImportOptions(source="east")))
    two = list(translate(io.BytesIO(data), ImportOptions(source="west")))
    assert json.loads(one[0].events[0])["interactionId"] != json.loads(two[0].events[0])["interactionId"]
    assert json.loads(one[0].events[0])["interactionId"] == source_id(ImportOptions(source="east"), "interaction", C1)
    started = json.loads(one[0].events[0])
    assert started["type"] == "interaction-started"
    version = str(started["sourceVersion"])
    east = ImportOptions(source="east")
    assert started["eventId"] == source_id(east, "event", C1, version, "interaction-started", "")


def test_translating_twice_gives_the_same_events() -> None:
    data = ndjson(*transfer_chain(True))
    assert translated(data) == translated(data)


def test_legs_split_across_streams_in_any_order_give_the_same_record() -> None:
    legs = transfer_chain(True)
    expected = only(records_of(events_of(ndjson(*legs))))
    for order in itertools.permutations(legs):
        events = [event for leg in order for event in events_of(ndjson(leg))]
        assert only(records_of(events)) == expected


# --- container forms ------------------------------------------------------------------------------------------


def forms() -> dict[str, bytes]:
    records = [answered(C1), answered(C2), answered(C3)]
    texts = [msgspec.json.encode(record) for record in records]

    def b64(text: bytes) -> str:
        return base64.b64encode(text).decode()

    return {
        "ndjson": b"\n".join(texts) + b"\n",
        "concatenated": b"".join(texts),
        "array": b"[" + b",".join(texts) + b"]",
        "pretty array": json.dumps(records, indent=2).encode(),
        "pretty objects": b"\n".join(json.dumps(record, indent=4).encode() for record in records),
        "crlf and bom": b"\xef\xbb\xbf" + b"\r\n".join(texts) + b"\r\n",
        "kinesis": json.dumps(
            {"Records": [{"eventSource": "aws:kinesis", "kinesis": {"data": b64(text)}} for text in texts]}
        ).encode(),
        "firehose": json.dumps(
            {"invocationId": "x", "records": [{"recordId": str(n), "data": b64(text)} for n, text in enumerate(texts)]}
        ).encode(),
        "firehose concatenated in one record": json.dumps({"records": [{"data": b64(b"".join(texts))}]}).encode(),
        "envelopes as ndjson": b"\n".join(
            json.dumps({"Records": [{"kinesis": {"data": b64(text)}}]}).encode() for text in texts
        ),
    }


@pytest.mark.parametrize("form", list(forms()))
def test_every_container_form_gives_the_same_events(form: str) -> None:
    expected = translated(forms()["ndjson"])
    items = translated(forms()[form])
    assert [item.error for item in items] == [None, None, None]
    assert [item.events for item in items] == [item.events for item in expected]


def test_lines_are_where_each_object_starts() -> None:
    pretty = forms()["pretty objects"]
    starts = [number for number, line in enumerate(pretty.split(b"\n"), start=1) if line == b"{"]
    assert len(starts) == 3 and [item.line for item in translated(pretty)] == starts
    assert [item.line for item in translated(forms()["ndjson"])] == [1, 2, 3]
    assert [item.line for item in translated(forms()["envelopes as ndjson"])] == [1, 2, 3]


def test_objects_larger_than_a_read_chunk_and_braces_inside_strings() -> None:
    big = answered(C1, Attributes={"notes": "x}{" * (CHUNK_SIZE // 2), "json": '{"a": [1, {"b": 2}]}, {'})
    data = ndjson(big, answered(C2)) + msgspec.json.encode(answered(C3))  # the last one with no newline
    items = translated(data)
    assert [item.error for item in items] == [None, None, None]
    assert [item.line for item in items] == [1, 2, 3]
    concatenated = translated(msgspec.json.encode(big) + msgspec.json.encode(answered(C2)))
    assert [item.error for item in concatenated] == [None, None]


# --- bad input -----------------------------------------------------------------------------------------------


def errors(data: bytes) -> list[tuple[int, str | None]]:
    return [(item.line, item.error) for item in translated(data)]


def test_a_record_without_contact_id_is_reported_and_the_others_translated() -> None:
    missing = answered(C2)
    del missing["ContactId"]
    found = errors(ndjson(answered(C1), missing, answered(C3)))
    assert found == [(1, None), (2, "the contact record has no ContactId"), (3, None)]


def test_malformed_json_is_reported_at_its_line_and_reading_goes_on() -> None:
    good = ndjson(answered(C1))
    found = errors(good + b"not json at all\n" + b'{"ContactId": "x", "Queue": {"Name": "q"\n' + ndjson(answered(C3)))
    assert found[0] == (1, None)
    assert found[1][0] == 2 and "expected a JSON object" in str(found[1][1])
    assert found[2][0] == 3 and "not closed" in str(found[2][1])
    assert found[3] == (4, None)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"InitiationTimestamp": "2024-02-30T10:00:00Z"}, "InitiationTimestamp: '2024-02-30T10:00:00Z' names a date"),
        ({"DisconnectTimestamp": "2024-03-04T25:00:00Z"}, "DisconnectTimestamp: '2024-03-04T25:00:00Z' names a time"),
        ({"DisconnectTimestamp": "2024-03-04T09:00:00Z"}, "impossible times: DisconnectTimestamp is before"),
        ({"InitiationTimestamp": None}, "the contact record has no InitiationTimestamp"),
        ({"LastUpdateTimestamp": "yesterday"}, "LastUpdateTimestamp: 'yesterday' is not an ISO 8601"),
        ({"ContactId": 42}, "not a contact record: Expected `str | null`, got `int` - at `$.ContactId`"),
    ],
)
def test_impossible_times_and_wrong_types_are_reported(change: dict[str, Any], message: str) -> None:
    record = answered(C1)
    record.update(change)
    [(line, error)] = errors(ndjson(record))
    assert line == 1 and error is not None and error.startswith(message), error


def test_an_agent_leaving_before_it_connected_is_impossible() -> None:
    record = answered(C1)
    record["Agent"]["AfterContactWorkStartTimestamp"] = "2024-03-04T10:01:00Z"
    [(_line, error)] = errors(ndjson(record))
    assert error == (
        "impossible times: Agent.AfterContactWorkStartTimestamp is before Agent.ConnectedToAgentTimestamp"
    )


def test_truncated_input_is_reported() -> None:
    text = json.dumps([answered(C1), answered(C2)], indent=2).encode()
    found = errors(text[: len(text) // 2 + 100])
    assert found[0] == (2, None)
    assert found[1][0] == len(text[: len(text) // 2 + 100].split(b"\n")[0:0]) + found[1][0]  # a line, reported
    assert found[-1][1] is not None and "truncated" in str(found[-1][1])
    assert errors(msgspec.json.encode(answered(C1))[:-5]) == [(1, "the object is not closed (truncated input?)")]


def test_bad_envelope_records_are_reported_with_the_envelope_line() -> None:
    envelope = {"Records": [{"kinesis": {"data": "%%%"}}, {"kinesis": {}}, {"kinesis": {"data": "bm90IGpzb24="}}]}
    found = errors(b"\n" + json.dumps(envelope).encode())
    assert found == [
        (2, "envelope record 0: data is not valid base64"),
        (2, "envelope record 1 has no data"),
        (2, "envelope record 2: expected a JSON object, found 'not json'"),
    ]
