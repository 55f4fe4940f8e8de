"""Database statement timeouts (`CXREPORT_STATEMENT_TIMEOUT_MS`): a statement that runs longer is cancelled,
its transaction rolled back, and the client gets a 503 `timeout` in the one error shape instead of waiting;
a streamed export, whose batches are each a short statement, runs as long as it needs. SQLite and PostgreSQL.

The slow statement is a real one: one request upserting 20,000 records (one statement per step)."""

from __future__ import annotations

import json
import threading
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from cxreport.config import Settings
from cxreport.errors import StatementTimeout
from cxreport.service import interactions as service
from cxreport.service.search import SearchRequest
from cxreport.store import Store, open_store
from cxreport.store.sqlite import SqliteStore
from support.servers import free_port, serving
from support.tenants import TenantKeys, make_tenant_keys

RECORDS = 20_000
SLOW_STATEMENT_TIMEOUT_MS = 50  # far shorter than writing RECORDS records, far longer than a key lookup
EXPORT_STATEMENT_TIMEOUT_MS = 300  # longer than reading one export batch, shorter than the whole export


def records(count: int) -> list[dict[str, object]]:
    return [
        {"interactionId": str(uuid.UUID(int=index + 1)), "startTimestamp": f"2020-01-01T{index % 24:02d}:00:00Z",
         "customer": f"+1555{index:07d}", "channelType": "voice", "direction": "inbound"}
        for index in range(count)
    ]


@pytest.fixture(scope="module")
def big_body() -> bytes:
    return json.dumps(records(RECORDS)).encode()


@pytest.fixture
def database(fresh_database_url: str) -> Iterator[tuple[str, Store, TenantKeys]]:
    """A database of its own, a tenant in it, and a store on it without a timeout (to set up and check)."""
    untimed = open_store(fresh_database_url)
    untimed.migrate()
    keys = make_tenant_keys(untimed)
    yield fresh_database_url, untimed, keys
    untimed.close()


def test_a_statement_past_the_timeout_is_cancelled_and_rolled_back(
    database: tuple[str, Store, TenantKeys], big_body: bytes
) -> None:
    url, untimed, keys = database
    timed = open_store(url, statement_timeout_ms=SLOW_STATEMENT_TIMEOUT_MS)
    try:
        started = time.monotonic()
        with pytest.raises(StatementTimeout) as raised:
            service.ingest(timed, keys.id, big_body)
        assert time.monotonic() - started < 30
        assert raised.value.status == 503 and raised.value.code == "timeout"
        assert service.count(untimed, keys.id, SearchRequest()) == 0
        timed.ping()  # the store is still usable
    finally:
        timed.close()


def test_no_timeout_by_default_for_the_command_line(database: tuple[str, Store, TenantKeys], big_body: bytes) -> None:
    """open_store without a timeout (imports, exports and migrations of the CLI) lets statements run."""
    _, untimed, keys = database
    assert service.ingest(untimed, keys.id, big_body).inserted == RECORDS


def test_a_request_whose_statement_times_out_is_a_503(
    database: tuple[str, Store, TenantKeys], big_body: bytes
) -> None:
    url, _, keys = database
    settings = Settings(database_url=url, port=free_port(), statement_timeout_ms=SLOW_STATEMENT_TIMEOUT_MS)
    timed = open_store(url, statement_timeout_ms=settings.statement_timeout_ms)
    try:
        with serving(settings, timed) as base, httpx.Client(base_url=base, timeout=60) as client:
            response = client.post(f"/v1/tenants/{keys.id}/interactions", content=big_body, auth=keys.ingest,
                                   headers={"content-type": "application/json"})
            assert response.status_code == 503, response.text
            assert response.headers["content-type"].startswith("application/json")
            assert response.json() == {
                "status": 503, "code": "timeout",
                "message": "the database took too long to answer; try a narrower request",
            }
            assert client.get(f"/v1/tenants/{keys.id}/interactions?limit=0", auth=keys.read).json()["total"] == 0
    finally:
        timed.close()


def test_a_streamed_export_outlives_the_statement_timeout(
    database: tuple[str, Store, TenantKeys], big_body: bytes
) -> None:
    """The export takes several times the timeout in all (the client reads slowly), and comes back whole."""
    url, untimed, keys = database
    service.ingest(untimed, keys.id, big_body)
    settings = Settings(database_url=url, port=free_port(), statement_timeout_ms=EXPORT_STATEMENT_TIMEOUT_MS)
    timed = open_store(url, statement_timeout_ms=settings.statement_timeout_ms)
    try:
        with serving(settings, timed) as base, httpx.Client(base_url=base, timeout=60) as client:
            started = time.monotonic()
            received = bytearray()
            with client.stream("GET", f"/v1/tenants/{keys.id}/interactions/export", auth=keys.read) as response:
                assert response.status_code == 200
                for chunk in response.iter_bytes(64 * 1024):
                    received += chunk
                    time.sleep(0.03)
            elapsed = time.monotonic() - started
    finally:
        timed.close()
    lines = bytes(received).splitlines()
    assert len(lines) == RECORDS
    assert {json.loads(line)["interactionId"] for line in lines} == {r["interactionId"] for r in records(RECORDS)}
    assert elapsed > 3 * EXPORT_STATEMENT_TIMEOUT_MS / 1000


def test_sqlite_a_long_read_is_interrupted_while_fetching_and_idle_connections_are_left_alone(tmp_path: Path) -> None:
    """The watchdog interrupts a statement past its deadline in the middle of its rows; a connection that sat idle
    past the deadline of its last statement runs the next one normally, as do other threads' connections."""
    timed = open_store(f"sqlite:///{tmp_path / 'x.db'}", statement_timeout_ms=SLOW_STATEMENT_TIMEOUT_MS)
    assert isinstance(timed, SqliteStore)
    timed.migrate()
    endless = "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n) SELECT i FROM n"
    try:
        started = time.monotonic()
        with pytest.raises(StatementTimeout), timed._read() as db:
            for _row in db.execute(endless):
                pass
        assert time.monotonic() - started < 5
        time.sleep(3 * SLOW_STATEMENT_TIMEOUT_MS / 1000)  # idle past the last deadline
        with timed._read() as db:
            assert db.execute("SELECT count(*) FROM schema_migrations").fetchone()[0] > 0
        answers: list[int] = []
        worker = threading.Thread(target=lambda: answers.append(len(timed.list_keys(str(uuid.uuid4())))))
        worker.start()
        worker.join()
        assert answers == [0]
    finally:
        timed.close()
