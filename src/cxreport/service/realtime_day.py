"""Today's queue-entry sums for realtime statistics, kept per UTC quarter hour and read again only where they
changed.

A process keeps, per tenant, each quarter hour of the tenant-local day as the stored facts summed per queue and
answering agent (folded into the tenant's, each queue's and each agent's sums), with the quarter hour's change
counter as read just before (`Store.realtime_slot_counters`: bumped in the transaction that writes or replaces a
fact there). A read compares the day's counters with those kept and reads the facts of the quarter hours whose
counter moved, and only those: after an event, usually the quarter hour now. So every process on one database
agrees (a counter read before the sums can only make a quarter hour read again, never kept stale), nothing is
lost by a restart (the first read sums the day so far), and an event restating an earlier entry reads that
entry's quarter hour again (its old and new quarter hours are both bumped).

Zone offsets are whole quarter hours, so a local day is whole quarter hours; a day that is not (a zone's
historical offset) is summed whole at each read, and never kept.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from threading import Lock

from cxreport.store.base import DayRow, Store
from cxreport.store.rollups import SLOT_US
from cxreport.store.statistics import FIGURE_NAMES

_MAX_WAIT = FIGURE_NAMES.index("maxWaitTime")
KEPT_TENANTS = 256
"""Tenants whose day is kept by one process; beyond, the least recently read is dropped (read whole again)."""


@dataclass(frozen=True, slots=True)
class Sums:
    """Sums of some queue entries (`FIGURE_NAMES` order: `maxWaitTime` a maximum), their SLA rules, and the
    extremes of their time figures (min and max answer time, min and max handle time; None without any)."""

    figures: tuple[int, ...] = (0,) * len(FIGURE_NAMES)
    rules: frozenset[str] = frozenset()
    extremes: tuple[int | None, ...] = (None, None, None, None)


EMPTY = Sums()


def combine(parts: Sequence[Sums]) -> Sums:
    """The sums of all these entries together."""
    if not parts:
        return EMPTY
    if len(parts) == 1:
        return parts[0]
    columns = list(zip(*(part.figures for part in parts), strict=True))
    figures = tuple(max(column) if i == _MAX_WAIT else sum(column) for i, column in enumerate(columns))
    rules = frozenset().union(*(part.rules for part in parts))
    extremes = []
    for i in range(4):
        known = [value for part in parts if (value := part.extremes[i]) is not None]
        extremes.append(None if not known else min(known) if i % 2 == 0 else max(known))
    return Sums(figures, rules, tuple(extremes))


@dataclass(frozen=True, slots=True)
class Slot:
    """One quarter hour's sums: the tenant's, per queue, per answering agent, per (queue, agent)."""

    tenant: Sums
    queues: dict[str, Sums]
    agents: dict[str, Sums]
    pairs: dict[tuple[str | None, str | None], Sums]


def slot_of(rows: Iterable[DayRow]) -> Slot:
    pairs = {(row.queue_id, row.agent_id): Sums(row.figures, frozenset(r for r in row.rules if r is not None),
                                                row.extremes) for row in rows}
    by_queue: dict[str, list[Sums]] = {}
    by_agent: dict[str, list[Sums]] = {}
    for (queue_id, agent_id), sums in pairs.items():
        if queue_id is not None:
            by_queue.setdefault(queue_id, []).append(sums)
        if agent_id is not None:
            by_agent.setdefault(agent_id, []).append(sums)
    return Slot(combine(list(pairs.values())), {q: combine(parts) for q, parts in by_queue.items()},
                {a: combine(parts) for a, parts in by_agent.items()}, pairs)


@dataclass(frozen=True)
class Day:
    """A local day's quarter hours (those with entries), as one read saw them."""

    slots: tuple[Slot, ...]
    _memo: dict[tuple[str | None, str | None], Sums] = field(default_factory=dict, compare=False, repr=False)

    def sums(self, queue_id: str | None = None, agent_id: str | None = None) -> Sums:
        """The day's sums of the entries in `queue_id` (any when None) answered by `agent_id` (any when None)."""
        key = (queue_id, agent_id)
        found = self._memo.get(key)
        if found is None:
            if agent_id is not None and queue_id is not None:
                parts = [s for slot in self.slots if (s := slot.pairs.get(key)) is not None]
            elif queue_id is not None:
                parts = [s for slot in self.slots if (s := slot.queues.get(queue_id)) is not None]
            elif agent_id is not None:
                parts = [s for slot in self.slots if (s := slot.agents.get(agent_id)) is not None]
            else:
                parts = [slot.tenant for slot in self.slots]
            found = self._memo[key] = combine(parts)
        return found

    def queues(self) -> set[str]:
        return {queue for slot in self.slots for queue in slot.queues}


@dataclass
class _Kept:
    day: tuple[int, int]
    counters: dict[int, int] = field(default_factory=dict)
    slots: dict[int, Slot] = field(default_factory=dict)


class DaySums:
    """The days kept by one process, per tenant (thread-safe)."""

    def __init__(self, store: Store) -> None:
        self.store = store
        self._kept: dict[str, _Kept] = {}
        self._lock = Lock()

    def today(self, tenant_id: str, day: tuple[int, int]) -> Day:
        start, end = day
        if start % SLOT_US or end % SLOT_US:
            whole = _by_slot(self.store.realtime_slots(tenant_id, start, end))
            return Day(tuple(slot_of(whole[slot]) for slot in sorted(whole)))
        with self._lock:
            kept = self._kept.get(tenant_id)
        if kept is None or kept.day != day:
            kept = _Kept(day)
        counters = self.store.realtime_slot_counters(tenant_id, start, end)
        moved = [slot for slot in range(start, end, SLOT_US) if kept.counters.get(slot) != counters.get(slot, 0)]
        slots = dict(kept.slots)
        for low, high in _ranges(moved):
            rows = _by_slot(self.store.realtime_slots(tenant_id, low, high))
            for slot in range(low, high, SLOT_US):
                found = rows.get(slot)
                if found:
                    slots[slot] = slot_of(found)
                else:
                    slots.pop(slot, None)
        fresh = _Kept(day, {slot: counters.get(slot, 0) for slot in range(start, end, SLOT_US)}, slots)
        with self._lock:
            self._kept.pop(tenant_id, None)
            self._kept[tenant_id] = fresh  # the most recently read last
            while len(self._kept) > KEPT_TENANTS:
                del self._kept[next(iter(self._kept))]
        return Day(tuple(slots[slot] for slot in sorted(slots)))


def _by_slot(rows: Iterable[DayRow]) -> dict[int, list[DayRow]]:
    found: dict[int, list[DayRow]] = {}
    for row in rows:
        found.setdefault(row.slot_us, []).append(row)
    return found


def _ranges(slots: Sequence[int]) -> list[tuple[int, int]]:
    """Consecutive quarter hours as [start, end) ranges (one read each)."""
    ranges: list[tuple[int, int]] = []
    for slot in slots:
        if ranges and ranges[-1][1] == slot:
            ranges[-1] = (ranges[-1][0], slot + SLOT_US)
        else:
            ranges.append((slot, slot + SLOT_US))
    return ranges
