"""Request limits: the per-key rate limit (429 with Retry-After and RateLimit-* headers) and the query-string
limit (414), each in the one JSON error shape, over HTTP on loopback."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from cxreport.config import Settings
from cxreport.http.ratelimit import Allowance, RateLimiter
from cxreport.store import open_store
from support.errors import assert_error_shape
from support.servers import LiveServer, free_port, serving
from support.tenants import TenantKeys, make_tenant_keys

RATE, BURST = 1, 3


class Clock:
    """Time that moves only when the test says (the limiter's clock is its one outside input)."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_a_bucket_allows_the_burst_then_the_rate() -> None:
    clock = Clock()
    limiter = RateLimiter(rate=2, burst=3, clock=clock)
    assert [limiter.take("k") for _ in range(4)] == [
        Allowance(3, 2, 1, 0), Allowance(3, 1, 1, 0), Allowance(3, 0, 2, 0), Allowance(3, 0, 2, 1),
    ]
    assert limiter.take("other") == Allowance(3, 2, 1, 0)  # each key has its own bucket
    clock.now += 0.5  # one request's worth at 2 a second
    assert limiter.take("k") == Allowance(3, 0, 2, 0)
    assert limiter.take("k") == Allowance(3, 0, 2, 1)
    clock.now += 60  # refilled, never beyond the burst
    assert limiter.take("k") == Allowance(3, 2, 1, 0)


def test_rate_zero_turns_limiting_off() -> None:
    limiter = RateLimiter(rate=0, burst=1)
    assert all(limiter.take("k") is None for _ in range(1000))


@pytest.fixture(scope="module")
def limited_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    """A server allowing each key RATE requests a second, BURST at once."""
    folder: Path = tmp_path_factory.mktemp("limited")
    settings = Settings(database_url=f"sqlite:///{folder / 'limited.db'}", port=free_port(), rate_limit=RATE,
                        rate_burst=BURST)
    store = open_store(settings.database_url)
    store.migrate()
    with serving(settings, store) as base:
        yield LiveServer(base, store, settings)
    store.close()


@pytest.fixture
def limited(limited_server: LiveServer) -> tuple[str, TenantKeys, TenantKeys]:
    """The limited server's URL and two fresh tenants: keys whose buckets are full."""
    return limited_server.base_url, make_tenant_keys(limited_server.store), make_tenant_keys(limited_server.store)


def rate_headers(response: httpx.Response) -> tuple[str, str, str]:
    return (response.headers["ratelimit-limit"], response.headers["ratelimit-remaining"],
            response.headers["ratelimit-reset"])


def test_over_the_rate_is_a_429_with_retry_after(limited: tuple[str, TenantKeys, TenantKeys],
                                                  limited_server: LiveServer) -> None:
    base, keys, other = limited
    url = f"/v1/tenants/{keys.id}/interactions"
    with httpx.Client(base_url=base, timeout=30) as client:
        answers = [client.get(url, auth=keys.read) for _ in range(BURST + 1)]
        assert [r.status_code for r in answers] == [200] * BURST + [429]
        assert [rate_headers(r)[:2] for r in answers] == [("3", "2"), ("3", "1"), ("3", "0"), ("3", "0")]
        assert [rate_headers(r)[2] for r in answers] == ["1", "2", "3", "3"]
        refused = answers[-1]
        body = assert_error_shape(limited_server, refused, 429, "rate_limited")
        assert "1 requests a second" in body["message"]
        assert refused.headers["retry-after"] == "1"
        # another key, even of the same tenant, has its own allowance
        assert client.get(url, auth=keys.admin).status_code == 200
        assert client.get(f"/v1/tenants/{other.id}/interactions", auth=other.read).status_code == 200
        # after Retry-After seconds the key may go on
        time.sleep(int(refused.headers["retry-after"]) + 0.05)
        again = client.get(url, auth=keys.read)
        assert again.status_code == 200 and again.headers["ratelimit-remaining"] == "0"


def test_tokens_share_their_key_s_allowance(limited: tuple[str, TenantKeys, TenantKeys]) -> None:
    base, _, other = limited
    with httpx.Client(base_url=base, timeout=30) as client:
        issued = client.post("/v1/tokens", auth=other.ingest)  # getting a token counts too
        assert issued.status_code == 200 and rate_headers(issued)[1] == "2"
        token = {"authorization": f"Token {issued.json()['token']}"}
        url = f"/v1/tenants/{other.id}/interactions"
        assert client.get(url, headers=token).headers["ratelimit-remaining"] == "1"
        assert client.get(url, auth=other.ingest).headers["ratelimit-remaining"] == "0"
        refused = client.get(url, headers=token)
        assert refused.status_code == 429 and refused.json()["code"] == "rate_limited"
        refused_token = client.post("/v1/tokens", auth=other.ingest)
        assert refused_token.status_code == 429 and "retry-after" in refused_token.headers


def test_requests_without_a_key_carry_no_rate_headers(limited: tuple[str, TenantKeys, TenantKeys]) -> None:
    base, keys, _ = limited
    with httpx.Client(base_url=base, timeout=30) as client:
        for response in (client.get("/health"), client.get(f"/v1/tenants/{keys.id}/interactions"),
                         client.get(f"/v1/tenants/{keys.id}/interactions", auth=(keys.read[0], "wrong"))):
            assert response.status_code in (200, 401)
            assert not any(name.startswith("ratelimit-") for name in response.headers)


def test_forbidden_requests_count_too(limited: tuple[str, TenantKeys, TenantKeys]) -> None:
    """A key probing another tenant spends its allowance like any other request."""
    base, keys, other = limited
    with httpx.Client(base_url=base, timeout=30) as client:
        answers = [client.get(f"/v1/tenants/{other.id}/interactions", auth=keys.ingest) for _ in range(BURST + 1)]
    assert [r.status_code for r in answers] == [403] * BURST + [429]
    assert [r.headers["ratelimit-remaining"] for r in answers] == ["2", "1", "0", "0"]


def test_the_default_limit_is_generous_and_announced(tmp_path: Path) -> None:
    settings = Settings(database_url=f"sqlite:///{tmp_path / 'defaults.db'}", port=free_port())
    assert (settings.rate_limit, settings.rate_burst) == (100, 200)
    store = open_store(settings.database_url)
    store.migrate()
    keys = make_tenant_keys(store)
    with serving(settings, store) as base, httpx.Client(base_url=base, auth=keys.read, timeout=30) as client:
        answers = [client.get(f"/v1/tenants/{keys.id}/interactions") for _ in range(50)]
    store.close()
    assert all(response.status_code == 200 for response in answers)
    assert {response.headers["ratelimit-limit"] for response in answers} == {"200"}
    assert answers[0].headers["ratelimit-remaining"] == "199"
    assert all(0 <= int(response.headers["ratelimit-remaining"]) <= 199 for response in answers)


def test_the_shared_test_server_runs_without_limits(live_server: LiveServer, seed_tenant: TenantKeys) -> None:
    """rate_limit=0 turns the limiter off: no 429 and no rate headers however fast a key goes."""
    assert live_server.settings.rate_limit == 0
    with live_server.client(seed_tenant.read) as client:
        response = client.get(f"/v1/tenants/{seed_tenant.id}/interactions")
    assert response.status_code == 200
    assert not any(name.startswith("ratelimit-") for name in response.headers)


# --- the query string ----------------------------------------------------------------------------------------


def query_of(length: int) -> str:
    """A valid search query string of exactly `length` bytes: a customer number, then padding values."""
    parts = ["customer=%2B15551234567"]
    while sum(map(len, parts)) + len(parts) - 1 < length:
        room = length - (sum(map(len, parts)) + len(parts))  # what is left after one more "&"
        parts.append("customer=" + "5" * min(900, max(room - len("customer="), 0)))
    query = "&".join(parts)
    assert len(query) == length, (len(query), length)
    return query


def test_a_query_string_over_the_limit_is_a_414(live_server: LiveServer, seed_tenant: TenantKeys) -> None:
    limit = live_server.settings.max_query_bytes
    assert limit == 8192
    url = f"/v1/tenants/{seed_tenant.id}/interactions?"
    with live_server.client(seed_tenant.read) as client:
        at_limit = client.get(url + query_of(limit))
        over = client.get(url + query_of(limit + 1))
        anonymous = client.get("/nowhere?" + "x" * (limit + 1), auth=None)
    assert at_limit.status_code == 200, at_limit.text
    assert at_limit.json()["total"] == 0
    body = assert_error_shape(live_server, over, 414, "query_too_long")
    assert body["message"] == "the query string is longer than 8192 bytes"
    assert "5555" not in over.text
    assert_error_shape(live_server, anonymous, 414, "query_too_long")


def test_headers_over_the_limit_are_a_431(live_server: LiveServer, seed_tenant: TenantKeys) -> None:
    limit = live_server.settings.max_header_bytes
    assert limit == 16 * 1024
    url = f"/v1/tenants/{seed_tenant.id}/interactions"
    with live_server.client(seed_tenant.read) as client:
        refused = client.get(url, headers={"x-customer": CUSTOMER_PADDING * (limit // len(CUSTOMER_PADDING))})
        accepted = client.get(url, headers={"x-customer": CUSTOMER_PADDING * 100})
    body = assert_error_shape(live_server, refused, 431, "headers_too_large")
    assert body["message"] == "the request headers are larger than 16384 bytes"
    assert CUSTOMER_PADDING not in refused.text
    assert accepted.status_code == 200


CUSTOMER_PADDING = "+15551234567;"
