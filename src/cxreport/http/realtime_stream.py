"""The realtime statistics stream: one poller per tenant shared by all its watchers, Server-Sent Events out.

A tenant's poller runs while the tenant has a watcher: every `POLL_S` it asks for the tenant's snapshot (one read
of the change counter when nothing changed, `service/realtime.py`) and, when the snapshot is new or `REFRESH_S`
went by, computes the picture; when the picture differs from the last one published (its time aside) it is
published once as a frame: the whole picture, and the JSON Patch (RFC 6902, `http/json_patch.py`) from the
frame before, each encoded once; every watcher is woken. A watcher holds no copy: it sends the latest frame when
woken — its patch when the client has the frame before (the last one sent, or the one its `Last-Event-ID`
names), else its whole picture — so a slow client skips frames (coalesced) rather than queueing them. The event
format is in `docs/api.md` ("The stream").
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
from cxreport.http import json_patch
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
    """The whole picture (JSON)."""
    base_id: str | None = None
    """The frame the patch applies to (the one published before)."""
    patch: bytes | None = None
    """The JSON Patch from the `base_id` frame's picture to this one."""

    def encoded(self, has: str | None = None) -> bytes:
        """This frame as an event for a client that has the picture of frame `has`: a patch when it can."""
        if self.patch is not None and has is not None and has == self.base_id:
            return b"id: " + self.event_id.encode() + b"\nevent: patch\ndata: " + self.patch + b"\n\n"
        return b"id: " + self.event_id.encode() + b"\nevent: statistics\ndata: " + self.data + b"\n\n"


@dataclass(eq=False)
class Watcher:
    key_id: str
    wake: asyncio.Event = field(default_factory=asyncio.Event)


@dataclass(eq=False)
class _Tenant:
    watchers: set[Watcher] = field(default_factory=set)
    latest: Frame | None = None
    task: asyncio.Task[None] | None = None


class Hub:
    """Every stream of one server process, by tenant."""

    def __init__(self, realtime: Realtime, max_streams: int, max_streams_per_key: int) -> None:
        self.realtime = realtime
        self.max_streams = max_streams
        self.max_streams_per_key = max_streams_per_key
        self._tenants: dict[str, _Tenant] = {}
        self._keys: dict[str, int] = {}
        """Streams open per API key (a token counts as its key's)."""

    def streams(self, tenant_id: str | None = None) -> int:
        """How many streams are open (of one tenant, or in all)."""
        tenants = [self._tenants.get(tenant_id)] if tenant_id is not None else list(self._tenants.values())
        return sum(len(t.watchers) for t in tenants if t is not None)

    def key_streams(self, key_id: str) -> int:
        return self._keys.get(key_id, 0)

    def pollers(self) -> int:
        return sum(1 for t in self._tenants.values() if t.task is not None and not t.task.done())

    def subscribe(self, tenant_id: str, key_id: str) -> Watcher:
        """A new watcher of the tenant, or TooManyStreams (a 429) at either limit (nothing is opened)."""
        tenant = self._tenants.get(tenant_id)
        if tenant is not None and len(tenant.watchers) >= self.max_streams:
            raise TooManyStreams(
                f"the tenant has {self.max_streams} realtime statistics streams open on this server already "
                "(CXREPORT_REALTIME_MAX_STREAMS): close one, or poll POST …/realtime-statistics/batch"
            )
        if self._keys.get(key_id, 0) >= self.max_streams_per_key:
            raise TooManyStreams(
                f"this key has {self.max_streams_per_key} realtime statistics streams open on this server already "
                "(CXREPORT_REALTIME_MAX_STREAMS_PER_KEY): close one, or use another key"
            )
        tenant = self._tenants.setdefault(tenant_id, _Tenant())
        watcher = Watcher(key_id)
        tenant.watchers.add(watcher)
        self._keys[key_id] = self._keys.get(key_id, 0) + 1
        if tenant.task is None or tenant.task.done():
            tenant.task = asyncio.get_running_loop().create_task(self._poll(tenant_id, tenant))
        return watcher

    def unsubscribe(self, tenant_id: str, watcher: Watcher) -> None:
        tenant = self._tenants.get(tenant_id)
        if tenant is None or watcher not in tenant.watchers:
            return
        tenant.watchers.discard(watcher)
        left = self._keys.get(watcher.key_id, 0) - 1
        if left > 0:
            self._keys[watcher.key_id] = left
        else:
            self._keys.pop(watcher.key_id, None)
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
                    if shown is None or _timeless(figures) != _timeless(shown):
                        tenant.latest = _frame(figures, shown, tenant.latest, snapshot.version, now_us)
                        shown = figures
                        for watcher in tenant.watchers:
                            watcher.wake.set()
            except CxError:  # a database hiccup: keep the streams, try again at the next poll
                _log.exception("realtime poll of tenant %s failed", tenant_id)
            await asyncio.sleep(POLL_S)


def _timeless(figures: dict[str, Any]) -> dict[str, Any]:
    return {key: value for key, value in figures.items() if key != "queryTime"}


def _frame(figures: dict[str, Any], before: dict[str, Any] | None, previous: Frame | None, version: int,
           now_us: int) -> Frame:
    event_id = f"{version}.{now_us // 1000}"
    data = msgspec.json.encode(figures)
    if before is None or previous is None:
        return Frame(version, event_id, data)
    patch = json_patch.diff(before, figures, whole=_a_figure)
    return Frame(version, event_id, data, previous.event_id, msgspec.json.encode(patch))


def _a_figure(path: tuple[str, ...]) -> bool:
    """Whether `path` holds one figure (`results/<statistic>`, `queues/<queue>/<statistic>`) or one agent's state
    (`agents/<agent>`): what a patch replaces whole when any of its members changed."""
    return len(path) == (3 if path[0] == "queues" else 2)


def resumed_version(last_event_id: str | None) -> int | None:
    """The version a client's `Last-Event-ID` names (None when absent or not one of ours: `<version>.<ms>`)."""
    if not last_event_id or len(last_event_id) > 60:
        return None
    head, dot, tail = last_event_id.partition(".")
    return int(head) if head.isdigit() and dot and tail.isdigit() else None


async def event_stream(hub: Hub, tenant_id: str, watcher: Watcher, resume: str | None,
                       patches: bool = True) -> AsyncIterator[bytes]:
    """The bytes of one stream: the reconnection delay, then each new frame when woken (a patch when the client
    has the frame before and `patches`), a heartbeat when idle; the watcher leaves the hub however the stream
    ends (the client went away, the time limit, a shutdown)."""
    try:
        yield f"retry: {RETRY_MS}\n\n".encode()
        seen: Frame | None = None
        has = resume if patches else None
        """The id of the picture the client has (None: it must be sent whole)."""
        ends = time.monotonic() + MAX_STREAM_S
        while True:
            frame = hub.latest(tenant_id)
            if frame is not None and frame is not seen:
                first, seen = seen is None, frame
                if frame.event_id == resume or (first and resume is not None and frame.version == resumed_version(
                        resume) and frame.base_id != resume):
                    pass  # the client has this version's figures: wait for the next change
                else:
                    yield frame.encoded(has)
                    has = frame.event_id if patches else None
            left = ends - time.monotonic()
            if left <= 0:
                return
            watcher.wake.clear()
            if hub.latest(tenant_id) is not seen:
                continue
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(watcher.wake.wait(), timeout=min(HEARTBEAT_S, left))
                continue
            yield b": heartbeat\n\n"
    finally:
        hub.unsubscribe(tenant_id, watcher)
