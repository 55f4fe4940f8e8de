"""End to end, over HTTP: `GET /v1/tenants/{tenantId}/statistics` on both stores. Its figures equal what a client
counts from the records the search returns (a property, over random records, zones, ranges, intervals and
groupings); 15-minute rows add up to the hour, day and total rows; DST days; CSV; refusals with `parameter`."""

from __future__ import annotations

import csv
import io
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

COUNTS = ("offered", "answered", "abandoned", "movedByFlow", "timedOut", "refusedFull", "answeredWithinSla",
          "slaJudged", "waited", "handled", "flagged")
SUMS = ("waitTimeTotal", "handleTimeTotal")
EXIT = {"answered": "success", "abandoned": "abandon", "moved-by-flow": "flow"}


def ingest(server: LiveServer, keys: TenantKeys, records: list[dict[str, Any]]) -> None:
    with server.client(keys.ingest) as client:
        response = client.post(f"/v1/tenants/{keys.id}/interactions", content=json.dumps(records),
                               headers={"content-type": "application/json"})
    assert response.status_code == 200, response.text


def statistics(server: LiveServer, keys: TenantKeys, status: int = 200, **params: Any) -> Any:
    with server.client(keys.read) as client:
        response = client.get(f"/v1/tenants/{keys.id}/statistics", params=params)
    assert response.status_code == status, response.text
    return response.json() if params.get("format") != "csv" else response.text


def every_record(server: LiveServer, keys: TenantKeys) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = []
    with server.client(keys.read) as client:
        url: str | None = f"/v1/tenants/{keys.id}/interactions?limit=1000"
        while url:
            body = client.get(url).json()
            found += body["results"]
            url = body["nextUrl"]
    return found


def queue_entry(queue: str, start_us: int, outcome: str | None, wait_s: float, agent: str | None,
                sla_met: bool | None) -> dict[str, Any]:
    entry: dict[str, Any] = {"interactionQueueId": str(uuid.uuid4()), "queueId": queue, "queueName": f"Q {queue}",
                             "interactionSegmentId": "s0", "startTimestamp": format_instant(start_us),
                             "queueTime": wait_s}
    if outcome is not None:
        entry["queueExitReason"] = outcome
        if outcome in EXIT:
            entry["queueExitType"] = EXIT[outcome]
    if agent is not None and outcome == "answered":
        entry["agentId"] = agent
        entry["slaTime"] = wait_s
        if sla_met is not None:
            entry["slaMet"] = sla_met
    return entry


RANGE_START = parse_instant("2026-10-29T00:00:00Z")
entries = st.tuples(
    st.sampled_from(["q1", "q2", "q3"]),
    st.integers(0, 3 * 3600),
    st.sampled_from(["answered", "abandoned", "moved-by-flow", "timed-out", "refused-full", None]),
    st.integers(0, 600_000).map(lambda ms: ms / 1000),
    st.sampled_from(["a1", "a2", None]),
    st.sampled_from([True, False, None]),
    st.integers(0, 900_000).map(lambda ms: ms / 1000),
)
records = st.lists(
    st.tuples(st.integers(0, 8 * 86_400), st.sampled_from(["voice", "email"]), st.booleans(),
              st.lists(entries, max_size=3)),
    min_size=1,
    max_size=12,
)


def build(drawn: list[Any]) -> list[dict[str, Any]]:
    built = []
    for offset, channel, flagged, queue_entries in drawn:
        start_us = RANGE_START + offset * 1_000_000
        queues, agents = [], []
        for queue, after, outcome, wait, agent, met, handle in queue_entries:
            queues.append(queue_entry(queue, start_us + after * 1_000_000, outcome, wait, agent, met))
            if agent is not None and outcome == "answered":
                agents.append({"agentId": agent, "agentName": f"Agent {agent}", "interactionSegmentId": "s0",
                               "queueId": queue, "agentHandleTime": handle})
        record: dict[str, Any] = {"interactionId": str(uuid.uuid4()), "startTimestamp": format_instant(start_us),
                                  "channelType": channel, "direction": "inbound", "queues": queues, "agents": agents}
        if flagged:
            record["flagged"] = True
        built.append(record)
    return built


def expected_rows(found: list[dict[str, Any]], rows: list[dict[str, Any]], group_by: list[str],
                  channel: str | None) -> dict[tuple[Any, ...], Counter[str]]:
    """What a client counts from the records: each queue entry in the row of its group whose [start, end) holds
    its entry time."""
    fields = {"queue": "queueId", "agent": "agentId"}
    bounds = [(parse_instant(row["start"]), parse_instant(row["end"])) for row in rows]
    counted: dict[tuple[Any, ...], Counter[str]] = {}
    for record in found:
        if channel is not None and record.get("channelType") != channel:
            continue
        for entry in record.get("queues", []):
            at = parse_instant(entry["startTimestamp"])
            bucket = next((i for i, (low, high) in enumerate(bounds) if low <= at < high), None)
            if bucket is None:
                continue
            key = (bounds[bucket], *(entry.get(fields[g]) for g in group_by))
            counts = counted.setdefault(key, Counter())
            outcome = entry.get("queueExitReason")
            counts["offered"] += 1
            counts["answered"] += outcome == "answered"
            counts["abandoned"] += outcome == "abandoned"
            counts["movedByFlow"] += outcome == "moved-by-flow"
            counts["timedOut"] += outcome == "timed-out"
            counts["refusedFull"] += outcome == "refused-full"
            counts["answeredWithinSla"] += entry.get("slaMet") is True
            counts["slaJudged"] += entry.get("slaMet") is not None
            waited = outcome != "refused-full"
            counts["waited"] += waited
            counts["waitTimeTotal"] += round(entry["queueTime"] * 1000) if waited else 0
            agent = next((a for a in record.get("agents", []) if a["agentId"] == entry.get("agentId")
                          and a["queueId"] == entry["queueId"]), None)
            counts["handled"] += agent is not None
            counts["handleTimeTotal"] += round(agent["agentHandleTime"] * 1000) if agent else 0
            counts["flagged"] += bool(record.get("flagged"))
    return counted


@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.too_slow,
                                                                 HealthCheck.function_scoped_fixture])
@given(records, st.sampled_from(["America/New_York", "Asia/Kolkata", "Asia/Kathmandu", "UTC"]),
       st.integers(0, 5), st.integers(1, 4), st.sampled_from(["15m", "hour", "day", "total"]),
       st.lists(st.sampled_from(["queue", "agent"]), unique=True, max_size=2),
       st.sampled_from([None, "voice"]))
def test_every_figure_equals_counting_the_records_the_search_returns(
    live_server: LiveServer, drawn: list[Any], zone: str, first_day: int, days: int, interval: str,
    group_by: list[str], channel: str | None,
) -> None:
    keys = make_tenant_keys(live_server.store, timezone=zone)
    ingest(live_server, keys, build(drawn))
    local = ZoneInfo(zone)
    start_day = date.fromisoformat(format_instant(RANGE_START)[:10]) + timedelta(days=first_day)
    start, end = day_start(start_day, local), day_start(start_day + timedelta(days=days), local)
    params: dict[str, Any] = {"start": format_instant(start), "end": format_instant(end), "interval": interval}
    if group_by:
        params["groupBy"] = ",".join(group_by)
    if channel:
        params["channelType"] = channel
    body = statistics(live_server, keys, **params)
    rows = body["rows"]
    assert body["timezone"] == zone
    assert rows or group_by, "without groupBy every bucket is a row"
    if rows:
        starts = sorted({row["start"] for row in rows}, key=parse_instant)
        ends = sorted({row["end"] for row in rows}, key=parse_instant)
        assert parse_instant(starts[0]) == start and parse_instant(ends[-1]) == end
        assert [parse_instant(s) for s in starts[1:]] == [parse_instant(e) for e in ends[:-1]], "rows tile the range"
    expected = expected_rows(every_record(live_server, keys), rows, group_by, channel)
    fields = {"queue": "queueId", "agent": "agentId"}
    got = {}
    for row in rows:
        key = ((parse_instant(row["start"]), parse_instant(row["end"])), *(row[fields[g]] for g in group_by))
        got[key] = Counter({name: row[name] for name in COUNTS})
        got[key].update({name: round(row[name] * 1000) for name in SUMS})
        if row["slaJudged"]:
            assert row["serviceLevel"] == round(100 * row["answeredWithinSla"] / row["slaJudged"], 2)
    for key, counts in expected.items():
        assert +got.get(key, Counter()) == +counts, key
    assert all(not +counts for key, counts in got.items() if key not in expected)


@pytest.fixture(scope="module")
def dst_tenant(live_server: LiveServer) -> TenantKeys:
    """America/New_York entries every 20 minutes across the fall-back day and the spring-forward day."""
    keys = make_tenant_keys(live_server.store, timezone="America/New_York")
    made = []
    for first in ("2026-03-07T05:00:00Z", "2026-10-31T04:00:00Z"):
        for k in range(3 * 72):
            at = parse_instant(first) + k * 20 * 60_000_000
            made.append({"interactionId": str(uuid.uuid4()), "startTimestamp": format_instant(at),
                         "channelType": "voice",
                         "queues": [queue_entry("q1" if k % 2 else "q2", at, "answered" if k % 3 else "abandoned",
                                                float(k % 50), "a1", k % 4 == 0)]})
    ingest(live_server, keys, made)
    return keys


def test_dst_days_have_23_and_25_hourly_rows_and_count_every_entry(live_server: LiveServer,
                                                                  dst_tenant: TenantKeys) -> None:
    spring = statistics(live_server, dst_tenant, start="2026-03-08T00:00:00-05:00",
                        end="2026-03-09T00:00:00-04:00", interval="hour")["rows"]
    assert len(spring) == 23 and sum(row["offered"] for row in spring) == 69
    assert [row["start"] for row in spring[1:3]] == ["2026-03-08T01:00:00-05:00", "2026-03-08T03:00:00-04:00"]
    fall = statistics(live_server, dst_tenant, start="2026-11-01T00:00:00-04:00",
                      end="2026-11-02T00:00:00-05:00", interval="hour")["rows"]
    assert len(fall) == 25 and sum(row["offered"] for row in fall) == 75
    assert [row["start"] for row in fall[1:3]] == ["2026-11-01T01:00:00-04:00", "2026-11-01T01:00:00-05:00"]
    (day,) = statistics(live_server, dst_tenant, start="2026-11-01T00:00:00-04:00",
                        end="2026-11-02T00:00:00-05:00", interval="day")["rows"]
    assert day["offered"] == 75 and day["end"] == "2026-11-02T00:00:00-05:00"


@pytest.mark.parametrize("group_by", [None, "queue"])
def test_quarter_hours_add_up_to_hours_days_and_the_total(live_server: LiveServer, dst_tenant: TenantKeys,
                                                          group_by: str | None) -> None:
    window = {"start": "2026-10-31T00:00:00-04:00", "end": "2026-11-03T00:00:00-05:00"}
    if group_by:
        window["groupBy"] = group_by
    finest = statistics(live_server, dst_tenant, interval="15m", **window)["rows"]
    for interval in ("hour", "day", "total"):
        coarse = statistics(live_server, dst_tenant, interval=interval, **window)["rows"]
        for row in coarse:
            low, high = parse_instant(row["start"]), parse_instant(row["end"])
            inside = [r for r in finest if low <= parse_instant(r["start"]) < high
                      and r.get("queueId") == row.get("queueId")]
            for name in (*COUNTS, "waitTimeTotal", "handleTimeTotal", "talkTimeTotal", "transfers"):
                assert row[name] == pytest.approx(sum(r[name] for r in inside)), (interval, name)
            waits = [r["maxWaitTime"] for r in inside if r["maxWaitTime"] is not None]
            assert row["maxWaitTime"] == (max(waits) if waits else None)
            if row["waited"]:
                assert row["averageWaitTime"] == round(row["waitTimeTotal"] / row["waited"], 3)


def test_csv_is_the_same_table(live_server: LiveServer, dst_tenant: TenantKeys) -> None:
    params = {"start": "2026-11-01T00:00:00-04:00", "end": "2026-11-02T00:00:00-05:00", "interval": "day",
              "groupBy": "queue,agent"}
    rows = statistics(live_server, dst_tenant, **params)["rows"]
    table = list(csv.DictReader(io.StringIO(statistics(live_server, dst_tenant, format="csv", **params))))
    assert [row["queueId"] for row in table] == [row["queueId"] for row in rows] == ["q1", "q1", "q2", "q2"]
    assert [row["agentId"] for row in table] == ["", "a1", "", "a1"], "abandoned entries have no agent: null first"
    assert [row["agentId"] for row in rows] == [None, "a1", None, "a1"]
    assert list(table[0])[:8] == ["start", "end", "queueId", "queueName", "agentId", "agentName", "offered",
                                  "answered"]
    assert [int(row["offered"]) for row in table] == [row["offered"] for row in rows]


def test_sla_threshold_is_echoed_and_counts_answers_against_it(live_server: LiveServer,
                                                               dst_tenant: TenantKeys) -> None:
    window = {"start": "2026-11-01T00:00:00-04:00", "end": "2026-11-02T00:00:00-05:00", "interval": "total"}
    strict = statistics(live_server, dst_tenant, slaThreshold="0", **window)
    lenient = statistics(live_server, dst_tenant, slaThreshold="49", **window)
    assert (strict["slaThreshold"], lenient["slaThreshold"]) == (0, 49)
    assert lenient["rows"][0]["answeredWithinSla"] == lenient["rows"][0]["answered"]
    assert strict["rows"][0]["answeredWithinSla"] < lenient["rows"][0]["answeredWithinSla"]


@pytest.mark.parametrize(("params", "parameter"), [
    ({"groupBy": "queue,planet"}, "groupBy"),
    ({"timezone": "Mars/Olympus"}, "timezone"),
    ({"start": "2026-11-01T00:10:00-04:00"}, "start"),
    ({"end": "2026-11-01T12:00:00-04:00", "interval": "day"}, "end"),
    ({"interval": "fortnight"}, "interval"),
    ({"start": "2026-11-02T00:00:00-05:00", "end": "2026-11-01T00:00:00-04:00"}, "start"),
    ({"start": "2020-01-01T00:00:00-05:00"}, "end"),
    ({"slaThreshold": "soon"}, "slaThreshold"),
    ({"weekStart": "caturday"}, "weekStart"),
    ({"format": "xml"}, "format"),
    ({"start": "yesterday"}, "start"),
    ({"colour": "blue"}, "colour"),
    ({"abandoned": "maybe"}, "abandoned"),
])
def test_bad_input_is_a_400_naming_the_parameter(live_server: LiveServer, dst_tenant: TenantKeys,
                                                  params: dict[str, str], parameter: str) -> None:
    asked = {"start": "2026-11-01T00:00:00-04:00", "end": "2026-11-02T00:00:00-05:00", "interval": "hour", **params}
    body = statistics(live_server, dst_tenant, 400, **asked)
    assert body["parameter"] == parameter, body


def test_too_many_buckets_times_groups_is_a_400_saying_so(live_server: LiveServer, dst_tenant: TenantKeys) -> None:
    body = statistics(live_server, dst_tenant, 400, start="2026-03-01T00:00:00-05:00",
                      end="2026-06-01T00:00:00-04:00", interval="15m", groupBy="queue")
    assert body["parameter"] == "interval" and "groups" in body["message"]
    assert "limit" in body["message"]


def test_pages_of_limit_rows_make_the_table_a_single_answer_gives(live_server: LiveServer,
                                                                   dst_tenant: TenantKeys) -> None:
    asked = {"start": "2026-03-07T00:00:00-05:00", "end": "2026-03-10T00:00:00-04:00", "interval": "hour",
             "groupBy": "queue"}
    whole = statistics(live_server, dst_tenant, **asked)
    assert whole["totalRows"] == len(whole["rows"]) == 71 * 2 and whole["nextUrl"] is None
    assert (whole["page"], whole["limit"]) == (None, None)
    paged, url, pages = [], None, 0
    first = statistics(live_server, dst_tenant, limit="25", **asked)
    assert (first["page"], first["limit"], first["totalRows"]) == (0, 25, 142)
    body = first
    while True:
        paged += body["rows"]
        pages += 1
        url = body["nextUrl"]
        if url is None:
            break
        assert f"page={pages}" in url
        with live_server.client(dst_tenant.read) as client:
            response = client.get(url)
        assert response.status_code == 200 and response.headers["x-total-rows"] == "142"
        body = response.json()
    assert pages == 6 and paged == whole["rows"]  # 25 rows a page; the last one 17
    odd = statistics(live_server, dst_tenant, limit="7", page="3", **asked)  # a page that starts mid-bucket
    assert odd["rows"] == whole["rows"][21:28]
    assert statistics(live_server, dst_tenant, limit="25", page="6", **asked)["rows"] == []
    assert statistics(live_server, dst_tenant, limit="0", **asked)["rows"] == []
    csv_page = statistics(live_server, dst_tenant, limit="7", page="3", format="csv", **asked)
    assert len(csv_page.strip().splitlines()) == 8


def test_a_table_over_10000_rows_comes_in_pages_of_at_most_10000(live_server: LiveServer,
                                                                dst_tenant: TenantKeys) -> None:
    asked = {"start": "2026-03-01T00:00:00-05:00", "end": "2026-06-01T00:00:00-04:00", "interval": "15m",
             "groupBy": "queue"}
    buckets = (92 * 24 - 1) * 4
    page = statistics(live_server, dst_tenant, limit="10000", page="0", **asked)
    assert page["totalRows"] == buckets * 2 and len(page["rows"]) == 10_000 and page["nextUrl"]
    last = statistics(live_server, dst_tenant, limit="10000", page="1", **asked)
    assert len(last["rows"]) == buckets * 2 - 10_000 and last["nextUrl"] is None
    assert last["rows"][-1]["end"] == "2026-06-01T00:00:00-04:00"
    offered = sum(row["offered"] for row in page["rows"] + last["rows"])
    by_day = statistics(live_server, dst_tenant, **{**asked, "interval": "day"})["rows"]
    assert offered == sum(row["offered"] for row in by_day) == 3 * 72  # the spring-forward series
    for params, parameter in [({"limit": "10001"}, "limit"), ({"page": "1"}, "page"),
                              ({"limit": "5", "page": "-1"}, "page"), ({"limit": "1.5"}, "limit")]:
        assert statistics(live_server, dst_tenant, 400, **{**asked, **params})["parameter"] == parameter


def test_csv_neutralises_text_cells_a_spreadsheet_would_run(live_server: LiveServer) -> None:
    keys = make_tenant_keys(live_server.store)
    at = parse_instant("2026-05-01T10:00:00Z")
    ingest(live_server, keys, [{"interactionId": str(uuid.uuid4()), "startTimestamp": format_instant(at),
                                "channelType": "voice",
                                "queues": [queue_entry("=HYPERLINK(\"http://evil.example\")", at, "answered", 3.0,
                                                       "@agent", False)]}])
    params = {"start": "2026-05-01T00:00:00Z", "end": "2026-05-02T00:00:00Z", "interval": "total",
              "groupBy": "queue,agent"}
    table = list(csv.DictReader(io.StringIO(statistics(live_server, keys, format="csv", **params))))
    assert [(row["queueId"], row["agentId"]) for row in table] == [("'=HYPERLINK(\"http://evil.example\")",
                                                                     "'@agent")]
    assert statistics(live_server, keys, **params)["rows"][0]["queueId"] == "=HYPERLINK(\"http://evil.example\")"
