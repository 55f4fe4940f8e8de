"""What every HTTP request passes through, around routing and error handling: the query-string and header
size limits, the `RateLimit-*` headers of authenticated responses, and the access log.

The access log is one JSON line per request on the `cxreport.access` logger (INFO):
`{"time", "method", "route", "status", "duration_ms", "tenant", "key", "bytes"}`. `route` is the route's
template (`/v1/tenants/{tenantId}/interactions`), null when no route matched; `tenant` and `key` are the
caller's, when it authenticated (else the path's tenant id, when it is one). It never holds the raw path,
the query string, a header or a body: those carry customer numbers and credentials.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Awaitable, Callable
from typing import Any

import msgspec
from litestar.enums import ScopeType
from litestar.types import (
    ASGIApp,
    HTTPResponseBodyEvent,
    HTTPResponseStartEvent,
    HTTPScope,
    Message,
    Receive,
    Scope,
    Send,
)

from cxreport import clock
from cxreport.errors import CxError, HeadersTooLarge, PathTooLong, QueryTooLong
from cxreport.http.docs_page import DOCS_CSP
from cxreport.http.errors import ErrorBody
from cxreport.http.ratelimit import Allowance
from cxreport.ids import normalize_uuid
from cxreport.service.credentials import Principal
from cxreport.times import format_instant

FastPath = Callable[[Scope, Receive, Send], Awaitable[bool]]
"""A route's fast path (`fast_search.FastSearch`): answers a request and says True, or says False having changed
nothing, and the app answers it."""

access_log = logging.getLogger("cxreport.access")
_DOCS_CSP = DOCS_CSP.encode()

MAX_PATH_BYTES = 4096
"""Longest accepted path, as sent (percent-encoded): room for every route with a 1,000-character contactId
encoded, and a bound on every id in a path before anything parses it."""


class AccessEntry(msgspec.Struct):
    time: str
    method: str
    route: str | None
    status: int
    duration_ms: float
    tenant: str | None
    key: str | None
    bytes: int


class Edge:
    """ASGI middleware wrapping the whole app (unknown routes included), and the fast path when there is one."""

    def __init__(self, app: ASGIApp, max_query_bytes: int, max_header_bytes: int, fast: FastPath | None = None) -> None:
        self.app = app
        self.fast = fast
        self.max_query_bytes = max_query_bytes
        self.max_header_bytes = max_header_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != ScopeType.HTTP:
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        response = _Response()

        async def observed(message: Message) -> None:
            if message["type"] == "http.response.start":
                response.status = message["status"]
                if scope["path"] == "/docs" or scope["path"].startswith("/docs/"):
                    message["headers"] = [*message.get("headers", ()), (b"content-security-policy", _DOCS_CSP)]
                allowance = scope.get("state", {}).get("rate_allowance")
                if isinstance(allowance, Allowance):
                    message["headers"] = [*message.get("headers", ()), *allowance.headers()]
            elif message["type"] == "http.response.body":
                response.bytes += len(message.get("body", b""))
            await send(message)

        try:
            refusal = self._refusal(scope)
            if refusal is not None:
                await _send_error(observed, refusal)
            elif self.fast is None or not await self.fast(scope, receive, observed):
                await self.app(scope, receive, observed)
        finally:
            if access_log.isEnabledFor(logging.INFO):
                # what `access_log.info` does, less its search of the stack for the caller's file and line
                line = _entry(scope, response, started)
                access_log.handle(access_log.makeRecord(access_log.name, logging.INFO, __file__, 0, line, (), None))


    def _refusal(self, scope: HTTPScope) -> CxError | None:
        if len(scope.get("raw_path") or scope["path"].encode()) > MAX_PATH_BYTES:
            return PathTooLong(f"the path is longer than {MAX_PATH_BYTES} bytes")
        if len(scope["query_string"]) > self.max_query_bytes:
            return QueryTooLong(f"the query string is longer than {self.max_query_bytes} bytes")
        if sum(len(name) + len(value) + 4 for name, value in scope["headers"]) > self.max_header_bytes:
            return HeadersTooLarge(f"the request headers are larger than {self.max_header_bytes} bytes")
        return None


class _Response:
    __slots__ = ("bytes", "status")

    def __init__(self) -> None:
        self.status = 500  # what the server answers when the app fails before it starts a response
        self.bytes = 0


async def _send_error(send: Send, error: CxError) -> None:
    body = msgspec.json.encode(ErrorBody(status=error.status, code=error.code, message=error.message))
    headers = [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]
    start: HTTPResponseStartEvent = {
        "type": "http.response.start",
        "status": error.status,
        "headers": headers,
    }
    await send(start)
    end: HTTPResponseBodyEvent = {"type": "http.response.body", "body": body, "more_body": False}
    await send(end)


def _entry(scope: HTTPScope, response: _Response, started: float) -> str:
    state: dict[str, Any] = scope.get("state", {})
    principal = state.get("principal")
    tenant: str | None = None
    key: str | None = None
    if isinstance(principal, Principal):
        tenant, key = principal.tenant_id, principal.key_id
    else:
        tenant = _uuid_or_none(scope.get("path_params", {}).get("tenantId"))
    entry = AccessEntry(
        time=_log_time(clock.now_us()),
        method=scope["method"],
        route=scope.get("path_template"),
        status=response.status,
        duration_ms=round((time.perf_counter() - started) * 1000, 3),
        tenant=tenant,
        key=key,
        bytes=response.bytes,
    )
    return msgspec.json.encode(entry).decode()


_second_formatted: list[Any] = [None, ""]  # the last second formatted, and its text up to the seconds


def _log_time(micros: int) -> str:
    """`format_instant(micros)`, its date and time of day formatted once a second."""
    second, fraction = divmod(micros, 1_000_000)
    if _second_formatted[0] != second:
        _second_formatted[:] = [second, format_instant(second * 1_000_000)[:-5]]
    prefix: str = _second_formatted[1]
    return f"{prefix}.{fraction:06d}Z" if fraction % 1000 else f"{prefix}.{fraction // 1000:03d}Z"


def _uuid_or_none(value: object) -> str | None:
    return normalize_uuid(value) if isinstance(value, str) else None
