"""End to end, over HTTP on loopback, both stores: agent-state events in (alone or mixed with interaction
events, all or nothing), `GET …/agents/{agentId}/state-events` out: the window, its pages, its sessions, and
its refusals; `cxreport import-events` takes them too."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import pytest

from support.cli import Cli, assert_ok
from support.data import SAMPLE, STREAMS
from support.tenants import TenantKeys

SEED_TENANT = SAMPLE["tenantId"]
STREAM = "e6952d50-eca3-11e7-ba92-25b49e03c3e7"
DAY = "2017-12-05"


def agent_event(kind: str, event_id: str, clock: str, agent_id: str = "agent-7", **fields: Any) -> dict[str, Any]:
    return {"type": kind, "eventId": event_id, "agentId": agent_id, "timestamp": f"{DAY}T{clock}Z", **fields}


SHIFT = [
    agent_event("agent-logged-in", "1", "08:00:00", sessionId="s-1", agentName="Ada"),
    agent_event("agent-state-changed", "2", "08:01:00", state="ready"),
    agent_event("agent-state-changed", "3", "12:00:00", state="not-ready", reasonCode="lunch"),
    agent_event("agent-state-changed", "4", "12:30:00", state="ready", queueIds=["q-1", "q-2"]),
    agent_event("agent-logged-in", "5", "13:00:00", sessionId="s-2"),  # the logout of s-1 is missing
    agent_event("agent-state-changed", "6", "13:00:00", state="ready"),
    agent_event("agent-logged-out", "7", "17:00:00", reasonCode="end of shift"),
    agent_event("agent-logged-in", "8", "18:00:00", state="not-ready", reasonCode="training"),
]


def ndjson(events: list[dict[str, Any]]) -> bytes:
    return b"\n".join(json.dumps(event, separators=(",", ":")).encode() for event in events)


def post(http: httpx.Client, keys: TenantKeys, content: bytes, status: int = 200) -> Any:
    response = http.post(f"/v1/tenants/{keys.id}/events", content=content, auth=keys.ingest)
    assert response.status_code == status, response.text
    return response.json()


def state_events(http: httpx.Client, keys: TenantKeys, agent_id: str = "agent-7", status: int = 200,
                 **params: Any) -> Any:
    response = http.get(f"/v1/tenants/{keys.id}/agents/{agent_id}/state-events", params=params, auth=keys.read)
    assert response.status_code == status, response.text
    return response.json()


def seed_stream(tenant_id: str) -> list[bytes]:
    text = (STREAMS / f"{STREAM}.ndjson").read_bytes().replace(SEED_TENANT.encode(), tenant_id.encode())
    return [line for line in text.splitlines() if line.strip()]


def test_a_shift_in_and_its_sessions_out(http: httpx.Client, new_tenant: Callable[..., TenantKeys]) -> None:
    keys = new_tenant()
    assert post(http, keys, ndjson(SHIFT)) == {"accepted": 8, "duplicates": 0, "interactions": 0}
    body = state_events(http, keys)
    assert body["results"] == SHIFT, "each event as sent, in time order"
    assert (body["tenantId"], body["agentId"], body["limit"], body["next"], body["nextUrl"]) == (
        keys.id, "agent-7", 100, None, None)
    assert body["window"] == {"start": None, "end": None}
    assert body["sessions"] == [
        {"sessionId": "s-1", "start": f"{DAY}T08:00:00.000Z", "end": f"{DAY}T13:00:00.000Z", "startedBy": "login",
         "endedBy": "next-login", "states": [
             {"state": "unknown", "reasonCode": None, "start": f"{DAY}T08:00:00.000Z", "end": f"{DAY}T08:01:00.000Z"},
             {"state": "ready", "reasonCode": None, "start": f"{DAY}T08:01:00.000Z", "end": f"{DAY}T12:00:00.000Z"},
             {"state": "not-ready", "reasonCode": "lunch", "start": f"{DAY}T12:00:00.000Z",
              "end": f"{DAY}T12:30:00.000Z"},
             {"state": "ready", "reasonCode": None, "start": f"{DAY}T12:30:00.000Z", "end": f"{DAY}T13:00:00.000Z"},
         ]},
        {"sessionId": "s-2", "start": f"{DAY}T13:00:00.000Z", "end": f"{DAY}T17:00:00.000Z", "startedBy": "login",
         "endedBy": "logout", "states": [
             {"state": "ready", "reasonCode": None, "start": f"{DAY}T13:00:00.000Z", "end": f"{DAY}T17:00:00.000Z"},
         ]},
        {"sessionId": None, "start": f"{DAY}T18:00:00.000Z", "end": None, "startedBy": "login", "endedBy": "open",
         "states": [{"state": "not-ready", "reasonCode": "training", "start": f"{DAY}T18:00:00.000Z", "end": None}]},
    ]
    window = state_events(http, keys, start=f"{DAY}T12:15", end=f"{DAY}T14:00")
    assert [event["eventId"] for event in window["results"]] == ["4", "5", "6"]
    assert window["window"] == {"start": f"{DAY}T12:15:00.000Z", "end": f"{DAY}T14:00:00.000Z"}
    assert [(s["start"], s["end"], s["startedBy"], s["endedBy"]) for s in window["sessions"]] == [
        (f"{DAY}T12:15:00.000Z", f"{DAY}T13:00:00.000Z", "before-window", "next-login"),
        (f"{DAY}T13:00:00.000Z", f"{DAY}T14:00:00.000Z", "login", "after-window"),
    ]
    assert window["sessions"][0]["states"][0] == {
        "state": "not-ready", "reasonCode": "lunch", "start": f"{DAY}T12:15:00.000Z", "end": f"{DAY}T12:30:00.000Z"}
    assert state_events(http, keys, agent_id="agent-8") | {"tenantId": None} == {
        "tenantId": None, "agentId": "agent-8", "window": {"start": None, "end": None}, "limit": 100, "results": [],
        "sessions": [], "next": None, "nextUrl": None}


def test_mixed_with_interaction_events_duplicates_and_all_or_nothing(
        http: httpx.Client, new_tenant: Callable[..., TenantKeys]) -> None:
    keys = new_tenant()
    interaction = seed_stream(keys.id)
    mixed = [interaction[0], ndjson(SHIFT[:2]), *interaction[1:], ndjson(SHIFT[2:3])]
    assert post(http, keys, b"\n".join(mixed)) == {
        "accepted": len(interaction) + 3, "duplicates": 0, "interactions": 1}
    assert http.get(f"/v1/tenants/{keys.id}/interactions/{STREAM}", auth=keys.read).status_code == 200
    resent = [json.loads(interaction[0]), {**SHIFT[0], "agentName": "changed"}, SHIFT[3]]
    assert post(http, keys, json.dumps(resent).encode()) == {"accepted": 1, "duplicates": 2, "interactions": 0}
    assert state_events(http, keys)["results"] == SHIFT[:4], "the first version of a duplicate stays"
    other_agent = {**SHIFT[0], "agentId": "agent-9"}
    assert post(http, keys, ndjson([other_agent]))["accepted"] == 1, "an eventId is the agent's own"

    bad = {**SHIFT[4], "eventId": "x"}
    del bad["agentId"]
    wrong_state = agent_event("agent-state-changed", "y", "19:00:00", state="away")
    refused = post(http, keys, b"\n".join([ndjson([SHIFT[5], bad]), interaction[0], ndjson([wrong_state])]), 400)
    assert [(e["position"], e["path"]) for e in refused["errors"]] == [(1, "$.agentId"), (3, "$.state")]
    assert state_events(http, keys)["results"] == SHIFT[:4], "nothing of a refused body is stored"
    known = refused["errors"][1]["message"]
    assert "Invalid enum value 'away'" in known, known
    unknown = post(http, keys, json.dumps({**SHIFT[0], "type": "agent-paused"}).encode(), 400)
    assert "agent-logged-in, agent-state-changed, agent-logged-out" in unknown["message"]


def test_pages_follow_next_url(http: httpx.Client, new_tenant: Callable[..., TenantKeys]) -> None:
    keys = new_tenant()
    many = [agent_event("agent-state-changed", f"{n:03d}", f"09:{n // 2:02d}:00",
                        state="ready" if n % 4 < 2 else "not-ready") for n in range(25)]
    many.insert(0, agent_event("agent-logged-in", "login", "08:59:00"))
    post(http, keys, ndjson(many))
    first = state_events(http, keys, limit=10, start=f"{DAY}T09:00", end=f"{DAY}T10:00")
    seen, pages, url = list(first["results"]), 1, first["nextUrl"]
    while url:
        page = http.get(url, auth=keys.read).json()
        assert page["sessions"] == first["sessions"], "the sessions cover the whole window on every page"
        seen += page["results"]
        pages, url = pages + 1, page["nextUrl"]
    assert pages == 3 and seen == many[1:]
    assert len(first["sessions"]) == 1 and first["sessions"][0]["startedBy"] == "before-window"
    only_sessions = state_events(http, keys, limit=0)
    assert only_sessions["results"] == [] and only_sessions["next"] is None and only_sessions["sessions"]
    other_window = state_events(http, keys, status=400, limit=10, start=f"{DAY}T09:00", cursor=first["next"])
    assert other_window["parameter"] == "cursor"
    other_agent = state_events(http, keys, agent_id="agent-8", status=400, limit=10, start=f"{DAY}T09:00",
                               end=f"{DAY}T10:00", cursor=first["next"])
    assert other_agent["parameter"] == "cursor"


@pytest.mark.parametrize(("params", "agent_id", "parameter"), [
    ({"start": "yesterday"}, "agent-7", "start"),
    ({"end": "2017-02-30T00:00Z"}, "agent-7", "end"),
    ({"start": "2017-12-06", "end": "2017-12-05"}, "agent-7", "start"),
    ({"limit": 1001}, "agent-7", "limit"),
    ({"limit": -1}, "agent-7", "limit"),
    ({"limit": "1.0"}, "agent-7", "limit"),
    ({"cursor": "not-a-cursor"}, "agent-7", "cursor"),
    ({"sort": "desc"}, "agent-7", "sort"),
    ({}, "a" * 201, "agentId"),
    ({}, "%20", "agentId"),
])
def test_bad_input_is_a_400_naming_the_parameter(http: httpx.Client, new_tenant: Callable[..., TenantKeys],
                                                 params: dict[str, Any], agent_id: str, parameter: str) -> None:
    body = state_events(http, new_tenant(), agent_id=agent_id, status=400, **params)
    assert body["status"] == 400 and body["parameter"] == parameter, body


def test_import_events_takes_agent_events(tmp_path: Path, cli: Cli, cli_seed_tenant: str) -> None:
    events = tmp_path / "mixed.ndjson"
    events.write_bytes(b"\n".join([*seed_stream(cli_seed_tenant), ndjson(SHIFT)]) + b"\n")
    result = cli("import-events", "--tenant", cli_seed_tenant, str(events))
    assert_ok(result)
    count = len(seed_stream(cli_seed_tenant)) + len(SHIFT)
    assert result.stdout == f"done: {count} accepted, 0 duplicates, 0 rejected; 1 record derivations\n"
    again = cli("import-events", "--tenant", cli_seed_tenant, "--batch-size", "3", str(events))
    assert again.stdout == f"done: 0 accepted, {count} duplicates, 0 rejected; 0 record derivations\n"
