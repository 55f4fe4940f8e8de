"""Routes: the supervisor's web console, a page at `/` and its static files under `/console/`.

The files live in the installed package (`cxreport/console_assets/`: hand-written ES modules, CSS and one HTML
page; no build step, no CDN) and are read once, on the first request. The page talks to the public JSON API
only, with a token it keeps in the tab's `sessionStorage`. Every console response carries `SECURITY_HEADERS`:
a Content-Security-Policy that allows scripts, styles and requests from this origin only (no inline script,
no `eval`), no framing, no MIME sniffing and no referrer.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Annotated, Any

from litestar import Request, Response, get
from litestar.exceptions import NotFoundException
from litestar.params import PathParameter

CONSOLE_CSP = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; "
    "font-src 'self'; manifest-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
)
"""The console's Content-Security-Policy: one constant, so other pages served from packaged assets (`/docs`) can
share it."""

SECURITY_HEADERS = {
    "Content-Security-Policy": CONSOLE_CSP,
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "X-Frame-Options": "DENY",
    "Cross-Origin-Opener-Policy": "same-origin",
    "Cross-Origin-Resource-Policy": "same-origin",
    "Permissions-Policy": "camera=(), microphone=(), geolocation=(), payment=()",
}

_MEDIA_TYPES = {
    ".html": "text/html",
    ".js": "text/javascript",
    ".css": "text/css",
    ".svg": "image/svg+xml",
    ".ico": "image/x-icon",
}


AssetName = Annotated[str, PathParameter(description="A file of the console.")]


@dataclass(frozen=True)
class Asset:
    body: bytes
    media_type: str
    etag: str


@cache
def assets() -> dict[str, Asset]:
    """Every file of the console, by name, read from the installed package."""
    folder = resources.files("cxreport") / "console_assets"
    found: dict[str, Asset] = {}
    for entry in folder.iterdir():
        suffix = "." + entry.name.rsplit(".", 1)[-1] if "." in entry.name else ""
        if entry.is_file() and suffix in _MEDIA_TYPES:
            body = entry.read_bytes()
            found[entry.name] = Asset(body, _MEDIA_TYPES[suffix], '"' + hashlib.sha256(body).hexdigest()[:32] + '"')
    return found


def _serve(request: Request[Any, Any, Any], name: str) -> Response[bytes]:
    asset = assets().get(name)
    if asset is None:
        raise NotFoundException("no such file of the console")
    headers = {**SECURITY_HEADERS, "Cache-Control": "no-cache", "ETag": asset.etag}
    if request.headers.get("if-none-match") == asset.etag:
        return Response(b"", status_code=304, headers=headers)
    return Response(asset.body, media_type=asset.media_type, headers=headers)


@get("/", include_in_schema=False, sync_to_thread=False)
def console_page(request: Request[Any, Any, Any]) -> Response[bytes]:
    return _serve(request, "index.html")


@get("/console/{name:str}", include_in_schema=False, sync_to_thread=False)
def console_file(request: Request[Any, Any, Any], name: AssetName) -> Response[bytes]:
    return _serve(request, name)
