"""Routes: search, get and ingest interaction records."""

from __future__ import annotations

from dataclasses import replace
from typing import Annotated, Any

from litestar import Request, Response, get, post
from litestar.datastructures import State
from litestar.di import NamedDependency
from litestar.openapi.datastructures import ResponseSpec
from litestar.params import QueryParameter, RawBody
from litestar.response import Stream

from cxreport.http import bodies
from cxreport.http import query as q
from cxreport.http.auth import require_role
from cxreport.http.errors import BODY_ERRORS, ERRORS, ErrorBody
from cxreport.http.openapi import RECORDS_BODY, ExportOperation, with_body
from cxreport.http.paths import ContactId, InteractionId, TenantId
from cxreport.http.schemas import IngestResult, InteractionWithDetails, SearchEnvelope
from cxreport.http.search_query import SearchQuery, paged
from cxreport.http.threads import in_thread, iterate_in_threadpool
from cxreport.http.writes import in_write_thread
from cxreport.service import interactions as service
from cxreport.service.export import FORMATS
from cxreport.service.search import SearchRequest

JSON = "application/json"
IncludeNulls = q.IncludeNulls


@get(
    "/v1/tenants/{tenantId:str}/interactions",
    guards=[require_role],
    opt={"role": "read"},
    operation_id="searchInteractions",
    dependencies=q.QUERY,
    summary="Search interactions",
    description=(
        "Interactions whose time (`timeField`, default startTimestamp) is in the half-open window [start, end), "
        "newest first (`sort=asc`: oldest first; ties broken by interactionId in the same direction), filtered. "
        "Either bound may be absent. Page by `cursor` (each page with more after it carries `next` and "
        "`nextUrl`), or by page/offset (slower when deep)."
    ),
    responses={
        200: ResponseSpec(generate_examples=False, data_container=SearchEnvelope, description="A page of records"),
        **ERRORS,
    },
    tags=["interactions"],
)
async def search_interactions(
    request: Request[Any, Any, Any],
    state: State,
    tenantId: TenantId,
    search: NamedDependency[SearchQuery],
    limit: q.Limit = None,
    page: q.PageNumber = None,
    offset: q.Offset = None,
    cursor: q.Cursor = None,
) -> Response[bytes]:
    q.raw_params(request, q.SEARCH_PARAMETERS)
    checked = replace(paged(search.checked(), limit, page, offset, cursor), max_bytes=state.settings.max_page_bytes)
    result = await in_thread(service.search, state.store, tenantId, checked, state.cursors)
    return Response(bodies.search_envelope(result, q.next_url_for(request)), media_type=JSON)


@get(
    "/v1/tenants/{tenantId:str}/interactions/export",
    guards=[require_role],
    opt={"role": "read"},
    operation_id="exportInteractions",
    operation_class=ExportOperation,
    dependencies=q.QUERY,
    summary="Export every matching interaction (NDJSON or CSV), streamed",
    description=(
        "The same window and filters as the search, every match, no page limit, in order, streamed in "
        "constant memory. NDJSON: one stored record per line. CSV: one row per interaction, the columns listed "
        "in the docs."
    ),
    responses={
        200: ResponseSpec(generate_examples=False, data_container=str, description="NDJSON or CSV"),
        **ERRORS,
    },
    tags=["interactions"],
)
async def export_interactions(
    request: Request[Any, Any, Any],
    state: State,
    tenantId: TenantId,
    search: NamedDependency[SearchQuery],
    format: Annotated[str | None, QueryParameter(description="ndjson (default) or csv", enum=["ndjson", "csv"])] = None,
) -> Stream:
    q.raw_params(request, q.EXPORT_PARAMETERS)
    chosen = "ndjson" if format is None else format
    chunks = await in_thread(service.export, state.store, tenantId, search.checked(), chosen)
    return Stream(iterate_in_threadpool(tenantId, (chunk.data for chunk in chunks)), media_type=FORMATS[chosen])


@get(
    "/v1/tenants/{tenantId:str}/contacts/{contactId:str}/interactions",
    guards=[require_role],
    opt={"role": "read"},
    operation_id="contactInteractions",
    summary="A contact's latest interactions, newest first (at most 100 a page)",
    responses={
        200: ResponseSpec(generate_examples=False, data_container=SearchEnvelope, description="A page of records"),
        **ERRORS,
    },
    tags=["interactions"],
)
async def contact_interactions(
    request: Request[Any, Any, Any],
    state: State,
    tenantId: TenantId,
    contactId: ContactId,
    limit: q.ContactLimit = None,
    page: q.PageNumber = None,
    offset: q.Offset = None,
    includenulls: q.IncludeNulls = None,
    includeNulls: q.IncludeNulls = None,
) -> Response[bytes]:
    q.raw_params(request, q.CONTACT_PARAMETERS)
    whole = SearchRequest(include_nulls=bool(includenulls or includeNulls), max_bytes=state.settings.max_page_bytes)
    checked = paged(whole, limit, page, offset, max_limit=service.CONTACT_MAX_LIMIT)
    result = await in_thread(service.contact_history, state.store, tenantId, contactId, checked)
    return Response(bodies.search_envelope(result), media_type=JSON)


@get(
    "/v1/tenants/{tenantId:str}/interactions/{interactionId:str}",
    guards=[require_role],
    opt={"role": "read"},
    operation_id="getInteraction",
    summary="Get one interaction, with its details",
    responses={
        200: ResponseSpec(
            generate_examples=False, data_container=InteractionWithDetails, description="The record plus `details`"
        ),
        **ERRORS,
        404: ResponseSpec(
            generate_examples=False, data_container=ErrorBody, description="No such interaction in this tenant."
        ),
    },
    tags=["interactions"],
)
async def get_interaction(
    request: Request[Any, Any, Any],
    state: State,
    tenantId: TenantId,
    interactionId: InteractionId,
    includenulls: IncludeNulls = None,
    includeNulls: IncludeNulls = None,
) -> Response[bytes]:
    q.raw_params(request, q.NULLS)
    include_nulls = bool(includenulls or includeNulls)
    doc = await in_thread(service.get_interaction, state.store, tenantId, interactionId, include_nulls)
    return Response(bodies.with_details(doc), media_type=JSON)


@post(
    "/v1/tenants/{tenantId:str}/interactions",
    guards=[require_role],
    opt={"role": "ingest"},
    status_code=200,
    operation_id="ingestInteractions",
    operation_class=with_body(RECORDS_BODY),
    summary="Ingest interaction records",
    description=(
        "One record, a JSON array of records, or a seed-shaped envelope (`results`). Upserted by "
        "interactionId; all or nothing: one invalid record rejects the whole request (400, with every "
        "rejected record's position and reason in `errors`)."
    ),
    responses={
        200: ResponseSpec(generate_examples=False, data_container=IngestResult, description="Counts of what changed"),
        **BODY_ERRORS,
    },
    tags=["interactions"],
)
async def ingest_interactions(state: State, tenantId: TenantId, body: RawBody) -> Response[bytes]:
    counts = await in_write_thread(state, service.ingest, state.store, tenantId, body)
    return Response(bodies.upsert_counts(counts), media_type=JSON)
