"""`cxreport export`, run as the installed console script: the file holds, byte for byte, what the search serves
(NDJSON) or one CSV row per record in the search's order, across several export batches with many records at
the same instant (the keyset's ties), with the filters and to standard output; errors are one line."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest

from cxreport.records.csv import CSV_COLUMNS
from cxreport.service.export import EXPORT_BATCH
from cxreport.store.base import PageRequest, Query
from support.cli import Cli, assert_ok, assert_one_error_line, make_record, ndjson

COUNT = 2 * EXPORT_BATCH + 300
"""Three batches; `make_record` puts every record of a day at the same instant (~150 ties an instant)."""


@pytest.fixture(scope="module")
def exported(tmp_path_factory: pytest.TempPathFactory) -> tuple[Cli, str]:
    folder = tmp_path_factory.mktemp("export")
    cli = Cli(folder, f"sqlite:///{folder}/x.db")
    tenant = cli.create_tenant()["tenantId"]
    records = [
        make_record(n, channelType="voice" if n % 3 else "sms", customer=None if n % 5 == 0 else f"+1555{n:07d}",
                    flowName=f"flow, \"{n}\"\nline two" if n % 7 == 0 else None)
        for n in range(COUNT)
    ]
    path = folder / "records.ndjson"
    path.write_bytes(ndjson(records))
    assert_ok(cli("import", "--tenant", tenant, str(path)))
    return cli, tenant


def served(cli: Cli, tenant: str, include_nulls: bool = False, descending: bool = True) -> list[bytes]:
    """The tenant's documents as the search pages them (not the export's code path)."""
    with cli.store() as store:
        page = store.search(tenant, PageRequest(Query(descending=descending), limit=COUNT + 1, offset=0,
                                                include_nulls=include_nulls))
    assert page.total == COUNT == len(page.docs)
    return page.docs


def run_export(cli: Cli, tenant: str, *options: str) -> bytes:
    target = cli.cwd / "out"
    result = cli("export", "--tenant", tenant, "--output", str(target), *options)
    assert_ok(result)
    data = target.read_bytes()
    target.unlink()
    return data


def test_ndjson_is_the_stored_documents_in_order(exported: tuple[Cli, str]) -> None:
    cli, tenant = exported
    assert run_export(cli, tenant) == b"".join(doc + b"\n" for doc in served(cli, tenant))


def test_ndjson_ascending_with_nulls(exported: tuple[Cli, str]) -> None:
    cli, tenant = exported
    data = run_export(cli, tenant, "--sort", "asc", "--include-nulls")
    expected = served(cli, tenant, include_nulls=True, descending=False)
    assert data == b"".join(doc + b"\n" for doc in expected)
    assert b'"customer":null' in data


def test_csv_is_one_row_a_record_in_order(exported: tuple[Cli, str]) -> None:
    cli, tenant = exported
    data = run_export(cli, tenant, "--format", "csv")
    rows = list(csv.reader(io.StringIO(data.decode("utf-8"), newline="")))
    assert tuple(rows[0]) == CSV_COLUMNS
    ids = [json.loads(doc)["interactionId"] for doc in served(cli, tenant)]
    assert [row[0] for row in rows[1:]] == ids
    flow_name = CSV_COLUMNS.index("flowName")
    assert rows[1 + ids.index(make_record(7)["interactionId"])][flow_name] == 'flow, "7"\nline two'
    assert data.count(b"\r\n") == COUNT + 1  # the line ends; a newline inside a quoted cell stays a bare \n


def test_a_filtered_export_and_standard_output(exported: tuple[Cli, str]) -> None:
    cli, tenant = exported
    result = cli("export", "--tenant", tenant, "--output", "-", "--channel-type", "sms", "--start",
                 "2018-01-03T00:00:00Z", "--end", "2018-01-10T00:00:00Z")
    assert_ok(result)
    expected = [
        doc for doc in served(cli, tenant)
        if json.loads(doc)["channelType"] == "sms" and "2018-01-03" <= json.loads(doc)["startTimestamp"] < "2018-01-10"
    ]
    assert 0 < len(expected) < COUNT
    assert result.stdout.encode() == b"".join(doc + b"\n" for doc in expected)
    assert result.stderr.strip() == f"exported {len(expected)} interactions to -"


def test_an_unwritable_output_is_one_error_line(exported: tuple[Cli, str], tmp_path: Path) -> None:
    cli, tenant = exported
    assert_one_error_line(cli("export", "--tenant", tenant, "--output", str(tmp_path / "missing" / "out")))


def test_an_unknown_tenant_is_one_error_line(exported: tuple[Cli, str]) -> None:
    cli, _ = exported
    assert_one_error_line(
        cli("export", "--tenant", "00000000-0000-4000-8000-00000000beef", "--output", str(cli.cwd / "out")),
        "no tenant",
    )
