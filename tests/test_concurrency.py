"""Several `cxreport serve` processes on one database, several clients upserting the same interactions
at once: no errors, no duplicates, and each interaction ends holding its newest version (the highest
`revision` sent). Runs against SQLite and PostgreSQL."""

from __future__ import annotations

import itertools
import json
import random
import threading
import uuid
from collections.abc import Iterator

import httpx
import pytest

from cxreport.store import open_store
from support.processes import launch_server, wait_until_up
from support.tenants import make_tenant_keys

SERVERS = 2
CLIENTS = 4
REQUESTS_PER_CLIENT = 15
INTERACTIONS = 20


@pytest.fixture
def database_url(fresh_database_url: str) -> str:
    return fresh_database_url


@pytest.fixture
def servers(database_url: str) -> Iterator[list[str]]:
    """Two `cxreport serve` processes on one database (they also race to migrate it: both start before
    either is waited for)."""
    launched = [launch_server(database_url) for _ in range(SERVERS)]
    try:
        for base, process in launched:
            wait_until_up(base, process)
        yield [base for base, _ in launched]
    finally:
        for _, process in launched:
            process.terminate()
            process.wait(timeout=15)


def test_concurrent_upserts_keep_the_newest_version(database_url: str, servers: list[str]) -> None:
    store = open_store(database_url)
    keys = make_tenant_keys(store, name="concurrency")
    store.close()
    ids = [str(uuid.uuid4()) for _ in range(INTERACTIONS)]
    revisions = itertools.count(1)
    revisions_lock = threading.Lock()
    sent: dict[str, dict[int, str]] = {i: {} for i in ids}
    failures: list[str] = []

    def client(number: int) -> None:
        rng = random.Random(number)
        with httpx.Client(auth=keys.ingest, timeout=60) as http:
            for request in range(REQUESTS_PER_CLIENT):
                batch = []
                for interaction_id in rng.sample(ids, k=len(ids)):
                    with revisions_lock:
                        revision = next(revisions)
                    customer = f"client {number} request {request} revision {revision}"
                    sent[interaction_id][revision] = customer
                    batch.append({"interactionId": interaction_id, "startTimestamp": "2021-03-01T12:00:00Z",
                                  "customer": customer, "revision": revision})
                rng.shuffle(batch)
                base = servers[(number + request) % len(servers)]
                response = http.post(f"{base}/v1/tenants/{keys.id}/interactions", json=batch)
                if response.status_code != 200:
                    failures.append(f"{response.status_code} {response.text}")

    threads = [threading.Thread(target=client, args=(n,)) for n in range(CLIENTS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert failures == []

    with httpx.Client(auth=keys.read, timeout=60) as http:
        body = http.get(f"{servers[0]}/v1/tenants/{keys.id}/interactions", params={"limit": 1000}).json()
    assert body["total"] == INTERACTIONS
    stored = {record["interactionId"]: record for record in body["results"]}
    assert sorted(stored) == sorted(ids), "one row per interaction, none lost, none doubled"
    for interaction_id, versions in sent.items():
        newest = max(versions)
        assert stored[interaction_id]["revision"] == newest
        assert stored[interaction_id]["customer"] == versions[newest]
    assert json.dumps(body).count('"revision"') == INTERACTIONS


def test_concurrent_upserts_without_revisions_are_last_writer_wins(database_url: str, servers: list[str]) -> None:
    store = open_store(database_url)
    keys = make_tenant_keys(store, name="last writer")
    store.close()
    ids = [str(uuid.uuid4()) for _ in range(INTERACTIONS)]
    failures: list[str] = []

    def client(number: int) -> None:
        with httpx.Client(auth=keys.ingest, timeout=60) as http:
            for request in range(REQUESTS_PER_CLIENT):
                batch = [{"interactionId": i, "startTimestamp": "2021-03-01T12:00:00Z",
                          "customer": f"client {number} request {request}"} for i in ids]
                response = http.post(f"{servers[number % len(servers)]}/v1/tenants/{keys.id}/interactions",
                                     json=batch)
                if response.status_code != 200:
                    failures.append(f"{response.status_code} {response.text}")

    threads = [threading.Thread(target=client, args=(n,)) for n in range(CLIENTS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert failures == []
    with httpx.Client(auth=keys.read, timeout=60) as http:
        body = http.get(f"{servers[1]}/v1/tenants/{keys.id}/interactions", params={"limit": 1000}).json()
    assert body["total"] == INTERACTIONS
    assert sorted(r["interactionId"] for r in body["results"]) == sorted(ids)
    # Each request writes all ids in one transaction, so the last request committed wins them all.
    assert len({r["customer"] for r in body["results"]}) == 1
    assert body["results"][0]["customer"].endswith(f"request {REQUESTS_PER_CLIENT - 1}")
