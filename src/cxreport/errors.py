"""The error tree. Each error carries its HTTP status and a stable machine-readable code.

Errors are raised anywhere below the edges and translated only at the edges: the HTTP layer turns them
into the one JSON error body, the CLI into one line on stderr.
"""

from __future__ import annotations


class CxError(Exception):
    """Base of every error cxreport reports to a client or an operator."""

    status = 500
    code = "internal_error"

    def __init__(self, message: str, *, parameter: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.parameter = parameter


class BadRequest(CxError):
    status = 400
    code = "bad_request"


class InvalidParameter(BadRequest):
    """A query or path parameter is malformed, out of range or contradicts another."""

    code = "invalid_parameter"


class UnknownParameter(BadRequest):
    code = "unknown_parameter"


class InvalidBody(BadRequest):
    """The request body is not valid JSON or a record in it breaks the record schema."""

    code = "invalid_body"


class InvalidRecord(BadRequest):
    """One record is invalid; `position` says where it was in its batch or file."""

    code = "invalid_record"

    def __init__(self, message: str, *, position: int | None = None, path: str | None = None) -> None:
        super().__init__(message)
        self.position = position
        self.path = path


class Unauthenticated(CxError):
    status = 401
    code = "unauthenticated"


class Forbidden(CxError):
    status = 403
    code = "forbidden"


class NotFound(CxError):
    status = 404
    code = "not_found"


class Conflict(CxError):
    status = 409
    code = "conflict"


class TooManyKeys(Conflict):
    """The tenant has `CXREPORT_MAX_KEYS_PER_TENANT` unrevoked API keys already."""

    code = "too_many_keys"


class TooManyTokens(Conflict):
    """The API key has `CXREPORT_MAX_TOKENS_PER_KEY` unexpired tokens already."""

    code = "too_many_tokens"


class TooManyEvents(Conflict):
    """An interaction would hold more than `CXREPORT_MAX_EVENTS_PER_INTERACTION` events."""

    code = "too_many_events"


class PayloadTooLarge(CxError):
    status = 413
    code = "payload_too_large"


class QueryTooLong(CxError):
    """The query string is longer than `CXREPORT_MAX_QUERY_BYTES`."""

    status = 414
    code = "query_too_long"


class PathTooLong(CxError):
    """The request's path is longer than the edge accepts (`MAX_PATH_BYTES` in http/edge.py)."""

    status = 414
    code = "path_too_long"


class HeadersTooLarge(CxError):
    """The request's headers are larger than `CXREPORT_MAX_HEADER_BYTES`."""

    status = 431
    code = "headers_too_large"


class RateLimited(CxError):
    """The API key made more requests than its rate allows; `retry_after` says when to try again (seconds)."""

    status = 429
    code = "rate_limited"

    def __init__(self, message: str, *, retry_after: int) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class Busy(CxError):
    """A write waited longer than `CXREPORT_WRITE_WAIT_MS` for its turn, or a large read longer than
    `READ_SLOT_WAIT_S` for a read slot (`http/threads.py`); `retry_after` says when to try again."""

    status = 503
    code = "busy"

    def __init__(self, message: str, *, retry_after: int) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class TooManyStreams(CxError):
    """The tenant has as many realtime statistics streams open on this process as it may."""

    status = 429
    code = "too_many_streams"


class StoreUnavailable(CxError):
    status = 503
    code = "store_unavailable"


class StatementTimeout(CxError):
    """A database statement ran longer than `CXREPORT_STATEMENT_TIMEOUT_MS` and was cancelled."""

    status = 503
    code = "timeout"


class SchemaTooNew(CxError):
    """The database was written by a newer cxreport than this one."""

    status = 503
    code = "schema_too_new"


class ConfigError(CxError):
    """A setting, URL or command-line value is unusable."""

    status = 400
    code = "config_error"


class RejectedBatch(InvalidRecord):
    """Some records of a batch are invalid, so none of it was written; `errors` lists each one."""

    def __init__(self, message: str, errors: list[dict[str, object]]) -> None:
        super().__init__(message)
        self.errors = errors
