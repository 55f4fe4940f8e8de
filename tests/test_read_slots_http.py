"""Over HTTP: a large read (statistics) that waits longer than `READ_SLOT_WAIT_S` for one of the server's read
slots is answered `503 busy` with `Retry-After: 1`, in the one error shape, while small reads go on; once a slot
is free, the same request is answered."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from concurrent.futures import Future
from pathlib import Path

import pytest

from cxreport.config import Settings
from cxreport.http import threads
from cxreport.store import open_store
from support.errors import assert_error_shape
from support.servers import LiveServer, free_port, serving
from support.tenants import TenantKeys, make_tenant_keys

DAY = {"start": "2024-01-01T00:00:00Z", "end": "2024-01-02T00:00:00Z", "interval": "hour"}


@pytest.fixture
def server(tmp_path: Path) -> Iterator[tuple[LiveServer, TenantKeys]]:
    settings = Settings(database_url=f"sqlite:///{tmp_path / 'slots.db'}", port=free_port(), rate_limit=0)
    store = open_store(settings.database_url)
    store.migrate()
    keys = make_tenant_keys(store)
    with serving(settings, store) as base:
        yield LiveServer(base, store, settings), keys
    store.close()


def _hold_every_slot(loop: asyncio.AbstractEventLoop) -> tuple[Future[None], asyncio.Event]:
    """Take every read slot of the server's event loop, as `READ_SLOTS` long reads would, until the event is set."""
    release = asyncio.Event()
    taken: Future[None] = Future()

    async def hold() -> None:
        slots = threads._read_slots()
        for _ in range(threads.READ_SLOTS):
            assert await slots.acquire("another tenant", 60)
        taken.set_result(None)
        await release.wait()
        for _ in range(threads.READ_SLOTS):
            slots.release()

    asyncio.run_coroutine_threadsafe(hold(), loop)
    return taken, release


def test_a_large_read_that_waits_too_long_for_a_slot_is_a_503_busy(
    server: tuple[LiveServer, TenantKeys], monkeypatch: pytest.MonkeyPatch
) -> None:
    live, keys = server
    monkeypatch.setattr(threads, "READ_SLOT_WAIT_S", 0.3)
    before = set(threads._slots.keys())
    with live.client(keys.read) as client:
        path = f"/v1/tenants/{keys.id}/statistics"
        assert client.get(path, params=DAY).status_code == 200  # the server's loop now has its slots
        (loop,) = set(threads._slots.keys()) - before
        taken, release = _hold_every_slot(loop)
        taken.result(timeout=10)
        refused = client.get(path, params=DAY)
        body = assert_error_shape(live, refused, 503, "busy")
        assert refused.headers["retry-after"] == "1"
        assert "large reads" in body["message"]
        small = client.get(f"/v1/tenants/{keys.id}/interactions")
        assert small.status_code == 200, small.text  # small reads go on
        loop.call_soon_threadsafe(release.set)
        answered = client.get(path, params=DAY)
    assert answered.status_code == 200, answered.text
    assert len(answered.json()["rows"]) == 24


def test_the_read_slot_waits_are_the_documented_ones() -> None:
    operations = (Path(__file__).parent.parent / "docs" / "operations.md").read_text()
    assert f"up to {threads.READ_SLOT_WAIT_S:g} s (`READ_SLOT_WAIT_S`)" in operations
    assert f"at most {threads.READ_SLOT_BRIEF_WAIT_S:g} s (`READ_SLOT_BRIEF_WAIT_S`)" in operations
