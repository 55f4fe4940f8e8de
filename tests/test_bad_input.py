"""End to end, over HTTP on loopback: a corpus of malformed and hostile input. Each gets a 4xx with the
documented `code` (naming the parameter where one is at fault), never a 5xx, and nothing of a rejected
request is stored."""

from __future__ import annotations

import base64
import json
import uuid
from dataclasses import dataclass
from typing import Any

import httpx
import pytest

from support.servers import MAX_BODY_BYTES, LiveServer
from support.tenants import TenantKeys, make_tenant_keys

RECORD_ID = "b0b0b0b0-0000-4000-8000-000000000001"
EVENT_INTERACTION_ID = "b0b0b0b0-0000-4000-8000-000000000002"
START = "2019-05-06T07:08:09.000Z"
NUL = "\x00"


@dataclass(frozen=True)
class Target:
    """A tenant holding one record, one interaction derived from an event, one SLA definition, and a cursor
    of its own search."""

    keys: TenantKeys
    sla_id: str
    cursor: str

    @property
    def base(self) -> str:
        return f"/v1/tenants/{self.keys.id}"


def _ok(response: httpx.Response) -> Any:
    assert response.status_code in (200, 201), response.text
    return response.json()


@pytest.fixture(scope="module")
def target(http: httpx.Client, live_server: LiveServer) -> Target:
    keys = make_tenant_keys(live_server.store)
    base = f"/v1/tenants/{keys.id}"
    _ok(http.post(f"{base}/interactions", auth=keys.ingest, json=[
        {"interactionId": RECORD_ID, "startTimestamp": START, "customer": "+15550001"},
        {"interactionId": str(uuid.uuid4()), "startTimestamp": "2019-05-06T08:00:00.000Z"},
    ]))
    _ok(http.post(f"{base}/events", auth=keys.ingest, json={
        "type": "interaction-started", "eventId": "e-1", "interactionId": EVENT_INTERACTION_ID,
        "timestamp": "2019-05-06T09:00:00.000Z", "channelType": "voice", "direction": "inbound",
        "customer": "+15550002", "contactPoint": "+15550003", "flowId": "f-1", "flowName": "Flow",
    }))
    sla = _ok(http.post(f"{base}/slas", auth=keys.admin, json={"name": "default", "slaThreshold": 30}))
    page = _ok(http.get(f"{base}/interactions?limit=1", auth=keys.read))
    assert page["next"]
    return Target(keys, sla["slaId"], page["next"])


def snapshot(http: httpx.Client, target: Target) -> dict[str, Any]:
    """What the tenant holds, as the API shows it: a rejected request must leave all of it unchanged."""
    read = target.keys.read
    return {
        "interactions": _ok(http.get(f"{target.base}/interactions?limit=0", auth=read))["total"],
        "events": _ok(http.get(f"{target.base}/interactions/{EVENT_INTERACTION_ID}/reporting-events",
                               auth=read))["results"],
        "record": _ok(http.get(f"{target.base}/interactions/{RECORD_ID}", auth=read)),
        "slas": _ok(http.get(f"{target.base}/slas", auth=read)),
        "keys": _ok(http.get(f"{target.base}/api-keys", auth=target.keys.admin)),
    }


def assert_rejected(response: httpx.Response, status: int, code: str, parameter: str | None = None) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].split(";")[0] == "application/json"
    body: dict[str, Any] = response.json()
    assert body["status"] == status and body["code"] == code, body
    if parameter is not None:
        assert body.get("parameter") == parameter, body
        assert parameter in body["message"], body
    return body


# --- query parameters --------------------------------------------------------------------------------------

BAD_TIMES = [
    "garbage", "", " ", "NaN", "nan", "Infinity", "-1", str(10**30), "1514556237471",
    "99999-01-01T00:00:00Z", "10000-01-01T00:00Z", "0000-01-01T00:00Z", "9999-12-31T24:00:00Z",
    "0001-01-01T00:00:00+14:00", "9999-12-31T23:59:59-14:00", "2017-13-01", "2017-02-30", "2017-12-29T14:00:00Z" + NUL,
    "２０１７-12-29T14:00Z", "2017-12-29T14:00:00.000Zjunk", "2017-12-29T14:00:00+99:99", "x" * 5_000,
]
TIME_PARAMETERS = ["startTimeRange", "endTimeRange", "start", "end"]


@pytest.mark.parametrize("value", BAD_TIMES, ids=range(len(BAD_TIMES)))
@pytest.mark.parametrize("parameter", TIME_PARAMETERS)
def test_bad_times(http: httpx.Client, target: Target, parameter: str, value: str) -> None:
    for route in ("interactions", "interactions/export"):
        response = http.get(f"{target.base}/{route}", params={parameter: value}, auth=target.keys.read)
        assert_rejected(response, 400, "invalid_parameter", parameter)


BAD_NUMBERS = ["-1", "1.5", "1.0", "1e3", "0x10", "0b1", "1_0", str(10**30), "-" + str(10**30), "NaN", "inf", "",
               " ", "١٠", "1" + NUL, "ten"]


@pytest.mark.parametrize("value", BAD_NUMBERS, ids=range(len(BAD_NUMBERS)))
@pytest.mark.parametrize("parameter", ["limit", "page", "offset"])
def test_bad_numbers(http: httpx.Client, target: Target, parameter: str, value: str) -> None:
    for route in ("interactions", "contacts/c-1/interactions"):
        response = http.get(f"{target.base}/{route}", params={parameter: value}, auth=target.keys.read)
        assert_rejected(response, 400, "invalid_parameter", parameter)


@pytest.mark.parametrize(("query", "parameter"), [
    ({"limit": "1001"}, "limit"), ({"page": str(10**9 + 1), "limit": "1"}, "page"),
    ({"offset": str(10**9 + 1)}, "offset"), ({"page": "3", "offset": "7"}, "page"),
])
def test_numbers_out_of_range(http: httpx.Client, target: Target, query: dict[str, str], parameter: str) -> None:
    response = http.get(f"{target.base}/interactions", params=query, auth=target.keys.read)
    body = assert_rejected(response, 400, "invalid_parameter")
    assert body["parameter"] in (parameter, "offset") and body["parameter"] in body["message"]


def test_contact_limit_over_100(http: httpx.Client, target: Target) -> None:
    response = http.get(f"{target.base}/contacts/c-1/interactions?limit=101", auth=target.keys.read)
    assert_rejected(response, 400, "invalid_parameter", "limit")


@pytest.mark.parametrize("value", ["a" + NUL, NUL, " , ", ",", "x" * 1001, ",".join(["v"] * 101)],
                         ids=["nul", "only nul", "blank", "comma", "long", "many"])
@pytest.mark.parametrize("parameter", ["customer", "channelType", "hookId", "agentId"])
def test_bad_filter_values(http: httpx.Client, target: Target, parameter: str, value: str) -> None:
    response = http.get(f"{target.base}/interactions", params={parameter: value}, auth=target.keys.read)
    assert_rejected(response, 400, "invalid_parameter", parameter)


def test_a_filter_combination_too_large(http: httpx.Client, target: Target) -> None:
    """hookType × hookSubType × hookId is a cross product: 100 values each would be a million combinations."""
    many = ",".join(f"v{i}" for i in range(100))
    response = http.get(f"{target.base}/interactions", params={"hookType": many, "hookSubType": many,
                                                                  "hookId": many}, auth=target.keys.read)
    body = assert_rejected(response, 400, "invalid_parameter")
    assert body["parameter"] in ("hookType", "hookSubType", "hookId")


@pytest.mark.parametrize("parameter", ["customer", "hookId", "hookType", "agentId", "attribute-value", "hookName"])
def test_the_facet_separator_is_refused_in_filter_values(http: httpx.Client, target: Target, parameter: str) -> None:
    params = {parameter: "a\x1fb"}
    if parameter in ("attribute-value", "hookName"):
        params = {"hookName": "tier", "attribute-value": "gold", **params}
    response = http.get(f"{target.base}/interactions", params=params, auth=target.keys.read)
    body = assert_rejected(response, 400, "invalid_parameter", parameter)
    assert "U+001F" in body["message"]


def test_too_many_attribute_pairs(http: httpx.Client, target: Target) -> None:
    """Each different pair is a probe of its own: at most 10 a query (the same pair repeated counts once)."""
    params = {"hookName": [f"n{i}" for i in range(11)], "attribute-value": ["v"] * 11}
    for route in ("interactions", "interactions/export"):
        response = http.get(f"{target.base}/{route}", params=params, auth=target.keys.read)
        body = assert_rejected(response, 400, "invalid_parameter", "hookName")
        assert "at most 10" in body["message"]
    params = {"hookName": [f"n{i % 10}" for i in range(50)], "attribute-value": ["v"] * 50}
    assert http.get(f"{target.base}/interactions", params=params, auth=target.keys.read).status_code == 200


def test_too_many_filter_values_in_one_query(http: httpx.Client, target: Target) -> None:
    params = {name: ",".join(f"{name}-{i}" for i in range(100)) for name in ("customer", "agentId", "queueId",
                                                                          "flowId")}
    response = http.get(f"{target.base}/interactions", params=params, auth=target.keys.read)
    body = assert_rejected(response, 400, "invalid_parameter", "customer")
    assert "at most 300" in body["message"]


def test_an_unknown_parameter_with_a_huge_value(http: httpx.Client, target: Target) -> None:
    response = http.get(f"{target.base}/interactions", params={"nope": "x" * 4000}, auth=target.keys.read)
    assert_rejected(response, 400, "unknown_parameter", "nope")


GET_ROUTES = {  # path (from the tenant's base), role, and a request every one of them answers 200
    "interaction": (f"/interactions/{RECORD_ID}", "read", {"includeNulls": "true"}),
    "reporting-events": (f"/interactions/{EVENT_INTERACTION_ID}/reporting-events", "read", {"limit": "5"}),
    "slas": ("/slas", "read", {}),
    "sla": ("/slas/{sla}", "read", {}),
    "api-keys": ("/api-keys", "admin", {}),
}


@pytest.mark.parametrize("route", list(GET_ROUTES))
def test_every_read_route_refuses_a_parameter_it_does_not_know(http: httpx.Client, target: Target,
                                                                route: str) -> None:
    path, role, known = GET_ROUTES[route]
    url = target.base + path.format(sla=target.sla_id)
    _ok(http.get(url, params=known, auth=target.keys.auth(role)))
    response = http.get(url, params={**known, "nope": "1"}, auth=target.keys.auth(role))
    assert_rejected(response, 400, "unknown_parameter", "nope")


def test_reporting_events_limit_is_a_whole_number_in_digits(http: httpx.Client, target: Target) -> None:
    response = http.get(f"{target.base}/interactions/{EVENT_INTERACTION_ID}/reporting-events?limit=1e3",
                        auth=target.keys.read)
    assert_rejected(response, 400, "invalid_parameter", "limit")


# --- ids in the path ---------------------------------------------------------------------------------------

BAD_UUIDS = ["not-a-uuid", "00000000-0000-0000-0000-00000000000G", RECORD_ID + "0", RECORD_ID[:-1],
             RECORD_ID.replace("-", ""), "{" + RECORD_ID + "}", "urn:uuid:" + RECORD_ID, "%00", "x" * 3000,
             "b0b0b0b0-0000-4000-8000-00000000000１", " " + RECORD_ID]


@pytest.mark.parametrize("value", BAD_UUIDS, ids=range(len(BAD_UUIDS)))
def test_bad_interaction_ids(http: httpx.Client, target: Target, value: str) -> None:
    for suffix in ("", "/reporting-events"):
        response = http.get(f"{target.base}/interactions/{value}{suffix}", auth=target.keys.read)
        assert_rejected(response, 400, "invalid_parameter", "interactionId")


@pytest.mark.parametrize("value", BAD_UUIDS, ids=range(len(BAD_UUIDS)))
def test_bad_sla_ids(http: httpx.Client, target: Target, value: str) -> None:
    assert_rejected(http.get(f"{target.base}/slas/{value}", auth=target.keys.read), 400, "invalid_parameter", "slaId")


@pytest.mark.parametrize("value", BAD_UUIDS, ids=range(len(BAD_UUIDS)))
def test_bad_tenant_ids_are_forbidden(http: httpx.Client, target: Target, value: str) -> None:
    """A key on any path but its own tenant's is a 403, malformed or not: no probing which tenants exist."""
    response = http.get(f"/v1/tenants/{value}/interactions", auth=target.keys.read)
    assert_rejected(response, 403, "forbidden")


@pytest.mark.parametrize("value", ["not-a-key", "%00", "x" * 3000, str(uuid.uuid4())], ids=["junk", "nul", "long",
                                                                                         "unknown"])
def test_bad_key_ids(http: httpx.Client, target: Target, value: str) -> None:
    before = snapshot(http, target)
    response = http.delete(f"{target.base}/api-keys/{value}", auth=target.keys.admin)
    assert_rejected(response, 404, "not_found")
    assert snapshot(http, target) == before


def test_a_contact_id_with_nul(http: httpx.Client, target: Target) -> None:
    response = http.get(f"{target.base}/contacts/a%00b/interactions", auth=target.keys.read)
    assert_rejected(response, 400, "invalid_parameter", "contactId")


@pytest.mark.parametrize("value", ["a%1Fb", "c" * 1001], ids=["separator", "long"])
def test_contact_id_limits(http: httpx.Client, target: Target, value: str) -> None:
    response = http.get(f"{target.base}/contacts/{value}/interactions", auth=target.keys.read)
    assert_rejected(response, 400, "invalid_parameter", "contactId")
    assert http.get(f"{target.base}/contacts/{'c' * 1000}/interactions", auth=target.keys.read).status_code == 200


@pytest.mark.parametrize("path", ["/v1/tenants/{t}/contacts/{long}/interactions", "/v1/tenants/{t}/interactions/{long}",
                                  "/v1/tenants/{long}/interactions", "/{long}"])
def test_a_path_over_4096_bytes_is_414(http: httpx.Client, target: Target, path: str) -> None:
    response = http.get(path.format(t=target.keys.id, long="%41" * 1400), auth=target.keys.read)
    assert_rejected(response, 414, "path_too_long")


# --- cursors -----------------------------------------------------------------------------------------------


def _tampered(cursor: str) -> str:
    middle = len(cursor) // 2
    return cursor[:middle] + ("A" if cursor[middle] != "A" else "B") + cursor[middle + 1:]


@pytest.mark.parametrize("kind", ["tampered", "truncated", "random base64", "empty", "nul", "huge", "not base64",
                                  "other tenant", "other query"])
def test_bad_cursors(http: httpx.Client, live_server: LiveServer, target: Target, kind: str) -> None:
    cursor = {
        "tampered": lambda: _tampered(target.cursor),
        "truncated": lambda: target.cursor[: len(target.cursor) // 2],
        "random base64": lambda: base64.urlsafe_b64encode(b"[1,\"x\",\"y\"]" * 3).decode(),
        "empty": lambda: "",
        "nul": lambda: target.cursor + NUL,
        "huge": lambda: "A" * 7_000,
        "not base64": lambda: "!!!***",
        "other tenant": lambda: _other_tenants_cursor(http, live_server),
        "other query": lambda: target.cursor,
    }[kind]()
    query = {"cursor": cursor, "limit": "1"}
    if kind == "other query":
        query["channelType"] = "voice"
    response = http.get(f"{target.base}/interactions", params=query, auth=target.keys.read)
    assert_rejected(response, 400, "invalid_parameter", "cursor")


def _other_tenants_cursor(http: httpx.Client, live_server: LiveServer) -> str:
    other = make_tenant_keys(live_server.store)
    base = f"/v1/tenants/{other.id}"
    _ok(http.post(f"{base}/interactions", auth=other.ingest, json=[
        {"interactionId": str(uuid.uuid4()), "startTimestamp": START} for _ in range(2)]))
    cursor: str = _ok(http.get(f"{base}/interactions?limit=1", auth=other.read))["next"]
    return cursor


# --- bodies ------------------------------------------------------------------------------------------------

VALID_RECORD = json.dumps({"interactionId": str(uuid.uuid4()), "startTimestamp": START}).encode()
VALID_SLA = b'{"queueId": "q-new", "slaThreshold": 10}'
DEEP = 10_000

BAD_BODIES: dict[str, bytes] = {
    "empty": b"",
    "whitespace": b"  \n ",
    "truncated": VALID_RECORD[:-5],
    "deep arrays": b"[" * DEEP + b"]" * DEEP,
    "deep objects": b'{"a":' * DEEP + b"1" + b"}" * DEEP,
    "invalid utf-8": b'{"interactionId": "\xff\xfe", "startTimestamp": "' + START.encode() + b'"}',
    "lone surrogate": b'{"interactionId": "\\ud800", "startTimestamp": "' + START.encode() + b'"}',
    "NaN": b'{"interactionId": "' + str(uuid.uuid4()).encode() + b'", "startTimestamp": "2019-01-01", "x": NaN}',
    "Infinity": b'[{"a": Infinity}]',
    "-Infinity": b'[{"a": -Infinity}]',
    "null": b"null",
    "number": b"42",
    "string": b'"hello"',
    "true": b"true",
    "trailing garbage": VALID_RECORD + b"garbage",
    "two documents": VALID_RECORD + VALID_RECORD,
    "single quotes": b"{'interactionId': 'x'}",
    "comment": b"// hi\n" + VALID_RECORD,
    "BOM": b"\xef\xbb\xbf" + VALID_RECORD,
    "form": b"interactionId=x&startTimestamp=y",
    "xml": b"<record><interactionId>x</interactionId></record>",
}


def _expected_body_code(route: str, name: str) -> set[str]:
    """Not JSON at all is `invalid_body`; JSON of the wrong shape may be `invalid_record` (a record or event
    that is not one)."""
    return {"invalid_body", "invalid_record"}


BODY_ROUTES = {
    "interactions": ("ingest", "interactions"),
    "events": ("ingest", "events"),
    "slas": ("admin", "slas"),
    "sla versions": ("admin", "slas/{sla}/versions"),
    "api-keys": ("admin", "api-keys"),
}


DEFAULTED_BODIES = {"slas", "sla versions", "api-keys"}
"""Routes whose every body field has a default: an empty (or blank) body is a valid request there, not a bad one."""
BAD_BODY_CASES = [
    (route, name)
    for route in BODY_ROUTES
    for name in BAD_BODIES
    if not (route in DEFAULTED_BODIES and name in ("empty", "whitespace"))
]


@pytest.mark.parametrize(("route", "name"), BAD_BODY_CASES)
def test_bad_bodies(http: httpx.Client, target: Target, route: str, name: str) -> None:
    role, path = BODY_ROUTES[route]
    content = BAD_BODIES[name]
    before = snapshot(http, target)
    response = http.post(f"{target.base}/{path.format(sla=target.sla_id)}", content=content,
                         headers={"content-type": "application/json"}, auth=target.keys.auth(role))
    assert response.status_code == 400, response.text
    body = response.json()
    assert body["status"] == 400 and body["code"] in _expected_body_code(route, name), body
    assert snapshot(http, target) == before


WRONG_TYPES = {
    "interactions": [{"interactionId": 5, "startTimestamp": START}, {"interactionId": RECORD_ID, "startTimestamp": 5},
                     {"interactionId": RECORD_ID, "startTimestamp": START, "agents": "x"},
                     {"interactionId": RECORD_ID, "startTimestamp": START, "customerHolds": 1.5},
                     {"interactionId": RECORD_ID, "startTimestamp": START, "flagged": "yes"},
                     {"interactionId": RECORD_ID, "startTimestamp": START, "tenantId": str(uuid.uuid4())},
                     {"interactionId": RECORD_ID, "startTimestamp": "99999-01-01T00:00Z"},
                     {"interactionId": RECORD_ID, "startTimestamp": START, "customer": "x" * (MAX_BODY_BYTES // 2)},
                     {"results": "not a list"}, [1, 2, 3],
                     # numbers beyond what the stores hold (64-bit counts, 32-bit SLA versions, milliseconds)
                     {"interactionId": RECORD_ID, "startTimestamp": START, "revision": 2**63},
                     {"interactionId": RECORD_ID, "startTimestamp": START, "queues": [{"queueId": "q",
                                                                                        "queueTime": 1e300}]},
                     {"interactionId": RECORD_ID, "startTimestamp": START, "queues": [{"queueId": "q",
                                                                                        "slaTime": -(2**63)}]},
                     {"interactionId": RECORD_ID, "startTimestamp": START, "queues": [{"queueId": "q",
                                                                                        "slaVersion": 2**31}]},
                     {"interactionId": RECORD_ID, "startTimestamp": START, "agents": [{"agentId": "a",
                                                                                        "agentTalkTime": 2e9}]}],
    "events": [{"type": 5}, {"type": "interaction-started", "eventId": 1, "interactionId": RECORD_ID,
                             "timestamp": START},
               {"type": "interaction-started", "eventId": "e", "interactionId": "x", "timestamp": START},
               {"type": "interaction-started", "eventId": "e", "interactionId": RECORD_ID, "timestamp": "yesterday"},
               {"type": "no-such-type", "eventId": "e", "interactionId": RECORD_ID, "timestamp": START},
               {"type": "interaction-started", "eventId": "x" * 100_000, "interactionId": RECORD_ID,
                "timestamp": START}, [[]]],
    "slas": [{"slaThreshold": "10"}, {"slaThreshold": -1}, {"slaThreshold": 10**30}, {"abandonType": "sometimes"},
             {"queueId": ""}, {"queueId": "q" * 1000}, {"name": "n" * 1000}, {"nope": 1}, []],
    "sla versions": [{"slaThreshold": "10"}, {"slaThreshold": -1}, {"abandonThreshold": 1e308}, {"queueId": "q"}],
    "api-keys": [{"role": "root"}, {"role": 1}, {"role": None}, {"nope": "read"}, ["read"]],
}


@pytest.mark.parametrize(("route", "value"), [(route, value) for route, values in WRONG_TYPES.items()
                                              for value in values],
                         ids=[f"{route}-{i}" for route, values in WRONG_TYPES.items() for i in range(len(values))])
def test_wrong_types(http: httpx.Client, target: Target, route: str, value: Any) -> None:
    role, path = BODY_ROUTES[route]
    before = snapshot(http, target)
    response = http.post(f"{target.base}/{path.format(sla=target.sla_id)}", json=value, auth=target.keys.auth(role))
    assert response.status_code == 400, response.text
    body = response.json()
    assert body["status"] == 400 and body["code"] in ("invalid_body", "invalid_record", "invalid_parameter"), body
    assert snapshot(http, target) == before


@pytest.mark.parametrize("route", list(BODY_ROUTES))
def test_oversized_bodies(http: httpx.Client, target: Target, route: str) -> None:
    role, path = BODY_ROUTES[route]
    before = snapshot(http, target)
    content = b'{"padding": "' + b"x" * (MAX_BODY_BYTES + 1) + b'"}'
    response = http.post(f"{target.base}/{path.format(sla=target.sla_id)}", content=content,
                         auth=target.keys.auth(role))
    assert_rejected(response, 413, "payload_too_large")
    assert snapshot(http, target) == before


def test_nul_in_body_strings_is_refused(http: httpx.Client, target: Target) -> None:
    """PostgreSQL text cannot hold NUL, so neither store takes it in the fields it reads."""
    before = snapshot(http, target)
    cases = [
        ("ingest", "interactions", {"interactionId": str(uuid.uuid4()), "startTimestamp": START, "customer": "a\x00"}),
        ("ingest", "events", {"type": "interaction-started", "eventId": "e\x00", "interactionId": str(uuid.uuid4()),
                              "timestamp": START, "channelType": "voice", "direction": "inbound",
                              "customer": "c", "contactPoint": "p", "flowId": "f", "flowName": "n"}),
        ("admin", "slas", {"queueId": "q\x00", "slaThreshold": 10}),
    ]
    for role, path, value in cases:
        response = http.post(f"{target.base}/{path}", json=value, auth=target.keys.auth(role))
        assert response.status_code == 400, response.text
        assert response.json()["code"] in ("invalid_body", "invalid_record", "invalid_parameter")
    assert snapshot(http, target) == before


@pytest.mark.parametrize("credentials", [("a\x00b", "secret"), ("x" * 10_000, "s"), ("", "")],
                         ids=["nul", "long", "empty"])
def test_bad_credentials_are_401_never_500(http: httpx.Client, credentials: tuple[str, str]) -> None:
    response = http.post("/v1/tokens", json={"username": credentials[0], "password": credentials[1]})
    assert_rejected(response, 401, "unauthenticated")
    basic = base64.b64encode(f"{credentials[0]}:{credentials[1]}".encode()).decode()
    response = http.post("/v1/tokens", headers={"authorization": f"Basic {basic}"})
    assert_rejected(response, 401, "unauthenticated")


@pytest.mark.parametrize("header", [b"Basic \xc3\xa9", b"Basic \xe9", b"Token \xc3\xa9", b"Basic w6k6w6k=",
                                    b"Basic " + base64.b64encode(b"\xff\xfe:secret")],
                         ids=["utf8", "latin1", "token", "non-ascii-pair", "not-utf8"])
def test_non_ascii_credentials_are_401_never_500(http: httpx.Client, target: Target, header: bytes) -> None:
    for method, path in [("POST", "/v1/tokens"), ("GET", f"{target.base}/interactions"),
                         ("POST", f"{target.base}/events"), ("GET", f"{target.base}/api-keys")]:
        response = http.request(method, path, headers={"authorization": header})
        assert_rejected(response, 401, "unauthenticated")


def test_an_upper_case_key_id_is_the_same_key(http: httpx.Client, target: Target) -> None:
    """Key ids are UUIDs, case-insensitive on every store (PostgreSQL's uuid type made them so; SQLite now too)."""
    key_id, secret = target.keys.read
    response = http.get(f"{target.base}/interactions?limit=1", auth=(key_id.upper(), secret))
    assert _ok(response)["total"] >= 2
    token = _ok(http.post("/v1/tokens", json={"username": key_id.upper(), "password": secret}))
    assert token["tenantId"] == target.keys.id


# --- duplicate keys (documented in README, "Errors") ------------------------------------------------------


def test_duplicate_keys_the_last_one_counts(http: httpx.Client, target: Target) -> None:
    first, last = str(uuid.uuid4()), str(uuid.uuid4())
    content = (f'{{"interactionId": "{first}", "startTimestamp": "{START}", "interactionId": "{last}"}}').encode()
    _ok(http.post(f"{target.base}/interactions", content=content, auth=target.keys.ingest))
    assert http.get(f"{target.base}/interactions/{first}", auth=target.keys.read).status_code == 404
    stored = http.get(f"{target.base}/interactions/{last}", auth=target.keys.read)
    assert stored.status_code == 200
    record = stored.text.split(',"details"')[0]
    assert record.count('"interactionId"') == 1 and first not in stored.text


def test_a_duplicate_tenant_id_cannot_smuggle_a_record(http: httpx.Client, live_server: LiveServer,
                                                        target: Target) -> None:
    other = make_tenant_keys(live_server.store)
    record_id = str(uuid.uuid4())
    content = (f'{{"interactionId": "{record_id}", "startTimestamp": "{START}", "tenantId": "{target.keys.id}", '
               f'"tenantId": "{other.id}"}}').encode()
    response = http.post(f"{target.base}/interactions", content=content, auth=target.keys.ingest)
    assert_rejected(response, 400, "invalid_record")
    assert http.get(f"/v1/tenants/{other.id}/interactions/{record_id}", auth=other.read).status_code == 404


# --- headers and the request line --------------------------------------------------------------------------


def test_huge_headers_are_431(http: httpx.Client, target: Target) -> None:
    response = http.get(f"{target.base}/interactions", headers={"x-padding": "x" * 20_000}, auth=target.keys.read)
    assert_rejected(response, 431, "headers_too_large")


def test_a_huge_query_string_is_414(http: httpx.Client, target: Target) -> None:
    response = http.get(f"{target.base}/interactions?customer={'x' * 60_000}", auth=target.keys.read)
    assert_rejected(response, 414, "query_too_long")


def test_a_filter_value_over_1000_characters(http: httpx.Client, target: Target) -> None:
    response = http.get(f"{target.base}/interactions?customer={'x' * 1001}", auth=target.keys.read)
    assert_rejected(response, 400, "invalid_parameter", "customer")


def test_many_query_parameters(http: httpx.Client, target: Target) -> None:
    query = "&".join(f"customer=c{i}" for i in range(500))
    response = http.get(f"{target.base}/interactions?{query}", auth=target.keys.read)
    assert_rejected(response, 400, "invalid_parameter", "customer")


def test_a_huge_authorization_header(http: httpx.Client, target: Target) -> None:
    response = http.get(f"{target.base}/interactions", headers={"authorization": "Basic " + "A" * 8000})
    assert_rejected(response, 401, "unauthenticated")


@pytest.mark.parametrize(("path", "record"), [
    ("$.queues[0].queueName", {"queues": [{"queueId": "q", "queueName": "a\x00b"}]}),
    ("$.queues[1].interactionQueueId", {"queues": [{"queueId": "q"}, {"queueId": "q", "interactionQueueId": "\x00"}]}),
    ("$.queues[0].queueExitReason", {"queues": [{"queueId": "q", "queueExitReason": "x\x00"}]}),
    ("$.queues[0].slaId", {"queues": [{"queueId": "q", "slaId": "x\x00"}]}),
    ("$.flowName", {"flowName": "f\x00", "queues": [{"queueId": "q"}]}),
    ("$.agents[0].agentName", {"agents": [{"agentId": "a", "agentName": "\x00"}], "queues": [{"queueId": "q"}]}),
], ids=lambda value: value if isinstance(value, str) else "")
def test_nul_in_the_text_a_queue_entry_keeps_is_refused(http: httpx.Client, target: Target, path: str,
                                                        record: dict[str, Any]) -> None:
    """A record's queue entries are kept as facts with some of its text (PostgreSQL text cannot hold NUL)."""
    before = snapshot(http, target)
    response = http.post(f"{target.base}/interactions", auth=target.keys.ingest,
                         json={"interactionId": str(uuid.uuid4()), "startTimestamp": START, **record})
    body = assert_rejected(response, 400, "invalid_record")
    assert f"`{path}`" in body["message"] and "NUL" in body["message"], body
    assert snapshot(http, target) == before


@pytest.mark.parametrize(("path", "field"), [("slas", "name"), ("slas", "queueId"), ("slas", "effectiveFrom"),
                                             ("slas", "abandonType"), ("slas/{sla}/versions", "effectiveFrom")])
def test_nul_in_an_sla_body_is_refused_naming_the_field(http: httpx.Client, target: Target, path: str,
                                                        field: str) -> None:
    before = snapshot(http, target)
    response = http.post(f"{target.base}/{path.format(sla=target.sla_id)}", json={field: "a\x00b"},
                         auth=target.keys.admin)
    assert_rejected(response, 400, "invalid_body", field)
    assert snapshot(http, target) == before


def test_a_deeply_nested_realtime_batch_is_refused(http: httpx.Client, target: Target) -> None:
    for content in (b"[" * 1000 + b"]" * 1000, b'{"requests":' + b'{"a":' * 1000 + b"1" + b"}" * 1001):
        response = http.post(f"{target.base}/realtime-statistics/batch", content=content, auth=target.keys.read,
                             headers={"content-type": "application/json"})
        body = assert_rejected(response, 400, "invalid_body")
        assert "nested too deeply" in body["message"]


def test_nul_elsewhere_in_a_record_is_kept_as_sent(http: httpx.Client, target: Target) -> None:
    """Only the fields the stores keep as text refuse NUL; a record's other fields keep it, on both stores."""
    record_id = str(uuid.uuid4())
    record = {"interactionId": record_id, "startTimestamp": START, "note": "a\x00b", "extra": {"k\x00": ["\x00"]}}
    _ok(http.post(f"{target.base}/interactions", json=record, auth=target.keys.ingest))
    stored = _ok(http.get(f"{target.base}/interactions/{record_id}", auth=target.keys.read))
    assert stored["note"] == "a\x00b" and stored["extra"] == {"k\x00": ["\x00"]}


def test_an_unexpected_error_logs_the_route_template_not_the_path(caplog: pytest.LogCaptureFixture) -> None:
    """The one place a 500 is logged names the route's template: the raw path and query hold customer numbers."""
    from litestar import Litestar, get
    from litestar.testing import TestClient

    from cxreport.http.errors import EXCEPTION_HANDLERS

    @get("/v1/tenants/{tenantId:str}/contacts/{contactId:str}/interactions", sync_to_thread=False)
    def failing() -> None:
        raise RuntimeError("boom")

    app = Litestar([failing], exception_handlers=EXCEPTION_HANDLERS, logging_config=None)
    with TestClient(app) as client, caplog.at_level("ERROR", logger="cxreport.http"):
        response = client.get("/v1/tenants/t-1/contacts/+15551234567/interactions?customer=+15559876543")
    assert response.status_code == 500 and response.json()["code"] == "internal_error"
    logged = "\n".join(record.getMessage() for record in caplog.records)
    assert "/v1/tenants/{tenantId}/contacts/{contactId}/interactions" in logged
    assert "5551234567" not in logged and "5559876543" not in logged and "t-1" not in logged
