"""The `cxreport` command, run as scripts run it: the installed console script in a subprocess, against a
real SQLite database, checking stdout, stderr, the exit status and what the database then holds."""

from __future__ import annotations

import json
import os
import re
import shlex
import shutil
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

import httpx
import pytest

from cxreport.errors import Unauthenticated
from cxreport.service import credentials
from cxreport.store import Store, open_store
from cxreport.store.base import PageRequest, Query, Tenant

SEED_TENANT_ID = "2336d1ec-c956-47e1-b3b1-fe8fde81b2b4"
SEED_QUERY = "startTimeRange=2017-12-29T14:00:00.000Z&endTimeRange=2017-12-29T24:00:00.000Z"
SAMPLE_PATH = Path(str(resources.files("cxreport").joinpath("data/seed-sample-response.json")))
SAMPLE: dict[str, Any] = json.loads(SAMPLE_PATH.read_text("utf-8"))
SAMPLE_RESULTS: list[dict[str, Any]] = SAMPLE["results"]
SAMPLE_IDS = [record["interactionId"] for record in SAMPLE_RESULTS]
UUID_RE = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")


def _console_script() -> str:
    beside = Path(sys.executable).parent / "cxreport"
    if beside.exists():
        return str(beside)
    found = shutil.which("cxreport")
    assert found is not None, "the cxreport console script is not installed"
    return found


CXREPORT = _console_script()


# --- helpers ---------------------------------------------------------------------------------------------


def clean_env(**extra: str) -> dict[str, str]:
    env = {name: value for name, value in os.environ.items() if not name.startswith("CXREPORT_")}
    env.update(extra)
    return env


def run(
    cwd: Path, *args: str, stdin: bytes | None = None, env: dict[str, str] | None = None, timeout: float = 60
) -> subprocess.CompletedProcess[str]:
    completed = subprocess.run(
        [CXREPORT, *args],
        cwd=cwd,
        input=stdin,
        capture_output=True,
        timeout=timeout,
        env=env if env is not None else clean_env(),
    )
    return subprocess.CompletedProcess(
        completed.args, completed.returncode, completed.stdout.decode("utf-8"), completed.stderr.decode("utf-8")
    )


def assert_ok(result: subprocess.CompletedProcess[str]) -> None:
    assert result.returncode == 0, result.stderr
    assert "Traceback" not in result.stderr


def assert_one_error_line(result: subprocess.CompletedProcess[str], *fragments: str) -> str:
    """Exactly one line on stderr, starting `cxreport: error:`; a non-zero exit; no traceback."""
    assert result.returncode != 0, (result.stdout, result.stderr)
    assert "Traceback" not in result.stderr
    lines = result.stderr.splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("cxreport: error: "), lines[0]
    for fragment in fragments:
        assert fragment in lines[0], lines[0]
    return lines[0]


def assert_one_rejection_line(result: subprocess.CompletedProcess[str], *fragments: str) -> str:
    """A file whose content cannot be read is reported like a rejected record: one line, exit status 1."""
    assert result.returncode == 1, (result.stdout, result.stderr)
    assert "Traceback" not in result.stderr
    [line] = result.stderr.splitlines()
    assert line.startswith("rejected: "), line
    for fragment in fragments:
        assert fragment in line, line
    return line


@dataclass
class Cli:
    """The command bound to one working folder and one database."""

    cwd: Path
    url: str

    def __call__(self, *args: str, stdin: bytes | None = None) -> subprocess.CompletedProcess[str]:
        return run(self.cwd, *args, "--database", self.url, stdin=stdin)

    @contextmanager
    def store(self) -> Iterator[Store]:
        opened = open_store(self.url)
        try:
            yield opened
        finally:
            opened.close()

    def records(self, tenant_id: str) -> list[dict[str, Any]]:
        with self.store() as store:
            page = store.search(tenant_id, PageRequest(Query(), limit=100_000, offset=0))
        assert page.total == len(page.docs)
        return [json.loads(doc) for doc in page.docs]

    def record_ids(self, tenant_id: str) -> set[str]:
        return {record["interactionId"] for record in self.records(tenant_id)}

    def create_tenant(self, *extra: str, name: str = "Acme") -> dict[str, Any]:
        result = self("tenants", "create", "--name", name, "--json", *extra)
        assert_ok(result)
        created: dict[str, Any] = json.loads(result.stdout)
        return created


@pytest.fixture
def cli(tmp_path: Path) -> Cli:
    return Cli(tmp_path, f"sqlite:///{tmp_path}/x.db")


@pytest.fixture
def seed_tenant(cli: Cli) -> str:
    cli.create_tenant("--id", SEED_TENANT_ID, "--timezone", "US/Eastern", name="Your Tenant")
    return SEED_TENANT_ID


def make_record(number: int, tenant_id: str | None = None, **fields: Any) -> dict[str, Any]:
    record: dict[str, Any] = {
        "interactionId": f"00000000-0000-4000-8000-{number:012d}",
        "startTimestamp": f"2018-01-{1 + number % 28:02d}T10:00:00.000Z",
        "endTimestamp": f"2018-01-{1 + number % 28:02d}T10:05:00.000Z",
        "channelType": "voice",
        "direction": "inbound",
    }
    if tenant_id is not None:
        record["tenantId"] = tenant_id
    record.update(fields)
    return record


def ndjson(records: list[Any]) -> bytes:
    return b"".join(json.dumps(record).encode() + b"\n" for record in records)


def counts_line(result: subprocess.CompletedProcess[str]) -> tuple[int, int, int, int]:
    """(inserted, updated, unchanged, rejected) from the import summary, the last line of stdout."""
    lines = result.stdout.strip().splitlines()
    assert lines, result
    match = re.search(r"(\d+) inserted, (\d+) updated, (\d+) unchanged, (\d+) rejected$", lines[-1])
    assert match, lines[-1]
    inserted, updated, unchanged, rejected = (int(group) for group in match.groups())
    return inserted, updated, unchanged, rejected


def rejected_lines(result: subprocess.CompletedProcess[str]) -> list[str]:
    return [line for line in result.stderr.splitlines() if line.startswith("rejected: ")]


# --- database selection ----------------------------------------------------------------------------------


def test_migrate_creates_the_schema_and_is_idempotent(cli: Cli, tmp_path: Path) -> None:
    first = cli("migrate")
    assert_ok(first)
    assert re.fullmatch(r"schema at version \d+\n", first.stdout), first.stdout
    assert (tmp_path / "x.db").is_file()
    second = cli("migrate")
    assert_ok(second)
    assert second.stdout == first.stdout


def test_default_database_is_cxreport_db_in_the_working_folder(tmp_path: Path) -> None:
    result = run(tmp_path, "tenants", "create", "--name", "Default", "--json")
    assert_ok(result)
    tenant_id = json.loads(result.stdout)["tenantId"]
    assert (tmp_path / "cxreport.db").is_file()
    store = open_store(f"sqlite:///{tmp_path / 'cxreport.db'}")
    try:
        assert store.get_tenant(tenant_id) == Tenant(tenant_id, "Default", "UTC")
    finally:
        store.close()
    listed = run(tmp_path, "keys", "list", "--tenant", tenant_id)
    assert_ok(listed)
    assert json.loads(result.stdout)["apiKey"]["id"] in listed.stdout


def test_environment_variable_names_the_database(tmp_path: Path) -> None:
    env_db = tmp_path / "from-env" / "env.db"
    env = clean_env(CXREPORT_DATABASE_URL=f"sqlite:///{env_db}")
    result = run(tmp_path, "tenants", "create", "--name", "Env", "--json", env=env)
    assert_ok(result)
    tenant_id = json.loads(result.stdout)["tenantId"]
    assert env_db.is_file()
    assert not (tmp_path / "cxreport.db").exists()
    store = open_store(f"sqlite:///{env_db}")
    try:
        assert store.get_tenant(tenant_id) == Tenant(tenant_id, "Env", "UTC")
    finally:
        store.close()
    assert_ok(run(tmp_path, "migrate", env=env))
    assert not (tmp_path / "cxreport.db").exists()


def test_database_option_wins_over_the_environment(tmp_path: Path) -> None:
    env = clean_env(CXREPORT_DATABASE_URL=f"sqlite:///{tmp_path}/env.db")
    result = run(
        tmp_path, "tenants", "create", "--name", "Opt", "--json", "--database", f"sqlite:///{tmp_path}/opt.db", env=env
    )
    assert_ok(result)
    tenant_id = json.loads(result.stdout)["tenantId"]
    assert (tmp_path / "opt.db").is_file()
    assert not (tmp_path / "env.db").exists()
    store = open_store(f"sqlite:///{tmp_path}/opt.db")
    try:
        assert store.get_tenant(tenant_id) is not None
    finally:
        store.close()


@pytest.mark.parametrize(
    "url",
    ["mysql://user@localhost/cx", "sqlite://relative.db", "sqlite:///:memory:", "", "cxreport.db"],
)
def test_unsupported_database_url_is_one_error_line(tmp_path: Path, url: str) -> None:
    result = run(tmp_path, "migrate", "--database", url)
    assert_one_error_line(result)
    assert result.stdout == ""
    assert not (tmp_path / "cxreport.db").exists()


def test_unsupported_database_url_from_the_environment_is_one_error_line(tmp_path: Path) -> None:
    result = run(tmp_path, "tenants", "create", "--name", "X", env=clean_env(CXREPORT_DATABASE_URL="oracle://db"))
    assert_one_error_line(result, "oracle://db")
    assert result.stdout == ""


def test_a_file_that_is_not_a_database_is_one_error_line(tmp_path: Path) -> None:
    (tmp_path / "notes.db").write_text("these are not the tables you are looking for\n" * 100)
    result = run(tmp_path, "migrate", "--database", f"sqlite:///{tmp_path}/notes.db")
    assert_one_error_line(result)


# --- tenants ---------------------------------------------------------------------------------------------


def test_tenants_create_prints_the_ids_and_secret_and_stores_them(cli: Cli) -> None:
    result = cli("tenants", "create", "--name", "Acme Support")
    assert_ok(result)
    tenant_line, key_line, secret_line = result.stdout.splitlines()
    tenant_id = re.fullmatch(r"tenant id:\s+(\S+)", tenant_line)[1]  # type: ignore[index]
    key_id = re.fullmatch(r"key id:\s+(\S+)\s+\(role admin\)", key_line)[1]  # type: ignore[index]
    secret = re.fullmatch(r"secret:\s+(\S+)\s+\(shown only this once\)", secret_line)[1]  # type: ignore[index]
    assert UUID_RE.match(tenant_id)
    assert uuid.UUID(tenant_id).version == 4
    with cli.store() as store:
        assert store.get_tenant(tenant_id) == Tenant(tenant_id, "Acme Support", "UTC")
        (key,) = store.list_keys(tenant_id)
        assert (key.id, key.tenant_id, key.role, key.revoked_us) == (key_id, tenant_id, "admin", None)
        assert secret not in key.secret_hash
        principal = credentials.authenticate_key(store, key_id, secret)
    assert (principal.tenant_id, principal.key_id, principal.role) == (tenant_id, key_id, "admin")


def test_tenants_create_json_is_exactly_one_object(cli: Cli) -> None:
    result = cli("tenants", "create", "--name", "Json Co", "--timezone", "America/New_York", "--json")
    assert_ok(result)
    assert result.stdout.endswith("\n") and result.stdout.count("\n") == 1
    body = json.loads(result.stdout)
    assert isinstance(body, dict)
    assert set(body) == {"tenantId", "apiKey"}
    assert {"id", "secret"} <= set(body["apiKey"])
    assert body["apiKey"]["role"] == "admin"
    assert UUID_RE.match(body["tenantId"]) and UUID_RE.match(body["apiKey"]["id"])
    with cli.store() as store:
        assert store.get_tenant(body["tenantId"]) == Tenant(body["tenantId"], "Json Co", "America/New_York")
        assert credentials.authenticate_key(store, body["apiKey"]["id"], body["apiKey"]["secret"]).role == "admin"


def test_tenants_create_with_a_given_id_uses_it_in_canonical_form(cli: Cli) -> None:
    body = cli.create_tenant("--id", SEED_TENANT_ID.upper(), "--timezone", "US/Eastern", name="Your Tenant")
    assert body["tenantId"] == SEED_TENANT_ID
    with cli.store() as store:
        assert store.get_tenant(SEED_TENANT_ID) == Tenant(SEED_TENANT_ID, "Your Tenant", "US/Eastern")


def test_tenants_get_random_distinct_ids(cli: Cli) -> None:
    first = cli.create_tenant(name="One")["tenantId"]
    second = cli.create_tenant(name="Two")["tenantId"]
    assert first != second
    assert UUID_RE.match(first) and UUID_RE.match(second)


@pytest.mark.parametrize("zone", ["Mars/Olympus_Mons", "", "../../../etc/passwd", "America", "EST5EDT ", "+05:00"])
def test_tenants_create_rejects_a_bad_timezone(cli: Cli, zone: str) -> None:
    tenant_id = str(uuid.uuid4())
    result = cli("tenants", "create", "--name", "Bad Zone", "--id", tenant_id, "--timezone", zone)
    assert_one_error_line(result, "time zone")
    assert result.stdout == ""
    with cli.store() as store:
        store.migrate()
        assert store.get_tenant(tenant_id) is None


@pytest.mark.parametrize(
    "bad_id", ["not-a-uuid", SEED_TENANT_ID[:-1], SEED_TENANT_ID + "0", "2336d1ec-c956-47e1-b3b1-fe8fde81b2bz"]
)
def test_tenants_create_rejects_a_bad_uuid(cli: Cli, bad_id: str) -> None:
    result = cli("tenants", "create", "--name", "Bad Id", "--id", bad_id)
    assert_one_error_line(result, "UUID")
    assert result.stdout == ""


def test_tenants_create_refuses_an_existing_id(cli: Cli, seed_tenant: str) -> None:
    result = cli("tenants", "create", "--name", "Impostor", "--id", seed_tenant, "--timezone", "UTC")
    assert_one_error_line(result, seed_tenant)
    with cli.store() as store:
        assert store.get_tenant(seed_tenant) == Tenant(seed_tenant, "Your Tenant", "US/Eastern")
        assert len(store.list_keys(seed_tenant)) == 1


def test_tenants_create_needs_a_name(cli: Cli) -> None:
    assert_one_error_line(cli("tenants", "create"), "--name")
    assert_one_error_line(cli("tenants", "create", "--name", "   "), "name")


# --- keys ------------------------------------------------------------------------------------------------


def test_keys_create_defaults_to_read(cli: Cli) -> None:
    tenant_id = cli.create_tenant()["tenantId"]
    result = cli("keys", "create", "--tenant", tenant_id)
    assert_ok(result)
    key_line, secret_line = result.stdout.splitlines()
    key_id = re.fullmatch(r"key id:\s+(\S+)\s+\(role read\)", key_line)[1]  # type: ignore[index]
    secret = re.fullmatch(r"secret:\s+(\S+)\s+\(shown only this once\)", secret_line)[1]  # type: ignore[index]
    with cli.store() as store:
        principal = credentials.authenticate_key(store, key_id, secret)
    assert (principal.tenant_id, principal.role) == (tenant_id, "read")


@pytest.mark.parametrize("role", ["read", "ingest", "admin"])
def test_keys_create_json_has_the_tenants_shape(cli: Cli, role: str) -> None:
    tenant_id = cli.create_tenant()["tenantId"]
    result = cli("keys", "create", "--tenant", tenant_id.upper(), "--role", role, "--json")
    assert_ok(result)
    assert result.stdout.count("\n") == 1
    body = json.loads(result.stdout)
    assert set(body) == {"tenantId", "apiKey"}
    assert body["tenantId"] == tenant_id
    assert body["apiKey"]["role"] == role
    with cli.store() as store:
        keys = {key.id: key for key in store.list_keys(tenant_id)}
        assert keys[body["apiKey"]["id"]].role == role
        assert len(keys) == 2
        assert credentials.authenticate_key(store, body["apiKey"]["id"], body["apiKey"]["secret"]).role == role


def test_keys_list_shows_every_key_and_no_secret(cli: Cli) -> None:
    created = cli.create_tenant()
    tenant_id = created["tenantId"]
    ingest = json.loads(cli("keys", "create", "--tenant", tenant_id, "--role", "ingest", "--json").stdout)
    other_tenant_key = cli.create_tenant(name="Other")["apiKey"]["id"]
    result = cli("keys", "list", "--tenant", tenant_id)
    assert_ok(result)
    lines = result.stdout.splitlines()
    assert len(lines) == 2
    by_id = {line.split()[0]: line.split() for line in lines}
    assert set(by_id) == {created["apiKey"]["id"], ingest["apiKey"]["id"]}
    assert by_id[created["apiKey"]["id"]][1] == "admin"
    assert by_id[ingest["apiKey"]["id"]][1] == "ingest"
    assert all(line.endswith("active") for line in lines)
    assert other_tenant_key not in result.stdout
    assert created["apiKey"]["secret"] not in result.stdout
    assert ingest["apiKey"]["secret"] not in result.stdout


def test_keys_revoke_revokes_the_key(cli: Cli) -> None:
    created = cli.create_tenant()
    tenant_id, admin = created["tenantId"], created["apiKey"]
    extra = json.loads(cli("keys", "create", "--tenant", tenant_id, "--json").stdout)["apiKey"]
    result = cli("keys", "revoke", extra["id"])
    assert_ok(result)
    assert result.stdout == f"revoked {extra['id']} of tenant {tenant_id}\n"
    with cli.store() as store:
        keys = {key.id: key for key in store.list_keys(tenant_id)}
        assert keys[extra["id"]].revoked_us is not None
        assert keys[admin["id"]].revoked_us is None
        with pytest.raises(Unauthenticated):
            credentials.authenticate_key(store, extra["id"], extra["secret"])
        assert credentials.authenticate_key(store, admin["id"], admin["secret"]).role == "admin"
    listed = {line.split()[0]: line for line in cli("keys", "list", "--tenant", tenant_id).stdout.splitlines()}
    assert " revoked " in listed[extra["id"]]
    assert listed[admin["id"]].endswith("active")


def test_keys_revoke_of_an_unknown_key_is_one_error_line(cli: Cli) -> None:
    cli.create_tenant()
    missing = str(uuid.uuid4())
    assert_one_error_line(cli("keys", "revoke", missing), missing)
    assert_one_error_line(cli("keys", "revoke"), "KEY_ID")


def test_keys_commands_refuse_an_unknown_tenant(cli: Cli) -> None:
    missing = str(uuid.uuid4())
    assert_one_error_line(cli("keys", "create", "--tenant", missing), missing)
    assert_one_error_line(cli("keys", "list", "--tenant", missing), missing)


def test_keys_commands_refuse_a_bad_tenant_uuid(cli: Cli) -> None:
    assert_one_error_line(cli("keys", "create", "--tenant", "tenant-1"), "UUID")
    assert_one_error_line(cli("keys", "list", "--tenant", "tenant-1"), "UUID")


def test_keys_create_refuses_an_unknown_role(cli: Cli) -> None:
    tenant_id = cli.create_tenant()["tenantId"]
    result = cli("keys", "create", "--tenant", tenant_id, "--role", "superuser")
    assert_one_error_line(result, "--role", "superuser")
    with cli.store() as store:
        assert len(store.list_keys(tenant_id)) == 1


# --- import ----------------------------------------------------------------------------------------------


def test_import_the_seed_envelope_then_again_changes_nothing(cli: Cli, seed_tenant: str) -> None:
    first = cli("import", "--tenant", seed_tenant, str(SAMPLE_PATH))
    assert_ok(first)
    assert counts_line(first) == (10, 0, 0, 0)
    assert first.stderr == ""
    stored = cli.records(seed_tenant)
    assert sorted(stored, key=lambda r: r["interactionId"]) == sorted(SAMPLE_RESULTS, key=lambda r: r["interactionId"])
    assert [list(r) for r in sorted(stored, key=lambda r: r["interactionId"])] == [
        list(r) for r in sorted(SAMPLE_RESULTS, key=lambda r: r["interactionId"])
    ], "key order is kept"

    second = cli("import", "--tenant", seed_tenant, str(SAMPLE_PATH))
    assert_ok(second)
    assert counts_line(second) == (0, 0, 10, 0)
    assert cli.records(seed_tenant) == stored


def test_import_keeps_numbers_as_written(cli: Cli, seed_tenant: str, tmp_path: Path) -> None:
    path = tmp_path / "numbers.json"
    path.write_bytes(
        b'[{"interactionId": "00000000-0000-4000-8000-000000000001", "startTimestamp": "2018-01-09T20:42:38.962Z",'
        b' "customerAbandonTime": 25.0120, "interactionTime": 1e5, "ivrTime": 0.081}]'
    )
    assert counts_line(cli("import", "--tenant", seed_tenant, str(path))) == (1, 0, 0, 0)
    with cli.store() as store:
        doc = store.get_record(seed_tenant, "00000000-0000-4000-8000-000000000001", include_nulls=False)
        seed_doc = store.search(seed_tenant, PageRequest(Query(), 10, 0)).docs
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


def test_import_a_changed_record_counts_as_updated(cli: Cli, seed_tenant: str, tmp_path: Path) -> None:
    assert counts_line(cli("import", "--tenant", seed_tenant, str(SAMPLE_PATH))) == (10, 0, 0, 0)
    changed = json.loads(json.dumps(SAMPLE_RESULTS))
    changed[3]["flowName"] = "Renamed Flow"
    (tmp_path / "changed.json").write_text(json.dumps({"results": changed}, indent=2))
    result = cli("import", "--tenant", seed_tenant, "changed.json")
    assert_ok(result)
    assert counts_line(result) == (0, 1, 9, 0)
    with cli.store() as store:
        doc = store.get_record(seed_tenant, SAMPLE_IDS[3], include_nulls=False)
    assert doc is not None and json.loads(doc) == changed[3]


def test_import_a_compact_one_line_envelope(cli: Cli, seed_tenant: str, tmp_path: Path) -> None:
    """A search response saved as is (compact, one line, like the server sends) imports its results."""
    (tmp_path / "page.json").write_text(json.dumps(SAMPLE))
    result = cli("import", "--tenant", seed_tenant, "page.json")
    assert_ok(result)
    assert counts_line(result) == (10, 0, 0, 0)
    assert cli.record_ids(seed_tenant) == set(SAMPLE_IDS)


def test_import_from_stdin(cli: Cli, seed_tenant: str) -> None:
    result = cli("import", "--tenant", seed_tenant, "-", stdin=SAMPLE_PATH.read_bytes())
    assert_ok(result)
    assert counts_line(result) == (10, 0, 0, 0)
    assert cli.record_ids(seed_tenant) == set(SAMPLE_IDS)
    again = cli("import", "--tenant", seed_tenant, "-", stdin=ndjson(SAMPLE_RESULTS))
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


# --- demo ------------------------------------------------------------------------------------------------


def parse_demo(stdout: str) -> dict[str, Any]:
    lines = stdout.splitlines()
    assert lines[0] == f"demo tenant 'Your Tenant' (US/Eastern) id {SEED_TENANT_ID}", lines
    counts = re.fullmatch(r"records: (\d+) inserted, (\d+) updated, (\d+) unchanged", lines[1])
    key_id = re.fullmatch(r"admin key id:\s+(\S+)", lines[2])
    secret = re.fullmatch(r"secret:\s+(\S+)", lines[3])
    assert counts and key_id and secret, lines
    assert lines[4] == "the seed's request:"
    assert len(lines) == 6
    return {
        "counts": tuple(int(n) for n in counts.groups()),
        "key_id": key_id[1],
        "secret": secret[1],
        "curl": shlex.split(lines[5]),
    }


def test_demo_loads_the_seed_tenant_and_prints_credentials_and_curl(cli: Cli) -> None:
    result = cli("demo", "--count", "25", "--seed", "7")
    assert_ok(result)
    demo = parse_demo(result.stdout)
    assert demo["counts"] == (35, 0, 0)
    assert demo["curl"] == [
        "curl",
        "-u",
        f"{demo['key_id']}:{demo['secret']}",
        f"http://127.0.0.1:8080/v1/tenants/{SEED_TENANT_ID}/interactions?{SEED_QUERY}",
    ]
    with cli.store() as store:
        assert store.get_tenant(SEED_TENANT_ID) == Tenant(SEED_TENANT_ID, "Your Tenant", "US/Eastern")
        principal = credentials.authenticate_key(store, demo["key_id"], demo["secret"])
        assert (principal.tenant_id, principal.role) == (SEED_TENANT_ID, "admin")
        for sample in SAMPLE_RESULTS:
            doc = store.get_record(SEED_TENANT_ID, sample["interactionId"], include_nulls=False)
            assert doc is not None and json.loads(doc) == sample
    assert len(cli.records(SEED_TENANT_ID)) == 35


def test_demo_twice_with_the_same_seed_changes_nothing(cli: Cli) -> None:
    first = parse_demo(cli("demo", "--count", "40", "--seed", "3").stdout)
    second_run = cli("demo", "--count", "40", "--seed", "3")
    assert_ok(second_run)
    second = parse_demo(second_run.stdout)
    assert first["counts"] == (50, 0, 0)
    assert second["counts"] == (0, 0, 50)
    assert len(cli.records(SEED_TENANT_ID)) == 50
    with cli.store() as store:
        assert credentials.authenticate_key(store, second["key_id"], second["secret"]).tenant_id == SEED_TENANT_ID


def test_demo_with_no_synthetic_records_holds_just_the_sample(cli: Cli) -> None:
    demo = parse_demo(cli("demo", "--count", "0").stdout)
    assert demo["counts"] == (10, 0, 0)
    assert cli.record_ids(SEED_TENANT_ID) == set(SAMPLE_IDS)


def test_demo_then_import_of_the_sample_is_unchanged(cli: Cli) -> None:
    assert_ok(cli("demo", "--count", "5"))
    result = cli("import", "--tenant", SEED_TENANT_ID, str(SAMPLE_PATH))
    assert_ok(result)
    assert counts_line(result) == (0, 0, 10, 0)


@pytest.mark.parametrize("args", [["--count", "lots"], ["--count", "-1"], ["--seed", "x"], ["--port", "http"]])
def test_demo_refuses_bad_option_values(cli: Cli, args: list[str]) -> None:
    assert_one_error_line(cli("demo", *args), args[0])
    with cli.store() as store:
        store.migrate()
        assert store.get_tenant(SEED_TENANT_ID) is None


# --- command-line errors ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "args, fragment",
    [
        (["frobnicate"], "frobnicate"),
        (["tenants", "delete"], "delete"),
        (["keys", "rotate"], "rotate"),
        (["migrate", "--colour"], "--colour"),
        (["tenants", "create", "--name"], "--name"),
    ],
)
def test_unknown_commands_and_options_are_one_error_line(tmp_path: Path, args: list[str], fragment: str) -> None:
    result = run(tmp_path, *args)
    assert_one_error_line(result, fragment)
    assert result.stdout == ""
    assert not (tmp_path / "cxreport.db").exists()


def test_help_works(tmp_path: Path) -> None:
    result = run(tmp_path, "--help")
    assert_ok(result)
    for command in ("demo", "import", "keys", "migrate", "serve", "tenants"):
        assert command in result.stdout
    import_help = run(tmp_path, "import", "--help")
    assert_ok(import_help)
    assert "--strict" in import_help.stdout and "--batch-size" in import_help.stdout
    assert "CXREPORT_DATABASE_URL" in import_help.stdout


# --- serve -----------------------------------------------------------------------------------------------


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def test_serve_answers_the_seed_request_with_the_demo_credentials(cli: Cli, tmp_path: Path) -> None:
    port = _free_port()
    demo = parse_demo(cli("demo", "--count", "20", "--port", str(port)).stdout)
    curl, url = demo["curl"], demo["curl"][-1]
    assert url == f"http://127.0.0.1:{port}/v1/tenants/{SEED_TENANT_ID}/interactions?{SEED_QUERY}"
    key_id, secret = curl[2].split(":", 1)
    in_window = [r for r in cli.records(SEED_TENANT_ID) if "2017-12-29T14:00:00" <= r["startTimestamp"] < "2017-12-30"]
    in_window.sort(key=lambda r: (r["startTimestamp"], r["interactionId"]), reverse=True)
    assert SAMPLE_IDS[1] in [r["interactionId"] for r in in_window]

    log_path = tmp_path / "serve.log"
    with log_path.open("wb") as log:
        server = subprocess.Popen(
            [CXREPORT, "serve", "--database", cli.url, "--host", "127.0.0.1", "--port", str(port)],
            cwd=tmp_path,
            env=clean_env(),
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        try:
            health = None
            deadline = time.monotonic() + 30
            with httpx.Client(timeout=5) as client:
                while time.monotonic() < deadline:
                    assert server.poll() is None, log_path.read_text()
                    try:
                        health = client.get(f"http://127.0.0.1:{port}/health")
                        break
                    except httpx.TransportError:
                        time.sleep(0.1)
                assert health is not None, log_path.read_text()
                assert health.status_code == 200
                assert health.json()["status"] == "up"

                response = client.get(url, auth=(key_id, secret))
                assert response.status_code == 200, response.text
                body = response.json()
                assert body["tenantId"] == SEED_TENANT_ID
                assert body["tenantName"] == "Your Tenant"
                assert body["tenantTimezone"] == "US/Eastern"
                assert body["total"] == len(in_window)
                assert body["results"] == in_window[:10]
                assert SAMPLE_RESULTS[1] in body["results"]
                assert client.get(url).status_code == 401
        finally:
            server.terminate()
            try:
                server.wait(timeout=15)
            except subprocess.TimeoutExpired:
                server.kill()
                server.wait(timeout=5)
