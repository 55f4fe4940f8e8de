"""Credentials over HTTP on loopback, SQLite and PostgreSQL: an expired token is refused, revoking a key
refuses the very next request with it and with each of its tokens, and nothing the database holds contains a
secret or a token in clear."""

from __future__ import annotations

import hashlib
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import psycopg
import pytest

from cxreport.config import Settings
from cxreport.store import open_store
from support.servers import LiveServer, free_port, serving
from support.tenants import make_tenant_keys


@pytest.fixture
def server(fresh_database_url: str) -> Iterator[LiveServer]:
    """A server on a database of its own, so every byte of that database can be inspected."""
    settings = Settings(database_url=fresh_database_url, port=free_port())
    store = open_store(settings.database_url)
    store.migrate()
    with serving(settings, store) as base:
        yield LiveServer(base, store, settings)
    store.close()


def token_of(client: httpx.Client, auth: tuple[str, str], ttl: int = 3600) -> str:
    response = client.post("/v1/tokens", json={"username": auth[0], "password": auth[1], "ttl": ttl})
    assert response.status_code == 200, response.text
    token: str = response.json()["token"]
    return token


def as_token(token: str, scheme: str = "Token") -> dict[str, str]:
    return {"authorization": f"{scheme} {token}"}


def test_a_token_past_its_expiry_is_a_401(server: LiveServer) -> None:
    keys = make_tenant_keys(server.store)
    url = f"/v1/tenants/{keys.id}/interactions"
    with server.client() as client:
        token = token_of(client, keys.read, ttl=1)
        assert client.get(url, headers=as_token(token)).status_code == 200
        time.sleep(1.05)
        for scheme in ("Token", "Bearer"):
            expired = client.get(url, headers=as_token(token, scheme))
            assert expired.status_code == 401
            assert expired.json() == {"status": 401, "code": "unauthenticated",
                                      "message": "the token is unknown, expired or revoked"}
            assert "www-authenticate" in expired.headers
        assert client.get(url, auth=keys.read).status_code == 200  # the key itself still works


def test_revoking_a_key_refuses_its_very_next_requests_and_every_token_of_it(server: LiveServer) -> None:
    keys = make_tenant_keys(server.store)
    url = f"/v1/tenants/{keys.id}/interactions"
    with server.client() as client:
        tokens = [token_of(client, keys.read) for _ in range(3)]
        other_token = token_of(client, keys.ingest)
        assert client.get(url, auth=keys.read).status_code == 200
        assert [client.get(url, headers=as_token(t)).status_code for t in tokens] == [200, 200, 200]

        revoked = client.delete(f"/v1/tenants/{keys.id}/api-keys/{keys.read[0]}", auth=keys.admin)
        assert revoked.status_code == 200 and revoked.json()["revokedAt"]

        assert client.get(url, auth=keys.read).status_code == 401
        for token in tokens:
            for scheme in ("Token", "Bearer"):
                response = client.get(url, headers=as_token(token, scheme))
                assert response.status_code == 401 and response.json()["code"] == "unauthenticated"
        assert client.post("/v1/tokens", auth=keys.read).status_code == 401  # no new tokens either
        # other keys of the tenant, and their tokens, are untouched
        assert client.get(url, auth=keys.ingest).status_code == 200
        assert client.get(url, headers=as_token(other_token)).status_code == 200


def test_no_secret_or_token_is_stored_in_clear(server: LiveServer) -> None:
    keys = make_tenant_keys(server.store)
    with server.client() as client:
        created = client.post(f"/v1/tenants/{keys.id}/api-keys", json={"role": "read"}, auth=keys.admin).json()
        new_key = (created["id"], created["secret"])
        tokens = [token_of(client, auth) for auth in (keys.read, keys.admin, new_key)]
        tokens.append(client.post("/v1/tokens", auth=keys.ingest).json()["token"])
    secrets = [keys.read[1], keys.ingest[1], keys.admin[1], new_key[1]]

    # through the store: what it holds of each key and token is a SHA-256 hash, never the value
    stored_keys = server.store.list_keys(keys.id)
    assert {key.id for key in stored_keys} == {keys.read[0], keys.ingest[0], keys.admin[0], new_key[0]}
    by_id = {key.id: key for key in stored_keys}
    for key_id, secret in (keys.read, keys.ingest, keys.admin, new_key):
        assert by_id[key_id].secret_hash == hashlib.sha256(secret.encode()).hexdigest()
    for token in tokens:
        stored = server.store.get_token(hashlib.sha256(token.encode()).hexdigest())
        assert stored is not None and stored.tenant_id == keys.id
        assert token not in repr(stored)
    assert not any(secret in repr(key) for key in stored_keys for secret in secrets)

    # and every byte the database holds: no secret, no token, in any table
    dump = database_dump(server.settings.database_url)
    assert len(dump) > 1000
    for clear in [*secrets, *tokens]:
        assert clear.encode() not in dump


def database_dump(url: str) -> bytes:
    """Everything the database holds: a SQLite file and its write-ahead log, or every PostgreSQL row as text."""
    if url.startswith("sqlite:"):
        path = Path(url.removeprefix("sqlite:///"))
        return b"".join(p.read_bytes() for p in (path, path.with_name(path.name + "-wal")) if p.exists())
    with psycopg.connect(url) as connection:
        tables = [row[0] for row in connection.execute(
            "SELECT tablename FROM pg_tables WHERE schemaname = 'public' ORDER BY tablename")]
        assert {"api_keys", "tokens"} <= set(tables)
        rows = [row[0] for table in tables
                for row in connection.execute(f'SELECT t::text FROM "{table}" t')]
    return "\n".join(rows).encode()


def test_live_tokens_per_key_and_keys_per_tenant_are_capped(tmp_path: Path) -> None:
    """Each token is a write kept until 10 days past its expiry, each key a rate bucket: a read key minting
    tokens in a burst, or an admin making keys, meets a cap (a 409 naming it); revoking a key makes room."""
    settings = Settings(database_url=f"sqlite:///{tmp_path / 'caps.db'}", port=free_port(), rate_limit=0,
                        max_tokens_per_key=3, max_keys_per_tenant=5)
    capped = open_store(settings.database_url)
    capped.migrate()
    keys = make_tenant_keys(capped)  # three keys, one of each role
    try:
        with serving(settings, capped) as base, httpx.Client(base_url=base, timeout=30) as client:
            made = [client.post("/v1/tokens", auth=keys.read, json={"ttl": 60}) for _ in range(4)]
            assert [response.status_code for response in made] == [200, 200, 200, 409]
            refused = made[3].json()
            assert refused["code"] == "too_many_tokens" and "CXREPORT_MAX_TOKENS_PER_KEY" in refused["message"]
            assert client.post("/v1/tokens", auth=keys.ingest).status_code == 200  # another key, its own count
            new_keys = [client.post(f"/v1/tenants/{keys.id}/api-keys", auth=keys.admin, json={"role": "read"})
                        for _ in range(3)]
            assert [response.status_code for response in new_keys] == [201, 201, 409]
            assert new_keys[2].json()["code"] == "too_many_keys"
            assert "CXREPORT_MAX_KEYS_PER_TENANT" in new_keys[2].json()["message"]
            revoked = client.delete(f"/v1/tenants/{keys.id}/api-keys/{new_keys[0].json()['id']}", auth=keys.admin)
            assert revoked.status_code == 200
            again = client.post(f"/v1/tenants/{keys.id}/api-keys", auth=keys.admin, json={"role": "read"})
            assert again.status_code == 201
    finally:
        capped.close()
