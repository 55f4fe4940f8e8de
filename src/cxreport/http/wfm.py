"""Route: WFM intervals in the original API's shape (`GET /v1/tenants/{tenantId}/wfm/intervals/{entity}`)."""

from __future__ import annotations

from typing import Annotated, Any

import msgspec
from litestar import Request, Response, get
from litestar.datastructures import State
from litestar.openapi.datastructures import ResponseSpec
from litestar.params import PathParameter, QueryParameter

from cxreport.errors import InvalidParameter
from cxreport.http import query as q
from cxreport.http.auth import require_role
from cxreport.http.errors import ERRORS
from cxreport.http.paths import TenantId
from cxreport.http.schemas import WfmEnvelope
from cxreport.http.search_query import paged
from cxreport.http.threads import in_read_slot
from cxreport.service import wfm as service
from cxreport.service.search import SearchRequest
from cxreport.times import TimeFormatError, format_instant, parse_instant

JSON = "application/json"
PARAMETERS = q.PAGING | q.NULLS | {"start", "end"}

Entity = Annotated[
    str,
    PathParameter(
        description="Rows per queue, per agent (who answered), or per agent and queue.",
        enum=list(service.ENTITIES),
    ),
]
Limit = Annotated[
    int | None,
    QueryParameter(description="Intervals per page, default 10.", schema_extra={"minimum": 0, "maximum": 1000}),
]
IncludeNulls = Annotated[
    bool | None, QueryParameter(description="Keep null-valued figures in intervals (default: left out).")
]
Instant = Annotated[
    str, QueryParameter(description=f"{q.TIME_HELP} On a 15-minute boundary.", format="date-time")
]


@get(
    "/v1/tenants/{tenantId:str}/wfm/intervals/{entity:str}",
    guards=[require_role],
    opt={"role": "read"},
    operation_id="wfmIntervals",
    summary="15-minute interval figures per queue, agent or agent and queue, in the original API's shape",
    description=(
        "The interval statistics of [start, end) in 15-minute UTC buckets, each figure under the original "
        "API's name (the same figures as `/statistics?interval=15m&timezone=UTC` grouped alike). `start` and "
        "`end` on 15-minute boundaries, at most 7 days apart, `end` at least 10 minutes ago. Only intervals "
        "holding a queue entry are rows, by interval then entity; page with limit and page or offset. Null "
        "figures are left out unless `includenulls=true`."
    ),
    responses={
        200: ResponseSpec(generate_examples=False, data_container=WfmEnvelope, description="A page of intervals"),
        **ERRORS,
    },
    tags=["statistics"],
)
async def wfm_intervals(
    request: Request[Any, Any, Any],
    state: State,
    tenantId: TenantId,
    entity: Entity,
    start: Instant,
    end: Instant,
    limit: Limit = None,
    page: q.PageNumber = None,
    offset: q.Offset = None,
    includenulls: IncludeNulls = None,
    includeNulls: IncludeNulls = None,
) -> Response[bytes]:
    q.raw_params(request, PARAMETERS)
    service.check_entity(entity)
    window = paged(SearchRequest(), limit, page, offset)
    asked = service.WfmRequest(entity, _instant("start", start), _instant("end", end), window.limit, window.offset)
    found = await in_read_slot(tenantId, service.wfm_intervals, state.store, tenantId, asked)
    return Response(envelope(found, window.page, bool(includenulls or includeNulls)), media_type=JSON)


def _instant(parameter: str, text: str) -> int:
    try:
        return parse_instant(text)
    except TimeFormatError as error:
        raise InvalidParameter(f"{parameter}: {error}", parameter=parameter) from None


def envelope(found: service.WfmPage, page: int | None, include_nulls: bool) -> bytes:
    """The search's envelope (page, limit, offset, tenantId, total, tenantName, tenantTimezone, results), then
    what the intervals cover."""
    asked = found.request
    results = found.results if include_nulls else [
        {name: value for name, value in row.items() if value is not None} for row in found.results
    ]
    return msgspec.json.encode(
        {
            "page": page,
            "limit": asked.limit,
            "offset": asked.offset,
            "tenantId": found.tenant_id,
            "total": found.total,
            "tenantName": found.tenant_name,
            "tenantTimezone": found.tenant_timezone,
            "results": results,
            "entity": asked.entity,
            "start": format_instant(asked.start_us),
            "end": format_instant(asked.end_us),
            "interval": "15m",
        }
    )
