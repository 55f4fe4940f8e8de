"""End to end, over HTTP on loopback: every search filter alone and combined, on a tenant of hand-made
records; which time the window applies to (`timeField`), the sort, and the filters' errors."""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import parse_qsl

import httpx
import pytest

from support.servers import LiveServer
from support.tenants import TenantKeys, make_tenant_keys

BASE = datetime(2024, 3, 1, tzinfo=UTC)
WINDOW = "startTimeRange=2024-03-01T00:00Z&endTimeRange=2024-03-02T00:00Z"
ALL = range(1, 31)
NO_END = {4, 11, 17, 25}
OUTSIDE = 31
"""A record before the window that matches many filters: a window must still hold with filters."""
NEIGHBOUR = 99
"""The one record of another tenant, matching many filters: it must never show."""


def rid(n: int) -> str:
    return f"00000000-0000-4000-8000-{n:012d}"


def iso(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


def start_of(n: int) -> datetime:
    return datetime(2023, 6, 1, tzinfo=UTC) if n == OUTSIDE else BASE + timedelta(minutes=10 * (n // 2))


def end_of(n: int) -> datetime | None:
    if n in NO_END:
        return None
    return start_of(n) + (timedelta(days=3, minutes=5) if n == 3 else timedelta(minutes=5))


def q(queue_id: str, abandoned: bool | None = None) -> dict[str, Any]:
    entry: dict[str, Any] = {"queueId": queue_id, "queueName": f"Queue {queue_id}"}
    if abandoned is not None:
        entry["queueAbandoned"] = abandoned
    return entry


def ag(agent_id: str) -> dict[str, Any]:
    return {"agentId": agent_id, "agentName": f"Agent {agent_id}"}


def hook(hook_type: str, sub_type: str | None, hook_id: str | None) -> dict[str, Any]:
    return {"hookType": hook_type, "hookSubType": sub_type, "hookId": hook_id}


FIELDS: dict[int, dict[str, Any]] = {
    1: dict(channelType="voice", direction="inbound", customer="cust-a", contactPoint="cp-1", contactId="ct-1",
            flowId="flow-1", flagged=True, queues=[q("q-1")], agents=[ag("ag-1")]),
    2: dict(channelType="voice", direction="inbound", customer="cust-a", contactPoint="cp-1", contactId="ct-1",
            flowId="flow-1", queues=[q("q-1"), q("q-2")], agents=[ag("ag-1"), ag("ag-2")]),
    3: dict(channelType="voice", direction="outbound", customer="cust-b", contactPoint="cp-2", contactId="ct-2",
            flowId="flow-2", flagged=False, agents=[ag("ag-2")]),
    4: dict(channelType="chat", direction="inbound", customer="cust-c", contactPoint="cp-3", contactId="ct-3",
            flowId="flow-3", queues=[q("q-3", abandoned=True)]),
    5: dict(channelType="chat", direction="inbound", customer="cust-a", contactPoint="cp-3", contactId="ct-1",
            flowId="flow-1", customerAbandonTime=12.5, queues=[q("q-1")]),
    6: dict(channelType="email", direction="outbound", customer="cust-d", contactPoint="cp-4", contactId="ct-4",
            flagged=True, agents=[ag("ag-3")]),
    7: dict(channelType="voice", direction="inbound", customer="cust-e", contactPoint="cp-1", contactId="ct-5",
            flowId="flow-2", queues=[q("q-2", abandoned=False)], agents=[ag("ag-1"), ag("ag-3")],
            hooks=[hook("crm", "lookup", "h-1")]),
    8: dict(channelType="voice", direction="inbound", customer="cust-f", contactPoint="cp-1", contactId="ct-6",
            flowId="flow-2", hooks=[hook("crm", "lookup", "h-2"), hook("survey", "post", "h-3")]),
    9: dict(channelType="chat", direction="outbound", customer="cust-b", contactPoint="cp-2", contactId="ct-2",
            flowId="flow-3", hooks=[hook("crm", "update", "h-1")]),
    10: dict(channelType="voice", direction="inbound", customer="cust-g",
             hooks=[hook("crm", "lookup", "h-3"), hook("survey", "post", "h-1")]),
    11: dict(channelType="email", direction="inbound", customer="cust-g", hooks=[hook("survey", "lookup", "h-4")]),
    12: dict(channelType="voice", customAttributes={"tier": "gold", "region": "eu"}),
    13: dict(channelType="chat", customAttributes={"tier": "gold", "region": "us"}, agents=[ag("ag-2")]),
    14: dict(channelType="voice", customAttributes={"tier": "silver", "region": "eu", "vip": True}),
    15: dict(customAttributes={"priority": 5, "tier": None}),
    16: dict(customAttributes={"region": "gold"}),
    17: dict(),
    18: dict(channelType="voice", direction="inbound", customer="cust-h",
             queues=[q("q-1", abandoned=True), q("q-2", abandoned=False)], agents=[ag("ag-2")]),
    19: dict(channelType="voice", direction="inbound", customer="cust-h", flagged=True, customerAbandonTime=0),
    20: dict(channelType="voice", direction="outbound", customer="cust-i", customerAbandonTime=None, flagged=None,
             queues=[q("q-3")]),
    21: dict(channelType="chat", direction="inbound", customer="cust-a", agents=[{"agentName": "nobody"}],
             queues=[{"queueName": "unnamed"}]),
    22: dict(channelType="voice", direction="outbound", customer="cust-j", contactPoint="cp-2", contactId="ct-7",
             flowId="flow-1", flagged=True, agents=[ag("ag-1")], queues=[q("q-1")]),
    23: dict(channelType="voice", direction="inbound", customer="cust-k", contactPoint="cp-1", contactId="ct-8",
             flowId="flow-1", agents=[ag("ag-4"), ag("ag-1")], queues=[q("q-4"), q("q-1")]),
    24: dict(channelType="email", direction="inbound", customer="cust-a", contactPoint="cp-4", contactId="ct-1",
             flowId="flow-4", flagged=True, agents=[ag("ag-3")]),
    25: dict(channelType="chat", direction="outbound", customer="cust-c", contactId="ct-3", flowId="flow-3",
             customerAbandonTime=3.25, hooks=[hook("crm", None, "h-5")]),
    26: dict(channelType="voice", direction="inbound", customer="cust-l", agents=[ag("ag-2"), ag("ag-2")],
             queues=[q("q-2"), q("q-2", abandoned=True)]),
    27: dict(channelType="voice", direction="inbound", customer="cust-m", flowId="flow-2", flagged=False,
             agents=[ag("ag-5")], hooks=[hook("crm", "lookup", "h-1"), hook("crm", "lookup", "h-1")],
             customAttributes={"tier": "gold"}),
    28: dict(channelType="voice", direction="inbound", customer="cust-p", contactId="ct-1",
             queues=[q("q-1", abandoned=False)], agents=[ag("ag-2")], hooks=[hook("crm", "lookup", None)]),
    29: dict(channelType="chat", direction="inbound", customer="cust-n", contactPoint="cp-5", contactId="ct-9",
             flowId="flow-5", queues=[q("q-5")], agents=[ag("ag-6")], hooks=[hook("ivr", "menu", "h-6")],
             customAttributes={"lang": "fr"}),
    30: dict(channelType="voice", direction="inbound", customer="cust-o", agents=[ag("ag-1")], queues=[q("q-2")],
             flagged=True, customAttributes={"tier": "gold", "region": "eu"}),
    OUTSIDE: dict(channelType="voice", direction="inbound", customer="cust-a", contactId="ct-1",
                  agents=[ag("ag-1")], queues=[q("q-1")], flagged=True, hooks=[hook("crm", "lookup", "h-1")],
                  customAttributes={"tier": "gold"}),
}


def record(n: int, **overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {"interactionId": rid(n), "startTimestamp": iso(start_of(n))}
    end = end_of(n)
    if end is not None:
        body["endTimestamp"] = iso(end)
    body.update(FIELDS.get(n, {}))
    body.update(overrides)
    return body


def without_nulls(value: Any) -> Any:
    if isinstance(value, dict):
        return {key: without_nulls(item) for key, item in value.items() if item is not None}
    if isinstance(value, list):
        return [without_nulls(item) for item in value]
    return value


# --- the oracle: the contract's filter semantics in plain Python, to check the hand-written sets --------------

def matches(body: dict[str, Any], given: dict[str, list[str]]) -> bool:
    def options(*names: str) -> set[str]:
        return {part for name in names for text in given.get(name, []) for part in text.split(",")}

    for name in ("channelType", "direction", "customer", "contactPoint", "flowId"):
        if name in given and body.get(name) not in options(name):
            return False
    if ("contactId" in given or "contactID" in given) and body.get("contactId") not in options("contactId",
                                                                                                 "contactID"):
        return False
    for name, entries in (("agentId", "agents"), ("queueId", "queues")):
        if name in given and not any(entry.get(name) in options(name) for entry in body.get(entries) or []):
            return False
    if "flagged" in given and ("true" if body.get("flagged") else "false") not in options("flagged"):
        return False
    abandoned = body.get("customerAbandonTime") is not None or any(
        entry.get("queueAbandoned") is True for entry in body.get("queues") or [])
    if "abandoned" in given and ("true" if abandoned else "false") not in options("abandoned"):
        return False
    parts = [name for name in ("hookType", "hookSubType", "hookId") if name in given]
    if parts and not any(all(h.get(name) in options(name) for name in parts) for h in body.get("hooks") or []):
        return False
    attributes = body.get("customAttributes") or {}
    for name, values in zip(given.get("hookName", []), given.get("attribute-value", []), strict=True):
        value = attributes.get(name)
        text = value if isinstance(value, str) else json.dumps(value)
        if value is None or text not in values.split(","):
            return False
    return True


def oracle(query: str, numbers: list[int]) -> set[int]:
    given: dict[str, list[str]] = {}
    for name, value in parse_qsl(query, keep_blank_values=True):
        given.setdefault(name, []).append(value)
    return {n for n in numbers if matches(record(n), given)}


def newest_first(numbers: set[int] | range, time_of: Callable[[int], datetime | None] = start_of) -> list[str]:
    keyed = [(time_of(n), rid(n)) for n in numbers]
    return [interaction_id for _, interaction_id in sorted(keyed, reverse=True)]


# --- fixtures ----------------------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def tenant(live_server: LiveServer, http: httpx.Client) -> TenantKeys:
    """A fresh tenant with records 1-30 and OUTSIDE; next to it a tenant whose one record matches a lot."""
    keys = make_tenant_keys(live_server.store)
    posted = http.post(f"/v1/tenants/{keys.id}/interactions", auth=keys.ingest,
                       json=[record(n) for n in [*ALL, OUTSIDE]])
    assert posted.status_code == 200, posted.text
    assert posted.json() == {"inserted": 31, "updated": 0, "unchanged": 0}
    neighbour = make_tenant_keys(live_server.store)
    other = {**record(OUTSIDE), "interactionId": rid(NEIGHBOUR), "startTimestamp": iso(start_of(1)),
             "channelType": "voice", "customAttributes": {"tier": "gold", "region": "eu"}}
    posted = http.post(f"/v1/tenants/{neighbour.id}/interactions", auth=neighbour.ingest, json=other)
    assert posted.status_code == 200, posted.text
    return keys


def search(http: httpx.Client, keys: TenantKeys, query: str) -> Any:
    response = http.get(f"/v1/tenants/{keys.id}/interactions?{query}", auth=keys.read)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("application/json")
    return response.json()


def ids(body: Any) -> list[str]:
    return [item["interactionId"] for item in body["results"]]


# --- each filter alone and combined --------------------------------------------------------------------------

VOICE = {1, 2, 3, 7, 8, 10, 12, 14, 18, 19, 20, 22, 23, 26, 27, 28, 30}
CHAT = {4, 5, 9, 13, 21, 25, 29}
FLAGGED = {1, 6, 19, 22, 24, 30}
ABANDONED = {4, 5, 18, 19, 25, 26}
AGENT_1 = {1, 2, 7, 22, 23, 30}
AGENT_2 = {2, 3, 13, 18, 26, 28}
QUEUE_1 = {1, 2, 5, 18, 22, 23, 28}

FILTER_CASES: list[tuple[str, set[int]]] = [
    # one filter
    ("channelType=voice", VOICE),
    ("channelType=chat", CHAT),
    ("channelType=email", {6, 11, 24}),
    ("channelType=voice,chat", VOICE | CHAT),
    ("channelType=voice&channelType=chat", VOICE | CHAT),
    ("channelType=fax", set()),
    ("direction=inbound", {1, 2, 4, 5, 7, 8, 10, 11, 18, 19, 21, 23, 24, 26, 27, 28, 29, 30}),
    ("direction=outbound", {3, 6, 9, 20, 22, 25}),
    ("customer=cust-a", {1, 2, 5, 21, 24}),
    ("customer=cust-g,cust-h", {10, 11, 18, 19}),
    ("contactPoint=cp-1", {1, 2, 7, 8, 23}),
    ("contactId=ct-1", {1, 2, 5, 24, 28}),
    ("contactID=ct-1", {1, 2, 5, 24, 28}),
    ("contactId=ct-1&contactID=ct-3", {1, 2, 4, 5, 24, 25, 28}),
    ("agentId=ag-1", AGENT_1),
    ("agentId=ag-2", AGENT_2),
    ("agentId=ag-1,ag-3", AGENT_1 | {6, 24}),
    ("agentId=ag-1&agentId=ag-3", AGENT_1 | {6, 24}),
    ("agentId=ag-404", set()),
    ("queueId=q-1", QUEUE_1),
    ("queueId=q-2", {2, 7, 18, 26, 30}),
    ("queueId=q-3,q-5", {4, 20, 29}),
    ("queueId=q-1&queueId=q-4", QUEUE_1),
    ("flowId=flow-2", {3, 7, 8, 27}),
    ("flagged=true", FLAGGED),
    ("flagged=false", set(ALL) - FLAGGED),
    ("flagged=true,false", set(ALL)),
    ("abandoned=true", ABANDONED),
    ("abandoned=false", set(ALL) - ABANDONED),
    # hooks: all the given parts must hold for one and the same hook
    ("hookType=crm", {7, 8, 9, 10, 25, 27, 28}),
    ("hookType=survey", {8, 10, 11}),
    ("hookType=crm&hookSubType=lookup", {7, 8, 10, 27, 28}),
    ("hookType=crm&hookSubType=post", set()),
    ("hookType=crm,survey&hookSubType=post", {8, 10}),
    ("hookId=h-1", {7, 9, 10, 27}),
    ("hookType=crm&hookSubType=lookup&hookId=h-1", {7, 27}),
    ("hookType=crm&hookSubType=lookup,update&hookId=h-1", {7, 9, 27}),
    ("hookType=ivr&hookSubType=menu&hookId=h-6", {29}),
    ("hookType=crm&hookId=h-1", {7, 9, 27}),
    ("hookType=survey&hookId=h-3", {8}),
    ("hookType=crm&hookId=h-5", {25}),
    # custom attributes: hookName=N&attribute-value=V pairs, ANDed
    ("hookName=tier&attribute-value=gold", {12, 13, 27, 30}),
    ("hookName=tier&attribute-value=gold,silver", {12, 13, 14, 27, 30}),
    ("hookName=tier&attribute-value=gold&hookName=region&attribute-value=eu", {12, 30}),
    ("hookName=region&attribute-value=gold", {16}),
    ("hookName=vip&attribute-value=true", {14}),
    ("hookName=priority&attribute-value=5", {15}),
    ("hookName=tier&attribute-value=bronze", set()),
    # combined: every filter must hold
    ("channelType=voice&direction=inbound&agentId=ag-1", {1, 2, 7, 23, 30}),
    ("agentId=ag-1&queueId=q-2", {2, 7, 30}),
    ("agentId=ag-1,ag-2&queueId=q-1", {1, 2, 18, 22, 23, 28}),
    ("customer=cust-a&abandoned=true", {5}),
    ("flagged=true&channelType=chat,email", {6, 24}),
    ("contactId=ct-1&channelType=chat", {5}),
    ("hookType=crm&flowId=flow-2", {7, 8, 27}),
    ("hookName=tier&attribute-value=gold&channelType=voice", {12, 27, 30}),
    ("hookName=tier&attribute-value=gold&hookName=region&attribute-value=eu&agentId=ag-1", {30}),
    ("abandoned=false&queueId=q-2", {2, 7, 30}),
    ("agentId=ag-2&abandoned=true", {18, 26}),
    ("direction=outbound&flagged=false", {3, 9, 20, 25}),
    ("contactPoint=cp-1,cp-2&flowId=flow-1,flow-2", {1, 2, 3, 7, 8, 22, 23}),
    ("flagged=true,false&abandoned=true", ABANDONED),
    ("direction=inbound&hookType=survey&abandoned=false", {8, 10, 11}),
    ("customer=cust-a&channelType=email&flagged=false", set()),
]


@pytest.mark.parametrize(("query", "expected"), FILTER_CASES, ids=[query for query, _ in FILTER_CASES])
def test_filter_matches_exactly_these_records(http: httpx.Client, tenant: TenantKeys, query: str,
                                              expected: set[int]) -> None:
    assert oracle(query, list(ALL)) == expected, "the hand-written set and the contract's semantics agree"
    body = search(http, tenant, f"{WINDOW}&limit=100&{query}")
    assert ids(body) == newest_first(expected)
    assert body["total"] == len(expected)
    assert body["tenantId"] == tenant.id
    assert body["results"] == [without_nulls(record(int(i[-12:]))) for i in ids(body)]


@pytest.mark.parametrize(("query", "expected"), [
    ("agentId=ag-1", AGENT_1 | {OUTSIDE}),
    ("contactId=ct-1&hookType=crm&hookId=h-1", {OUTSIDE}),
    ("hookName=tier&attribute-value=gold&flagged=true", {30, OUTSIDE}),
])
def test_filters_without_a_window_still_stay_in_the_tenant(http: httpx.Client, tenant: TenantKeys, query: str,
                                                           expected: set[int]) -> None:
    assert oracle(query, [*ALL, OUTSIDE]) == expected
    body = search(http, tenant, f"limit=100&{query}")
    assert ids(body) == newest_first(expected)
    assert body["total"] == len(expected)


def test_total_counts_every_match_while_the_page_is_short(http: httpx.Client, tenant: TenantKeys) -> None:
    body = search(http, tenant, f"{WINDOW}&limit=2&channelType=voice")
    assert body["total"] == len(VOICE)
    assert ids(body) == newest_first(VOICE)[:2]
    assert search(http, tenant, f"{WINDOW}&limit=0&agentId=ag-1,ag-2")["total"] == len(AGENT_1 | AGENT_2)


# --- timeField and sort ------------------------------------------------------------------------------------

def test_the_envelope_echoes_time_field_sort_and_the_resolved_window(http: httpx.Client,
                                                                    tenant: TenantKeys) -> None:
    body = search(http, tenant, "startTimeRange=2024-03-01T01:00%2B01:00&agentId=ag-1")
    assert list(body)[-5:] == ["timeField", "sort", "window", "next", "nextUrl"]
    assert list(body).index("results") < list(body).index("timeField")
    assert body["timeField"] == "startTimestamp" and body["sort"] == "desc"
    assert body["window"] == {"start": "2024-03-01T00:00:00.000Z", "end": None}
    body = search(http, tenant, "timeField=endTimestamp&sort=asc&endTimeRange=2024-03-02")
    assert body["timeField"] == "endTimestamp" and body["sort"] == "asc"
    assert body["window"] == {"start": None, "end": "2024-03-02T00:00:00.000Z"}
    body = search(http, tenant, "timeField=startTimestamp&sort=desc&start=2024-03-01T00:00:00.123456Z"
                                "&end=2024-03-01T24:00Z")
    assert body["window"] == {"start": "2024-03-01T00:00:00.123456Z", "end": "2024-03-02T00:00:00.000Z"}


def test_an_end_timestamp_window_applies_to_the_end_and_skips_records_without_one(http: httpx.Client,
                                                                                   tenant: TenantKeys) -> None:
    with_end = set(ALL) - NO_END
    body = search(http, tenant, "timeField=endTimestamp&limit=100&startTimeRange=2024-01-01")
    assert ids(body) == newest_first(with_end, end_of)
    assert ids(body)[0] == rid(3), "record 3 ended days after it started: newest by its end"
    assert body["total"] == len(with_end)
    # open on both sides: still only records that have an end
    assert search(http, tenant, "timeField=endTimestamp&limit=0")["total"] == len(with_end) + 1  # + OUTSIDE
    # a window after the others' ends: only record 3, which started inside the start window
    late = "startTimeRange=2024-03-02T00:00Z&endTimeRange=2024-03-05T00:00Z"
    assert ids(search(http, tenant, f"timeField=endTimestamp&{late}")) == [rid(3)]
    assert ids(search(http, tenant, f"timeField=startTimestamp&{late}")) == []
    assert ids(search(http, tenant, late)) == []
    # half-open on the end: [00:15, 00:25) holds the end of record 2 only (3 ended later, 4 never, 5 at 00:25)
    assert ids(search(http, tenant, "timeField=endTimestamp&startTimeRange=2024-03-01T00:15Z"
                                    "&endTimeRange=2024-03-01T00:25Z")) == [rid(2)]
    # with filters
    body = search(http, tenant, f"timeField=endTimestamp&{WINDOW}&limit=100&channelType=chat")
    assert ids(body) == newest_first(CHAT - NO_END, end_of)
    body = search(http, tenant, "timeField=endTimestamp&startTimeRange=2024-03-02&agentId=ag-2")
    assert ids(body) == [rid(3)]
    assert search(http, tenant, "timeField=endTimestamp&startTimeRange=2024-03-02&agentId=ag-1")["total"] == 0


@pytest.mark.parametrize("query", ["", "&channelType=voice", "&agentId=ag-1,ag-2", "&flagged=false",
                                   "&timeField=endTimestamp", "&timeField=endTimestamp&queueId=q-1,q-2"])
def test_sort_asc_is_oldest_first_with_the_same_tie_break(http: httpx.Client, tenant: TenantKeys,
                                                          query: str) -> None:
    descending = search(http, tenant, f"{WINDOW}&limit=100{query}")
    ascending = search(http, tenant, f"{WINDOW}&limit=100&sort=asc{query}")
    assert ascending["sort"] == "asc" and descending["sort"] == "desc"
    assert ascending["total"] == descending["total"] == len(ids(descending)) > 1
    assert ids(ascending) == ids(descending)[::-1]
    time_field = "endTimestamp" if "endTimestamp" in query else "startTimestamp"
    keys = [(item[time_field], item["interactionId"]) for item in ascending["results"]]
    assert keys == sorted(keys) and len(set(keys)) == len(keys)
    assert len({item[time_field] for item in ascending["results"]}) < len(keys), "ties were exercised"


def test_sort_asc_pages_by_offset_in_the_same_order(http: httpx.Client, tenant: TenantKeys) -> None:
    whole = ids(search(http, tenant, f"{WINDOW}&limit=100&sort=asc"))
    assert whole == newest_first(ALL)[::-1]
    pages = [ids(search(http, tenant, f"{WINDOW}&limit=4&sort=asc&page={page}")) for page in range(8)]
    assert [i for page in pages for i in page] == whole


# --- lastUpdated ----------------------------------------------------------------------------------------------

def now_iso() -> str:
    micros = time.time_ns() // 1000
    moment = datetime(1970, 1, 1, tzinfo=UTC) + timedelta(microseconds=micros)
    text = moment.strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    # the API echoes an instant with 3 fractional digits when it is a whole millisecond, as here 1 time in 1,000
    return text[:-4] + "Z" if text.endswith("000Z") else text


def post(http: httpx.Client, keys: TenantKeys, records: list[dict[str, Any]]) -> Any:
    response = http.post(f"/v1/tenants/{keys.id}/interactions", auth=keys.ingest, json=records)
    assert response.status_code == 200, response.text
    return response.json()


def test_a_last_updated_window_returns_what_changed_since(http: httpx.Client,
                                                          new_tenant: Callable[..., TenantKeys]) -> None:
    keys = new_tenant()
    first = [record(n, startTimestamp=f"2024-05-01T00:00:0{n}Z", endTimestamp=f"2024-05-01T01:00:0{n}Z")
             for n in range(1, 6)]
    assert post(http, keys, first) == {"inserted": 5, "updated": 0, "unchanged": 0}
    time.sleep(0.01)
    since = now_iso()
    time.sleep(0.01)
    # new records that started long before, an update, an identical re-post, an older revision
    second = [record(n, startTimestamp=f"2020-01-01T00:00:0{n - 10}Z", endTimestamp=f"2020-01-01T00:01:0{n - 10}Z")
              for n in (11, 12, 13)]
    second += [{**first[1], "customer": "changed"}, first[2]]
    assert post(http, keys, second) == {"inserted": 3, "updated": 1, "unchanged": 1}
    assert post(http, keys, [{**first[3], "revision": 5}]) == {"inserted": 0, "updated": 1, "unchanged": 0}
    time.sleep(0.01)
    middle = now_iso()
    time.sleep(0.01)
    third = [{**second[0], "customer": "changed again"},
             record(21, startTimestamp="2019-01-01T00:00:00Z", endTimestamp="2019-01-01T00:05:00Z"),
             {**first[3], "revision": 4, "customer": "older revision"}]
    assert post(http, keys, third) == {"inserted": 1, "updated": 1, "unchanged": 1}

    changed_second = sorted([rid(12), rid(13), rid(2)], reverse=True)
    changed_revision = [rid(4)]
    changed_third = sorted([rid(11), rid(21)], reverse=True)
    body = search(http, keys, f"timeField=lastUpdated&startTimeRange={since}&limit=100")
    assert body["timeField"] == "lastUpdated"
    assert body["window"] == {"start": since, "end": None}
    assert ids(body) == changed_third + changed_revision + changed_second
    assert body["total"] == 6
    assert [item["customer"] for item in body["results"] if item["interactionId"] == rid(2)] == ["changed"]
    before = search(http, keys, f"timeField=lastUpdated&endTimeRange={since}&limit=100")
    assert ids(before) == sorted([rid(1), rid(3), rid(5)], reverse=True)
    between = search(http, keys, f"timeField=lastUpdated&startTimeRange={since}&endTimeRange={middle}&sort=asc")
    assert ids(between) == changed_second[::-1] + changed_revision
    assert ids(search(http, keys, f"timeField=lastUpdated&startTimeRange={middle}")) == changed_third
    # with a filter: of what changed since, only the chat ones
    chat = search(http, keys, f"timeField=lastUpdated&startTimeRange={since}&channelType=chat")
    assert ids(chat) == [rid(21), rid(4), rid(13)]
    # the start-time window is untouched by updates
    assert ids(search(http, keys, "startTimeRange=2024-05-01&limit=100")) == sorted(
        [rid(n) for n in range(1, 6)], reverse=True)


# --- updates replace what a record can be found by ---------------------------------------------------------

def test_an_update_changes_which_filters_match(http: httpx.Client, new_tenant: Callable[..., TenantKeys]) -> None:
    keys = new_tenant()
    before = {"interactionId": rid(1), "startTimestamp": "2024-06-01T10:00:00Z", "channelType": "voice",
              "direction": "inbound", "customer": "cust-a", "contactPoint": "cp-1", "contactId": "ct-1",
              "flowId": "flow-1", "flagged": True, "queues": [q("q-1", abandoned=True)],
              "agents": [ag("ag-1"), ag("ag-2")], "hooks": [hook("crm", "lookup", "h-1")],
              "customAttributes": {"tier": "gold"}}
    neighbour = {"interactionId": rid(2), "startTimestamp": "2024-06-01T09:00:00Z", "agents": [ag("ag-1")]}
    assert post(http, keys, [before, neighbour]) == {"inserted": 2, "updated": 0, "unchanged": 0}
    old_filters = ["channelType=voice", "direction=inbound", "customer=cust-a", "contactPoint=cp-1",
                   "contactId=ct-1", "flowId=flow-1", "flagged=true", "abandoned=true", "queueId=q-1",
                   "agentId=ag-2", "hookType=crm", "hookType=crm&hookSubType=lookup", "hookId=h-1",
                   "hookType=crm&hookSubType=lookup&hookId=h-1", "hookName=tier&attribute-value=gold"]
    new_filters = ["channelType=chat", "direction=outbound", "customer=cust-b", "contactPoint=cp-2",
                   "contactId=ct-2", "flowId=flow-2", "flagged=false", "abandoned=false", "queueId=q-2",
                   "agentId=ag-3", "hookType=survey", "hookType=survey&hookSubType=post", "hookId=h-2",
                   "hookType=survey&hookSubType=post&hookId=h-2", "hookName=tier&attribute-value=silver"]
    for query in old_filters:
        assert ids(search(http, keys, f"startTimeRange=2024-06-01T10:00Z&{query}")) == [rid(1)], query
    for query in new_filters:
        assert ids(search(http, keys, f"startTimeRange=2024-06-01T10:00Z&{query}")) == [], query

    after = {"interactionId": rid(1), "startTimestamp": "2024-06-02T10:00:00Z", "channelType": "chat",
             "direction": "outbound", "customer": "cust-b", "contactPoint": "cp-2", "contactId": "ct-2",
             "flowId": "flow-2", "flagged": False, "queues": [q("q-2", abandoned=False)],
             "agents": [ag("ag-3"), ag("ag-1")], "hooks": [hook("survey", "post", "h-2")],
             "customAttributes": {"tier": "silver"}}
    assert post(http, keys, [after]) == {"inserted": 0, "updated": 1, "unchanged": 0}
    for query in old_filters:
        assert search(http, keys, f"limit=100&{query}")["total"] == 0, query
    for query in new_filters:
        body = search(http, keys, f"startTimeRange=2024-06-01T10:00Z&{query}")
        assert ids(body) == [rid(1)] and body["results"] == [after], query
        moved_from = "startTimeRange=2024-06-01T10:00Z&endTimeRange=2024-06-02"
        assert ids(search(http, keys, f"{moved_from}&{query}")) == [], query
    # the agent both versions have still matches, now at the new start time, exactly once
    assert ids(search(http, keys, "agentId=ag-1")) == [rid(1), rid(2)]
    assert ids(search(http, keys, "agentId=ag-1&startTimeRange=2024-06-01&endTimeRange=2024-06-02")) == [rid(2)]
    assert search(http, keys, "agentId=ag-1,ag-3&limit=0")["total"] == 2


def test_an_older_revision_leaves_the_filters_alone(http: httpx.Client,
                                                   new_tenant: Callable[..., TenantKeys]) -> None:
    keys = new_tenant()
    current = {"interactionId": rid(1), "startTimestamp": "2024-06-01T10:00:00Z", "revision": 2,
               "agents": [ag("ag-new")]}
    assert post(http, keys, [current])["inserted"] == 1
    stale = {**current, "revision": 1, "agents": [ag("ag-old")]}
    assert post(http, keys, [stale]) == {"inserted": 0, "updated": 0, "unchanged": 1}
    assert ids(search(http, keys, "agentId=ag-new")) == [rid(1)]
    assert ids(search(http, keys, "agentId=ag-old")) == []


# --- errors -------------------------------------------------------------------------------------------------------

SEARCH_PARAMETERS = ["startTimeRange", "endTimeRange", "start", "end", "timeField", "sort", "limit", "page",
                     "offset", "cursor", "includenulls", "includeNulls", "channelType", "direction", "customer",
                     "contactPoint", "contactId", "contactID", "agentId", "queueId", "flowId", "flagged",
                     "abandoned", "hookType", "hookSubType", "hookId", "hookName", "attribute-value"]


def assert_400(response: httpx.Response, code: str, parameter: str) -> dict[str, Any]:
    assert response.status_code == 400, response.text
    assert response.headers["content-type"].startswith("application/json")
    body: dict[str, Any] = response.json()
    assert body["status"] == 400 and body["code"] == code, body
    assert body["parameter"] == parameter, body
    assert isinstance(body["message"], str) and body["message"]
    assert set(body) <= {"status", "code", "message", "parameter"}
    return body


@pytest.mark.parametrize(("query", "parameter"), [
    ("foo=1", "foo"),
    ("agentID=ag-1", "agentID"),
    ("customerId=cust-a&channelType=voice", "customerId"),
    ("attributeValue=gold", "attributeValue"),
    ("format=csv", "format"),
])
def test_an_unknown_parameter_is_refused_with_the_accepted_ones(http: httpx.Client, tenant: TenantKeys,
                                                                query: str, parameter: str) -> None:
    response = http.get(f"/v1/tenants/{tenant.id}/interactions?{WINDOW}&{query}", auth=tenant.read)
    body = assert_400(response, "unknown_parameter", parameter)
    assert parameter in body["message"]
    listed = body["message"].split("accepts:", 1)[1]
    assert {name.strip() for name in listed.split(",")} == set(SEARCH_PARAMETERS)


@pytest.mark.parametrize(("query", "parameter"), [
    ("hookSubType=lookup", "hookSubType"),
    ("hookSubType=lookup&hookId=h-1", "hookSubType"),
    ("customer=", "customer"),
    ("agentId=", "agentId"),
    ("agentId=ag-1,", "agentId"),
    ("queueId=q-1&queueId=", "queueId"),
    ("contactID=", "contactID"),
    ("hookType=", "hookType"),
    ("flagged=maybe", "flagged"),
    ("flagged=", "flagged"),
    ("abandoned=yes", "abandoned"),
    ("abandoned=true,perhaps", "abandoned"),
    ("hookName=tier", "hookName"),
    ("attribute-value=gold", "attribute-value"),
    ("hookName=tier&attribute-value=gold&hookName=region", "hookName"),
    ("hookName=tier&attribute-value=gold&attribute-value=eu", "attribute-value"),
    ("hookName=tier&attribute-value=", "attribute-value"),
    ("timeField=createdAt", "timeField"),
    ("timeField=", "timeField"),
    ("sort=newest", "sort"),
    ("sort=", "sort"),
    ("sort=up&channelType=voice", "sort"),
])
def test_invalid_filter_values_are_refused(http: httpx.Client, tenant: TenantKeys, query: str,
                                           parameter: str) -> None:
    response = http.get(f"/v1/tenants/{tenant.id}/interactions?{WINDOW}&{query}", auth=tenant.read)
    assert_400(response, "invalid_parameter", parameter)


def test_a_read_key_searches_only_its_own_tenant(http: httpx.Client, tenant: TenantKeys,
                                                 new_tenant: Callable[..., TenantKeys]) -> None:
    other = new_tenant()
    response = http.get(f"/v1/tenants/{tenant.id}/interactions?agentId=ag-1", auth=other.read)
    assert response.status_code == 403, response.text
    assert response.json()["code"] == "forbidden"
    assert search(http, other, "agentId=ag-1")["total"] == 0


def _matches(http: httpx.Client, keys: TenantKeys, **params: str | list[str]) -> list[str]:
    response = http.get(f"/v1/tenants/{keys.id}/interactions", params=params, auth=keys.read)
    assert response.status_code == 200, response.text
    return sorted(record["interactionId"] for record in response.json()["results"])


def test_filter_values_match_exactly_as_stored_spaces_included(http: httpx.Client,
                                                                new_tenant: Callable[..., TenantKeys]) -> None:
    keys = new_tenant()
    records = [{"interactionId": rid(n), "startTimestamp": iso(BASE), "customer": customer,
                "customAttributes": {"tier": customer}} for n, customer in ((1, "cust"), (2, "cust "), (3, " cust"))]
    assert http.post(f"/v1/tenants/{keys.id}/interactions", json=records, auth=keys.ingest).status_code == 200
    assert _matches(http, keys, customer="cust") == [rid(1)]
    assert _matches(http, keys, customer="cust ") == [rid(2)]
    assert _matches(http, keys, customer=" cust") == [rid(3)]
    assert _matches(http, keys, customer="cust , cust") == [rid(2), rid(3)]
    assert _matches(http, keys, **{"hookName": "tier", "attribute-value": "cust "}) == [rid(2)]


def test_attribute_values_match_their_json_text(http: httpx.Client, new_tenant: Callable[..., TenantKeys]) -> None:
    """A query string has no types: `attribute-value=1` matches the number 1 and the string "1" alike, `true` the
    boolean and the string, `1.0` the float 1.0 and the string "1.0" (not the number 1): docs/search.md."""
    keys = new_tenant()
    values: list[object] = [1, "1", True, "true", 1.0, "1.0"]
    records = [{"interactionId": rid(n), "startTimestamp": iso(BASE), "customAttributes": {"a": value}}
               for n, value in enumerate(values, start=1)]
    assert http.post(f"/v1/tenants/{keys.id}/interactions", json=records, auth=keys.ingest).status_code == 200
    assert _matches(http, keys, **{"hookName": "a", "attribute-value": "1"}) == [rid(1), rid(2)]
    assert _matches(http, keys, **{"hookName": "a", "attribute-value": "true"}) == [rid(3), rid(4)]
    assert _matches(http, keys, **{"hookName": "a", "attribute-value": "1.0"}) == [rid(5), rid(6)]


def test_the_same_attribute_pair_twice_is_one_condition(http: httpx.Client,
                                                        new_tenant: Callable[..., TenantKeys]) -> None:
    keys = new_tenant()
    record = {"interactionId": rid(1), "startTimestamp": iso(BASE), "customAttributes": {"tier": "gold"}}
    assert http.post(f"/v1/tenants/{keys.id}/interactions", json=[record], auth=keys.ingest).status_code == 200
    many = {"hookName": ["tier"] * 200, "attribute-value": ["gold"] * 200}
    assert _matches(http, keys, **many) == [rid(1)]
