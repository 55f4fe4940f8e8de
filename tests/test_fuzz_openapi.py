"""Schemathesis against the live server's own OpenAPI document: every operation, valid and invalid data
(a fixed seed, a bounded number of examples), authenticated as an admin key of the tenant in the path.
No 5xx, and every response conforms to the document: status code declared, content type, body schema,
invalid data rejected with a 4xx, valid data accepted.

Schemathesis' pytest loader (`schemathesis.pytest.from_fixture`) does not run on pytest 9.2, so each
operation is a plain Hypothesis test over `operation.as_strategy()`."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
import requests
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from schemathesis import GenerationMode
from schemathesis.specs.openapi.checks import positive_data_acceptance

from cxreport import clock
from cxreport.times import TimeFormatError, parse_instant
from support.servers import LiveServer
from support.tenants import TenantKeys, make_tenant_keys

EXAMPLES = 15
"""Per operation and mode: with 18 operations × 2 modes this keeps the module near 15 s a store."""

OPERATIONS = [
    ("GET", "/v1/tenants/{tenantId}/interactions"),
    ("POST", "/v1/tenants/{tenantId}/interactions"),
    ("GET", "/v1/tenants/{tenantId}/interactions/export"),
    ("GET", "/v1/tenants/{tenantId}/contacts/{contactId}/interactions"),
    ("GET", "/v1/tenants/{tenantId}/interactions/{interactionId}"),
    ("POST", "/v1/tenants/{tenantId}/events"),
    ("GET", "/v1/tenants/{tenantId}/interactions/{interactionId}/reporting-events"),
    ("GET", "/v1/tenants/{tenantId}/agents/{agentId}/state-events"),
    ("GET", "/v1/tenants/{tenantId}/slas"),
    ("POST", "/v1/tenants/{tenantId}/slas"),
    ("GET", "/v1/tenants/{tenantId}/slas/{slaId}"),
    ("POST", "/v1/tenants/{tenantId}/slas/{slaId}/versions"),
    ("POST", "/v1/tokens"),
    ("GET", "/v1/tenants/{tenantId}/api-keys"),
    ("POST", "/v1/tenants/{tenantId}/api-keys"),
    ("DELETE", "/v1/tenants/{tenantId}/api-keys/{keyId}"),
    ("GET", "/v1/tenants/{tenantId}/statistics"),
    ("GET", "/v1/tenants/{tenantId}/agent-statistics"),
    ("GET", "/v1/tenants/{tenantId}/wfm/intervals/{entity}"),
    ("GET", "/v1/tenants/{tenantId}/realtime-statistics/available"),
    ("GET", "/v1/tenants/{tenantId}/realtime-statistics/stream"),
    ("POST", "/v1/tenants/{tenantId}/realtime-statistics/batch"),
    ("GET", "/v1/tenants/{tenantId}/realtime-statistics/{statistic}"),
    ("GET", "/health"),
]
STREAMING = {("GET", "/v1/tenants/{tenantId}/realtime-statistics/stream")}
"""Never ends by itself: not fuzzed (tests/test_realtime_stream.py checks its answers, errors and auth)."""

# The record and event bodies are checked beyond what a JSON Schema says: times must be ISO 8601 in the forms
# the search accepts, counts whole numbers written as integers, each event type needs its own fields
# (docs/events.md). Schema-valid bodies are mostly not valid records or events, so "valid data is accepted"
# cannot hold for these two operations; every other check still runs on them.
BODY_CHECKED_BEYOND_THE_SCHEMA = {
    ("POST", "/v1/tenants/{tenantId}/interactions"),
    ("POST", "/v1/tenants/{tenantId}/events"),
    # start and end must be bucket boundaries in the zone, which a schema cannot state
    ("GET", "/v1/tenants/{tenantId}/statistics"),
    ("GET", "/v1/tenants/{tenantId}/agent-statistics"),
    # on 15-minute boundaries, at most 7 days apart, ended 10 minutes ago: beyond a schema too
    ("GET", "/v1/tenants/{tenantId}/wfm/intervals/{entity}"),
    # each request of a batch names a statistic that takes its scopes; a statistic takes only some scopes
    ("POST", "/v1/tenants/{tenantId}/realtime-statistics/batch"),
    ("GET", "/v1/tenants/{tenantId}/realtime-statistics/{statistic}"),
}


@pytest.fixture(scope="module")
def fuzz_tenant(live_server: LiveServer) -> TenantKeys:
    return make_tenant_keys(live_server.store)


@pytest.fixture(scope="module")
def api_schema(live_server: LiveServer, fuzz_tenant: TenantKeys) -> Any:
    config = schemathesis.Config.from_dict({
        "base-url": live_server.base_url,
        "auth": {"basic": {"username": fuzz_tenant.admin[0], "password": fuzz_tenant.admin[1]}},
        # no `.schemathesis/` folder (schemathesis' cache and crash records) left in the working folder
        "cache": {"enabled": False},
    })
    return schemathesis.openapi.from_url(f"{live_server.base_url}/openapi.json", config=config)


@pytest.fixture(scope="module")
def session() -> Iterator[requests.Session]:
    with requests.Session() as opened:
        yield opened


def test_the_table_covers_the_document(api_schema: Any) -> None:
    documented = {(operation.ok().method.upper(), operation.ok().path) for operation in api_schema.get_all_operations()}
    assert documented == set(OPERATIONS)


def breaks_a_rule_the_schema_cannot_state(case: Any, max_ttl: int) -> bool:
    """Rules the document states in words but a JSON Schema cannot: between parameters, a cursor only the
    server can make (it is signed), the configured token lifetime. Such a request is a 400 although each
    value alone fits the schema; the bad-input and error-shape tests check those 400s."""
    query = case.query or {}
    present = {name for name, value in query.items() if value is not None}
    if "cursor" in present or ("hookSubType" in present and "hookType" not in present):
        return True
    if {"start", "startTimeRange"} <= present or {"end", "endTimeRange"} <= present:
        return True
    if ("hookName" in present) != ("attribute-value" in present):
        return True
    if {"page", "offset"} <= present or ("page" in present and query["page"] * query.get("limit", 10) > 10**9):
        return True
    if {"startTimeRange", "endTimeRange"} & present and {"start", "end"} & present:
        return True  # the window's order is checked across spellings: keep it to one spelling
    if window_is_reversed(query.get("startTimeRange", query.get("start")), query.get("endTimeRange", query.get("end"))):
        return True
    body = case.body if isinstance(case.body, dict) else {}
    if is_in_the_future(body.get("effectiveFrom")):
        return True  # an SLA version starts at the latest now
    return isinstance(body.get("ttl"), int | float) and body["ttl"] > max_ttl


def is_in_the_future(value: Any) -> bool:
    try:
        return isinstance(value, str) and parse_instant(value) > clock.now_us()
    except TimeFormatError:
        return False  # a value the server refuses on its own


def window_is_reversed(start: Any, end: Any) -> bool:
    """Whether the window's start is after its end (each a date-time string the schema allows)."""
    try:
        return start is not None and end is not None and parse_instant(start) > parse_instant(end)
    except TimeFormatError:
        return False  # a value the server refuses on its own: not a rule between parameters


CASES = [(method, path, mode) for method, path in OPERATIONS for mode in GenerationMode
         if not (path == "/health" and mode.is_negative)  # /health takes no input that could be invalid
         and (method, path) not in STREAMING]


@pytest.mark.parametrize(("method", "path", "mode"), CASES, ids=[f"{m} {p} {mode}" for m, p, mode in CASES])
def test_fuzz(api_schema: Any, session: requests.Session, live_server: LiveServer, fuzz_tenant: TenantKeys,
              method: str, path: str, mode: GenerationMode) -> None:
    operation = api_schema[path][method]
    fixed = {"tenantId": fuzz_tenant.id} if "{tenantId}" in path else None
    excluded = [positive_data_acceptance] if (method, path) in BODY_CHECKED_BEYOND_THE_SCHEMA else []
    max_ttl = live_server.settings.max_token_ttl_seconds

    @settings(max_examples=EXAMPLES, derandomize=True, deadline=None, database=None,
              suppress_health_check=list(HealthCheck), phases=[Phase.explicit, Phase.generate])
    @given(operation.as_strategy(mode, path_parameters=fixed))
    def run(case: Any) -> None:
        if mode.is_positive and breaks_a_rule_the_schema_cannot_state(case, max_ttl):
            return
        response = case.call(session=session)
        if mode.is_negative and response.status_code == 414:
            # a path over CXREPORT's path cap is refused before any route (schemathesis' list of rejections
            # lacks 414): the one error shape, with its code
            assert response.json()["code"] == "path_too_long"
            return
        case.validate_response(response, excluded_checks=excluded)

    run()
