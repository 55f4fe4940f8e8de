"""An agent's state events → its sessions and presence periods (`metrics.agent_states`), on its own: logins,
logouts, presence changes, a missing logout closed at the next login or left open, a missing login, events at
one instant, and clipping to a window."""

from __future__ import annotations

import itertools
import random

from hypothesis import given
from hypothesis import strategies as st

from cxreport.metrics import AgentSession, StatePeriod, agent_sessions
from cxreport.store.base import StoredAgentEvent

LOGIN, STATE, LOGOUT = "agent-logged-in", "agent-state-changed", "agent-logged-out"


def at(minute: int, kind: str, state: str | None = None, reason: str | None = None, *, event_id: str = "",
       session: str | None = None) -> StoredAgentEvent:
    return StoredAgentEvent("agent-7", event_id or f"e-{minute:04d}-{kind}", minute, kind, state, reason, session)


def period(state: str, start: int, end: int | None, reason: str | None = None) -> StatePeriod:
    return StatePeriod(state, reason, start, end)


def test_a_session_with_presence_changes_inside() -> None:
    events = [
        at(0, LOGIN, session="s-1"),
        at(5, STATE, "ready"),
        at(60, STATE, "not-ready", "lunch"),
        at(90, STATE, "ready"),
        at(95, STATE, "ready"),  # the presence it is in already: no new period
        at(120, LOGOUT),
    ]
    assert agent_sessions(events) == [
        AgentSession(0, 120, "login", "logout", "s-1", (
            period("unknown", 0, 5), period("ready", 5, 60), period("not-ready", 60, 90, "lunch"),
            period("ready", 90, 120),
        )),
    ]


def test_a_login_may_say_the_presence_it_starts_in() -> None:
    assert agent_sessions([at(0, LOGIN, "not-ready", "login"), at(10, STATE, "ready"), at(20, LOGOUT)]) == [
        AgentSession(0, 20, "login", "logout", None, (period("not-ready", 0, 10, "login"), period("ready", 10, 20))),
    ]


def test_a_missing_logout_is_closed_at_the_next_login_or_left_open() -> None:
    events = [at(0, LOGIN, "ready"), at(30, LOGIN, "ready", session="s-2"), at(40, STATE, "not-ready", "training")]
    assert agent_sessions(events) == [
        AgentSession(0, 30, "login", "next-login", None, (period("ready", 0, 30),)),
        AgentSession(30, None, "login", "open", "s-2", (period("ready", 30, 40),
                                                        period("not-ready", 40, None, "training"))),
    ]


def test_a_presence_change_without_a_login_opens_a_session_and_a_stray_logout_changes_nothing() -> None:
    events = [at(0, LOGOUT), at(10, STATE, "ready", session="s-9"), at(20, LOGOUT), at(25, LOGOUT)]
    assert agent_sessions(events) == [AgentSession(10, 20, "state-change", "logout", "s-9", (period("ready", 10, 20),))]


def test_the_order_events_arrive_in_does_not_matter() -> None:
    events = [at(0, LOGIN), at(5, STATE, "ready"), at(60, STATE, "not-ready", "lunch"), at(90, LOGOUT),
              at(100, LOGIN), at(130, LOGOUT)]
    expected = agent_sessions(events)
    for seed in range(5):
        shuffled = list(events)
        random.Random(seed).shuffle(shuffled)
        assert agent_sessions(shuffled) == expected


def test_events_at_one_instant() -> None:
    """A pause and a logoff in one second end the session; a logoff and a new login end it and start a new one;
    a login and a presence change start the session in that presence, open session before or not."""
    pause_then_logoff = [at(0, LOGIN, "ready"), at(10, LOGOUT, event_id="a"), at(10, STATE, "not-ready", event_id="b")]
    assert agent_sessions(pause_then_logoff) == [
        AgentSession(0, 10, "login", "logout", None, (period("ready", 0, 10),)),
    ]
    relogin = [at(0, LOGIN, "ready"), at(10, LOGIN, "ready", event_id="a"), at(10, LOGOUT, event_id="b")]
    assert agent_sessions(relogin) == [
        AgentSession(0, 10, "login", "logout", None, (period("ready", 0, 10),)),
        AgentSession(10, None, "login", "open", None, (period("ready", 10, None),)),
    ]
    login_ready = [at(0, STATE, "ready", event_id="a"), at(0, LOGIN, event_id="b")]
    assert agent_sessions(login_ready) == [AgentSession(0, None, "login", "open", None, (period("ready", 0, None),))]
    missing_logout = [at(0, LOGIN, "not-ready"), at(10, STATE, "ready", event_id="a"), at(10, LOGIN, event_id="b")]
    assert agent_sessions(missing_logout) == [
        AgentSession(0, 10, "login", "next-login", None, (period("not-ready", 0, 10),)),
        AgentSession(10, None, "login", "open", None, (period("ready", 10, None),)),
    ]


def test_clipped_to_a_window() -> None:
    """The caller gives the events at the last instant before the window and at the first from its end on: a
    session open at the start starts there (`before-window`), one going on after the end ends there
    (`after-window`); sessions over before the window, or starting at its end, are left out."""
    events = [at(0, LOGIN), at(5, LOGOUT), at(10, LOGIN, "ready"), at(20, STATE, "not-ready", "lunch"),
              at(50, STATE, "ready"), at(70, LOGOUT)]
    assert agent_sessions(events, 30, 60) == [
        AgentSession(30, 60, "before-window", "after-window", None, (period("not-ready", 30, 50, "lunch"),
                                                                     period("ready", 50, 60))),
    ]
    assert agent_sessions(events, 30, 70) == [
        AgentSession(30, 70, "before-window", "logout", None, (period("not-ready", 30, 50, "lunch"),
                                                               period("ready", 50, 70))),
    ]
    assert agent_sessions(events, 5, 6) == []
    assert agent_sessions(events, 70, 80) == []
    assert agent_sessions(events, 0, 10) == [AgentSession(0, 5, "login", "logout", None, (period("unknown", 0, 5),))]
    paused = [at(20, STATE, "not-ready", "lunch")]
    assert agent_sessions(paused, 30, 60) == [
        AgentSession(30, None, "before-window", "open", None, (period("not-ready", 30, None, "lunch"),)),
    ]
    for later in (at(60, STATE, "ready"), at(65, LOGIN)):
        assert agent_sessions([*paused, later], 30, 60) == [
            AgentSession(30, 60, "before-window", "after-window", None, (period("not-ready", 30, 60, "lunch"),)),
        ]


KINDS = st.sampled_from([LOGIN, STATE, LOGOUT])


@given(st.lists(st.tuples(st.integers(0, 50), KINDS, st.sampled_from(["ready", "not-ready"])), max_size=30))
def test_sessions_never_overlap_and_their_periods_tile_them(raw: list[tuple[int, str, str]]) -> None:
    events = [at(minute, kind, state if kind != LOGOUT else None, event_id=f"e{i}")
              for i, (minute, kind, state) in enumerate(raw)]
    sessions = agent_sessions(events)
    for before, after in itertools.pairwise(sessions):
        assert before.end_us is not None and before.end_us <= after.start_us
    for session in sessions[:-1]:
        assert session.ended_by != "open"
    for session in sessions:
        assert session.states and session.states[0].start_us == session.start_us
        assert session.states[-1].end_us == session.end_us
        for first, second in itertools.pairwise(session.states):
            assert first.end_us == second.start_us and (first.state, first.reason_code) != (
                second.state, second.reason_code)
    assert sum(1 for kind in (e.type for e in events) if kind == LOGIN) >= sum(
        1 for s in sessions if s.started_by == "login")
