"""The realtime statistics stream over a real server on loopback: the first picture, a push after an event,
`Last-Event-ID` resuming, one poller shared by a tenant's streams, cleanup when the client goes away, the stream
limit, and authentication like every route."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import uvicorn
from litestar import Litestar

from cxreport import clock
from cxreport.config import Settings
from cxreport.http import create_app
from cxreport.http.realtime_stream import Hub
from cxreport.store import Store, open_store
from support.calls import SECOND, Call
from support.errors import assert_error_shape
from support.servers import LiveServer, free_port
from support.tenants import TenantKeys, make_tenant_keys


@pytest.fixture
def served(tmp_path: Path) -> Iterator[tuple[str, Litestar, Store]]:
    store = open_store(f"sqlite:///{tmp_path / 'stream.db'}")
    store.migrate()
    settings = Settings(port=free_port(), realtime_max_streams=3)
    app = create_app(settings, store)
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=settings.port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        assert time.monotonic() < deadline and thread.is_alive(), "the test server did not start"
        time.sleep(0.02)
    yield f"http://127.0.0.1:{settings.port}", app, store
    server.should_exit = True
    thread.join(timeout=10)
    store.close()


class Reader:
    """An open stream, read frame by frame (frames end with a blank line)."""

    def __init__(self, response: httpx.Response) -> None:
        self.chunks = response.iter_text()
        self.buffer = ""

    def frame(self) -> str:
        while "\n\n" not in self.buffer:
            self.buffer += next(self.chunks)
        frame, self.buffer = self.buffer.split("\n\n", 1)
        return frame

    def event(self) -> tuple[str, dict[str, Any]]:
        """The next `statistics` event's id and data (skipping comments and the retry line)."""
        while True:
            fields = dict(line.split(": ", 1) for line in self.frame().splitlines() if not line.startswith(":"))
            if fields.get("event") == "statistics":
                return fields["id"], json.loads(fields["data"])


def post(base: str, keys: TenantKeys, events: list[dict[str, Any]]) -> None:
    response = httpx.post(f"{base}/v1/tenants/{keys.id}/events", json=events, auth=keys.ingest)
    assert response.status_code == 200, response.text


def wait_for(condition: Any, seconds: float = 10) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.05)


def test_the_stream_pushes_resumes_and_cleans_up(served: tuple[str, Litestar, Store]) -> None:
    base, app, store = served
    hub: Hub = app.state.hub
    keys = make_tenant_keys(store)
    url = f"{base}/v1/tenants/{keys.id}/realtime-statistics/stream"
    with httpx.Client(auth=keys.read, timeout=20) as client, client.stream("GET", url) as response:
        assert response.status_code == 200
        assert response.headers["content-type"].startswith("text/event-stream")
        reader = Reader(response)
        assert reader.frame() == "retry: 2000"
        first_id, first = reader.event()
        assert first["results"]["interactions-in-queue"]["count"] == 0
        assert set(first) == {"version", "queryTime", "queryWindow", "results", "queues", "agents"}
        assert first_id.split(".")[0] == str(first["version"])
        assert hub.streams(keys.id) == 1 and hub.pollers() == 1
        call = Call("q-live")
        posted = time.monotonic()
        post(base, keys, call.start(clock.now_us() - 5 * SECOND))
        second_id, second = reader.event()
        assert time.monotonic() - posted < 2.0  # pushed within a poll or two of the commit
        assert second["results"]["interactions-in-queue"]["count"] == 1
        assert second["queues"]["q-live"]["interactions-in-queue"]["count"] == 1
        assert int(second_id.split(".")[0]) > int(first_id.split(".")[0])

    wait_for(lambda: hub.streams(keys.id) == 0)  # the client went away: its watcher left, and the poller
    wait_for(lambda: hub.pollers() == 0)

    # resuming at the version the client has: nothing until the next change, then that change
    with httpx.Client(auth=keys.read, timeout=20) as client, client.stream(
        "GET", url, headers={"Last-Event-ID": second_id}
    ) as response:
        reader = Reader(response)
        assert reader.frame() == "retry: 2000"
        time.sleep(1.0)
        post(base, keys, call.abandon(clock.now_us()))
        _, third = reader.event()
        assert third["results"]["interactions-in-queue"]["count"] == 0
        assert third["results"]["abandoned"]["count"] == 1
        assert third["version"] > second["version"]


def test_a_tenants_streams_share_one_poller_and_are_limited(served: tuple[str, Litestar, Store]) -> None:
    base, app, store = served
    hub: Hub = app.state.hub
    keys = make_tenant_keys(store)
    url = f"{base}/v1/tenants/{keys.id}/realtime-statistics/stream"
    with httpx.Client(auth=keys.read, timeout=20) as client:
        opened = [client.stream("GET", url) for _ in range(3)]
        responses = [stream.__enter__() for stream in opened]
        try:
            readers = [Reader(response) for response in responses]  # kept: a dropped reader closes its stream
            for reader in readers:
                reader.event()
            assert hub.streams(keys.id) == 3 and hub.pollers() == 1
            refused = client.get(url)
            assert_error_shape(LiveServer(base, store, Settings()), refused, 429, "too_many_streams")
        finally:
            for stream in opened:
                stream.__exit__(None, None, None)
    wait_for(lambda: hub.streams() == 0 and hub.pollers() == 0)


def test_the_stream_is_authenticated_like_every_route(served: tuple[str, Litestar, Store]) -> None:
    base, _app, store = served
    keys, other = make_tenant_keys(store), make_tenant_keys(store)
    url = f"{base}/v1/tenants/{keys.id}/realtime-statistics/stream"
    server = LiveServer(base, store, Settings())
    assert_error_shape(server, httpx.get(url), 401, "unauthenticated")
    assert_error_shape(server, httpx.get(url, auth=other.read), 403, "forbidden")
    assert_error_shape(server, httpx.get(url, auth=(keys.read[0], "wrong")), 401, "unauthenticated")
    assert_error_shape(server, httpx.get(f"{url}?x=1", auth=keys.read), 400, "unknown_parameter", parameter="x")
