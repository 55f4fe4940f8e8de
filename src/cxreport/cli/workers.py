"""`cxreport serve --workers N`: N server processes sharing one listening socket (uvicorn's supervisor binds
it, spawns the workers and restarts one that dies), the kernel spreading connections among them.

The parent migrates the schema once, before any worker starts; each worker opens its own store and builds its
own app from the same settings (handed down in an environment variable: a spawned process starts afresh).
What the workers share lives in the database: the cursor-signing key (`store.secret`, created once, whoever
asks first), so a cursor from one worker is valid in every other. What each keeps to itself: its rate limiter
(a key may make `rate_limit` requests per second *per worker*), its authentication memo (a revocation reaches
the others within a second) and its connections.
"""

from __future__ import annotations

import dataclasses
import json
import os
from typing import Any

from litestar import Litestar

from cxreport.config import Settings

SETTINGS_VARIABLE = "CXREPORT_WORKER_SETTINGS"
"""Internal: the parent's settings, as JSON, for the workers it spawns."""


def serve_workers(settings: Settings, options: dict[str, Any]) -> None:
    import uvicorn

    os.environ[SETTINGS_VARIABLE] = json.dumps(dataclasses.asdict(settings))
    uvicorn.run(f"{__name__}:worker_app", factory=True, workers=settings.workers, **options)


def worker_app() -> Litestar:
    """The app of one worker process (uvicorn calls this factory in each)."""
    from cxreport.cli.malloc_arenas import limit_malloc_arenas
    from cxreport.cli.serving import guard_connections, log_access_to_stderr
    from cxreport.http import create_app
    from cxreport.store import open_store

    settings = Settings(**json.loads(os.environ[SETTINGS_VARIABLE]))
    limit_malloc_arenas()
    guard_connections(settings)  # this process's connection limits, on the protocol class uvicorn resolved
    store = open_store(settings.database_url, statement_timeout_ms=settings.statement_timeout_ms)
    log_access_to_stderr()
    return create_app(settings, store)
