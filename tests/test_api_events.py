"""End to end, over HTTP on loopback, both stores: events in, derived records out; reporting events; service
levels and their versions; roles and tenants."""

from __future__ import annotations

import json
import random
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import pytest

from cxreport import clock
from cxreport.config import Settings
from cxreport.store import open_store
from cxreport.times import format_instant, parse_instant
from support.data import SAMPLE, STREAMS
from support.seed_derivation import unexplained
from support.servers import free_port, serving
from support.tenants import TenantKeys, make_tenant_keys

SEED_TENANT = SAMPLE["tenantId"]
SAMPLES = {record["interactionId"]: record for record in SAMPLE["results"]}
NDJSON = {"content-type": "application/x-ndjson"}
EVERYTHING = {"start": "1900-01-01T00:00Z", "end": "2200-01-01T00:00Z", "limit": 1000}
QUEUE = "3703e470-834a-11e7-b08f-6e56a766befb"


def lines(interaction_id: str, tenant_id: str) -> list[bytes]:
    text = (STREAMS / f"{interaction_id}.ndjson").read_bytes().replace(SEED_TENANT.encode(), tenant_id.encode())
    return [line for line in text.splitlines() if line.strip()]


def post_events(http: httpx.Client, keys: TenantKeys, content: bytes, status: int = 200,
                headers: dict[str, str] = NDJSON) -> Any:
    response = http.post(f"/v1/tenants/{keys.id}/events", content=content, auth=keys.ingest, headers=headers)
    assert response.status_code == status, response.text
    return response.json()


def record(http: httpx.Client, keys: TenantKeys, interaction_id: str) -> dict[str, Any]:
    response = http.get(f"/v1/tenants/{keys.id}/interactions/{interaction_id}", auth=keys.read)
    assert response.status_code == 200, response.text
    found: dict[str, Any] = response.json()
    found.pop("details")
    return found


def everything(http: httpx.Client, keys: TenantKeys) -> list[dict[str, Any]]:
    response = http.get(f"/v1/tenants/{keys.id}/interactions", params=EVERYTHING, auth=keys.read)
    assert response.status_code == 200, response.text
    results: list[dict[str, Any]] = response.json()["results"]
    return results


def test_the_seed_streams_make_the_seed_records(http: httpx.Client, new_tenant: Callable[..., TenantKeys]) -> None:
    keys = new_tenant()
    body = b"\n".join(line for iid in SAMPLES for line in lines(iid, keys.id))
    reply = post_events(http, keys, body)
    assert reply == {"accepted": body.count(b"\n") + 1, "duplicates": 0, "interactions": 10}
    for interaction_id, sample in SAMPLES.items():
        derived = record(http, keys, interaction_id)
        expected = json.loads(json.dumps(sample).replace(SEED_TENANT, keys.id))
        # No SLA version of this tenant existed in 2017: the built-in default (ignore-abandons, 20 s) judges, under
        # which the sample's one short abandon (15.74 s) does not count (tests/test_derive_seed.py says why).
        allowed = {"queues[0].slaAbandoned": (True, False)} if interaction_id.startswith("8b8e8fb0") else {}
        assert unexplained(expected, derived) == allowed, interaction_id
    in_progress = {r["interactionId"]: r for r in everything(http, keys)}["9776ff80-d9d1-11e7-bf9b-9440dab83f25"]
    assert "endTimestamp" not in in_progress, "an interaction without interaction-ended is searchable, without an end"


def test_order_free_and_idempotent_through_http(http: httpx.Client, new_tenant: Callable[..., TenantKeys]) -> None:
    ids = ["9776ff80-d9d1-11e7-bf9b-9440dab83f25", "98a56b60-d9e7-11e7-9c4e-7eab04d876eb"]
    in_order, shuffled = new_tenant(), new_tenant()
    post_events(http, in_order, b"\n".join(line for iid in ids for line in lines(iid, in_order.id)))
    events = [line for iid in ids for line in lines(iid, shuffled.id)]
    rng = random.Random(4)
    rng.shuffle(events)
    third = len(events) // 3
    thirds = [events[:third], events[third : 2 * third], events[2 * third :]]
    accepted = duplicates = 0
    for number, batch in enumerate(thirds):
        repeated = rng.sample(events[: third * number + 1], 3) if number else batch[:2]
        sent = batch + repeated
        rng.shuffle(sent)
        content = b"[" + b",".join(sent) + b"]" if number == 1 else b"\n".join(sent)  # an array, then NDJSON
        reply = post_events(http, shuffled, content, headers={"content-type": "application/json"} if number == 1
                            else NDJSON)
        accepted, duplicates = accepted + reply["accepted"], duplicates + reply["duplicates"]
    assert (accepted, duplicates) == (len(events), 8)
    for iid in ids:
        first, second = record(http, in_order, iid), record(http, shuffled, iid)
        assert first.pop("tenantId") == in_order.id and second.pop("tenantId") == shuffled.id
        assert first == second
        assert first["revision"] == len(lines(iid, in_order.id))


def test_a_late_event_restates_the_record(http: httpx.Client, new_tenant: Callable[..., TenantKeys]) -> None:
    keys, iid = new_tenant(), "e6952d50-eca3-11e7-ba92-25b49e03c3e7"
    events = lines(iid, keys.id)
    late = [line for line in events if b'"interaction-ended"' in line]
    early = [line for line in events if line not in late]
    post_events(http, keys, b"\n".join(early))
    before = record(http, keys, iid)
    assert "endTimestamp" not in before and before["revision"] == len(early)
    assert [r["interactionId"] for r in everything(http, keys)] == [iid], "searchable while in progress"
    assert post_events(http, keys, late[0]) == {"accepted": 1, "duplicates": 0, "interactions": 1}
    after = record(http, keys, iid)
    assert after["endTimestamp"] == SAMPLES[iid]["endTimestamp"] and after["revision"] == before["revision"] + 1
    assert post_events(http, keys, b"\n".join(events)) == {"accepted": 0, "duplicates": len(events), "interactions": 0}
    assert record(http, keys, iid) == after


def test_a_malformed_event_rejects_the_whole_batch(http: httpx.Client, new_tenant: Callable[..., TenantKeys]) -> None:
    keys, iid = new_tenant(), str(uuid.uuid4())
    good = {"type": "interaction-started", "eventId": "e1", "interactionId": iid, "timestamp": "2024-01-01T00:00:00Z",
            "channelType": "voice", "direction": "inbound", "customer": "c", "contactPoint": "p", "flowId": "f",
            "flowName": "F"}
    missing = {"type": "queue-entered", "eventId": "e2", "interactionId": iid, "timestamp": "2024-01-01T00:00:01Z"}
    unknown = {**missing, "type": "teleported", "eventId": "e3"}
    bad_time = {**good, "eventId": "e4", "timestamp": "2024-02-30T00:00:00Z"}
    body = [good, missing, unknown, bad_time]
    reply = post_events(http, keys, json.dumps(body).encode(), 400, headers={"content-type": "application/json"})
    assert reply["code"] == "invalid_record"
    assert [(e["position"], e["path"]) for e in reply["errors"]] == [
        (1, "$.interactionQueueId"), (2, "$.type"), (3, "$.timestamp")]
    assert "3 of 4 events are invalid, so none was accepted" in reply["message"]
    ndjson = b"\n".join(json.dumps(item).encode() for item in [good, good, missing])
    reply = post_events(http, keys, b"\n" + ndjson, 400)
    assert [(e["position"], e["line"]) for e in reply["errors"]] == [(2, 4)]
    assert post_events(http, keys, b"{not json", 400)["code"] in ("invalid_record", "invalid_body")
    assert http.get(f"/v1/tenants/{keys.id}/interactions/{iid}/reporting-events", auth=keys.read).status_code == 404
    assert http.get(f"/v1/tenants/{keys.id}/interactions/{iid}", auth=keys.read).status_code == 404
    other = str(uuid.uuid4())
    foreign = {**good, "tenantId": other}
    reply = post_events(http, keys, json.dumps(foreign).encode(), 400)
    assert reply["errors"][0]["path"] == "$.tenantId"


def test_reporting_events_in_time_order(http: httpx.Client, new_tenant: Callable[..., TenantKeys]) -> None:
    keys, iid = new_tenant(), "98a56b60-d9e7-11e7-9c4e-7eab04d876eb"
    events = lines(iid, keys.id)
    sent = list(reversed(events))
    post_events(http, keys, b"[\n  " + b",\n  ".join(sent) + b"\n]", headers={"content-type": "application/json"})
    response = http.get(f"/v1/tenants/{keys.id}/interactions/{iid.upper()}/reporting-events", auth=keys.read)
    assert response.status_code == 200, response.text
    body = response.json()
    assert (body["tenantId"], body["interactionId"]) == (keys.id, iid)
    expected = sorted((json.loads(line) for line in events),
                      key=lambda e: (parse_instant(e["timestamp"]), e["eventId"]))
    assert body["results"] == expected
    assert b'"results":[{"type":' in response.content, "the stored text, whitespace removed"
    unknown = http.get(f"/v1/tenants/{keys.id}/interactions/{uuid.uuid4()}/reporting-events", auth=keys.read)
    assert unknown.status_code == 404 and unknown.json()["code"] == "not_found"
    bad = http.get(f"/v1/tenants/{keys.id}/interactions/nope/reporting-events", auth=keys.read)
    assert bad.status_code == 400 and bad.json()["parameter"] == "interactionId"


def answered_call(iid: str, queue_id: str, entered_us: int, wait_s: int) -> bytes:
    def at(offset_s: float) -> str:
        return format_instant(entered_us + int(offset_s * 1_000_000))

    common = {"interactionId": iid}
    work = {"interactionAgentId": f"{iid}-a", "agentId": "agent", "agentName": "A", "sessionId": "s",
            "queueId": queue_id}
    events = [
        {"type": "interaction-started", "timestamp": at(-1), "channelType": "voice", "direction": "inbound",
         "customer": "c", "contactPoint": "p", "flowId": "f", "flowName": "F"},
        {"type": "queue-entered", "timestamp": at(0), "interactionQueueId": f"{iid}-q", "queueId": queue_id,
         "queueName": "Q", "entryType": "ivr", "queueLength": 1},
        {"type": "work-offered", "timestamp": at(wait_s - 1), **work},
        {"type": "work-accepted", "timestamp": at(wait_s), **work},
        {"type": "queue-exited", "timestamp": at(wait_s), "interactionQueueId": f"{iid}-q", "reason": "success"},
        {"type": "conversation-started", "timestamp": at(wait_s), "interactionAgentId": f"{iid}-a"},
    ]
    return b"\n".join(json.dumps({**event, **common, "eventId": f"{iid}-{n}"}).encode()
                      for n, event in enumerate(events))


def verdict(http: httpx.Client, keys: TenantKeys, iid: str) -> tuple[Any, Any, Any]:
    queue = record(http, keys, iid)["queues"][0]
    return queue.get("slaMet"), queue.get("slaId"), queue.get("slaVersion")


def test_sla_versions_apply_from_their_time_on(http: httpx.Client, new_tenant: Callable[..., TenantKeys]) -> None:
    keys = new_tenant()
    base = f"/v1/tenants/{keys.id}/slas"
    created = http.post(base, json={"queueId": QUEUE, "slaThreshold": 5, "abandonType": "count-against-sla",
                                    "abandonThreshold": 5}, auth=keys.admin)
    assert created.status_code == 201, created.text
    sla_id = created.json()["slaId"]
    a, b, old, other = (str(uuid.uuid4()) for _ in range(4))
    post_events(http, keys, answered_call(a, QUEUE, clock.now_us(), wait_s=10))
    assert verdict(http, keys, a) == (False, sla_id, 1)
    changed = http.post(f"{base}/{sla_id}/versions", json={"slaThreshold": 60}, auth=keys.admin)
    assert changed.status_code == 201, changed.text
    assert changed.json()["current"] | {"effectiveFrom": None, "inForceFrom": None} == {
        "version": 2, "slaThreshold": 60.0, "abandonType": "count-against-sla", "abandonThreshold": 5.0,
        "effectiveFrom": None, "inForceFrom": None}
    post_events(http, keys, answered_call(b, QUEUE, clock.now_us(), wait_s=10))
    assert verdict(http, keys, b) == (True, sla_id, 2)
    hook = {"type": "hook-linked", "eventId": f"{a}-late", "interactionId": a,
            "timestamp": format_instant(clock.now_us()), "hookType": "crm", "hookSubType": "case", "hookId": "1"}
    post_events(http, keys, json.dumps(hook).encode())
    assert verdict(http, keys, a) == (False, sla_id, 1), "a late event does not rewrite the verdict with v2"
    post_events(http, keys, answered_call(old, QUEUE, parse_instant("2017-12-01T00:00:00Z"), wait_s=10))
    assert verdict(http, keys, old) == (True, None, None), "before any version: the built-in default, 20 s"
    default = http.post(base, json={"name": "tenant default", "slaThreshold": 1}, auth=keys.admin)
    assert default.status_code == 201, default.text
    post_events(http, keys, answered_call(other, "another-queue", clock.now_us(), wait_s=10))
    assert verdict(http, keys, other) == (False, default.json()["slaId"], 1)
    listed = http.get(base, auth=keys.read).json()["results"]
    assert [(s["queueId"], len(s["versions"])) for s in listed] == [(None, 1), (QUEUE, 2)]
    one = http.get(f"{base}/{sla_id}", auth=keys.read)
    assert one.status_code == 200 and one.json() == changed.json()


@pytest.mark.parametrize(("body", "parameter"), [
    ({"slaThreshold": -1}, "slaThreshold"),
    ({"abandonType": "never"}, "abandonType"),
    ({"abandonThreshold": "20"}, "abandonThreshold"),
    ({"queueId": ""}, "queueId"),
    ({"threshold": 20}, None),
])
def test_sla_bodies_are_checked(http: httpx.Client, new_tenant: Callable[..., TenantKeys], body: dict[str, Any],
                                parameter: str | None) -> None:
    keys = new_tenant()
    response = http.post(f"/v1/tenants/{keys.id}/slas", json=body, auth=keys.admin)
    assert response.status_code == 400, response.text
    assert response.json().get("parameter") == parameter
    assert http.get(f"/v1/tenants/{keys.id}/slas", auth=keys.read).json() == {"results": []}


def test_sla_errors(http: httpx.Client, new_tenant: Callable[..., TenantKeys]) -> None:
    keys = new_tenant()
    base = f"/v1/tenants/{keys.id}/slas"
    assert http.post(base, json={"queueId": "q"}, auth=keys.admin).status_code == 201
    conflict = http.post(base, json={"queueId": "q"}, auth=keys.admin)
    assert conflict.status_code == 409 and conflict.json()["code"] == "conflict"
    assert http.post(base, content=b"{", auth=keys.admin).status_code == 400
    assert http.get(f"{base}/{uuid.uuid4()}", auth=keys.read).status_code == 404
    assert http.get(f"{base}/nope", auth=keys.read).json()["parameter"] == "slaId"
    assert http.post(f"{base}/{uuid.uuid4()}/versions", json={}, auth=keys.admin).status_code == 404


def test_roles_and_tenants(http: httpx.Client, new_tenant: Callable[..., TenantKeys]) -> None:
    keys, stranger = new_tenant(), new_tenant()
    iid = "e6952d50-eca3-11e7-ba92-25b49e03c3e7"
    body = b"\n".join(lines(iid, keys.id))
    events, slas = f"/v1/tenants/{keys.id}/events", f"/v1/tenants/{keys.id}/slas"
    reporting = f"/v1/tenants/{keys.id}/interactions/{iid}/reporting-events"
    assert http.post(events, content=body, auth=keys.read).status_code == 403
    assert http.post(events, content=body).status_code == 401
    for role in ("ingest", "admin", "read"):
        assert http.post(events, content=body, auth=stranger.auth(role)).status_code == 403
    assert http.post(events, content=body, auth=keys.admin).status_code == 200
    assert http.get(reporting, auth=keys.read).status_code == 200
    assert http.get(reporting, auth=stranger.read).status_code == 403
    assert http.get(slas, auth=stranger.admin).status_code == 403
    assert http.post(slas, json={}, auth=keys.ingest).status_code == 403
    assert http.post(slas, json={}, auth=stranger.admin).status_code == 403
    created = http.post(slas, json={}, auth=keys.admin).json()
    assert http.post(f"{slas}/{created['slaId']}/versions", json={}, auth=keys.read).status_code == 403
    assert http.get(f"/v1/tenants/{stranger.id}/slas/{created['slaId']}", auth=stranger.read).status_code == 404
    assert http.get(f"/v1/tenants/{stranger.id}/interactions/{iid}/reporting-events",
                    auth=stranger.read).status_code == 404


def test_direct_and_derived_records_of_one_interaction(http: httpx.Client,
                                                       new_tenant: Callable[..., TenantKeys]) -> None:
    keys = new_tenant()
    derived_first, direct_first = "e6952d50-eca3-11e7-ba92-25b49e03c3e7", "a17b02c0-f57d-11e7-ba92-25b49e03c3e7"

    def direct(iid: str, revision: int) -> dict[str, Any]:
        sample = json.loads(json.dumps(SAMPLES[iid]).replace(SEED_TENANT, keys.id))
        response = http.post(f"/v1/tenants/{keys.id}/interactions", json={**sample, "revision": revision,
                                                                          "customer": "typed in"}, auth=keys.ingest)
        assert response.status_code == 200, response.text
        result: dict[str, Any] = response.json()
        return result

    post_events(http, keys, b"\n".join(lines(derived_first, keys.id)))
    derived = record(http, keys, derived_first)
    assert direct(derived_first, 1000) == {"inserted": 0, "updated": 0, "unchanged": 1}
    assert record(http, keys, derived_first) == derived, "once an interaction has events, its record is derived"
    assert direct(direct_first, 1000) == {"inserted": 1, "updated": 0, "unchanged": 0}
    assert record(http, keys, direct_first)["customer"] == "typed in"
    post_events(http, keys, b"\n".join(lines(direct_first, keys.id)))
    replaced = record(http, keys, direct_first)
    assert replaced["customer"] != "typed in" and replaced["revision"] == len(lines(direct_first, keys.id))


def test_events_per_interaction_are_capped(tmp_path: Path) -> None:
    """Deriving a record reads all its interaction's events: their number is capped (a 409 naming the cap,
    nothing of the request stored), so one request's cost cannot grow with a history without end."""
    iid = "98a56b60-d9e7-11e7-9c4e-7eab04d876eb"
    cap = 6
    settings = Settings(database_url=f"sqlite:///{tmp_path / 'cap.db'}", port=free_port(), rate_limit=0,
                        max_events_per_interaction=cap)
    capped = open_store(settings.database_url)
    capped.migrate()
    keys = make_tenant_keys(capped)
    events = lines(iid, keys.id)
    assert len(events) > cap
    try:
        with serving(settings, capped) as base, httpx.Client(base_url=base, timeout=30) as client:
            whole = client.post(f"/v1/tenants/{keys.id}/events", content=b"\n".join(events), headers=NDJSON,
                                auth=keys.ingest)
            assert whole.status_code == 409, whole.text
            assert whole.json()["code"] == "too_many_events"
            assert "CXREPORT_MAX_EVENTS_PER_INTERACTION" in whole.json()["message"] and iid in whole.json()["message"]
            first = client.post(f"/v1/tenants/{keys.id}/events", content=b"\n".join(events[:cap]), headers=NDJSON,
                                auth=keys.ingest)
            assert first.status_code == 200, first.text
            one_more = client.post(f"/v1/tenants/{keys.id}/events", content=events[cap], headers=NDJSON,
                                   auth=keys.ingest)
            assert one_more.status_code == 409 and one_more.json()["code"] == "too_many_events"
            again = client.post(f"/v1/tenants/{keys.id}/events", content=events[0], headers=NDJSON, auth=keys.ingest)
            assert again.status_code == 200 and again.json()["duplicates"] == 1  # a duplicate adds nothing
            stored = client.get(f"/v1/tenants/{keys.id}/interactions/{iid}/reporting-events", auth=keys.read)
            assert len(stored.json()["results"]) == cap
    finally:
        capped.close()


def test_reporting_events_in_pages(http: httpx.Client, new_tenant: Callable[..., TenantKeys]) -> None:
    keys, iid = new_tenant(), "98a56b60-d9e7-11e7-9c4e-7eab04d876eb"
    post_events(http, keys, b"\n".join(lines(iid, keys.id)), headers=NDJSON)
    path = f"/v1/tenants/{keys.id}/interactions/{iid}/reporting-events"
    whole = http.get(path, auth=keys.read).json()
    assert list(whole) == ["tenantId", "interactionId", "results"], "without limit: the unpaged shape"
    walked: list[dict[str, Any]] = []
    url: str | None = f"{path}?limit=2"
    while url:
        page = http.get(url, auth=keys.read).json()
        assert page["limit"] == 2 and len(page["results"]) <= 2
        walked += page["results"]
        url = page["nextUrl"]
    assert walked == whole["results"] and len(walked) > 2
    first = http.get(f"{path}?limit=2", auth=keys.read).json()
    other = new_tenant()
    foreign = http.get(f"/v1/tenants/{keys.id}/interactions/{uuid.uuid4()}/reporting-events",
                       params={"limit": 2, "cursor": first["next"]}, auth=keys.read)
    assert foreign.status_code in (400, 404)
    assert http.get(f"/v1/tenants/{other.id}/interactions/{iid}/reporting-events", params={"limit": 2},
                    auth=other.read).status_code == 404
    for query, parameter in (({"limit": 0}, "limit"), ({"limit": 1001}, "limit"), ({"cursor": first["next"]}, "cursor"),
                             ({"limit": 2, "cursor": "forged"}, "cursor")):
        refused = http.get(path, params=query, auth=keys.read)
        assert refused.status_code == 400 and refused.json()["parameter"] == parameter, refused.text
