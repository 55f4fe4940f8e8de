"""Routes: service-level definitions and their versions."""

from __future__ import annotations

from typing import Any

import msgspec
from litestar import Request, Response, get, post
from litestar.datastructures import State
from litestar.openapi.datastructures import ResponseSpec
from litestar.params import RawBody

from cxreport.http import query as q
from cxreport.http.auth import require_role
from cxreport.http.errors import BODY_ERRORS, ERRORS, ErrorBody
from cxreport.http.interactions import JSON
from cxreport.http.openapi import NEW_SLA_BODY, NEW_SLA_VERSION_BODY, with_body
from cxreport.http.paths import SlaId, TenantId
from cxreport.http.threads import in_thread
from cxreport.http.writes import in_write_thread
from cxreport.service import slas
from cxreport.service.interactions import tenant_or_404
from cxreport.store.base import Store

NOT_FOUND = ResponseSpec(generate_examples=False, data_container=ErrorBody, description="No such definition.")
CONFLICT = ResponseSpec(
    generate_examples=False, data_container=ErrorBody, description="The queue (or tenant default) has one already."
)


def _tenant(store: Store, tenant_id: str) -> str:
    return tenant_or_404(store, tenant_id).id


def _list(store: Store, tenant_id: str) -> slas.SlaList:
    return slas.list_all(store, _tenant(store, tenant_id))


def _create(store: Store, tenant_id: str, body: bytes) -> slas.SlaBody:
    return slas.create(store, _tenant(store, tenant_id), body)


def _get(store: Store, tenant_id: str, sla_id: str) -> slas.SlaBody:
    return slas.as_json(slas.get(store, _tenant(store, tenant_id), sla_id))


def _add_version(store: Store, tenant_id: str, sla_id: str, body: bytes) -> slas.SlaBody:
    return slas.add_version(store, _tenant(store, tenant_id), sla_id, body)


@get(
    "/v1/tenants/{tenantId:str}/slas",
    guards=[require_role],
    opt={"role": "read"},
    operation_id="listSlas",
    summary="The tenant's service-level definitions with their versions",
    responses={
        200: ResponseSpec(generate_examples=False, data_container=slas.SlaList, description="Definitions"),
        **ERRORS,
    },
    tags=["slas"],
)
async def list_slas(request: Request[Any, Any, Any], state: State, tenantId: TenantId) -> Response[bytes]:
    q.raw_params(request, frozenset())
    found = await in_thread(_list, state.store, tenantId)
    return Response(msgspec.json.encode(found), media_type=JSON)


@post(
    "/v1/tenants/{tenantId:str}/slas",
    guards=[require_role],
    opt={"role": "admin"},
    status_code=201,
    operation_id="createSla",
    operation_class=with_body(NEW_SLA_BODY),
    summary="Create a service-level definition (the tenant default, or one queue's) with its first version",
    description=(
        "The first version judges queue entries from `effectiveFrom` (ISO 8601, at the latest now; default: now) "
        "on. Entries before keep the verdict of the version in force then (or the built-in default: 20 s, "
        "ignore-abandons, 20 s). With `effectiveFrom`, the records derived from events that have an entry in "
        "its queue (any queue, for the tenant default) since then are derived again before the answer; records "
        "ingested directly keep their own verdicts."
    ),
    responses={
        201: ResponseSpec(generate_examples=False, data_container=slas.SlaBody, description="Created"),
        409: CONFLICT,
        **BODY_ERRORS,
    },
    tags=["slas"],
)
async def create_sla(state: State, tenantId: TenantId, body: RawBody) -> Response[bytes]:
    created = await in_write_thread(state, _create, state.store, tenantId, body)
    return Response(msgspec.json.encode(created), media_type=JSON, status_code=201)


@get(
    "/v1/tenants/{tenantId:str}/slas/{slaId:str}",
    guards=[require_role],
    opt={"role": "read"},
    operation_id="getSla",
    summary="One service-level definition with its versions",
    responses={
        200: ResponseSpec(generate_examples=False, data_container=slas.SlaBody, description="Definition"),
        **ERRORS,
        404: NOT_FOUND,
    },
    tags=["slas"],
)
async def get_sla(request: Request[Any, Any, Any], state: State, tenantId: TenantId, slaId: SlaId) -> Response[bytes]:
    q.raw_params(request, frozenset())
    found = await in_thread(_get, state.store, tenantId, slaId)
    return Response(msgspec.json.encode(found), media_type=JSON)


@post(
    "/v1/tenants/{tenantId:str}/slas/{slaId:str}/versions",
    guards=[require_role],
    opt={"role": "admin"},
    status_code=201,
    operation_id="addSlaVersion",
    operation_class=with_body(NEW_SLA_VERSION_BODY),
    summary="Add a version to a service-level definition, in force from effectiveFrom (default: now) on",
    description=(
        "The version judges queue entries from `effectiveFrom` (ISO 8601, at the latest now; default: now) until "
        "the next version's `effectiveFrom` (versions take over in the order of effectiveFrom, then number). With "
        "`effectiveFrom`, the records derived from events that have an entry in that window (in its queue; any "
        "queue, for the tenant default) are derived again before the answer, as a late event restates a record."
    ),
    responses={
        201: ResponseSpec(generate_examples=False, data_container=slas.SlaBody, description="Definition"),
        **BODY_ERRORS,
        404: NOT_FOUND,
    },
    tags=["slas"],
)
async def add_sla_version(
    state: State, tenantId: TenantId, slaId: SlaId, body: RawBody
) -> Response[bytes]:
    found = await in_write_thread(state, _add_version, state.store, tenantId, slaId, body)
    return Response(msgspec.json.encode(found), media_type=JSON, status_code=201)
