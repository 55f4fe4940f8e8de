"""The `cxreport` command: a thin layer over the library; every error is one line on stderr. The commands live
by subject in `serving.py` (serve, migrate, demo), `admin.py` (tenants, keys) and `bulk.py` (import,
import-events, export)."""

from __future__ import annotations

import sys
from collections.abc import Callable
from typing import Any, NoReturn

import click

from cxreport.cli import admin, bulk, serving
from cxreport.errors import CxError


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="cxreport")
def cli() -> None:
    """cxreport: contact-center interaction reporting."""



for command in (serving.serve, serving.migrate, admin.tenants_group, admin.keys_group, bulk.import_command,
                bulk.import_events_command, bulk.follow_queue_log_command,
                bulk.export_command, serving.demo):
    cli.add_command(command)


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
