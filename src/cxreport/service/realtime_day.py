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

import sys
from array import array
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from threading import Lock

from cxreport.store.base import DayRow, Store
from cxreport.store.rollups import SLOT_US
from cxreport.store.statistics import FIGURE_NAMES

_MAX_WAIT = FIGURE_NAMES.index("maxWaitTime")
_WIDTH = len(FIGURE_NAMES)
KEPT_TENANTS = 64
"""Tenants whose day is kept by one process; beyond, the least recently read is dropped (read whole again)."""
_NONE = -1
"""An absent extreme, as kept (the extremes are durations: never negative)."""


@dataclass(frozen=True, slots=True)
class Sums:
    """Sums of some queue entries (`FIGURE_NAMES` order: `maxWaitTime` a maximum), then the extremes of their
    time figures (min and max answer time, min and max handle time; -1 without any), as one array of 64-bit
    integers; and their SLA rules."""

    values: Sequence[int]
    rules: frozenset[str]

    @property
    def figures(self) -> Sequence[int]:
        return self.values[:_WIDTH]

    @property
    def extremes(self) -> tuple[int | None, ...]:
        return tuple(None if value == _NONE else value for value in self.values[_WIDTH:])


_RULES: dict[frozenset[str], frozenset[str]] = {}
"""One frozenset per set of rules seen (a kept day holds thousands of sums, with a handful of distinct rules)."""


def _sums(figures: Iterable[int], rules: Iterable[str | None], extremes: Iterable[int | None]) -> Sums:
    found = frozenset(rule for rule in rules if rule is not None)
    values = [*figures, *(_NONE if value is None else value for value in extremes)]
    return Sums(array("q", values), _RULES.setdefault(found, found))


EMPTY = _sums([0] * _WIDTH, (), (None,) * 4)


def combine(parts: Sequence[Sums]) -> Sums:
    """The sums of all these entries together."""
    if not parts:
        return EMPTY
    if len(parts) == 1:
        return parts[0]
    folded = []
    for i, column in enumerate(zip(*(part.values for part in parts), strict=True)):
        if i < _WIDTH:
            folded.append(max(column) if i == _MAX_WAIT else sum(column))
        else:
            known = [value for value in column if value != _NONE]
            folded.append(_NONE if not known else min(known) if (i - _WIDTH) % 2 == 0 else max(known))
    rules = frozenset().union(*(part.rules for part in parts))
    return Sums(array("q", folded), _RULES.setdefault(rules, rules))


@dataclass(frozen=True, slots=True)
class Slot:
    """One quarter hour's sums: the tenant's, per queue, and per (queue, answering agent), indexed by agent."""

    tenant: Sums
    queues: dict[str, Sums]
    pairs: dict[tuple[str | None, str | None], Sums]
    agents: dict[str, tuple[Sums, ...]]
    """Each answering agent's (queue, agent) sums (folded when an agent's figures are asked for)."""


def slot_of(rows: Iterable[DayRow]) -> Slot:
    pairs = {(_interned(row.queue_id), _interned(row.agent_id)): _sums(row.figures, row.rules, row.extremes)
             for row in rows}
    by_queue: dict[str, list[Sums]] = {}
    by_agent: dict[str, list[Sums]] = {}
    for (queue_id, agent_id), sums in pairs.items():
        if queue_id is not None:
            by_queue.setdefault(queue_id, []).append(sums)
        if agent_id is not None:
            by_agent.setdefault(agent_id, []).append(sums)
    return Slot(combine(list(pairs.values())), {q: combine(parts) for q, parts in by_queue.items()}, pairs,
                {a: tuple(parts) for a, parts in by_agent.items()})


def _interned(text: str | None) -> str | None:
    return None if text is None else sys.intern(text)


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
                parts = [s for slot in self.slots for s in slot.agents.get(agent_id, ())]
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
