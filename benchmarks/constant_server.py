"""A prebuilt JSON body of a given size, served by the same stack as cxreport (Litestar on uvicorn):
the floor for serving a page of that size. Usage: constant_server.py PORT SIZE [SMALL_SIZE]
(`/small` answers a body of SMALL_SIZE bytes, default `{"ok":true}`)."""

from __future__ import annotations

import sys

import uvicorn
from litestar import Litestar, Response, get

PORT, SIZE = int(sys.argv[1]), int(sys.argv[2])
BODY = b'{"results":"' + b"x" * max(SIZE - 15, 0) + b'"}'
SMALL = b'{"ok":true}' if len(sys.argv) < 4 else b'{"results":"' + b"x" * max(int(sys.argv[3]) - 15, 0) + b'"}'


@get("/", sync_to_thread=False)
def big() -> Response[bytes]:
    return Response(BODY, media_type="application/json")


@get("/small", sync_to_thread=False)
def small() -> Response[bytes]:
    return Response(SMALL, media_type="application/json")


@get("/health", sync_to_thread=False)
def health() -> Response[bytes]:
    return Response(SMALL, media_type="application/json")


if __name__ == "__main__":
    uvicorn.run(Litestar([big, small, health]), host="127.0.0.1", port=PORT, log_level="warning")
