"""End to end, over HTTP on loopback, both stores: a record restated again and again (a higher `revision` each time)
with some of its facets, its queue-entry facts, both or neither changed. Whatever a restatement keeps as it was
(on SQLite the facet and fact rows are then left in place rather than written again), searches find the record
by its current facets only and once, statistics (read from the rollups, and from the facts with a filter) count
its current facts, and the record served is the current one."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any

import httpx
import pytest

from support.tenants import TenantKeys

START = "2024-05-06T10:03:00.000Z"
QUARTER = {"start": "2024-05-06T10:00:00Z", "end": "2024-05-06T10:15:00Z", "interval": "total", "timezone": "UTC"}


def version(interaction_id: str, revision: int, customer: str, wait_s: float, csat: int) -> dict[str, Any]:
    return {"interactionId": interaction_id, "startTimestamp": START, "revision": revision, "customer": customer,
            "channelType": "voice", "direction": "inbound", "csat": csat,
            "queues": [{"queueId": "q-1", "startTimestamp": START, "queueTime": wait_s, "queueExitType": "success",
                        "timeToAnswer": wait_s, "agentId": "ag-1"}]}


def ok(response: httpx.Response) -> Any:
    assert response.status_code == 200, response.text
    return response.json()


@pytest.mark.parametrize("changes", [
    [("customer", "wait", "csat")],
    [("csat",), ("csat",), ("wait",), ("customer",), ("csat",), ("customer", "wait")],
], ids=["all", "one-at-a-time"])
def test_restatements_keep_searches_and_statistics_current(
    http: httpx.Client, new_tenant: Callable[..., TenantKeys], changes: list[tuple[str, ...]]
) -> None:
    keys = new_tenant()
    base = f"/v1/tenants/{keys.id}"
    interaction_id, other_id = str(uuid.uuid4()), str(uuid.uuid4())
    state = {"customer": "c-0", "wait": 10.0, "csat": 1}
    ok(http.post(f"{base}/interactions", auth=keys.ingest, json=[
        version(interaction_id, 1, state["customer"], state["wait"], state["csat"]),
        version(other_id, 1, "someone-else", 100.0, 5),  # in the same quarter hour: its sums must stay counted
    ]))
    for revision, changed in enumerate(changes, start=2):
        state = {"customer": f"c-{revision}" if "customer" in changed else state["customer"],
                 "wait": state["wait"] + 1 if "wait" in changed else state["wait"],
                 "csat": revision if "csat" in changed else state["csat"]}
        counts = ok(http.post(f"{base}/interactions", auth=keys.ingest,
                              json=version(interaction_id, revision, str(state["customer"]), float(state["wait"]),
                                           int(state["csat"]))))
        assert counts == {"inserted": 0, "updated": 1, "unchanged": 0}
        found = ok(http.get(f"{base}/interactions", auth=keys.read, params={"customer": state["customer"]}))
        assert [r["interactionId"] for r in found["results"]] == [interaction_id]
        assert found["results"][0]["csat"] == state["csat"] and found["results"][0]["revision"] == revision
        everyone = ok(http.get(f"{base}/interactions", auth=keys.read, params={"queueId": "q-1"}))
        assert sorted(r["interactionId"] for r in everyone["results"]) == sorted([interaction_id, other_id])
        for old in {f"c-{n}" for n in range(revision)} - {state["customer"]}:
            assert ok(http.get(f"{base}/interactions?limit=0", auth=keys.read, params={"customer": old}))["total"] == 0
        for params in (QUARTER, {**QUARTER, "channelType": "voice"}):  # rollups, then the facts
            [row] = ok(http.get(f"{base}/statistics", auth=keys.read, params=params))["rows"]
            assert (row["offered"], row["answered"]) == (2, 2), params
            assert row["answerTimeTotal"] == pytest.approx(float(state["wait"]) + 100.0), params
