"""`GET /v1/tenants/{tenantId}/agent-statistics` over random agents' state events and records, in zones with DST
changes and 30- and 45-minute offsets, on both stores: its work figures equal what a client counts from the
records the search returns; 15-minute rows add up to the hour, day and total rows (state times and work alike);
in every row the state times tile the logged-in time. (`/statistics` has its own property and add-up tests in
`test_api_statistics.py`; the WFM intervals are checked against its rows in `test_api_wfm.py`.)"""

from __future__ import annotations

import json
import uuid
from collections import Counter
from datetime import date, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cxreport.service.intervals import day_start
from cxreport.times import format_instant, parse_instant
from support.servers import LiveServer
from support.tenants import TenantKeys, make_tenant_keys

FIRST_DAY = date(2026, 10, 31)  # New York falls back on 2026-11-01
AGENTS = ("a1", "a2", "a3")
STATE_FIGURES = ("loggedInTime", "readyTime", "notReadyTime", "unknownStateTime")
WORK_FIGURES = ("answered", "handled", "talkTimeTotal", "wrapUpTimeTotal", "handleTimeTotal")
BASE_US = parse_instant("2026-10-31T00:00:00Z")

state_events = st.lists(st.tuples(
    st.sampled_from(AGENTS), st.integers(0, 3 * 86_400 // 60),
    st.sampled_from(["agent-logged-in", "agent-state-changed", "agent-logged-out"]),
    st.sampled_from(["ready", "not-ready"]), st.sampled_from([None, "lunch", "training"]),
), max_size=25)
answered = st.lists(st.tuples(
    st.sampled_from(AGENTS), st.sampled_from(["q1", "q2"]), st.integers(0, 3 * 86_400),
    st.integers(1, 900), st.integers(0, 120),
), max_size=15)


def state_lines(drawn: list[Any]) -> bytes:
    lines = []
    for n, (agent, minute, kind, state, reason) in enumerate(drawn):
        event: dict[str, Any] = {"type": kind, "eventId": f"e{n}", "agentId": agent, "agentName": f"Agent {agent}",
                                 "timestamp": format_instant(BASE_US + minute * 60_000_000)}
        if kind != "agent-logged-out":
            event["state"] = state
            if state == "not-ready" and reason is not None:
                event["reasonCode"] = reason
        lines.append(json.dumps(event).encode())
    return b"\n".join(lines)


def records(drawn: list[Any]) -> list[dict[str, Any]]:
    made = []
    for agent, queue, second, talk, wrap in drawn:
        start = format_instant(BASE_US + second * 1_000_000)
        iid = str(uuid.uuid4())
        made.append({
            "interactionId": iid, "startTimestamp": start, "channelType": "voice",
            "queues": [{"interactionQueueId": f"q-{iid}", "queueId": queue, "queueName": f"Queue {queue}",
                        "startTimestamp": start, "queueTime": 4.0, "queueExitReason": "answered",
                        "queueExitType": "success", "agentId": agent}],
            "agents": [{"interactionAgentId": f"a-{iid}", "agentId": agent, "agentName": f"Agent {agent}",
                        "queueId": queue, "agentWorkAccepted": True, "agentTalkTime": float(talk),
                        "agentWrapUpTime": float(wrap), "agentHandleTime": float(talk + wrap)}],
        })
    return made


def get(server: LiveServer, keys: TenantKeys, path: str, **params: Any) -> Any:
    with server.client(keys.read) as client:
        response = client.get(f"/v1/tenants/{keys.id}/{path}", params=params)
    assert response.status_code == 200, response.text
    return response.json()


def searched(server: LiveServer, keys: TenantKeys) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = []
    with server.client(keys.read) as client:
        url: str | None = f"/v1/tenants/{keys.id}/interactions?limit=1000"
        while url:
            body = client.get(url).json()
            found += body["results"]
            url = body["nextUrl"]
    return found


def counted(found: list[dict[str, Any]], low: int, high: int, by_queue: bool) -> dict[tuple[Any, ...], Counter[str]]:
    """The work a client counts from the records: each answered queue entry with entry time in [low, high), under
    its agent (and queue), with the agent's handling of that queue."""
    counts: dict[tuple[Any, ...], Counter[str]] = {}
    for record in found:
        for entry in record.get("queues", []):
            at = parse_instant(entry["startTimestamp"])
            if not low <= at < high or entry.get("queueExitReason") != "answered":
                continue
            key = (entry["agentId"], entry["queueId"]) if by_queue else (entry["agentId"],)
            work = next(a for a in record["agents"] if a["agentId"] == entry["agentId"])
            into = counts.setdefault(key, Counter())
            into["answered"] += 1
            into["handled"] += 1
            into["talkTimeTotal"] += round(work["agentTalkTime"] * 1000)
            into["wrapUpTimeTotal"] += round(work["agentWrapUpTime"] * 1000)
            into["handleTimeTotal"] += round(work["agentHandleTime"] * 1000)
    return counts


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.too_slow,
                                                                 HealthCheck.function_scoped_fixture])
@given(state_events, answered, st.sampled_from(["America/New_York", "Asia/Kolkata", "Asia/Kathmandu"]),
       st.integers(0, 1), st.integers(1, 2), st.booleans())
def test_agent_rows_count_the_records_and_quarter_hours_add_up(
    live_server: LiveServer, states: list[Any], work: list[Any], zone: str, first: int, days: int, by_queue: bool,
) -> None:
    keys = make_tenant_keys(live_server.store, timezone=zone)
    with live_server.client(keys.ingest) as client:
        if states:
            response = client.post(f"/v1/tenants/{keys.id}/events", content=state_lines(states),
                                   headers={"content-type": "application/x-ndjson"})
            assert response.status_code == 200, response.text
        response = client.post(f"/v1/tenants/{keys.id}/interactions", content=json.dumps(records(work)),
                               headers={"content-type": "application/json"})
        assert response.status_code == 200, response.text
    local = ZoneInfo(zone)
    start_day = FIRST_DAY + timedelta(days=first)
    start, end = day_start(start_day, local), day_start(start_day + timedelta(days=days), local)
    window: dict[str, Any] = {"start": format_instant(start), "end": format_instant(end)}
    if by_queue:
        window["groupBy"] = "queue"
    key_of = (lambda row: (row["agentId"], row["queueId"])) if by_queue else (lambda row: (row["agentId"],))
    finest = get(live_server, keys, "agent-statistics", interval="15m", **window)["rows"]
    for row in finest:
        parts = sum(row[name] for name in STATE_FIGURES[1:])
        assert row["loggedInTime"] == pytest.approx(parts), row
        assert row["notReadyTime"] == pytest.approx(sum(row["notReadyByReason"].values())), row
    total_rows = None
    for interval in ("hour", "day", "total"):
        coarse = get(live_server, keys, "agent-statistics", interval=interval, **window)["rows"]
        if interval == "total":
            total_rows = coarse
        for row in coarse:
            low, high = parse_instant(row["start"]), parse_instant(row["end"])
            inside = [r for r in finest if low <= parse_instant(r["start"]) < high and key_of(r) == key_of(row)]
            for name in (*STATE_FIGURES, *WORK_FIGURES):
                assert row[name] == pytest.approx(sum(r[name] for r in inside), abs=1e-6), (interval, name, row)
            reasons: Counter[str] = Counter()
            for r in inside:
                reasons.update(r["notReadyByReason"])
            assert row["notReadyByReason"] == pytest.approx(dict(reasons)), (interval, row)
    assert total_rows is not None
    expected = counted(searched(live_server, keys), start, end, by_queue)
    got = {key_of(row): Counter({name: round(row[name] * 1000) if name.endswith("Total") else row[name]
                                 for name in WORK_FIGURES}) for row in total_rows}
    for key, counts in expected.items():
        assert +got.get(key, Counter()) == +counts, key
    assert all(not +counts for key, counts in got.items() if key not in expected)
