"""End to end, over HTTP on loopback, both stores: instants at the ends of what cxreport stores (the years 0001 and
9999, and years before 1000) are written, searched, exported and echoed like any other, in cxreport's own
four-digit form; statistics ranges the buckets cannot be computed for are a 400 naming the parameter. On
PostgreSQL, an instant written as -infinity before migration 13 is read back as 0001-01-01T00:00:00Z after it."""

from __future__ import annotations

import json
import os
import uuid
from collections.abc import Callable
from typing import Any

import httpx
import psycopg
import pytest

from cxreport.store import open_store
from support.postgres import POSTGRES_URL_VARIABLE, temporary_postgres_database
from support.tenants import TenantKeys, make_tenant_keys

FIRST = "0001-01-01T00:00:00.000Z"
LAST = "9999-12-31T23:59:59.999Z"


def ok(response: httpx.Response) -> Any:
    assert response.status_code == 200, response.text
    return response.json()


def refused(response: httpx.Response, parameter: str) -> dict[str, Any]:
    assert response.status_code == 400, response.text
    body: dict[str, Any] = response.json()
    assert (body["code"], body["parameter"]) == ("invalid_parameter", parameter), body
    return body


def test_records_at_the_first_and_last_instants_are_searched_and_exported(
    http: httpx.Client, new_tenant: Callable[..., TenantKeys]
) -> None:
    keys = new_tenant()
    base = f"/v1/tenants/{keys.id}"
    ids = {FIRST: str(uuid.uuid4()), LAST: str(uuid.uuid4())}
    records = [{"interactionId": ids[at], "startTimestamp": at, "endTimestamp": at, "customer": "c"} for at in ids]
    assert ok(http.post(f"{base}/interactions", json=records, auth=keys.ingest))["inserted"] == 2
    ascending = ok(http.get(f"{base}/interactions?sort=asc&limit=1000", auth=keys.read))
    assert [(r["interactionId"], r["startTimestamp"]) for r in ascending["results"]] == [
        (ids[FIRST], FIRST), (ids[LAST], LAST)]
    first_day = ok(http.get(f"{base}/interactions", auth=keys.read,
                            params={"startTimeRange": "0001-01-01", "endTimeRange": "0001-01-02"}))
    assert [r["interactionId"] for r in first_day["results"]] == [ids[FIRST]]
    assert first_day["window"] == {"start": FIRST, "end": "0001-01-02T00:00:00.000Z"}
    exported = http.get(f"{base}/interactions/export", auth=keys.read)
    assert exported.status_code == 200, exported.text
    assert sorted(json.loads(line)["startTimestamp"] for line in exported.text.splitlines()) == [FIRST, LAST]
    assert ok(http.get(f"{base}/interactions/{ids[FIRST]}", auth=keys.read))["startTimestamp"] == FIRST
    replaced = {**records[0], "customer": "d", "startTimestamp": "2020-01-01T00:00:00.000Z", "revision": 2}
    assert ok(http.post(f"{base}/interactions", json=[replaced], auth=keys.ingest))["updated"] == 1
    assert ok(http.get(f"{base}/interactions?customer=c&limit=0", auth=keys.read))["total"] == 1


def test_an_agent_event_at_the_first_instant_leaves_the_agent_readable(
    http: httpx.Client, new_tenant: Callable[..., TenantKeys]
) -> None:
    keys = new_tenant()
    base = f"/v1/tenants/{keys.id}"
    event = {"type": "agent-logged-in", "eventId": "x1", "agentId": "a1", "timestamp": FIRST, "state": "ready"}
    ok(http.post(f"{base}/events", json=event, auth=keys.ingest))
    states = ok(http.get(f"{base}/agents/a1/state-events", auth=keys.read))
    assert [e["timestamp"] for e in states["results"]] == [FIRST]
    figures = ok(http.get(f"{base}/agent-statistics", auth=keys.read,
                          params={"start": "2017-12-01T00:00:00Z", "end": "2017-12-02T00:00:00Z", "interval": "day",
                                  "timezone": "UTC"}))
    [row] = figures["rows"]
    assert (row["agentId"], row["loggedInTime"], row["readyTime"]) == ("a1", 86400.0, 86400.0)


def test_an_interaction_before_the_year_1000_is_derived_with_four_digit_years(
    http: httpx.Client, new_tenant: Callable[..., TenantKeys]
) -> None:
    keys = new_tenant()
    base = f"/v1/tenants/{keys.id}"
    interaction_id = str(uuid.uuid4())
    event = {"type": "interaction-started", "eventId": "e1", "interactionId": interaction_id,
             "timestamp": "0999-06-01T00:00:00Z", "channelType": "voice", "direction": "inbound", "customer": "c",
             "contactPoint": "p", "flowId": "f", "flowName": "F"}
    ok(http.post(f"{base}/events", json=event, auth=keys.ingest))
    record = ok(http.get(f"{base}/interactions/{interaction_id}", auth=keys.read))
    assert record["startTimestamp"] == "0999-06-01T00:00:00.000Z"
    window = ok(http.get(f"{base}/interactions", auth=keys.read,
                         params={"startTimeRange": "0500-01-01", "endTimeRange": "0999-12-31"}))["window"]
    assert window == {"start": "0500-01-01T00:00:00.000Z", "end": "0999-12-31T00:00:00.000Z"}


@pytest.mark.parametrize("route", ["statistics", "agent-statistics"])
@pytest.mark.parametrize(("start", "end", "interval", "zone", "parameter"), [
    ("9999-12-31T00:00:00Z", "9999-12-31T01:00:00Z", "hour", "UTC", "end"),
    ("9999-01-01T00:00:00Z", "9999-12-01T00:00:00Z", "month", "UTC", "end"),
    ("0001-01-01T00:00:00Z", "0001-01-02T00:00:00Z", "total", "America/New_York", "start"),
    ("0001-12-31T10:00:00Z", "0002-01-01T10:00:00Z", "day", "Pacific/Kiritimati", "start"),
])
def test_statistics_too_near_the_ends_of_the_calendar_are_refused(
    http: httpx.Client, seed_tenant: TenantKeys, route: str, start: str, end: str, interval: str, zone: str,
    parameter: str,
) -> None:
    response = http.get(f"/v1/tenants/{seed_tenant.id}/{route}", auth=seed_tenant.read,
                        params={"start": start, "end": end, "interval": interval, "timezone": zone})
    bound = {"start": "0002-01-01T00:00:00Z", "end": "9999-01-01T00:00:00Z"}[parameter]
    assert bound in refused(response, parameter)["message"]


@pytest.mark.parametrize("route", ["statistics", "agent-statistics"])
def test_statistics_at_the_ends_of_their_range_are_answered(http: httpx.Client, seed_tenant: TenantKeys,
                                                            route: str) -> None:
    for start, end, interval in (("0002-01-01T00:00:00Z", "0002-01-08T00:00:00Z", "day"),
                                 ("9998-12-01T00:00:00Z", "9999-01-01T00:00:00Z", "month"),
                                 ("9998-12-31T23:00:00Z", "9999-01-01T00:00:00Z", "15m")):
        body = ok(http.get(f"/v1/tenants/{seed_tenant.id}/{route}", auth=seed_tenant.read,
                           params={"start": start, "end": end, "interval": interval, "timezone": "UTC"}))
        assert body["start"] == start.replace("Z", ".000Z") and body["end"] == end.replace("Z", ".000Z")


@pytest.mark.postgres
def test_postgres_migration_13_rewrites_the_first_instant_stored_as_minus_infinity(postgres_url: str) -> None:
    """PostgreSQL's migration only (SQLite keeps instants as integers): `postgres_url` skips, saying why, where no
    server is configured, as every PostgreSQL test does."""
    with temporary_postgres_database(os.environ[POSTGRES_URL_VARIABLE]) as url:
        _migration_13_rewrites(url)


def _migration_13_rewrites(fresh_database_url: str) -> None:
    store = open_store(fresh_database_url)
    store.migrate()
    keys = make_tenant_keys(store)
    store.close()
    record_id = str(uuid.uuid4())
    with psycopg.connect(fresh_database_url, autocommit=True) as db:  # what the writes before it stored
        db.execute("DELETE FROM schema_migrations WHERE version >= 13")
        db.execute("INSERT INTO interactions (tenant_id, interaction_id, start_ts, end_ts, updated_us, revision,"
                   " doc, facets) VALUES (%s, %s, '-infinity', '-infinity', 0, 1, %s, '[]')",
                   (keys.id, record_id, json.dumps({"interactionId": record_id, "startTimestamp": FIRST})))
        db.execute("INSERT INTO agent_events (tenant_id, agent_id, event_id, time_ts, type, state, doc)"
                   " VALUES (%s, 'a1', 'x1', '-infinity', 'agent-logged-in', 'ready', '{}')", (keys.id,))
    store = open_store(fresh_database_url)
    store.migrate()
    store.close()
    with psycopg.connect(fresh_database_url, autocommit=True) as db:
        rows = db.execute("SELECT start_ts::text, end_ts::text FROM interactions UNION ALL"
                          " SELECT time_ts::text, NULL FROM agent_events").fetchall()
    assert rows == [("0001-01-01 00:00:00+00", "0001-01-01 00:00:00+00"), ("0001-01-01 00:00:00+00", None)]
