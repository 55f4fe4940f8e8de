"""End to end, over HTTP on both stores: `/v1/tenants/{tenantId}/realtime-statistics/…`. What is waiting, in
conversation and each agent's state follow the events at once; today's figures equal the `/statistics` row of
today after a replay of a day of calls arriving in parts, each part restating entries of earlier quarter hours
(tenant-wide, per queue, per agent); refusals name their parameter."""

from __future__ import annotations

import random
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import pytest

from cxreport import clock
from cxreport.service.realtime import local_day
from cxreport.service.realtime_figures import CATALOGUE
from cxreport.times import format_instant, parse_instant
from support.calls import SECOND, Call, agent_event
from support.errors import assert_error_shape
from support.servers import LiveServer
from support.tenants import TenantKeys, make_tenant_keys

MINUTE = 60 * SECOND


def post_events(server: LiveServer, keys: TenantKeys, events: list[dict[str, Any]]) -> None:
    with server.client(keys.ingest) as client:
        response = client.post(f"/v1/tenants/{keys.id}/events", json=events)
    assert response.status_code == 200, response.text


def realtime(server: LiveServer, keys: TenantKeys, statistic: str, **params: str) -> dict[str, Any]:
    with server.client(keys.read) as client:
        response = client.get(f"/v1/tenants/{keys.id}/realtime-statistics/{statistic}", params=params)
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    assert set(body) == {"results", "queryTime"}
    return body["results"]  # type: ignore[no-any-return]


def batch(server: LiveServer, keys: TenantKeys, requests: dict[str, Any]) -> httpx.Response:
    with server.client(keys.read) as client:
        return client.post(f"/v1/tenants/{keys.id}/realtime-statistics/batch", json={"requests": requests})


def afternoon_zone(now_us: int) -> str:
    """A fixed-offset zone where it is 14:00-15:00 now: a day of calls fits before now."""
    hour = datetime.fromtimestamp(now_us / 1e6, ZoneInfo("UTC")).hour
    offset = 14 - hour  # Etc/GMT-2 is UTC+2
    offset = offset - 24 if offset > 14 else offset + 24 if offset < -12 else offset
    return "Etc/GMT" + (f"+{-offset}" if offset < 0 else f"-{offset}" if offset > 0 else "")


@pytest.fixture
def tenant(live_server: LiveServer) -> TenantKeys:
    return make_tenant_keys(live_server.store, timezone="Europe/Paris")


def test_now_figures_follow_calls_and_agent_states(live_server: LiveServer, tenant: TenantKeys) -> None:
    now = clock.now_us()
    waiting, talking, gone = Call("q-sales"), Call("q-sales"), Call("q-support")
    post_events(live_server, tenant, [
        *waiting.start(now - 90 * SECOND), *talking.start(now - 80 * SECOND),
        *talking.answer(now - 70 * SECOND, ("ag-ana", "Ana")), *gone.start(now - 60 * SECOND),
        *gone.abandon(now - 50 * SECOND),
        agent_event("ag-ana", "agent-logged-in", now - 600 * SECOND, "ready"),
        agent_event("ag-bo", "agent-logged-in", now - 600 * SECOND, "ready"),
        agent_event("ag-bo", "agent-state-changed", now - 300 * SECOND, "not-ready", "lunch"),
        agent_event("ag-cy", "agent-logged-in", now - 600 * SECOND, "ready"),
        agent_event("ag-cy", "agent-logged-out", now - 100 * SECOND),
        agent_event("ag-di", "agent-logged-in", now - 600 * SECOND, "ready"),
    ])
    day = local_day("Europe/Paris", clock.now_us())
    queued = realtime(live_server, tenant, "interactions-in-queue")
    assert queued == {"count": 1, "unit": "count", "staleInteractions": 0,
                      "queryWindow": {"start": format_instant(day[0]), "end": format_instant(day[1])}}
    wait = realtime(live_server, tenant, "longest-current-wait")
    assert wait["count"] == 1 and wait["unit"] == "milliseconds"
    assert 89_000 <= wait["max"] == wait["min"] == wait["total"] == wait["avg"] < 200_000
    assert realtime(live_server, tenant, "interactions-in-queue", queueId="q-support")["count"] == 0
    assert realtime(live_server, tenant, "interactions-in-queue", **{"queue-id": "q-sales"})["queueId"] == "q-sales"
    assert realtime(live_server, tenant, "interactions-in-conversation")["count"] == 1
    assert realtime(live_server, tenant, "interactions-in-conversation", resourceId="ag-bo")["count"] == 0
    states = {name: realtime(live_server, tenant, name)["count"] for name in
              ("agents-ready", "agents-not-ready", "agents-busy", "agents-wrap-up", "agents-logged-out")}
    assert states == {"agents-ready": 1, "agents-not-ready": 1, "agents-busy": 1, "agents-wrap-up": 0,
                      "agents-logged-out": 1}
    assert realtime(live_server, tenant, "agents-not-ready")["reasons"] == {"lunch": 1}
    assert realtime(live_server, tenant, "agents-busy", resourceId="ag-ana") | {"queryWindow": None} == {
        "count": 1, "unit": "count", "state": "busy", "resourceId": "ag-ana", "queryWindow": None}
    assert realtime(live_server, tenant, "agents-ready", resourceId="ag-ana")["count"] == 0

    post_events(live_server, tenant, [*talking.hang_up(now - 5 * SECOND), *waiting.answer(now, ("ag-di", "Di"))])
    assert realtime(live_server, tenant, "interactions-in-queue")["count"] == 0
    assert realtime(live_server, tenant, "agents-wrap-up", resourceId="ag-ana")["count"] == 1
    assert realtime(live_server, tenant, "agents-busy")["count"] == 1  # Di now
    assert realtime(live_server, tenant, "answered")["count"] == 2
    assert realtime(live_server, tenant, "abandoned", queueId="q-support")["count"] == 1
    assert realtime(live_server, tenant, "answered", queueId="q-sales", resourceId="ag-ana")["count"] == 1
    assert realtime(live_server, tenant, "answered", queueId="q-support", resourceId="ag-ana")["count"] == 0
    post_events(live_server, tenant, talking.wrap_up_done(now))
    assert realtime(live_server, tenant, "agents-ready", resourceId="ag-ana")["state"] == "ready"


def test_a_stuck_interaction_is_left_out_and_counted_stale(live_server: LiveServer, tenant: TenantKeys) -> None:
    stuck, fresh = Call("q-x"), Call("q-x")
    stale_after = live_server.settings.realtime_stale_after_seconds * SECOND
    post_events(live_server, tenant, [*stuck.start(clock.now_us() - stale_after - 10 * MINUTE),
                                      *fresh.start(clock.now_us() - 10 * SECOND)])
    queued = realtime(live_server, tenant, "interactions-in-queue")
    assert (queued["count"], queued["staleInteractions"]) == (1, 1)
    assert realtime(live_server, tenant, "longest-current-wait")["max"] < 60_000


def day_of_calls(start_us: int, end_us: int, count: int, seed: int) -> list[dict[str, Any]]:
    """Calls entering queues over [start, end): answered, abandoned, or still waiting or talking."""
    rng = random.Random(seed)
    events: list[dict[str, Any]] = []
    agents = [("ag-a", "A"), ("ag-b", "B"), ("ag-c", "C")]
    for _ in range(count):
        at = rng.randrange(start_us, end_us - 20 * MINUTE)
        call = Call(rng.choice(["q-1", "q-2", "q-3"]))
        events += call.start(at)
        wait = rng.randrange(2, 90) * SECOND
        fate = rng.random()
        if fate < 0.6:
            events += call.answer(at + SECOND + wait, rng.choice(agents))
            if rng.random() < 0.9:
                events += call.hang_up(at + wait + rng.randrange(30, 600) * SECOND)
                events += call.wrap_up_done(at + wait + rng.randrange(601, 700) * SECOND)
        elif fate < 0.9:
            events += call.abandon(at + SECOND + wait)
    return events


def test_todays_figures_equal_the_statistics_row_of_today(live_server: LiveServer) -> None:
    zone = afternoon_zone(clock.now_us())
    keys = make_tenant_keys(live_server.store, timezone=zone)
    day_start, day_end = local_day(zone, clock.now_us())
    yesterday = day_of_calls(day_start - 6 * 3600 * SECOND, day_start, 20, 1)  # not today's: left out
    today = day_of_calls(day_start, clock.now_us(), 200, 2)
    rng = random.Random(3)
    parts: list[list[dict[str, Any]]] = [[], [], [], []]
    for event in today:  # each call's events spread over the parts: later parts restate earlier quarter hours
        parts[rng.randrange(len(parts))].append(event)
    offered = []
    for part in parts:
        for at in range(0, len(part), 250):
            post_events(live_server, keys, part[at : at + 250])
        offered.append(realtime(live_server, keys, "offered")["count"])  # kept by the server, then read again
    assert offered == sorted(offered) and offered[0] < offered[-1]
    post_events(live_server, keys, yesterday)
    with live_server.client(keys.read) as client:
        for group, scope in ((None, None), ("queue", "queueId"), ("agent", "resourceId")):
            params = {"start": format_instant(day_start), "end": format_instant(day_end), "interval": "day"}
            response = client.get(f"/v1/tenants/{keys.id}/statistics", params={**params, "groupBy": group or ""}
                                  if group else params)
            assert response.status_code == 200, response.text
            rows = response.json()["rows"]
            assert rows
            for row in rows:
                key = row.get("queueId" if group == "queue" else "agentId") if group else None
                if group and key is None:
                    continue
                asked = {name: {"statistic": name, **({scope: key} if scope else {})} for name in (
                    "offered", "answered", "abandoned", "service-level", "average-speed-of-answer",
                    "average-handle-time")}
                answer = batch(live_server, keys, asked)
                assert answer.status_code == 200, answer.text
                got = {name: item["results"] for name, item in answer.json()["results"].items()}
                assert got["offered"]["count"] == row["offered"] > 0
                assert got["answered"]["count"] == row["answered"]
                assert got["abandoned"]["count"] == row["abandoned"]
                level = got["service-level"]
                assert (level["value"], level["count"], level["withinSla"], level["rule"]) == (
                    row["serviceLevel"], row["slaJudged"], row["answeredWithinSla"], row["serviceLevelRule"])
                asa, aht = got["average-speed-of-answer"], got["average-handle-time"]
                assert asa["total"] / 1000 == pytest.approx(row["answerTimeTotal"])
                assert aht["total"] / 1000 == pytest.approx(row["handleTimeTotal"])
                assert aht["count"] == row["handled"]
                for figure, average in ((asa, "averageSpeedOfAnswer"), (aht, "averageHandleTime")):
                    if row[average] is None:
                        assert figure["avg"] is None and figure["count"] == 0
                    else:
                        assert figure["avg"] / 1000 == pytest.approx(row[average], abs=0.001)
                        assert figure["min"] <= figure["avg"] <= figure["max"]


def test_a_change_to_an_entry_summed_earlier_today_is_seen(live_server: LiveServer) -> None:
    """Today's sums are kept per quarter hour: a later event of an entry of an earlier quarter hour is counted."""
    zone = afternoon_zone(clock.now_us())
    keys = make_tenant_keys(live_server.store, timezone=zone)
    day_start = local_day(zone, clock.now_us())[0]
    early = Call("q-early")
    post_events(live_server, keys, early.start(day_start + 30 * MINUTE))
    assert realtime(live_server, keys, "offered")["count"] == 1
    assert realtime(live_server, keys, "abandoned")["count"] == 0
    post_events(live_server, keys, early.abandon(day_start + 31 * MINUTE))
    assert realtime(live_server, keys, "abandoned")["count"] == 1
    assert realtime(live_server, keys, "abandoned", queueId="q-early")["count"] == 1
    later = Call("q-early")
    post_events(live_server, keys, later.start(clock.now_us() - MINUTE))
    assert realtime(live_server, keys, "offered")["count"] == 2


def test_a_batch_reads_every_statistic_of_one_snapshot(live_server: LiveServer, tenant: TenantKeys) -> None:
    call = Call("q-b")
    post_events(live_server, tenant, call.start(clock.now_us() - 30 * SECOND))
    requests = {f"r{i}": {"statistic": name} for i, name in enumerate(CATALOGUE)}
    requests["scoped"] = {"statistic": "interactions-in-queue", "queue-id": "q-b"}
    requests["other"] = {"statistic": "interactions-in-queue", "queueId": "q-none"}
    response = batch(live_server, tenant, requests)
    assert response.status_code == 200, response.text
    body = response.json()
    assert set(body) == {"results", "queryTime"} and set(body["results"]) == set(requests)
    assert body["results"]["scoped"] == {"statistic": "interactions-in-queue", "queueId": "q-b",
                                         "results": {**body["results"]["scoped"]["results"], "count": 1}}
    assert body["results"]["other"]["results"]["count"] == 0
    query_time = parse_instant(body["queryTime"])
    assert abs(query_time - clock.now_us()) < 60 * SECOND


def test_available_lists_every_statistic_with_unit_and_scopes(live_server: LiveServer, tenant: TenantKeys) -> None:
    with live_server.client(tenant.read) as client:
        body = client.get(f"/v1/tenants/{tenant.id}/realtime-statistics/available").json()
    listed = {item["statistic"]: item for item in body["results"]}
    assert set(listed) == set(CATALOGUE) and len(listed) >= 15
    assert listed["interactions-in-queue"]["unit"] == "count"
    assert listed["interactions-in-queue"]["scopes"] == ["queueId"]
    assert listed["average-handle-time"]["unit"] == "milliseconds"
    assert listed["service-level"]["unit"] == "percent"
    assert listed["agents-ready"]["scopes"] == ["resourceId"]


@pytest.mark.parametrize(("path", "parameter"), [
    ("realtime-statistics/nonsense", "statistic"),
    ("realtime-statistics/agents-ready?queueId=q", "queueId"),
    ("realtime-statistics/offered?queueId=a&queue-id=b", "queueId"),
    ("realtime-statistics/offered?queueId=", "queueId"),
    ("realtime-statistics/offered?resourceId=a&resourceId=b", "resourceId"),
    ("realtime-statistics/offered?limit=3", "limit"),
    ("realtime-statistics/available?x=1", "x"),
])
def test_bad_queries_are_400s_naming_the_parameter(live_server: LiveServer, tenant: TenantKeys, path: str,
                                                  parameter: str) -> None:
    with live_server.client(tenant.read) as client:
        response = client.get(f"/v1/tenants/{tenant.id}/{path}")
    assert_error_shape(live_server, response, 400, parameter=parameter)


@pytest.mark.parametrize(("body", "parameter"), [
    (b"{", None),
    (b"[]", "requests"),
    (b'{"requests": {}}', "requests"),
    (b'{"requests": []}', "requests"),
    (b'{"requests": {"a": {"statistic": "offered"}}, "more": 1}', "more"),
    (b'{"requests": {"a": 3}}', "requests.a"),
    (b'{"requests": {"a": {}}}', "requests.a.statistic"),
    (b'{"requests": {"a": {"statistic": "nope"}}}', "requests.a.statistic"),
    (b'{"requests": {"a": {"statistic": "offered", "colour": "red"}}}', "requests.a.colour"),
    (b'{"requests": {"a": {"statistic": "agents-busy", "queueId": "q"}}}', "requests.a.queueId"),
    (b'{"requests": {"a": {"statistic": "offered", "queueId": 7}}}', "requests.a.queueId"),
    (b'{"requests": {"a": {"statistic": "offered", "queueId": "x", "queue-id": "y"}}}', "requests.a.queueId"),
])
def test_bad_batches_are_400s_naming_the_part(live_server: LiveServer, tenant: TenantKeys, body: bytes,
                                              parameter: str | None) -> None:
    with live_server.client(tenant.read) as client:
        response = client.post(f"/v1/tenants/{tenant.id}/realtime-statistics/batch", content=body,
                               headers={"content-type": "application/json"})
    assert_error_shape(live_server, response, 400, parameter=parameter)


def test_a_batch_over_the_limit_is_refused(live_server: LiveServer, tenant: TenantKeys) -> None:
    response = batch(live_server, tenant, {f"r{i}": {"statistic": "offered"} for i in range(101)})
    assert_error_shape(live_server, response, 400, parameter="requests")


def test_the_query_window_is_the_local_day_dst_correct() -> None:
    spring = parse_instant("2026-03-29T12:00:00Z")  # Europe/Paris moves to summer time at 02:00 that night
    start, end = local_day("Europe/Paris", spring)
    assert (format_instant(start), format_instant(end)) == ("2026-03-28T23:00:00.000Z", "2026-03-29T22:00:00.000Z")
    assert end - start == 23 * 3600 * SECOND
    autumn = parse_instant("2026-10-25T12:00:00Z")
    start, end = local_day("Europe/Paris", autumn)
    assert end - start == 25 * 3600 * SECOND
    just_before_midnight = parse_instant("2026-10-25T22:59:59Z")  # 23:59:59 in Paris
    assert local_day("Europe/Paris", just_before_midnight) == (start, end)
    assert local_day("Europe/Paris", just_before_midnight + SECOND)[0] == end
    assert timedelta(microseconds=end - start) == timedelta(hours=25)
