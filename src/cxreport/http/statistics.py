"""Routes: interval statistics of queue entries (`GET /v1/tenants/{tenantId}/statistics`) and of agents
(`GET /v1/tenants/{tenantId}/agent-statistics`), as JSON or CSV."""

from __future__ import annotations

import csv
import io
import math
from typing import Annotated, Any
from urllib.parse import urlencode

import msgspec
from litestar import Request, Response, get
from litestar.datastructures import State
from litestar.di import NamedDependency, Provide
from litestar.openapi.datastructures import ResponseSpec
from litestar.params import QueryParameter

from cxreport.errors import InvalidParameter
from cxreport.http import query as q
from cxreport.http.auth import require_role
from cxreport.http.errors import ERRORS
from cxreport.http.paths import TenantId
from cxreport.http.search_query import time_parameter
from cxreport.http.threads import in_read_slot
from cxreport.records.csv import neutralised
from cxreport.records.facets import FILTER_PARAMETERS
from cxreport.records.filters import Filter, values_of
from cxreport.service import agent_statistics as agent_service
from cxreport.service import statistics as service
from cxreport.service.intervals import INTERVALS, WEEKDAYS, weekday_named
from cxreport.times import format_instant

JSON = "application/json"
CSV = "text/csv; charset=utf-8"
MAX_SLA_THRESHOLD = 86_400 * 365
PARAMETERS = frozenset(
    {"start", "end", "interval", "groupBy", "timezone", "weekStart", "slaThreshold", "format", "limit", "page",
     *FILTER_PARAMETERS}
)

Instant = Annotated[str, QueryParameter(description=f"{q.TIME_HELP} On a bucket boundary.", format="date-time")]
Interval = Annotated[str, QueryParameter(description="The bucket length.", enum=list(INTERVALS))]
GroupBy = Annotated[
    str | None,
    QueryParameter(
        description=f"Rows per value of these (comma-separated or repeated): {', '.join(service.GROUPS)}.",
    ),
]
Timezone = Annotated[str | None, QueryParameter(description="IANA time zone of the buckets; default the tenant's.")]
WeekStart = Annotated[
    str | None, QueryParameter(description="The day weeks start on (default monday).", enum=list(WEEKDAYS))
]
SlaThreshold = Annotated[
    str | None,
    QueryParameter(
        description="Seconds: count answeredWithinSla against this threshold instead of each entry's SLA (echoed).",
    ),
]
Format = Annotated[str | None, QueryParameter(description="json (default) or csv.", enum=["json", "csv"])]
RowLimit = Annotated[
    int | None,
    QueryParameter(
        description=f"Rows per page, at most {service.MAX_BUCKETS}; without it every row comes in one answer, "
        f"refused when there are more than {service.MAX_BUCKETS}.",
        schema_extra={"minimum": 0, "maximum": service.MAX_BUCKETS},
    ),
]
RowPage = Annotated[
    int | None,
    QueryParameter(description="0-based page of limit rows (with limit).", schema_extra={"minimum": 0}),
]


@get(
    "/v1/tenants/{tenantId:str}/statistics",
    guards=[require_role],
    opt={"role": "read"},
    operation_id="intervalStatistics",
    dependencies={"filters": Provide(q.provide_filters, sync_to_thread=False)},
    summary="Queue-entry figures per interval bucket of a time zone, optionally grouped",
    description=(
        "Every queue entry of [start, end) counts in the bucket of its queue entry time, whatever its outcome. "
        "Buckets are aligned in `timezone` (the tenant's by default): days are local calendar days (23 or 25 "
        "hours on DST days), weeks start on `weekStart`, months on the 1st. The filters are the search's and "
        "apply to the interaction an entry belongs to. Ratios come from the counts and sums of the same row."
    ),
    responses={
        200: ResponseSpec(generate_examples=False, data_container=dict[str, Any], description="Rows of figures"),
        **ERRORS,
    },
    tags=["statistics"],
)
async def interval_statistics(
    request: Request[Any, Any, Any],
    state: State,
    tenantId: TenantId,
    filters: NamedDependency[tuple[Filter, ...]],
    start: Instant,
    end: Instant,
    interval: Interval,
    groupBy: GroupBy = None,
    timezone: Timezone = None,
    weekStart: WeekStart = None,
    slaThreshold: SlaThreshold = None,
    format: Format = None,
    limit: RowLimit = None,
    page: RowPage = None,
) -> Response[bytes]:
    params = q.raw_params(request, PARAMETERS)
    if format not in (None, "json", "csv"):
        raise InvalidParameter("format must be json or csv", parameter="format")
    if page is not None and limit is None:
        raise InvalidParameter("page needs limit: the rows of a page", parameter="page")
    asked = service.StatisticsRequest(
        start_us=_required_time(start, "start"),
        end_us=_required_time(end, "end"),
        interval=interval,
        group_by=service.check_group_by(values_of("groupBy", params["groupBy"]) if "groupBy" in params else ()),
        timezone=timezone,
        week_start=weekday_named(weekStart),
        filters=filters,
        sla_threshold=_threshold(slaThreshold),
        limit=limit,
        page=page or 0,
    )
    table = await in_read_slot(tenantId, service.statistics, state.store, tenantId, asked)
    following = _next_page(request, table)
    headers = {"X-Total-Rows": str(table.total_rows)}
    if format == "csv":
        if following is not None:
            headers["Link"] = f'<{following}>; rel="next"'
        return Response(csv_body(table), media_type=CSV, headers=headers)
    return Response(json_body(table, following), media_type=JSON, headers=headers)


def _next_page(request: Request[Any, Any, Any], table: service.StatisticsTable) -> str | None:
    """The URL of the next page of a paged answer (the same query, page + 1), None on the last or unpaged."""
    asked = table.request
    if asked.limit is None or (asked.page + 1) * asked.limit >= table.total_rows:
        return None
    kept = [(k, v) for k, v in request.query_params.multi_items() if k != "page"]
    return f"{request.url.path}?{urlencode([*kept, ('page', str(asked.page + 1))])}"


def _required_time(text: str, parameter: str) -> int:
    instant = time_parameter(text, parameter)
    if instant is None:  # Litestar refuses a request without it first; kept for the type
        raise InvalidParameter(f"{parameter} is required", parameter=parameter)
    return instant


def _threshold(text: str | None) -> float | None:
    if text is None:
        return None
    try:
        value = float(text)
    except ValueError:
        value = math.nan
    if not 0 <= value <= MAX_SLA_THRESHOLD:
        raise InvalidParameter(
            f"slaThreshold must be a number of seconds from 0 to {MAX_SLA_THRESHOLD}, got {text!r}",
            parameter="slaThreshold",
        )
    return value


def json_body(table: service.StatisticsTable, next_url: str | None = None) -> bytes:
    asked = table.request
    return msgspec.json.encode(
        {
            "tenantId": table.tenant_id,
            "tenantName": table.tenant_name,
            "timezone": table.timezone,
            "interval": asked.interval,
            "start": format_instant(asked.start_us),
            "end": format_instant(asked.end_us),
            "weekStart": WEEKDAYS[asked.week_start],
            "groupBy": list(asked.group_by),
            "slaThreshold": asked.sla_threshold,
            "totalRows": table.total_rows,
            "page": None if asked.limit is None else asked.page,
            "limit": asked.limit,
            "nextUrl": next_url,
            "rows": table.rows,
        }
    )


def csv_body(table: service.StatisticsTable) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(table.columns)
    for row in table.rows:
        writer.writerow(["" if row[column] is None else neutralised(row[column]) for column in table.columns])
    return out.getvalue().encode()


AGENT_PARAMETERS = frozenset({"start", "end", "interval", "groupBy", "timezone", "weekStart", "format"})
AgentGroupBy = Annotated[
    str | None, QueryParameter(description="queue: a row per agent and queue (default: a row per agent).",
                               enum=list(agent_service.GROUPS))
]


@get(
    "/v1/tenants/{tenantId:str}/agent-statistics",
    guards=[require_role],
    opt={"role": "read"},
    operation_id="agentStatistics",
    summary="Per agent and interval bucket: logged-in, ready and not-ready time, the work handled, occupancy",
    description=(
        "State times come from the agents' state events (`agent-logged-in`, `agent-state-changed`, "
        "`agent-logged-out`), split across the buckets they overlap; a session still open counts until the end "
        "of the range or now. The work figures count in the bucket of the queue entry's time, as `/statistics` "
        "counts them. occupancy = handleTimeTotal / (loggedInTime − notReadyTime), in %. Buckets as in "
        "`/statistics`."
    ),
    responses={
        200: ResponseSpec(generate_examples=False, data_container=dict[str, Any], description="Rows of figures"),
        **ERRORS,
    },
    tags=["statistics"],
)
async def agent_statistics(
    request: Request[Any, Any, Any],
    state: State,
    tenantId: TenantId,
    start: Instant,
    end: Instant,
    interval: Interval,
    groupBy: AgentGroupBy = None,
    timezone: Timezone = None,
    weekStart: WeekStart = None,
    format: Format = None,
) -> Response[bytes]:
    params = q.raw_params(request, AGENT_PARAMETERS)
    if format not in (None, "json", "csv"):
        raise InvalidParameter("format must be json or csv", parameter="format")
    group_by = values_of("groupBy", params["groupBy"]) if "groupBy" in params else ()
    for name in group_by:
        if name not in agent_service.GROUPS:
            raise InvalidParameter(f"groupBy {name!r} is not one of {', '.join(agent_service.GROUPS)}",
                                   parameter="groupBy")
    asked = agent_service.AgentStatisticsRequest(
        start_us=_required_time(start, "start"),
        end_us=_required_time(end, "end"),
        interval=interval,
        by_queue="queue" in group_by,
        timezone=timezone,
        week_start=weekday_named(weekStart),
    )
    table = await in_read_slot(tenantId, agent_service.agent_statistics, state.store, tenantId, asked)
    if format == "csv":
        return Response(_agent_csv(table), media_type=CSV)
    return Response(
        msgspec.json.encode(
            {
                "tenantId": table.tenant_id,
                "tenantName": table.tenant_name,
                "timezone": table.timezone,
                "interval": asked.interval,
                "start": format_instant(asked.start_us),
                "end": format_instant(asked.end_us),
                "weekStart": WEEKDAYS[asked.week_start],
                "groupBy": ["agent", *(["queue"] if asked.by_queue else [])],
                "rows": table.rows,
            }
        ),
        media_type=JSON,
    )


def _agent_csv(table: agent_service.AgentStatisticsTable) -> bytes:
    """The same rows; `notReadyByReason` as `reason=seconds` pairs joined by `;`."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(table.columns)
    for row in table.rows:
        cells = []
        for column in table.columns:
            value = row[column]
            if column == "notReadyByReason":
                value = ";".join(f"{reason}={seconds}" for reason, seconds in value.items())
            cells.append("" if value is None else neutralised(value))
        writer.writerow(cells)
    return out.getvalue().encode()
