"""The `cxreport` command: a thin layer over the library; every error is one line on stderr."""

from __future__ import annotations

import json
import logging
import re
import signal
import sys
from collections.abc import Callable
from typing import Any, NoReturn

import click

from cxreport.config import Settings
from cxreport.errors import CxError, NotFound
from cxreport.records.facets import FACETS
from cxreport.records.filters import parse_filters
from cxreport.service import credentials, tenants
from cxreport.store import Store, open_store
from cxreport.times import format_instant

DATABASE_HELP = (
    "Database URL: sqlite:///PATH (default sqlite:///cxreport.db) or postgresql://… [env CXREPORT_DATABASE_URL]"
)

database_option = click.option("--database", "database", metavar="URL", default=None, help=DATABASE_HELP)


def _store(database: str | None, migrate: bool = True, workload: str = "serving") -> Store:
    store = open_store(Settings.from_env(database_url=database).database_url, workload)
    if migrate:
        store.migrate()
    return store


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="cxreport")
def cli() -> None:
    """cxreport: contact-center interaction reporting."""


@cli.command()
@database_option
@click.option("--host", default=None, help="Address to listen on [env CXREPORT_HOST, default 127.0.0.1].")
@click.option("--port", type=int, default=None, help="Port to listen on [env CXREPORT_PORT, default 8080].")
def serve(database: str | None, host: str | None, port: int | None) -> None:
    """Serve the HTTP API (creates or upgrades the schema first)."""
    settings = Settings.from_env(database_url=database, host=host, port=port)
    _serve(settings)


def _serve(settings: Settings) -> None:
    import uvicorn

    from cxreport.http import create_app

    signal.signal(signal.SIGTERM, _terminated)
    store = open_store(settings.database_url, statement_timeout_ms=settings.statement_timeout_ms)
    store.migrate()
    _log_access_to_stderr()
    where = f"http://{settings.host}:{settings.port}"
    click.echo(f"cxreport serving {_redacted(settings.database_url)} on {where}", err=True)
    uvicorn.run(
        create_app(settings, store),
        host=settings.host,
        port=settings.port,
        log_level="info",
        access_log=False,  # it prints whole query strings, which hold customer numbers: ours is cxreport.access
        http="h11",
        # what uvicorn buffers of a request head (line and headers) before it refuses it with a plain 400: room
        # for the largest accepted query string and headers, so that those limits answer in JSON
        h11_max_incomplete_event_size=settings.max_header_bytes + settings.max_query_bytes + 4096,
        timeout_graceful_shutdown=settings.shutdown_timeout_seconds,
    )


def _terminated(signum: int, frame: object) -> None:
    """SIGTERM after a graceful shutdown (uvicorn re-raises the signal once it has stopped), or before the
    server started: an orderly exit, status 0."""
    raise SystemExit(0)


def _log_access_to_stderr() -> None:
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


@cli.command()
@database_option
def migrate(database: str | None) -> None:
    """Create the schema or upgrade it to this version."""
    version = _store(database).migrate()
    click.echo(f"schema at version {version}")


@cli.group("tenants")
def tenants_group() -> None:
    """Manage tenants."""


@tenants_group.command("create")
@database_option
@click.option("--name", required=True, help="The tenant's display name.")
@click.option("--id", "tenant_id", metavar="UUID", default=None, help="The tenant id (random when absent).")
@click.option("--timezone", default="UTC", show_default=True, help="IANA time zone, e.g. America/New_York.")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object.")
def tenants_create(database: str | None, name: str, tenant_id: str | None, timezone: str, as_json: bool) -> None:
    """Create a tenant and its first admin API key (the secret is shown only now)."""
    created = tenants.create_tenant(_store(database), name, tenant_id, timezone)
    if as_json:
        click.echo(json.dumps(created.as_json()))
        return
    click.echo(f"tenant id:  {created.tenant.id}")
    click.echo(f"key id:     {created.admin_key.key.id}  (role admin)")
    click.echo(f"secret:     {created.admin_key.secret}  (shown only this once)")


@cli.group("keys")
def keys_group() -> None:
    """Manage API keys."""


@keys_group.command("create")
@database_option
@click.option("--tenant", "tenant_id", required=True, metavar="ID", help="The tenant id.")
@click.option("--role", type=click.Choice(credentials.ROLES), default="read", show_default=True)
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object.")
def keys_create(database: str | None, tenant_id: str, role: str, as_json: bool) -> None:
    """Create an API key (the secret is shown only now)."""
    store = _store(database)
    tenant = _tenant(store, tenant_id)
    issued = credentials.issue_key(store, tenant.id, role)
    if as_json:
        click.echo(json.dumps({"tenantId": tenant.id, "apiKey": issued.as_json()}))
        return
    click.echo(f"key id:  {issued.key.id}  (role {role})")
    click.echo(f"secret:  {issued.secret}  (shown only this once)")


@keys_group.command("list")
@database_option
@click.option("--tenant", "tenant_id", required=True, metavar="ID", help="The tenant id.")
def keys_list(database: str | None, tenant_id: str) -> None:
    """List a tenant's API keys (never their secrets)."""
    store = _store(database)
    for key in store.list_keys(_tenant(store, tenant_id).id):
        revoked = f"revoked {format_instant(key.revoked_us)}" if key.revoked_us else "active"
        click.echo(f"{key.id}  {key.role:<6}  created {format_instant(key.created_us)}  {revoked}")


@keys_group.command("revoke")
@database_option
@click.argument("key_id")
def keys_revoke(database: str | None, key_id: str) -> None:
    """Revoke an API key and every token made from it."""
    key = credentials.revoke_key(_store(database), key_id)
    click.echo(f"revoked {key.id} of tenant {key.tenant_id}")


def _tenant(store: Store, tenant_id: str) -> Any:
    tenant = store.get_tenant(tenants.check_tenant_id(tenant_id, "tenant"))
    if tenant is None:
        raise NotFound(f"there is no tenant {tenant_id}")
    return tenant


@cli.command("import")
@database_option
@click.option("--tenant", "tenant_id", required=True, metavar="ID", help="The tenant id.")
@click.option("--strict", is_flag=True, help="Write nothing if any record is rejected.")
@click.option("--batch-size", type=click.IntRange(1, 100_000), default=2000, show_default=True)
@click.option(
    "--writers", type=click.IntRange(1, 16), default=None,
    help="Batches written at once (default: 1 on SQLite, 2 on PostgreSQL).",
)
@click.argument("files", nargs=-1, required=True, metavar="FILE…")
def import_command(
    database: str | None, tenant_id: str, strict: bool, batch_size: int, writers: int | None, files: tuple[str, ...]
) -> None:
    """Import records from JSON (seed envelope or array) or NDJSON files; `-` is standard input."""
    from cxreport.cli.import_records import import_files

    store = _store(database, workload="bulk-writes")
    tenant = _tenant(store, tenant_id)
    report = import_files(store, tenant.id, list(files), strict=strict, batch_size=batch_size, writers=writers)
    for rejected in report.rejected[:100]:
        click.echo(f"rejected: {rejected.describe()}", err=True)
    if len(report.rejected) > 100:
        click.echo(f"rejected: … and {len(report.rejected) - 100} more", err=True)
    counts = report.counts
    written = "nothing written (--strict)" if strict and report.rejected else "done"
    click.echo(
        f"{written}: {counts.inserted} inserted, {counts.updated} updated, {counts.unchanged} unchanged, "
        f"{len(report.rejected)} rejected"
    )
    if report.rejected:
        raise click.exceptions.Exit(1)


@cli.command("import-events")
@database_option
@click.option("--tenant", "tenant_id", required=True, metavar="ID", help="The tenant id.")
@click.option(
    "--batch-size",
    type=click.IntRange(1, 100_000),
    default=100_000,
    show_default=True,
    help="Events a transaction: each commit rewrites the index pages it touched, so bigger batches import faster.",
)
@click.argument("files", nargs=-1, required=True, metavar="FILE…")
def import_events_command(database: str | None, tenant_id: str, batch_size: int, files: tuple[str, ...]) -> None:
    """Import contact-center events from NDJSON files (`-` is standard input) and derive their records."""
    from cxreport.cli.import_events import import_event_files

    store = _store(database, workload="bulk-writes")
    tenant = _tenant(store, tenant_id)
    report = import_event_files(store, tenant.id, list(files), batch_size=batch_size)
    if report.counts.accepted:
        store.refresh_statistics()
    for rejected in report.rejected[:100]:
        click.echo(f"rejected: {rejected.describe()}", err=True)
    if len(report.rejected) > 100:
        click.echo(f"rejected: … and {len(report.rejected) - 100} more", err=True)
    counts = report.counts
    click.echo(
        f"done: {counts.accepted} accepted, {counts.duplicates} duplicates, {len(report.rejected)} rejected; "
        f"{counts.interactions} record derivations"
    )
    if report.rejected:
        raise click.exceptions.Exit(1)


EXPORT_FILTERS = {re.sub(r"(?<!^)(?=[A-Z])", "_", f.parameter).lower(): f for f in FACETS if f.parameter}
"""The export command's filter options (`--channel-type` …): one per filter parameter of the facet registry."""


def _filter_options(command: Callable[..., Any]) -> Callable[..., Any]:
    for option, facet in reversed(EXPORT_FILTERS.items()):
        flag = "--" + option.replace("_", "-")
        values = "true|false" if facet.is_flag else "VALUE[,VALUE…]"
        help_text = f"Filter: {facet.parameter}. {facet.help}".strip()
        command = click.option(flag, option, metavar=values, help=help_text)(command)
    return click.option(
        "--attribute", "attributes", multiple=True, metavar="NAME=VALUE", help="Custom attribute (repeatable, ANDed)."
    )(command)


@cli.command("export")
@database_option
@click.option("--tenant", "tenant_id", required=True, metavar="ID", help="The tenant id.")
@click.option("--format", "export_format", type=click.Choice(["ndjson", "csv"]), default="ndjson", show_default=True)
@click.option("--output", required=True, metavar="FILE", help="Where to write; - is standard output.")
@click.option("--start", default=None, metavar="TIME", help="Window start (inclusive), ISO 8601.")
@click.option("--end", default=None, metavar="TIME", help="Window end (exclusive), ISO 8601.")
@click.option(
    "--time-field", type=click.Choice(["startTimestamp", "endTimestamp", "lastUpdated"]), default="startTimestamp"
)
@click.option("--sort", type=click.Choice(["desc", "asc"]), default="desc", show_default=True)
@click.option("--include-nulls", is_flag=True, help="NDJSON: keep null-valued fields.")
@_filter_options
def export_command(
    database: str | None,
    tenant_id: str,
    export_format: str,
    output: str,
    start: str | None,
    end: str | None,
    time_field: str,
    sort: str,
    include_nulls: bool,
    attributes: tuple[str, ...],
    **filter_values: str | None,
) -> None:
    """Export every matching interaction as NDJSON or CSV (the same filters and window as the API)."""
    from cxreport.cli.export_file import export_to
    from cxreport.http.search_query import search_request

    store = _store(database, workload="bulk-reads")
    tenant = _tenant(store, tenant_id)
    raw = {str(EXPORT_FILTERS[k].parameter): [v] for k, v in filter_values.items() if v is not None}
    for attribute in attributes:
        name, equals, value = attribute.partition("=")
        if not equals:
            raise click.BadParameter("expected NAME=VALUE", param_hint="--attribute")
        raw.setdefault("hookName", []).append(name)
        raw.setdefault("attribute-value", []).append(value)
    search = search_request(
        (start, "start"), (end, "end"), time_field=time_field, sort=sort, include_nulls=include_nulls,
        filters=parse_filters(raw),
    )
    written = export_to(store, tenant.id, search, export_format, output)
    click.echo(f"exported {written} interactions to {output}", err=output == "-")


@cli.command()
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
    store = _store(settings.database_url, workload="bulk-writes")
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


def main(argv: list[str] | None = None) -> NoReturn:
    """Entry point: run the command; turn every failure into one line on stderr and an exit status."""
    sys.exit(_run(lambda: cli.main(args=argv, prog_name="cxreport", standalone_mode=False)))


def _run(command: Callable[[], Any]) -> int:
    try:
        result = command()
    except click.exceptions.Exit as done:
        return int(done.exit_code)
    except click.exceptions.NoArgsIsHelpError as error:
        click.echo(error.ctx.get_help() if error.ctx else "")
        return 0
    except click.ClickException as error:
        _fail(error.format_message() + _usage_hint(error))
        return error.exit_code
    except click.Abort:
        _fail("aborted")
        return 130
    except KeyboardInterrupt:
        _fail("interrupted")
        return 130
    except CxError as error:
        _fail(error.message)
        return 1
    except OSError as error:
        _fail(f"{error.strerror or error}" + (f": {error.filename}" if error.filename else ""))
        return 1
    return result if isinstance(result, int) else 0


def _usage_hint(error: click.ClickException) -> str:
    if isinstance(error, click.UsageError) and error.ctx is not None:
        return f" (see '{error.ctx.command_path} --help')"
    return ""


def _fail(message: str) -> None:
    click.echo(f"cxreport: error: {' '.join(message.split())}", err=True)
