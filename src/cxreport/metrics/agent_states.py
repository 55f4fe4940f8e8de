"""An agent's state events → its sessions (login → logout) with the presence periods inside them. Pure.

The rules (`docs/events.md`, "Agent states"):
- A session starts at a login. A presence change while no session is open starts one too (`startedBy`
  "state-change": the login is missing).
- It ends at the logout. A login while a session is open ends that session at the new login (`endedBy`
  "next-login": the logout is missing); a session still open after the last event is left open (`endedBy`
  "open", no end). A logout while no session is open changes nothing.
- Inside a session the agent is in one presence at a time: the login's `state` (when it has one, else
  "unknown") until the first change, then each change's `state` and `reasonCode`. A change to the presence the
  agent is in already (same state and reason) starts no new period.
- Events at the same instant: logins, presence changes, then logouts (a login and its first presence, a pause
  and a logoff, in one second); but when a session is open before that instant and a login is among them,
  logouts first (a logoff and a new login: the open session ends, the new one starts); then by eventId.
- Clipped to [start, end): a session that began before `start` starts there (`startedBy` "before-window"), as
  do its periods; one that goes on after `end` ends there (`endedBy` "after-window"). The caller passes the
  agent's events at the last instant before `start` (they say what was open then) and at the first instant from
  `end` on (a session still open at `end` that has later events goes on after it; without any, it is "open").
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Protocol

LOGIN, STATE, LOGOUT = "agent-logged-in", "agent-state-changed", "agent-logged-out"
UNKNOWN = "unknown"
"""The presence of a session whose login did not say, until its first change."""
_ORDER = {LOGIN: 0, STATE: 1, LOGOUT: 2}
_RELOGIN_ORDER = {LOGOUT: 0, LOGIN: 1, STATE: 2}
_FAR = 2**62


class StateChange(Protocol):
    """What this module reads of an agent-state event (the store's `StoredAgentEvent` has it)."""

    @property
    def time_us(self) -> int: ...
    @property
    def event_id(self) -> str: ...
    @property
    def type(self) -> str: ...
    @property
    def state(self) -> str | None: ...
    @property
    def reason_code(self) -> str | None: ...
    @property
    def session_id(self) -> str | None: ...


@dataclass(frozen=True, slots=True)
class StatePeriod:
    state: str
    """"ready", "not-ready", or "unknown" (after a login that did not say, until the first change)."""
    reason_code: str | None
    start_us: int
    end_us: int | None
    """None: still in it (its session is open)."""


@dataclass(frozen=True, slots=True)
class AgentSession:
    start_us: int
    end_us: int | None
    """None when the session is open."""
    started_by: str
    """"login", "state-change" (no login: a presence change opened it) or "before-window" (it began before
    `start`)."""
    ended_by: str
    """"logout", "next-login" (the logout is missing: closed at the next login), "after-window" (it goes on after
    `end`) or "open" (no logout and no later event)."""
    session_id: str | None
    states: tuple[StatePeriod, ...]


@dataclass(slots=True)
class _Open:
    start_us: int
    started_by: str
    session_id: str | None
    periods: list[StatePeriod] = field(default_factory=list)

    def enter(self, state: str, reason_code: str | None, at_us: int) -> None:
        """The agent is in `state` from `at_us` on: the period before ends there (a period that would last no
        time is replaced)."""
        while self.periods:
            last = self.periods[-1]
            if (last.state, last.reason_code) == (state, reason_code):
                if last.end_us is not None:  # back to the presence left at this very instant: it goes on
                    self.periods[-1] = StatePeriod(state, reason_code, last.start_us, None)
                return
            if last.start_us < at_us:
                self.periods[-1] = StatePeriod(last.state, last.reason_code, last.start_us, at_us)
                break
            self.periods.pop()
        self.periods.append(StatePeriod(state, reason_code, at_us, None))

    def close(self, at_us: int | None, ended_by: str) -> AgentSession:
        periods = self.periods
        if at_us is not None:
            last = periods[-1]
            periods[-1] = StatePeriod(last.state, last.reason_code, last.start_us, at_us)
            if len(periods) > 1 and last.start_us == at_us:  # a change at the very end lasts no time
                periods.pop()
        return AgentSession(self.start_us, at_us, self.started_by, ended_by, self.session_id, tuple(periods))


def agent_sessions(changes: Iterable[StateChange], start_us: int = -_FAR, end_us: int = _FAR) -> list[AgentSession]:
    """The agent's sessions overlapping [start_us, end_us), in time order, clipped to it (see the module)."""
    sessions: list[AgentSession] = []
    current: _Open | None = None
    groups = _by_instant(changes)
    for group in groups:
        relogin = current is not None and any(change.type == LOGIN for change in group)
        order = _RELOGIN_ORDER if relogin else _ORDER
        for change in sorted(group, key=lambda c: (order.get(c.type, 3), c.event_id)):
            at = change.time_us
            if change.type == LOGIN:
                if current is not None:
                    sessions.append(current.close(at, "next-login"))
                current = _Open(at, "login", change.session_id)
                current.enter(change.state or UNKNOWN, change.reason_code if change.state else None, at)
            elif change.type == STATE:
                if current is None:
                    current = _Open(at, "state-change", change.session_id)
                elif current.session_id is None:
                    current.session_id = change.session_id
                current.enter(change.state or UNKNOWN, change.reason_code, at)
            elif change.type == LOGOUT and current is not None:
                sessions.append(current.close(at, "logout"))
                current = None
    if current is not None:
        sessions.append(current.close(None, "open"))
    later = bool(groups) and groups[-1][0].time_us >= end_us
    return [clip(session, start_us, end_us, later) for session in sessions if _overlaps(session, start_us, end_us)]


def _by_instant(changes: Iterable[StateChange]) -> list[list[StateChange]]:
    ordered = sorted(changes, key=lambda c: c.time_us)
    groups: list[list[StateChange]] = []
    for change in ordered:
        if groups and groups[-1][0].time_us == change.time_us:
            groups[-1].append(change)
        else:
            groups.append([change])
    return groups


def _overlaps(session: AgentSession | StatePeriod, start_us: int, end_us: int) -> bool:
    """Whether it lies in [start_us, end_us): it begins there, or it began before and ends after start_us."""
    if session.start_us >= end_us:
        return False
    return session.start_us >= start_us or session.end_us is None or session.end_us > start_us


def clip(session: AgentSession, start_us: int, end_us: int, later: bool = False) -> AgentSession:
    """The session as far as it lies in [start_us, end_us) (it overlaps it); `later`: the agent has events from
    `end_us` on (so a session open at the last of them goes on after the window)."""
    started_by = "before-window" if session.start_us < start_us else session.started_by
    ended_by, end = session.ended_by, session.end_us
    if (end is None and later) or (end is not None and end > end_us):
        ended_by, end = "after-window", end_us
    periods = tuple(
        StatePeriod(
            p.state,
            p.reason_code,
            max(p.start_us, start_us),
            end if p.end_us is None else min(p.end_us, end_us),
        )
        for p in session.states
        if _overlaps(p, start_us, end_us)
    )
    return AgentSession(max(session.start_us, start_us), end, started_by, ended_by, session.session_id, periods)
