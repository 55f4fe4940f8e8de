"""Fresh across processes, and rebuilt after a restart: two `cxreport serve` processes on one database agree on
realtime figures within a second of an event accepted by either; a restarted process answers the same figures
from what is stored (both stores)."""

from __future__ import annotations

import time
from typing import Any

import httpx

from cxreport import clock
from cxreport.store import open_store
from support.calls import SECOND, Call, agent_event
from support.processes import served
from support.tenants import make_tenant_keys

FIGURES = ("interactions-in-queue", "interactions-in-conversation", "agents-busy", "agents-ready", "offered",
           "answered", "average-speed-of-answer")


def figures(base: str, tenant_id: str, auth: tuple[str, str]) -> dict[str, Any]:
    response = httpx.post(f"{base}/v1/tenants/{tenant_id}/realtime-statistics/batch", auth=auth,
                          json={"requests": {name: {"statistic": name} for name in FIGURES}})
    assert response.status_code == 200, response.text
    return {name: item["results"] for name, item in response.json()["results"].items()}


def test_two_processes_agree_within_a_second_and_a_restart_loses_nothing(fresh_database_url: str) -> None:
    store = open_store(fresh_database_url)
    store.migrate()
    keys = make_tenant_keys(store)
    store.close()
    now = clock.now_us()
    with served(fresh_database_url) as (first, _), served(fresh_database_url) as (second, _):
        before = figures(second, keys.id, keys.read)  # the second process caches its snapshot
        assert before["interactions-in-queue"]["count"] == 0
        calls = [Call("q-1") for _ in range(3)]
        for round_number, call in enumerate(calls):
            events = [*call.start(now - 60 * SECOND), agent_event("ag-ana", "agent-logged-in", now - 120 * SECOND,
                                                                  "ready")]
            if round_number == 2:
                events += call.answer(now - 10 * SECOND)
            response = httpx.post(f"{first}/v1/tenants/{keys.id}/events", json=events, auth=keys.ingest)
            assert response.status_code == 200, response.text
            accepted = time.monotonic()
            seen = figures(second, keys.id, keys.read)  # at once: no waiting for a refresh
            assert time.monotonic() - accepted < 1.0
            assert seen["interactions-in-queue"]["count"] == min(round_number + 1, 2)
            assert seen["offered"]["count"] == round_number + 1
        both = figures(first, keys.id, keys.read), figures(second, keys.id, keys.read)
        assert _timeless(both[0]) == _timeless(both[1])
        assert both[1]["interactions-in-conversation"]["count"] == 1
        assert both[1]["agents-busy"]["count"] == 1 and both[1]["agents-ready"]["count"] == 0
    with served(fresh_database_url) as (restarted, _):
        again = figures(restarted, keys.id, keys.read)
    assert _timeless(again) == _timeless(both[1])


def _timeless(found: dict[str, Any]) -> dict[str, Any]:
    """The figures without those that grow with time (the waits so far)."""
    return {name: {key: value for key, value in figure.items() if name != "longest-current-wait"}
            for name, figure in found.items()}
