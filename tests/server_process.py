"""Helpers for tests that run `cxreport` as real processes: a `serve` on a loopback port, a database's
whole content read back through the export path, the seed's event streams under new interaction ids."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import msgspec

from cxreport.service import interactions as service
from cxreport.service.search import SearchRequest
from cxreport.store import Store

COMMAND = str(Path(sys.executable).parent / "cxreport")
SEED_TENANT = "2336d1ec-c956-47e1-b3b1-fe8fde81b2b4"
STREAMS = Path(__file__).parent / "data" / "seed-events"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def launch_server(database_url: str, port: int | None = None) -> tuple[str, subprocess.Popen[bytes]]:
    """`cxreport serve` on a loopback port, started but not yet waited for; without rate limits (these tests'
    clients share a key and outrun 100 requests/s: tests/test_limits.py checks the limits)."""
    port = port or free_port()
    process = subprocess.Popen(
        [COMMAND, "serve", "--database", database_url, "--port", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        env={**os.environ, "CXREPORT_RATE_LIMIT": "0"},
    )
    return f"http://127.0.0.1:{port}", process


def wait_until_up(base: str, process: subprocess.Popen[bytes]) -> None:
    """Return once `/health` answers 200; fail if the server exits or takes over 30 s (then kill it)."""
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise AssertionError(f"cxreport serve exited at start with status {process.returncode}")
        try:
            if httpx.get(f"{base}/health", timeout=1).status_code == 200:
                return
        except httpx.HTTPError:  # not listening yet: poll again until the deadline
            pass
        time.sleep(0.05)
    process.kill()
    process.wait()
    raise AssertionError(f"{base} did not come up within 30 s")


def start_server(database_url: str, port: int | None = None) -> tuple[str, subprocess.Popen[bytes]]:
    """`cxreport serve` on a loopback port, once `/health` answers 200 (see `launch_server`)."""
    base, process = launch_server(database_url, port)
    wait_until_up(base, process)
    return base, process


@contextmanager
def served(database_url: str) -> Iterator[tuple[str, subprocess.Popen[bytes]]]:
    base, process = start_server(database_url)
    try:
        yield base, process
    finally:
        if process.poll() is None:
            process.terminate()
            process.wait(timeout=30)


def stored_records(store: Store, tenant_id: str, include_nulls: bool = True) -> dict[str, bytes]:
    """Every record of the tenant as the store serves it, by interaction id (through the export path)."""
    params = SearchRequest(descending=False, include_nulls=include_nulls)
    found: dict[str, bytes] = {}
    for chunk in service.export(store, tenant_id, params, "ndjson"):
        for line in chunk.data.splitlines():
            if line:
                interaction_id = json.loads(line)["interactionId"]
                assert interaction_id not in found, f"{interaction_id} exported twice"
                found[interaction_id] = line
    return found


def seed_stream_names() -> list[str]:
    return sorted(path.stem for path in STREAMS.glob("*.ndjson"))


def event_stream(seed_id: str, tenant_id: str, new_id: str | None = None) -> tuple[str, list[bytes]]:
    """The seed interaction `seed_id`'s events (compact JSON, as the store keeps them) as those of a new
    interaction of `tenant_id`: its own interaction id, and event ids unique to it."""
    interaction_id = new_id or str(uuid.uuid4())
    text = (STREAMS / f"{seed_id}.ndjson").read_text()
    text = text.replace(SEED_TENANT, tenant_id).replace(seed_id, interaction_id)
    text = text.replace(f'"eventId": "{seed_id[:8]}-', f'"eventId": "{interaction_id}-')
    lines = [msgspec.json.format(line.encode(), indent=-1) for line in text.splitlines() if line.strip()]
    return interaction_id, lines
