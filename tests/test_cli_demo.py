"""`cxreport demo`, run as the installed console script against a real SQLite database."""

from __future__ import annotations

import json

import pytest

from cxreport.service import credentials
from cxreport.store.base import Tenant
from support.cli import Cli, assert_ok, assert_one_error_line, counts_line, parse_demo
from support.data import SAMPLE_IDS, SAMPLE_PATH, SAMPLE_RESULTS, SEED_QUERY, SEED_TENANT_ID


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
