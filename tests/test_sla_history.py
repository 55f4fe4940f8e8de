"""Service level for any history: SLA definitions and versions with an `effectiveFrom` in the past judge the
entries stored already, and the records derived from events are restated (over HTTP on both stores, and through
the service on both stores for the batching); records ingested directly keep their own verdicts."""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable, Sequence
from typing import Any

import httpx
import msgspec
import pytest

from cxreport import clock
from cxreport.cli.synthetic import generate_events
from cxreport.metrics import QueueEntered
from cxreport.service import slas
from cxreport.service.events import derived_record, read_events, store_events
from cxreport.store import Store
from cxreport.store.base import Rebuild, Sla, SlaVersion, StoredRecord, Tenant, UpsertCounts, Window
from cxreport.times import format_instant, parse_instant
from support.tenants import TenantKeys

NDJSON = {"content-type": "application/x-ndjson"}
SALES, SUPPORT = "sales", "support"
MARCH = "2024-03-01T10:00:00Z"


def call(iid: str, queue_id: str, entered: str, *, answered_after: int | None = None,
         abandoned_after: int | None = None) -> bytes:
    """An inbound call's events: it enters `queue_id` from the IVR at `entered` and is answered (or abandoned)
    that many seconds later."""
    entered_us = parse_instant(entered)

    def at(offset_s: float) -> str:
        return format_instant(entered_us + int(offset_s * 1_000_000))

    work = {"interactionAgentId": f"{iid}-a", "agentId": "agent", "agentName": "A", "sessionId": "s",
            "queueId": queue_id}
    events: list[dict[str, Any]] = [
        {"type": "interaction-started", "timestamp": at(-1), "channelType": "voice", "direction": "inbound",
         "customer": "c", "contactPoint": "p", "flowId": "f", "flowName": "F"},
        {"type": "queue-entered", "timestamp": at(0), "interactionQueueId": f"{iid}-q", "queueId": queue_id,
         "queueName": queue_id, "entryType": "ivr", "queueLength": 1},
    ]
    if answered_after is not None:
        wait = answered_after
        events += [
            {"type": "work-offered", "timestamp": at(wait - 1), **work},
            {"type": "work-accepted", "timestamp": at(wait), **work},
            {"type": "queue-exited", "timestamp": at(wait), "interactionQueueId": f"{iid}-q", "reason": "success"},
            {"type": "conversation-started", "timestamp": at(wait), "interactionAgentId": f"{iid}-a"},
            {"type": "interaction-ended", "timestamp": at(wait + 60), "endType": "customer-disconnect"},
        ]
    elif abandoned_after is not None:
        events += [
            {"type": "queue-exited", "timestamp": at(abandoned_after), "interactionQueueId": f"{iid}-q",
             "reason": "abandon"},
            {"type": "interaction-ended", "timestamp": at(abandoned_after), "endType": "customer-disconnect"},
        ]
    return b"\n".join(json.dumps({**event, "interactionId": iid, "eventId": f"{iid}-{n}"}).encode()
                      for n, event in enumerate(events))


def post_events(http: httpx.Client, keys: TenantKeys, body: bytes) -> None:
    response = http.post(f"/v1/tenants/{keys.id}/events", content=body, auth=keys.ingest, headers=NDJSON)
    assert response.status_code == 200, response.text


def entry(http: httpx.Client, keys: TenantKeys, iid: str) -> dict[str, Any]:
    """The SLA fields of the record's first queue entry, as the API gives the stored record."""
    response = http.get(f"/v1/tenants/{keys.id}/interactions/{iid}", auth=keys.read)
    assert response.status_code == 200, response.text
    queue = response.json()["queues"][0]
    return {key: queue[key] for key in ("slaMet", "slaAbandoned", "slaId", "slaVersion") if key in queue}


def post(http: httpx.Client, keys: TenantKeys, path: str, body: dict[str, Any], status: int = 201) -> Any:
    response = http.post(f"/v1/tenants/{keys.id}/slas{path}", json=body, auth=keys.admin)
    assert response.status_code == status, response.text
    return response.json()


def changed_since(http: httpx.Client, keys: TenantKeys, since_us: int) -> set[str]:
    """The interactions whose stored record changed at or after `since_us` (the search on `lastUpdated`)."""
    params: dict[str, str | int] = {"timeField": "lastUpdated", "start": format_instant(since_us), "limit": 1000}
    response = http.get(f"/v1/tenants/{keys.id}/interactions", params=params, auth=keys.read)
    assert response.status_code == 200, response.text
    return {record["interactionId"] for record in response.json()["results"]}


def test_a_version_dated_in_the_past_restates_the_records_it_judges(
    http: httpx.Client, new_tenant: Callable[..., TenantKeys]
) -> None:
    keys = new_tenant()
    march, january, before = (str(uuid.uuid4()) for _ in range(3))
    abandoned, direct = str(uuid.uuid4()), str(uuid.uuid4())
    post_events(http, keys, call(march, SALES, MARCH, answered_after=10))
    post_events(http, keys, call(january, SALES, "2024-01-20T10:00:00Z", answered_after=10))
    post_events(http, keys, call(before, SALES, "2023-12-01T10:00:00Z", answered_after=10))
    post_events(http, keys, call(abandoned, SALES, MARCH, abandoned_after=5))
    record = {"interactionId": direct, "startTimestamp": MARCH, "channelType": "voice",
              "queues": [{"queueId": SALES, "startTimestamp": MARCH, "slaMet": True}]}
    ingested = http.post(f"/v1/tenants/{keys.id}/interactions", json=[record], auth=keys.ingest)
    assert ingested.status_code == 200, ingested.text
    assert entry(http, keys, march) == {"slaMet": True}, "the built-in default: 20 s"
    assert entry(http, keys, abandoned) == {"slaAbandoned": False}, "a short abandon, ignored by the default"

    created_at = clock.now_us()
    sla = post(http, keys, "", {"queueId": SALES, "slaThreshold": 5, "abandonType": "count-against-sla",
                                "effectiveFrom": "2024-01-01T01:00:00+01:00"})
    sla_id = sla["slaId"]
    assert sla["current"]["effectiveFrom"] == sla["current"]["inForceFrom"] == "2024-01-01T00:00:00.000Z"
    assert entry(http, keys, march) == {"slaMet": False, "slaId": sla_id, "slaVersion": 1}
    assert entry(http, keys, january) == {"slaMet": False, "slaId": sla_id, "slaVersion": 1}
    assert entry(http, keys, abandoned) == {"slaMet": False, "slaAbandoned": True, "slaId": sla_id, "slaVersion": 1}
    assert entry(http, keys, before) == {"slaMet": True}, "before effectiveFrom: as it was"
    assert entry(http, keys, direct) == {"slaMet": True}, "a record ingested directly keeps its own verdict"
    assert changed_since(http, keys, created_at) == {march, january, abandoned}, "restated as by a late event"

    february = post(http, keys, f"/{sla_id}/versions", {"slaThreshold": 15, "effectiveFrom": "2024-02-01T00:00Z"})
    assert [v["effectiveFrom"] for v in february["versions"]] == ["2024-01-01T00:00:00.000Z",
                                                                   "2024-02-01T00:00:00.000Z"]
    assert february["current"]["abandonType"] == "count-against-sla", "absent fields keep the current version's"
    assert entry(http, keys, march) == {"slaMet": True, "slaId": sla_id, "slaVersion": 2}
    assert entry(http, keys, january) == {"slaMet": False, "slaId": sla_id, "slaVersion": 1}, "before v2"

    # dated before v2 but after v1: it judges until v2 takes over, and v2 stays the version in force now
    between = post(http, keys, f"/{sla_id}/versions", {"slaThreshold": 30, "effectiveFrom": "2024-01-15T00:00:00Z"})
    assert between["current"]["version"] == 2 and [v["version"] for v in between["versions"]] == [1, 2, 3]
    assert entry(http, keys, january) == {"slaMet": True, "slaId": sla_id, "slaVersion": 3}
    assert entry(http, keys, march) == {"slaMet": True, "slaId": sla_id, "slaVersion": 2}
    assert http.get(f"/v1/tenants/{keys.id}/slas/{sla_id}", auth=keys.read).json() == between

    later = str(uuid.uuid4())
    post_events(http, keys, call(later, SALES, "2024-01-16T10:00:00Z", answered_after=25))
    assert entry(http, keys, later) == {"slaMet": True, "slaId": sla_id, "slaVersion": 3}, "new events alike"


def test_a_queue_version_restates_only_its_queue_and_the_default_the_others(
    http: httpx.Client, new_tenant: Callable[..., TenantKeys]
) -> None:
    keys = new_tenant()
    sales, support = str(uuid.uuid4()), str(uuid.uuid4())
    post_events(http, keys, call(sales, SALES, MARCH, answered_after=10))
    post_events(http, keys, call(support, SUPPORT, MARCH, answered_after=10))
    before = clock.now_us()
    queue = post(http, keys, "", {"queueId": SALES, "slaThreshold": 5, "effectiveFrom": "2024-01-01T00:00:00Z"})
    assert entry(http, keys, sales) == {"slaMet": False, "slaId": queue["slaId"], "slaVersion": 1}
    assert entry(http, keys, support) == {"slaMet": True}
    assert changed_since(http, keys, before) == {sales}, "the other queue's record is not rewritten"

    before = clock.now_us()
    default = post(http, keys, "", {"slaThreshold": 8, "effectiveFrom": "2024-02-01T00:00:00Z"})
    assert entry(http, keys, support) == {"slaMet": False, "slaId": default["slaId"], "slaVersion": 1}
    assert entry(http, keys, sales) == {"slaMet": False, "slaId": queue["slaId"], "slaVersion": 1}
    assert changed_since(http, keys, before) == {support}

    before = clock.now_us()
    post(http, keys, f"/{default['slaId']}/versions", {"slaThreshold": 60, "effectiveFrom": "2024-03-02T00:00:00Z"})
    assert entry(http, keys, support)["slaMet"] is False, "an entry before the version's window keeps its verdict"
    assert changed_since(http, keys, before) == set()


def test_without_effective_from_a_version_starts_now_and_restates_nothing(
    http: httpx.Client, new_tenant: Callable[..., TenantKeys]
) -> None:
    keys = new_tenant()
    iid = str(uuid.uuid4())
    post_events(http, keys, call(iid, SALES, MARCH, answered_after=10))
    sla = post(http, keys, "", {"queueId": SALES, "slaThreshold": 5})
    since = parse_instant(sla["current"]["effectiveFrom"])
    assert abs(since - clock.now_us()) < 60_000_000
    assert sla["current"]["inForceFrom"] == sla["current"]["effectiveFrom"]
    assert entry(http, keys, iid) == {"slaMet": True}
    added = post(http, keys, f"/{sla['slaId']}/versions", {"slaThreshold": 1})
    assert added["current"]["version"] == 2 and parse_instant(added["current"]["effectiveFrom"]) >= since
    assert entry(http, keys, iid) == {"slaMet": True}


@pytest.mark.parametrize("value", ["2024-13-01T00:00:00Z", "yesterday", "", 1704067200, "2024-02-30", "x" * 65,
                                   "future"])
def test_a_bad_or_future_effective_from_is_a_400_naming_it(
    http: httpx.Client, new_tenant: Callable[..., TenantKeys], value: Any
) -> None:
    keys = new_tenant()
    if value == "future":
        value = format_instant(clock.now_us() + 3_600_000_000)
    rejected = post(http, keys, "", {"slaThreshold": 5, "effectiveFrom": value}, status=400)
    assert rejected["parameter"] == "effectiveFrom" and rejected["code"] == "invalid_body", rejected
    assert http.get(f"/v1/tenants/{keys.id}/slas", auth=keys.read).json() == {"results": []}
    sla = post(http, keys, "", {"slaThreshold": 5})
    rejected = post(http, keys, f"/{sla['slaId']}/versions", {"effectiveFrom": value}, status=400)
    assert rejected["parameter"] == "effectiveFrom", rejected
    assert http.get(f"/v1/tenants/{keys.id}/slas/{sla['slaId']}", auth=keys.read).json() == sla


def test_the_restatement_walks_a_history_in_batches(contract_store: Store, monkeypatch: pytest.MonkeyPatch) -> None:
    tenant_id = str(uuid.uuid4())
    contract_store.create_tenant(Tenant(tenant_id, "t", "UTC"))
    monkeypatch.setattr(slas, "RESTATE_BATCH", 3)
    ids = sorted(str(uuid.uuid4()) for _ in range(10))
    day = 86_400_000_000
    body = b"\n".join(
        call(iid, SALES if n % 2 else SUPPORT, format_instant(parse_instant(MARCH) + (n % 5) * day), answered_after=10)
        for n, iid in enumerate(ids)
    )
    store_events(contract_store, tenant_id, read_events(body, tenant_id))
    sla = slas.create(contract_store, tenant_id, b'{"slaThreshold": 5, "effectiveFrom": "2024-01-01T00:00:00Z"}')
    verdicts = {}
    for iid in ids:
        doc = contract_store.get_record(tenant_id, iid, False)
        assert doc is not None
        verdicts[iid] = msgspec.json.decode(doc)["queues"][0]
    assert {(q["slaMet"], q["slaId"], q["slaVersion"]) for q in verdicts.values()} == {(False, sla.slaId, 1)}
    queue = slas.create(contract_store, tenant_id,
                        b'{"queueId": "sales", "slaThreshold": 30, "effectiveFrom": "2024-03-02T00:00:00Z"}')
    for n, iid in enumerate(ids):
        doc = contract_store.get_record(tenant_id, iid, False)
        assert doc is not None
        got = msgspec.json.decode(doc)["queues"][0]
        in_window = n % 2 == 1 and n % 5 >= 1  # a sales entry from March 2 on
        expected = (True, queue.slaId, 1) if in_window else (False, sla.slaId, 1)
        assert (got["slaMet"], got["slaId"], got["slaVersion"]) == expected, (n, got)


def test_the_store_takes_a_chosen_start_and_finds_the_records_it_may_judge(contract_store: Store) -> None:
    tenant_id = str(uuid.uuid4())
    contract_store.create_tenant(Tenant(tenant_id, "t", "UTC"))
    sla = Sla(str(uuid.uuid4()), None, SALES, 500, (SlaVersion(1, 20.0, "ignore-abandons", 20.0, 500),))
    contract_store.create_sla(tenant_id, sla)
    clamped = contract_store.add_sla_version(tenant_id, sla.id, SlaVersion(0, 5.0, "ignore-abandons", 5.0, 100))
    assert clamped is not None and clamped.from_us == 500, "a version made now never starts before the last"
    chosen = contract_store.add_sla_version(tenant_id, sla.id, SlaVersion(0, 5.0, "ignore-abandons", 5.0, 100),
                                            exact=True)
    assert chosen == SlaVersion(3, 5.0, "ignore-abandons", 5.0, 100)
    stored = contract_store.get_sla(tenant_id, sla.id)
    assert stored is not None and stored.versions[-1] == chosen

    sales, support, open_one = (str(uuid.uuid4()) for _ in range(3))
    body = b"\n".join([call(sales, SALES, MARCH, answered_after=10), call(support, SUPPORT, MARCH, answered_after=10),
                       call(open_one, SALES, "2024-01-01T00:00:00Z")])  # no end yet
    store_events(contract_store, tenant_id, read_events(body, tenant_id))
    march = parse_instant(MARCH)

    def batch(queue_id: str | None, start_us: int, end_us: int, limit: int = 10) -> list[str]:
        keys = contract_store.restatement_batch(tenant_id, queue_id, Window(start_us, end_us), None, limit)
        return [interaction_id for _start, interaction_id in keys]

    everything = batch(None, march, 2**62)
    assert sorted(everything[:2]) == sorted([sales, support]) and everything[2:] == [open_one], "newest first"
    assert batch(SALES, march, 2**62) == [sales, open_one]
    assert batch(SALES, march + 3_600_000_000, 2**62) == [open_one], "after the span: only the open one"
    assert batch(None, 0, march - 2_000_000) == [open_one], "before the start"
    first = contract_store.restatement_batch(tenant_id, None, Window(march, 2**62), None, 2)
    rest = contract_store.restatement_batch(tenant_id, None, Window(march, 2**62), first[-1], 2)
    assert [key[1] for key in first + rest] == everything and len(rest) == 1


def test_versions_dated_after_the_fact_give_the_records_they_would_have_given_first(contract_store: Store) -> None:
    """Events first and versions dated in the past after them, or the same versions first and the events after:
    the same records (the SLA ids aside, made anew in each tenant)."""
    late, early = (str(uuid.uuid4()) for _ in range(2))
    for tenant_id in (late, early):
        contract_store.create_tenant(Tenant(tenant_id, "t", "UTC"))
    streams = list(generate_events(300, seed=12, tenant_id=late))
    queues = sorted({e.queueId for events in streams for e in events if isinstance(e, QueueEntered)})
    # (queue, effectiveFrom, body): one queue's three versions and the default's two, out of time order
    versions: list[tuple[str | None, str, dict[str, Any]]] = [
        (queues[0], "2017-11-20T00:00:00Z", {"slaThreshold": 30, "abandonType": "count-against-sla"}),
        (None, "2017-12-01T00:00:00Z", {"slaThreshold": 10, "abandonThreshold": 5}),
        (queues[0], "2017-12-20T00:00:00Z", {"slaThreshold": 5}),
        (None, "2017-11-25T00:00:00Z", {"slaThreshold": 60}),
        (queues[0], "2017-12-05T12:00:00Z", {"slaThreshold": 15, "abandonType": "ignore-abandons"}),
    ]

    def define(tenant_id: str) -> dict[str, str]:
        ids: dict[str | None, str] = {}
        for queue_id, since, body in versions:
            if queue_id not in ids:
                created = slas.create(contract_store, tenant_id, msgspec.json.encode(
                    {**body, "effectiveFrom": since} | ({"queueId": queue_id} if queue_id else {})))
                ids[queue_id] = created.slaId
            else:
                slas.add_version(contract_store, tenant_id, ids[queue_id],
                                 msgspec.json.encode({**body, "effectiveFrom": since}))
        return {sla_id: str(queue_id) for queue_id, sla_id in ids.items()}

    def ingest(tenant_id: str) -> None:
        body = b"\n".join(msgspec.json.encode(event) for events in streams for event in events)
        store_events(contract_store, tenant_id, read_events(body.replace(late.encode(), tenant_id.encode()), tenant_id))

    ingest(late)
    late_names = define(late)
    early_names = define(early)
    ingest(early)

    def records(tenant_id: str, names: dict[str, str]) -> dict[str, bytes]:
        found = {}
        for events in streams:
            iid = events[0].interactionId.lower()
            doc = contract_store.get_record(tenant_id, iid, False)
            assert doc is not None
            for sla_id, name in names.items():
                doc = doc.replace(sla_id.encode(), name.encode())
            found[iid] = doc.replace(tenant_id.encode(), b"tenant")
        return found

    restated, first = records(late, late_names), records(early, early_names)
    assert restated == first
    judged = [q for doc in first.values() for q in msgspec.json.decode(doc).get("queues", []) if "slaVersion" in q]
    assert {(q["slaId"], q["slaVersion"]) for q in judged} >= {(queues[0], 1), (queues[0], 2), (queues[0], 3),
                                                              ("None", 1), ("None", 2)}, "every version judged some"


def test_a_derivation_again_replaces_at_an_equal_revision_never_a_lower(contract_store: Store) -> None:
    """What keeps a restatement from undoing a late event that a concurrent batch stored meanwhile: the record
    derived again replaces the stored one at the same revision (the same events), never at a lower one."""
    tenant_id = str(uuid.uuid4())
    contract_store.create_tenant(Tenant(tenant_id, "t", "UTC"))
    iid = str(uuid.uuid4())
    store_events(contract_store, tenant_id, read_events(call(iid, SALES, MARCH, answered_after=10), tenant_id))
    stored = contract_store.get_record(tenant_id, iid, False)
    assert stored is not None
    revision = msgspec.json.decode(stored)["revision"]

    def rebuild_as(made: int, customer: str) -> Rebuild:
        def rebuild(events: dict[str, list[bytes]], slas: Sequence[Sla]) -> list[StoredRecord]:
            assert list(events) == [iid] and len(events[iid]) == revision, "every stored event of it"
            record = {"interactionId": iid, "startTimestamp": MARCH, "customer": customer, "revision": made}
            return [derived_record(record, tenant_id)]
        return rebuild

    assert contract_store.rederive(tenant_id, [iid], rebuild_as(revision - 1, "older"), 1) == UpsertCounts(0, 0, 1)
    assert contract_store.rederive(tenant_id, [iid], rebuild_as(revision, "again"), 2) == UpsertCounts(0, 1, 0)
    assert contract_store.rederive(tenant_id, [iid], rebuild_as(revision, "again"), 3) == UpsertCounts(0, 0, 1)
    again = contract_store.get_record(tenant_id, iid, False)
    assert again is not None and msgspec.json.decode(again)["customer"] == "again"
    assert contract_store.rederive(tenant_id, [], rebuild_as(revision, "none"), 4) == UpsertCounts()
