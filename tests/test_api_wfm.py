"""End to end, over HTTP: `GET /v1/tenants/{tenantId}/wfm/intervals/{queue|agent|agent-queue}` on both stores.
Calls ingested as events; each interval equals the `/statistics` row of its 15-minute UTC bucket and entity,
field by field through the mapping in docs/api.md (also over random records, whose offered and answered counts
the test counts itself); paging; nulls left out unless asked; each refusal a 400 naming its parameter."""

from __future__ import annotations

import uuid
from typing import Any

import msgspec
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cxreport.clock import now_us
from cxreport.http.schemas import WfmEnvelope, WfmInterval
from cxreport.service.wfm import check_range
from cxreport.times import format_instant, parse_instant
from support.servers import LiveServer
from support.tenants import TenantKeys, make_tenant_keys

START = "2026-10-29T12:00:00.000Z"
END = "2026-10-29T14:00:00.000Z"
_T0 = parse_instant(START)
_S = 1_000_000

ANSWERED = [  # (minutes after 12:00 UTC the call arrives, queue, agent, wait, talk, wrap-up: seconds)
    (2, "q1", "a1", 12.5, 100.0, 20.0),
    (7, "q1", "a2", 3.25, 60.0, 0.0),
    (20, "q2", "a1", 40.0, 200.0, 30.0),
    (21, "q1", "a1", 5.0, 50.0, 10.0),
    (50, "q2", "a2", 8.0, 90.0, 15.0),
]
ABANDONED = [(4, "q1", 30.0), (33, "q2", 2.0), (80, "q1", 61.0)]  # (minutes, queue, wait)
MAPPING = {  # WFM field → the /statistics figure it shows (docs/api.md, "WFM intervals")
    "offeredCallCount": "offered",
    "answeredCallCount": "answered",
    "abandonedCallCount": "abandoned",
    "answerTime": "answerTimeTotal",
    "avgTimeToAnswer": "averageSpeedOfAnswer",
    "handleTime": "handleTimeTotal",
    "avgHandleTime": "averageHandleTime",
    "agentWrapUpTime": "wrapUpTimeTotal",
    "avgWrapUpTime": "averageWrapUpTime",
    "sla": "serviceLevel",
}
GROUP_BY = {"queue": "queue", "agent": "agent", "agent-queue": "agent,queue"}
IDS = {"queue": ("queueId", "queueName"), "agent": ("agentId", "agentName"),
       "agent-queue": ("agentId", "agentName", "queueId", "queueName")}


def _call(minutes: int, queue: str, wait: float, answered: tuple[str, float, float] | None) -> list[dict[str, Any]]:
    """The events of one voice call arriving `minutes` after 12:00 UTC, queued 5 s later for `wait` seconds,
    then answered by (agent, talk, wrap-up) or abandoned."""
    interaction, entry = str(uuid.uuid4()), str(uuid.uuid4())
    at = _T0 + minutes * 60 * _S
    events: list[dict[str, Any]] = []

    def add(kind: str, offset_s: float, **fields: Any) -> None:
        events.append({"type": kind, "eventId": f"{len(events):02d}", "interactionId": interaction,
                       "timestamp": format_instant(at + round(offset_s * _S)), **fields})

    add("interaction-started", 0, channelType="voice", direction="inbound", customer="+15550100",
        contactPoint="+15550199", flowId="flow-1", flowName="Inbound")
    add("queue-entered", 5, interactionQueueId=entry, queueId=queue, queueName=f"Queue {queue}", entryType="ivr",
        queueLength=1)
    queued = 5 + wait
    if answered is None:
        add("queue-exited", queued, interactionQueueId=entry, reason="abandon")
        add("customer-disconnect", queued)
        add("interaction-ended", queued, endType="customer-disconnect")
        return events
    agent, talk, wrap = answered
    allocation = {"interactionAgentId": str(uuid.uuid4()), "agentId": agent, "agentName": f"Agent {agent}",
                  "sessionId": str(uuid.uuid4()), "queueId": queue, "interactionQueueId": entry}
    add("work-offered", queued - 1, **allocation)
    add("work-accepted", queued, **allocation)
    add("queue-exited", queued, interactionQueueId=entry, reason="success")
    add("conversation-started", queued, interactionAgentId=allocation["interactionAgentId"])
    ended = queued + talk
    add("conversation-ended", ended, interactionAgentId=allocation["interactionAgentId"])
    add("agent-disconnect", ended, interactionAgentId=allocation["interactionAgentId"])
    if wrap:
        add("wrapup-started", ended, interactionAgentId=allocation["interactionAgentId"])
    add("customer-disconnect", ended)
    add("interaction-ended", ended, endType="customer-disconnect")
    if wrap:
        add("wrapup-ended", ended + wrap, interactionAgentId=allocation["interactionAgentId"])
    return events


@pytest.fixture(scope="module")
def calls(live_server: LiveServer) -> TenantKeys:
    """A New York tenant (WFM buckets are UTC's whatever the tenant's zone) with the calls above."""
    keys = make_tenant_keys(live_server.store, timezone="America/New_York")
    events = [event for minutes, queue, agent, wait, talk, wrap in ANSWERED
              for event in _call(minutes, queue, wait, (agent, talk, wrap))]
    events += [event for minutes, queue, wait in ABANDONED for event in _call(minutes, queue, wait, None)]
    with live_server.client(keys.ingest) as client:
        response = client.post(f"/v1/tenants/{keys.id}/events", json=events)
    assert response.status_code == 200, response.text
    return keys


def wfm(server: LiveServer, keys: TenantKeys, entity: str, status: int = 200, **params: Any) -> Any:
    with server.client(keys.read) as client:
        response = client.get(f"/v1/tenants/{keys.id}/wfm/intervals/{entity}",
                              params={"start": START, "end": END, **params})
    assert response.status_code == status, response.text
    return response.json()


def statistics_rows(server: LiveServer, keys: TenantKeys, group_by: str) -> list[dict[str, Any]]:
    with server.client(keys.read) as client:
        response = client.get(f"/v1/tenants/{keys.id}/statistics", params={
            "start": START, "end": END, "interval": "15m", "timezone": "UTC", "groupBy": group_by})
    assert response.status_code == 200, response.text
    rows: list[dict[str, Any]] = response.json()["rows"]
    return rows


@pytest.mark.parametrize("entity", ["queue", "agent", "agent-queue"])
def test_each_interval_is_the_statistics_row_of_its_bucket_and_entity(live_server: LiveServer, calls: TenantKeys,
                                                                      entity: str) -> None:
    body = wfm(live_server, calls, entity, limit=1000, includenulls="true")
    expected = [row for row in statistics_rows(live_server, calls, GROUP_BY[entity])
                if row["offered"] and row.get("agentId", "") is not None]
    assert body["total"] == len(body["results"]) == len(expected) > 0
    for got, row in zip(body["results"], expected, strict=True):
        assert (parse_instant(got["start"]), parse_instant(got["end"])) == (parse_instant(row["start"]),
                                                                            parse_instant(row["end"]))
        assert parse_instant(got["end"]) - parse_instant(got["start"]) == 15 * 60 * _S
        assert {name: got[name] for name in IDS[entity]} == {name: row[name] for name in IDS[entity]}
        assert {name: got[name] for name in MAPPING} == {name: row[figure] for name, figure in MAPPING.items()}
    assert (body["entity"], body["interval"], body["tenantTimezone"]) == (entity, "15m", "America/New_York")


def test_the_figures_of_one_queue_interval(live_server: LiveServer, calls: TenantKeys) -> None:
    first = wfm(live_server, calls, "queue")["results"][0]
    assert first == {
        "start": "2026-10-29T12:00:00.000Z", "end": "2026-10-29T12:15:00.000Z", "queueId": "q1",
        "queueName": "Queue q1", "offeredCallCount": 3, "answeredCallCount": 2, "abandonedCallCount": 1,
        "answerTime": 15.75, "avgTimeToAnswer": 7.875, "handleTime": 180.0, "avgHandleTime": 90.0,
        "agentWrapUpTime": 20.0, "avgWrapUpTime": 10.0, "sla": first["sla"],
    }
    assert first["sla"] == statistics_rows(live_server, calls, "queue")[0]["serviceLevel"]


def test_agents_have_the_entries_they_answered_only(live_server: LiveServer, calls: TenantKeys) -> None:
    results = wfm(live_server, calls, "agent", limit=1000)["results"]
    assert sum(row["offeredCallCount"] for row in results) == len(ANSWERED)
    assert sum(row["answeredCallCount"] for row in results) == len(ANSWERED)
    assert all("queueId" not in row for row in results)
    queues = wfm(live_server, calls, "queue", limit=1000)["results"]
    assert sum(row["offeredCallCount"] for row in queues) == len(ANSWERED) + len(ABANDONED)


def test_null_figures_are_left_out_unless_asked(live_server: LiveServer, calls: TenantKeys) -> None:
    """The 13:15 interval of q1 holds one abandoned call: nothing answered, so no averages."""
    left_out = wfm(live_server, calls, "queue")["results"][-1]
    kept = wfm(live_server, calls, "queue", includenulls="true")["results"][-1]
    assert (left_out["start"], left_out["offeredCallCount"], left_out["answeredCallCount"]) == (
        "2026-10-29T13:15:00.000Z", 1, 0)
    assert "avgTimeToAnswer" not in left_out and "avgHandleTime" not in left_out
    assert kept["avgTimeToAnswer"] is None and kept["avgHandleTime"] is None
    assert {name: value for name, value in kept.items() if value is not None} == left_out


@pytest.mark.parametrize("entity", ["queue", "agent", "agent-queue"])
@pytest.mark.parametrize("nulls", ["true", "false"])
def test_the_answer_is_what_the_openapi_document_says(live_server: LiveServer, calls: TenantKeys, entity: str,
                                                      nulls: str) -> None:
    with live_server.client(calls.read) as client:
        response = client.get(f"/v1/tenants/{calls.id}/wfm/intervals/{entity}",
                              params={"start": START, "end": END, "includenulls": nulls})
    assert response.headers["content-type"] == "application/json"
    decoded = msgspec.json.decode(response.content, type=WfmEnvelope, strict=True)
    assert decoded.results and all(isinstance(row, WfmInterval) for row in decoded.results)
    keys = {key for row in response.json()["results"] for key in row}
    assert keys <= set(WfmInterval.__struct_fields__)


def test_paging(live_server: LiveServer, calls: TenantKeys) -> None:
    every = wfm(live_server, calls, "agent-queue", limit=1000)
    rows = every["results"]
    assert len(rows) == every["total"] >= 5
    by_page = wfm(live_server, calls, "agent-queue", limit=2, page=1)
    assert (by_page["page"], by_page["limit"], by_page["offset"], by_page["total"]) == (1, 2, 2, len(rows))
    assert by_page["results"] == rows[2:4]
    by_offset = wfm(live_server, calls, "agent-queue", limit=2, offset=3)
    assert (by_offset["page"], by_offset["offset"], by_offset["results"]) == (None, 3, rows[3:5])
    default = wfm(live_server, calls, "agent-queue")
    assert (default["page"], default["limit"], default["offset"], default["results"]) == (None, 10, 0, rows[:10])
    beyond = wfm(live_server, calls, "agent-queue", offset=len(rows))
    assert beyond["results"] == [] and beyond["total"] == len(rows)


@pytest.mark.parametrize(("entity", "params", "parameter", "words"), [
    ("queue", {"start": "2026-10-29T12:05:00Z"}, "start", "15-minute boundary"),
    ("queue", {"end": "2026-10-29T13:59:59Z"}, "end", "15-minute boundary"),
    ("queue", {"start": "2026-10-20T00:00:00Z", "end": "2026-10-27T00:15:00Z"}, "end", "7 days"),
    ("queue", {"start": END, "end": START}, "start", "before end"),
    ("queue", {"start": START, "end": START}, "start", "before end"),
    ("queue", {"start": "yesterday"}, "start", "start"),
    ("planet", {}, "entity", "queue, agent, agent-queue"),
    ("agent", {"limit": "1001"}, "limit", "limit"),
    ("agent", {"page": "1", "offset": "3"}, "offset", "page"),
    ("agent", {"page": "-1"}, "page", "page"),
    ("agent", {"interval": "hour"}, "interval", "unknown parameter"),
])
def test_each_rule_is_a_400_naming_its_parameter(live_server: LiveServer, calls: TenantKeys, entity: str,
                                                 params: dict[str, str], parameter: str, words: str) -> None:
    body = wfm(live_server, calls, entity, 400, **params)
    assert body["parameter"] == parameter and words in body["message"], body


def test_a_range_of_exactly_7_days_is_served(live_server: LiveServer, calls: TenantKeys) -> None:
    body = wfm(live_server, calls, "queue", start="2026-10-23T00:00Z", end="2026-10-30T00:00Z")
    assert body["total"] == 6


def test_an_end_in_the_last_10_minutes_is_a_400(live_server: LiveServer, calls: TenantKeys) -> None:
    quarter = 15 * 60 * _S
    end = (now_us() + quarter) // quarter * quarter  # the next boundary: in the future
    body = wfm(live_server, calls, "queue", 400, start=format_instant(end - 4 * quarter), end=format_instant(end))
    assert body["parameter"] == "end" and "10 minutes" in body["message"], body


def test_the_last_10_minutes_are_never_served() -> None:
    quarter = 15 * 60 * _S
    boundary = parse_instant("2026-12-04T17:15:00Z")
    check_range(boundary - quarter, boundary, now_us=boundary + 10 * 60 * _S)  # ended exactly 10 minutes ago
    with pytest.raises(Exception, match="10 minutes") as refused:
        check_range(boundary - quarter, boundary, now_us=boundary + 10 * 60 * _S - 1)
    assert getattr(refused.value, "parameter", None) == "end"


drawn_entries = st.lists(st.tuples(
    st.integers(0, 2 * 3600 - 1), st.sampled_from(["q1", "q2"]),
    st.sampled_from(["answered", "answered", "abandoned", "timed-out", "refused-full"]), st.sampled_from(["a1", "a2"]),
    st.integers(0, 300_000), st.integers(0, 900_000), st.integers(0, 120_000),
), min_size=1, max_size=14)


def _records(drawn: list[Any]) -> list[dict[str, Any]]:
    """One record per entry, ingested directly: entering `queue` that many seconds after 12:00 UTC."""
    made = []
    for second, queue, outcome, agent, wait_ms, talk_ms, wrap_ms in drawn:
        iid, at = str(uuid.uuid4()), format_instant(_T0 + second * _S)
        entry: dict[str, Any] = {"interactionQueueId": f"q-{iid}", "queueId": queue, "queueName": f"Queue {queue}",
                                 "interactionSegmentId": "s0", "startTimestamp": at, "queueTime": wait_ms / 1000,
                                 "queueExitReason": outcome}
        record: dict[str, Any] = {"interactionId": iid, "startTimestamp": at, "channelType": "voice",
                                  "queues": [entry], "agents": []}
        if outcome == "answered":
            entry |= {"agentId": agent, "timeToAnswer": wait_ms / 1000, "slaTime": wait_ms / 1000,
                      "slaMet": wait_ms <= 20_000}
            record["agents"] = [{"interactionAgentId": f"a-{iid}", "agentId": agent, "agentName": f"Agent {agent}",
                                 "interactionSegmentId": "s0", "queueId": queue, "agentWorkAccepted": True,
                                 "agentTalkTime": talk_ms / 1000, "agentWrapUpTime": wrap_ms / 1000,
                                 "agentHandleTime": (talk_ms + wrap_ms) / 1000}]
        made.append(record)
    return made


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow,
                                                                 HealthCheck.function_scoped_fixture])
@given(drawn_entries, st.integers(0, 6), st.integers(1, 8), st.sampled_from(["queue", "agent", "agent-queue"]),
       st.sampled_from(["America/New_York", "Asia/Kathmandu"]))
def test_random_intervals_are_the_statistics_rows_and_count_the_records(
    live_server: LiveServer, drawn: list[Any], first: int, quarters: int, entity: str, zone: str,
) -> None:
    keys = make_tenant_keys(live_server.store, timezone=zone)
    with live_server.client(keys.ingest) as client:
        response = client.post(f"/v1/tenants/{keys.id}/interactions", json=_records(drawn))
    assert response.status_code == 200, response.text
    start, end = _T0 + first * 15 * 60 * _S, _T0 + (first + quarters) * 15 * 60 * _S
    window = {"start": format_instant(start), "end": format_instant(end)}
    with live_server.client(keys.read) as client:
        body = client.get(f"/v1/tenants/{keys.id}/wfm/intervals/{entity}",
                          params={**window, "limit": 1000, "includenulls": "true"}).json()
        rows = client.get(f"/v1/tenants/{keys.id}/statistics", params={
            **window, "interval": "15m", "timezone": "UTC", "groupBy": GROUP_BY[entity]}).json()["rows"]
    expected = [row for row in rows if row["offered"] and row.get("agentId", "") is not None]
    assert body["total"] == len(body["results"]) == len(expected)
    for got, row in zip(body["results"], expected, strict=True):
        assert parse_instant(got["start"]) == parse_instant(row["start"])
        assert {name: got[name] for name in IDS[entity]} == {name: row[name] for name in IDS[entity]}
        assert {name: got[name] for name in MAPPING} == {name: row[figure] for name, figure in MAPPING.items()}
    # what a client counts from the entries themselves: offered and answered per interval and entity
    counted: dict[tuple[Any, ...], list[int]] = {}
    for second, queue, outcome, agent, *_times in drawn:
        at = _T0 + second * _S
        if not start <= at < end or (entity != "queue" and outcome != "answered"):
            continue
        ids = {"queue": (queue,), "agent": (agent,), "agent-queue": (agent, queue)}[entity]
        into = counted.setdefault((at - (at - _T0) % (15 * 60 * _S), *ids), [0, 0])
        into[0] += 1
        into[1] += outcome == "answered"
    id_fields = [name for name in IDS[entity] if name.endswith("Id")]
    assert {(parse_instant(got["start"]), *(got[name] for name in id_fields)):
            [got["offeredCallCount"], got["answeredCallCount"]] for got in body["results"]} == counted
