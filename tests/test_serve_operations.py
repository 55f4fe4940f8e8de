"""`cxreport serve` as operators run it, as a subprocess on a loopback port with a fresh SQLite file: its access
log (one JSON line per request on stderr, never a secret, a token, a query string or a customer number), and
its graceful shutdown on SIGTERM (in-flight requests finish, exit status 0)."""

from __future__ import annotations

import json
import signal
import socket
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

import httpx
import pytest

from cxreport.service import interactions as service
from cxreport.store import open_store
from support.servers import free_port
from support.tenants import TenantKeys, make_tenant_keys

CXREPORT = str(Path(sys.executable).parent / "cxreport")
CUSTOMER = "+15551234567"
ACCESS_FIELDS = {"time", "method", "route", "status", "duration_ms", "tenant", "key", "bytes"}
SEARCH = "/v1/tenants/{tenantId}/interactions"


@dataclass
class Served:
    base: str
    process: subprocess.Popen[bytes]
    stderr: Path
    keys: TenantKeys
    answered: int = 0  # requests the server answered while we waited for it to start
    output: str = field(default="")

    def stop(self) -> int:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
        code = self.process.wait(timeout=30)
        self.output = self.stderr.read_text()
        return code


def start(tmp_path: Path, records: int = 0) -> Served:
    url = f"sqlite:///{tmp_path / 'served.db'}"
    store = open_store(url)
    store.migrate()
    keys = make_tenant_keys(store)
    if records:
        body = json.dumps([
            {"interactionId": str(uuid.UUID(int=i + 1)), "startTimestamp": f"2020-01-01T{i % 24:02d}:00:00Z",
             "customer": f"+1555{i:07d}", "channelType": "voice"} for i in range(records)
        ]).encode()
        service.ingest(store, keys.id, body)
    store.close()
    port = free_port()
    stderr = tmp_path / "serve.stderr"
    with stderr.open("wb") as sink:
        process = subprocess.Popen([CXREPORT, "serve", "--database", url, "--port", str(port)],
                                   stdout=subprocess.DEVNULL, stderr=sink)
    served = Served(f"http://127.0.0.1:{port}", process, stderr, keys)
    deadline = time.monotonic() + 30
    while True:
        assert process.poll() is None, stderr.read_text()
        try:
            answer = httpx.get(f"{served.base}/health", timeout=5)
        except httpx.TransportError:
            assert time.monotonic() < deadline, "cxreport serve did not start"
            time.sleep(0.05)
            continue
        served.answered += 1
        if answer.status_code == 200:
            return served


@pytest.fixture
def served(tmp_path: Path) -> Iterator[Served]:
    server = start(tmp_path)
    yield server
    if server.process.poll() is None:
        server.process.kill()
        server.process.wait(timeout=10)


def access_lines(output: str) -> list[dict[str, object]]:
    """The access log's lines of the captured stderr (the JSON objects; uvicorn's own lines are text)."""
    entries = []
    for line in output.splitlines():
        if line.startswith("{"):
            entry = json.loads(line)
            assert isinstance(entry, dict) and set(entry) == ACCESS_FIELDS, line
            entries.append(entry)
    return entries


def test_the_access_log_has_one_json_line_per_request_and_no_secrets(served: Served) -> None:
    keys = served.keys
    tenant = keys.id
    search = f"/v1/tenants/{tenant}/interactions"
    made: list[tuple[str | None, int, str | None]] = []  # what each request should log: route, status, key
    with httpx.Client(base_url=served.base, timeout=30) as client:

        def call(method: str, url: str, route: str | None, key: str | None, **kwargs: object) -> httpx.Response:
            response = client.request(method, url, **kwargs)  # type: ignore[arg-type]
            made.append((route, response.status_code, key))
            return response

        record = {"interactionId": str(uuid.uuid4()), "startTimestamp": "2020-01-01T00:00Z", "customer": CUSTOMER,
                  "contactId": CUSTOMER}
        assert call("POST", search, SEARCH, keys.ingest[0], json=record, auth=keys.ingest).status_code == 200
        basic = call("GET", search, SEARCH, keys.read[0], params={"customer": CUSTOMER}, auth=keys.read)
        assert basic.json()["total"] == 1
        token = call("POST", "/v1/tokens", "/v1/tokens", keys.read[0], auth=keys.read).json()["token"]
        body_token = call("POST", "/v1/tokens", "/v1/tokens", keys.admin[0],
                          json={"username": keys.admin[0], "password": keys.admin[1], "ttl": 60}).json()["token"]
        for scheme, secret in (("Token", token), ("Bearer", body_token)):
            response = call("GET", search, SEARCH, keys.read[0] if secret == token else keys.admin[0],
                            params={"customer": CUSTOMER, "limit": "5"},
                            headers={"authorization": f"{scheme} {secret}"})
            assert response.status_code == 200 and response.json()["total"] == 1
        assert call("GET", search, SEARCH, None, params={"customer": CUSTOMER},
                     auth=(keys.read[0], "not-the-secret")).status_code == 401
        assert call("GET", search, SEARCH, keys.read[0], params={"customer": CUSTOMER, "limit": "abc"},
                    auth=keys.read).status_code == 400
        contact = f"/v1/tenants/{tenant}/contacts/{CUSTOMER}/interactions"
        assert call("GET", contact, "/v1/tenants/{tenantId}/contacts/{contactId}/interactions", keys.read[0],
                    auth=keys.read).json()["total"] == 1
        assert call("GET", f"{search}/{uuid.uuid4()}", "/v1/tenants/{tenantId}/interactions/{interactionId}",
                    keys.read[0], auth=keys.read).status_code == 404
        export = call("GET", f"{search}/export", SEARCH + "/export", keys.read[0],
                      params={"customer": CUSTOMER, "format": "csv"}, auth=keys.read)
        assert CUSTOMER in export.text
        assert call("GET", f"/nowhere/{CUSTOMER}", None, None, auth=keys.read).status_code == 404
        assert call("GET", "/health", "/health", None).status_code == 200
    assert served.stop() == 0

    entries = access_lines(served.output)
    assert len(entries) == served.answered + len(made)
    assert all(entry["route"] == "/health" and entry["status"] == 200 for entry in entries[:served.answered][-1:])
    ours = entries[served.answered:]
    assert [(e["route"], e["status"], e["key"]) for e in ours] == made
    for entry, (route, _, key) in zip(ours, made, strict=True):
        assert entry["method"] in ("GET", "POST")
        assert isinstance(entry["duration_ms"], float | int) and entry["duration_ms"] >= 0
        assert isinstance(entry["bytes"], int) and entry["bytes"] > 0
        assert isinstance(entry["time"], str) and entry["time"].endswith("Z")
        expected_tenant = tenant if (key is not None or (route or "").startswith("/v1/tenants")) else None
        assert entry["tenant"] == expected_tenant, entry
    assert ours[made.index((f"{SEARCH}/export", 200, keys.read[0]))]["bytes"] == len(export.content)
    for clear in (keys.read[1], keys.ingest[1], keys.admin[1], "not-the-secret", token, body_token,
                  CUSTOMER, CUSTOMER.lstrip("+"), "customer=", "limit=", "authorization", "Basic "):
        assert clear not in served.output, clear
    assert "GET /v1" not in served.output  # uvicorn's own access log is off


def test_sigterm_lets_an_export_in_flight_finish_then_exits_0(tmp_path: Path) -> None:
    records = 20_000
    server = start(tmp_path, records)
    keys = server.keys
    received = bytearray()
    first_chunk = threading.Event()
    failures: list[Exception] = []

    def export() -> None:
        # A small receive window and a slow reader keep the response in flight for a few seconds.
        transport = httpx.HTTPTransport(socket_options=[(socket.SOL_SOCKET, socket.SO_RCVBUF, 16 * 1024)])
        try:
            with httpx.Client(base_url=server.base, transport=transport, timeout=60) as client, client.stream(
                "GET", f"/v1/tenants/{keys.id}/interactions/export", auth=keys.read
            ) as response:
                assert response.status_code == 200
                for chunk in response.iter_bytes(16 * 1024):
                    received.extend(chunk)
                    first_chunk.set()
                    time.sleep(0.01)
        except Exception as error:  # noqa: BLE001 - reported by the test thread
            failures.append(error)
            first_chunk.set()

    reader = threading.Thread(target=export)
    try:
        reader.start()
        assert first_chunk.wait(timeout=30)
        terminated_at = time.time()
        server.process.send_signal(signal.SIGTERM)
        refused = False
        while reader.is_alive() and not refused:  # the server stops accepting while the export goes on
            try:
                httpx.get(f"{server.base}/health", timeout=2)
                time.sleep(0.05)
            except httpx.TransportError:
                refused = True
        reader.join(timeout=60)
        code = server.process.wait(timeout=60)
    finally:
        if server.process.poll() is None:
            server.process.kill()
            server.process.wait(timeout=10)
    assert not failures, failures
    assert refused
    assert code == 0, server.stderr.read_text()
    lines = bytes(received).splitlines()
    assert len(lines) == records
    assert {json.loads(line)["interactionId"] for line in lines} == {str(uuid.UUID(int=i + 1)) for i in range(records)}
    output = server.stderr.read_text()
    export_entries = [e for e in access_lines(output) if e["route"] == SEARCH + "/export"]
    assert len(export_entries) == 1 and export_entries[0]["status"] == 200
    assert export_entries[0]["bytes"] == len(received)
    # the export's log line was written when it ended: after SIGTERM, so it was in flight then
    finished = export_entries[0]["time"]
    assert isinstance(finished, str)
    assert datetime.fromisoformat(finished).timestamp() > terminated_at


def test_headers_over_the_limit_are_refused(served: Served) -> None:
    """CXREPORT_MAX_HEADER_BYTES (16 KiB): larger headers are a 431 in the one error shape; a request head far
    larger than every limit is refused by uvicorn itself (a plain 400) before it is read whole."""
    with httpx.Client(base_url=served.base, timeout=30) as client:
        refused = client.get("/health", headers={"x-padding": "a" * (16 * 1024)})
        assert refused.status_code == 431
        assert refused.json() == {"status": 431, "code": "headers_too_large",
                                  "message": "the request headers are larger than 16384 bytes"}
        assert client.get("/health", headers={"x-padding": "a" * (12 * 1024)}).status_code == 200
        assert client.get("/health", headers={"x-padding": "a" * (1024 * 1024)}).status_code == 400
        assert client.get("/health").status_code == 200
    assert served.stop() == 0
    assert "a" * 100 not in served.output


def test_methods_the_parser_does_not_know_are_its_plain_400_and_known_ones_a_json_405(served: Served) -> None:
    """As docs/operations.md says: `FOO` never reaches the application; `PROPFIND` does, and is refused there."""
    with httpx.Client(base_url=served.base, timeout=30) as client:
        unknown = client.request("FOO", "/v1/tokens")
        assert (unknown.status_code, unknown.text) == (400, "Invalid HTTP request received.")
        known = client.request("PROPFIND", "/v1/tokens")
        assert known.status_code == 405 and known.json()["code"] == "method_not_allowed"
        assert client.get("/health").status_code == 200
