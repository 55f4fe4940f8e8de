"""Routes: tokens and API keys."""

from __future__ import annotations

from typing import Any

import msgspec
from litestar import Request, Response, delete, get, post
from litestar.datastructures import State
from litestar.openapi.datastructures import ResponseSpec
from litestar.params import RawBody

from cxreport.errors import InvalidBody, InvalidParameter, Unauthenticated
from cxreport.http import query as q
from cxreport.http.auth import basic_credentials, require_role
from cxreport.http.errors import BODY_ERRORS, ERRORS, ErrorBody
from cxreport.http.interactions import JSON
from cxreport.http.openapi import NEW_KEY_BODY, TOKEN_BODY, with_body
from cxreport.http.paths import KeyId, TenantId
from cxreport.http.ratelimit import charge
from cxreport.http.schemas import ApiKeyInfo, NewApiKey, NewKeyRequest, TokenRequest, TokenResponse
from cxreport.http.threads import in_thread
from cxreport.http.writes import in_write_thread
from cxreport.jsontext import field_at_fault
from cxreport.service import credentials
from cxreport.store.base import ApiKey
from cxreport.times import format_instant

_decode_token_request = msgspec.json.Decoder(TokenRequest)
_decode_key_request = msgspec.json.Decoder(NewKeyRequest)


@post(
    "/v1/tokens",
    status_code=200,
    operation_id="createToken",
    operation_class=with_body(TOKEN_BODY),
    summary="Exchange key credentials for a token",
    description=(
        'Authenticate with HTTP Basic (keyId:secret), or send `{"username": keyId, "password": secret, '
        '"ttl": seconds}`. Use the token as `Authorization: Token …` or `Bearer …` until it expires.'
    ),
    responses={
        200: ResponseSpec(generate_examples=False, data_container=TokenResponse, description="A new token"),
        **BODY_ERRORS,
        409: ResponseSpec(
            generate_examples=False, data_container=ErrorBody,
            description="The key holds CXREPORT_MAX_TOKENS_PER_KEY unexpired tokens already (`too_many_tokens`).",
        ),
    },
    tags=["credentials"],
)
async def create_token(
    request: Request[Any, Any, Any],
    state: State,
    body: RawBody,
) -> Response[bytes]:
    principal = await in_thread(_authenticate, request.headers.get("authorization"), body, state)
    request.state.principal = principal
    charge(request, principal.key_id)
    reply = await in_write_thread(state, _token_for, state, principal, body)
    return Response(msgspec.json.encode(reply), media_type=JSON)


def _authenticate(header: str | None, body: RawBody, state: State) -> credentials.Principal:
    """The key of a token request: from the JSON body's username and password, else HTTP Basic."""
    basic = basic_credentials(header) if header else None
    token_request = _token_request(body)
    if token_request.username is not None and token_request.password is not None:
        basic = (token_request.username, token_request.password)
    if basic is None:
        raise Unauthenticated("send HTTP Basic keyId:secret, or a JSON body with username and password")
    return credentials.authenticate_key(state.store, *basic)


def _token_request(body: RawBody) -> TokenRequest:
    if not body.strip():
        return TokenRequest()
    try:
        return _decode_token_request.decode(body)
    except msgspec.DecodeError as error:
        raise InvalidBody(f'the body must be {{"username", "password", "ttl"}}: {error}',
                          parameter=field_at_fault(error)) from None


def _token_for(state: State, principal: credentials.Principal, body: RawBody) -> TokenResponse:
    settings = state.settings
    ttl = _token_request(body).ttl
    if isinstance(ttl, float):
        if not ttl.is_integer():
            raise InvalidParameter(f"ttl must be a whole number of seconds, got {ttl}", parameter="ttl")
        ttl = int(ttl)
    ttl = settings.token_ttl_seconds if ttl is None else ttl
    if not 1 <= ttl <= settings.max_token_ttl_seconds:
        raise InvalidParameter(f"ttl must be between 1 and {settings.max_token_ttl_seconds} seconds", parameter="ttl")
    token, expires_us = credentials.issue_token(state.store, principal, ttl, settings.max_tokens_per_key)
    return TokenResponse(token, format_instant(expires_us), ttl, principal.tenant_id, principal.role)


def _key_info(key: ApiKey) -> ApiKeyInfo:
    return ApiKeyInfo(
        id=key.id,
        tenantId=key.tenant_id,
        role=key.role,
        createdAt=format_instant(key.created_us),
        revokedAt=format_instant(key.revoked_us) if key.revoked_us is not None else None,
    )


@get(
    "/v1/tenants/{tenantId:str}/api-keys",
    guards=[require_role],
    opt={"role": "admin"},
    operation_id="listApiKeys",
    summary="List the tenant's API keys (never their secrets)",
    responses={
        200: ResponseSpec(generate_examples=False, data_container=list[ApiKeyInfo], description="Keys"),
        **ERRORS,
    },
    tags=["credentials"],
)
async def list_keys(request: Request[Any, Any, Any], state: State, tenantId: TenantId) -> Response[bytes]:
    q.raw_params(request, frozenset())
    keys = await in_thread(state.store.list_keys, tenantId.lower())
    return Response(msgspec.json.encode([_key_info(key) for key in keys]), media_type=JSON)


@post(
    "/v1/tenants/{tenantId:str}/api-keys",
    guards=[require_role],
    opt={"role": "admin"},
    status_code=201,
    operation_id="createApiKey",
    operation_class=with_body(NEW_KEY_BODY),
    summary="Create an API key; its secret is shown only in this response",
    responses={
        201: ResponseSpec(generate_examples=False, data_container=NewApiKey, description="The new key"),
        **BODY_ERRORS,
        409: ResponseSpec(
            generate_examples=False, data_container=ErrorBody,
            description="The tenant holds CXREPORT_MAX_KEYS_PER_TENANT unrevoked keys already (`too_many_keys`).",
        ),
    },
    tags=["credentials"],
)
async def create_key(
    state: State,
    tenantId: TenantId,
    body: RawBody,
) -> Response[bytes]:
    try:
        key_request = _decode_key_request.decode(body) if body.strip() else NewKeyRequest()
    except msgspec.DecodeError as error:
        raise InvalidBody(f'the body must be {{"role": "read"|"ingest"|"admin"}}: {error}',
                          parameter=field_at_fault(error)) from None
    cap = state.settings.max_keys_per_tenant
    issued = await in_write_thread(state, credentials.issue_key, state.store, tenantId.lower(), key_request.role, cap)
    return Response(msgspec.json.encode(issued.as_json()), media_type=JSON, status_code=201)


@delete(
    "/v1/tenants/{tenantId:str}/api-keys/{keyId:str}",
    guards=[require_role],
    opt={"role": "admin"},
    status_code=200,
    operation_id="revokeApiKey",
    summary="Revoke an API key and every token made from it",
    responses={
        200: ResponseSpec(generate_examples=False, data_container=ApiKeyInfo, description="The revoked key"),
        **ERRORS,
        404: ResponseSpec(generate_examples=False, data_container=ErrorBody, description="No such key in this tenant."),
    },
    tags=["credentials"],
)
async def revoke_key(state: State, tenantId: TenantId, keyId: KeyId) -> Response[bytes]:
    key = await in_write_thread(state, credentials.revoke_key, state.store, keyId, tenantId.lower())
    state.principals.forget_all()  # at once in this process; other processes' memos forget it within a second
    return Response(msgspec.json.encode(_key_info(key)), media_type=JSON)
