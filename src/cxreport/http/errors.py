"""The one JSON error body, and the handlers that turn every failure into it.

Shape: {"status": 400, "code": "invalid_parameter", "message": "...", "parameter": "limit"}; `parameter`
only where one parameter is at fault, `errors` where several records of a batch were rejected.
A 500 never reveals internals: its message is fixed and the details go to the log only.
"""

from __future__ import annotations

import logging
from typing import Any

import msgspec
from litestar import Request, Response
from litestar.exceptions import HTTPException, ValidationException
from litestar.openapi.datastructures import ResponseSpec

from cxreport.errors import Busy, CxError, InvalidRecord, RateLimited

log = logging.getLogger("cxreport.http")

_CODES_BY_STATUS = {
    400: "bad_request",
    401: "unauthenticated",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    406: "not_acceptable",
    408: "request_timeout",
    413: "payload_too_large",
    414: "query_too_long",
    415: "unsupported_media_type",
    429: "rate_limited",
    431: "headers_too_large",
    500: "internal_error",
    503: "service_unavailable",
}
_GENERIC_MESSAGES = {
    404: "no such route",
    405: "this route does not accept that method",
    413: "the request body is larger than this server accepts",
}


class ErrorBody(msgspec.Struct, omit_defaults=True):
    """What every error response carries."""

    status: int
    code: str
    message: str
    parameter: str | None = None
    errors: list[dict[str, Any]] | None = None


def _documented(description: str) -> ResponseSpec:
    return ResponseSpec(generate_examples=False, data_container=ErrorBody, description=description)


ERRORS = {
    status: _documented(description)
    for status, description in {
        400: "A parameter or the body is invalid; `parameter` names it.",
        401: "No credentials, or wrong ones.",
        403: "The key may not do this, or not on this tenant.",
        404: "No such route, or nothing with that id in this tenant.",
        414: "The query string is over the size limit (CXREPORT_MAX_QUERY_BYTES), or the path over 4096 bytes.",
        429: "The key is over its rate limit; `Retry-After` says when to try again.",
        431: "The request headers are over the size limit (CXREPORT_MAX_HEADER_BYTES).",
        500: "Internal error; the server log has the details.",
        503: "The database is unreachable, a statement took too long (`timeout`), or a write waited too long for "
        "its turn (`busy`, with `Retry-After`).",
    }.items()
}
"""The error responses every route may give, declared once for the OpenAPI document; routes that read a
body add BODY_ERRORS, and a route may override a description (its own 404, say)."""
BODY_ERRORS = {**ERRORS, 413: _documented("The body is over the size limit (CXREPORT_MAX_BODY_BYTES).")}


def error_response(
    status: int,
    code: str,
    message: str,
    *,
    parameter: str | None = None,
    errors: list[dict[str, Any]] | None = None,
    headers: dict[str, str] | None = None,
) -> Response[bytes]:
    body = ErrorBody(status=status, code=code, message=message, parameter=parameter, errors=errors)
    return Response(
        content=msgspec.json.encode(body), status_code=status, media_type="application/json", headers=headers
    )


def not_found() -> Response[bytes]:
    """The answer of a path no route has."""
    return error_response(404, _CODES_BY_STATUS[404], _GENERIC_MESSAGES[404])


def handle_cx_error(_: Request[Any, Any, Any], error: CxError) -> Response[bytes]:
    headers = {"WWW-Authenticate": 'Basic realm="cxreport", Token'} if error.status == 401 else None
    if isinstance(error, RateLimited | Busy):
        headers = {"Retry-After": str(error.retry_after)}
    errors = getattr(error, "errors", None)
    if isinstance(error, InvalidRecord) and errors is None and error.position is not None:
        errors = [{"position": error.position, "message": error.message}]
    return error_response(
        error.status, error.code, error.message, parameter=error.parameter, errors=errors, headers=headers
    )


def handle_validation_error(_: Request[Any, Any, Any], error: ValidationException) -> Response[bytes]:
    """Litestar's own parameter checks (a non-numeric `limit`, …), in our shape, naming the parameter."""
    problems = error.extra if isinstance(error.extra, list) else []
    first = problems[0] if problems and isinstance(problems[0], dict) else {}
    parameter = first.get("key")
    detail = first.get("message") or error.detail
    message = f"{parameter}: {detail}" if parameter else str(detail)
    return error_response(400, "invalid_parameter", message, parameter=parameter)


def handle_http_error(_: Request[Any, Any, Any], error: HTTPException) -> Response[bytes]:
    status = error.status_code
    message = _GENERIC_MESSAGES.get(status) or (error.detail if status < 500 else "internal error")
    return error_response(status, _CODES_BY_STATUS.get(status, "error"), message, headers=error.headers)


def handle_unexpected(request: Request[Any, Any, Any], error: Exception) -> Response[bytes]:
    # the route's template, never the raw path or query: those carry customer numbers (docs/operations.md)
    route = request.scope.get("path_template") or "(no route)"
    log.exception("unhandled error on %s %s", request.method, route, exc_info=error)
    return error_response(500, "internal_error", "internal error; the server log has the details")


EXCEPTION_HANDLERS: dict[type[Exception] | int, Any] = {
    CxError: handle_cx_error,
    ValidationException: handle_validation_error,
    HTTPException: handle_http_error,
    Exception: handle_unexpected,
}
