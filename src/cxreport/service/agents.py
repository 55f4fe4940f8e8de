"""An agent's state events (login, logout, presence) in a window, a page at a time, with the sessions they make
(`metrics.agent_states`): typed values in, values out. The events' text is never decoded on this path; the
sessions are made from the stored columns."""

from __future__ import annotations

from dataclasses import dataclass, field

from cxreport.errors import InvalidParameter
from cxreport.metrics import AgentSession, agent_sessions
from cxreport.service.cursors import CursorCodec, fingerprint
from cxreport.service.interactions import tenant_or_404
from cxreport.store.base import Store, Tenant, Window

DEFAULT_LIMIT = 100
MAX_LIMIT = 1000
MAX_AGENT_ID = 200


@dataclass(frozen=True, slots=True)
class AgentEventsRequest:
    agent_id: str
    window: Window = field(default_factory=Window)
    limit: int = DEFAULT_LIMIT
    cursor: str | None = None
    """The `next` of a previous page: continue after it."""


@dataclass(frozen=True, slots=True)
class AgentEventsResult:
    tenant: Tenant
    request: AgentEventsRequest
    docs: list[bytes]
    """The page's events, each its stored JSON text, in time order (ties: eventId)."""
    sessions: list[AgentSession]
    """The agent's sessions in the whole window (not only this page's)."""
    next_cursor: str | None


def agent_id_or_400(agent_id: str) -> str:
    """An agentId as events carry it: 1 to 200 characters, not blank, no NUL."""
    if not agent_id.strip():
        raise InvalidParameter("agentId must not be empty", parameter="agentId")
    if len(agent_id) > MAX_AGENT_ID:
        raise InvalidParameter(f"agentId is longer than {MAX_AGENT_ID} characters", parameter="agentId")
    if "\x00" in agent_id:
        raise InvalidParameter("agentId holds a NUL character", parameter="agentId")
    return agent_id


def agent_state_events(
    store: Store, tenant_id: str, request: AgentEventsRequest, cursors: CursorCodec
) -> AgentEventsResult:
    """One page of the agent's state events in the window, the cursor to the next, and the window's sessions."""
    agent_id = agent_id_or_400(request.agent_id)
    if not 0 <= request.limit <= MAX_LIMIT:
        raise InvalidParameter(f"limit must be between 0 and {MAX_LIMIT}, got {request.limit}", parameter="limit")
    tenant = tenant_or_404(store, tenant_id)
    window = request.window
    digest = fingerprint("agent-state-events", tenant.id, agent_id, window.start_us, window.end_us)
    after = None if request.cursor is None else cursors.decode(request.cursor, tenant.id, digest)
    docs: list[bytes] = []
    next_cursor = None
    if request.limit:
        events = store.agent_events(tenant.id, agent_id, window, after, request.limit + 1)
        page = events[: request.limit]
        docs = [event.doc for event in page]
        if len(events) > request.limit:
            next_cursor = cursors.encode(tenant.id, digest, (page[-1].time_us, page[-1].event_id))
    changes = store.agent_state_changes(tenant.id, agent_id, window)
    sessions = agent_sessions(changes, window.start_us, window.end_us)
    return AgentEventsResult(tenant, request, docs, sessions, next_cursor)
