"""Creating tenants: validated id, name and IANA time zone, with a first admin key."""

from __future__ import annotations

import uuid
import zoneinfo
from dataclasses import dataclass

from cxreport.errors import InvalidParameter
from cxreport.ids import normalize_uuid
from cxreport.service.credentials import IssuedKey, issue_key
from cxreport.store.base import Store, Tenant


@dataclass(frozen=True, slots=True)
class NewTenant:
    tenant: Tenant
    admin_key: IssuedKey

    def as_json(self) -> dict[str, object]:
        return {"tenantId": self.tenant.id, "apiKey": self.admin_key.as_json()}


def check_timezone(name: str) -> str:
    """Return `name` when it is an IANA time zone this machine knows; else raise InvalidParameter."""
    try:
        zoneinfo.ZoneInfo(name)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        raise InvalidParameter(
            f"{name!r} is not an IANA time zone name such as UTC or America/New_York", parameter="timezone"
        ) from None
    return name


def check_tenant_id(text: str, parameter: str = "tenantId") -> str:
    tenant_id = normalize_uuid(text)
    if tenant_id is None:
        raise InvalidParameter(f"{parameter} must be a UUID, got {text!r}", parameter=parameter)
    return tenant_id


def create_tenant(store: Store, name: str, tenant_id: str | None = None, timezone: str = "UTC") -> NewTenant:
    if not name.strip():
        raise InvalidParameter("the tenant name must not be empty", parameter="name")
    tenant = Tenant(
        id=check_tenant_id(tenant_id, "id") if tenant_id else str(uuid.uuid4()),
        name=name,
        timezone=check_timezone(timezone),
    )
    store.create_tenant(tenant)
    return NewTenant(tenant, issue_key(store, tenant.id, "admin"))
