"""Realtime statistics: the catalogue (each statistic's unit, scopes and meaning) and each figure computed from a
`Snapshot` at an instant, in the original API's shapes. Definitions: `docs/data-dictionary.md` ("Realtime
statistics"); today's figures are `/statistics` figures of the local day (`service.statistics.row_figures`).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar, cast

from cxreport.errors import InvalidParameter
from cxreport.metrics.live import CONVERSATION, WAITING
from cxreport.service.realtime import AGENT_STALE_AFTER_US, Snapshot
from cxreport.service.statistics import row_figures
from cxreport.store.statistics import FIGURE_NAMES
from cxreport.times import format_instant

T = TypeVar("T")
QUEUE, RESOURCE = "queueId", "resourceId"
COUNT, MILLISECONDS, PERCENT = "count", "milliseconds", "percent"
AGENT_STATES = ("ready", "not-ready", "busy", "wrap-up", "logged-out", "unknown")


@dataclass(frozen=True, slots=True)
class Statistic:
    name: str
    unit: str
    scopes: tuple[str, ...]
    description: str


CATALOGUE: dict[str, Statistic] = {s.name: s for s in (
    Statistic("interactions-in-queue", COUNT, (QUEUE,), "Queue entries waiting now (entered, not exited)."),
    Statistic("longest-current-wait", MILLISECONDS, (QUEUE,),
              "The waits so far of the entries waiting now: max is the longest."),
    Statistic("interactions-in-conversation", COUNT, (QUEUE, RESOURCE),
              "Interactions with an agent in conversation now."),
    Statistic("agents-ready", COUNT, (RESOURCE,), "Logged-in agents ready, in no conversation and no wrap-up."),
    Statistic("agents-not-ready", COUNT, (RESOURCE,),
              "Logged-in agents not ready, in no conversation and no wrap-up; reasons: by reasonCode."),
    Statistic("agents-busy", COUNT, (RESOURCE,), "Agents in conversation now."),
    Statistic("agents-wrap-up", COUNT, (RESOURCE,), "Agents in after-contact work now, in no conversation."),
    Statistic("agents-logged-out", COUNT, (RESOURCE,),
              "Agents whose latest state event is a logout, or older than 24 hours."),
    Statistic("agents-unknown-state", COUNT, (RESOURCE,), "Logged in by a login that named no presence."),
    Statistic("offered", COUNT, (QUEUE, RESOURCE), "Today's queue entries (/statistics offered)."),
    Statistic("answered", COUNT, (QUEUE, RESOURCE), "Today's answered queue entries (/statistics answered)."),
    Statistic("abandoned", COUNT, (QUEUE, RESOURCE), "Today's abandoned queue entries (/statistics abandoned)."),
    Statistic("service-level", PERCENT, (QUEUE, RESOURCE),
              "Today's service level by each entry's SLA version in force (/statistics serviceLevel)."),
    Statistic("average-speed-of-answer", MILLISECONDS, (QUEUE, RESOURCE),
              "Today's answered entries' time to answer (/statistics averageSpeedOfAnswer)."),
    Statistic("average-handle-time", MILLISECONDS, (QUEUE, RESOURCE),
              "Today's handled entries' agent handle time (/statistics averageHandleTime)."),
)}
_AGENT_STATISTICS = {"agents-ready": "ready", "agents-not-ready": "not-ready", "agents-busy": "busy",
                     "agents-wrap-up": "wrap-up", "agents-logged-out": "logged-out", "agents-unknown-state": "unknown"}
_COUNTED = {"offered": "offered", "answered": "answered", "abandoned": "abandoned"}
_TIMED = {"average-speed-of-answer": ("answersTimed", "answerTimeTotal", 0),
          "average-handle-time": ("handled", "handleTimeTotal", 2)}


@dataclass(frozen=True, slots=True)
class RealtimeRequest:
    statistic: str
    queue_id: str | None = None
    resource_id: str | None = None


def checked(request: RealtimeRequest, parameter: str = "statistic") -> RealtimeRequest:
    """The request, or a 400 naming `parameter` (or the scope's) for an unknown statistic or a scope it lacks."""
    found = CATALOGUE.get(request.statistic)
    if found is None:
        raise InvalidParameter(
            f"statistic {request.statistic!r} is not one of {', '.join(CATALOGUE)}", parameter=parameter
        )
    prefix = parameter.rsplit(".", 1)[0] + "." if "." in parameter else ""
    for scope, value in ((QUEUE, request.queue_id), (RESOURCE, request.resource_id)):
        if value is not None and scope not in found.scopes:
            raise InvalidParameter(f"statistic {found.name} takes no {scope}", parameter=prefix + scope)
    return request


@dataclass(frozen=True, slots=True)
class AgentState:
    state: str
    reason_code: str | None
    since_us: int


def _memo(snapshot: Snapshot, name: str, now_us: int, compute: Callable[[], T]) -> T:
    """`compute()`, once per snapshot and instant (a batch and a picture ask for the same things many times)."""
    found = snapshot.memo.get(name)
    if found is not None and found[0] == now_us:
        return cast(T, found[1])
    value = compute()
    snapshot.memo[name] = (now_us, value)
    return value


def agent_states(snapshot: Snapshot, now_us: int) -> dict[str, AgentState]:
    """Each agent's state now: in conversation (busy) or wrap-up on a fresh interaction, else its presence
    (computed once per snapshot and instant: not to be changed)."""
    return _memo(snapshot, "states", now_us, lambda: _agent_states(snapshot, now_us))


def _agent_states(snapshot: Snapshot, now_us: int) -> dict[str, AgentState]:
    states: dict[str, AgentState] = {}
    for presence in snapshot.presences:
        if presence.type == "agent-logged-out" or presence.time_us < now_us - AGENT_STALE_AFTER_US:
            states[presence.agent_id] = AgentState("logged-out", None, presence.time_us)
        elif presence.state in ("ready", "not-ready"):
            reason = presence.reason_code if presence.state == "not-ready" else None
            states[presence.agent_id] = AgentState(presence.state, reason, presence.time_us)
        else:
            states[presence.agent_id] = AgentState("unknown", None, presence.time_us)
    working: dict[str, AgentState] = {}
    for _interaction, kind, _queue, agent, since in _activities(snapshot, now_us):
        if agent is None or kind == WAITING:
            continue
        previous = working.get(agent)
        state = "busy" if kind == CONVERSATION else "wrap-up"
        takes_over = previous is None or (previous.state == "wrap-up" and state == "busy")
        if takes_over or (previous is not None and previous.state == state and since < previous.since_us):
            working[agent] = AgentState(state, None, since)
    states.update(working)
    return dict(sorted(states.items()))


def _activities(snapshot: Snapshot, now_us: int) -> list[tuple[str, str, str | None, str | None, int]]:
    return _memo(snapshot, "activities", now_us, lambda: _fresh_activities(snapshot, now_us))


def _fresh_activities(snapshot: Snapshot, now_us: int) -> list[tuple[str, str, str | None, str | None, int]]:
    cutoff = now_us - snapshot.stale_after_us
    return [
        (interaction.interaction_id, kind, queue, agent, since)
        for interaction in snapshot.live.fresh
        if interaction.last_us >= cutoff
        for kind, queue, agent, since in interaction.activities
    ]


def figure(snapshot: Snapshot, request: RealtimeRequest, now_us: int,
           states: dict[str, AgentState] | None = None) -> dict[str, Any]:
    """The `results` object of one statistic (count, unit, queryWindow and the statistic's own fields)."""
    name, queue, resource = request.statistic, request.queue_id, request.resource_id
    result: dict[str, Any] = {}
    if name in ("interactions-in-queue", "longest-current-wait"):
        waits = [now_us - since for _i, kind, q, _a, since in _activities(snapshot, now_us)
                 if kind == WAITING and (queue is None or q == queue)]
        result = _count(len(waits)) if name == "interactions-in-queue" else _times(
            len(waits), sum(waits) // 1000, min(waits, default=0) // 1000, max(waits, default=0) // 1000
        )
        result["staleInteractions"] = _stale(snapshot, now_us)
    elif name == "interactions-in-conversation":
        talking = {i for i, kind, q, a, _since in _activities(snapshot, now_us) if kind == CONVERSATION
                   and (queue is None or q == queue) and (resource is None or a == resource)}
        result = {**_count(len(talking)), "staleInteractions": _stale(snapshot, now_us)}
    elif name in _AGENT_STATISTICS:
        wanted = _AGENT_STATISTICS[name]
        states = agent_states(snapshot, now_us) if states is None else states
        chosen = {agent: s for agent, s in states.items() if s.state == wanted and resource in (None, agent)}
        result = _count(len(chosen))
        if wanted == "not-ready":
            result["reasons"] = dict(sorted(Counter(s.reason_code or "" for s in chosen.values()).items()))
        if resource is not None:
            result["state"] = states[resource].state if resource in states else None
    else:
        sums = snapshot.sums(queue, resource)
        row = row_figures(list(sums.figures), set(sums.rules))
        if name in _COUNTED:
            result = _count(row[_COUNTED[name]])
        elif name == "service-level":
            result = {"count": row["slaJudged"], "unit": PERCENT, "value": row["serviceLevel"],
                      "withinSla": row["answeredWithinSla"], "rule": row["serviceLevelRule"]}
        else:
            counted, total, at = _TIMED[name]
            count, total_ms = sums.figures[_INDEX[counted]], sums.figures[_INDEX[total]]
            result = _times(count, total_ms, sums.extremes[at] or 0, sums.extremes[at + 1] or 0)
    result["queryWindow"] = {"start": format_instant(snapshot.day[0]), "end": format_instant(snapshot.day[1])}
    if queue is not None:
        result[QUEUE] = queue
    if resource is not None:
        result[RESOURCE] = resource
    return result


def _count(count: int) -> dict[str, Any]:
    return {"count": count, "unit": COUNT}


def _times(count: int, total: int, low: int, high: int) -> dict[str, Any]:
    if not count:
        return {"count": 0, "unit": MILLISECONDS, "min": None, "max": None, "total": 0, "avg": None}
    return {"count": count, "unit": MILLISECONDS, "min": low, "max": high, "total": total, "avg": round(total / count)}


def _stale(snapshot: Snapshot, now_us: int) -> int:
    cutoff = now_us - snapshot.stale_after_us
    return snapshot.live.stale + sum(1 for i in snapshot.live.fresh if i.last_us < cutoff)


def picture(snapshot: Snapshot, now_us: int) -> dict[str, Any]:
    """Every figure of the tenant (what the stream sends): each statistic unscoped, each queue's (the statistics
    taking a queueId), each agent's state; the query window once, not in each figure, nor the queue's id."""
    states = agent_states(snapshot, now_us)
    results = {name: _bare(figure(snapshot, RealtimeRequest(name), now_us, states)) for name in CATALOGUE}
    queues = {
        queue: {name: _bare(figure(snapshot, RealtimeRequest(name, queue_id=queue), now_us, states))
                for name, s in CATALOGUE.items() if QUEUE in s.scopes}
        for queue in snapshot.queues()
    }
    agents = {agent: {"state": s.state, "reasonCode": s.reason_code, "since": format_instant(s.since_us)}
              for agent, s in states.items()}
    return {"version": snapshot.version, "queryTime": format_instant(now_us),
            "queryWindow": {"start": format_instant(snapshot.day[0]), "end": format_instant(snapshot.day[1])},
            "results": results, "queues": queues, "agents": agents}


def _bare(result: dict[str, Any]) -> dict[str, Any]:
    del result["queryWindow"]
    result.pop(QUEUE, None)
    return result


_INDEX = {name: i for i, name in enumerate(FIGURE_NAMES)}
