"""End to end, over HTTP on loopback: the OpenAPI document, the docs page and the health route."""

from __future__ import annotations

import json
import re
from typing import Any

import httpx
import pytest

from support.tenants import TenantKeys

SEARCH = "/v1/tenants/{tenantId}/interactions"
ONE = "/v1/tenants/{tenantId}/interactions/{interactionId}"
KEYS = "/v1/tenants/{tenantId}/api-keys"
KEY = "/v1/tenants/{tenantId}/api-keys/{keyId}"
ROUTES = {
    SEARCH: {"get", "post"},
    ONE: {"get"},
    "/v1/tokens": {"post"},
    KEYS: {"get", "post"},
    KEY: {"delete"},
    "/health": {"get"},
    "/v1/tenants/{tenantId}/events": {"post"},
    "/v1/tenants/{tenantId}/interactions/{interactionId}/reporting-events": {"get"},
    "/v1/tenants/{tenantId}/slas": {"get", "post"},
    "/v1/tenants/{tenantId}/slas/{slaId}": {"get"},
    "/v1/tenants/{tenantId}/slas/{slaId}/versions": {"post"},
    "/v1/tenants/{tenantId}/wfm/intervals/{entity}": {"get"},
}
HTTP_METHODS = {"get", "put", "post", "delete", "options", "head", "patch", "trace"}
SEARCH_PARAMETERS = {"startTimeRange", "endTimeRange", "start", "end", "limit", "page", "offset", "includenulls",
                     "includeNulls"}
ENVELOPE = ["page", "limit", "offset", "tenantId", "total", "tenantName", "tenantTimezone", "results",
            "timeField", "sort", "window", "next", "nextUrl"]


@pytest.fixture(scope="module")
def document(http: httpx.Client) -> dict[str, Any]:
    response = http.get("/openapi.json")
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("application/json")
    parsed: dict[str, Any] = json.loads(response.text)
    return parsed


def resolve(document: dict[str, Any], schema: dict[str, Any]) -> dict[str, Any]:
    """Follow `$ref`s (and a nullable `oneOf` around one) to the schema itself."""
    while True:
        if "$ref" in schema:
            ref: str = schema["$ref"]
            assert ref.startswith("#/"), ref
            target: Any = document
            for part in ref[2:].split("/"):
                target = target[part]
            schema = target
        elif "oneOf" in schema or "anyOf" in schema:
            options = [s for s in schema.get("oneOf", schema.get("anyOf")) if s.get("type") != "null"]
            assert len(options) == 1, schema
            schema = options[0]
        else:
            return schema


def schema_types(document: dict[str, Any], schema: dict[str, Any]) -> set[str]:
    """The JSON types a (possibly nullable) schema allows, `null` left out."""
    if "$ref" in schema:
        return schema_types(document, resolve(document, schema))
    for combinator in ("oneOf", "anyOf"):
        if combinator in schema:
            return set().union(*(schema_types(document, s) for s in schema[combinator])) - {"null"}
    kind = schema.get("type")
    if isinstance(kind, list):
        return set(kind) - {"null"}
    return {kind} if kind else set()


def operation(document: dict[str, Any], path: str, method: str) -> dict[str, Any]:
    assert path in document["paths"], sorted(document["paths"])
    assert method in document["paths"][path], sorted(document["paths"][path])
    found: dict[str, Any] = document["paths"][path][method]
    return found


def response_schema(document: dict[str, Any], path: str, method: str, status: str) -> dict[str, Any]:
    responses = operation(document, path, method)["responses"]
    assert status in responses, sorted(responses)
    content = responses[status]["content"]
    assert "application/json" in content, sorted(content)
    return resolve(document, content["application/json"]["schema"])


def test_it_is_openapi_3(document: dict[str, Any]) -> None:
    assert isinstance(document["openapi"], str) and document["openapi"].startswith("3.")
    assert document["info"]["title"] and document["info"]["version"]
    assert isinstance(document["paths"], dict)


def test_every_route_with_its_methods(document: dict[str, Any]) -> None:
    for path, methods in ROUTES.items():
        assert path in document["paths"], f"{path} is missing; documented: {sorted(document['paths'])}"
        documented = set(document["paths"][path]) & HTTP_METHODS
        assert documented == methods, (path, documented)


def test_every_documented_operation_is_served(http: httpx.Client, document: dict[str, Any],
                                              seed_tenant: TenantKeys) -> None:
    """Nothing documented is a 404 or 405 on the live server (a wrong key, at worst, is a 401)."""
    for path, item in document["paths"].items():
        url = (path.replace("{tenantId}", seed_tenant.id)
               .replace("{interactionId}", "e6952d50-eca3-11e7-ba92-25b49e03c3e7")
               .replace("{keyId}", "00000000-0000-4000-8000-000000000000"))
        for method in set(item) & HTTP_METHODS:
            response = http.request(method.upper(), url, auth=("00000000-0000-4000-8000-000000000000", "nope"))
            assert response.status_code not in (404, 405), (method, path, response.text)


def test_operations_have_ids_and_summaries(document: dict[str, Any]) -> None:
    ids = []
    for path, methods in ROUTES.items():
        for method in methods:
            op = operation(document, path, method)
            assert op.get("summary"), (method, path)
            ids.append(op["operationId"])
    assert len(ids) == len(set(ids)), "operation ids are unique"


def test_path_parameters_are_documented(document: dict[str, Any]) -> None:
    for path, methods in ROUTES.items():
        names = {part[1:-1] for part in path.split("/") if part.startswith("{")}
        for method in methods:
            params = operation(document, path, method).get("parameters", [])
            in_path = {p["name"] for p in params if p["in"] == "path"}
            assert in_path == names, (method, path, in_path)
            for param in params:
                if param["in"] == "path":
                    assert param["required"] is True
                    assert schema_types(document, param["schema"]) == {"string"}


def test_search_parameters(document: dict[str, Any]) -> None:
    params = {p["name"]: p for p in operation(document, SEARCH, "get")["parameters"] if p["in"] == "query"}
    assert set(params) >= SEARCH_PARAMETERS, sorted(params)
    for name in SEARCH_PARAMETERS:
        assert params[name].get("required", False) is False, name
    for name in ("startTimeRange", "endTimeRange", "start", "end"):
        assert schema_types(document, params[name]["schema"]) == {"string"}, name
    for name in ("limit", "page", "offset"):
        assert schema_types(document, params[name]["schema"]) == {"integer"}, name
    for name in ("includenulls", "includeNulls"):
        assert schema_types(document, params[name]["schema"]) == {"boolean"}, name


def test_search_response_schema(document: dict[str, Any], http: httpx.Client, seed_tenant: TenantKeys) -> None:
    envelope = response_schema(document, SEARCH, "get", "200")
    assert envelope.get("type") == "object"
    properties = envelope["properties"]
    assert list(properties) == [*ENVELOPE, "truncated"]  # only on a page the byte cap ended
    live = http.get(f"/v1/tenants/{seed_tenant.id}/interactions", auth=seed_tenant.read).json()
    assert list(live) == ENVELOPE, "the document describes what the server sends"
    assert set(envelope.get("required", [])) == set(ENVELOPE)
    assert schema_types(document, properties["page"]) == {"integer"}
    for name in ("limit", "offset", "total"):
        assert schema_types(document, properties[name]) == {"integer"}, name
    for name in ("tenantId", "tenantName", "tenantTimezone"):
        assert schema_types(document, properties[name]) == {"string"}, name
    results = resolve(document, properties["results"])
    assert results["type"] == "array"
    record = resolve(document, results["items"])
    assert record["type"] == "object"
    assert {"interactionId", "startTimestamp", "endTimestamp", "segments", "queues", "agents"} <= set(
        record["properties"])
    assert {"interactionId", "startTimestamp"} <= set(record.get("required", []))
    # the statistics, flags and nested arrays are typed as the server checks them
    assert schema_types(document, record["properties"]["interactionTime"]) == {"number"}
    assert schema_types(document, record["properties"]["flagged"]) == {"boolean"}
    assert schema_types(document, record["properties"]["segments"]) == {"array"}


def test_search_error_responses(document: dict[str, Any]) -> None:
    for status in ("400", "401", "403"):
        error = response_schema(document, SEARCH, "get", status)
        assert {"status", "code", "message", "parameter"} <= set(error["properties"])
        assert {"status", "code", "message"} <= set(error.get("required", []))


def test_other_response_schemas(document: dict[str, Any]) -> None:
    ingest = response_schema(document, SEARCH, "post", "200")
    assert set(ingest["properties"]) == {"inserted", "updated", "unchanged"}
    assert "413" in operation(document, SEARCH, "post")["responses"]
    one = response_schema(document, ONE, "get", "200")
    assert {"interactionId", "startTimestamp", "details"} <= set(one["properties"])
    assert "404" in operation(document, ONE, "get")["responses"]
    token = response_schema(document, "/v1/tokens", "post", "200")
    assert set(token["properties"]) == {"token", "expiresAt", "ttl", "tenantId", "role"}
    listed = response_schema(document, KEYS, "get", "200")
    assert listed["type"] == "array"
    key_info = resolve(document, listed["items"])
    assert "id" in key_info["properties"]
    assert not any("secret" in name.lower() or "hash" in name.lower() for name in key_info["properties"])
    created = response_schema(document, KEYS, "post", "201")
    assert {"id", "secret", "role"} <= set(created["properties"])
    health = response_schema(document, "/health", "get", "200")
    assert {"status", "database"} <= set(health["properties"])


def test_security_schemes(document: dict[str, Any]) -> None:
    schemes = document["components"]["securitySchemes"]
    kinds = {(scheme["type"], scheme.get("scheme", "").lower()) for scheme in schemes.values()}
    assert ("http", "basic") in kinds
    assert ("http", "bearer") in kinds


def test_the_docs_page(http: httpx.Client) -> None:
    response = http.get("/docs")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    page = response.text
    assert page.lstrip().lower().startswith("<!doctype html")
    assert "</html>" in page.lower()
    assert "cxreport" in page
    # served from packaged assets (works offline), no inline script, a strict policy
    sources = re.findall(r'<(?:script|link)[^>]*(?:src|href)="([^"]+)"', page)
    assert sources and all(source.startswith("/docs/assets/") for source in sources), sources
    assert "http" not in "".join(sources)
    assert re.findall(r"<script(?![^>]*\bsrc=)[^>]*>", page) == [], "no inline script"
    policy = response.headers["content-security-policy"]
    assert "script-src 'self';" in policy and "default-src 'none'" in policy and "unsafe-eval" not in policy
    for source in sources:
        asset = http.get(source)
        assert asset.status_code == 200 and len(asset.content) > 100, source
        assert asset.headers["content-security-policy"] == policy
    bundle = http.get("/docs/assets/swagger-ui-bundle.js")
    assert bundle.headers["content-type"] == "text/javascript; charset=utf-8" and b"SwaggerUIBundle" in bundle.content
    assert b"Apache License" in http.get("/docs/assets/LICENSE").content
    assert http.get("/docs/assets/..%2F..%2Fconfig.py").status_code == 404
    assert http.get("/docs/assets/nope.js").status_code == 404


def test_health(http: httpx.Client) -> None:
    response = http.get("/health")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/json")
    body = response.json()
    assert body["status"] == "up"
    assert body["database"] == "reachable"


def test_health_needs_no_credentials_and_ignores_bad_ones(http: httpx.Client) -> None:
    response = http.get("/health", auth=("nobody", "nothing"))
    assert response.status_code == 200 and response.json()["status"] == "up"


def test_the_document_needs_no_credentials(http: httpx.Client, document: dict[str, Any]) -> None:
    again = http.get("/openapi.json", headers={"authorization": "Basic !!!"})
    assert again.status_code == 200
    assert again.json() == document


def test_every_post_documents_its_body(document: dict[str, Any]) -> None:
    for path, item in document["paths"].items():
        if "post" in item:
            assert "requestBody" in item["post"], path
            assert "application/json" in item["post"]["requestBody"]["content"], path
    events_body = operation(document, "/v1/tenants/{tenantId}/events", "post")["requestBody"]["content"]
    assert "application/x-ndjson" in events_body
    sla_body = operation(document, "/v1/tenants/{tenantId}/slas", "post")["requestBody"]["content"]["application/json"]
    assert set(sla_body["schema"]["properties"]) == {"name", "queueId", "slaThreshold", "abandonType",
                                                     "abandonThreshold", "effectiveFrom"}
