"""Tenants with one API key of each role, made straight in a store."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from cxreport.service import credentials
from cxreport.store import Store
from cxreport.store.base import Tenant


@dataclass(frozen=True)
class TenantKeys:
    """A tenant with one key of each role, as (key id, secret) pairs usable for HTTP Basic."""

    tenant: Tenant
    read: tuple[str, str]
    ingest: tuple[str, str]
    admin: tuple[str, str]

    @property
    def id(self) -> str:
        return self.tenant.id

    def auth(self, role: str = "read") -> tuple[str, str]:
        pair: tuple[str, str] = getattr(self, role)
        return pair


def make_tenant_keys(store: Store, tenant_id: str | None = None, name: str = "Your Tenant",
                     timezone: str = "US/Eastern") -> TenantKeys:
    tenant = Tenant(id=tenant_id or str(uuid.uuid4()), name=name, timezone=timezone)
    store.create_tenant(tenant)
    keys = {}
    for role in credentials.ROLES:
        issued = credentials.issue_key(store, tenant.id, role)
        keys[role] = (issued.key.id, issued.secret)
    return TenantKeys(tenant, keys["read"], keys["ingest"], keys["admin"])
