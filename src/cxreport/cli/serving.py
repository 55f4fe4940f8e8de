"""`cxreport serve`, `migrate` and `demo`: the schema, the server, and the demo tenant to try it on."""

from __future__ import annotations

import logging
import signal
import sys
from typing import Any

import click

from cxreport.cli.malloc_arenas import limit_malloc_arenas
from cxreport.cli.options import database_option, open_cli_store
from cxreport.config import Settings
from cxreport.store import open_store


@click.command()
@database_option
@click.option("--host", default=None, help="Address to listen on [env CXREPORT_HOST, default 127.0.0.1].")
@click.option("--port", type=int, default=None, help="Port to listen on [env CXREPORT_PORT, default 8080].")
@click.option(
    "--workers",
    type=click.IntRange(1, 64),
    default=None,
    help="Server processes on the one port [env CXREPORT_WORKERS, default 1]; rate limits apply per process.",
)
def serve(database: str | None, host: str | None, port: int | None, workers: int | None) -> None:
    """Serve the HTTP API (creates or upgrades the schema first)."""
    settings = Settings.from_env(database_url=database, host=host, port=port, workers=workers)
    _serve(settings)


def _serve(settings: Settings) -> None:
    import uvicorn

    from cxreport.http import create_app

    signal.signal(signal.SIGTERM, _terminated)
    limit_malloc_arenas()
    store = open_store(settings.database_url, statement_timeout_ms=settings.statement_timeout_ms)
    store.migrate()
    log_access_to_stderr()
    where = f"http://{settings.host}:{settings.port}"
    processes = f" ({settings.workers} worker processes)" if settings.workers > 1 else ""
    click.echo(f"cxreport serving {_redacted(settings.database_url)} on {where}{processes}", err=True)
    if settings.workers > 1:
        from cxreport.cli.workers import serve_workers

        store.close()  # each worker opens its own
        serve_workers(settings, uvicorn_options(settings))
        return
    uvicorn.run(create_app(settings, store), **uvicorn_options(settings))


def uvicorn_options(settings: Settings) -> dict[str, Any]:
    connections = guard_connections(settings)
    return dict(
        host=settings.host,
        port=settings.port,
        log_level="info",
        access_log=False,  # it prints whole query strings, which hold customer numbers: ours is cxreport.access
        **connections,
        timeout_graceful_shutdown=settings.shutdown_timeout_seconds,
    )


def guard_connections(settings: Settings) -> dict[str, Any]:
    """uvicorn's options for connections (docs/operations.md, "Connections"): httptools with head and body
    deadlines, a bound on a request head and a connection cap that fits the file limit, the keep-alive timeout,
    and asyncio's accept errors logged once a minute."""
    from cxreport.http.connections import AcceptErrorFilter, connection_cap, guarded
    from cxreport.http.threads import WORKER_THREADS

    logging.getLogger("asyncio").addFilter(AcceptErrorFilter())
    threads = WORKER_THREADS + settings.write_concurrency  # the readers' pool, plus the writers'
    cap = connection_cap(settings.max_connections, threads)
    return {
        # what is buffered of a request head (line and headers) before it is refused with a plain 400: room for
        # the largest accepted query string and headers, so that those limits answer in JSON
        "http": guarded(settings.header_timeout_seconds, settings.body_timeout_seconds, cap,
                        settings.max_header_bytes + settings.max_query_bytes + 4096),
        "timeout_keep_alive": settings.keep_alive_timeout_seconds,
        "limit_concurrency": cap + 1,  # requests in flight (a 503 beyond); connections are capped by the protocol
    }


def _terminated(signum: int, frame: object) -> None:
    """SIGTERM after a graceful shutdown (uvicorn re-raises the signal once it has stopped), or before the
    server started: an orderly exit, status 0."""
    raise SystemExit(0)


def log_access_to_stderr() -> None:
    """The access log (`cxreport.access`, one JSON object per request) as bare lines on stderr."""
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("%(message)s"))
    access = logging.getLogger("cxreport.access")
    access.handlers[:] = [handler]
    access.setLevel(logging.INFO)
    access.propagate = False


def _redacted(url: str) -> str:
    """A database URL without its password, if it has one."""
    scheme, separator, rest = url.partition("://")
    credentials_part, at, host = rest.rpartition("@")
    if not separator or not at or ":" not in credentials_part:
        return url
    return f"{scheme}://{credentials_part.split(':', 1)[0]}:***@{host}"


@click.command()
@database_option
def migrate(database: str | None) -> None:
    """Create the schema or upgrade it to this version."""
    version = open_cli_store(database).migrate()
    click.echo(f"schema at version {version}")


@click.command()
@database_option
@click.option("--count", type=click.IntRange(0, 10_000_000), default=10_000, show_default=True)
@click.option("--seed", type=int, default=1, show_default=True, help="Same seed, same synthetic data.")
@click.option("--serve", "then_serve", is_flag=True, help="Serve the API afterwards.")
@click.option("--host", default=None, help="With --serve: address to listen on.")
@click.option("--port", type=int, default=None, help="With --serve: port to listen on.")
def demo(database: str | None, count: int, seed: int, then_serve: bool, host: str | None, port: int | None) -> None:
    """Load the seed's tenant with its sample records and COUNT synthetic interactions."""
    from cxreport.cli.demo import load_demo

    settings = Settings.from_env(database_url=database, host=host, port=port)
    store = open_cli_store(settings.database_url, workload="bulk-writes")
    result = load_demo(store, count, seed)
    counts = result.counts
    click.echo(f"demo tenant {result.tenant.name!r} ({result.tenant.timezone}) id {result.tenant.id}")
    click.echo(f"records: {counts.inserted} inserted, {counts.updated} updated, {counts.unchanged} unchanged")
    click.echo(f"admin key id: {result.key.key.id}")
    click.echo(f"secret:       {result.key.secret}")
    click.echo("the seed's request:")
    click.echo(f"  {result.curl(f'http://{settings.host}:{settings.port}')}")
    store.close()
    if then_serve:
        _serve(settings)


