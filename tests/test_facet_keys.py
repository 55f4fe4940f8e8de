"""Facets written and replaced by key: values with the characters COPY's text format escapes are found as
written; a replaced record is found by its new facets only (both stores); on PostgreSQL, records stored before
migration 12 (facets on their rows) have their facets filled, so replacing them still removes the old ones."""

from __future__ import annotations

import json

import psycopg
import pytest

from cxreport.records.filters import parse_filters
from cxreport.store import Store, open_store
from cxreport.store.base import MAX_INSTANT, MIN_INSTANT, PageRequest, Query, Window
from cxreport.store.postgres_schema import MIGRATIONS as POSTGRES_MIGRATIONS
from support.stores import new_tenant, record

AWKWARD = ["tab\there", "back\\slash", "new\nline", "cr\rhere", "\\N", "plain", "ünïcødé"]


def ids(store: Store, tenant_id: str, **filters: list[str]) -> list[str]:
    """The ids of the tenant's records matching `filters`."""
    query = Query(Window(MIN_INSTANT, MAX_INSTANT), filters=parse_filters(filters))
    page = store.search(tenant_id, PageRequest(query, 100))
    assert page.total == len(page.docs)
    return sorted(json.loads(doc)["interactionId"] for doc in page.docs)


def test_facet_values_copy_escapes_are_found_as_written(contract_store: Store) -> None:
    tenant = new_tenant(contract_store)
    records = [record(tenant, "2024-03-01T10:00:00Z", customer=value, queues=[{"queueId": value}])
               for value in AWKWARD]
    contract_store.upsert_records(tenant, records, 1)
    for value, stored in zip(AWKWARD, records, strict=True):
        assert ids(contract_store, tenant, customer=[value]) == [stored.interaction_id]
        assert ids(contract_store, tenant, queueId=[value]) == [stored.interaction_id]


def test_a_replaced_record_is_found_by_its_new_facets_only(contract_store: Store) -> None:
    tenant = new_tenant(contract_store)
    first = record(tenant, "2024-03-01T10:00:00Z", "00000000-0000-4000-8000-000000000001", customer="old\tone",
                   channelType="voice", queues=[{"queueId": "q-old"}])
    other = record(tenant, "2024-03-01T11:00:00Z", customer="old\tone", channelType="voice")
    contract_store.upsert_records(tenant, [first, other], 1)
    moved = record(tenant, "2024-03-02T09:00:00Z", first.interaction_id, customer="new", channelType="chat",
                   queues=[{"queueId": "q-new"}])
    contract_store.upsert_records(tenant, [moved], 2)
    assert ids(contract_store, tenant, customer=["old\tone"]) == [other.interaction_id]
    assert ids(contract_store, tenant, queueId=["q-old"]) == []
    assert ids(contract_store, tenant, channelType=["voice"]) == [other.interaction_id]
    assert ids(contract_store, tenant, customer=["new"]) == [first.interaction_id]
    assert ids(contract_store, tenant, queueId=["q-new"]) == [first.interaction_id]
    assert ids(contract_store, tenant, channelType=["chat"]) == [first.interaction_id]


@pytest.mark.parametrize("start", ["0001-01-01T00:00:00Z", "0001-01-01T00:00:00.000001Z",
                                   "9999-12-31T23:59:59.999999Z", "2300-06-01T00:00:00.000001Z"])
def test_a_record_replaced_at_the_ends_of_time_loses_its_old_facets(contract_store: Store, start: str) -> None:
    """Far from 1970 a microsecond is below a double's precision: the old facets' start must be computed exactly."""
    tenant = new_tenant(contract_store)
    first = record(tenant, start, customer="old", queues=[{"queueId": "q-old"}])
    contract_store.upsert_records(tenant, [first], 1)
    assert ids(contract_store, tenant, customer=["old"]) == [first.interaction_id]
    replaced = record(tenant, "2024-03-02T09:00:00Z", first.interaction_id, customer="new")
    contract_store.upsert_records(tenant, [replaced], 2)
    assert ids(contract_store, tenant, customer=["old"]) == []
    assert ids(contract_store, tenant, queueId=["q-old"]) == []
    assert ids(contract_store, tenant, customer=["new"]) == [first.interaction_id]


def test_postgres_migration_12_fills_the_facets_that_replacements_delete(fresh_database_url: str) -> None:
    if fresh_database_url.startswith("sqlite"):
        pytest.skip("PostgreSQL's migration")
    version = 1 + next(i for i, text in enumerate(POSTGRES_MIGRATIONS) if "ADD COLUMN replaced_facets" in text)
    store = open_store(fresh_database_url)
    store.migrate()
    tenant = new_tenant(store)
    kept = record(tenant, "2024-03-01T10:00:00Z", customer="c1", queues=[{"queueId": "q1"}, {"queueId": "q2"}])
    store.upsert_records(tenant, [kept], 1)
    store.close()
    with psycopg.connect(fresh_database_url, autocommit=True) as db:  # as it was before the migration
        db.execute("ALTER TABLE interactions DROP COLUMN facets")
        db.execute("ALTER TABLE interactions DROP COLUMN replaced_facets")
        db.execute("CREATE INDEX interaction_facets_by_interaction ON interaction_facets (tenant_id, interaction_id)")
        db.execute("DELETE FROM schema_migrations WHERE version >= %s", (version,))
    store = open_store(fresh_database_url)
    store.migrate()
    with psycopg.connect(fresh_database_url, autocommit=True) as db:
        facets = db.execute("SELECT facets::json FROM interactions").fetchone()
        assert facets is not None
        assert sorted(map(tuple, facets[0])) == sorted(kept.facets)
        indexes = db.execute("SELECT indexname FROM pg_indexes WHERE tablename = 'interaction_facets'").fetchall()
        assert [name for (name,) in indexes] == ["interaction_facets_pkey"]
    replaced = record(tenant, "2024-03-01T12:00:00Z", kept.interaction_id, customer="c2")
    store.upsert_records(tenant, [replaced], 2)
    assert ids(store, tenant, customer=["c1"]) == []
    assert ids(store, tenant, queueId=["q1"]) == []
    assert ids(store, tenant, customer=["c2"]) == [kept.interaction_id]
    store.close()

