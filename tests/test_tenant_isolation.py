"""End to end, over HTTP on loopback: no key of one tenant reaches another tenant's data, through EVERY
operation of the OpenAPI document, and no key does more than its role allows.

The operations come from the live server's /openapi.json; the table below says how to aim each one (its
path parameters, a minimal valid body, the role it needs). A route added without a row here fails
`test_the_table_covers_every_documented_operation`."""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import httpx
import pytest

from support.servers import LiveServer
from support.tenants import TenantKeys, make_tenant_keys

ROLES = ("read", "ingest", "admin")
START = "2020-02-03T04:05:06.000Z"


@dataclass(frozen=True)
class Holdings:
    """A tenant with real data: records, an interaction derived from events, an SLA definition, keys."""

    keys: TenantKeys
    record_id: str
    event_interaction_id: str
    contact_id: str
    customer: str
    sla_id: str
    sla_name: str
    agent_id: str

    @property
    def id(self) -> str:
        return self.keys.id

    def markers(self) -> list[str]:
        """Values only this tenant holds: none may appear in a reply to another tenant's key."""
        return [self.record_id, self.event_interaction_id, self.contact_id, self.customer, self.sla_id,
                self.sla_name, self.keys.read[0], self.keys.ingest[0], self.keys.admin[0], self.keys.tenant.name,
                self.agent_id]


def _ok(response: httpx.Response) -> Any:
    assert response.status_code in (200, 201), response.text
    return response.json()


def _holdings(http: httpx.Client, server: LiveServer, label: str) -> Holdings:
    tag = uuid.uuid4().hex[:10]
    keys = make_tenant_keys(server.store, name=f"tenant-{label}-{tag}")
    base = f"/v1/tenants/{keys.id}"
    record_id, event_id, contact_id = str(uuid.uuid4()), str(uuid.uuid4()), f"contact-{label}-{tag}"
    customer = f"+1555{tag}"
    _ok(http.post(f"{base}/interactions", auth=keys.ingest, json=[
        {"interactionId": record_id, "startTimestamp": START, "customer": customer, "contactId": contact_id},
        {"interactionId": str(uuid.uuid4()), "startTimestamp": START, "customer": customer, "contactId": contact_id},
    ]))
    _ok(http.post(f"{base}/events", auth=keys.ingest, json=event(event_id, f"{label}-{tag}-1", customer)))
    sla_name = f"sla-{label}-{tag}"
    sla = _ok(http.post(f"{base}/slas", auth=keys.admin, json={"name": sla_name, "slaThreshold": 30}))
    agent_id = f"agent-{label}-{tag}"
    _ok(http.post(f"{base}/events", auth=keys.ingest, json=agent_event(agent_id, f"{label}-{tag}-login")))
    return Holdings(keys, record_id, event_id, contact_id, customer, sla["slaId"], sla_name, agent_id)


def event(interaction_id: str, event_id: str, customer: str = "+15550000") -> dict[str, str]:
    return {"type": "interaction-started", "eventId": event_id, "interactionId": interaction_id,
            "timestamp": START, "channelType": "voice", "direction": "inbound", "customer": customer,
            "contactPoint": "+15550001", "flowId": "flow-1", "flowName": "Flow"}


def agent_event(agent_id: str, event_id: str) -> dict[str, str]:
    return {"type": "agent-logged-in", "eventId": event_id, "agentId": agent_id, "timestamp": START}


@pytest.fixture(scope="module")
def tenant_a(http: httpx.Client, live_server: LiveServer) -> Holdings:
    return _holdings(http, live_server, "a")


@pytest.fixture(scope="module")
def tenant_b(http: httpx.Client, live_server: LiveServer) -> Holdings:
    return _holdings(http, live_server, "b")


# --- the table: how to aim every operation ----------------------------------------------------------------

PATH_VALUES: dict[str, Callable[[Holdings], str]] = {
    "tenantId": lambda t: t.id,
    "interactionId": lambda t: t.event_interaction_id,  # it has a record and events: every route finds it
    "contactId": lambda t: t.contact_id,
    "slaId": lambda t: t.sla_id,
    "keyId": lambda t: t.keys.read[0],
    "agentId": lambda t: t.agent_id,
    "entity": lambda t: "queue",
    "statistic": lambda t: "agents-logged-out",
}


@dataclass(frozen=True)
class Operation:
    role: str | None
    """The role the route needs; None for a route without a tenant in its path (it has its own rules)."""
    body: Callable[[], Any] | None = None
    """A fresh minimal valid body (new ids each call, so a write that got through would show)."""


OPERATIONS: dict[tuple[str, str], Operation] = {
    ("GET", "/v1/tenants/{tenantId}/interactions"): Operation("read"),
    ("GET", "/v1/tenants/{tenantId}/interactions/export"): Operation("read"),
    ("GET", "/v1/tenants/{tenantId}/contacts/{contactId}/interactions"): Operation("read"),
    ("GET", "/v1/tenants/{tenantId}/interactions/{interactionId}"): Operation("read"),
    ("GET", "/v1/tenants/{tenantId}/interactions/{interactionId}/reporting-events"): Operation("read"),
    ("GET", "/v1/tenants/{tenantId}/agents/{agentId}/state-events"): Operation("read"),
    ("GET", "/v1/tenants/{tenantId}/slas"): Operation("read"),
    ("GET", "/v1/tenants/{tenantId}/slas/{slaId}"): Operation("read"),
    ("GET", "/v1/tenants/{tenantId}/statistics"): Operation("read"),
    ("GET", "/v1/tenants/{tenantId}/agent-statistics"): Operation("read"),
    ("GET", "/v1/tenants/{tenantId}/wfm/intervals/{entity}"): Operation("read"),
    ("GET", "/v1/tenants/{tenantId}/realtime-statistics/{statistic}"): Operation("read"),
    ("GET", "/v1/tenants/{tenantId}/realtime-statistics/available"): Operation("read"),
    ("GET", "/v1/tenants/{tenantId}/realtime-statistics/stream"): Operation("read"),
    ("POST", "/v1/tenants/{tenantId}/realtime-statistics/batch"): Operation(
        "read", lambda: {"requests": {"a": {"statistic": "agents-logged-out"}, "b": {"statistic": "offered"}}}),
    ("POST", "/v1/tenants/{tenantId}/interactions"): Operation(
        "ingest", lambda: {"interactionId": str(uuid.uuid4()), "startTimestamp": START}),
    ("POST", "/v1/tenants/{tenantId}/events"): Operation(
        "ingest", lambda: event(str(uuid.uuid4()), uuid.uuid4().hex)),
    ("POST", "/v1/tenants/{tenantId}/slas"): Operation(
        "admin", lambda: {"queueId": f"queue-{uuid.uuid4().hex}", "slaThreshold": 10}),
    ("POST", "/v1/tenants/{tenantId}/slas/{slaId}/versions"): Operation("admin", lambda: {"slaThreshold": 15}),
    ("GET", "/v1/tenants/{tenantId}/api-keys"): Operation("admin"),
    ("POST", "/v1/tenants/{tenantId}/api-keys"): Operation("admin", lambda: {"role": "admin"}),
    ("DELETE", "/v1/tenants/{tenantId}/api-keys/{keyId}"): Operation("admin"),
    ("POST", "/v1/tokens"): Operation(None),
    ("GET", "/health"): Operation(None),
}
TENANT_OPERATIONS = [key for key, operation in OPERATIONS.items() if operation.role is not None]
QUERIES = {
    "/v1/tenants/{tenantId}/statistics": "?start=2020-01-01&end=2021-01-01&interval=total&groupBy=queue",
    "/v1/tenants/{tenantId}/agent-statistics": "?start=2020-01-01&end=2021-01-01&interval=total",
    "/v1/tenants/{tenantId}/wfm/intervals/{entity}": "?start=2020-02-03T00:00Z&end=2020-02-04T00:00Z",
    "/v1/tenants/{tenantId}/realtime-statistics/{statistic}": "?resourceId={agentId}",
}
"""The query a route needs to answer at all (its ids filled as the path's)."""
HOLDS_NO_TENANT_DATA = {("GET", "/v1/tenants/{tenantId}/realtime-statistics/available")}
"""Reads whose answer is the same for every tenant (a catalogue): no marker to look for."""
STREAMS = {"/v1/tenants/{tenantId}/realtime-statistics/stream"}


def fill(path: str, target: Holdings, ids: Holdings | None = None) -> str:
    """`path` with tenantId from `target` and every other id from `ids` (default: the target too)."""
    values = {name: make(ids or target) for name, make in PATH_VALUES.items()}
    values["tenantId"] = target.id
    return (path + QUERIES.get(path, "")).format(**values)


def send(http: httpx.Client, method: str, path: str, url: str, **kwargs: Any) -> httpx.Response:
    """The request; a stream is read up to its first event (or its error) and closed."""
    if path not in STREAMS:
        return http.request(method, url, **kwargs)
    kwargs.pop("json", None)
    with http.stream(method, url, **kwargs) as response:
        content = b""
        if response.status_code == 200:
            for chunk in response.iter_bytes():
                content += chunk
                if b"event: statistics" in content and content.endswith(b"\n\n"):
                    break
        else:
            content = response.read()
    return httpx.Response(response.status_code, headers=response.headers, content=content, request=response.request)


def snapshot(http: httpx.Client, tenant: Holdings) -> dict[str, Any]:
    """Everything the tenant holds, as its own admin key sees it."""
    admin, base = tenant.keys.admin, f"/v1/tenants/{tenant.id}"
    return {
        "records": _ok(http.get(f"{base}/interactions?limit=1000", auth=admin))["results"],
        "events": _ok(http.get(f"{base}/interactions/{tenant.event_interaction_id}/reporting-events",
                               auth=admin))["results"],
        "agent events": _ok(http.get(f"{base}/agents/{tenant.agent_id}/state-events", auth=admin))["results"],
        "slas": _ok(http.get(f"{base}/slas", auth=admin)),
        "keys": _ok(http.get(f"{base}/api-keys", auth=admin)),
    }


def assert_no_leak(response: httpx.Response, victim: Holdings, sent: str = "") -> None:
    """No marker of the victim in the reply, except those the request itself sent (a 404 may name the id it
    did not find: the caller knew it already)."""
    for marker in victim.markers():
        if marker not in sent:
            assert marker not in response.text, (marker, response.text)


def assert_error(response: httpx.Response, status: int, code: str) -> None:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].split(";")[0] == "application/json"
    body = response.json()
    assert body["status"] == status and body["code"] == code, body


def documented_operations(http: httpx.Client) -> dict[tuple[str, str], dict[str, Any]]:
    document = _ok(http.get("/openapi.json"))
    return {(method.upper(), path): operation for path, item in document["paths"].items()
            for method, operation in item.items() if method in ("get", "post", "put", "patch", "delete")}


# --- the table matches the document -----------------------------------------------------------------------


def test_the_table_covers_every_documented_operation(http: httpx.Client) -> None:
    documented = documented_operations(http)
    assert set(documented) == set(OPERATIONS), "add the new route to OPERATIONS (and say how to aim it)"
    for (method, path), operation in documented.items():
        names = {p["name"] for p in operation.get("parameters", []) if p["in"] == "path"}
        assert names <= set(PATH_VALUES), (method, path, names - set(PATH_VALUES))
        assert ("{tenantId}" in path) == (OPERATIONS[method, path].role is not None), (method, path)
        has_body = "requestBody" in operation
        assert has_body == (OPERATIONS[method, path].body is not None or path == "/v1/tokens"), (method, path)


def test_the_table_is_right_for_the_owner(http: httpx.Client, tenant_a: Holdings) -> None:
    """Control: aimed at its own tenant with the role the table names, every operation succeeds, and the
    reads show the tenant's own markers, so the leak checks below would see a leak."""
    for (method, path), operation in OPERATIONS.items():
        if operation.role is None:
            continue
        auth = tenant_a.keys.auth(operation.role)
        url = fill(path, tenant_a)
        if method == "DELETE":  # revoke a key made for this, not one the module uses
            made = _ok(http.post(f"/v1/tenants/{tenant_a.id}/api-keys", json={"role": "read"},
                                 auth=tenant_a.keys.admin))
            url = url.replace(tenant_a.keys.read[0], made["id"])
        response = send(http, method, path, url, json=operation.body() if operation.body else None, auth=auth)
        assert 200 <= response.status_code < 300, (method, path, response.text)
        if method == "GET" and (method, path) not in HOLDS_NO_TENANT_DATA:
            assert any(marker in response.text for marker in tenant_a.markers()), (method, path, response.text)


# --- another tenant's key ---------------------------------------------------------------------------------


@pytest.mark.parametrize(("method", "path"), TENANT_OPERATIONS, ids=[f"{m} {p}" for m, p in TENANT_OPERATIONS])
@pytest.mark.parametrize("credential", ["basic", "token"])
def test_another_tenants_key_is_refused_on_every_operation(http: httpx.Client, tenant_a: Holdings,
                                                           tenant_b: Holdings, method: str, path: str,
                                                           credential: str) -> None:
    """A's keys, every role, as Basic or as a token, aimed at B's tenant id and B's ids: 403, not a byte of B,
    nothing of B changed."""
    before = snapshot(http, tenant_b)
    operation = OPERATIONS[method, path]
    for role in ROLES:
        auth: Any = tenant_a.keys.auth(role)
        headers = {}
        if credential == "token":
            token = _ok(http.post("/v1/tokens", auth=auth))["token"]
            auth, headers = None, {"authorization": f"Bearer {token}"}
        response = http.request(method, fill(path, tenant_b), json=operation.body() if operation.body else None,
                                auth=auth, headers=headers)
        assert_error(response, 403, "forbidden")
        assert_no_leak(response, tenant_b)
    assert snapshot(http, tenant_b) == before


@pytest.mark.parametrize(("method", "path"), TENANT_OPERATIONS, ids=[f"{m} {p}" for m, p in TENANT_OPERATIONS])
def test_another_tenants_ids_through_ones_own_path(http: httpx.Client, tenant_a: Holdings, tenant_b: Holdings,
                                                   method: str, path: str) -> None:
    """A's admin key on A's own path but with B's ids (interaction, contact, SLA, key): what it names is
    not A's, so a lookup is a 404 and a list is empty of B; B is unchanged either way."""
    before = snapshot(http, tenant_b)
    operation = OPERATIONS[method, path]
    url = fill(path, tenant_a, ids=tenant_b)
    response = send(http, method, path, url, json=operation.body() if operation.body else None,
                    auth=tenant_a.keys.admin)
    assert response.status_code < 500, response.text
    assert_no_leak(response, tenant_b, sent=url)
    if any(f"{{{name}}}" in path for name in ("interactionId", "slaId", "keyId")):
        assert_error(response, 404, "not_found")
    assert snapshot(http, tenant_b) == before


def test_a_token_request_naming_another_tenants_key(http: httpx.Client, tenant_a: Holdings,
                                                    tenant_b: Holdings) -> None:
    """/v1/tokens has no tenant in its path: the key id names the tenant, so B's key id with A's secret is a
    401, whichever way the credentials are sent."""
    for role in ROLES:
        b_key, a_secret = tenant_b.keys.auth(role)[0], tenant_a.keys.auth(role)[1]
        for response in (http.post("/v1/tokens", auth=(b_key, a_secret)),
                         http.post("/v1/tokens", json={"username": b_key, "password": a_secret})):
            assert_error(response, 401, "unauthenticated")
            assert_no_leak(response, tenant_b)
        mine = _ok(http.post("/v1/tokens", auth=tenant_a.keys.auth(role)))
        assert mine["tenantId"] == tenant_a.id and mine["role"] == role
        assert_no_leak(httpx.Response(200, text=json.dumps(mine)), tenant_b)


def test_health_shows_no_tenant_data(http: httpx.Client, tenant_a: Holdings, tenant_b: Holdings) -> None:
    for auth in (None, tenant_a.keys.admin):
        response = http.get("/health", auth=auth)
        assert response.status_code == 200
        assert set(response.json()) == {"status", "database", "version"}
        assert_no_leak(response, tenant_b)


# --- roles on one's own tenant ----------------------------------------------------------------------------

BELOW: list[tuple[str, str, str]] = [
    (method, path, role) for method, path in TENANT_OPERATIONS
    for role in ROLES[: ROLES.index(OPERATIONS[method, path].role or "read")]
]


@pytest.mark.parametrize(("method", "path", "role"), BELOW, ids=[f"{m} {p} as {r}" for m, p, r in BELOW])
def test_a_role_below_the_routes_is_refused(http: httpx.Client, tenant_a: Holdings, method: str, path: str,
                                            role: str) -> None:
    before = snapshot(http, tenant_a)
    operation = OPERATIONS[method, path]
    for auth, headers in ((tenant_a.keys.auth(role), {}),
                          (None, {"authorization": "Token " + _ok(http.post("/v1/tokens",
                                                                              auth=tenant_a.keys.auth(role)))["token"]})):
        response = http.request(method, fill(path, tenant_a), json=operation.body() if operation.body else None,
                                auth=auth, headers=headers)
        assert_error(response, 403, "forbidden")
    assert snapshot(http, tenant_a) == before


def test_every_route_below_admin_has_a_role_test() -> None:
    """Read routes have no lower role; every ingest and admin route is in BELOW with each role under it."""
    needing = {(m, p) for m, p in TENANT_OPERATIONS if OPERATIONS[m, p].role != "read"}
    assert {(m, p) for m, p, _ in BELOW} == needing
    assert len(BELOW) == sum(ROLES.index(OPERATIONS[key].role or "read") for key in needing)


# --- no credentials ---------------------------------------------------------------------------------------

PROTECTED = [key for key in OPERATIONS if key != ("GET", "/health")]


@pytest.mark.parametrize(("method", "path"), PROTECTED, ids=[f"{m} {p}" for m, p in PROTECTED])
def test_no_credentials_is_401_on_every_operation(http: httpx.Client, tenant_b: Holdings, method: str,
                                                  path: str) -> None:
    before = snapshot(http, tenant_b)
    operation = OPERATIONS[method, path]
    body = operation.body() if operation.body else None
    for headers in ({}, {"authorization": "Basic " + "A" * 40}, {"authorization": "Bearer nope"}):
        response = http.request(method, fill(path, tenant_b), json=body, headers=headers)
        assert_error(response, 401, "unauthenticated")
        assert "www-authenticate" in response.headers
        assert_no_leak(response, tenant_b)
    assert snapshot(http, tenant_b) == before
