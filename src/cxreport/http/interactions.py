"""Routes: search, get and ingest interaction records."""

from __future__ import annotations

from typing import Annotated

from litestar import Response, get, post
from litestar.datastructures import State
from litestar.openapi.datastructures import ResponseSpec
from litestar.openapi.spec import Example
from litestar.params import FromPath, QueryParameter, RawBody

from cxreport import service
from cxreport.http.auth import require_role
from cxreport.http.errors import ErrorBody
from cxreport.http.openapi import RECORDS_BODY, with_body
from cxreport.http.schemas import IngestResult, InteractionWithDetails, SearchEnvelope
from cxreport.http.threads import in_thread
from cxreport.search import SearchParameters

JSON = "application/json"
TIME_HELP = (
    "ISO 8601, in UTC unless it names an offset: `2017-12-29T14:00:00.000Z`, `2018-09-06T12:00Z`, "
    "`2018-09-06T12:30` (UTC), `2017-12-29T24:00:00.000Z` (end of that day)."
)
ERRORS = {
    status: ResponseSpec(generate_examples=False, data_container=ErrorBody, description=description)
    for status, description in {
        400: "A parameter or the body is invalid; `parameter` names it.",
        401: "No credentials, or wrong ones.",
        403: "The key may not do this, or not on this tenant.",
    }.items()
}

Time = Annotated[
    str | None, QueryParameter(description=TIME_HELP, examples=[Example(value="2017-12-29T14:00:00.000Z")])
]
IncludeNulls = Annotated[
    bool | None, QueryParameter(description="Keep null-valued fields in records (default: left out).")
]


@get(
    "/v1/tenants/{tenantId:str}/interactions",
    guards=[require_role],
    opt={"role": "read"},
    operation_id="searchInteractions",
    summary="Search interactions by start time",
    description=(
        "Interactions whose `startTimestamp` is in the half-open window [start, end), newest first "
        "(ties: interactionId, descending). Either bound may be absent."
    ),
    responses={
        200: ResponseSpec(generate_examples=False, data_container=SearchEnvelope, description="A page of records"),
        **ERRORS,
    },
    tags=["interactions"],
)
async def search_interactions(
    state: State,
    tenantId: FromPath[str],
    startTimeRange: Time = None,
    endTimeRange: Time = None,
    start: Annotated[str | None, QueryParameter(description="Alias of startTimeRange.")] = None,
    end: Annotated[str | None, QueryParameter(description="Alias of endTimeRange.")] = None,
    limit: Annotated[int | None, QueryParameter(description="Records per page: 0–1000, default 10.")] = None,
    page: Annotated[int | None, QueryParameter(description="0-based page number; offset = page × limit.")] = None,
    offset: Annotated[int | None, QueryParameter(description="Records to skip (instead of page).")] = None,
    includenulls: IncludeNulls = None,
    includeNulls: IncludeNulls = None,
) -> Response[bytes]:
    params = SearchParameters(
        start=service.one_of("startTimeRange", startTimeRange, "start", start),
        start_name="start" if start is not None else "startTimeRange",
        end=service.one_of("endTimeRange", endTimeRange, "end", end),
        end_name="end" if end is not None else "endTimeRange",
        limit=limit,
        page=page,
        offset=offset,
        include_nulls=bool(includenulls or includeNulls),
    )
    return Response(await in_thread(service.search, state.store, tenantId, params), media_type=JSON)


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
        404: ResponseSpec(
            generate_examples=False, data_container=ErrorBody, description="No such interaction in this tenant."
        ),
        **ERRORS,
    },
    tags=["interactions"],
)
async def get_interaction(
    state: State,
    tenantId: FromPath[str],
    interactionId: FromPath[str],
    includenulls: IncludeNulls = None,
    includeNulls: IncludeNulls = None,
) -> Response[bytes]:
    include_nulls = bool(includenulls or includeNulls)
    body = await in_thread(service.get_interaction, state.store, tenantId, interactionId, include_nulls)
    return Response(body, media_type=JSON)


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
        413: ResponseSpec(
            generate_examples=False, data_container=ErrorBody, description="The body is over the size limit."
        ),
        **ERRORS,
    },
    tags=["interactions"],
)
async def ingest_interactions(state: State, tenantId: FromPath[str], body: RawBody) -> Response[bytes]:
    return Response(await in_thread(service.ingest, state.store, tenantId, body), media_type=JSON)
