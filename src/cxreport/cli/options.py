"""What the commands share: the `--database` option, opening the store, finding the tenant named."""

from __future__ import annotations

import click

from cxreport.config import Settings
from cxreport.errors import NotFound
from cxreport.service import tenants
from cxreport.store import Store, open_store
from cxreport.store.base import Tenant

DATABASE_HELP = (
    "Database URL: sqlite:///PATH (default sqlite:///cxreport.db) or postgresql://… [env CXREPORT_DATABASE_URL]"
)

database_option = click.option("--database", "database", metavar="URL", default=None, help=DATABASE_HELP)


def open_cli_store(database: str | None, migrate: bool = True, workload: str = "serving") -> Store:
    """The store `--database` (or the environment) names, its schema created or upgraded."""
    store = open_store(Settings.from_env(database_url=database).database_url, workload)
    if migrate:
        store.migrate()
    return store


def tenant_named(store: Store, tenant_id: str) -> Tenant:
    """The tenant `--tenant` names (its id checked), or NotFound."""
    tenant = store.get_tenant(tenants.check_tenant_id(tenant_id, "tenant"))
    if tenant is None:
        raise NotFound(f"there is no tenant {tenant_id}")
    return tenant
