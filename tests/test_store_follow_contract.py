"""The storage contract for followed logs' positions (`cxreport follow-queue-log`): SQLite and PostgreSQL alike.
One position per tenant, source and path, replaced on each store, kept apart between tenants and sources."""

from __future__ import annotations

import uuid

from cxreport.store import Store
from cxreport.store.base import FollowPosition, Tenant


def new_tenant(store: Store) -> str:
    tenant_id = str(uuid.uuid4())
    store.create_tenant(Tenant(tenant_id, "t", "UTC"))
    return tenant_id


def test_a_position_is_stored_replaced_and_kept_apart(contract_store: Store) -> None:
    tenant, other = new_tenant(contract_store), new_tenant(contract_store)
    path = "/var/log/asterisk/queue_log"
    assert contract_store.follow_position(tenant, "pbx", path) is None
    contract_store.set_follow_position(tenant, "pbx", path, FollowPosition("2049:131", 1024, 12))
    assert contract_store.follow_position(tenant, "pbx", path) == FollowPosition("2049:131", 1024, 12)
    big = FollowPosition("2049:977", 5_000_000_000, 40_000_000)  # past 32 bits: a log of many gigabytes
    contract_store.set_follow_position(tenant, "pbx", path, big)
    assert contract_store.follow_position(tenant, "pbx", path) == big
    assert contract_store.follow_position(other, "pbx", path) is None, "tenants never see each other's"
    assert contract_store.follow_position(tenant, "pbx-2", path) is None
    assert contract_store.follow_position(tenant, "pbx", path + ".1") is None
    contract_store.set_follow_position(other, "pbx", path, FollowPosition("1:1", 0, 0))
    assert contract_store.follow_position(tenant, "pbx", path) == big
