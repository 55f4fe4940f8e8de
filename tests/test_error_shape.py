"""End to end, over HTTP on loopback: every error response has the one JSON error shape, a stable code,
and names the parameter at fault; none reveals internals."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field

import httpx
import pytest

from support.errors import assert_error_shape
from support.servers import MAX_BODY_BYTES, LiveServer
from support.tenants import TenantKeys

KNOWN_ID = "e6952d50-eca3-11e7-ba92-25b49e03c3e7"
UNKNOWN_ID = "00000000-0000-4000-8000-00000000abcd"


@pytest.fixture
def victim(http: httpx.Client, new_tenant: Callable[..., TenantKeys]) -> TenantKeys:
    """A fresh tenant with the one record KNOWN_ID, which no other tenant may see."""
    keys = new_tenant()
    response = http.post(f"/v1/tenants/{keys.id}/interactions", auth=keys.ingest,
                         json={"interactionId": KNOWN_ID, "startTimestamp": "2017-12-29T14:23:57.471Z",
                               "customer": f"customer-of-{keys.id}"})
    assert response.status_code == 200, response.text
    return keys


# --- 400 on the search -------------------------------------------------------------------------------------

SEARCH_400: list[tuple[str, str | set[str]]] = [
    ("limit=abc", "limit"),
    ("limit=1.5", "limit"),
    ("limit=", "limit"),
    ("limit=1001", "limit"),
    ("limit=-1", "limit"),
    ("limit=99999999999999999999999", "limit"),
    ("page=-1", "page"),
    ("page=abc", "page"),
    ("page=2000000000&limit=1000", "page"),
    ("offset=-1", "offset"),
    ("offset=abc", "offset"),
    ("offset=10000000000", "offset"),
    ("page=1&offset=3", {"page", "offset"}),
    ("page=2&limit=5&offset=0", {"page", "offset"}),
    ("startTimeRange=2017-12-30T00:00Z&endTimeRange=2017-12-29T00:00Z", {"startTimeRange", "endTimeRange"}),
    ("start=2017-12-30&end=2017-12-29", {"start", "end"}),
    ("startTimeRange=2017-02-30", "startTimeRange"),
    ("startTimeRange=2017-12-29T25:00", "startTimeRange"),
    ("startTimeRange=2017-12-29T10:60Z", "startTimeRange"),
    ("startTimeRange=yesterday", "startTimeRange"),
    ("startTimeRange=", "startTimeRange"),
    ("startTimeRange=1514556237471", "startTimeRange"),
    ("endTimeRange=2017-02-30", "endTimeRange"),
    ("endTimeRange=2017-12-29T25:00", "endTimeRange"),
    ("start=2017-02-30", "start"),
    ("end=T25:00", "end"),
    ("start=2017-12-29&startTimeRange=2017-12-29", {"start", "startTimeRange"}),
    ("end=2017-12-30&endTimeRange=2017-12-30", {"end", "endTimeRange"}),
    ("includenulls=maybe", "includenulls"),
    ("includeNulls=2", "includeNulls"),
    ("limit=5&startTimeRange=2017-12-29T14:00Z&endTimeRange=2017-12-29T24:00Z&page=x", "page"),
]


@pytest.mark.parametrize(("query", "parameter"), SEARCH_400, ids=[query for query, _ in SEARCH_400])
def test_bad_search_parameters(http: httpx.Client, live_server: LiveServer, seed_tenant: TenantKeys, query: str,
                               parameter: str | set[str]) -> None:
    response = http.get(f"/v1/tenants/{seed_tenant.id}/interactions?{query}", auth=seed_tenant.read)
    assert_error_shape(live_server, response, 400, "invalid_parameter", parameter)


def test_the_parameter_is_named_in_the_message(http: httpx.Client, live_server: LiveServer,
                                               seed_tenant: TenantKeys) -> None:
    for query, parameter in (("limit=abc", "limit"), ("startTimeRange=2017-02-30", "startTimeRange"),
                             ("page=-1", "page")):
        response = http.get(f"/v1/tenants/{seed_tenant.id}/interactions?{query}", auth=seed_tenant.read)
        body = assert_error_shape(live_server, response, 400, "invalid_parameter", parameter)
        assert parameter in body["message"]


def test_a_malformed_interaction_id(http: httpx.Client, live_server: LiveServer, seed_tenant: TenantKeys) -> None:
    response = http.get(f"/v1/tenants/{seed_tenant.id}/interactions/not-a-uuid", auth=seed_tenant.read)
    assert_error_shape(live_server, response, 400, "invalid_parameter", "interactionId")


# --- 400 on bodies -----------------------------------------------------------------------------------------


@pytest.mark.parametrize("content", [b"{nope", b"", b"null", b"[1,"], ids=["malformed", "empty", "null", "cut"])
def test_an_ingest_body_that_is_not_json(http: httpx.Client, live_server: LiveServer,
                                         new_tenant: Callable[..., TenantKeys], content: bytes) -> None:
    keys = new_tenant()
    response = http.post(f"/v1/tenants/{keys.id}/interactions", content=content, auth=keys.ingest)
    assert_error_shape(live_server, response, 400, "invalid_body")


def test_an_invalid_record(http: httpx.Client, live_server: LiveServer,
                           new_tenant: Callable[..., TenantKeys]) -> None:
    keys = new_tenant()
    batch = [{"interactionId": UNKNOWN_ID, "startTimestamp": "2017-02-30"},
             {"interactionId": KNOWN_ID, "startTimestamp": "2017-12-29T14:00Z"},
             {"interactionId": "x", "startTimestamp": "2017-12-29T14:00Z"}]
    response = http.post(f"/v1/tenants/{keys.id}/interactions", json=batch, auth=keys.ingest)
    body = assert_error_shape(live_server, response, 400, "invalid_record")
    assert [error["position"] for error in body["errors"]] == [0, 2]


@pytest.mark.parametrize(
    ("content", "code", "parameter"),
    [(b"{nope", "invalid_body", None), (b"[]", "invalid_body", None),
     (b'{"username": "a", "password": "b", "ttl": 0}', "invalid_parameter", "ttl")],
    ids=["malformed", "array", "ttl 0"],
)
def test_a_bad_token_request(http: httpx.Client, live_server: LiveServer, seed_tenant: TenantKeys,
                             content: bytes, code: str, parameter: str | None) -> None:
    if parameter == "ttl":
        content = json.dumps({"username": seed_tenant.read[0], "password": seed_tenant.read[1], "ttl": 0}).encode()
    response = http.post("/v1/tokens", content=content, headers={"content-type": "application/json"})
    assert_error_shape(live_server, response, 400, code, parameter)


def test_a_bad_key_request(http: httpx.Client, live_server: LiveServer,
                           new_tenant: Callable[..., TenantKeys]) -> None:
    keys = new_tenant()
    url = f"/v1/tenants/{keys.id}/api-keys"
    assert_error_shape(live_server, http.post(url, content=b"{", auth=keys.admin), 400, "invalid_body")
    assert_error_shape(live_server, http.post(url, json={"role": "root"}, auth=keys.admin), 400,
                       "invalid_parameter", "role")


# --- 401 ---------------------------------------------------------------------------------------------------


@dataclass
class Attempt:
    headers: dict[str, str] = field(default_factory=dict)
    auth: tuple[str, str] | None = None


@pytest.mark.parametrize(
    "attempt",
    [
        Attempt(),
        Attempt(auth=("00000000-0000-4000-8000-000000000000", "secret")),
        Attempt(headers={"authorization": "Basic !!!"}),
        Attempt(headers={"authorization": "Negotiate abc"}),
        Attempt(headers={"authorization": "Bearer cxt_unknown"}),
        Attempt(headers={"authorization": "Token nope"}),
    ],
    ids=["none", "unknown key", "malformed basic", "unknown scheme", "unknown bearer", "unknown token"],
)
@pytest.mark.parametrize("route", ["search", "get", "ingest", "keys", "tokens"])
def test_unauthenticated(http: httpx.Client, live_server: LiveServer, victim: TenantKeys, attempt: Attempt,
                         route: str) -> None:
    base = f"/v1/tenants/{victim.id}"
    request = {
        "search": ("GET", f"{base}/interactions", None),
        "get": ("GET", f"{base}/interactions/{KNOWN_ID}", None),
        "ingest": ("POST", f"{base}/interactions", {"interactionId": UNKNOWN_ID, "startTimestamp": "2020-01-01"}),
        "keys": ("GET", f"{base}/api-keys", None),
        "tokens": ("POST", "/v1/tokens", None),
    }[route]
    method, url, body = request
    response = http.request(method, url, json=body, headers=attempt.headers, auth=attempt.auth)
    assert_error_shape(live_server, response, 401, "unauthenticated")
    assert "www-authenticate" in response.headers
    assert f"customer-of-{victim.id}" not in response.text


def test_an_expired_or_revoked_token(http: httpx.Client, live_server: LiveServer, victim: TenantKeys) -> None:
    token = http.post("/v1/tokens", auth=victim.read).json()["token"]
    http.delete(f"/v1/tenants/{victim.id}/api-keys/{victim.read[0]}", auth=victim.admin).raise_for_status()
    response = http.get(f"/v1/tenants/{victim.id}/interactions", headers={"authorization": f"Token {token}"})
    assert_error_shape(live_server, response, 401, "unauthenticated")
    assert "www-authenticate" in response.headers


# --- 403 ---------------------------------------------------------------------------------------------------


def test_forbidden_by_role(http: httpx.Client, live_server: LiveServer, victim: TenantKeys) -> None:
    base = f"/v1/tenants/{victim.id}"
    for response in (
        http.post(f"{base}/interactions", json={"interactionId": UNKNOWN_ID, "startTimestamp": "2020-01-01"},
                  auth=victim.read),
        http.get(f"{base}/api-keys", auth=victim.ingest),
        http.post(f"{base}/api-keys", json={"role": "admin"}, auth=victim.read),
        http.delete(f"{base}/api-keys/{victim.admin[0]}", auth=victim.ingest),
    ):
        assert_error_shape(live_server, response, 403, "forbidden")


@pytest.mark.parametrize("path_tenant", ["victim", "00000000-0000-4000-8000-0000000000ff", "malformed!"])
def test_forbidden_on_another_tenant(http: httpx.Client, live_server: LiveServer, victim: TenantKeys,
                                     new_tenant: Callable[..., TenantKeys], path_tenant: str) -> None:
    intruder = new_tenant()
    tenant_id = victim.id if path_tenant == "victim" else path_tenant
    base = f"/v1/tenants/{tenant_id}"
    for response in (
        http.get(f"{base}/interactions", auth=intruder.admin),
        http.get(f"{base}/interactions/{KNOWN_ID}", auth=intruder.admin),
        http.get(f"{base}/interactions/not-a-uuid", auth=intruder.admin),
        http.get(f"{base}/interactions?limit=abc", auth=intruder.admin),
        http.post(f"{base}/interactions", json={"interactionId": UNKNOWN_ID, "startTimestamp": "2020-01-01"},
                  auth=intruder.admin),
        http.get(f"{base}/api-keys", auth=intruder.admin),
        http.delete(f"{base}/api-keys/{victim.read[0]}", auth=intruder.admin),
    ):
        assert_error_shape(live_server, response, 403, "forbidden")
        assert f"customer-of-{victim.id}" not in response.text and KNOWN_ID not in response.text


# --- 404 ---------------------------------------------------------------------------------------------------


# `/` is the web console's page (tests/test_console.py); its unknown files are JSON 404s like any unknown route.
@pytest.mark.parametrize("path", ["/console", "/console/nope.js", "/nope", "/v1", "/v1/tenants", "/v1/interactions",
                                  "/v2/tokens",
                                  "/v1/tenants/{t}/nope", "/v1/tenants/{t}/interactions/{id}/more",
                                  "/health/more", "/docs/x", "/docs/swagger", "/docs/x.json", "/docs/assets/nope.js"])
def test_unknown_routes(http: httpx.Client, live_server: LiveServer, victim: TenantKeys, path: str) -> None:
    url = path.format(t=victim.id, id=KNOWN_ID)
    for auth in (None, victim.admin):
        assert_error_shape(live_server, http.get(url, auth=auth), 404, "not_found")


def test_unknown_interaction(http: httpx.Client, live_server: LiveServer, victim: TenantKeys) -> None:
    response = http.get(f"/v1/tenants/{victim.id}/interactions/{UNKNOWN_ID}", auth=victim.read)
    assert_error_shape(live_server, response, 404, "not_found")


def test_unknown_api_key(http: httpx.Client, live_server: LiveServer, victim: TenantKeys) -> None:
    response = http.delete(f"/v1/tenants/{victim.id}/api-keys/{UNKNOWN_ID}", auth=victim.admin)
    assert_error_shape(live_server, response, 404, "not_found")


# --- 405 ---------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("method", "path"),
    [("DELETE", "/v1/tenants/{t}/interactions"), ("PUT", "/v1/tenants/{t}/interactions"),
     ("PATCH", "/v1/tenants/{t}/interactions"), ("POST", "/v1/tenants/{t}/interactions/{id}"),
     ("DELETE", "/v1/tenants/{t}/interactions/{id}"), ("GET", "/v1/tokens"), ("PUT", "/v1/tenants/{t}/api-keys"),
     ("GET", "/v1/tenants/{t}/api-keys/{k}"), ("POST", "/health")],
)
def test_method_not_allowed(http: httpx.Client, live_server: LiveServer, victim: TenantKeys, method: str,
                            path: str) -> None:
    url = path.format(t=victim.id, id=KNOWN_ID, k=victim.read[0])
    for auth in (None, victim.admin):
        response = http.request(method, url, auth=auth)
        assert_error_shape(live_server, response, 405, "method_not_allowed")
    # nothing was deleted or changed
    assert http.get(f"/v1/tenants/{victim.id}/interactions/{KNOWN_ID}", auth=victim.read).status_code == 200
    assert http.get(f"/v1/tenants/{victim.id}/interactions", auth=victim.read).status_code == 200


# --- 413 ---------------------------------------------------------------------------------------------------


def test_payload_too_large(http: httpx.Client, live_server: LiveServer,
                           new_tenant: Callable[..., TenantKeys]) -> None:
    keys = new_tenant()
    record = json.dumps({"interactionId": UNKNOWN_ID, "startTimestamp": "2020-01-01T00:00Z",
                         "padding": "x" * (MAX_BODY_BYTES + 1)}).encode()
    response = http.post(f"/v1/tenants/{keys.id}/interactions", content=record, auth=keys.ingest)
    assert_error_shape(live_server, response, 413, "payload_too_large")
    assert http.get(f"/v1/tenants/{keys.id}/interactions", auth=keys.read).json()["total"] == 0


# --- successes are not errors ------------------------------------------------------------------------------


def test_a_good_request_has_no_error_fields(http: httpx.Client, seed_tenant: TenantKeys) -> None:
    body = http.get(f"/v1/tenants/{seed_tenant.id}/interactions", auth=seed_tenant.read).json()
    assert "code" not in body and "status" not in body and body["total"] == 10
