"""End to end, over HTTP on loopback: ingesting records (shapes, upserts, validation, size limit) and
getting one record with its details."""

from __future__ import annotations

import copy
import json
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

import cxreport
from support.data import SEED_TENANT_ID
from support.servers import MAX_BODY_BYTES
from support.tenants import TenantKeys

SAMPLE_FILE = Path(cxreport.__file__).parent / "data" / "seed-sample-response.json"
DETAIL_FIELDS = ("endTimestamp", "interactionId", "contactPoint", "customer", "csat", "startTimestamp", "agents",
                 "direction", "contactId", "channelType")
EVERYTHING = {"startTimeRange": "1900-01-01T00:00Z", "endTimeRange": "2200-01-01T00:00Z", "limit": 1000,
              "includenulls": "true"}
ID_1 = "c0ffee00-0000-4000-8000-000000000001"
ID_2 = "c0ffee00-0000-4000-8000-000000000002"
ID_3 = "c0ffee00-0000-4000-8000-000000000003"
NO_CHANGE = {"inserted": 0, "updated": 0, "unchanged": 0}


def url(keys: TenantKeys, interaction_id: str | None = None) -> str:
    base = f"/v1/tenants/{keys.id}/interactions"
    return base if interaction_id is None else f"{base}/{interaction_id}"


def ingest(http: httpx.Client, keys: TenantKeys, body: Any = None, *, content: bytes | None = None,
           status: int = 200) -> Any:
    if content is None:
        content = json.dumps(body).encode()
    response = http.post(url(keys), content=content, auth=keys.ingest,
                         headers={"content-type": "application/json"})
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/json")
    return response.json()


def everything(http: httpx.Client, keys: TenantKeys) -> list[dict[str, Any]]:
    """Every record the tenant holds, nulls included, newest first."""
    response = http.get(url(keys), params=EVERYTHING, auth=keys.read)
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["total"] == len(body["results"])
    results: list[dict[str, Any]] = body["results"]
    return results


def get_one(http: httpx.Client, keys: TenantKeys, interaction_id: str, **params: str) -> Any:
    response = http.get(url(keys, interaction_id), params=params, auth=keys.read)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("application/json")
    return response.json()


def record(interaction_id: str = ID_1, **fields: Any) -> dict[str, Any]:
    return {"interactionId": interaction_id, "startTimestamp": "2022-02-02T10:00:00.000Z", **fields}


def sample_for(keys: TenantKeys) -> dict[str, Any]:
    """The seed sample file, every tenantId rewritten to this tenant."""
    text = SAMPLE_FILE.read_text("utf-8").replace(SEED_TENANT_ID, keys.id)
    sample: dict[str, Any] = json.loads(text)
    return sample


@pytest.fixture
def filled(http: httpx.Client, new_tenant: Callable[..., TenantKeys]) -> TenantKeys:
    """Like `sample_tenant` (a fresh tenant holding the sample's 10 records), but through this module's
    client, which is faster."""
    keys = new_tenant()
    content = SAMPLE_FILE.read_bytes().replace(SEED_TENANT_ID.encode(), keys.id.encode())
    assert ingest(http, keys, content=content) == {"inserted": 10, "updated": 0, "unchanged": 0}
    return keys


# --- body shapes -------------------------------------------------------------------------------------------


def test_one_record(http: httpx.Client, new_tenant: Callable[..., TenantKeys]) -> None:
    keys = new_tenant()
    one = record(customer="+15550000001", interactionTime=12.5)
    assert ingest(http, keys, one) == {"inserted": 1, "updated": 0, "unchanged": 0}
    assert everything(http, keys) == [one]


def test_an_array_of_records(http: httpx.Client, new_tenant: Callable[..., TenantKeys]) -> None:
    keys = new_tenant()
    batch = [record(ID_1, startTimestamp="2022-01-01T00:00:00Z"), record(ID_2, startTimestamp="2022-01-03T00:00:00Z"),
             record(ID_3, startTimestamp="2022-01-02T00:00:00Z")]
    assert ingest(http, keys, batch) == {"inserted": 3, "updated": 0, "unchanged": 0}
    assert everything(http, keys) == [batch[1], batch[2], batch[0]]


def test_an_empty_array_changes_nothing(http: httpx.Client, new_tenant: Callable[..., TenantKeys]) -> None:
    keys = new_tenant()
    assert ingest(http, keys, []) == NO_CHANGE
    assert ingest(http, keys, {"results": []}) == NO_CHANGE
    assert everything(http, keys) == []


def test_the_whole_seed_sample_file(http: httpx.Client, new_tenant: Callable[..., TenantKeys]) -> None:
    keys = new_tenant()
    sample = sample_for(keys)
    content = SAMPLE_FILE.read_bytes().replace(SEED_TENANT_ID.encode(), keys.id.encode())
    assert ingest(http, keys, content=content) == {"inserted": 10, "updated": 0, "unchanged": 0}
    stored = everything(http, keys)
    assert stored == sample["results"]
    assert [list(r) for r in stored] == [list(r) for r in sample["results"]], "key order is kept"
    # the same file again changes nothing
    assert ingest(http, keys, content=content) == {"inserted": 0, "updated": 0, "unchanged": 10}
    assert everything(http, keys) == sample["results"]


def test_an_envelope_with_only_results(http: httpx.Client, new_tenant: Callable[..., TenantKeys]) -> None:
    keys = new_tenant()
    assert ingest(http, keys, {"results": [record(ID_1), record(ID_2)]})["inserted"] == 2
    assert {r["interactionId"] for r in everything(http, keys)} == {ID_1, ID_2}


# --- upserts -----------------------------------------------------------------------------------------------


def test_upsert_by_interaction_id(http: httpx.Client, sample_tenant: TenantKeys) -> None:
    keys = sample_tenant
    sample = sample_for(keys)["results"]
    assert ingest(http, keys, sample) == {"inserted": 0, "updated": 0, "unchanged": 10}
    changed = copy.deepcopy(sample)
    changed[3]["customer"] = "+15559999999"
    changed[3]["segments"][0]["segmentTime"] = 1.25
    changed[7]["csat"] = 4
    del changed[8]["direction"]
    new = record(ID_1, startTimestamp="2018-06-01T00:00:00Z")
    assert ingest(http, keys, [*changed, new]) == {"inserted": 1, "updated": 3, "unchanged": 7}
    stored = {r["interactionId"]: r for r in everything(http, keys)}
    assert len(stored) == 11
    for version in [*changed, new]:
        assert stored[version["interactionId"]] == version
        assert get_one(http, keys, version["interactionId"])["details"] == {
            name: version[name] for name in DETAIL_FIELDS if name in version
        }
    assert "direction" not in get_one(http, keys, changed[8]["interactionId"])


def test_an_update_may_move_the_start_time(http: httpx.Client, new_tenant: Callable[..., TenantKeys]) -> None:
    keys = new_tenant()
    ingest(http, keys, record(ID_1, startTimestamp="2022-01-01T00:00:00Z"))
    moved = record(ID_1, startTimestamp="2023-05-05T00:00:00Z", customer="moved")
    assert ingest(http, keys, moved) == {"inserted": 0, "updated": 1, "unchanged": 0}
    old_window = http.get(url(keys), params={"startTimeRange": "2022-01-01", "endTimeRange": "2022-01-02"},
                          auth=keys.read).json()
    new_window = http.get(url(keys), params={"startTimeRange": "2023-05-05", "endTimeRange": "2023-05-06"},
                          auth=keys.read).json()
    assert old_window["total"] == 0
    assert new_window["total"] == 1 and new_window["results"] == [moved]


def test_the_same_id_twice_in_one_batch_last_wins(http: httpx.Client,
                                                  new_tenant: Callable[..., TenantKeys]) -> None:
    keys = new_tenant()
    first, second = record(ID_1, customer="first"), record(ID_1, customer="second", csat=5)
    assert ingest(http, keys, [first, second]) == {"inserted": 1, "updated": 0, "unchanged": 0}
    assert everything(http, keys) == [second]
    assert get_one(http, keys, ID_1)["customer"] == "second"
    result = ingest(http, keys, [second, record(ID_2), first])
    assert result == {"inserted": 1, "updated": 1, "unchanged": 0}
    assert get_one(http, keys, ID_1)["customer"] == "first"
    assert "csat" not in get_one(http, keys, ID_1)


def test_upper_case_ids_are_the_same_record(http: httpx.Client, new_tenant: Callable[..., TenantKeys]) -> None:
    keys = new_tenant()
    ingest(http, keys, record(ID_1, customer="lower"))
    assert ingest(http, keys, record(ID_1.upper(), customer="upper")) == {"inserted": 0, "updated": 1,
                                                                           "unchanged": 0}
    assert len(everything(http, keys)) == 1
    assert get_one(http, keys, ID_1)["customer"] == "upper"


def test_records_are_per_tenant(http: httpx.Client, new_tenant: Callable[..., TenantKeys]) -> None:
    one, other = new_tenant(), new_tenant()
    ingest(http, one, record(ID_1, customer="one"))
    assert ingest(http, other, record(ID_1, customer="other")) == {"inserted": 1, "updated": 0, "unchanged": 0}
    assert get_one(http, one, ID_1)["customer"] == "one"
    assert get_one(http, other, ID_1)["customer"] == "other"


def test_a_matching_tenant_id_is_accepted(http: httpx.Client, new_tenant: Callable[..., TenantKeys]) -> None:
    keys = new_tenant()
    batch = [record(ID_1, tenantId=keys.id), record(ID_2, tenantId=keys.id.upper()), record(ID_3)]
    assert ingest(http, keys, batch)["inserted"] == 3


# --- validation --------------------------------------------------------------------------------------------

GOOD = record(ID_2)
BAD_RECORDS: dict[str, tuple[Any, str]] = {
    # name: (the bad record, the field path its message must name)
    "interactionId not a UUID": (record("not-a-uuid"), "$.interactionId"),
    "interactionId a UUID without dashes": (record(ID_1.replace("-", "")), "$.interactionId"),
    "interactionId a number": (record(12345), "$.interactionId"),
    "interactionId null": (record(None), "$.interactionId"),
    "interactionId missing": ({"startTimestamp": "2022-02-02T10:00:00Z"}, "$.interactionId"),
    "startTimestamp impossible date": (record(startTimestamp="2017-02-30"), "$.startTimestamp"),
    "startTimestamp impossible hour": (record(startTimestamp="2017-12-29T25:00"), "$.startTimestamp"),
    "startTimestamp impossible minute": (record(startTimestamp="2017-12-29T10:60Z"), "$.startTimestamp"),
    "startTimestamp impossible offset": (record(startTimestamp="2017-12-29T10:00+25:00"), "$.startTimestamp"),
    "startTimestamp words": (record(startTimestamp="yesterday"), "$.startTimestamp"),
    "startTimestamp empty": (record(startTimestamp=""), "$.startTimestamp"),
    "startTimestamp epoch number": (record(startTimestamp=1514556237471), "$.startTimestamp"),
    "startTimestamp null": (record(startTimestamp=None), "$.startTimestamp"),
    "startTimestamp missing": ({"interactionId": ID_1}, "$.startTimestamp"),
    "endTimestamp impossible": (record(endTimestamp="2017-02-30T00:00:00Z"), "$.endTimestamp"),
    "endTimestamp words": (record(endTimestamp="later"), "$.endTimestamp"),
    "endTimestamp number": (record(endTimestamp=1514556237471), "$.endTimestamp"),
    "segments an object": (record(segments={"segmentNumber": 0}), "$.segments"),
    "segments a string": (record(segments="none"), "$.segments"),
    "segments of numbers": (record(segments=[1]), "$.segments[0]"),
    "queues of strings": (record(queues=["Support"]), "$.queues[0]"),
    "agents of arrays": (record(agents=[[]]), "$.agents[0]"),
    "second agent not an object": (record(agents=[{"agentName": "A"}, "B"]), "$.agents[1]"),
    "statistic a string": (record(interactionTime="25.017"), "$.interactionTime"),
    "statistic a boolean": (record(ivrTime=True), "$.ivrTime"),
    "count a fraction": (record(customerHolds=1.5), "$.customerHolds"),
    "nested statistic a string": (record(agents=[{"agentHandleTime": "133.3"}]), "$.agents[0].agentHandleTime"),
    "queue time an object": (record(queues=[{"queueTime": {}}]), "$.queues[0].queueTime"),
    "flag a string": (record(flagged="true"), "$.flagged"),
    "flag a number": (record(flagged=1), "$.flagged"),
    "nested flag a string": (record(segments=[{"transfer": "no"}]), "$.segments[0].transfer"),
    "nested time impossible": (record(queues=[{"startTimestamp": "2017-13-01T00:00Z"}]),
                               "$.queues[0].startTimestamp"),
    "tenantId of another tenant": (record(tenantId="2336d1ec-c956-47e1-b3b1-fe8fde81b2b4"), "$.tenantId"),
    "tenantId not a string": (record(tenantId=7), "$.tenantId"),
    "record a number": (5, "$"),
    "record an array": ([record()], "$"),
    "record a string": ("record", "$"),
    "record null": (None, "$"),
}


def assert_rejected(body: Any, positions: list[int]) -> list[dict[str, Any]]:
    assert set(body) <= {"status", "code", "message", "errors", "parameter"}
    assert body["status"] == 400 and body["code"] == "invalid_record"
    assert isinstance(body["message"], str) and body["message"]
    errors: list[dict[str, Any]] = body["errors"]
    assert [error["position"] for error in errors] == positions
    for error in errors:
        assert set(error) == {"position", "message"}
        assert isinstance(error["message"], str) and error["message"]
    return errors


@pytest.mark.parametrize("case", list(BAD_RECORDS))
def test_an_invalid_record_rejects_the_whole_batch(http: httpx.Client, filled: TenantKeys,
                                                   case: str) -> None:
    bad, path = BAD_RECORDS[case]
    keys = filled
    before = everything(http, keys)
    batch = [GOOD, bad, record(ID_3)]
    errors = assert_rejected(ingest(http, keys, batch, status=400), [1])
    if path != "$":
        assert path in errors[0]["message"], errors[0]["message"]
    assert everything(http, keys) == before, "nothing of the batch was stored"
    # alone, as the whole body, it is rejected the same way (and as the only record: position 0)
    if isinstance(bad, dict):
        errors = assert_rejected(ingest(http, keys, bad, status=400), [0])
        if path != "$":
            assert path in errors[0]["message"]
        assert everything(http, keys) == before


def test_every_bad_record_is_listed(http: httpx.Client, filled: TenantKeys) -> None:
    keys = filled
    before = everything(http, keys)
    batch = [
        record(startTimestamp="2017-02-30"),
        GOOD,
        record(ID_3, flagged="yes"),
        record("nope"),
        record(ID_3, agents=[{"agentHandleTime": "x"}]),
    ]
    body = ingest(http, keys, batch, status=400)
    errors = assert_rejected(body, [0, 2, 3, 4])
    for error, path in zip(errors, ["$.startTimestamp", "$.flagged", "$.interactionId",
                                    "$.agents[0].agentHandleTime"], strict=True):
        assert path in error["message"]
    assert everything(http, keys) == before
    # the good record alone goes in
    assert ingest(http, keys, [GOOD]) == {"inserted": 1, "updated": 0, "unchanged": 0}


def test_a_bad_update_leaves_the_stored_version(http: httpx.Client, filled: TenantKeys) -> None:
    keys = filled
    target = sample_for(keys)["results"][0]
    broken = {**target, "customer": "changed", "ivrTime": "slow"}
    body = ingest(http, keys, [{**sample_for(keys)["results"][1], "customer": "also changed"}, broken], status=400)
    assert assert_rejected(body, [1])[0]["message"].count("$.ivrTime") == 1
    assert get_one(http, keys, target["interactionId"])["customer"] == target["customer"]
    assert get_one(http, keys, sample_for(keys)["results"][1]["interactionId"])["customer"] != "also changed"


def test_a_rejected_envelope_stores_nothing(http: httpx.Client, new_tenant: Callable[..., TenantKeys]) -> None:
    keys = new_tenant()
    sample = sample_for(keys)
    sample["results"][6]["segments"][0]["segmentTime"] = "long"
    body = ingest(http, keys, sample, status=400)
    assert "$.segments[0].segmentTime" in assert_rejected(body, [6])[0]["message"]
    assert everything(http, keys) == []


def test_nulls_are_allowed_where_a_field_is_optional(http: httpx.Client,
                                                     new_tenant: Callable[..., TenantKeys]) -> None:
    keys = new_tenant()
    nullable = record(endTimestamp=None, segments=None, queues=[{"queueTime": None, "queueAbandoned": None}],
                      agents=None, flagged=None, interactionTime=None, tenantId=None)
    assert ingest(http, keys, nullable)["inserted"] == 1
    assert everything(http, keys) == [nullable]


@pytest.mark.parametrize(
    "content",
    [b"{nope", b"", b"   ", b"[1,", b"{\"interactionId\": \"x\",}", b"\xff\xfe\x00", b"null", b"42", b"\"a\"",
     b"true", b"[]]", b"{} {}", b"{\"results\": 5}", b"{\"results\": {}}"],
    ids=["malformed", "empty", "blank", "truncated", "trailing comma", "not utf-8", "null", "number", "string",
         "boolean", "extra bracket", "two documents", "results a number", "results an object"],
)
def test_a_body_that_is_not_json_records_is_invalid_body(http: httpx.Client, filled: TenantKeys,
                                                         content: bytes) -> None:
    keys = filled
    body = ingest(http, keys, content=content, status=400)
    assert set(body) <= {"status", "code", "message", "parameter"}
    assert body["status"] == 400 and body["code"] == "invalid_body" and body["message"]
    assert len(everything(http, keys)) == 10


@pytest.mark.parametrize("where", ["whole body", "in a record", "in an envelope"])
@pytest.mark.parametrize("depth", [2_000, 100_000])
def test_deeply_nested_json_is_a_400(http: httpx.Client, filled: TenantKeys, depth: int, where: str) -> None:
    """JSON nested deeper than the parser takes is the client's error (400), not the server's (500)."""
    keys = filled
    nested = b"[" * depth + b"]" * depth
    content = {
        "whole body": nested,
        "in a record": b'{"interactionId": "' + ID_1.encode() + b'", "startTimestamp": "2022-01-01", "x": '
                       + nested + b"}",
        "in an envelope": b'{"results": [' + nested + b"]}",
    }[where]
    response = http.post(url(keys), content=content, auth=keys.ingest)
    assert response.status_code == 400, response.text
    body = response.json()
    assert body["status"] == 400 and body["code"] in ("invalid_body", "invalid_record") and body["message"]
    assert len(everything(http, keys)) == 10


# --- size limit --------------------------------------------------------------------------------------------


def big_batch(size: int, first: int = 0) -> bytes:
    """A JSON array of valid records, just over `size` bytes."""
    records: list[bytes] = []
    total, n = 2, first
    pad = "x" * 4000
    while total <= size:
        one = json.dumps(record(f"0b16b16b-0000-4000-8000-{n:012d}", padding=pad)).encode()
        records.append(one)
        total += len(one) + 1
        n += 1
    return b"[" + b",".join(records) + b"]"


def assert_too_large(response: httpx.Response) -> None:
    assert response.status_code == 413, response.text
    assert response.headers["content-type"].startswith("application/json")
    body = response.json()
    assert set(body) <= {"status", "code", "message"}
    assert body["status"] == 413 and body["code"] == "payload_too_large" and body["message"]


def test_a_body_over_the_limit_is_413_and_stores_nothing(http: httpx.Client,
                                                         new_tenant: Callable[..., TenantKeys]) -> None:
    keys = new_tenant()
    content = big_batch(MAX_BODY_BYTES)
    assert MAX_BODY_BYTES < len(content) < MAX_BODY_BYTES + 8000
    assert_too_large(http.post(url(keys), content=content, auth=keys.ingest))
    assert everything(http, keys) == []


def test_a_chunked_body_over_the_limit_is_413(http: httpx.Client, new_tenant: Callable[..., TenantKeys]) -> None:
    keys = new_tenant()
    content = big_batch(MAX_BODY_BYTES)

    def chunks() -> Iterator[bytes]:
        for start in range(0, len(content), 65536):
            yield content[start:start + 65536]

    assert_too_large(http.post(url(keys), content=chunks(), auth=keys.ingest))
    assert everything(http, keys) == []


def test_a_body_under_the_limit_is_accepted(http: httpx.Client, new_tenant: Callable[..., TenantKeys]) -> None:
    keys = new_tenant()
    content = big_batch(MAX_BODY_BYTES - 10_000)
    assert len(content) <= MAX_BODY_BYTES
    count = content.count(b'"interactionId"')
    assert ingest(http, keys, content=content) == {"inserted": count, "updated": 0, "unchanged": 0}
    assert http.get(url(keys), params={"limit": 0}, auth=keys.read).json()["total"] == count


# --- get one -----------------------------------------------------------------------------------------------


def test_get_returns_the_record_and_its_details(http: httpx.Client, filled: TenantKeys) -> None:
    sample = sample_for(filled)["results"]
    for expected in sample:
        body = get_one(http, filled, expected["interactionId"])
        details = body.pop("details")
        assert body == expected
        assert list(body) == list(expected), "key order is kept"
        assert set(details) == {name for name in DETAIL_FIELDS if name in expected}
        assert details == {name: expected[name] for name in DETAIL_FIELDS if name in expected}


def test_details_of_a_record_with_every_detail_field(http: httpx.Client,
                                                     new_tenant: Callable[..., TenantKeys]) -> None:
    keys = new_tenant()
    full = record(ID_1, endTimestamp="2022-02-02T10:05:00.000Z", contactPoint="+15550000002",
                  customer="+15550000003", csat=4.5, agents=[{"agentName": "Ann", "agentTalkTime": 12.25}],
                  direction="outbound", contactId="contact-1", channelType="voice", flowName="Basic Flow",
                  segments=[{"segmentNumber": 0}])
    ingest(http, keys, full)
    body = get_one(http, keys, ID_1)
    assert body["details"] == {name: full[name] for name in DETAIL_FIELDS}
    assert {key: value for key, value in body.items() if key != "details"} == full


def test_details_of_a_minimal_record(http: httpx.Client, new_tenant: Callable[..., TenantKeys]) -> None:
    keys = new_tenant()
    ingest(http, keys, record(ID_2))
    assert get_one(http, keys, ID_2) == {**record(ID_2), "details": record(ID_2)}


def test_details_and_nulls(http: httpx.Client, new_tenant: Callable[..., TenantKeys]) -> None:
    keys = new_tenant()
    with_nulls = record(ID_1, csat=None, customer=None, direction="inbound")
    ingest(http, keys, with_nulls)
    default = get_one(http, keys, ID_1)
    assert default == {**record(ID_1, direction="inbound"), "details": record(ID_1, direction="inbound")}
    kept = get_one(http, keys, ID_1, includeNulls="true")
    assert kept == {**with_nulls, "details": with_nulls}


def test_get_finds_an_upper_case_id(http: httpx.Client, filled: TenantKeys) -> None:
    expected = sample_for(filled)["results"][4]
    body = get_one(http, filled, expected["interactionId"].upper())
    assert body["interactionId"] == expected["interactionId"]
    body.pop("details")
    assert body == expected


@pytest.mark.parametrize("unknown", ["00000000-0000-4000-8000-000000000000",
                                     "e6952d50-eca3-11e7-ba92-25b49e03c3e8"])
def test_get_an_unknown_id_is_404(http: httpx.Client, filled: TenantKeys, unknown: str) -> None:
    response = http.get(url(filled, unknown), auth=filled.read)
    assert response.status_code == 404, response.text
    body = response.json()
    assert body["status"] == 404 and body["code"] == "not_found" and body["message"]
    assert "parameter" not in body


def test_get_an_id_of_another_tenant_is_404(http: httpx.Client, filled: TenantKeys,
                                            new_tenant: Callable[..., TenantKeys]) -> None:
    other = new_tenant()
    existing = sample_for(filled)["results"][0]["interactionId"]
    response = http.get(url(other, existing), auth=other.read)
    assert response.status_code == 404 and response.json()["code"] == "not_found"
    assert filled.id not in response.text


@pytest.mark.parametrize(
    "malformed",
    ["not-a-uuid", "e6952d50eca311e7ba9225b49e03c3e7", "e6952d50-eca3-11e7-ba92-25b49e03c3e7x",
     "{e6952d50-eca3-11e7-ba92-25b49e03c3e7}", "e6952d50-eca3-11e7-ba92-25b49e03c3eg", "%20", "1"],
)
def test_get_a_malformed_id_is_400(http: httpx.Client, filled: TenantKeys, malformed: str) -> None:
    response = http.get(url(filled, malformed), auth=filled.read)
    assert response.status_code == 400, response.text
    body = response.json()
    assert body["status"] == 400 and body["code"] == "invalid_parameter"
    assert body["parameter"] == "interactionId"
