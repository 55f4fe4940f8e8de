"""The realtime statistics stream over a real server on loopback: the first picture, a push after an event (a
JSON Patch of the picture before, or a whole picture with `patches=false`), `Last-Event-ID` resuming, one poller
shared by a tenant's streams, cleanup when the client goes away, the stream limits per tenant and per key, and
authentication like every route."""

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
from cxreport.http.json_patch import apply
from cxreport.http.realtime_stream import Hub
from cxreport.service import credentials
from cxreport.store import Store, open_store
from support.calls import SECOND, Call
from support.errors import assert_error_shape
from support.servers import LiveServer, free_port
from support.tenants import TenantKeys, make_tenant_keys


@pytest.fixture
def served(tmp_path: Path) -> Iterator[tuple[str, Litestar, Store]]:
    store = open_store(f"sqlite:///{tmp_path / 'stream.db'}")
    store.migrate()
    settings = Settings(port=free_port(), realtime_max_streams=3, realtime_max_streams_per_key=2)
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

    def raw(self) -> tuple[str, str, str]:
        """The next event's id, type and data (skipping comments and the retry line)."""
        while True:
            fields = dict(line.split(": ", 1) for line in self.frame().splitlines() if not line.startswith(":"))
            if "event" in fields:
                return fields["id"], fields["event"], fields["data"]

    def event(self) -> tuple[str, dict[str, Any]]:
        """The next event's id and the picture it gives: a whole one, or the one before with a patch applied."""
        event_id, kind, data = self.raw()
        if kind == "statistics":
            self.picture: dict[str, Any] = json.loads(data)
        else:
            assert kind == "patch", kind
            self.picture = apply(self.picture, json.loads(data))
        return event_id, json.loads(json.dumps(self.picture))


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
        assert second["queues"]["q-live"]["interactions-in-queue"] == {"count": 1, "unit": "count",
                                                                        "staleInteractions": 0}
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


def test_a_tenants_streams_share_one_poller_and_are_limited_per_key_and_tenant(
    served: tuple[str, Litestar, Store],
) -> None:
    base, app, store = served
    hub: Hub = app.state.hub
    keys = make_tenant_keys(store)
    issued = credentials.issue_key(store, keys.id, "read")
    second_key = (issued.key.id, issued.secret)
    url = f"{base}/v1/tenants/{keys.id}/realtime-statistics/stream"
    server = LiveServer(base, store, Settings())
    with httpx.Client(timeout=20) as client:
        opened = [client.stream("GET", url, auth=keys.read) for _ in range(2)]
        responses = [stream.__enter__() for stream in opened]
        try:
            readers = [Reader(response) for response in responses]  # kept: a dropped reader closes its stream
            for reader in readers:
                reader.event()
            assert hub.streams(keys.id) == 2 and hub.key_streams(keys.read[0]) == 2 and hub.pollers() == 1
            refused = client.get(url, auth=keys.read)  # the key's limit (2)
            assert_error_shape(server, refused, 429, "too_many_streams")
            assert "CXREPORT_REALTIME_MAX_STREAMS_PER_KEY" in refused.json()["message"]
            opened.append(client.stream("GET", url, auth=second_key))  # another key of the tenant: its own count
            readers.append(Reader(opened[-1].__enter__()))
            readers[-1].event()
            assert hub.streams(keys.id) == 3 and hub.key_streams(second_key[0]) == 1 and hub.pollers() == 1
            refused = client.get(url, auth=second_key)  # the tenant's limit (3)
            assert_error_shape(server, refused, 429, "too_many_streams")
            assert "CXREPORT_REALTIME_MAX_STREAMS)" in refused.json()["message"]
            assert hub.streams(keys.id) == 3 and hub.key_streams(second_key[0]) == 1  # a refusal opens nothing
        finally:
            for stream in opened:
                stream.__exit__(None, None, None)
    wait_for(lambda: hub.streams() == 0 and hub.pollers() == 0)
    assert hub.key_streams(keys.read[0]) == hub.key_streams(second_key[0]) == 0


def test_patches_give_the_same_pictures_as_whole_ones(served: tuple[str, Litestar, Store]) -> None:
    base, _app, store = served
    keys = make_tenant_keys(store)
    url = f"{base}/v1/tenants/{keys.id}/realtime-statistics/stream"
    issued = credentials.issue_key(store, keys.id, "read")
    with httpx.Client(timeout=20) as client, client.stream("GET", url, auth=keys.read) as patched, client.stream(
        "GET", url, params={"patches": "false"}, auth=(issued.key.id, issued.secret)
    ) as whole:
        patches, pictures = Reader(patched), Reader(whole)
        (_, first, data), (_, other, _) = patches.raw(), pictures.raw()
        assert first == other == "statistics"  # the first event is a whole picture
        patches.picture = json.loads(data)
        calls = [Call(f"q/{n}~x") for n in range(3)]  # queue ids escaped in the patches' paths
        sizes = []
        for step, events in enumerate([calls[0].start(clock.now_us() - 9 * SECOND),
                                       calls[1].start(clock.now_us() - 8 * SECOND),
                                       calls[0].answer(clock.now_us() - 2 * SECOND, ("ag-1", "One")),
                                       calls[1].abandon(clock.now_us())]):
            post(base, keys, events)
            patch_id, kind, data = patches.raw()
            assert kind == "patch", (step, kind)
            patches.picture = apply(patches.picture, json.loads(data))
            while True:
                whole_id, whole_kind, whole_data = pictures.raw()
                assert whole_kind == "statistics"
                if whole_id == patch_id:
                    break
            assert patches.picture == json.loads(whole_data)
            sizes.append((len(data), len(whole_data)))
        assert patches.picture["queues"]["q/1~x"]["abandoned"]["count"] == 1
        assert patches.picture["agents"]["ag-1"]["state"] == "busy"
        assert patches.picture["results"]["answered"]["count"] == 1
        assert all(patch < whole for patch, whole in sizes)


def test_the_stream_is_authenticated_like_every_route(served: tuple[str, Litestar, Store]) -> None:
    base, _app, store = served
    keys, other = make_tenant_keys(store), make_tenant_keys(store)
    url = f"{base}/v1/tenants/{keys.id}/realtime-statistics/stream"
    server = LiveServer(base, store, Settings())
    assert_error_shape(server, httpx.get(url), 401, "unauthenticated")
    assert_error_shape(server, httpx.get(url, auth=other.read), 403, "forbidden")
    assert_error_shape(server, httpx.get(url, auth=(keys.read[0], "wrong")), 401, "unauthenticated")
    assert_error_shape(server, httpx.get(f"{url}?x=1", auth=keys.read), 400, "unknown_parameter", parameter="x")
