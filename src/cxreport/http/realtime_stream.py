"""The realtime statistics stream: one poller per tenant shared by all its watchers, Server-Sent Events out.

A tenant's poller runs while the tenant has a watcher: every `POLL_S` it asks for the tenant's snapshot (one read
of the change counter when nothing changed, `service/realtime.py`) and, when the snapshot is new or `REFRESH_S`
went by, computes the picture; when the picture differs from the last one published (its time aside) it is
published once, encoded once, and every watcher is woken. A watcher holds no copy: it sends the latest published
frame when woken, so a slow client skips pictures (coalesced) rather than queueing them. The event format is in
`docs/api.md` ("The stream").
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

import msgspec

from cxreport import clock
from cxreport.errors import CxError, TooManyStreams
from cxreport.http.threads import in_thread
from cxreport.service.realtime import Realtime, Snapshot
from cxreport.service.realtime_figures import picture

POLL_S = 0.25
"""How often a tenant's poller looks for a change: a change is pushed within this (and a read) of its commit."""
REFRESH_S = 5.0
"""How often the picture is computed again without a change (waits grow with time)."""
HEARTBEAT_S = 15.0
"""A comment line after this long without an event, so that proxies keep the stream open."""
MAX_STREAM_S = 3600.0
"""A stream ends after this long; the client reconnects (authenticating again) and resumes."""
RETRY_MS = 2000
"""What the stream tells `EventSource` to wait before reconnecting."""
_log = logging.getLogger("cxreport.realtime")


@dataclass(frozen=True, slots=True)
class Frame:
    version: int
    event_id: str
    data: bytes

    def encoded(self) -> bytes:
        return b"id: " + self.event_id.encode() + b"\nevent: statistics\ndata: " + self.data + b"\n\n"


@dataclass(eq=False)
class Watcher:
    wake: asyncio.Event = field(default_factory=asyncio.Event)


@dataclass(eq=False)
class _Tenant:
    watchers: set[Watcher] = field(default_factory=set)
    latest: Frame | None = None
    task: asyncio.Task[None] | None = None


class Hub:
    """Every stream of one server process, by tenant."""

    def __init__(self, realtime: Realtime, max_streams: int) -> None:
        self.realtime = realtime
        self.max_streams = max_streams
        self._tenants: dict[str, _Tenant] = {}

    def streams(self, tenant_id: str | None = None) -> int:
        """How many streams are open (of one tenant, or in all)."""
        tenants = [self._tenants.get(tenant_id)] if tenant_id is not None else list(self._tenants.values())
        return sum(len(t.watchers) for t in tenants if t is not None)

    def pollers(self) -> int:
        return sum(1 for t in self._tenants.values() if t.task is not None and not t.task.done())

    def subscribe(self, tenant_id: str) -> Watcher:
        tenant = self._tenants.setdefault(tenant_id, _Tenant())
        if len(tenant.watchers) >= self.max_streams:
            raise TooManyStreams(
                f"the tenant has {self.max_streams} realtime statistics streams open on this server already: close "
                "one, or poll POST …/realtime-statistics/batch"
            )
        watcher = Watcher()
        tenant.watchers.add(watcher)
        if tenant.task is None or tenant.task.done():
            tenant.task = asyncio.get_running_loop().create_task(self._poll(tenant_id, tenant))
        return watcher

    def unsubscribe(self, tenant_id: str, watcher: Watcher) -> None:
        tenant = self._tenants.get(tenant_id)
        if tenant is None:
            return
        tenant.watchers.discard(watcher)
        if not tenant.watchers:
            if tenant.task is not None:
                tenant.task.cancel()
            del self._tenants[tenant_id]

    def latest(self, tenant_id: str) -> Frame | None:
        tenant = self._tenants.get(tenant_id)
        return tenant.latest if tenant is not None else None

    async def _poll(self, tenant_id: str, tenant: _Tenant) -> None:
        seen: Snapshot | None = None
        shown: dict[str, Any] | None = None
        computed = 0.0
        while tenant.watchers:
            try:
                snapshot = await in_thread(self.realtime.snapshot, tenant_id)
                if snapshot is not seen or time.monotonic() - computed >= REFRESH_S:
                    seen, computed = snapshot, time.monotonic()
                    now_us = clock.now_us()
                    figures = await in_thread(picture, snapshot, now_us)
                    timeless = {key: value for key, value in figures.items() if key != "queryTime"}
                    if timeless != shown:
                        shown = timeless
                        data = msgspec.json.encode(figures)
                        tenant.latest = Frame(snapshot.version, f"{snapshot.version}.{now_us // 1000}", data)
                        for watcher in tenant.watchers:
                            watcher.wake.set()
            except CxError:  # a database hiccup: keep the streams, try again at the next poll
                _log.exception("realtime poll of tenant %s failed", tenant_id)
            await asyncio.sleep(POLL_S)


def resumed_version(last_event_id: str | None) -> int | None:
    """The version a client's `Last-Event-ID` names (None when absent or not one of ours)."""
    if not last_event_id:
        return None
    head = last_event_id.split(".", 1)[0]
    return int(head) if head.isdigit() else None


async def event_stream(hub: Hub, tenant_id: str, watcher: Watcher, resume: int | None) -> AsyncIterator[bytes]:
    """The bytes of one stream: the reconnection delay, then each new frame when woken, a heartbeat when idle;
    the watcher leaves the hub however the stream ends (the client went away, the time limit, a shutdown)."""
    try:
        yield f"retry: {RETRY_MS}\n\n".encode()
        sent: Frame | None = None
        ends = time.monotonic() + MAX_STREAM_S
        while True:
            frame = hub.latest(tenant_id)
            if frame is not None and frame is not sent:
                if sent is None and resume is not None and frame.version == resume:
                    sent = frame  # the client has this version's figures: wait for the next change
                else:
                    sent = frame
                    yield frame.encoded()
            left = ends - time.monotonic()
            if left <= 0:
                return
            watcher.wake.clear()
            if hub.latest(tenant_id) is not sent:
                continue
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(watcher.wake.wait(), timeout=min(HEARTBEAT_S, left))
                continue
            yield b": heartbeat\n\n"
    finally:
        hub.unsubscribe(tenant_id, watcher)
