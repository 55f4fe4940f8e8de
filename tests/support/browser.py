"""The console's browser tests: a real `cxreport serve` (default rate limits) on a fresh SQLite file with a known
day of traffic, Debian's Chromium driven by Playwright, axe-core in the page, and screenshots to look at."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import msgspec

from cxreport.cli.synthetic import generate_events
from cxreport.store import open_store
from support.processes import wait_until_up
from support.servers import free_port
from support.tenants import TenantKeys, make_tenant_keys

CHROMIUM = "/usr/bin/chromium"
SCREENSHOTS = Path(__file__).resolve().parent.parent / "output" / "console"
"""Where the browser tests save a screenshot of each view (ignored by git)."""
AXE = Path(__file__).resolve().parent / "vendor" / "axe.min.js"

DAY = "2017-12-29"
"""The seed's day, in the tenant's zone (US/Eastern): the known dataset's interactions all start on it."""
DAY_START = "2017-12-29T05:00:00.000Z"
DAY_END = "2017-12-30T05:00:00.000Z"
INTERACTIONS = 600


@dataclass
class ConsoleServer:
    base_url: str
    process: subprocess.Popen[bytes]
    keys: TenantKeys
    interaction_ids: list[str] = field(default_factory=list)
    agent_ids: list[str] = field(default_factory=list)

    def api(self, role: str = "read") -> httpx.Client:
        return httpx.Client(base_url=self.base_url, auth=self.keys.auth(role), timeout=30)


@contextmanager
def console_server(folder: Path, interactions: int = INTERACTIONS) -> Iterator[ConsoleServer]:
    """`cxreport serve` (as installed, default rate limits) on a fresh database with one tenant in US/Eastern
    whose `interactions` synthetic interactions (events) all start on `DAY`, and its agents' state events."""
    database_url = f"sqlite:///{folder / 'console.db'}"
    store = open_store(database_url)
    store.migrate()
    keys = make_tenant_keys(store, name="Console Test Center", timezone="US/Eastern")
    store.close()
    port = free_port()
    env = {key: value for key, value in os.environ.items() if not key.startswith("CXREPORT_")}
    process = subprocess.Popen(
        [str(Path(sys.executable).parent / "cxreport"), "serve", "--database", database_url, "--port", str(port)],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        wait_until_up(base, process)
        server = ConsoleServer(base, process, keys)
        _load_day(server, interactions)
        yield server
    finally:
        if process.poll() is None:
            process.terminate()
            process.wait(timeout=30)


def _load_day(server: ConsoleServer, interactions: int) -> None:
    lines: list[bytes] = []
    agents: set[str] = set()
    for events in generate_events(interactions, seed=7, tenant_id=server.keys.id, start=DAY_START, end=DAY_END):
        server.interaction_ids.append(events[0].interactionId)
        for event in events:
            agent = getattr(event, "agentId", None)
            if agent:
                agents.add(agent)
            lines.append(msgspec.json.encode(event))
    server.agent_ids = sorted(agents)
    for number, agent in enumerate(server.agent_ids):
        lines += [msgspec.json.encode(event) for event in agent_day(agent, number)]
    with server.api("ingest") as client:
        for start in range(0, len(lines), 5000):
            body = b"\n".join(lines[start:start + 5000])
            answer = client.post(f"/v1/tenants/{server.keys.id}/events", content=body,
                                 headers={"Content-Type": "application/x-ndjson"})
            assert answer.status_code == 200, answer.text


def agent_day(agent: str, number: int) -> list[dict[str, Any]]:
    """A shift on `DAY`: login 08:00 local (13:00Z), not ready for lunch 12:00-12:30 local, logout 20:00 local."""
    return [
        {"type": "agent-logged-in", "eventId": f"{agent}-1", "agentId": agent, "timestamp": "2017-12-29T13:00:00Z",
         "state": "ready", "agentName": f"Agent {number + 1}"},
        {"type": "agent-state-changed", "eventId": f"{agent}-2", "agentId": agent,
         "timestamp": "2017-12-29T17:00:00Z", "state": "not-ready", "reasonCode": "lunch"},
        {"type": "agent-state-changed", "eventId": f"{agent}-3", "agentId": agent,
         "timestamp": "2017-12-29T17:30:00Z", "state": "ready"},
        {"type": "agent-logged-out", "eventId": f"{agent}-4", "agentId": agent, "timestamp": "2017-12-30T01:00:00Z"},
    ]


def run_axe(page: Any) -> list[dict[str, Any]]:
    """axe-core's violations of serious or critical impact on the page as it is now."""
    if not page.evaluate("() => typeof window.axe !== 'undefined'"):
        page.evaluate(AXE.read_text("utf-8"))
    result: dict[str, Any] = page.evaluate("async () => await axe.run(document, {resultTypes: ['violations']})")
    return [
        {"id": v["id"], "impact": v["impact"], "help": v["help"], "nodes": [n["target"] for n in v["nodes"][:5]]}
        for v in result["violations"] if v["impact"] in ("serious", "critical")
    ]


def screenshot(page: Any, name: str) -> Path:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    print(f"screenshot: {path}")
    return path
