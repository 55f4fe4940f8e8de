"""`cxreport tenants …` and `cxreport keys …`: tenants and their API keys."""

from __future__ import annotations

import json

import click

from cxreport.cli.options import database_option, open_cli_store, tenant_named
from cxreport.service import credentials, tenants
from cxreport.times import format_instant


@click.group("tenants")
def tenants_group() -> None:
    """Manage tenants."""


@tenants_group.command("create")
@database_option
@click.option("--name", required=True, help="The tenant's display name.")
@click.option("--id", "tenant_id", metavar="UUID", default=None, help="The tenant id (random when absent).")
@click.option("--timezone", default="UTC", show_default=True, help="IANA time zone, e.g. America/New_York.")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object.")
def tenants_create(database: str | None, name: str, tenant_id: str | None, timezone: str, as_json: bool) -> None:
    """Create a tenant and its first admin API key (the secret is shown only now)."""
    created = tenants.create_tenant(open_cli_store(database), name, tenant_id, timezone)
    if as_json:
        click.echo(json.dumps(created.as_json()))
        return
    click.echo(f"tenant id:  {created.tenant.id}")
    click.echo(f"key id:     {created.admin_key.key.id}  (role admin)")
    click.echo(f"secret:     {created.admin_key.secret}  (shown only this once)")


@click.group("keys")
def keys_group() -> None:
    """Manage API keys."""


@keys_group.command("create")
@database_option
@click.option("--tenant", "tenant_id", required=True, metavar="ID", help="The tenant id.")
@click.option("--role", type=click.Choice(credentials.ROLES), default="read", show_default=True)
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object.")
def keys_create(database: str | None, tenant_id: str, role: str, as_json: bool) -> None:
    """Create an API key (the secret is shown only now)."""
    store = open_cli_store(database)
    tenant = tenant_named(store, tenant_id)
    issued = credentials.issue_key(store, tenant.id, role)
    if as_json:
        click.echo(json.dumps({"tenantId": tenant.id, "apiKey": issued.as_json()}))
        return
    click.echo(f"key id:  {issued.key.id}  (role {role})")
    click.echo(f"secret:  {issued.secret}  (shown only this once)")


@keys_group.command("list")
@database_option
@click.option("--tenant", "tenant_id", required=True, metavar="ID", help="The tenant id.")
def keys_list(database: str | None, tenant_id: str) -> None:
    """List a tenant's API keys (never their secrets)."""
    store = open_cli_store(database)
    for key in store.list_keys(tenant_named(store, tenant_id).id):
        revoked = f"revoked {format_instant(key.revoked_us)}" if key.revoked_us else "active"
        click.echo(f"{key.id}  {key.role:<6}  created {format_instant(key.created_us)}  {revoked}")


@keys_group.command("revoke")
@database_option
@click.argument("key_id")
def keys_revoke(database: str | None, key_id: str) -> None:
    """Revoke an API key and every token made from it."""
    key = credentials.revoke_key(open_cli_store(database), key_id)
    click.echo(f"revoked {key.id} of tenant {key.tenant_id}")


