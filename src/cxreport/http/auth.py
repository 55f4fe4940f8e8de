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
from cxreport.service.credentials import Principal, authenticate_key, authenticate_token
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


def require_role(connection: ASGIConnection[Any, Any, Any, Any], handler: BaseRouteHandler) -> None:
    """Guard: authenticate, count the request against the key's rate, then check the route's role and, on
    tenant routes, the path's tenant."""
    store: Store = connection.app.state.store
    principal = principal_from_header(store, connection.headers.get("authorization"))
    connection.state.principal = principal
    charge(connection, principal.key_id)
    tenant_id = connection.path_params.get("tenantId")
    principal.require(handler.opt["role"], str(tenant_id).lower() if tenant_id else principal.tenant_id)
