"""`cxreport import`, run as the installed console script against a real SQLite database: counts, rejections,
`--strict`, batches, standard input."""

from __future__ import annotations

import json
import re
import uuid
from pathlib import Path
from typing import Any

import pytest

from cxreport.store.base import PageRequest, Query
from support.cli import (
    Cli,
    assert_ok,
    assert_one_error_line,
    assert_one_rejection_line,
    counts_line,
    make_record,
    ndjson,
    rejected_lines,
)
from support.data import SAMPLE, SAMPLE_IDS, SAMPLE_PATH, SAMPLE_RESULTS


def test_import_the_seed_envelope_then_again_changes_nothing(cli: Cli, cli_seed_tenant: str) -> None:
    first = cli("import", "--tenant", cli_seed_tenant, str(SAMPLE_PATH))
    assert_ok(first)
    assert counts_line(first) == (10, 0, 0, 0)
    assert first.stderr == ""
    stored = cli.records(cli_seed_tenant)
    assert sorted(stored, key=lambda r: r["interactionId"]) == sorted(SAMPLE_RESULTS, key=lambda r: r["interactionId"])
    assert [list(r) for r in sorted(stored, key=lambda r: r["interactionId"])] == [
        list(r) for r in sorted(SAMPLE_RESULTS, key=lambda r: r["interactionId"])
    ], "key order is kept"

    second = cli("import", "--tenant", cli_seed_tenant, str(SAMPLE_PATH))
    assert_ok(second)
    assert counts_line(second) == (0, 0, 10, 0)
    assert cli.records(cli_seed_tenant) == stored


def test_import_keeps_numbers_as_written(cli: Cli, cli_seed_tenant: str, tmp_path: Path) -> None:
    path = tmp_path / "numbers.json"
    path.write_bytes(
        b'[{"interactionId": "00000000-0000-4000-8000-000000000001", "startTimestamp": "2018-01-09T20:42:38.962Z",'
        b' "customerAbandonTime": 25.0120, "interactionTime": 1e5, "ivrTime": 0.081}]'
    )
    assert counts_line(cli("import", "--tenant", cli_seed_tenant, str(path))) == (1, 0, 0, 0)
    with cli.store() as store:
        doc = store.get_record(cli_seed_tenant, "00000000-0000-4000-8000-000000000001", include_nulls=False)
        seed_doc = store.search(cli_seed_tenant, PageRequest(Query(), 10, 0)).docs
    assert doc is not None
    assert b'"customerAbandonTime":25.0120' in doc
    assert b'"ivrTime":0.081' in doc
    assert json.loads(doc)["interactionTime"] == 100000
    assert len(seed_doc) == 1


def test_import_a_json_array_then_ndjson_of_the_same_records_is_unchanged(cli: Cli, tmp_path: Path) -> None:
    tenant_id = cli.create_tenant()["tenantId"]
    records = [make_record(i, tenant_id) for i in range(12)]
    (tmp_path / "records.json").write_text(json.dumps(records, indent=2))
    (tmp_path / "records.ndjson").write_bytes(ndjson(records))
    assert counts_line(cli("import", "--tenant", tenant_id, "records.json")) == (12, 0, 0, 0)
    assert counts_line(cli("import", "--tenant", tenant_id, "records.ndjson")) == (0, 0, 12, 0)
    stored = {r["interactionId"]: r for r in cli.records(tenant_id)}
    assert stored == {r["interactionId"]: r for r in records}


def test_import_records_without_a_tenant_id_take_the_given_tenant(cli: Cli, tmp_path: Path) -> None:
    tenant_id = cli.create_tenant()["tenantId"]
    other_id = cli.create_tenant(name="Other")["tenantId"]
    (tmp_path / "r.ndjson").write_bytes(ndjson([make_record(1), make_record(2)]))
    assert counts_line(cli("import", "--tenant", tenant_id, "r.ndjson")) == (2, 0, 0, 0)
    assert cli.record_ids(tenant_id) == {make_record(1)["interactionId"], make_record(2)["interactionId"]}
    assert cli.record_ids(other_id) == set()


def test_import_a_changed_record_counts_as_updated(cli: Cli, cli_seed_tenant: str, tmp_path: Path) -> None:
    assert counts_line(cli("import", "--tenant", cli_seed_tenant, str(SAMPLE_PATH))) == (10, 0, 0, 0)
    changed = json.loads(json.dumps(SAMPLE_RESULTS))
    changed[3]["flowName"] = "Renamed Flow"
    (tmp_path / "changed.json").write_text(json.dumps({"results": changed}, indent=2))
    result = cli("import", "--tenant", cli_seed_tenant, "changed.json")
    assert_ok(result)
    assert counts_line(result) == (0, 1, 9, 0)
    with cli.store() as store:
        doc = store.get_record(cli_seed_tenant, SAMPLE_IDS[3], include_nulls=False)
    assert doc is not None and json.loads(doc) == changed[3]


def test_import_a_compact_one_line_envelope(cli: Cli, cli_seed_tenant: str, tmp_path: Path) -> None:
    """A search response saved as is (compact, one line, like the server sends) imports its results."""
    (tmp_path / "page.json").write_text(json.dumps(SAMPLE))
    result = cli("import", "--tenant", cli_seed_tenant, "page.json")
    assert_ok(result)
    assert counts_line(result) == (10, 0, 0, 0)
    assert cli.record_ids(cli_seed_tenant) == set(SAMPLE_IDS)


def test_import_from_stdin(cli: Cli, cli_seed_tenant: str) -> None:
    result = cli("import", "--tenant", cli_seed_tenant, "-", stdin=SAMPLE_PATH.read_bytes())
    assert_ok(result)
    assert counts_line(result) == (10, 0, 0, 0)
    assert cli.record_ids(cli_seed_tenant) == set(SAMPLE_IDS)
    again = cli("import", "--tenant", cli_seed_tenant, "-", stdin=ndjson(SAMPLE_RESULTS))
    assert_ok(again)
    assert counts_line(again) == (0, 0, 10, 0)


def test_import_several_files_adds_up(cli: Cli, tmp_path: Path) -> None:
    tenant_id = cli.create_tenant()["tenantId"]
    (tmp_path / "a.json").write_text(json.dumps([make_record(i) for i in range(5)]))
    (tmp_path / "b.ndjson").write_bytes(ndjson([make_record(i) for i in range(3, 9)]))
    result = cli("import", "--tenant", tenant_id, "a.json", "b.ndjson")
    assert_ok(result)
    assert counts_line(result) == (9, 0, 2, 0), "records 3 and 4 are in both files"
    assert cli.record_ids(tenant_id) == {make_record(i)["interactionId"] for i in range(9)}


def test_import_in_small_batches(cli: Cli, tmp_path: Path) -> None:
    tenant_id = cli.create_tenant()["tenantId"]
    (tmp_path / "many.ndjson").write_bytes(ndjson([make_record(i) for i in range(250)]))
    result = cli("import", "--tenant", tenant_id, "--batch-size", "7", "many.ndjson")
    assert_ok(result)
    assert counts_line(result) == (250, 0, 0, 0)
    assert len(cli.record_ids(tenant_id)) == 250
    again = cli("import", "--tenant", tenant_id, "--batch-size", "100000", "many.ndjson")
    assert counts_line(again) == (0, 0, 250, 0)


def test_import_the_last_of_a_repeated_id_wins(cli: Cli, tmp_path: Path) -> None:
    tenant_id = cli.create_tenant()["tenantId"]
    records = [make_record(1, flowName="first"), make_record(2), make_record(1, flowName="last")]
    (tmp_path / "dupes.ndjson").write_bytes(ndjson(records))
    assert_ok(cli("import", "--tenant", tenant_id, "dupes.ndjson"))
    stored = {r["interactionId"]: r for r in cli.records(tenant_id)}
    assert len(stored) == 2
    assert stored[make_record(1)["interactionId"]]["flowName"] == "last"


def test_import_reports_each_rejected_record_and_writes_the_others(cli: Cli, tmp_path: Path) -> None:
    tenant_id = cli.create_tenant()["tenantId"]
    other_tenant = str(uuid.uuid4())
    records: list[Any] = [
        make_record(0),
        {"interactionId": "00000000-0000-4000-8000-000000000001"},
        make_record(2),
        make_record(3, other_tenant),
        make_record(4, startTimestamp="yesterday"),
        make_record(5, interactionId="call-5"),
        "not a record",
        make_record(7),
    ]
    (tmp_path / "mixed.json").write_text(json.dumps(records, indent=1))
    result = cli("import", "--tenant", tenant_id, "mixed.json")
    assert result.returncode != 0
    assert "Traceback" not in result.stderr
    assert counts_line(result) == (3, 0, 0, 5)
    lines = rejected_lines(result)
    assert len(lines) == 5
    assert lines == sorted(lines, key=lambda line: int(re.search(r"position (\d+)", line)[1]))  # type: ignore[index]
    assert [int(re.search(r"position (\d+)", line)[1]) for line in lines] == [1, 3, 4, 5, 6]  # type: ignore[index]
    assert all("mixed.json" in line for line in lines)
    assert "startTimestamp" in lines[0]
    assert "tenantId" in lines[1] and other_tenant in lines[1]
    assert "startTimestamp" in lines[2]
    assert "interactionId" in lines[3] and "call-5" in lines[3]
    assert cli.record_ids(tenant_id) == {make_record(i)["interactionId"] for i in (0, 2, 7)}


def test_import_ndjson_rejections_name_the_line(cli: Cli, tmp_path: Path) -> None:
    tenant_id = cli.create_tenant()["tenantId"]
    body = (
        json.dumps(make_record(0))
        + "\n\n"
        + "{not json at all\n"
        + "\n"
        + json.dumps(make_record(3))
        + "\n"
        + json.dumps({"startTimestamp": "2018-01-01T00:00:00Z"})
        + "\n"
    )
    (tmp_path / "lines.ndjson").write_text(body)
    result = cli("import", "--tenant", tenant_id, "lines.ndjson")
    assert result.returncode != 0
    assert counts_line(result) == (2, 0, 0, 2)
    lines = rejected_lines(result)
    assert len(lines) == 2
    assert "position 1 (line 3)" in lines[0] and "JSON" in lines[0]
    assert "position 3 (line 6)" in lines[1] and "interactionId" in lines[1]
    assert len(cli.record_ids(tenant_id)) == 2


def test_import_reports_at_most_a_hundred_rejections_then_how_many_more(cli: Cli, tmp_path: Path) -> None:
    tenant_id = cli.create_tenant()["tenantId"]
    records: list[Any] = [{"interactionId": f"bad-{i}", "startTimestamp": "2018-01-01T00:00:00Z"} for i in range(130)]
    records.append(make_record(1))
    (tmp_path / "bad.ndjson").write_bytes(ndjson(records))
    result = cli("import", "--tenant", tenant_id, "bad.ndjson")
    assert result.returncode != 0
    assert counts_line(result) == (1, 0, 0, 130)
    stderr = result.stderr.splitlines()
    assert len(stderr) == 101
    assert all(line.startswith("rejected: bad.ndjson: position ") for line in stderr[:100])
    assert "position 99 (line 100)" in stderr[99]
    assert "30 more" in stderr[100]
    assert cli.record_ids(tenant_id) == {make_record(1)["interactionId"]}


def test_import_strict_writes_nothing_when_a_record_is_rejected(cli: Cli, tmp_path: Path) -> None:
    tenant_id = cli.create_tenant()["tenantId"]
    records = [make_record(i) for i in range(6)]
    records[4] = make_record(4, startTimestamp="not a time")
    (tmp_path / "one-bad.ndjson").write_bytes(ndjson(records))
    result = cli("import", "--tenant", tenant_id, "--strict", "--batch-size", "2", "one-bad.ndjson")
    assert result.returncode != 0
    assert "Traceback" not in result.stderr
    assert counts_line(result) == (0, 0, 0, 1)
    assert "nothing written" in result.stdout
    (line,) = rejected_lines(result)
    assert "position 4 (line 5)" in line and "startTimestamp" in line
    assert cli.record_ids(tenant_id) == set()


def test_import_strict_from_stdin_writes_nothing_when_a_record_is_rejected(cli: Cli) -> None:
    tenant_id = cli.create_tenant()["tenantId"]
    records: list[Any] = [make_record(i) for i in range(5)] + [{"interactionId": "nope"}]
    result = cli(
        "import", "--tenant", tenant_id, "--strict", "--batch-size", "1", "-", stdin=json.dumps(records).encode()
    )
    assert result.returncode != 0
    assert counts_line(result) == (0, 0, 0, 1)
    (line,) = rejected_lines(result)
    assert "position 5" in line
    assert cli.record_ids(tenant_id) == set()


def test_import_strict_writes_everything_when_nothing_is_rejected(cli: Cli) -> None:
    tenant_id = cli.create_tenant()["tenantId"]
    records = [make_record(i) for i in range(9)]
    result = cli("import", "--tenant", tenant_id, "--strict", "--batch-size", "4", "-", stdin=ndjson(records))
    assert_ok(result)
    assert counts_line(result) == (9, 0, 0, 0)
    assert len(cli.record_ids(tenant_id)) == 9


def test_import_strict_writes_nothing_when_a_later_file_is_missing_or_malformed(cli: Cli, tmp_path: Path) -> None:
    tenant_id = cli.create_tenant()["tenantId"]
    (tmp_path / "good.ndjson").write_bytes(ndjson([make_record(i) for i in range(4)]))
    (tmp_path / "broken.json").write_text('[{"interactionId": "00000000-0000-4000-8000-000000000009", ')
    missing = cli("import", "--tenant", tenant_id, "--strict", "good.ndjson", "absent.ndjson")
    assert_one_error_line(missing, "absent.ndjson")
    broken = cli("import", "--tenant", tenant_id, "--strict", "good.ndjson", "broken.json")
    assert broken.returncode == 1
    assert broken.stderr.splitlines() == [
        "rejected: broken.json: position 0: unreadable from here on: not valid JSON after record 0: "
        "parse error: premature EOF (right here) ------^"
    ]
    assert "nothing written (--strict)" in broken.stdout
    assert cli.record_ids(tenant_id) == set()


@pytest.mark.parametrize("batch_size", ["3", "2000"])
def test_a_truncated_file_keeps_what_was_readable_and_reports_the_break(cli: Cli, tmp_path: Path,
                                                                        batch_size: str) -> None:
    """Without --strict, the records before the break are imported and the break is reported as a rejection
    at the position where reading stopped."""
    tenant_id = cli.create_tenant()["tenantId"]
    good = ",\n".join(json.dumps(make_record(i)) for i in range(4))
    (tmp_path / "truncated.json").write_text("[\n" + good + ',\n{"interactionId": ')
    result = cli("import", "--tenant", tenant_id, "--batch-size", batch_size, "truncated.json")
    assert result.returncode == 1
    [line] = result.stderr.splitlines()
    assert line.startswith("rejected: truncated.json: position 4: unreadable from here on: not valid JSON")
    assert "4 inserted, 0 updated, 0 unchanged, 1 rejected" in result.stdout
    assert cli.record_ids(tenant_id) == {make_record(i)["interactionId"] for i in range(4)}


def test_import_errors_are_one_line(cli: Cli, tmp_path: Path) -> None:
    tenant_id = cli.create_tenant()["tenantId"]
    (tmp_path / "malformed.json").write_text('{\n  "results": [\n    {"interactionId": \n')
    (tmp_path / "scalar.json").write_text("42\n")
    (tmp_path / "folder").mkdir()
    unknown = str(uuid.uuid4())
    assert_one_error_line(cli("import", "--tenant", tenant_id, "missing.json"), "missing.json")
    assert_one_rejection_line(cli("import", "--tenant", tenant_id, "malformed.json"), "not valid JSON")
    assert_one_rejection_line(cli("import", "--tenant", tenant_id, "scalar.json"), "JSON")
    assert_one_error_line(cli("import", "--tenant", tenant_id, "folder"), "folder")
    assert_one_error_line(cli("import", "--tenant", unknown, "scalar.json"), unknown)
    assert_one_error_line(cli("import", "--tenant", "acme", "scalar.json"), "UUID")
    assert_one_error_line(cli("import", "--tenant", tenant_id), "FILE")
    assert_one_error_line(cli("import", "malformed.json"), "--tenant")
    assert_one_error_line(cli("import", "--tenant", tenant_id, "--batch-size", "0", "scalar.json"), "--batch-size")
    assert_one_error_line(cli("import", "--tenant", tenant_id, "--batch-size", "many", "scalar.json"), "--batch-size")
    assert_one_rejection_line(cli("import", "--tenant", tenant_id, "-", stdin=b"[{\"interactionId\": "), "JSON")
    assert cli.record_ids(tenant_id) == set()


def test_import_an_empty_array_writes_nothing_and_succeeds(cli: Cli, tmp_path: Path) -> None:
    tenant_id = cli.create_tenant()["tenantId"]
    (tmp_path / "empty.json").write_text("[]\n")
    result = cli("import", "--tenant", tenant_id, "empty.json")
    assert_ok(result)
    assert counts_line(result) == (0, 0, 0, 0)
