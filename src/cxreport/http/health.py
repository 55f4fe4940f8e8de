"""Route: liveness and database reachability."""

from __future__ import annotations

import msgspec
from litestar import Response, get
from litestar.datastructures import State
from litestar.openapi.datastructures import ResponseSpec

from cxreport import __version__
from cxreport.errors import StoreUnavailable
from cxreport.http.openapi import PublicOperation
from cxreport.http.schemas import Health
from cxreport.http.threads import in_thread


@get(
    "/health",
    operation_id="health",
    operation_class=PublicOperation,
    summary="Liveness and database reachability",
    responses={
        200: ResponseSpec(generate_examples=False, data_container=Health, description="Up, database reachable"),
        503: ResponseSpec(generate_examples=False, data_container=Health, description="Up, database unreachable"),
    },
    tags=["operations"],
)
async def health(state: State) -> Response[bytes]:
    try:
        await in_thread(state.store.ping)
    except StoreUnavailable:
        body = Health(status="degraded", database="unreachable", version=__version__)
        return Response(msgspec.json.encode(body), status_code=503, media_type="application/json")
    body = Health(status="up", database="reachable", version=__version__)
    return Response(msgspec.json.encode(body), media_type="application/json")
