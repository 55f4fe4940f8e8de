"""cxreport served by uvicorn on a loopback port, in a thread of the test process."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import httpx
import uvicorn
from litestar import Litestar

from cxreport.config import Settings
from cxreport.http import create_app
from cxreport.store import Store

MAX_BODY_BYTES = 2 * 1024 * 1024
"""The shared live server's `max_body_bytes` (smaller than the default, so 413s are cheap to provoke)."""


@dataclass
class LiveServer:
    base_url: str
    store: Store
    settings: Settings

    def client(self, auth: tuple[str, str] | None = None) -> httpx.Client:
        return httpx.Client(base_url=self.base_url, auth=auth, timeout=30)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@contextmanager
def serving(settings: Settings, store: Store) -> Iterator[str]:
    """cxreport with these settings served by uvicorn on `settings.port` (loopback) in a thread; yields its
    base URL. For tests that need settings of their own (limits, timeouts)."""
    with serving_app(create_app(settings, store), settings.port) as base_url:
        yield base_url


@contextmanager
def serving_app(app: Litestar, port: int) -> Iterator[str]:
    """An app made by `create_app` served by uvicorn on `port` (loopback) in a thread; yields its base URL."""
    config = uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="on")
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("the test server did not start")
        time.sleep(0.02)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)
