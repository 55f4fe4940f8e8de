"""Routes: realtime statistics (`/v1/tenants/{tenantId}/realtime-statistics/…`): one statistic, a batch, the
catalogue, and the stream of every figure (Server-Sent Events, `http/realtime_stream.py`)."""

from __future__ import annotations

from typing import Annotated, Any

import msgspec
from litestar import Request, Response, get, post
from litestar.datastructures import State
from litestar.openapi.datastructures import ResponseSpec
from litestar.openapi.spec import OpenAPIMediaType, OpenAPIType, RequestBody, Schema
from litestar.params import PathParameter, QueryParameter, RawBody
from litestar.response import Stream

from cxreport import clock
from cxreport.errors import InvalidBody, InvalidParameter
from cxreport.http import query as q
from cxreport.http.auth import require_role
from cxreport.http.errors import BODY_ERRORS, ERRORS
from cxreport.http.interactions import JSON
from cxreport.http.openapi import with_body
from cxreport.http.paths import TenantId
from cxreport.http.realtime_stream import Hub, event_stream, resumed_version
from cxreport.http.threads import in_thread
from cxreport.jsontext import TOO_DEEP
from cxreport.service.realtime import Realtime
from cxreport.service.realtime_figures import CATALOGUE, RealtimeRequest, checked, figure
from cxreport.times import format_instant

MAX_BATCH = 100
PARAMETERS = frozenset({"queueId", "queue-id", "resourceId"})
_SCOPE_KEYS = frozenset({"statistic", "queueId", "queue-id", "resourceId"})

StatisticName = Annotated[str, PathParameter(description="The statistic (see …/realtime-statistics/available).",
                                             schema_extra={"enum": list(CATALOGUE)})]
QueueId = Annotated[str | None, QueryParameter(description="Only this queue (`queue-id` is accepted too).")]
ResourceId = Annotated[str | None, QueryParameter(description="Only this agent.")]
Patches = Annotated[bool | None, QueryParameter(
    description="true (default): after the first picture, `patch` events (JSON Patch, RFC 6902) carry what "
    "changed; false: every event is a whole picture.")]
BATCH_BODY = RequestBody(
    description=f'`{{"requests": {{"<id>": {{"statistic", "queueId"?, "resourceId"?}}}}}}`, 1 to {MAX_BATCH} '
    "requests (`queue-id` is accepted for `queueId`).",
    required=True,
    content={"application/json": OpenAPIMediaType(schema=Schema(type=OpenAPIType.OBJECT, required=["requests"]))},
)
_OK = ResponseSpec(generate_examples=False, data_container=dict[str, Any], description="The figures")


def _one(realtime: Realtime, tenant_id: str, request: RealtimeRequest) -> bytes:
    snapshot = realtime.snapshot(tenant_id)
    now_us = clock.now_us()
    return msgspec.json.encode({"results": figure(snapshot, request, now_us), "queryTime": format_instant(now_us)})


def _batch(realtime: Realtime, tenant_id: str, requests: dict[str, RealtimeRequest]) -> bytes:
    snapshot = realtime.snapshot(tenant_id)
    now_us = clock.now_us()
    results = {}
    for key, asked in requests.items():
        scope = {name: value for name, value in (("queueId", asked.queue_id), ("resourceId", asked.resource_id))
                 if value is not None}
        results[key] = {"statistic": asked.statistic, **scope, "results": figure(snapshot, asked, now_us)}
    return msgspec.json.encode({"results": results, "queryTime": format_instant(now_us)})


def _scope_value(values: dict[str, Any], where: str) -> str | None:
    """The queue id of a request (`queueId` or `queue-id`; both must agree)."""
    given = {values[key] for key in ("queueId", "queue-id") if values.get(key) is not None}
    if len(given) > 1:
        raise InvalidParameter("queueId and queue-id differ: send one", parameter=f"{where}queueId")
    return given.pop() if given else None


def batch_requests(body: bytes) -> dict[str, RealtimeRequest]:
    """The batch body's requests, checked (a 400 naming the first wrong part)."""
    try:
        decoded = msgspec.json.decode(body) if body.strip() else None
    except msgspec.DecodeError as error:
        raise InvalidBody(f"the body is not JSON: {error}") from None
    except RecursionError:
        raise InvalidBody(TOO_DEEP) from None
    if not isinstance(decoded, dict) or not isinstance(decoded.get("requests"), dict):
        raise InvalidParameter('the body must be {"requests": {"<id>": {"statistic": …}}}', parameter="requests")
    unknown = sorted(set(decoded) - {"requests"})
    if unknown:
        raise InvalidParameter(f"unknown key {unknown[0]!r} in the body", parameter=unknown[0])
    raw: dict[str, Any] = decoded["requests"]
    if not 1 <= len(raw) <= MAX_BATCH:
        raise InvalidParameter(f"a batch holds 1 to {MAX_BATCH} requests, got {len(raw)}", parameter="requests")
    found = {}
    for key, item in raw.items():
        where = f"requests.{key}."
        if not isinstance(item, dict):
            raise InvalidParameter(f"request {key!r} must be an object", parameter=f"requests.{key}")
        extra = sorted(set(item) - _SCOPE_KEYS)
        if extra:
            raise InvalidParameter(f"unknown key {extra[0]!r} in request {key!r}", parameter=where + extra[0])
        for name in _SCOPE_KEYS:
            value = item.get(name)
            if value is not None and (not isinstance(value, str) or not value.strip() or len(value) > 200):
                raise InvalidParameter(f"{name} of request {key!r} must be a non-empty string of at most 200 "
                                       "characters", parameter=where + name)
        if item.get("statistic") is None:
            raise InvalidParameter(f"request {key!r} has no statistic", parameter=where + "statistic")
        asked = RealtimeRequest(item["statistic"], _scope_value(item, where), item.get("resourceId"))
        found[key] = checked(asked, where + "statistic")
    return found


@get(
    "/v1/tenants/{tenantId:str}/realtime-statistics/available",
    guards=[require_role],
    opt={"role": "read"},
    operation_id="realtimeStatisticsAvailable",
    summary="Every realtime statistic with its unit and the scopes it takes",
    responses={200: _OK, **ERRORS},
    tags=["realtime"],
)
async def available(request: Request[Any, Any, Any], state: State, tenantId: TenantId) -> Response[bytes]:
    q.raw_params(request, frozenset())
    await in_thread(state.realtime.snapshot, tenantId)  # 404 for no such tenant, and a warm cache
    listed = [{"statistic": s.name, "unit": s.unit, "scopes": list(s.scopes), "description": s.description}
              for s in CATALOGUE.values()]
    return Response(msgspec.json.encode({"results": listed}), media_type=JSON)


@get(
    "/v1/tenants/{tenantId:str}/realtime-statistics/stream",
    guards=[require_role],
    opt={"role": "read"},
    operation_id="realtimeStatisticsStream",
    summary="Server-Sent Events: every realtime figure of the tenant, pushed when it changes",
    description="See docs/api.md (\"The stream\") for the event format, Last-Event-ID and the heartbeat.",
    responses={**ERRORS},
    tags=["realtime"],
)
async def stream(request: Request[Any, Any, Any], state: State, tenantId: TenantId,
                 patches: Patches = None) -> Stream:
    q.raw_params(request, frozenset({"patches"}))
    snapshot = await in_thread(state.realtime.snapshot, tenantId)
    hub: Hub = state.hub
    tenant_id = snapshot.tenant.id
    watcher = hub.subscribe(tenant_id, request.state.principal.key_id)
    resume = request.headers.get("last-event-id")
    return Stream(
        event_stream(hub, tenant_id, watcher, resume if resumed_version(resume) is not None else None,
                     patches is not False),
        media_type="text/event-stream",
        headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"},
    )


@post(
    "/v1/tenants/{tenantId:str}/realtime-statistics/batch",
    guards=[require_role],
    opt={"role": "read"},
    status_code=200,
    operation_id="realtimeStatisticsBatch",
    operation_class=with_body(BATCH_BODY),
    summary="Several realtime statistics in one call, read from one snapshot",
    responses={200: _OK, **BODY_ERRORS},
    tags=["realtime"],
)
async def batch(request: Request[Any, Any, Any], state: State, tenantId: TenantId, body: RawBody) -> Response[bytes]:
    q.raw_params(request, frozenset())
    asked = batch_requests(body)
    return Response(await in_thread(_batch, state.realtime, tenantId, asked), media_type=JSON)


@get(
    "/v1/tenants/{tenantId:str}/realtime-statistics/{statistic:str}",
    guards=[require_role],
    opt={"role": "read"},
    operation_id="realtimeStatistic",
    summary="One realtime statistic, optionally of one queue or agent",
    description="Counts answer count, unit and queryWindow (the tenant's local day); time statistics add min, max, "
    "total and avg in milliseconds. Definitions: docs/data-dictionary.md (\"Realtime statistics\").",
    responses={200: _OK, **ERRORS},
    tags=["realtime"],
)
async def one_statistic(
    request: Request[Any, Any, Any],
    state: State,
    tenantId: TenantId,
    statistic: StatisticName,
    queueId: QueueId = None,
    resourceId: ResourceId = None,
) -> Response[bytes]:
    params = q.raw_params(request, PARAMETERS)
    values: dict[str, Any] = {}
    for name in PARAMETERS:
        given = params.get(name, [])
        if len(given) > 1:
            raise InvalidParameter(f"{name} may be given once", parameter=name)
        if given:
            if not given[0].strip() or len(given[0]) > 200:
                raise InvalidParameter(f"{name} must be 1 to 200 characters", parameter=name)
            values[name] = given[0]
    asked = checked(RealtimeRequest(statistic, _scope_value(values, ""), values.get("resourceId")))
    return Response(await in_thread(_one, state.realtime, tenantId, asked), media_type=JSON)
