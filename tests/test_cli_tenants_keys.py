"""`cxreport tenants create` and `cxreport keys create | list | revoke`, run as the installed console script
against a real SQLite database."""

from __future__ import annotations

import json
import re
import uuid

import pytest

from cxreport.errors import Unauthenticated
from cxreport.service import credentials
from cxreport.store.base import Tenant
from support.cli import Cli, assert_ok, assert_one_error_line
from support.data import SEED_TENANT_ID

UUID_RE = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")


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


def test_tenants_create_refuses_an_existing_id(cli: Cli, cli_seed_tenant: str) -> None:
    result = cli("tenants", "create", "--name", "Impostor", "--id", cli_seed_tenant, "--timezone", "UTC")
    assert_one_error_line(result, cli_seed_tenant)
    with cli.store() as store:
        assert store.get_tenant(cli_seed_tenant) == Tenant(cli_seed_tenant, "Your Tenant", "US/Eastern")
        assert len(store.list_keys(cli_seed_tenant)) == 1


def test_tenants_create_needs_a_name(cli: Cli) -> None:
    assert_one_error_line(cli("tenants", "create"), "--name")
    assert_one_error_line(cli("tenants", "create", "--name", "   "), "name")


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
