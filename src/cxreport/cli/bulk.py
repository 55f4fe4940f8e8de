"""`cxreport import`, `import-events` and `export`: records and events from files, records to a file."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import click

from cxreport.cli.options import database_option, open_cli_store, tenant_named
from cxreport.importers import SOURCE_FORMATS, translator
from cxreport.records.facets import FACETS
from cxreport.records.filters import parse_filters


@click.command("import")
@database_option
@click.option("--tenant", "tenant_id", required=True, metavar="ID", help="The tenant id.")
@click.option("--strict", is_flag=True, help="Write nothing if any record is rejected.")
@click.option(
    "--batch-size", type=click.IntRange(1, 1_000_000), default=None,
    help="Records a transaction (default: 20,000 on SQLite, 2,000 on PostgreSQL).",
)
@click.option(
    "--writers", type=click.IntRange(1, 16), default=None,
    help="Batches written at once (default: 1 on SQLite, 2 on PostgreSQL).",
)
@click.argument("files", nargs=-1, required=True, metavar="FILE…")
def import_command(
    database: str | None, tenant_id: str, strict: bool, batch_size: int | None, writers: int | None,
    files: tuple[str, ...],
) -> None:
    """Import records from JSON (seed envelope or array) or NDJSON files; `-` is standard input."""
    from cxreport.cli.import_records import import_files

    store = open_cli_store(database, workload="bulk-writes")
    tenant = tenant_named(store, tenant_id)
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


@click.command("import-events")
@database_option
@click.option("--tenant", "tenant_id", required=True, metavar="ID", help="The tenant id.")
@click.option(
    "--format", "source_format", type=click.Choice(["cxreport", *SOURCE_FORMATS]), default="cxreport",
    show_default=True,
    help="What the files hold: cxreport's NDJSON events, an Asterisk queue_log (file or table form), or Amazon "
    "Connect contact records.",
)
@click.option(
    "--source", default="default", show_default=True, metavar="NAME",
    help="Names the system the files come from: ids derived from its call ids are namespaced by it.",
)
@click.option(
    "--timezone", "zone_name", default="UTC", show_default=True, metavar="ZONE",
    help="The IANA zone of local times without an offset (queue_log's table form).",
)
@click.option("--strict", is_flag=True, help="Check every file first; write nothing if any line is bad.")
@click.option(
    "--batch-size",
    type=click.IntRange(1, 100_000),
    default=100_000,
    show_default=True,
    help="Events a transaction: each commit rewrites the index pages it touched, so bigger batches import faster.",
)
@click.argument("files", nargs=-1, required=True, metavar="FILE…")
def import_events_command(
    database: str | None, tenant_id: str, source_format: str, source: str, zone_name: str, strict: bool,
    batch_size: int, files: tuple[str, ...],
) -> None:
    """Import contact-center events (NDJSON, or another platform's log with --format; `-` is standard input,
    gzip is read as such) and derive their records."""
    from cxreport.cli.import_events import import_event_files
    from cxreport.importers.base import ImportOptions

    options = ImportOptions(source=_source_name(source), timezone=_zone(zone_name))
    if source_format != "cxreport":
        try:
            translator(source_format)
        except ModuleNotFoundError:
            raise click.BadParameter(f"{source_format} is not available in this build", param_hint="--format") from None
    store = open_cli_store(database, workload="bulk-writes")
    tenant = tenant_named(store, tenant_id)
    report = import_event_files(
        store, tenant.id, list(files), batch_size=batch_size, source_format=source_format, options=options,
        strict=strict,
    )
    if report.counts.accepted:
        store.refresh_statistics()
    for rejected in report.rejected[:100]:
        click.echo(f"rejected: {rejected.describe()}", err=True)
    if len(report.rejected) > 100:
        click.echo(f"rejected: … and {len(report.rejected) - 100} more", err=True)
    counts = report.counts
    written = "done" if report.written else "nothing written (--strict)"
    click.echo(
        f"{written}: {counts.accepted} accepted, {counts.duplicates} duplicates, {len(report.rejected)} rejected; "
        f"{counts.interactions} record derivations"
    )
    if report.rejected:
        raise click.exceptions.Exit(1)


@click.command("follow-queue-log")
@database_option
@click.option("--tenant", "tenant_id", required=True, metavar="ID", help="The tenant id.")
@click.option(
    "--source", default="default", show_default=True, metavar="NAME",
    help="Names the PBX the log comes from (as import-events --source: the same calls make the same ids).",
)
@click.option(
    "--timezone", "zone_name", default="UTC", show_default=True, metavar="ZONE",
    help="The IANA zone of local times without an offset (queue_log's table form).",
)
@click.argument("file", metavar="FILE")
def follow_queue_log_command(database: str | None, tenant_id: str, source: str, zone_name: str, file: str) -> None:
    """Follow a live Asterisk queue_log (as tail -F: through rotation and truncation) and store each line's events
    as it is written; after a restart, go on from where it stopped. Stops on SIGINT or SIGTERM."""
    import signal
    import threading

    from cxreport.cli.follow_log import follow
    from cxreport.importers.base import ImportOptions

    options = ImportOptions(source=_source_name(source), timezone=_zone(zone_name))
    store = open_cli_store(database)
    tenant = tenant_named(store, tenant_id)

    def on_signals(stop: threading.Event) -> None:
        for number in (signal.SIGINT, signal.SIGTERM):
            signal.signal(number, lambda _signal, _frame: stop.set())

    click.echo(f"following {file} (stop with Ctrl-C or SIGTERM)", err=True)
    lines = follow(store, tenant.id, file, options, on_signals)
    store.close()
    click.echo(f"stopped: {lines} lines read", err=True)


def _zone(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise click.BadParameter(f"{name!r} is not an IANA time zone", param_hint="--timezone") from None


def _source_name(name: str) -> str:
    if not name or len(name) > 200 or not name.isprintable():
        raise click.BadParameter("expected 1 to 200 printable characters", param_hint="--source")
    return name


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


@click.command("export")
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

    store = open_cli_store(database, workload="bulk-reads")
    tenant = tenant_named(store, tenant_id)
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


