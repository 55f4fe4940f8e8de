"""How the legs of one Amazon Connect contact join: a cold transfer, a transfer to a queue, a queue transfer by the
flow, a callback, a consult without a transfer, a consult that ends in a (warm) transfer, and a conference, each
with the record its legs make in either order (derived here without a store) and the `transfers` figure of
`/statistics` (through a real SQLite store and PostgreSQL, marker `postgres`).

The consultative forms follow AWS's rule (identify-conferences-transfers): whichever agent enters after-contact
work first left first. The initiating agent first: a transfer. The consulted agent first: a consult when the
consulted agent's AgentInteractionDuration is at most 2 s (the customer was on hold), else a conference."""

from __future__ import annotations

import io
import itertools
import uuid
from collections.abc import Callable
from typing import Any

import pytest

from cxreport.importers.connect import translate
from cxreport.service.events import Incoming, incoming, store_events
from cxreport.service.statistics import StatisticsRequest, statistics
from cxreport.store import Store
from cxreport.store.base import Tenant
from cxreport.times import parse_instant
from support.connect import OPTIONS, agent, ctr, events_of, ndjson, queue, records_of

C1 = "22222222-0000-4000-8000-000000000001"
C2 = "22222222-0000-4000-8000-000000000002"

Legs = list[dict[str, Any]]


def initiator(end: str, talk: int, hold: int = 0, **fields: Any) -> dict[str, Any]:
    """Agent ada answers the call from the Support queue at 10:01:10 and works until `end` (her ACW start)."""
    return ctr(
        C1,
        "2024-03-04T10:00:00Z",
        end,
        Queue=queue("Support", "2024-03-04T10:00:30Z", "2024-03-04T10:01:10Z", 40),
        Agent=agent("ada", "2024-03-04T10:01:10Z", talk, end, "2024-03-04T10:06:00Z", 0, 1 if hold else 0, hold, hold),
        NextContactId=C2,
        **fields,
    )


def consulted(start: str, connected: str, talk: int, end: str, **fields: Any) -> dict[str, Any]:
    """Agent bob's leg, made by ada's quick connect at `start` (InitiationMethod TRANSFER)."""
    return ctr(
        C2,
        start,
        end,
        InitialContactId=C1,
        PreviousContactId=C1,
        InitiationMethod="TRANSFER",
        Agent=agent("bob", connected, talk, end, "2024-03-04T10:06:00Z", 0),
        **fields,
    )


def cold_transfer() -> Legs:
    """ada starts a transfer to bob at 10:02:40 and leaves at 10:02:42; bob connects at 10:02:50."""
    return [
        initiator("2024-03-04T10:02:42Z", 92, TransferCompletedTimestamp="2024-03-04T10:02:42Z", DisconnectReason=None),
        consulted("2024-03-04T10:02:40Z", "2024-03-04T10:02:50Z", 130, "2024-03-04T10:05:00Z"),
    ]


def queue_transfer() -> Legs:
    """ada transfers the call to the Billing queue (a quick connect) and leaves; bob takes it from there."""
    first, second = cold_transfer()
    second["Queue"] = queue("Billing", "2024-03-04T10:02:41Z", "2024-03-04T10:02:50Z", 9)
    return [first, second]


def flow_queue_transfer() -> Legs:
    """No agent: the customer queue flow moves the waiting call from Support to Overflow (QUEUE_TRANSFER)."""
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
    return [first, second]


def callback() -> Legs:
    """The customer leaves a callback request in the queue; the CALLBACK leg is answered by bob 19 minutes later."""
    first = ctr(
        C1,
        "2024-03-04T10:00:00Z",
        "2024-03-04T10:01:00Z",
        Queue=queue("Support", "2024-03-04T10:00:30Z", "2024-03-04T10:01:00Z", 30),
        NextContactId=C2,
        DisconnectReason="CUSTOMER_DISCONNECT",
    )
    second = ctr(
        C2,
        "2024-03-04T10:01:00Z",
        "2024-03-04T10:25:00Z",
        InitialContactId=C1,
        PreviousContactId=C1,
        InitiationMethod="CALLBACK",
        Queue=queue("Support", "2024-03-04T10:01:00Z", "2024-03-04T10:20:00Z", 1140),
        Agent=agent("bob", "2024-03-04T10:20:00Z", 300, "2024-03-04T10:25:00Z", "2024-03-04T10:25:10Z", 10),
        DisconnectReason="AGENT_DISCONNECT",
    )
    return [first, second]


def consult() -> Legs:
    """ada puts the customer on hold at 10:02:00 and consults bob (connected 10:02:05, no customer interaction);
    bob hangs up at 10:02:45, ada takes the customer back and finishes at 10:05:00."""
    return [
        initiator("2024-03-04T10:05:00Z", 180, hold=50),
        consulted("2024-03-04T10:02:00Z", "2024-03-04T10:02:05Z", 0, "2024-03-04T10:02:45Z",
                  DisconnectReason="AGENT_DISCONNECT"),
    ]


def consult_then_transfer() -> Legs:
    """As `consult`, but at 10:02:45 ada completes the transfer and leaves; bob talks with the customer to 10:05."""
    return [
        initiator("2024-03-04T10:02:45Z", 55, hold=40, TransferCompletedTimestamp="2024-03-04T10:02:45Z",
                  DisconnectReason=None),
        consulted("2024-03-04T10:02:00Z", "2024-03-04T10:02:05Z", 135, "2024-03-04T10:05:00Z"),
    ]


def conference() -> Legs:
    """ada brings bob in at 10:02 and joins the three parties; bob talks with the customer for 60 s and leaves at
    10:03:30, ada finishes at 10:05:00."""
    return [
        initiator("2024-03-04T10:05:00Z", 210, hold=20),
        consulted("2024-03-04T10:02:00Z", "2024-03-04T10:02:05Z", 60, "2024-03-04T10:03:30Z",
                  DisconnectReason="AGENT_DISCONNECT"),
    ]


def record_in_every_order(legs: Legs) -> dict[str, Any]:
    """The record of the legs, which must be the same whatever their order and however they are split up."""
    orders = list(itertools.permutations(legs))
    records = [records_of(events_of(ndjson(*order))) for order in orders]
    records += [records_of([e for leg in order for e in events_of(ndjson(leg))]) for order in orders]
    assert all(found == records[0] for found in records)
    [record] = records[0].values()
    return record


def segment_summary(record: dict[str, Any]) -> list[tuple[Any, ...]]:
    names = {a["agentId"]: a["agentName"] for a in record["agents"]}
    return [
        (
            s["segmentStartType"],
            s["startTimestamp"][11:19],
            s.get("endTimestamp", "")[11:19],
            names.get(s.get("agentId", "")),
            names.get(s.get("segmentToAgentId", "")),
            s.get("transfer", False),
            s.get("consult", False),
        )
        for s in record["segments"]
    ]


def agent_summary(record: dict[str, Any]) -> list[tuple[Any, ...]]:
    segments = {s["interactionSegmentId"]: s["segmentNumber"] for s in record["segments"]}
    return [
        (a["agentName"], segments[a["interactionSegmentId"]], a.get("agentConversationTime"))
        for a in record["agents"]
    ]


def test_a_cold_transfer_is_one_transfer() -> None:
    record = record_in_every_order(cold_transfer())
    assert record["customerTransfers"] == 1
    assert segment_summary(record) == [
        ("interaction", "10:00:00", "10:06:00", None, "ada", False, False),  # until ada's allocation's release
        ("transfer", "10:02:40", "10:06:00", "ada", "bob", True, False),
    ]
    assert record["segments"][1]["transferTime"] == 10.0
    assert agent_summary(record) == [("ada", 0, 92.0), ("bob", 1, 130.0)]
    assert (record["endTimestamp"], record["interactionEndType"]) == ("2024-03-04T10:05:00.000Z", "customer-disconnect")


def test_a_transfer_to_a_queue_is_one_transfer_and_a_second_queue_entry() -> None:
    record = record_in_every_order(queue_transfer())
    assert record["customerTransfers"] == 1
    assert segment_summary(record)[1] == ("transfer", "10:02:40", "10:06:00", "ada", "bob", True, False)
    assert [(q["queueName"], q["queueEntryType"], q["queueExitReason"], q["interactionSegmentId"]) for q in
            record["queues"]] == [
        ("Support", "ivr", "answered", record["segments"][0]["interactionSegmentId"]),
        ("Billing", "transfer", "answered", record["segments"][1]["interactionSegmentId"]),
    ]
    assert agent_summary(record) == [("ada", 0, 92.0), ("bob", 1, 130.0)]


def test_a_queue_transfer_by_the_flow_is_no_transfer() -> None:
    record = record_in_every_order(flow_queue_transfer())
    assert "customerTransfers" not in record
    assert segment_summary(record) == [("interaction", "10:00:00", "10:06:10", None, "bob", False, False)]
    assert [(q["queueName"], q["queueEntryType"], q["queueExitReason"]) for q in record["queues"]] == [
        ("Support", "ivr", "moved-by-flow"),
        ("Overflow", "transfer", "answered"),
    ]
    assert agent_summary(record) == [("bob", 0, 200.0)]
    assert record["endTimestamp"] == "2024-03-04T10:06:00.000Z"


def test_a_callback_is_no_transfer_and_not_an_abandon() -> None:
    record = record_in_every_order(callback())
    assert "customerTransfers" not in record
    assert segment_summary(record) == [("interaction", "10:00:00", "10:25:10", None, "bob", False, False)]
    assert [(q["queueExitReason"], q["queueTime"]) for q in record["queues"]] == [
        ("moved-by-flow", 30.0),
        ("answered", 1140.0),
    ]
    assert agent_summary(record) == [("bob", 0, 300.0)]
    # the first leg's customer disconnect (the customer hung up to wait for the call back) ends nothing
    assert "customerAbandonTime" not in record
    assert (record["endTimestamp"], record["interactionEndType"]) == ("2024-03-04T10:25:00.000Z", "agent-disconnect")


def test_a_consult_without_a_transfer_is_a_consulted_participant() -> None:
    record = record_in_every_order(consult())
    assert "customerTransfers" not in record
    assert segment_summary(record) == [
        ("interaction", "10:00:00", "10:06:00", None, "ada", False, False),
        ("participant-added", "10:02:00", "10:02:45", "ada", "bob", False, True),
    ]
    assert record["segments"][1]["interactionAgentId"] == record["agents"][0]["interactionAgentId"]
    assert agent_summary(record) == [("ada", 0, 230.0), ("bob", 1, 40.0)]
    # the interaction ends with ada's leg, not at the consulted leg's earlier disconnect
    assert (record["endTimestamp"], record["interactionEndType"]) == ("2024-03-04T10:05:00.000Z", "customer-disconnect")
    assert record["customAttributes"]["connect.disconnectReason"] == "CUSTOMER_DISCONNECT"


def test_a_consult_leg_alone_reads_as_a_transfer_until_the_leg_that_made_it_arrives() -> None:
    first, second = consult()
    alone = next(iter(records_of(events_of(ndjson(second))).values()))
    assert alone["customerTransfers"] == 1
    both = next(iter(records_of(events_of(ndjson(second)) + events_of(ndjson(first))).values()))
    assert "customerTransfers" not in both and both["revision"] > alone["revision"]


def test_a_consult_that_ends_in_a_transfer_is_one_transfer() -> None:
    record = record_in_every_order(consult_then_transfer())
    assert record["customerTransfers"] == 1
    assert segment_summary(record) == [
        ("interaction", "10:00:00", "10:06:00", None, "ada", False, False),
        ("transfer", "10:02:00", "10:06:00", "ada", "bob", True, False),
    ]
    assert record["segments"][1]["transferTime"] == 5.0
    assert agent_summary(record) == [("ada", 0, 95.0), ("bob", 1, 175.0)]
    assert (record["endTimestamp"], record["interactionEndType"]) == ("2024-03-04T10:05:00.000Z", "customer-disconnect")


def test_a_conference_is_an_added_participant_and_no_transfer() -> None:
    record = record_in_every_order(conference())
    assert "customerTransfers" not in record
    assert segment_summary(record) == [
        ("interaction", "10:00:00", "10:06:00", None, "ada", False, False),
        ("participant-added", "10:02:00", "10:03:30", "ada", "bob", False, False),
    ]
    assert agent_summary(record) == [("ada", 0, 230.0), ("bob", 1, 85.0)]
    assert record["endTimestamp"] == "2024-03-04T10:05:00.000Z"


def test_the_consulted_agent_leaving_in_the_same_second_as_the_initiator_is_no_transfer() -> None:
    first, second = conference()
    first["Agent"]["AfterContactWorkStartTimestamp"] = second["Agent"]["AfterContactWorkStartTimestamp"]
    first["Agent"]["AgentInteractionDuration"] = 120
    first["DisconnectTimestamp"] = second["DisconnectTimestamp"]
    record = record_in_every_order([first, second])
    assert "customerTransfers" not in record
    assert record["segments"][1]["segmentStartType"] == "participant-added"


# --- the `transfers` figure of /statistics, through a real store ----------------------------------------------

FORMS: dict[str, tuple[Callable[[], Legs], int]] = {
    "cold transfer": (cold_transfer, 1),
    "transfer to a queue": (queue_transfer, 1),
    "queue transfer by the flow": (flow_queue_transfer, 0),
    "callback": (callback, 0),
    "consult": (consult, 0),
    "consult then transfer": (consult_then_transfer, 1),
    "conference": (conference, 0),
}


@pytest.mark.parametrize("form", list(FORMS))
def test_the_statistics_count_each_form_s_transfers(contract_store: Store, form: str) -> None:
    legs, transfers = FORMS[form]
    tenant_id = str(uuid.uuid4())
    contract_store.create_tenant(Tenant(tenant_id, "t", "UTC"))
    for leg in reversed(legs()):  # one import per leg, the later leg first
        batch: list[Incoming] = []
        for item in translate(io.BytesIO(ndjson(leg)), OPTIONS):
            assert item.error is None, item.error
            batch.extend(incoming(event, len(batch), tenant_id) for event in item.events)
        store_events(contract_store, tenant_id, batch)
    request = StatisticsRequest(parse_instant("2024-03-04T00:00:00Z"), parse_instant("2024-03-05T00:00:00Z"), "day")
    [row] = statistics(contract_store, tenant_id, request).rows
    assert row["transfers"] == transfers
    assert row["offered"] == len([leg for leg in legs() if leg.get("Queue")])
