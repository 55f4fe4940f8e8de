"""Mixed load on real servers: clients upserting overlapping records (with revisions, some repeated within a
request) and overlapping events (the same interactions' events, in pieces, with duplicates), some of them on
interactions the others write directly, while other clients walk search cursors and export. Two `cxreport
serve` processes share the database. Every response must be a 2xx, and the final state must equal a serial
replay of the same acknowledged writes into a fresh database (in the reverse order: the outcome may not depend
on it), record by record, byte for byte. Both stores."""

from __future__ import annotations

import json
import os
import random
import threading
import uuid
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import msgspec

from cxreport.service import interactions as service
from cxreport.store import Store, open_store
from support.data import event_stream, seed_stream_names
from support.postgres import POSTGRES_URL_VARIABLE
from support.processes import served
from support.stores import stored_records
from support.tenants import make_tenant_keys

SERVERS = 2
RECORD_WRITERS = 3
EVENT_WRITERS = 3
SEARCHERS = 2
EXPORTERS = 1
WRITES_PER_WRITER = 60
DIRECT_IDS = 60
EVENT_COPIES = 2  # each seed event stream, under this many interaction ids
RECORDS_PER_REQUEST = 15
WINDOW = {"start": "2017-01-01T00:00Z", "end": "2019-01-01T00:00Z"}


@dataclass
class Log:
    """Every write the clients made, in the order they were acknowledged; every failure, by kind."""

    writes: list[tuple[str, bytes]] = field(default_factory=list)
    failures: list[str] = field(default_factory=list)
    reads: dict[str, int] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def fail(self, what: str, response: httpx.Response) -> None:
        with self.lock:
            self.failures.append(f"{what}: {response.status_code} {response.text[:300]}")

    def write(self, http: httpx.Client, kind: str, path: str, body: bytes, content_type: str) -> None:
        """POST a write; remember it once acknowledged, or the failure."""
        response = http.post(path, content=body, headers={"content-type": content_type})
        if response.status_code != 200:
            self.fail(kind, response)
            return
        with self.lock:
            self.writes.append((kind, body))

    def read(self, kind: str) -> None:
        with self.lock:
            self.reads[kind] = self.reads.get(kind, 0) + 1


@dataclass
class Plan:
    tenant: str
    direct_ids: list[str]
    starts: dict[str, str]
    streams: dict[str, list[bytes]]  # event interactions' full event lists
    revisions: Iterator[int]
    revisions_lock: threading.Lock = field(default_factory=threading.Lock)

    def revision(self) -> int:
        with self.revisions_lock:
            return next(self.revisions)


def _plan(tenant: str) -> Plan:
    rng = random.Random(5)
    direct = [str(uuid.UUID(int=rng.getrandbits(128), version=4)) for _ in range(DIRECT_IDS)]
    starts = {i: f"2018-03-{1 + n % 28:02d}T{n % 24:02d}:{n % 60:02d}:00.000Z" for n, i in enumerate(direct)}
    streams: dict[str, list[bytes]] = {}
    for seed_id in seed_stream_names() * EVENT_COPIES:
        interaction_id, lines = event_stream(seed_id, tenant, str(uuid.UUID(int=rng.getrandbits(128), version=4)))
        streams[interaction_id] = lines
    return Plan(tenant, direct, starts, streams, iter(range(1, 1_000_000)))


def _record_writer(number: int, base: str, auth: tuple[str, str], plan: Plan, log: Log) -> None:
    rng = random.Random(100 + number)
    overlap = sorted(plan.streams)[:5]  # interactions that also get events: the derived record must win
    with httpx.Client(base_url=base, auth=auth, timeout=60) as http:
        for request in range(WRITES_PER_WRITER):
            batch = []
            for interaction_id in rng.choices(plan.direct_ids, k=RECORDS_PER_REQUEST) + rng.sample(overlap, 1):
                record: dict[str, object] = {
                    "interactionId": interaction_id,
                    "tenantId": plan.tenant,
                    "startTimestamp": plan.starts.get(interaction_id, "2017-12-05T17:26:10.543Z"),
                    "customer": f"writer {number} request {request}",
                    "revision": plan.revision(),
                }
                if rng.random() < 0.3:
                    record["note"] = None  # kept as ingested, left out by default
                batch.append(record)
            log.write(http, "records", f"/v1/tenants/{plan.tenant}/interactions", msgspec.json.encode(batch),
                      "application/json")


def _event_writer(number: int, base: str, auth: tuple[str, str], plan: Plan, log: Log) -> None:
    rng = random.Random(200 + number)
    ids = sorted(plan.streams)
    with httpx.Client(base_url=base, auth=auth, timeout=60) as http:
        for _ in range(WRITES_PER_WRITER):
            events: list[bytes] = []
            for interaction_id in rng.sample(ids, 3):
                stream = plan.streams[interaction_id]
                events += rng.sample(stream, rng.randint(1, len(stream)))
            events += rng.sample(events, min(2, len(events)))  # repeated within the request too
            rng.shuffle(events)
            log.write(http, "events", f"/v1/tenants/{plan.tenant}/events", b"\n".join(events), "application/x-ndjson")


def _searcher(base: str, auth: tuple[str, str], plan: Plan, log: Log, done: threading.Event) -> None:
    direct = set(plan.direct_ids) - set(plan.streams)
    with httpx.Client(base_url=base, auth=auth, timeout=60) as http:
        while not done.is_set():
            seen: set[str] = set()
            params: dict[str, str | int] = {**WINDOW, "limit": 7}
            while True:
                response = http.get(f"/v1/tenants/{plan.tenant}/interactions", params=params)
                if response.status_code != 200:
                    log.fail("search", response)
                    return
                body = response.json()
                # A record derived from part of its events may move when more arrive (its start is the
                # earliest event's until interaction-started arrives); records ingested directly keep theirs.
                page = [record["interactionId"] for record in body["results"]]
                fixed = [interaction_id for interaction_id in page if interaction_id in direct]
                if seen & set(fixed) or len(set(page)) != len(page):
                    log.failures.append(f"a cursor walk returned an interaction twice: {sorted(seen & set(fixed))}")
                seen |= set(page)
                log.read("search page")
                if body["next"] is None:
                    break
                params = {**WINDOW, "limit": 7, "cursor": body["next"]}
            if seen:
                response = http.get(f"/v1/tenants/{plan.tenant}/interactions/{sorted(seen)[len(seen) // 2]}")
                if response.status_code != 200:
                    log.fail("get", response)
                    return
                log.read("get")


def _exporter(base: str, auth: tuple[str, str], plan: Plan, log: Log, done: threading.Event) -> None:
    with httpx.Client(base_url=base, auth=auth, timeout=60) as http:
        while not done.is_set():
            response = http.get(f"/v1/tenants/{plan.tenant}/interactions/export", params={**WINDOW, "format": "ndjson"})
            if response.status_code != 200:
                log.fail("export", response)
                return
            exported = [json.loads(line)["interactionId"] for line in response.content.splitlines() if line]
            if len(exported) != len(set(exported)):
                log.failures.append("an export returned an interaction twice")
            log.read("export")


@contextmanager
def _replay_database(database_url: str, folder: Path) -> Iterator[str]:
    if database_url.startswith("sqlite"):
        yield f"sqlite:///{folder / 'replay.db'}"
        return
    from support.postgres import temporary_postgres_database

    with temporary_postgres_database(os.environ[POSTGRES_URL_VARIABLE]) as url:
        yield url


def test_mixed_writes_reads_and_exports_end_as_a_serial_replay(fresh_database_url: str, tmp_path: Path) -> None:
    store = open_store(fresh_database_url)
    store.migrate()
    keys = make_tenant_keys(store, name="mixed")
    plan = _plan(keys.id)
    log = Log()
    done = threading.Event()
    with ExitStack() as servers:
        bases = [servers.enter_context(served(fresh_database_url))[0] for _ in range(SERVERS)]
        writers = [
            threading.Thread(target=_record_writer, args=(n, bases[n % SERVERS], keys.ingest, plan, log))
            for n in range(RECORD_WRITERS)
        ] + [
            threading.Thread(target=_event_writer, args=(n, bases[(n + 1) % SERVERS], keys.ingest, plan, log))
            for n in range(EVENT_WRITERS)
        ]
        readers = [
            threading.Thread(target=_searcher, args=(bases[n % SERVERS], keys.read, plan, log, done))
            for n in range(SEARCHERS)
        ] + [
            threading.Thread(target=_exporter, args=(bases[n % SERVERS], keys.read, plan, log, done))
            for n in range(EXPORTERS)
        ]
        for thread in writers + readers:
            thread.start()
        for thread in writers:
            thread.join()
        done.set()
        for thread in readers:
            thread.join()
    assert log.failures == []
    assert len(log.writes) == (RECORD_WRITERS + EVENT_WRITERS) * WRITES_PER_WRITER
    assert log.reads.get("search page", 0) > 0 and log.reads.get("export", 0) > 0

    with _replay_database(fresh_database_url, tmp_path) as replay_url:
        replay = open_store(replay_url)
        try:
            replay.migrate()
            make_tenant_keys(replay, keys.id, name="mixed")
            for kind, body in reversed(log.writes):
                (service.ingest if kind == "records" else service.ingest_events)(replay, keys.id, body)
            _assert_same_state(store, replay, plan, log)
        finally:
            replay.close()
    store.close()


def _assert_same_state(store: Store, replay: Store, plan: Plan, log: Log) -> None:
    served_records = stored_records(store, plan.tenant)
    assert served_records == stored_records(replay, plan.tenant)
    assert stored_records(store, plan.tenant, include_nulls=False) == stored_records(
        replay, plan.tenant, include_nulls=False
    )
    for interaction_id in plan.streams:
        assert store.events_of(plan.tenant, interaction_id) == replay.events_of(plan.tenant, interaction_id)

    # And directly, without the replay: every acknowledged write is there.
    newest: dict[str, int] = {}
    event_ids: dict[str, set[str]] = {}
    for kind, body in log.writes:
        if kind == "records":
            for record in msgspec.json.decode(body):
                newest[record["interactionId"]] = max(newest.get(record["interactionId"], 0), record["revision"])
        else:
            for line in body.splitlines():
                event = msgspec.json.decode(line)
                event_ids.setdefault(event["interactionId"], set()).add(event["eventId"])
    assert set(served_records) == set(newest) | set(event_ids)
    for interaction_id, revision in newest.items():
        if interaction_id not in event_ids:
            assert msgspec.json.decode(served_records[interaction_id])["revision"] == revision
    for interaction_id, events in event_ids.items():
        stored_events = store.events_of(plan.tenant, interaction_id)
        assert {msgspec.json.decode(e)["eventId"] for e in stored_events} == events
        assert msgspec.json.decode(served_records[interaction_id])["revision"] == len(events), "the derived record"
