"""Which database every `cxreport` command uses (`--database`, `CXREPORT_DATABASE_URL`, the default) and
`cxreport migrate`: run as the installed console script against real SQLite files."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from cxreport.store import open_store
from cxreport.store.base import Tenant
from support.cli import Cli, assert_ok, assert_one_error_line, clean_env, run


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
