"""Realtime statistics: what the tenant's stored data says now, read once per change and shared.

A `Snapshot` is everything the figures are computed from: what interactions have in progress, each agent's latest
state event, and today's queue-entry sums per queue and agent (`service/realtime_day.py`: kept per quarter hour,
read again only where a quarter hour's counter moved). It is read from the database (so every process on one
database agrees, within one read of each other) and kept per tenant while the tenant's change counter
(`Store.realtime_version`, bumped in each transaction that changes the tenant's data) and the local day stay the
same: a request costs one indexed read of the counter when nothing changed. Figures that grow with time alone
(a wait) are computed from the snapshot at the instant asked.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from threading import Lock
from typing import Any

from cxreport import clock
from cxreport.service.interactions import tenant_or_404
from cxreport.service.intervals import zone_named
from cxreport.service.realtime_day import Day, DaySums, Sums
from cxreport.store.base import AgentPresence, LiveInteractions, Store, Tenant

DEFAULT_STALE_AFTER_S = 4 * 3600
"""An interaction whose latest event is older than this, with something still in progress, is stale: left out of
the "now" figures and counted in `staleInteractions` (`CXREPORT_REALTIME_STALE_AFTER`)."""
AGENT_STALE_AFTER_US = 24 * 3600 * 1_000_000
"""An agent whose latest state event (not a logout) is older than this counts as logged out: a missing logout."""
REREAD_AFTER_US = 5_000_000
"""A snapshot is read again after this long even when nothing changed (stale interactions age out)."""


@dataclass(frozen=True)
class Snapshot:
    tenant: Tenant
    version: int
    read_us: int
    day: tuple[int, int]
    """Today in the tenant's zone: [start, end) in epoch µs."""
    live: LiveInteractions
    presences: list[AgentPresence]
    today: Day
    """Today's sums per quarter hour, queue and agent."""
    stale_after_us: int
    memo: dict[str, tuple[int, Any]] = field(default_factory=dict, compare=False, repr=False)
    """What figures computed from this snapshot at an instant, by name (`service/realtime_figures.py`)."""

    def sums(self, queue_id: str | None = None, agent_id: str | None = None) -> Sums:
        """Today's sums of the entries in `queue_id` (any when None) answered by `agent_id` (any when None)."""
        return self.today.sums(queue_id, agent_id)

    def queues(self) -> list[str]:
        """The queues seen today or with something in progress now."""
        seen = self.today.queues()
        for interaction in self.live.fresh:
            seen.update(queue for _kind, queue, _agent, _since in interaction.activities if queue is not None)
        return sorted(seen)


def local_day(zone_name: str, now_us: int) -> tuple[int, int]:
    """[start, end) of the local calendar day holding `now_us` in the zone (23 or 25 hours on DST days)."""
    zone = zone_named(zone_name)
    today = datetime.fromtimestamp(now_us / 1_000_000, zone).date()
    start = datetime(today.year, today.month, today.day, tzinfo=zone)
    tomorrow = today + timedelta(days=1)
    end = datetime(tomorrow.year, tomorrow.month, tomorrow.day, tzinfo=zone)
    return round(start.timestamp() * 1_000_000), round(end.timestamp() * 1_000_000)


class Realtime:
    """The snapshots of one process, per tenant, read again when the tenant's data or day changed."""

    def __init__(self, store: Store, stale_after_s: int = DEFAULT_STALE_AFTER_S) -> None:
        self.store = store
        self.stale_after_us = stale_after_s * 1_000_000
        self._snapshots: dict[str, Snapshot] = {}
        self._days = DaySums(store)
        self._lock = Lock()

    def snapshot(self, tenant_id: str, now_us: int | None = None) -> Snapshot:
        """The tenant's current snapshot (404 when there is no such tenant)."""
        now_us = clock.now_us() if now_us is None else now_us
        with self._lock:
            known = self._snapshots.get(tenant_id.lower())
        tenant = known.tenant if known is not None else tenant_or_404(self.store, tenant_id)
        version = self.store.realtime_version(tenant.id)
        day = local_day(tenant.timezone, now_us)
        if known is not None and known.version == version and known.day == day and (
            now_us - known.read_us < REREAD_AFTER_US
        ):
            return known
        fresh = self._read(tenant, version, day, now_us)
        with self._lock:
            previous = self._snapshots.get(tenant.id)
            if previous is None or previous.version <= fresh.version:
                self._snapshots[tenant.id] = fresh
        return fresh

    def _read(self, tenant: Tenant, version: int, day: tuple[int, int], now_us: int) -> Snapshot:
        store = self.store
        live = store.live_interactions(tenant.id, now_us - self.stale_after_us)
        return Snapshot(tenant, version, now_us, day, live, store.agent_presences(tenant.id),
                        self._days.today(tenant.id, day), self.stale_after_us)
