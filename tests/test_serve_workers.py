"""`cxreport serve --workers N`: N processes answer on one port, the schema migrated once, a cursor issued by
one valid in all (the signing key lives in the database), and SIGTERM stops them all."""

from __future__ import annotations

import os
import signal
import subprocess
from pathlib import Path

import httpx

from cxreport.store import open_store
from support.processes import COMMAND, wait_until_up
from support.servers import free_port
from support.tenants import make_tenant_keys

WORKERS = 2


def worker_processes(parent: int) -> list[int]:
    """The server processes the parent spawned (not multiprocessing's helpers)."""
    children = [
        int(child)
        for task in os.listdir(f"/proc/{parent}/task")
        for child in Path(f"/proc/{parent}/task/{task}/children").read_text().split()
    ]
    return [child for child in children if b"spawn_main" in Path(f"/proc/{child}/cmdline").read_bytes()]


def test_workers_share_the_port_the_schema_and_the_cursors(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'workers.db'}"
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    server = subprocess.Popen(
        [COMMAND, "serve", "--database", url, "--port", str(port), "--workers", str(WORKERS)],
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env={**os.environ, "CXREPORT_RATE_LIMIT": "0"},
    )
    try:
        wait_until_up(base, server)
        workers = worker_processes(server.pid)
        assert len(workers) == WORKERS

        store = open_store(url)
        keys = make_tenant_keys(store)
        records = [{"interactionId": f"00000000-0000-4000-8000-{n:012d}", "channelType": "voice",
                    "startTimestamp": f"2020-01-01T00:{n:02d}:00Z", "direction": "inbound"} for n in range(30)]
        path = f"/v1/tenants/{keys.id}/interactions"
        ingested = httpx.post(f"{base}{path}", json=records, auth=keys.ingest, timeout=30)
        assert ingested.status_code == 200 and ingested.json()["inserted"] == 30

        first = httpx.get(f"{base}{path}", params={"limit": 5}, auth=keys.read, timeout=30).json()
        expected = httpx.get(f"{base}{path}", params={"limit": 5, "offset": 5}, auth=keys.read, timeout=30).json()
        # each request on a connection of its own, so the kernel hands them to whichever worker it picks
        for _ in range(20):
            page = httpx.get(f"{base}{path}", params={"limit": 5, "cursor": first["next"]}, auth=keys.read,
                             timeout=30)
            assert page.status_code == 200, page.text
            assert page.json()["results"] == expected["results"]
        # one signing key, made once, whichever worker asked first
        assert store.secret("cursor-signing-key", lambda: "not this one") != "not this one"
        assert store.migrate() == max(row for row in _versions(url))
        store.close()
    finally:
        server.send_signal(signal.SIGTERM)
        _, errors = server.communicate(timeout=60)
    assert server.returncode == 0, errors.decode()
    assert errors.count(b"Started server process") == WORKERS
    for worker in workers:
        assert not Path(f"/proc/{worker}").exists() or b"zombie" in Path(f"/proc/{worker}/status").read_bytes()


def _versions(url: str) -> list[int]:
    import sqlite3

    with sqlite3.connect(url.removeprefix("sqlite:///")) as db:
        versions = [int(row[0]) for row in db.execute("SELECT version FROM schema_migrations")]
    assert len(versions) == len(set(versions))
    return versions
