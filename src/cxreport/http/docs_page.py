"""`GET /docs`: the interactive OpenAPI page, from packaged assets only (Swagger UI's dist files, vendored in
`http/assets/swagger-ui/` with their licence, and our own small page and start-up script), so it works offline
and under a strict Content-Security-Policy without inline script."""

from __future__ import annotations

from functools import cache
from importlib import resources
from typing import Annotated, Any

from litestar import Request, Response, Router, get
from litestar.exceptions import NotFoundException
from litestar.openapi.plugins import OpenAPIRenderPlugin
from litestar.params import PathParameter
from litestar.status_codes import HTTP_404_NOT_FOUND

from cxreport.http.errors import not_found

DOCS_CSP = (
    "default-src 'none'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; "
    "connect-src 'self'; font-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
)
"""The page's policy: scripts and styles from this server only, no inline script (Swagger UI sets inline style
attributes, so styles allow them)."""

_ASSETS = {
    "swagger-ui-bundle.js": ("swagger-ui/swagger-ui-bundle.js", "text/javascript"),
    "swagger-ui.css": ("swagger-ui/swagger-ui.css", "text/css"),
    "docs.js": ("docs.js", "text/javascript"),
    "LICENSE": ("swagger-ui/LICENSE", "text/plain"),
}

_PAGE = """<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>cxreport API</title>
<link rel="stylesheet" href="/docs/assets/swagger-ui.css">
</head>
<body>
<div id="swagger-ui" data-openapi-url="/openapi.json"></div>
<script src="/docs/assets/swagger-ui-bundle.js"></script>
<script src="/docs/assets/docs.js"></script>
</body>
</html>
"""


@cache
def asset(name: str) -> bytes:
    return resources.files("cxreport.http").joinpath("assets", *name.split("/")).read_bytes()


@get("/assets/{name:str}", include_in_schema=False, sync_to_thread=False)
def docs_asset(name: Annotated[str, PathParameter()]) -> Response[bytes]:
    found = _ASSETS.get(name)
    if found is None:
        raise NotFoundException  # answered as every 404 is (http/errors.py)
    path, media_type = found
    return Response(asset(path), media_type=media_type, headers={"Cache-Control": "public, max-age=86400"})


def docs_router() -> Router:
    """The router of `/docs`, with its pages' not-found answers in the JSON shape of every other error: Litestar
    answers a path under it that no page has (`/docs/x`) with an HTML page of its own."""
    return Router("/docs", route_handlers=[], include_in_schema=False, after_request=_json_not_found)


def _json_not_found(response: Response[Any]) -> Response[Any]:
    return not_found() if response.status_code == HTTP_404_NOT_FOUND else response


class DocsPage(OpenAPIRenderPlugin):
    """The page at `/docs`, and its assets at `/docs/assets/…`."""

    def __init__(self) -> None:
        super().__init__(path="/")

    def render(self, request: Request[Any, Any, Any], openapi_schema: dict[str, Any]) -> bytes:
        return _PAGE.encode()

    def receive_router(self, router: Router) -> None:
        router.register(docs_asset)
