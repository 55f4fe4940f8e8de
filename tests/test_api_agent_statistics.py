"""`GET /v1/tenants/{tenantId}/agent-statistics`, end to end over HTTP on both stores: state times from the
agents' state events split across the buckets they overlap (a missing logout closed at the next login, an open
session counted until the range's end), the work from the queue-entry facts, occupancy, and refusals."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Callable
from typing import Any

import httpx
import pytest

from support.tenants import TenantKeys

DAY = "2017-12-05"


def agent_event(kind: str, event_id: str, clock: str, agent_id: str = "agent-7", **fields: Any) -> dict[str, Any]:
    return {"type": kind, "eventId": event_id, "agentId": agent_id, "timestamp": f"{DAY}T{clock}Z", **fields}


SHIFT = [
    agent_event("agent-logged-in", "1", "08:00:00", agentName="Ada", state="ready"),
    agent_event("agent-state-changed", "2", "08:30:00", state="not-ready", reasonCode="lunch"),
    agent_event("agent-state-changed", "3", "08:45:00", state="ready"),
    agent_event("agent-logged-in", "4", "09:30:00"),  # the logout before it is missing: closed here
    agent_event("agent-state-changed", "5", "09:40:00", state="not-ready", reasonCode="training"),
    agent_event("agent-logged-in", "6", "08:15:00", agent_id="agent-8", state="ready"),  # never logs out
]


def answered_record(interaction_id: str, clock: str, agent: str, queue: str, handle: float) -> dict[str, Any]:
    start = f"{DAY}T{clock}.000Z"
    return {
        "interactionId": interaction_id, "startTimestamp": start, "channelType": "voice",
        "queues": [{"interactionQueueId": f"q-{interaction_id}", "queueId": queue, "queueName": f"Queue {queue}",
                    "startTimestamp": start, "queueTime": 5.0, "queueExitType": "success", "agentId": agent}],
        "agents": [{"interactionAgentId": f"a-{interaction_id}", "agentId": agent, "agentName": "Ada",
                    "agentWorkAccepted": True, "agentTalkTime": handle - 10, "agentWrapUpTime": 10.0,
                    "agentHandleTime": handle}],
    }


@pytest.fixture
def shift(http: httpx.Client, new_tenant: Callable[..., TenantKeys]) -> TenantKeys:
    keys = new_tenant(timezone="UTC")
    body = b"\n".join(json.dumps(event).encode() for event in SHIFT)
    assert http.post(f"/v1/tenants/{keys.id}/events", content=body, auth=keys.ingest).status_code == 200
    records = [
        answered_record("00000000-0000-4000-8000-000000000001", "08:10:00", "agent-7", "sales", 120.0),
        answered_record("00000000-0000-4000-8000-000000000002", "09:50:00", "agent-7", "support", 300.0),
        answered_record("00000000-0000-4000-8000-000000000003", "09:55:00", "agent-7", "sales", 60.0),
    ]
    response = http.post(f"/v1/tenants/{keys.id}/interactions", content=json.dumps(records), auth=keys.ingest)
    assert response.status_code == 200, response.text
    return keys


def agent_statistics(http: httpx.Client, keys: TenantKeys, status: int = 200, **params: Any) -> Any:
    response = http.get(f"/v1/tenants/{keys.id}/agent-statistics", params=params, auth=keys.read)
    assert response.status_code == status, response.text
    return response.json() if params.get("format") != "csv" else response.text


def test_state_times_split_across_hours_with_the_work_and_occupancy(http: httpx.Client, shift: TenantKeys) -> None:
    body = agent_statistics(http, shift, start=f"{DAY}T08:00Z", end=f"{DAY}T10:00Z", interval="hour")
    assert (body["interval"], body["timezone"], body["groupBy"]) == ("hour", "UTC", ["agent"])
    rows = {(row["start"], row["agentId"]): row for row in body["rows"]}
    assert len(rows) == 4, "2 hours × 2 agents"
    eight, nine = "2017-12-05T08:00:00+00:00", "2017-12-05T09:00:00+00:00"
    first = rows[eight, "agent-7"]
    assert (first["loggedInTime"], first["readyTime"], first["notReadyTime"]) == (3600.0, 2700.0, 900.0)
    assert first["notReadyByReason"] == {"lunch": 900.0}
    assert (first["answered"], first["handled"], first["handleTimeTotal"]) == (1, 1, 120.0)
    assert first["occupancy"] == round(100 * 120 / 2700, 2)
    second = rows[nine, "agent-7"]
    # 09:00–09:30 ready (the first session, closed at the next login), 09:30–09:40 unknown, 09:40– training
    assert (second["loggedInTime"], second["readyTime"], second["unknownStateTime"]) == (3600.0, 1800.0, 600.0)
    assert second["notReadyByReason"] == {"training": 1200.0}
    assert (second["answered"], second["handleTimeTotal"], second["averageHandleTime"]) == (2, 360.0, 180.0)
    assert second["occupancy"] == round(100 * 360 / (3600 - 1200), 2)
    other = rows[eight, "agent-8"]
    assert (other["loggedInTime"], other["readyTime"], other["answered"], other["occupancy"]) == (2700.0, 2700.0, 0,
                                                                                               0.0)
    assert rows[nine, "agent-8"]["loggedInTime"] == 3600.0, "an open session counts until the range's end"


def test_the_total_by_queue_keeps_the_agents_state_times_on_each_queue_row(http: httpx.Client,
                                                                         shift: TenantKeys) -> None:
    body = agent_statistics(http, shift, start=f"{DAY}T08:00Z", end=f"{DAY}T10:00Z", interval="total",
                            groupBy="queue")
    rows = {(row["agentId"], row["queueId"]): row for row in body["rows"]}
    assert set(rows) == {("agent-7", "sales"), ("agent-7", "support"), ("agent-8", None)}
    assert (rows["agent-7", "sales"]["answered"], rows["agent-7", "sales"]["handleTimeTotal"]) == (2, 180.0)
    assert rows["agent-7", "support"]["handleTimeTotal"] == 300.0
    assert rows["agent-7", "sales"]["loggedInTime"] == rows["agent-7", "support"]["loggedInTime"] == 7200.0
    assert rows["agent-7", "sales"]["queueName"] == "Queue sales"


def test_csv_is_the_same_table(http: httpx.Client, shift: TenantKeys) -> None:
    params = {"start": f"{DAY}T08:00Z", "end": f"{DAY}T10:00Z", "interval": "hour"}
    table = list(csv.DictReader(io.StringIO(agent_statistics(http, shift, format="csv", **params))))
    rows = agent_statistics(http, shift, **params)["rows"]
    assert [row["agentId"] for row in table] == [row["agentId"] for row in rows]
    assert table[0]["notReadyByReason"] == "lunch=900.0"
    assert float(table[0]["loggedInTime"]) == rows[0]["loggedInTime"]


@pytest.mark.parametrize(("params", "parameter"), [
    ({"interval": "hour", "start": f"{DAY}T08:10Z", "end": f"{DAY}T10:00Z"}, "start"),
    ({"interval": "fortnight", "start": f"{DAY}T08:00Z", "end": f"{DAY}T10:00Z"}, "interval"),
    ({"interval": "hour", "start": f"{DAY}T08:00Z", "end": f"{DAY}T10:00Z", "groupBy": "channelType"}, "groupBy"),
    ({"interval": "hour", "start": f"{DAY}T08:00Z", "end": f"{DAY}T10:00Z", "timezone": "Mars/Base"}, "timezone"),
    ({"interval": "hour", "start": f"{DAY}T08:00Z", "end": f"{DAY}T10:00Z", "queueId": "sales"}, "queueId"),
])
def test_bad_input_is_a_400_naming_the_parameter(http: httpx.Client, shift: TenantKeys, params: dict[str, str],
                                                 parameter: str) -> None:
    body = agent_statistics(http, shift, status=400, **params)
    assert body["parameter"] == parameter, body
