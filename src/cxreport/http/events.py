"""Routes: ingest contact-center events; read an interaction's stored events."""

from __future__ import annotations

from typing import Annotated, Any

from litestar import Request, Response, get, post
from litestar.datastructures import State
from litestar.openapi.datastructures import ResponseSpec
from litestar.params import QueryParameter, RawBody

from cxreport.http import bodies
from cxreport.http import query as q
from cxreport.http.auth import require_role
from cxreport.http.errors import BODY_ERRORS, ERRORS, ErrorBody
from cxreport.http.interactions import JSON
from cxreport.http.openapi import EVENTS_BODY, with_body
from cxreport.http.paths import InteractionId, TenantId
from cxreport.http.schemas import EventIngestResult, ReportingEvents
from cxreport.http.threads import in_thread
from cxreport.http.writes import in_write_thread
from cxreport.service import interactions as service

EventsLimit = Annotated[
    int | None,
    QueryParameter(
        description="Events per page (1-1000); without it, every event in one answer.",
        schema_extra={"minimum": 1, "maximum": 1000},
    ),
]

@post(
    "/v1/tenants/{tenantId:str}/events",
    guards=[require_role],
    opt={"role": "ingest"},
    status_code=200,
    operation_id="ingestEvents",
    operation_class=with_body(EVENTS_BODY),
    summary="Ingest contact-center events",
    description=(
        "One event, a JSON array of events, or NDJSON (`application/x-ndjson`). All or nothing: one malformed "
        "event rejects the request (400, with every rejected event's position, line and reason in `errors`). "
        "An event whose interactionId and eventId the tenant has already is a duplicate and changes nothing. "
        "The records of the interactions "
        "that got new events are derived again from all their events and stored."
    ),
    responses={
        200: ResponseSpec(generate_examples=False, data_container=EventIngestResult, description="Counts"),
        **BODY_ERRORS,
        409: ResponseSpec(
            generate_examples=False, data_container=ErrorBody,
            description="An interaction would hold too many events (CXREPORT_MAX_EVENTS_PER_INTERACTION).",
        ),
    },
    tags=["events"],
)
async def ingest_events(state: State, tenantId: TenantId, body: RawBody) -> Response[bytes]:
    cap = state.settings.max_events_per_interaction
    counts = await in_write_thread(state, service.ingest_events, state.store, tenantId, body, cap)
    return Response(bodies.event_counts(counts), media_type=JSON)


@get(
    "/v1/tenants/{tenantId:str}/interactions/{interactionId:str}/reporting-events",
    guards=[require_role],
    opt={"role": "read"},
    operation_id="getReportingEvents",
    summary="An interaction's stored events, in time order",
    description=(
        "Without `limit`, every event (at most CXREPORT_MAX_EVENTS_PER_INTERACTION) in one answer. With `limit`, "
        "a page: `next` and `nextUrl` continue it (the cursor counts the events before it, signed for this "
        "interaction)."
    ),
    responses={
        200: ResponseSpec(generate_examples=False, data_container=ReportingEvents, description="The events"),
        **ERRORS,
        404: ResponseSpec(
            generate_examples=False, data_container=ErrorBody, description="No events of this interaction."
        ),
    },
    tags=["events"],
)
async def reporting_events(
    request: Request[Any, Any, Any],
    state: State,
    tenantId: TenantId,
    interactionId: InteractionId,
    limit: EventsLimit = None,
    cursor: q.Cursor = None,
) -> Response[bytes]:
    q.raw_params(request, frozenset({"limit", "cursor"}))
    page = await in_thread(
        service.reporting_events_page, state.store, tenantId, interactionId, limit, cursor, state.cursors
    )
    paging: dict[str, object] | None = None
    if page.limit is not None:
        next_url = q.next_url_for(request)
        paging = {"limit": page.limit, "next": page.next_cursor,
                  "nextUrl": next_url(page.next_cursor) if page.next_cursor else None}
    return Response(bodies.events_envelope(page.tenant, page.interaction_id, page.docs, paging), media_type=JSON)

