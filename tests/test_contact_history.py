"""End to end, over HTTP on loopback: a contact's interactions, newest first, paged, in the search's envelope."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import quote

import httpx
import pytest

from support.servers import LiveServer
from support.tenants import TenantKeys, make_tenant_keys

BASE = datetime(2024, 2, 1, tzinfo=UTC)
CONTACT = "ct-main"
MINE = 25
ENVELOPE = ["page", "limit", "offset", "tenantId", "total", "tenantName", "tenantTimezone", "results",
            "timeField", "sort", "window", "next", "nextUrl"]


def rid(n: int) -> str:
    return f"00000000-0000-4000-8000-{n:012d}"


def iso(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


def mine(n: int) -> dict[str, Any]:
    """The contact's records: pairs share a start time; a few years apart so no window would hold them all."""
    start = BASE + timedelta(hours=(n // 2) * 7) if n % 5 else BASE - timedelta(days=400 * n)
    return {"interactionId": rid(n), "startTimestamp": iso(start), "contactId": CONTACT, "channelType": "voice",
            "customer": f"cust-{n}", "agents": [{"agentId": f"ag-{n % 2}"}]}


def newest_first(records: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return sorted(records, key=lambda r: (r["startTimestamp"], r["interactionId"]), reverse=True)


MINE_RECORDS = [mine(n) for n in range(1, MINE + 1)]
OTHERS = [{"interactionId": rid(100 + n), "startTimestamp": iso(BASE + timedelta(hours=n * 3)),
           "contactId": contact, "channelType": "voice"}
          for n, contact in enumerate(["ct-other", "ct-main-2", "CT", "ct", "main", "ct-mai"])]
NO_CONTACT = {"interactionId": rid(200), "startTimestamp": iso(BASE), "customer": CONTACT}


@pytest.fixture(scope="module")
def tenant(live_server: LiveServer, http: httpx.Client) -> TenantKeys:
    keys = make_tenant_keys(live_server.store, name="Contact Center", timezone="Europe/Paris")
    response = http.post(f"/v1/tenants/{keys.id}/interactions", auth=keys.ingest,
                         json=[*MINE_RECORDS, *OTHERS, NO_CONTACT])
    assert response.status_code == 200, response.text
    neighbour = make_tenant_keys(live_server.store)
    response = http.post(f"/v1/tenants/{neighbour.id}/interactions", auth=neighbour.ingest,
                         json={**mine(1), "interactionId": rid(300), "startTimestamp": "2030-01-01T00:00:00Z"})
    assert response.status_code == 200, response.text
    return keys


def history(http: httpx.Client, keys: TenantKeys, contact: str, query: str = "") -> Any:
    response = http.get(f"/v1/tenants/{keys.id}/contacts/{quote(contact, safe='')}/interactions?{query}",
                        auth=keys.read)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("application/json")
    return response.json()


def ids(body: Any) -> list[str]:
    return [item["interactionId"] for item in body["results"]]


def test_the_newest_ten_by_default_in_the_search_envelope(http: httpx.Client, tenant: TenantKeys) -> None:
    body = history(http, tenant, CONTACT)
    assert list(body) == ENVELOPE
    assert body["results"] == newest_first(MINE_RECORDS)[:10]
    assert body["total"] == MINE
    assert body["limit"] == 10 and body["offset"] == 0 and body["page"] is None
    assert body["tenantId"] == tenant.id
    assert body["tenantName"] == "Contact Center" and body["tenantTimezone"] == "Europe/Paris"
    assert body["timeField"] == "startTimestamp" and body["sort"] == "desc"
    assert body["window"] == {"start": None, "end": None}
    assert body["next"] is None or isinstance(body["next"], str)


def test_ties_are_broken_by_interaction_id_descending(http: httpx.Client, tenant: TenantKeys) -> None:
    body = history(http, tenant, CONTACT, "limit=100")
    starts = [item["startTimestamp"] for item in body["results"]]
    assert len(set(starts)) < len(starts), "there are ties"
    keys = [(item["startTimestamp"], item["interactionId"]) for item in body["results"]]
    assert keys == sorted(keys, reverse=True)


@pytest.mark.parametrize("limit", [1, 4, 7, 25, 100])
def test_pages_from_zero_cover_the_contact_exactly_once(http: httpx.Client, tenant: TenantKeys, limit: int) -> None:
    want = [r["interactionId"] for r in newest_first(MINE_RECORDS)]
    pages = [history(http, tenant, CONTACT, f"limit={limit}&page={page}") for page in range(-(-MINE // limit))]
    assert [i for body in pages for i in ids(body)] == want
    for number, body in enumerate(pages):
        assert body["page"] == number and body["limit"] == limit and body["offset"] == number * limit
        assert body["total"] == MINE
    past = history(http, tenant, CONTACT, f"limit={limit}&page={len(pages)}")
    assert past["results"] == [] and past["total"] == MINE


def test_offset_and_limit_zero(http: httpx.Client, tenant: TenantKeys) -> None:
    want = [r["interactionId"] for r in newest_first(MINE_RECORDS)]
    body = history(http, tenant, CONTACT, "offset=5&limit=6")
    assert ids(body) == want[5:11] and body["offset"] == 5 and body["page"] is None
    counted = history(http, tenant, CONTACT, "limit=0")
    assert counted["results"] == [] and counted["total"] == MINE


def test_only_that_contacts_records(http: httpx.Client, tenant: TenantKeys) -> None:
    for other in OTHERS:
        body = history(http, tenant, other["contactId"], "limit=100")
        assert ids(body) == [other["interactionId"]], other["contactId"]
        assert body["total"] == 1
    nobody = history(http, tenant, "ct-nobody")
    assert nobody["results"] == [] and nobody["total"] == 0
    assert rid(200) not in ids(history(http, tenant, CONTACT, "limit=100")), "a customer is not a contact"


def test_a_contact_id_is_taken_whole(http: httpx.Client, new_tenant: Callable[..., TenantKeys]) -> None:
    """The path names one contact, whatever characters its id has: a comma does not make it two."""
    keys = new_tenant()
    records = [{"interactionId": rid(n), "startTimestamp": f"2024-01-0{n}T00:00:00Z", "contactId": contact}
               for n, contact in enumerate(["a,b", "a", "b", "+1 555 0100", "x y"], start=1)]
    response = http.post(f"/v1/tenants/{keys.id}/interactions", auth=keys.ingest, json=records)
    assert response.status_code == 200, response.text
    found = {record["contactId"]: ids(history(http, keys, record["contactId"])) for record in records}
    assert found == {record["contactId"]: [record["interactionId"]] for record in records}


def test_nulls_are_left_out_unless_asked(http: httpx.Client, new_tenant: Callable[..., TenantKeys]) -> None:
    keys = new_tenant()
    record = {"interactionId": rid(1), "startTimestamp": "2024-01-01T00:00:00Z", "contactId": "ct-1",
              "csat": None, "queues": [{"queueId": None, "queueName": "Q"}]}
    response = http.post(f"/v1/tenants/{keys.id}/interactions", auth=keys.ingest, json=record)
    assert response.status_code == 200, response.text
    assert history(http, keys, "ct-1")["results"] == [{"interactionId": rid(1), "startTimestamp":
                                                       "2024-01-01T00:00:00Z", "contactId": "ct-1",
                                                       "queues": [{"queueName": "Q"}]}]
    for spelling in ("includeNulls", "includenulls"):
        assert history(http, keys, "ct-1", f"{spelling}=true")["results"] == [record]


def test_the_contact_sees_an_update(http: httpx.Client, new_tenant: Callable[..., TenantKeys]) -> None:
    keys = new_tenant()
    first = {"interactionId": rid(1), "startTimestamp": "2024-01-01T00:00:00Z", "contactId": "ct-old"}
    for body in (first, {**first, "contactId": "ct-new"}):
        response = http.post(f"/v1/tenants/{keys.id}/interactions", auth=keys.ingest, json=body)
        assert response.status_code == 200, response.text
    assert history(http, keys, "ct-old")["total"] == 0
    assert ids(history(http, keys, "ct-new")) == [rid(1)]


def assert_400(response: httpx.Response, code: str, parameter: str) -> None:
    assert response.status_code == 400, response.text
    body = response.json()
    assert body["status"] == 400 and body["code"] == code and body["parameter"] == parameter, body
    assert isinstance(body["message"], str) and body["message"]


@pytest.mark.parametrize(("query", "code", "parameter"), [
    ("limit=101", "invalid_parameter", "limit"),
    ("limit=1000", "invalid_parameter", "limit"),
    ("limit=-1", "invalid_parameter", "limit"),
    ("limit=ten", "invalid_parameter", "limit"),
    ("page=-1", "invalid_parameter", "page"),
    ("page=1&offset=3", "invalid_parameter", "offset"),
    ("foo=1", "unknown_parameter", "foo"),
])
def test_bad_parameters(http: httpx.Client, tenant: TenantKeys, query: str, code: str, parameter: str) -> None:
    response = http.get(f"/v1/tenants/{tenant.id}/contacts/{CONTACT}/interactions?{query}", auth=tenant.read)
    assert_400(response, code, parameter)


def test_the_maximum_limit_is_100(http: httpx.Client, new_tenant: Callable[..., TenantKeys]) -> None:
    keys = new_tenant()
    records = [{"interactionId": rid(n), "startTimestamp": iso(BASE + timedelta(seconds=n)), "contactId": "ct-1"}
               for n in range(1, 106)]
    response = http.post(f"/v1/tenants/{keys.id}/interactions", auth=keys.ingest, json=records)
    assert response.status_code == 200, response.text
    body = history(http, keys, "ct-1", "limit=100")
    assert body["limit"] == 100 and body["total"] == 105
    assert ids(body) == [rid(n) for n in range(105, 5, -1)]
    assert ids(history(http, keys, "ct-1", "limit=100&page=1")) == [rid(n) for n in range(5, 0, -1)]


def test_read_key_of_another_tenant_is_403(http: httpx.Client, tenant: TenantKeys,
                                           new_tenant: Callable[..., TenantKeys]) -> None:
    other = new_tenant()
    response = http.get(f"/v1/tenants/{tenant.id}/contacts/{CONTACT}/interactions", auth=other.read)
    assert response.status_code == 403, response.text
    assert response.json()["code"] == "forbidden"
