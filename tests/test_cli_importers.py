"""`cxreport import-events --format asterisk-queue-log`, run as the installed console script against a real SQLite
database: files, standard input, gzip (and a truncated one), `--strict`, `--source`, per-line rejections,
importing twice, and the native format read from gzip too."""

from __future__ import annotations

import gzip
import io
import time
from pathlib import Path
from typing import Any

import pytest

from cxreport.importers.asterisk import translate
from cxreport.importers.base import ImportOptions
from support.cli import Cli, assert_ok
from support.data import STREAMS

TENANT = "2336d1ec-c956-47e1-b3b1-fe8fde81b2b4"
SAMPLE = Path(__file__).parent / "data" / "importers" / "asterisk" / "queue_log-samples.txt"
FORMAT = ("--format", "asterisk-queue-log")


def calls(count: int, start: int = 1_700_000_000) -> bytes:
    """`count` answered calls in queue `sales`, one a minute: 4 lines each."""
    lines = []
    for n in range(count):
        t, callid = start + 60 * n, f"{start + 60 * n}.{n}"
        lines += [f"{t}|{callid}|sales|NONE|ENTERQUEUE||555{n:04d}|1|",
                  f"{t + 5}|{callid}|sales|Agent/{n % 3}|CONNECT|5|{callid}9|2|",
                  f"{t + 50}|{callid}|sales|Agent/{n % 3}|COMPLETEAGENT|5|45|1|"]
    return ("\n".join(lines) + "\n").encode()


def event_count(text: bytes, **options: Any) -> int:
    return sum(len(item.events) for item in translate(io.BytesIO(text), ImportOptions(**options)))


@pytest.fixture
def qcli(tmp_path: Path) -> Cli:
    cli = Cli(tmp_path, f"sqlite:///{tmp_path}/q.db")
    cli.create_tenant("--id", TENANT)
    return cli


def test_a_queue_log_file_then_again_as_gzip_from_standard_input(qcli: Cli, tmp_path: Path) -> None:
    log = calls(40)
    (tmp_path / "queue_log").write_bytes(log)
    result = qcli("import-events", "--tenant", TENANT, *FORMAT, "--batch-size", "50", str(tmp_path / "queue_log"))
    assert_ok(result)
    total = event_count(log)
    assert result.stdout == f"done: {total} accepted, 0 duplicates, 0 rejected; 40 record derivations\n".replace(
        "40 record", f"{_derivations(log, 50)} record")
    records = qcli.records(TENANT)
    assert len(records) == 40 and all(r["interactionEndType"] == "agent-disconnect" for r in records)
    again = qcli("import-events", "--tenant", TENANT, *FORMAT, "-", stdin=gzip.compress(log))
    assert_ok(again)
    assert again.stdout == f"done: 0 accepted, {total} duplicates, 0 rejected; 0 record derivations\n"
    assert qcli.records(TENANT) == records


def _derivations(log: bytes, batch_size: int) -> int:
    """Record derivations: each batch derives the interactions it touches (a batch closes after whole lines)."""
    touched, batch, derivations = set(), 0, 0
    for item in translate(io.BytesIO(log), ImportOptions()):
        if item.events:
            touched.add(item.events[0].split(b'"interactionId":"')[1][:36])
            batch += len(item.events)
            if batch >= batch_size:
                derivations, touched, batch = derivations + len(touched), set(), 0
    return derivations + len(touched)


def _batch_ends(log: bytes, batch_size: int) -> set[int]:
    """The event counts at which a batch of `batch_size` is closed (after the line that fills it)."""
    ends, total, batch = set(), 0, 0
    for item in translate(io.BytesIO(log), ImportOptions()):
        total, batch = total + len(item.events), batch + len(item.events)
        if batch >= batch_size:
            ends.add(total)
            batch = 0
    return ends


def test_the_sample_file_with_its_comments_imports_whole(qcli: Cli) -> None:
    result = qcli("import-events", "--tenant", TENANT, *FORMAT, "--timezone", "Europe/Paris", str(SAMPLE))
    assert_ok(result)
    assert result.stdout.startswith(f"done: {event_count(SAMPLE.read_bytes())} accepted, 0 duplicates, 0 rejected")
    assert len(qcli.records(TENANT)) == 8


def test_bad_lines_are_reported_by_file_and_line_and_the_others_stored(qcli: Cli, tmp_path: Path) -> None:
    good = calls(2).decode().splitlines()
    lines = [good[0], "1700000000|1.1|sales|NONE|TELEPORT|", *good[1:4], "half a line", *good[4:],
             "2023-02-30 10:00:00.000000|1.1|q|NONE|ENTERQUEUE||555|1||"]
    path = tmp_path / "queue_log"
    path.write_text("\n".join(lines) + "\n")
    result = qcli("import-events", "--tenant", TENANT, *FORMAT, str(path))
    assert result.returncode == 1 and "Traceback" not in result.stderr
    assert result.stderr.splitlines() == [
        f"rejected: {path}: line 2: unknown event 'TELEPORT'",
        f"rejected: {path}: line 6: expected at least 5 '|'-separated fields (time|callid|queue|agent|event), found 1",
        f"rejected: {path}: line 9: the time '2023-02-30 10:00:00.000000' does not exist",
    ]
    assert result.stdout.startswith(f"done: {event_count(calls(2))} accepted, 0 duplicates, 3 rejected")
    assert len(qcli.records(TENANT)) == 2


def test_strict_writes_nothing_when_a_line_is_bad(qcli: Cli) -> None:
    body = calls(3) + b"1700000000|1.1|sales|NONE|TELEPORT|\n"
    result = qcli("import-events", "--tenant", TENANT, *FORMAT, "--strict", "-", stdin=body)
    assert result.returncode == 1
    assert result.stderr == "rejected: -: line 10: unknown event 'TELEPORT'\n"
    assert result.stdout == "nothing written (--strict): 0 accepted, 0 duplicates, 1 rejected; 0 record derivations\n"
    assert qcli.records(TENANT) == []
    fine = qcli("import-events", "--tenant", TENANT, *FORMAT, "--strict", "-", stdin=calls(3))
    assert_ok(fine)
    assert len(qcli.records(TENANT)) == 3


def test_a_truncated_gzip_is_one_line_and_its_broken_batch_is_not_stored(qcli: Cli, tmp_path: Path) -> None:
    log = calls(3000)
    packed = gzip.compress(log)
    path = tmp_path / "queue_log.gz"
    path.write_bytes(packed[: len(packed) * 2 // 3])
    result = qcli("import-events", "--tenant", TENANT, *FORMAT, "--batch-size", "1000", str(path))
    assert result.returncode == 1 and "Traceback" not in result.stderr
    [line] = result.stderr.splitlines()
    assert line.startswith(f"rejected: {path}: line ")
    assert "unreadable from here on: the gzip stream is truncated or corrupt" in line
    assert "were not stored either" in line
    stored = qcli.records(TENANT)
    accepted = int(result.stdout.split()[1])
    assert accepted in _batch_ends(log, 1000), "whole batches only, each ending after a whole line"
    assert 0 < len(stored) < 3000
    assert all("flagged" not in record for record in stored), "no call cut in half"
    strict = qcli("import-events", "--tenant", TENANT, *FORMAT, "--strict", str(path))
    assert strict.returncode == 1 and strict.stdout.startswith("nothing written (--strict): 0 accepted")


def test_the_source_name_keeps_two_systems_calls_apart(qcli: Cli) -> None:
    for source in ("pbx-paris", "pbx-lyon"):
        assert_ok(qcli("import-events", "--tenant", TENANT, *FORMAT, "--source", source, "-", stdin=calls(2)))
    assert len(qcli.records(TENANT)) == 4


def test_native_events_are_read_from_gzip_too(qcli: Cli, tmp_path: Path) -> None:
    stream = (STREAMS / "e6952d50-eca3-11e7-ba92-25b49e03c3e7.ndjson").read_bytes()
    path = tmp_path / "events.ndjson.gz"
    path.write_bytes(gzip.compress(stream))
    result = qcli("import-events", "--tenant", TENANT, str(path))
    assert_ok(result)
    assert result.stdout.startswith(f"done: {len(stream.splitlines())} accepted")


@pytest.mark.parametrize(("args", "fragment"), [
    (("--timezone", "Mars/Olympus"), "'Mars/Olympus' is not an IANA time zone"),
    (("--format", "sip-trace"), "'sip-trace' is not one of"),
    (("--source", ""), "--source"),
])
def test_bad_options_are_one_error_line(qcli: Cli, tmp_path: Path, args: tuple[str, ...], fragment: str) -> None:
    (tmp_path / "q").write_bytes(calls(1))
    result = qcli("import-events", "--tenant", TENANT, *args, str(tmp_path / "q"))
    assert result.returncode != 0 and "Traceback" not in result.stderr
    [line] = result.stderr.splitlines()
    assert line.startswith("cxreport: error:") and fragment in line, line


CONNECT_SAMPLES = Path(__file__).parent / "data" / "importers" / "connect"


def test_contact_records_through_the_command_from_gzip_then_again_as_ndjson(qcli: Cli, tmp_path: Path) -> None:
    compressed = tmp_path / "ctr.json.gz"
    compressed.write_bytes(gzip.compress((CONNECT_SAMPLES / "ctr-versions-array.json").read_bytes()))
    first = qcli("import-events", "--tenant", TENANT, "--format", "connect-ctr", "--source", "connect-east",
                 str(compressed))
    assert_ok(first)
    assert first.stdout.startswith("done: ") and " 0 rejected" in first.stdout
    records = qcli.records(TENANT)
    assert len(records) == 1
    [stored] = records
    assert (stored["customer"], stored["queues"][0]["queueTime"]) == ("+190011112222", 346.0)
    again = qcli("import-events", "--tenant", TENANT, "--format", "connect-ctr", "--source", "connect-east",
                 str(CONNECT_SAMPLES / "ctr-versions.ndjson"))
    assert_ok(again)
    assert again.stdout.startswith("done: 0 accepted, ")  # the same versions: duplicates only
    assert qcli.records(TENANT) == records


def contact_records(count: int) -> bytes:
    """`count` answered single-leg contacts, one a minute, as NDJSON."""
    from support.connect import agent, ctr, ndjson, queue

    legs = []
    for n in range(count):
        at = 1_700_000_000 + 60 * n

        def t(seconds: int, base: int = at) -> str:
            return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(base + seconds))

        legs.append(ctr(f"00000000-0000-4000-8000-{n:012d}", t(0), t(50),
                        Queue=queue("Support", t(2), t(5), 3),
                        Agent=agent("ada", t(5), 45, t(50), t(55), 5)))
    return ndjson(*legs)


def test_contact_records_from_standard_input_a_bad_one_reported_and_strict_writes_nothing(qcli: Cli) -> None:
    good = contact_records(3).splitlines(keepends=True)
    body = good[0] + b'{"InitiationTimestamp": "2023-11-14T22:13:20Z", "Channel": "VOICE"}\n' + b"".join(good[1:])
    strict = qcli("import-events", "--tenant", TENANT, "--format", "connect-ctr", "--strict", "-", stdin=body)
    assert strict.returncode == 1 and "Traceback" not in strict.stderr
    assert strict.stderr == "rejected: -: line 2: the contact record has no ContactId\n"
    assert strict.stdout.startswith("nothing written (--strict): 0 accepted, 0 duplicates, 1 rejected")
    assert qcli.records(TENANT) == []
    lenient = qcli("import-events", "--tenant", TENANT, "--format", "connect-ctr", "-", stdin=body)
    assert lenient.returncode == 1
    assert lenient.stderr == "rejected: -: line 2: the contact record has no ContactId\n"
    assert len(qcli.records(TENANT)) == 3


def test_a_truncated_gzip_of_contact_records_stores_whole_contacts_only(qcli: Cli, tmp_path: Path) -> None:
    packed = gzip.compress(contact_records(2000))
    path = tmp_path / "ctr.ndjson.gz"
    path.write_bytes(packed[: len(packed) * 2 // 3])
    result = qcli("import-events", "--tenant", TENANT, "--format", "connect-ctr", "--batch-size", "1000", str(path))
    assert result.returncode == 1 and "Traceback" not in result.stderr
    [line] = result.stderr.splitlines()
    assert line.startswith(f"rejected: {path}: line ")
    assert "truncated" in line
    stored = qcli.records(TENANT)
    assert 0 < len(stored) < 2000
    assert all(record.get("endTimestamp") and record["agents"][0].get("agentWrapUpTime") == 5.0 for record in stored)
    strict = qcli("import-events", "--tenant", TENANT, "--format", "connect-ctr", "--strict", str(path))
    assert strict.returncode == 1 and strict.stdout.startswith("nothing written (--strict): 0 accepted")
