"""End to end, over HTTP on loopback: the seed's request and every semantic of the search."""

from __future__ import annotations

import json
from typing import Any

import pytest

from support.servers import LiveServer
from support.tenants import TenantKeys

SEED_QUERY = "startTimeRange=2017-12-29T14:00:00.000Z&endTimeRange=2017-12-29T24:00:00.000Z"
WHOLE_SAMPLE = {"startTimeRange": "2017-01-01T00:00:00Z", "endTimeRange": "2019-01-01T00:00:00Z"}


def search(server: LiveServer, keys: TenantKeys, params: dict[str, Any] | str = "") -> Any:
    with server.client(keys.read) as client:
        if isinstance(params, str):
            response = client.get(f"/v1/tenants/{keys.id}/interactions?{params}")
        else:
            response = client.get(f"/v1/tenants/{keys.id}/interactions", params=params)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("application/json")
    return response.json()


def ids(body: Any) -> list[str]:
    return [record["interactionId"] for record in body["results"]]


def test_the_seed_request_verbatim(live_server: LiveServer, seed_tenant: TenantKeys, sample: dict) -> None:
    body = search(live_server, seed_tenant, SEED_QUERY)
    assert list(body)[:8] == ["page", "limit", "offset", "tenantId", "total", "tenantName", "tenantTimezone",
                              "results"], "the seed's envelope, in its order"
    assert list(body)[8:] == ["timeField", "sort", "window", "next", "nextUrl"], "what cxreport adds, after it"
    assert body["timeField"] == "startTimestamp" and body["sort"] == "desc"
    assert body["window"] == {"start": "2017-12-29T14:00:00.000Z", "end": "2017-12-30T00:00:00.000Z"}
    assert body["next"] is None and body["nextUrl"] is None
    assert body["page"] is None
    assert body["limit"] == 10
    assert body["offset"] == 0
    assert body["tenantId"] == "2336d1ec-c956-47e1-b3b1-fe8fde81b2b4"
    assert body["tenantName"] == "Your Tenant"
    assert body["tenantTimezone"] == "US/Eastern"
    expected = [r for r in sample["results"] if "2017-12-29T14:00:00" <= r["startTimestamp"] < "2017-12-30"]
    assert [r["interactionId"] for r in expected] == ["e6952d50-eca3-11e7-ba92-25b49e03c3e7"]
    assert body["total"] == 1
    assert body["results"] == expected


def test_whole_sample_in_the_samples_order_and_equal(live_server: LiveServer, seed_tenant: TenantKeys,
                                                     sample: dict) -> None:
    body = search(live_server, seed_tenant, WHOLE_SAMPLE)
    assert body["total"] == 10
    assert body["results"] == sample["results"]
    assert [list(r) for r in body["results"]] == [list(r) for r in sample["results"]], "key order is kept"


def test_numbers_keep_their_written_form(live_server: LiveServer, seed_tenant: TenantKeys) -> None:
    with live_server.client(seed_tenant.read) as client:
        text = client.get(f"/v1/tenants/{seed_tenant.id}/interactions", params=WHOLE_SAMPLE).text
    for written in ('"customerAbandonTime":25.012,', '"queueAbandonTime":15.74,', '"segmentTime":8705.08}',
                    '"queueTime":1783.25,', '"agentHandleTime":133.3,'):
        assert written in text


@pytest.mark.parametrize(
    ("start", "end", "expected"),
    [
        # the window is half-open: [start, end)
        ("2017-12-29T14:23:57.471Z", "2017-12-29T14:23:57.472Z", 1),
        ("2017-12-29T14:23:57.472Z", "2017-12-30T00:00:00Z", 0),
        ("2017-12-29T14:00:00.000Z", "2017-12-29T14:23:57.471Z", 0),
        ("2017-12-29T14:23:57.4709999Z", "2017-12-29T14:23:57.471001Z", 1),
        # offsets: 09:23:57.471-05:00 is 14:23:57.471Z
        ("2017-12-29T09:23:57.471-05:00", "2017-12-29T09:23:57.472-05:00", 1),
        ("2017-12-29T15:23:57.471+0100", "2017-12-29T15:23:57.472+01", 1),
        # no zone means UTC; short forms without seconds
        ("2017-12-29T14:23", "2017-12-29T14:24", 1),
        ("2017-12-29T14:23Z", "2017-12-29T14:24Z", 1),
        ("2017-12-29T14:24Z", "2017-12-29T14:25Z", 0),
        # 24:00 is the end of that day
        ("2017-12-29", "2017-12-29T24:00:00.000Z", 1),
        ("2017-12-29T24:00:00Z", "2017-12-31", 0),
        ("2017-12-28T00:00Z", "2017-12-28T24:00Z", 0),
    ],
)
def test_window_bounds_and_time_formats(live_server: LiveServer, seed_tenant: TenantKeys, start: str, end: str,
                                        expected: int) -> None:
    body = search(live_server, seed_tenant, {"startTimeRange": start, "endTimeRange": end})
    assert body["total"] == expected
    assert len(body["results"]) == expected


def test_aliases_start_and_end(live_server: LiveServer, seed_tenant: TenantKeys) -> None:
    body = search(live_server, seed_tenant, {"start": "2017-12-29T14:00Z", "end": "2017-12-29T24:00Z"})
    assert ids(body) == ["e6952d50-eca3-11e7-ba92-25b49e03c3e7"]


def test_either_bound_may_be_absent(live_server: LiveServer, seed_tenant: TenantKeys, sample: dict) -> None:
    all_ids = [r["interactionId"] for r in sample["results"]]
    assert ids(search(live_server, seed_tenant, {"limit": 100})) == all_ids
    after = search(live_server, seed_tenant, {"startTimeRange": "2017-12-07T00:00Z"})
    assert ids(after) == all_ids[:3]
    before = search(live_server, seed_tenant, {"endTimeRange": "2017-12-05T17:51:11.226Z", "limit": 100})
    assert ids(before) == all_ids[-2:]


def test_unencoded_plus_in_an_offset_is_read_as_plus(live_server: LiveServer, seed_tenant: TenantKeys) -> None:
    body = search(live_server, seed_tenant, "startTimeRange=2017-12-29T15:00+01:00&endTimeRange=2017-12-30T01:00+01:00")
    assert ids(body) == ["e6952d50-eca3-11e7-ba92-25b49e03c3e7"]


def test_paging_by_page_and_by_offset(live_server: LiveServer, seed_tenant: TenantKeys, sample: dict) -> None:
    all_ids = [r["interactionId"] for r in sample["results"]]
    pages = [search(live_server, seed_tenant, {"limit": 3, "page": page}) for page in range(4)]
    assert [body["page"] for body in pages] == [0, 1, 2, 3]
    assert [body["offset"] for body in pages] == [0, 3, 6, 9]
    assert all(body["limit"] == 3 and body["total"] == 10 for body in pages)
    assert [i for body in pages for i in ids(body)] == all_ids
    by_offset = search(live_server, seed_tenant, {"limit": 4, "offset": 5})
    assert by_offset["page"] is None and by_offset["offset"] == 5
    assert ids(by_offset) == all_ids[5:9]
    past_the_end = search(live_server, seed_tenant, {"limit": 5, "page": 7})
    assert past_the_end["results"] == [] and past_the_end["total"] == 10 and past_the_end["offset"] == 35


def test_real_clients_oldest_page_request(live_server: LiveServer, seed_tenant: TenantKeys) -> None:
    """A real desktop client asks page = floor(total / limit) to reach the oldest records."""
    body = search(live_server, seed_tenant, {"limit": 4, "page": 10 // 4})
    assert ids(body) == ["61b4b030-d9e1-11e7-9c4e-7eab04d876eb", "9776ff80-d9d1-11e7-bf9b-9440dab83f25"]


def test_limit_zero_returns_only_the_total(live_server: LiveServer, seed_tenant: TenantKeys) -> None:
    body = search(live_server, seed_tenant, {"limit": 0})
    assert body["total"] == 10 and body["results"] == []


def test_default_and_maximum_limit(live_server: LiveServer, seed_tenant: TenantKeys) -> None:
    assert search(live_server, seed_tenant)["limit"] == 10
    assert search(live_server, seed_tenant, {"limit": 1000})["limit"] == 1000


def test_ties_are_broken_by_interaction_id_descending(live_server: LiveServer, sample_tenant: TenantKeys) -> None:
    same_start = "2020-01-01T00:00:00.000Z"
    tied = ["00000000-0000-4000-8000-00000000000" + str(n) for n in (3, 1, 2)]
    with live_server.client(sample_tenant.ingest) as client:
        records = [{"interactionId": i, "startTimestamp": same_start} for i in tied]
        assert client.post(f"/v1/tenants/{sample_tenant.id}/interactions", json=records).status_code == 200
    body = search(live_server, sample_tenant, {"startTimeRange": "2020-01-01T00:00Z"})
    assert ids(body) == sorted(tied, reverse=True)
    for limit in (1, 2):
        walked = [i for page in range(3 // limit + 1)
                  for i in ids(search(live_server, sample_tenant,
                                      {"startTimeRange": "2020-01-01T00:00Z", "limit": limit, "page": page}))]
        assert walked == sorted(tied, reverse=True)


def test_nulls_left_out_unless_asked(live_server: LiveServer, sample_tenant: TenantKeys) -> None:
    record = {"interactionId": "11111111-1111-4111-8111-111111111111", "startTimestamp": "2021-05-05T10:00:00Z",
              "endTimestamp": None, "customer": "+15550001111", "queues": [{"queueId": None, "queueName": "Q"}],
              "csat": None, "list": [None, 1]}
    with live_server.client(sample_tenant.ingest) as client:
        assert client.post(f"/v1/tenants/{sample_tenant.id}/interactions", json=record).status_code == 200
    window = {"startTimeRange": "2021-05-05T00:00Z", "endTimeRange": "2021-05-06T00:00Z"}
    default = search(live_server, sample_tenant, window)["results"][0]
    assert default == {"interactionId": record["interactionId"], "startTimestamp": "2021-05-05T10:00:00Z",
                       "customer": "+15550001111", "queues": [{"queueName": "Q"}], "list": [None, 1]}
    for spelling in ("includenulls", "includeNulls"):
        kept = search(live_server, sample_tenant, {**window, spelling: "true"})["results"][0]
        assert kept == record
        assert list(kept) == list(record)
    assert search(live_server, sample_tenant, {**window, "includenulls": "false"})["results"][0] == default


def test_unknown_fields_are_preserved(live_server: LiveServer, sample_tenant: TenantKeys) -> None:
    record = {"interactionId": "22222222-2222-4222-8222-222222222222", "startTimestamp": "2021-06-01T08:00:00.5Z",
              "futureStatistic": {"nested": [1.50, "x", True]}, "bigNumber": 123456789012345678901234567890,
              "exp": 1.5e300}
    text = ('{"interactionId":"22222222-2222-4222-8222-222222222222","startTimestamp":"2021-06-01T08:00:00.5Z",'
            '"futureStatistic":{"nested":[1.50,"x",true]},"bigNumber":123456789012345678901234567890,"exp":1.5E+300}')
    with live_server.client(sample_tenant.ingest) as client:
        response = client.post(f"/v1/tenants/{sample_tenant.id}/interactions", content=text.encode())
        assert response.status_code == 200, response.text
    with live_server.client(sample_tenant.read) as client:
        raw = client.get(f"/v1/tenants/{sample_tenant.id}/interactions",
                         params={"startTimeRange": "2021-06-01", "endTimeRange": "2021-06-02"}).text
    assert text in raw
    assert json.loads(raw)["results"][0]["bigNumber"] == record["bigNumber"]


def test_total_counts_the_whole_window_not_the_page(live_server: LiveServer, seed_tenant: TenantKeys) -> None:
    body = search(live_server, seed_tenant, {"startTimeRange": "2017-12-05T00:00Z", "endTimeRange": "2017-12-06T00:00Z",
                                             "limit": 2})
    assert body["total"] == 7 and len(body["results"]) == 2
