"""`cxreport import-events`, run as the installed console script against a real SQLite database."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from cxreport.metrics import DEFAULT_SLA
from support.cli import Cli, assert_ok, assert_one_error_line
from support.data import SAMPLE, STREAMS
from support.seed_derivation import derive

TENANT = SAMPLE["tenantId"]
FILES = sorted(STREAMS.glob("*.ndjson"))
EVENT_COUNT = sum(1 for path in FILES for line in path.read_bytes().splitlines() if line.strip())


@pytest.fixture
def events_cli(tmp_path: Path) -> Cli:
    cli = Cli(tmp_path, f"sqlite:///{tmp_path}/events.db")
    cli.create_tenant("--id", TENANT, name="Your Tenant")
    return cli


def test_import_the_seed_streams_then_again(events_cli: Cli) -> None:
    result = events_cli("import-events", "--tenant", TENANT, *map(str, FILES))
    assert_ok(result)
    assert result.stdout == f"done: {EVENT_COUNT} accepted, 0 duplicates, 0 rejected; 10 record derivations\n"
    records = {r["interactionId"]: r for r in events_cli.records(TENANT)}
    assert len(records) == 10
    for interaction_id, stored in records.items():
        assert stored == derive(interaction_id, DEFAULT_SLA), "the same record as the derivation core makes"
    again = events_cli("import-events", "--tenant", TENANT, "--batch-size", "7", *map(str, FILES))
    assert_ok(again)
    assert again.stdout == f"done: 0 accepted, {EVENT_COUNT} duplicates, 0 rejected; 0 record derivations\n"


def test_import_from_stdin_in_small_batches_with_a_rejected_event(events_cli: Cli) -> None:
    lines = (STREAMS / "e6952d50-eca3-11e7-ba92-25b49e03c3e7.ndjson").read_bytes().splitlines()
    broken = json.loads(lines[1])
    del broken["queueId"]
    body = b"\n".join([lines[0], b"", json.dumps(broken).encode(), *lines[2:]]) + b"\n"
    result = events_cli("import-events", "--tenant", TENANT, "--batch-size", "2", "-", stdin=body)
    assert result.returncode == 1, result.stderr
    assert result.stderr.splitlines() == [
        "rejected: -: position 1 (line 3): Object missing required field `queueId` - at `$.queueId`"]
    # batches of 2 events: the one interaction is derived again by each of its 2 batches
    assert result.stdout == f"done: {len(lines) - 1} accepted, 0 duplicates, 1 rejected; 2 record derivations\n"
    [stored] = events_cli.records(TENANT)
    assert stored["flagged"] is True, "the queue exit names a queue entry that never arrived"


def test_an_event_holding_a_nul_is_rejected_as_over_http(events_cli: Cli) -> None:
    """Neither store takes a NUL (PostgreSQL text cannot hold one; SQLite's JSON functions would cut the facet
    short): the line is rejected with its position, the others are stored."""
    lines = (STREAMS / "e6952d50-eca3-11e7-ba92-25b49e03c3e7.ndjson").read_bytes().splitlines()
    started = json.loads(lines[0])
    started["customer"] = "a\u0000b"
    body = b"\n".join([json.dumps(started).encode(), *lines[1:]]) + b"\n"
    result = events_cli("import-events", "--tenant", TENANT, "-", stdin=body)
    assert result.returncode == 1, result.stderr
    assert result.stderr.splitlines() == [
        "rejected: -: position 0 (line 1): the event holds a NUL character (\\u0000), which cxreport does not store"]
    assert result.stdout == f"done: {len(lines) - 1} accepted, 0 duplicates, 1 rejected; 1 record derivations\n"
    assert all("\x00" not in json.dumps(record) for record in events_cli.records(TENANT))


def test_import_events_errors_are_one_line(events_cli: Cli, tmp_path: Path) -> None:
    assert_one_error_line(events_cli("import-events", "--tenant", "00000000-0000-4000-8000-000000000000", "-",
                                     stdin=b""), "there is no tenant")
    assert_one_error_line(events_cli("import-events", "--tenant", TENANT, str(tmp_path / "missing.ndjson")),
                          "missing.ndjson")
    empty = events_cli("import-events", "--tenant", TENANT, "-", stdin=b"\n\n")
    assert_ok(empty)
    assert empty.stdout.startswith("done: 0 accepted")
