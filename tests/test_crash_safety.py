"""Nothing acknowledged is lost and nothing is left half written when a process is killed (SIGKILL) in the
middle of writing: `cxreport import` killed between batches, `cxreport serve` killed while clients post
records and events. Both stores; the guarantee and its limits are in docs/durability.md."""

from __future__ import annotations

import json
import signal
import sqlite3
import subprocess
import threading
import time
import zlib
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import msgspec

from cxreport.cli.synthetic import generate_interactions
from cxreport.service import interactions as service
from cxreport.service.search import SearchRequest
from cxreport.store import Store, open_store
from cxreport.store.postgres_schema import MIGRATIONS as POSTGRES_MIGRATIONS
from cxreport.store.sqlite_schema import MIGRATIONS as SQLITE_MIGRATIONS
from support.data import event_stream, seed_stream_names
from support.processes import COMMAND, start_server
from support.stores import stored_records
from support.tenants import make_tenant_keys

RECORDS = 30_000
BATCH = 2_000
NDJSON = {"content-type": "application/x-ndjson"}


def _migrations(database_url: str) -> int:
    return len(SQLITE_MIGRATIONS if database_url.startswith("sqlite") else POSTGRES_MIGRATIONS)


def _check_opens_cleanly(database_url: str) -> None:
    """SQLite: the file passes `integrity_check` and is still in WAL mode. Both: the store opens, it is at
    the current schema version, and migrating is a no-op."""
    if database_url.startswith("sqlite"):
        connection = sqlite3.connect(database_url.removeprefix("sqlite:///"))
        try:
            assert connection.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
            assert connection.execute("PRAGMA journal_mode").fetchone() == ("wal",)
        finally:
            connection.close()
    store = open_store(database_url)
    try:
        assert store.schema_version() == _migrations(database_url)
        assert store.migrate() == _migrations(database_url)
        assert store.schema_version() == _migrations(database_url)
        store.ping()
    finally:
        store.close()


def _wait_for(condition: Callable[[], bool], what: str, seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.02)


def _bulk_writers(database_url: str) -> int:
    store = open_store(database_url)
    try:
        return store.bulk_writers
    finally:
        store.close()


def _count(store: Store, tenant_id: str) -> int:
    return service.count(store, tenant_id, SearchRequest())


def test_a_killed_import_leaves_whole_batches_and_a_rerun_completes_it(
    fresh_database_url: str, tmp_path: Path
) -> None:
    watcher = open_store(fresh_database_url)
    watcher.migrate()
    tenant = make_tenant_keys(watcher, name="crash import").id
    path = tmp_path / "records.ndjson"
    lines = [msgspec.json.encode(r) for r in generate_interactions(RECORDS, seed=11, tenant_id=tenant)]
    path.write_bytes(b"".join(line + b"\n" for line in lines))
    ids = [msgspec.json.decode(line)["interactionId"] for line in lines]
    assert len(set(ids)) == RECORDS

    command = [COMMAND, "import", "--database", fresh_database_url, "--tenant", tenant, "--batch-size", str(BATCH)]
    importer = subprocess.Popen([*command, str(path)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        _wait_for(lambda: _count(watcher, tenant) >= 2 * BATCH, "two committed batches")
        assert importer.poll() is None, "the import finished before it could be killed: make the file larger"
        importer.send_signal(signal.SIGKILL)
    finally:
        importer.kill()
        importer.wait()
        watcher.close()
    assert importer.returncode == -signal.SIGKILL

    _check_opens_cleanly(fresh_database_url)
    store = open_store(fresh_database_url)
    try:
        survived = stored_records(store, tenant)
    finally:
        store.close()
    # Each of the store's import writers takes the records dealt to it by interaction id, in file order, and
    # commits them 2,000 at a time: what survives is, for each writer, exactly its first whole batches.
    writers = _bulk_writers(fresh_database_url)
    kept: set[str] = set()
    for writer in range(writers):
        dealt = [i for i in ids if zlib.crc32(i.encode()) % writers == writer] if writers > 1 else ids
        whole = sum(1 for i in dealt if i in survived) // BATCH
        kept |= set(dealt[: whole * BATCH])
    assert set(survived) == kept, f"{len(survived)} records survived, not whole batches of each writer"
    whole = len(survived) // BATCH
    assert len(survived) == whole * BATCH
    assert 2 <= whole < RECORDS // BATCH
    text = dict(zip(ids, lines, strict=True))
    assert all(line == text[i] for i, line in survived.items())

    rerun = subprocess.run([*command, str(path)], capture_output=True, text=True, timeout=300)
    assert rerun.returncode == 0, rerun.stderr
    assert rerun.stdout.strip() == (
        f"done: {RECORDS - whole * BATCH} inserted, 0 updated, {whole * BATCH} unchanged, 0 rejected"
    )
    store = open_store(fresh_database_url)
    try:
        assert stored_records(store, tenant) == dict(zip(ids, lines, strict=True))
    finally:
        store.close()


# --- the server killed while clients write --------------------------------------------------------------

RECORD_CLIENTS = 3
EVENT_CLIENTS = 2
RECORDS_PER_REQUEST = 100
INTERACTIONS_PER_EVENT_REQUEST = 3
ACKNOWLEDGED_BEFORE_KILL = 12


@dataclass
class Sent:
    """One request a client made: what it carried, and whether the server acknowledged it (2xx)."""

    kind: str
    records: dict[str, bytes] = field(default_factory=dict)
    events: dict[str, list[bytes]] = field(default_factory=dict)
    acknowledged: bool = False


@dataclass
class Traffic:
    requests: list[Sent] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)
    refused: list[str] = field(default_factory=list)

    def acknowledged(self, kind: str) -> int:
        with self.lock:
            return sum(1 for sent in self.requests if sent.acknowledged and sent.kind == kind)


def _record_client(base: str, tenant: str, auth: tuple[str, str], seed: int, traffic: Traffic) -> None:
    records = generate_interactions(10_000, seed=seed, tenant_id=tenant)
    with httpx.Client(base_url=base, auth=auth, timeout=30) as http:
        while True:
            sent = Sent("records")
            for _ in range(RECORDS_PER_REQUEST):
                text = msgspec.json.encode(next(records))
                sent.records[msgspec.json.decode(text)["interactionId"]] = text
            with traffic.lock:
                traffic.requests.append(sent)
            if not _post(http, f"/v1/tenants/{tenant}/interactions", b"[" + b",".join(sent.records.values()) + b"]",
                         {"content-type": "application/json"}, sent, traffic):
                return


def _event_client(base: str, tenant: str, auth: tuple[str, str], traffic: Traffic) -> None:
    streams = seed_stream_names()
    with httpx.Client(base_url=base, auth=auth, timeout=30) as http:
        for number in range(10_000):
            sent = Sent("events")
            for offset in range(INTERACTIONS_PER_EVENT_REQUEST):
                interaction_id, lines = event_stream(streams[(number + offset) % len(streams)], tenant)
                sent.events[interaction_id] = lines
            with traffic.lock:
                traffic.requests.append(sent)
            body = b"\n".join(line for lines in sent.events.values() for line in lines)
            if not _post(http, f"/v1/tenants/{tenant}/events", body, NDJSON, sent, traffic):
                return


def _post(http: httpx.Client, path: str, body: bytes, headers: dict[str, str], sent: Sent, traffic: Traffic) -> bool:
    """Post; True to go on. A connection failure (the server is gone) ends the client; any other answer
    than 200 is recorded as a failure of the test."""
    try:
        response = http.post(path, content=body, headers=headers)
    except httpx.TransportError:
        return False
    if response.status_code != 200:
        traffic.refused.append(f"{response.status_code} {response.text}")
        return False
    sent.acknowledged = True
    return True


def test_a_killed_server_keeps_every_acknowledged_write_and_no_half_request(fresh_database_url: str) -> None:
    store = open_store(fresh_database_url)
    store.migrate()
    keys = make_tenant_keys(store, name="crash serve")
    store.close()
    traffic = Traffic()
    base, server = start_server(fresh_database_url)
    clients = [
        threading.Thread(target=_record_client, args=(base, keys.id, keys.ingest, 100 + n, traffic))
        for n in range(RECORD_CLIENTS)
    ]
    clients += [
        threading.Thread(target=_event_client, args=(base, keys.id, keys.ingest, traffic)) for _ in range(EVENT_CLIENTS)
    ]
    try:
        for client in clients:
            client.start()
        _wait_for(
            lambda: traffic.acknowledged("records") >= ACKNOWLEDGED_BEFORE_KILL
            and traffic.acknowledged("events") >= ACKNOWLEDGED_BEFORE_KILL,
            "acknowledged writes of both kinds",
        )
        server.send_signal(signal.SIGKILL)
        server.wait(timeout=30)
    finally:
        server.kill()
        server.wait()
        for client in clients:
            client.join(timeout=60)
    assert traffic.refused == []
    assert not any(client.is_alive() for client in clients)

    _check_opens_cleanly(fresh_database_url)
    base, restarted = start_server(fresh_database_url)
    try:
        with httpx.Client(base_url=base, auth=keys.read, timeout=60) as http:
            _check_after_restart(http, keys.id, traffic)
    finally:
        restarted.terminate()
        restarted.wait(timeout=30)


def _check_after_restart(http: httpx.Client, tenant: str, traffic: Traffic) -> None:
    everything = {"format": "ndjson", "includeNulls": "true"}
    response = http.get(f"/v1/tenants/{tenant}/interactions/export", params=everything)
    assert response.status_code == 200, response.text
    stored = {msgspec.json.decode(line)["interactionId"]: line for line in response.content.splitlines() if line}
    expected_ids: set[str] = set()
    whole = {True: 0, False: 0}
    for sent in traffic.requests:
        if sent.kind == "records":
            present = {i for i in sent.records if i in stored}
            assert present in (set(), set(sent.records)), f"{len(present)} of {len(sent.records)}: half a request"
            assert present or not sent.acknowledged, "an acknowledged request was lost"
            assert all(stored[i] == sent.records[i] for i in present)
            expected_ids |= present
            whole[bool(present)] += not sent.acknowledged
            continue
        found = {i: _events(http, tenant, i) for i in sent.events}
        present = {i for i, events in found.items() if events}
        assert present in (set(), set(sent.events)), f"{len(present)} of {len(sent.events)}: half a request"
        assert present or not sent.acknowledged, "an acknowledged request was lost"
        for interaction_id in present:
            expected = sorted(_canonical(json.loads(event)) for event in sent.events[interaction_id])
            assert sorted(found[interaction_id]) == expected
            record = msgspec.json.decode(stored[interaction_id])
            assert record["revision"] == len(sent.events[interaction_id])
        expected_ids |= present
        whole[bool(present)] += not sent.acknowledged
    assert set(stored) == expected_ids, "nothing stored that no request carried"
    # Each client had at most one request in flight at the kill, and then tried no more.
    assert sum(whole.values()) == RECORD_CLIENTS + EVENT_CLIENTS


def _events(http: httpx.Client, tenant: str, interaction_id: str) -> list[str]:
    response = http.get(f"/v1/tenants/{tenant}/interactions/{interaction_id}/reporting-events")
    if response.status_code == 404:
        return []
    assert response.status_code == 200, response.text
    return [_canonical(event) for event in response.json()["results"]]


def _canonical(event: object) -> str:
    return json.dumps(event, sort_keys=True)
