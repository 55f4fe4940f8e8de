"""Authentication at the edge: `Authorization: Basic keyId:secret`, `Token …` or `Bearer …`, checked by
a guard before the handler runs; the route's `opt["role"]` names the role it needs."""

from __future__ import annotations

import base64
import binascii
from typing import Any

from litestar.connection import ASGIConnection
from litestar.handlers.base import BaseRouteHandler

from cxreport.errors import Unauthenticated
from cxreport.http.ratelimit import charge
from cxreport.http.threads import in_thread
from cxreport.service.credentials import Principal, authenticate_key, authenticate_token
from cxreport.service.principal_cache import PrincipalMemo
from cxreport.store.base import Store


def basic_credentials(header: str) -> tuple[str, str] | None:
    """(keyId, secret) from a Basic Authorization header, or None when the header is not Basic."""
    scheme, _, value = header.partition(" ")
    if scheme.lower() != "basic":
        return None
    try:
        # a header holding non-ASCII characters (decoded as Latin-1) is no base64: b64decode raises ValueError
        decoded = base64.b64decode(value.strip(), validate=True).decode("utf-8")
    except (binascii.Error, ValueError):
        raise Unauthenticated("the Basic credentials are not base64 of keyId:secret") from None
    key_id, colon, secret = decoded.partition(":")
    if not colon:
        raise Unauthenticated("the Basic credentials are not base64 of keyId:secret")
    return key_id, secret


def principal_from_header(store: Store, header: str | None) -> Principal:
    if not header:
        raise Unauthenticated("this route needs credentials: HTTP Basic keyId:secret, or a token")
    basic = basic_credentials(header)
    if basic is not None:
        return authenticate_key(store, *basic)
    scheme, _, token = header.partition(" ")
    if scheme.lower() in ("token", "bearer") and token.strip():
        return authenticate_token(store, token.strip())
    raise Unauthenticated("unsupported Authorization scheme: use Basic, Token or Bearer")


async def require_role(connection: ASGIConnection[Any, Any, Any, Any], handler: BaseRouteHandler) -> None:
    """Guard: authenticate, count the request against the key's rate, then check the route's role and, on
    tenant routes, the path's tenant. A coroutine, so that it runs on the event loop: the credentials are
    looked up in a worker thread only when the memo (`service.principal_cache`) does not know them."""
    state = connection.app.state
    header = connection.headers.get("authorization")
    memo: PrincipalMemo = state.principals
    digest = memo.digest(header) if header else None
    principal = memo.get(digest) if digest is not None else None
    if principal is None:
        principal = await in_thread(principal_from_header, state.store, header)
        if digest is not None:
            memo.put(digest, principal)
    connection.state.principal = principal
    charge(connection, principal.key_id)
    tenant_id = connection.path_params.get("tenantId")
    principal.require(handler.opt["role"], str(tenant_id).lower() if tenant_id else principal.tenant_id)
