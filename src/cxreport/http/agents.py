"""Route: an agent's state events (login, logout, presence) in a window, with the sessions they make."""

from __future__ import annotations

from typing import Annotated, Any

import msgspec
from litestar import Request, Response, get
from litestar.datastructures import State
from litestar.openapi.datastructures import ResponseSpec
from litestar.params import PathParameter, QueryParameter

from cxreport.errors import InvalidParameter
from cxreport.http import bodies
from cxreport.http import query as q
from cxreport.http.auth import require_role
from cxreport.http.errors import ERRORS, ErrorBody
from cxreport.http.interactions import JSON
from cxreport.http.paths import TenantId
from cxreport.http.schemas import ResolvedWindow
from cxreport.http.search_query import time_parameter
from cxreport.http.threads import in_thread
from cxreport.service import agents as service
from cxreport.store.base import MAX_INSTANT, MIN_INSTANT, Window

AgentId = Annotated[
    str,
    PathParameter(
        description="The agent's id, as its events carry it (1 to 200 characters).",
        schema_extra={"pattern": r"^[^\x00]*\S[^\x00]*$", "maxLength": service.MAX_AGENT_ID},
    ),
]
Limit = Annotated[
    int | None,
    QueryParameter(
        description=f"Events per page, default {service.DEFAULT_LIMIT} (0: only the sessions).",
        schema_extra={"minimum": 0, "maximum": service.MAX_LIMIT},
    ),
]
PARAMETERS = frozenset({"start", "end", "limit", "cursor"})


class StatePeriodBody(msgspec.Struct):
    state: str
    """ready, not-ready, or unknown (after a login that did not say, until the first change)."""
    reasonCode: str | None
    start: str
    end: str | None
    """null while the agent is still in it (its session is open)."""


class AgentSessionBody(msgspec.Struct):
    """One session (login → logout) as far as it lies in the window."""

    sessionId: str | None
    start: str
    """The login, or the window's start when the session began before it."""
    end: str | None
    """The logout, the next login when the logout is missing, or the window's end when the session goes on after
    it; null when the session is open."""
    startedBy: str
    """login; state-change (no login: a presence change opened it); before-window."""
    endedBy: str
    """logout; next-login (the logout is missing: closed at the next login); after-window; open (no logout, no
    later event)."""
    states: list[StatePeriodBody]


class AgentStateEvents(msgspec.Struct):
    """A page of an agent's state events, and its sessions in the whole window. Clients must tolerate keys
    added in later versions."""

    tenantId: str
    agentId: str
    window: ResolvedWindow
    limit: int
    results: list[dict[str, object]]
    """The stored events, as sent (insignificant whitespace removed), in time order (ties: eventId)."""
    sessions: list[AgentSessionBody]
    next: str | None
    nextUrl: str | None


@get(
    "/v1/tenants/{tenantId:str}/agents/{agentId:str}/state-events",
    guards=[require_role],
    opt={"role": "read"},
    operation_id="getAgentStateEvents",
    summary="An agent's state events (login, logout, presence) in a window, with its sessions",
    description=(
        "The agent's stored agent-state events whose timestamp is in the half-open window [start, end), oldest "
        "first (ties: eventId), `limit` a page; a page with more after it carries `next` and `nextUrl`. "
        "`sessions`: the agent's sessions in the whole window (on every page), made from its events in the window "
        "and at the instants next to it: login → logout with the presence periods inside, clipped to the window; a "
        "missing logout is closed at the next login (`endedBy` next-login) or left open (`endedBy` open)."
    ),
    responses={
        200: ResponseSpec(generate_examples=False, data_container=AgentStateEvents, description="A page of events"),
        **ERRORS,
        404: ResponseSpec(generate_examples=False, data_container=ErrorBody, description="No such tenant."),
    },
    tags=["agents"],
)
async def agent_state_events(
    request: Request[Any, Any, Any],
    state: State,
    tenantId: TenantId,
    agentId: AgentId,
    start: q.Time = None,
    end: q.Time = None,
    limit: Limit = None,
    cursor: q.Cursor = None,
) -> Response[bytes]:
    q.raw_params(request, PARAMETERS)
    checked = service.AgentEventsRequest(
        agentId, _window(start, end), service.DEFAULT_LIMIT if limit is None else limit, cursor
    )
    result = await in_thread(service.agent_state_events, state.store, tenantId, checked, state.cursors)
    return Response(bodies.agent_events_envelope(result, q.next_url_for(request)), media_type=JSON)


def _window(start: str | None, end: str | None) -> Window:
    start_us, end_us = time_parameter(start, "start"), time_parameter(end, "end")
    if start_us is not None and end_us is not None and start_us > end_us:
        raise InvalidParameter(f"start ({start}) is after end ({end})", parameter="start")
    return Window(MIN_INSTANT if start_us is None else start_us, MAX_INSTANT if end_us is None else end_us)
