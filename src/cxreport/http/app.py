"""The app factory: everything the server needs comes in through `settings` and `store`."""

from __future__ import annotations

import secrets
from typing import Any

from litestar import Litestar, Request, Response, get
from litestar.openapi.config import OpenAPIConfig
from litestar.openapi.spec import Components, SecurityScheme

from cxreport import __version__
from cxreport.config import Settings
from cxreport.http import (
    agents,
    console,
    credentials,
    events,
    health,
    interactions,
    realtime,
    slas,
    statistics,
    wfm,
)
from cxreport.http.docs_page import DocsPage, docs_router
from cxreport.http.edge import Edge
from cxreport.http.errors import EXCEPTION_HANDLERS
from cxreport.http.fast_search import FastSearch
from cxreport.http.ratelimit import RateLimiter
from cxreport.http.realtime_stream import Hub
from cxreport.http.writes import WriteGate
from cxreport.service.cursors import CursorCodec
from cxreport.service.principal_cache import PrincipalMemo
from cxreport.service.realtime import Realtime
from cxreport.store.base import Store

_SECURITY = Components(
    security_schemes={
        "basic": SecurityScheme(type="http", scheme="basic", description="API key id and secret"),
        "token": SecurityScheme(type="http", scheme="bearer", description="A token from POST /v1/tokens"),
    }
)


@get("/openapi.json", include_in_schema=False, sync_to_thread=False)
def openapi_document(request: Request[Any, Any, Any]) -> Response[dict[str, Any]]:
    return Response(request.app.openapi_schema.to_schema(), media_type="application/json")


def create_app(settings: Settings, store: Store, fast_paths: bool = True) -> Litestar:
    """The app; `fast_paths=False` leaves out the search's fast path (`fast_search.py`): every request then
    goes through the declared routes (the tests compare the two)."""
    app = Litestar(
        route_handlers=[
            interactions.search_interactions,
            interactions.export_interactions,
            interactions.contact_interactions,
            interactions.get_interaction,
            interactions.ingest_interactions,
            events.ingest_events,
            events.reporting_events,
            agents.agent_state_events,
            slas.list_slas,
            slas.create_sla,
            slas.get_sla,
            slas.add_sla_version,
            statistics.interval_statistics,
            statistics.agent_statistics,
            wfm.wfm_intervals,
            realtime.available,
            realtime.stream,
            realtime.batch,
            realtime.one_statistic,
            credentials.create_token,
            credentials.list_keys,
            credentials.create_key,
            credentials.revoke_key,
            health.health,
            openapi_document,
            console.console_page,
            console.console_file,
        ],
        state=_state(settings, store),
        exception_handlers=EXCEPTION_HANDLERS,
        request_max_body_size=settings.max_body_bytes,
        openapi_config=OpenAPIConfig(
            title="cxreport",
            version=__version__,
            description="Contact-center interaction reporting API.",
            path="/docs",
            openapi_router=docs_router(),
            render_plugins=[DocsPage()],
            components=_SECURITY,
            security=[{"basic": []}, {"token": []}],
        ),
    )
    # Around routing and error handling, so unknown routes are logged and a long query string or oversized
    # headers are refused before anything parses them.
    # The seed request's fast path (`fast_search.py`) runs inside it, before routing.
    app.asgi_handler = Edge(app.asgi_handler, settings.max_query_bytes, settings.max_header_bytes,
                           FastSearch(app) if fast_paths else None)
    return app


def _state(settings: Settings, store: Store) -> Any:
    from litestar.datastructures import State

    cursors = CursorCodec(store.secret("cursor-signing-key", lambda: secrets.token_hex(32)).encode())
    limiter = RateLimiter(settings.rate_limit, settings.rate_burst)
    writes = WriteGate(settings.write_concurrency, settings.write_wait_ms)
    figures = Realtime(store, settings.realtime_stale_after_seconds)
    hub = Hub(figures, settings.realtime_max_streams, settings.realtime_max_streams_per_key)
    return State({"settings": settings, "store": store, "cursors": cursors, "rate_limiter": limiter,
                  "writes": writes, "principals": PrincipalMemo(), "realtime": figures, "hub": hub})
