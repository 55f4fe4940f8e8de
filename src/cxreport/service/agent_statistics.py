"""Agent statistics: per bucket of a zone and per agent (optionally per agent and queue), the time agents spent
logged in, ready and not ready (by reason), from their state events, next to the work they handled, from the
queue-entry facts. Typed values in, a table out; no HTTP, no SQL.

- A state's time is split across the buckets it overlaps; a session still open counts until the end of the range
  or now, whichever is earlier. Sessions come from `metrics/agent_states.py` (a missing logout closed at the next
  login, or left open).
- The work figures count in the bucket of the queue entry's time, as `/statistics` counts them (the same facts,
  grouped by agent): answered, handled, talk, hold, wrap-up and handle time.
- `occupancy` = handle time / (logged-in time − not-ready time), in %, of the same row. In rows of an agent and a
  queue the state times are the agent's (a state belongs to no queue) and the work is that queue's.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from typing import Any

from cxreport import clock
from cxreport.errors import InvalidParameter
from cxreport.metrics.agent_states import agent_sessions
from cxreport.service.interactions import tenant_or_404
from cxreport.service.intervals import MAX_BUCKETS, Buckets, buckets, zone_named
from cxreport.store.base import SlotQuery, Store, Window
from cxreport.store.statistics import FIGURE_NAMES

GROUPS = ("queue",)
"""Besides the agent, rows may be split by queue."""
_WORK = ("answered", "handled", "talkTimeTotal", "holdTimeTotal", "wrapUpTimeTotal", "handleTimeTotal")
_WORK_INDEX = tuple(FIGURE_NAMES.index(name) for name in _WORK)
_STATE_FIGURES = ("loggedInTime", "readyTime", "notReadyTime", "unknownStateTime")
COLUMNS = (
    "start", "end", "agentId", "agentName", *_STATE_FIGURES, "notReadyByReason", "answered", "handled",
    "talkTimeTotal", "holdTimeTotal", "wrapUpTimeTotal", "handleTimeTotal", "averageHandleTime", "occupancy",
)
"""A row's keys (with `queueId`, `queueName` after `agentName` when grouped by queue)."""


@dataclass(frozen=True, slots=True)
class AgentStatisticsRequest:
    start_us: int
    end_us: int
    interval: str
    by_queue: bool = False
    timezone: str | None = None
    """An IANA zone; None: the tenant's."""
    week_start: int = 0


@dataclass(frozen=True, slots=True)
class AgentStatisticsTable:
    tenant_id: str
    tenant_name: str
    timezone: str
    request: AgentStatisticsRequest
    columns: tuple[str, ...]
    rows: list[dict[str, Any]]


@dataclass
class _States:
    """Microseconds per state in one bucket, and not-ready time by reason."""

    logged_in: int = 0
    ready: int = 0
    not_ready: int = 0
    unknown: int = 0
    by_reason: dict[str, int] | None = None

    def add(self, state: str, reason: str | None, span_us: int) -> None:
        self.logged_in += span_us
        if state == "ready":
            self.ready += span_us
        elif state == "not-ready":
            self.not_ready += span_us
            if self.by_reason is None:
                self.by_reason = {}
            key = reason or ""
            self.by_reason[key] = self.by_reason.get(key, 0) + span_us
        else:
            self.unknown += span_us


def agent_statistics(store: Store, tenant_id: str, request: AgentStatisticsRequest) -> AgentStatisticsTable:
    tenant = tenant_or_404(store, tenant_id)
    zone_name = request.timezone or tenant.timezone
    found = buckets(request.start_us, request.end_us, request.interval, zone_named(zone_name), request.week_start)
    states = _state_times(store, tenant.id, found, min(request.end_us, max(request.start_us, clock.now_us())))
    work, names = _work(store, tenant.id, request, found)
    agents = sorted(set(states) | {agent for agent, _queue in work})
    keys: list[tuple[str, str | None]] = []
    for agent in agents:
        queues = sorted({queue for (a, queue) in work if a == agent and queue is not None}) if request.by_queue else []
        keys += [(agent, queue) for queue in queues] or [(agent, None)]
    if len(found) * max(len(keys), 1) > MAX_BUCKETS:
        raise InvalidParameter(
            f"{len(found)} buckets × {len(keys)} agents make more than {MAX_BUCKETS} rows: ask for a shorter "
            "range or a longer interval",
            parameter="interval",
        )
    local = [found.local(boundary) for boundary in found.boundaries]
    rows = []
    for index in range(len(found)):
        for agent, queue in keys:
            label: dict[str, Any] = {"agentId": agent, "agentName": names.get((agent, None))}
            if request.by_queue:
                label |= {"queueId": queue, "queueName": names.get((agent, queue))}
            figures = _figures(states.get(agent, {}).get(index), work.get((agent, queue), {}).get(index))
            rows.append({"start": local[index], "end": local[index + 1], **label, **figures})
    columns = COLUMNS if not request.by_queue else (*COLUMNS[:4], "queueId", "queueName", *COLUMNS[4:])
    return AgentStatisticsTable(tenant.id, tenant.name, zone_name, request, columns, rows)


def _state_times(store: Store, tenant_id: str, found: Buckets, until_us: int) -> dict[str, dict[int, _States]]:
    """Per agent and bucket, the time in each state: every presence period clipped to the range (an open one
    until `until_us`) and split at the bucket boundaries."""
    start, end = found.boundaries[0], found.boundaries[-1]
    times: dict[str, dict[int, _States]] = {}
    for agent in store.agents_with_states(tenant_id, end):
        changes = store.agent_state_changes(tenant_id, agent, Window(start, end))
        per_bucket: dict[int, _States] = defaultdict(_States)
        for session in agent_sessions(changes, start, end):
            for period in session.states:
                period_end = min(end, until_us) if period.end_us is None else period.end_us
                _split(found, period.start_us, period_end, period.state, period.reason_code, per_bucket)
        if per_bucket:
            times[agent] = dict(per_bucket)
    return times


def _split(found: Buckets, start_us: int, end_us: int, state: str, reason: str | None,
           per_bucket: dict[int, _States]) -> None:
    if end_us <= start_us:
        return
    index = found.index_of(start_us)
    boundaries = found.boundaries
    while start_us < end_us and index < len(found):
        stop = min(end_us, boundaries[index + 1])
        per_bucket[index].add(state, reason, stop - start_us)
        start_us, index = stop, index + 1


def _work(store: Store, tenant_id: str, request: AgentStatisticsRequest, found: Buckets,
          ) -> tuple[dict[tuple[str, str | None], dict[int, list[int]]], dict[tuple[str, str | None], str | None]]:
    """Per (agent, queue or None) and bucket, the work figures of the entries its agent answered."""
    group_by = ("agent", "queue") if request.by_queue else ("agent",)
    query = SlotQuery(request.start_us, request.end_us, found.slot_us, group_by)
    work: dict[tuple[str, str | None], dict[int, list[int]]] = {}
    names: dict[tuple[str, str | None], str | None] = {}
    for row in store.queue_entry_slots(tenant_id, query):
        agent = row.group[0]
        if agent is None:
            continue
        queue = row.group[1] if request.by_queue else None
        names.setdefault((agent, None), row.names[0])
        if request.by_queue:
            names.setdefault((agent, queue), row.names[1])
        index = found.index_of(request.start_us + row.slot * found.slot_us)
        sums = work.setdefault((agent, queue), {}).setdefault(index, [0] * len(_WORK))
        for position, figure in enumerate(_WORK_INDEX):
            sums[position] += row.figures[figure]
    return work, names


def _figures(states: _States | None, work: list[int] | None) -> dict[str, Any]:
    states = states or _States()
    sums = work or [0] * len(_WORK)
    answered, handled, talk, hold, wrap, handle = sums
    available = states.logged_in - states.not_ready
    reasons = states.by_reason or {}
    return {
        "loggedInTime": states.logged_in / 1e6,
        "readyTime": states.ready / 1e6,
        "notReadyTime": states.not_ready / 1e6,
        "unknownStateTime": states.unknown / 1e6,
        "notReadyByReason": {reason: span / 1e6 for reason, span in sorted(reasons.items())},
        "answered": answered,
        "handled": handled,
        "talkTimeTotal": talk / 1000,
        "holdTimeTotal": hold / 1000,
        "wrapUpTimeTotal": wrap / 1000,
        "handleTimeTotal": handle / 1000,
        "averageHandleTime": round(handle / handled / 1000, 3) if handled else None,
        "occupancy": round(100 * (handle * 1000) / available, 2) if available > 0 else None,
    }
