"""End to end, over HTTP on loopback: API keys, tokens, roles and tenant isolation."""

from __future__ import annotations

import base64
import time
import uuid
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest

from cxreport.service import credentials
from support.servers import LiveServer
from support.tenants import TenantKeys

RECORD_ID = "a1a1a1a1-0000-4000-8000-000000000001"


class Api:
    """The module's one HTTP client (making an httpx client costs ~50 ms), calling as one key or with
    whatever Authorization header a request names."""

    def __init__(self, client: httpx.Client, auth: tuple[str, str] | None = None) -> None:
        self.client = client
        self.auth = auth

    def __call__(self, auth: tuple[str, str] | None) -> Api:
        return Api(self.client, auth)

    def get(self, url: str, **kwargs: Any) -> httpx.Response:
        return self.client.request("GET", url, auth=self.auth, **kwargs)

    def post(self, url: str, **kwargs: Any) -> httpx.Response:
        return self.client.request("POST", url, auth=self.auth, **kwargs)

    def delete(self, url: str, **kwargs: Any) -> httpx.Response:
        return self.client.request("DELETE", url, auth=self.auth, **kwargs)


@pytest.fixture(scope="module")
def api(live_server: LiveServer) -> Iterator[Api]:
    with live_server.client() as client:
        yield Api(client)


def interactions(tenant_id: str) -> str:
    return f"/v1/tenants/{tenant_id}/interactions"


def api_keys(tenant_id: str) -> str:
    return f"/v1/tenants/{tenant_id}/api-keys"


def basic(key_id: str, secret: str) -> dict[str, str]:
    return {"authorization": "Basic " + base64.b64encode(f"{key_id}:{secret}".encode()).decode()}


def assert_unauthenticated(response: httpx.Response) -> None:
    assert response.status_code == 401, response.text
    assert "basic" in response.headers.get("www-authenticate", "").lower()
    body = response.json()
    assert body["status"] == 401 and body["code"] == "unauthenticated" and body["message"]


def assert_forbidden(response: httpx.Response) -> None:
    assert response.status_code == 403, response.text
    body = response.json()
    assert body["status"] == 403 and body["code"] == "forbidden" and body["message"]


def marker(keys: TenantKeys) -> str:
    """A value only this tenant's record holds, to spot any leak of it."""
    return f"customer-of-{keys.id}"


@pytest.fixture
def tenant_with_record(api: Api, new_tenant: Callable[..., TenantKeys]) -> TenantKeys:
    """A fresh tenant holding one record (RECORD_ID) whose customer is `marker(keys)`."""
    keys = new_tenant()
    record = {"interactionId": RECORD_ID, "startTimestamp": "2019-03-04T05:06:07.000Z",
              "customer": marker(keys)}
    client = api(keys.ingest)
    response = client.post(interactions(keys.id), json=record)
    assert response.json() == {"inserted": 1, "updated": 0, "unchanged": 0}
    return keys


def search_total(api: Api, keys: TenantKeys) -> int:
    client = api(keys.read)
    response = client.get(interactions(keys.id))
    assert response.status_code == 200, response.text
    total: int = response.json()["total"]
    return total


def works(api: Api, tenant_id: str, headers: dict[str, str]) -> httpx.Response:
    client = api
    return client.get(interactions(tenant_id), headers=headers)


def new_token(api: Api, auth: tuple[str, str], ttl: int | None = None) -> dict[str, Any]:
    client = api
    body: dict[str, Any] = {"username": auth[0], "password": auth[1]}
    if ttl is not None:
        body["ttl"] = ttl
    response = client.post("/v1/tokens", json=body)
    assert response.status_code == 200, response.text
    token: dict[str, Any] = response.json()
    return token


# --- HTTP Basic -------------------------------------------------------------------------------------------


def test_basic_auth_with_each_role_reads(api: Api, tenant_with_record: TenantKeys) -> None:
    for role in ("read", "ingest", "admin"):
        response = works(api, tenant_with_record.id, basic(*tenant_with_record.auth(role)))
        assert response.status_code == 200, response.text
        assert response.json()["total"] == 1
        assert response.json()["results"][0]["customer"] == marker(tenant_with_record)


def bad_headers(keys: TenantKeys) -> dict[str, dict[str, str]]:
    key_id, secret = keys.read
    return {
        "none": {},
        "empty": {"authorization": ""},
        "wrong secret": basic(key_id, secret + "x"),
        "empty secret": basic(key_id, ""),
        "secret of another key": basic(key_id, keys.admin[1]),
        "unknown key id": basic(str(uuid.uuid4()), secret),
        "no colon": {"authorization": "Basic " + base64.b64encode(key_id.encode()).decode()},
        "malformed base64": {"authorization": "Basic !!not-base64!!"},
        "base64 of non-utf8": {"authorization": "Basic " + base64.b64encode(b"\xff\xfe:\xff").decode()},
        "unknown scheme": {"authorization": "Digest " + basic(key_id, secret)["authorization"][6:]},
        "bare credentials": {"authorization": base64.b64encode(f"{key_id}:{secret}".encode()).decode()},
        "unknown token": {"authorization": "Token cxt_" + "A" * 43},
        "unknown bearer": {"authorization": "Bearer not-a-token"},
        "secret as token": {"authorization": f"Bearer {secret}"},
    }


@pytest.mark.parametrize(
    "case",
    ["none", "empty", "wrong secret", "empty secret", "secret of another key", "unknown key id", "no colon",
     "malformed base64", "base64 of non-utf8", "unknown scheme", "bare credentials", "unknown token",
     "unknown bearer", "secret as token"],
)
def test_missing_or_bad_credentials_are_401(api: Api, tenant_with_record: TenantKeys, case: str) -> None:
    headers = bad_headers(tenant_with_record)[case]
    client = api
    for response in (
        client.get(interactions(tenant_with_record.id), headers=headers),
        client.get(f"{interactions(tenant_with_record.id)}/{RECORD_ID}", headers=headers),
        client.post(interactions(tenant_with_record.id), headers=headers,
                    json={"interactionId": str(uuid.uuid4()), "startTimestamp": "2019-01-01T00:00Z"}),
        client.get(api_keys(tenant_with_record.id), headers=headers),
    ):
        assert_unauthenticated(response)
        assert marker(tenant_with_record) not in response.text
    assert search_total(api, tenant_with_record) == 1, "nothing was ingested"


# --- tokens ------------------------------------------------------------------------------------------------


def test_token_from_basic_auth(api: Api, live_server: LiveServer, tenant_with_record: TenantKeys) -> None:
    before = datetime.now(UTC)
    client = api(tenant_with_record.ingest)
    response = client.post("/v1/tokens")
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("application/json")
    body = response.json()
    assert set(body) == {"token", "expiresAt", "ttl", "tenantId", "role"}
    assert body["ttl"] == live_server.settings.token_ttl_seconds
    assert body["tenantId"] == tenant_with_record.id
    assert body["role"] == "ingest"
    assert isinstance(body["token"], str) and len(body["token"]) >= 32
    assert tenant_with_record.ingest[1] not in body["token"]
    expires = datetime.fromisoformat(body["expiresAt"].replace("Z", "+00:00"))
    assert body["expiresAt"].endswith("Z")
    lifetime = (expires - before).total_seconds()
    assert body["ttl"] - 5 <= lifetime <= body["ttl"] + 5


def test_token_from_json_body_with_ttl(api: Api, tenant_with_record: TenantKeys) -> None:
    before = datetime.now(UTC)
    body = new_token(api, tenant_with_record.read, ttl=120)
    assert body["ttl"] == 120
    assert body["tenantId"] == tenant_with_record.id and body["role"] == "read"
    expires = datetime.fromisoformat(body["expiresAt"].replace("Z", "+00:00"))
    assert 115 <= (expires - before).total_seconds() <= 125


def test_each_token_is_new(api: Api, tenant_with_record: TenantKeys) -> None:
    tokens = {new_token(api, tenant_with_record.read)["token"] for _ in range(3)}
    assert len(tokens) == 3


@pytest.mark.parametrize("scheme", ["Token", "Bearer", "bearer", "token"])
def test_token_works_as_token_or_bearer(api: Api, tenant_with_record: TenantKeys, scheme: str) -> None:
    token = new_token(api, tenant_with_record.read)["token"]
    response = works(api, tenant_with_record.id, {"authorization": f"{scheme} {token}"})
    assert response.status_code == 200, response.text
    assert response.json()["results"][0]["interactionId"] == RECORD_ID
    client = api
    one = client.get(f"{interactions(tenant_with_record.id)}/{RECORD_ID}",
                     headers={"authorization": f"{scheme} {token}"})
    assert one.status_code == 200 and one.json()["customer"] == marker(tenant_with_record)


def test_token_carries_its_keys_role(api: Api, tenant_with_record: TenantKeys) -> None:
    read_token = new_token(api, tenant_with_record.read)["token"]
    ingest_token = new_token(api, tenant_with_record.ingest)["token"]
    record = {"interactionId": str(uuid.uuid4()), "startTimestamp": "2019-05-05T00:00Z"}
    client = api
    denied = client.post(interactions(tenant_with_record.id), json=record,
                         headers={"authorization": f"Token {read_token}"})
    assert_forbidden(denied)
    allowed = client.post(interactions(tenant_with_record.id), json=record,
                          headers={"authorization": f"Bearer {ingest_token}"})
    assert allowed.status_code == 200 and allowed.json() == {"inserted": 1, "updated": 0, "unchanged": 0}
    assert_forbidden(client.get(api_keys(tenant_with_record.id),
                                headers={"authorization": f"Bearer {ingest_token}"}))


def test_token_expires(api: Api, tenant_with_record: TenantKeys) -> None:
    body = new_token(api, tenant_with_record.read, ttl=1)
    assert body["ttl"] == 1
    header = {"authorization": f"Token {body['token']}"}
    assert works(api, tenant_with_record.id, header).status_code == 200
    time.sleep(1.2)
    expired = works(api, tenant_with_record.id, header)
    assert_unauthenticated(expired)
    assert marker(tenant_with_record) not in expired.text
    assert_unauthenticated(works(api, tenant_with_record.id, {"authorization": f"Bearer {body['token']}"}))
    # the key itself is unaffected
    assert works(api, tenant_with_record.id, basic(*tenant_with_record.read)).status_code == 200


def test_token_cannot_mint_tokens(api: Api, tenant_with_record: TenantKeys) -> None:
    token = new_token(api, tenant_with_record.admin)["token"]
    client = api
    assert_unauthenticated(client.post("/v1/tokens", headers={"authorization": f"Bearer {token}"}))


@pytest.mark.parametrize("ttl", [0, -1, -3600, "max+1", 10**12])
def test_ttl_out_of_range_is_400(api: Api, live_server: LiveServer, tenant_with_record: TenantKeys,
                                 ttl: int | str) -> None:
    value = live_server.settings.max_token_ttl_seconds + 1 if ttl == "max+1" else ttl
    key_id, secret = tenant_with_record.read
    client = api
    response = client.post("/v1/tokens", json={"username": key_id, "password": secret, "ttl": value})
    assert response.status_code == 400, response.text
    body = response.json()
    assert body["status"] == 400 and body["code"] == "invalid_parameter"
    assert body["parameter"] == "ttl"
    assert "token" not in body


@pytest.mark.parametrize("ttl", ["10", [10], {"seconds": 10}, True])
def test_a_ttl_of_the_wrong_type_is_400_naming_it(api: Api, tenant_with_record: TenantKeys, ttl: object) -> None:
    key_id, secret = tenant_with_record.read
    body: dict[str, object] = {"username": key_id, "password": secret, "ttl": ttl}
    response = api.post("/v1/tokens", json=body)
    assert response.status_code == 400, response.text
    assert (response.json()["code"], response.json()["parameter"]) == ("invalid_body", "ttl")


def test_a_key_role_of_the_wrong_type_is_400_naming_it(api: Api, tenant_with_record: TenantKeys) -> None:
    response = api(tenant_with_record.admin).post(f"{api_keys(tenant_with_record.id)}", json={"role": 1})
    assert response.status_code == 400, response.text
    assert (response.json()["code"], response.json()["parameter"]) == ("invalid_body", "role")


def test_ttl_at_the_maximum_is_accepted(api: Api, live_server: LiveServer,
                                        tenant_with_record: TenantKeys) -> None:
    maximum = live_server.settings.max_token_ttl_seconds
    assert new_token(api, tenant_with_record.read, ttl=maximum)["ttl"] == maximum


@pytest.mark.parametrize(
    "credentials_body",
    [
        lambda keys: {"username": keys.read[0], "password": keys.read[1] + "x"},
        lambda keys: {"username": str(uuid.uuid4()), "password": keys.read[1]},
        lambda keys: {"username": keys.read[0], "password": ""},
    ],
    ids=["wrong password", "unknown username", "empty password"],
)
def test_token_request_with_bad_credentials_is_401(
    api: Api, tenant_with_record: TenantKeys, credentials_body: Callable[[TenantKeys], dict[str, str]]
) -> None:
    client = api
    response = client.post("/v1/tokens", json=credentials_body(tenant_with_record))
    assert_unauthenticated(response)
    assert "token" not in response.json()


def test_token_request_without_credentials_is_401(api: Api, tenant_with_record: TenantKeys) -> None:
    client = api
    assert_unauthenticated(client.post("/v1/tokens"))
    assert_unauthenticated(client.post("/v1/tokens", headers=basic(tenant_with_record.read[0], "nope")))
    assert_unauthenticated(client.post("/v1/tokens", headers={"authorization": "Basic %%%"}))


# --- roles -------------------------------------------------------------------------------------------------

OPERATIONS = ["search", "get", "ingest", "list keys", "create key", "revoke key"]
NEEDS = {"search": "read", "get": "read", "ingest": "ingest", "list keys": "admin", "create key": "admin",
         "revoke key": "admin"}
RANK = {"read": 0, "ingest": 1, "admin": 2}


def call(api: Api, operation: str, path_tenant: str, headers: dict[str, str],
         victim_key: str | None = None) -> httpx.Response:
    """Perform one operation on `path_tenant`'s routes with the given Authorization header."""
    client = api
    if operation == "search":
        return client.get(interactions(path_tenant), headers=headers)
    if operation == "get":
        return client.get(f"{interactions(path_tenant)}/{RECORD_ID}", headers=headers)
    if operation == "ingest":
        return client.post(interactions(path_tenant), headers=headers,
                           json={"interactionId": "b2b2b2b2-0000-4000-8000-000000000002",
                                 "startTimestamp": "2019-03-05T00:00:00Z", "customer": "intruder"})
    if operation == "list keys":
        return client.get(api_keys(path_tenant), headers=headers)
    if operation == "create key":
        return client.post(api_keys(path_tenant), headers=headers, json={"role": "admin"})
    assert operation == "revoke key" and victim_key is not None
    return client.delete(f"{api_keys(path_tenant)}/{victim_key}", headers=headers)


@pytest.mark.parametrize("role", ["read", "ingest", "admin"])
@pytest.mark.parametrize("operation", OPERATIONS)
def test_roles(api: Api, live_server: LiveServer, tenant_with_record: TenantKeys, role: str,
               operation: str) -> None:
    keys = tenant_with_record
    victim = credentials.issue_key(live_server.store, keys.id, "read")
    response = call(api, operation, keys.id, basic(*keys.auth(role)), victim.key.id)
    allowed = RANK[role] >= RANK[NEEDS[operation]]
    if not allowed:
        assert_forbidden(response)
        assert marker(keys) not in response.text
        assert search_total(api, keys) == 1
        assert works(api, keys.id, basic(victim.key.id, victim.secret)).status_code == 200
        client = api(keys.admin)
        assert len(client.get(api_keys(keys.id)).json()) == 4
        return
    if operation == "search":
        assert response.status_code == 200 and response.json()["total"] == 1
    elif operation == "get":
        assert response.status_code == 200 and response.json()["customer"] == marker(keys)
    elif operation == "ingest":
        assert response.status_code == 200
        assert response.json() == {"inserted": 1, "updated": 0, "unchanged": 0}
        assert search_total(api, keys) == 2
    elif operation == "list keys":
        assert response.status_code == 200
        assert {key["id"] for key in response.json()} == {keys.read[0], keys.ingest[0], keys.admin[0],
                                                          victim.key.id}
    elif operation == "create key":
        assert response.status_code == 201, response.text
        created = response.json()
        assert set(created) == {"id", "secret", "role"} and created["role"] == "admin"
        new_key = basic(created["id"], created["secret"])
        assert works(api, keys.id, new_key).status_code == 200
        client = api
        assert client.get(api_keys(keys.id), headers=new_key).status_code == 200
    else:
        assert response.status_code == 200, response.text
        assert response.json()["id"] == victim.key.id and response.json()["revokedAt"]
        assert_unauthenticated(works(api, keys.id, basic(victim.key.id, victim.secret)))


def test_roles_of_created_keys(api: Api, tenant_with_record: TenantKeys) -> None:
    record = {"interactionId": str(uuid.uuid4()), "startTimestamp": "2019-01-01T00:00Z"}
    client = api(tenant_with_record.admin)
    made = {role: client.post(api_keys(tenant_with_record.id), json={"role": role}).json()
            for role in ("read", "ingest", "admin")}
    default = client.post(api_keys(tenant_with_record.id))
    assert default.status_code == 201 and default.json()["role"] == "read"
    assert [made[role]["role"] for role in made] == ["read", "ingest", "admin"]
    client = api
    for role, key in made.items():
        headers = basic(key["id"], key["secret"])
        assert client.get(interactions(tenant_with_record.id), headers=headers).status_code == 200
        posted = client.post(interactions(tenant_with_record.id), headers=headers, json=record)
        assert posted.status_code == (403 if role == "read" else 200), posted.text
        listed = client.get(api_keys(tenant_with_record.id), headers=headers)
        assert listed.status_code == (200 if role == "admin" else 403), listed.text


def test_creating_a_key_with_an_unknown_role_is_400(api: Api, tenant_with_record: TenantKeys) -> None:
    client = api(tenant_with_record.admin)
    response = client.post(api_keys(tenant_with_record.id), json={"role": "superuser"})
    assert response.status_code == 400, response.text
    assert response.json()["parameter"] == "role"
    assert len(client.get(api_keys(tenant_with_record.id)).json()) == 3


# --- tenant isolation --------------------------------------------------------------------------------------


@pytest.mark.parametrize("role", ["read", "ingest", "admin"])
@pytest.mark.parametrize("operation", OPERATIONS)
def test_a_key_on_another_tenants_path_is_403(api: Api, live_server: LiveServer,
                                              tenant_with_record: TenantKeys,
                                              new_tenant: Callable[..., TenantKeys], role: str,
                                              operation: str) -> None:
    victim = tenant_with_record
    intruder = new_tenant()
    victim_key = credentials.issue_key(live_server.store, victim.id, "read")
    response = call(api, operation, victim.id, basic(*intruder.auth(role)), victim_key.key.id)
    assert_forbidden(response)
    for leaked in (marker(victim), RECORD_ID, victim.read[0], victim.ingest[0], victim.admin[0],
                   victim_key.key.id):
        assert leaked not in response.text
    # and nothing changed in the victim tenant
    assert search_total(api, victim) == 1
    assert works(api, victim.id, basic(victim_key.key.id, victim_key.secret)).status_code == 200
    client = api(victim.admin)
    listed = client.get(api_keys(victim.id)).json()
    assert len(listed) == 4 and not any(key.get("revokedAt") for key in listed)


@pytest.mark.parametrize("operation", OPERATIONS)
def test_a_token_on_another_tenants_path_is_403(
    api: Api, live_server: LiveServer, tenant_with_record: TenantKeys, new_tenant: Callable[..., TenantKeys],
    operation: str,
) -> None:
    intruder = new_tenant()
    token = new_token(api, intruder.admin)["token"]
    victim_key = credentials.issue_key(live_server.store, tenant_with_record.id, "read")
    response = call(api, operation, tenant_with_record.id, {"authorization": f"Bearer {token}"},
                    victim_key.key.id)
    assert_forbidden(response)
    assert marker(tenant_with_record) not in response.text
    assert search_total(api, tenant_with_record) == 1


@pytest.mark.parametrize(
    "path_tenant",
    ["6f1f8f5e-0000-4000-8000-00000000dead", "not-a-tenant", "%20", "x" * 300, "NOT-A-UUID-%C3%A9"],
    ids=["unknown uuid", "malformed", "blank", "long", "non-ascii"],
)
@pytest.mark.parametrize("operation", OPERATIONS)
def test_a_key_on_a_tenant_that_does_not_exist_is_403_not_404(
    api: Api, tenant_with_record: TenantKeys, path_tenant: str, operation: str
) -> None:
    response = call(api, operation, path_tenant, basic(*tenant_with_record.admin), str(uuid.uuid4()))
    assert_forbidden(response)


def test_another_tenants_id_in_upper_case_is_403(api: Api, tenant_with_record: TenantKeys,
                                                 new_tenant: Callable[..., TenantKeys]) -> None:
    intruder = new_tenant()
    for operation in ("search", "get", "list keys"):
        response = call(api, operation, tenant_with_record.id.upper(), basic(*intruder.admin))
        assert_forbidden(response)
        assert marker(tenant_with_record) not in response.text


def test_own_key_ids_of_another_tenant_are_not_found(api: Api, tenant_with_record: TenantKeys,
                                                     new_tenant: Callable[..., TenantKeys]) -> None:
    """An admin may only revoke its own tenant's keys, even by naming another tenant's key id."""
    other = new_tenant()
    client = api(tenant_with_record.admin)
    response = client.delete(f"{api_keys(tenant_with_record.id)}/{other.read[0]}")
    assert response.status_code == 404, response.text
    assert response.json()["code"] == "not_found"
    assert works(api, other.id, basic(*other.read)).status_code == 200


def test_records_of_another_tenant_are_not_found_through_ones_own_path(
    api: Api, tenant_with_record: TenantKeys, new_tenant: Callable[..., TenantKeys]
) -> None:
    other = new_tenant()
    client = api(other.read)
    response = client.get(f"{interactions(other.id)}/{RECORD_ID}")
    assert response.status_code == 404 and marker(tenant_with_record) not in response.text
    assert client.get(interactions(other.id)).json()["total"] == 0


# --- revocation --------------------------------------------------------------------------------------------


def test_revoking_over_http_takes_effect_at_once(api: Api, tenant_with_record: TenantKeys) -> None:
    keys = tenant_with_record
    token = new_token(api, keys.ingest)["token"]
    token_header = {"authorization": f"Token {token}"}
    assert works(api, keys.id, token_header).status_code == 200
    assert works(api, keys.id, basic(*keys.ingest)).status_code == 200
    client = api(keys.admin)
    revoked = client.delete(f"{api_keys(keys.id)}/{keys.ingest[0]}")
    assert revoked.status_code == 200, revoked.text
    info = revoked.json()
    assert info["id"] == keys.ingest[0] and info["tenantId"] == keys.id and info["role"] == "ingest"
    assert info["revokedAt"].endswith("Z")
    assert keys.ingest[1] not in revoked.text
    assert_unauthenticated(works(api, keys.id, basic(*keys.ingest)))
    assert_unauthenticated(works(api, keys.id, token_header))
    assert_unauthenticated(works(api, keys.id, {"authorization": f"Bearer {token}"}))
    client = api
    assert_unauthenticated(client.post("/v1/tokens", headers=basic(*keys.ingest)))
    assert_unauthenticated(client.post("/v1/tokens",
                                       json={"username": keys.ingest[0], "password": keys.ingest[1]}))
    # other keys of the tenant are untouched
    assert works(api, keys.id, basic(*keys.read)).status_code == 200
    client = api(keys.admin)
    listed = {key["id"]: key for key in client.get(api_keys(keys.id)).json()}
    assert listed[keys.ingest[0]]["revokedAt"] == info["revokedAt"]
    assert "revokedAt" not in listed[keys.read[0]] or listed[keys.read[0]]["revokedAt"] is None


def test_revoking_in_the_store_takes_effect_within_a_second(api: Api, live_server: LiveServer,
                                                            tenant_with_record: TenantKeys) -> None:
    """As a revocation by another process (`cxreport keys revoke`, another worker): the server remembers an
    authentication for a second at most (service.principal_cache)."""
    keys = tenant_with_record
    token = new_token(api, keys.read)["token"]
    client = api
    assert client.get(interactions(keys.id), headers={"authorization": f"Bearer {token}"}).status_code == 200
    assert client.get(interactions(keys.id), headers=basic(*keys.read)).status_code == 200
    credentials.revoke_key(live_server.store, keys.read[0])
    revoked_at = time.monotonic()
    while True:
        # Timed from when a request is sent, not from when its answer arrives: a request sent just before the
        # second is up may be answered just after it (a loaded machine's answers take milliseconds).
        sent_after = time.monotonic() - revoked_at
        if client.get(interactions(keys.id), headers=basic(*keys.read)).status_code != 200:
            break
        assert sent_after < 1.0, f"a request sent {sent_after:.3f} s after the revocation was still let in"
        time.sleep(0.05)
    assert_unauthenticated(client.get(interactions(keys.id), headers=basic(*keys.read)))
    assert_unauthenticated(client.get(interactions(keys.id), headers={"authorization": f"Bearer {token}"}))


def test_an_admin_may_revoke_its_own_key(api: Api, tenant_with_record: TenantKeys) -> None:
    keys = tenant_with_record
    client = api(keys.admin)
    assert client.delete(f"{api_keys(keys.id)}/{keys.admin[0]}").status_code == 200
    assert_unauthenticated(client.get(api_keys(keys.id)))


def test_revoking_an_unknown_key_is_404(api: Api, tenant_with_record: TenantKeys) -> None:
    client = api(tenant_with_record.admin)
    response = client.delete(f"{api_keys(tenant_with_record.id)}/{uuid.uuid4()}")
    assert response.status_code == 404 and response.json()["code"] == "not_found"


# --- listing keys ------------------------------------------------------------------------------------------


def test_listing_keys_never_shows_secrets_or_hashes(api: Api, live_server: LiveServer,
                                                    tenant_with_record: TenantKeys) -> None:
    keys = tenant_with_record
    client = api(keys.admin)
    created = client.post(api_keys(keys.id), json={"role": "ingest"}).json()
    client.delete(f"{api_keys(keys.id)}/{keys.read[0]}")
    response = client.get(api_keys(keys.id))
    assert response.status_code == 200 and response.headers["content-type"].startswith("application/json")
    listed = response.json()
    ids = [keys.read[0], keys.ingest[0], keys.admin[0], created["id"]]
    assert sorted(key["id"] for key in listed) == sorted(ids)
    for key in listed:
        assert set(key) <= {"id", "tenantId", "role", "createdAt", "revokedAt"}
        assert {"id", "tenantId", "role", "createdAt"} <= set(key)
        assert key["tenantId"] == keys.id
    roles = {key["id"]: key["role"] for key in listed}
    assert roles == {keys.read[0]: "read", keys.ingest[0]: "ingest", keys.admin[0]: "admin",
                     created["id"]: "ingest"}
    revoked = {key["id"] for key in listed if key.get("revokedAt")}
    assert revoked == {keys.read[0]}
    secrets = [keys.read[1], keys.ingest[1], keys.admin[1], created["secret"]]
    for key_id, secret in zip(ids, secrets, strict=True):
        stored = live_server.store.get_key(key_id)
        assert stored is not None
        assert secret not in response.text
        assert stored.secret_hash not in response.text
        assert credentials.hash_secret(secret) not in response.text
    assert "secret" not in response.text.lower()
    assert "hash" not in response.text.lower()
