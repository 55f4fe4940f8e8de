"""The search's fast path: `GET /v1/tenants/{tenantId}/interactions` answered straight from the ASGI scope when
nothing about the request is unusual, without Litestar's routing, parameter injection (~40 declared query
parameters resolved one by one through two dependencies), guard and response machinery.

The route declared in `interactions.py` stays what it was: the OpenAPI document is generated from it, and every
request this path does not take goes there. This path answers only a request it can answer exactly as the
route would, and hands every other one to the route *before it has changed anything*:

- the path is the search's (no root path, no trailing slash), the method GET, the `Host` header valid;
- one `Authorization` header, naming a principal allowed to read this tenant: found in the authentication memo
  (`service.principal_cache`), or looked up in a worker thread and remembered there, as the route's guard does
  (a wrong key or tenant: the route's guard looks again and answers 401 / 403 as ever);
- every query parameter known to the search, none repeated, none blank, each value in the form the route reads
  without a doubt (whole numbers as digits, `includeNulls` as true or false), and the search built from them
  valid (`SearchQuery.checked`, `paged`: the functions the route calls);
- the key within its rate (over it: the route answers the 429, counting the request against the key once
  more, which for a key already over its rate changes nothing).

The search runs in a worker thread, except when it is known to be short: on a store whose reads are work in
this process only (SQLite), the same tenant and query string took less than `INLINE_BELOW_S` of CPU the last
time it ran and no thread is running a call now, so it runs on the event loop, saving the hand-off to a thread
and back (a third of such a request's CPU). A search asked again while nothing of its tenant changed is
answered with the bytes of its last answer, made at most a second ago (`search_answers.py`).
Each run is timed again, so a search that has become slow goes back to a thread the next time; the worst case
is one run of a search that became slow since, on the event loop, bounded by the statement deadline.

Once the request is counted against the key's rate, this path answers it whatever happens: a failure of the
search (a stale cursor, a statement deadline, the database gone) goes to the app's own exception handlers and
is rendered by Litestar, as the route's would be. The access log, the `RateLimit-*` headers and the size limits
stay in `edge.Edge`, around both paths. `tests/test_fast_search.py` checks the two paths give the same answers.
"""

from __future__ import annotations

import functools
import re
import time
from collections.abc import Callable
from dataclasses import replace
from typing import Any
from urllib.parse import parse_qsl

from litestar import Litestar, Request

from cxreport import clock
from cxreport.errors import CxError
from cxreport.http import bodies, threads
from cxreport.http import query as q
from cxreport.http.auth import principal_from_header
from cxreport.http.errors import EXCEPTION_HANDLERS
from cxreport.http.search_answers import Answers, Key
from cxreport.http.search_query import SearchQuery, paged, search_query
from cxreport.http.threads import in_read_slot_briefly, in_thread
from cxreport.records.facets import FACETS
from cxreport.records.filters import parse_filters
from cxreport.service import interactions as service
from cxreport.service import search as searching
from cxreport.service.credentials import Principal
from cxreport.service.principal_cache import PrincipalMemo
from cxreport.service.search import SearchRequest
from cxreport.store.base import Tenant

PATH = re.compile(r"/v1/tenants/([^/]+)/interactions")
PATH_TEMPLATE = "/v1/tenants/{tenantId}/interactions"
_WHOLE_NUMBER = re.compile(r"0|[1-9][0-9]{0,11}")  # Litestar refuses "007"; the route's reading of it is its own
_SCALARS = q.WINDOW | q.NULLS | q.PAGING | {"cursor"}
_FILTERS = q.SEARCH_PARAMETERS - _SCALARS
_FLAGS = frozenset(name for f in FACETS if f.is_flag and f.parameter for name in (f.parameter, *f.aliases))
_INVALID_HOST = re.compile(rb"[^A-Za-z0-9.\-:\[\]_]")
HEADERS = (b"content-type", b"application/json")
INLINE_BELOW_S = 0.002
"""A search whose last run took less CPU time runs on the event loop, when the store's reads allow it and no
worker or writer thread is running a call (`threads.idle`). Its waits for the interpreter lock are what would
stall the event loop (SQLite releases it at every step, and a busy thread holds it for up to 5 ms at a time):
with no thread running there is no one to wait for. (Timed by the CPU clock alone, such a search stayed on the
event loop while a large ingest ran in a writer thread, and `/health` waited seconds behind it:
tests/test_fairness.py. Timed by the wall clock, which also counts waits for a core, searches went to threads
whenever the machine was busy with other processes: a third more CPU a request.)"""
MAX_TIMED = 4096
"""Searches whose last duration is remembered, and tenants (all forgotten when full)."""
TENANT_MEMO_US = 1_000_000
"""How long a tenant read for a search is used again (as long as the authentication memo's entries live)."""


class FastSearch:
    """`await fast(scope, receive, send)`: True when it answered the request, False to hand it to the app."""

    def __init__(self, app: Litestar) -> None:
        self.app = app
        state = app.state
        self.store = state.store
        self.cursors = state.cursors
        self.memo: PrincipalMemo = state.principals
        self.limiter = state.rate_limiter
        self.max_page_bytes: int = state.settings.max_page_bytes
        self.inline = self.store.reads_in_process
        self._durations: dict[Key, float] = {}
        self._tenants: dict[str, tuple[Tenant, int]] = {}
        budget: int = state.settings.search_answers_bytes
        self.answers = Answers(max_bytes=budget) if budget > 0 else None
        self.answered = 0
        """Requests this path answered (the tests check which path took a request)."""

    async def __call__(self, scope: Any, receive: Any, send: Any) -> bool:
        if scope["method"] != "GET" or scope.get("root_path"):
            return False
        matched = PATH.fullmatch(scope["path"])
        if matched is None:
            return False
        tenant_id = matched.group(1)
        try:
            checked = search_from_query(scope["query_string"], self.max_page_bytes)
        except CxError:
            return False
        if checked is None:
            return False
        principal = await self._principal(scope["headers"], tenant_id)
        if principal is None:
            return False
        state = scope.setdefault("state", {})
        allowance = self.limiter.take(principal.key_id)
        if allowance is not None:
            if allowance.retry_after:
                return False  # the route answers the 429 (taking from a key over its rate takes nothing)
            state["rate_allowance"] = allowance
        state["principal"] = principal
        self.answered += 1
        scope["path_template"] = PATH_TEMPLATE
        scope["path_params"] = {"tenantId": tenant_id}
        try:
            timed = (tenant_id, scope["query_string"])
            next_url = q.next_url_in(scope)
            cheap = self._durations.get(timed, INLINE_BELOW_S) < INLINE_BELOW_S
            if cheap and self.inline and threads.idle():
                body = self._answer(timed, checked, next_url)
            elif cheap:
                body = await in_thread(self._answer, timed, checked, next_url)
            else:
                body = await in_read_slot_briefly(tenant_id, self._answer, timed, checked, next_url)
        except Exception as error:  # noqa: BLE001 (rendered by the app's handlers, as the route's failures are)
            await self._failed(scope, receive, send, error)
            return True
        await send({"type": "http.response.start", "status": 200,
                    "headers": [HEADERS, (b"content-length", str(len(body)).encode())]})
        await send({"type": "http.response.body", "body": body, "more_body": False})
        return True

    def _answer(self, timed: Key, checked: SearchRequest, next_url: Callable[[str], str]) -> bytes:
        """The answer's body: remembered, when the tenant's change counter has not moved since it was made
        (`search_answers.py`), else the search's; its CPU time remembered (whether it succeeds or fails)."""
        started = time.thread_time()
        try:
            tenant = self._tenant(timed[0])
            answers = self.answers
            if answers is None:
                return bodies.search_envelope(searching.search(self.store, tenant, checked, self.cursors), next_url)
            version = self.store.realtime_version(tenant.id)  # before the search: see search_answers.py
            body = answers.get(timed, version)
            if body is None:
                body = bodies.search_envelope(searching.search(self.store, tenant, checked, self.cursors), next_url)
                answers.put(timed, version, body)
            return body
        finally:
            if len(self._durations) >= MAX_TIMED:
                self._durations.clear()
            self._durations[timed] = time.thread_time() - started

    def _tenant(self, tenant_id: str) -> Tenant:
        """`service.tenant_or_404`, a tenant found remembered for up to `TENANT_MEMO_US` (tenants are never
        changed nor deleted today; the bound keeps this right should they ever be)."""
        now = clock.now_us()
        found = self._tenants.get(tenant_id)
        if found is not None and now < found[1]:
            return found[0]
        tenant = service.tenant_or_404(self.store, tenant_id)
        if len(self._tenants) >= MAX_TIMED:
            self._tenants.clear()
        self._tenants[tenant_id] = (tenant, now + TENANT_MEMO_US)
        return tenant

    async def _principal(self, headers: list[tuple[bytes, bytes]], tenant_id: str) -> Principal | None:
        """The caller, when one Authorization header names a principal that may read this tenant (what the
        route's guard checks, through the same memo and the same look-up); None on any doubt or failure."""
        header: bytes | None = None
        for name, value in headers:
            if name == b"authorization":
                if header is not None:
                    return None
                header = value
            elif name == b"host" and _INVALID_HOST.search(value):
                return None
        if not header:
            return None
        text = header.decode("latin-1")
        digest = self.memo.digest(text)
        principal = self.memo.get(digest)
        try:
            if principal is None:
                principal = await in_thread(principal_from_header, self.store, text)
                self.memo.put(digest, principal)
            principal.require("read", tenant_id.lower())
        except CxError:
            return None  # the route's guard looks again and answers the 401 or 403
        return principal

    async def _failed(self, scope: Any, receive: Any, send: Any, error: Exception) -> None:
        handler = next(EXCEPTION_HANDLERS[kind] for kind in type(error).__mro__ if kind in EXCEPTION_HANDLERS)
        request: Request[Any, Any, Any] = Request(scope, receive=receive, send=send)
        response = handler(request, error)
        await response.to_asgi_response(app=None, request=request)(scope, receive, send)


@functools.lru_cache(maxsize=1024)  # clients repeat their searches (a cursor walk: a new query string a page)
def search_from_query(query_string: bytes, max_page_bytes: int) -> SearchRequest | None:
    """The checked search a query string asks for, when the route would read it the same way without a doubt;
    None when the route must look at it (an unknown, repeated or blank parameter, a number not in digits, …).
    Raises `CxError` when the values are invalid (the route then answers, naming the parameter)."""
    values = _parameters(query_string)
    if values is None:
        return None
    for name in q.PAGING:
        if name in values and not _WHOLE_NUMBER.fullmatch(values[name]):
            return None
    nulls = [values[name] for name in q.NULLS if name in values]
    if any(value not in ("true", "false") for value in nulls):
        return None
    if any(values[name] not in ("true", "false") for name in _FLAGS if name in values):
        return None
    filters = parse_filters({name: [value] for name, value in values.items()}) if _FILTERS & values.keys() else ()
    query: SearchQuery = search_query(values, "true" in nulls, filters)
    limit, page, offset = (int(values[name]) if name in values else None for name in ("limit", "page", "offset"))
    checked = paged(query.checked(), limit, page, offset, values.get("cursor"))
    return replace(checked, max_bytes=max_page_bytes)


def _parameters(query_string: bytes) -> dict[str, str] | None:
    """name → value, read as Litestar reads a query string (`litestar._parsers.parse_query_string`: Latin-1,
    blank values kept); None when a parameter is unknown to the search, repeated or blank."""
    values: dict[str, str] = {}
    for name, value in parse_qsl(query_string.decode("latin-1"), keep_blank_values=True, separator="&"):
        if name in values or name not in q.SEARCH_PARAMETERS or not value:
            return None
        values[name] = value
    return values

