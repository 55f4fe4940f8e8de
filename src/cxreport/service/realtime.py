"""Realtime statistics: what the tenant's stored data says now, read once per change and shared.

A `Snapshot` is everything the figures are computed from: what interactions have in progress, each agent's latest
state event, and today's queue-entry sums per queue and agent. It is read from the database (so every process on
one database agrees, within one read of each other) and kept per tenant while the tenant's change counter
(`Store.realtime_version`, bumped in each transaction that changes the tenant's data) and the local day stay the
same: a request costs one indexed read of the counter when nothing changed. Figures that grow with time alone
(a wait) are computed from the snapshot at the instant asked.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from threading import Lock

from cxreport import clock
from cxreport.service.interactions import tenant_or_404
from cxreport.service.intervals import zone_named
from cxreport.store.base import AgentPresence, DayRow, LiveInteractions, Store, Tenant
from cxreport.store.statistics import FIGURE_NAMES

DEFAULT_STALE_AFTER_S = 4 * 3600
"""An interaction whose latest event is older than this, with something still in progress, is stale: left out of
the "now" figures and counted in `staleInteractions` (`CXREPORT_REALTIME_STALE_AFTER`)."""
AGENT_STALE_AFTER_US = 24 * 3600 * 1_000_000
"""An agent whose latest state event (not a logout) is older than this counts as logged out: a missing logout."""
SETTLED_AFTER_US = 2 * 3600 * 1_000_000
"""Today's entries before the last quarter hour at least this old are summed once and kept (the settled part),
while no record holding one is written again; only the entries after it are summed at each change."""
SKEW_US = 60_000_000
"""A margin for the clocks of the processes writing records and for transactions committing late: a record
written up to this long before the settled part was read is taken as written after it."""
REREAD_AFTER_US = 5_000_000
"""A snapshot is read again after this long even when nothing changed (stale interactions age out)."""
_MAX_WAIT = FIGURE_NAMES.index("maxWaitTime")


@dataclass
class Sums:
    """Today's sums of some queue entries (`FIGURE_NAMES` order), their SLA rules, and their time extremes."""

    figures: list[int] = field(default_factory=lambda: [0] * len(FIGURE_NAMES))
    rules: set[str] = field(default_factory=set)
    extremes: list[int | None] = field(default_factory=lambda: [None, None, None, None])

    def add(self, row: DayRow) -> None:
        for i, value in enumerate(row.figures):
            self.figures[i] = max(self.figures[i], value) if i == _MAX_WAIT else self.figures[i] + value
        self.rules.update(rule for rule in row.rules if rule is not None)
        for i, extreme in enumerate(row.extremes):
            known = self.extremes[i]
            if extreme is not None:
                low = i % 2 == 0
                self.extremes[i] = extreme if known is None else min(known, extreme) if low else max(known, extreme)


@dataclass(frozen=True)
class Snapshot:
    tenant: Tenant
    version: int
    read_us: int
    day: tuple[int, int]
    """Today in the tenant's zone: [start, end) in epoch µs."""
    live: LiveInteractions
    presences: list[AgentPresence]
    day_rows: list[DayRow]
    stale_after_us: int
    _sums: dict[tuple[str | None, str | None], Sums] = field(default_factory=dict, compare=False, repr=False)

    def sums(self, queue_id: str | None = None, agent_id: str | None = None) -> Sums:
        """Today's sums of the entries in `queue_id` (any when None) answered by `agent_id` (any when None)."""
        key = (queue_id, agent_id)
        found = self._sums.get(key)
        if found is None:
            found = Sums()
            for row in self.day_rows:
                if (queue_id is None or row.queue_id == queue_id) and (agent_id is None or row.agent_id == agent_id):
                    found.add(row)
            self._sums[key] = found
        return found

    def queues(self) -> list[str]:
        """The queues seen today or with something in progress now."""
        seen = {row.queue_id for row in self.day_rows if row.queue_id is not None}
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
        self._settled: dict[str, tuple[int, int, int, list[DayRow]]] = {}
        """Per tenant: (day start, settled part's end, when it was read, its sums)."""
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
                        self._day_rows(tenant.id, day, now_us), self.stale_after_us)

    def _day_rows(self, tenant_id: str, day: tuple[int, int], now_us: int) -> list[DayRow]:
        """Today's sums: the settled part (kept while unchanged) and the recent part (summed now)."""
        quarter = 15 * 60 * 1_000_000
        boundary = max(day[0], (now_us - SETTLED_AFTER_US) // quarter * quarter)
        if boundary <= day[0]:
            return self.store.realtime_day(tenant_id, *day)
        with self._lock:
            kept = self._settled.get(tenant_id)
        if kept is None or kept[:2] != (day[0], boundary) or self.store.entries_changed(
            tenant_id, kept[2] - SKEW_US, day[0], boundary
        ):
            kept = (day[0], boundary, now_us, self.store.realtime_day(tenant_id, day[0], boundary))
            with self._lock:
                self._settled[tenant_id] = kept
        return [*kept[3], *self.store.realtime_day(tenant_id, boundary, day[1])]
