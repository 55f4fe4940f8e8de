"""The storage contract: every backend passes this same suite (SQLite always; PostgreSQL when
CXREPORT_TEST_POSTGRES_URL is set). Each test works in tenants of its own."""

from __future__ import annotations

import uuid

import pytest

from cxreport.errors import Conflict
from cxreport.store import Store
from cxreport.store.base import (
    MAX_INSTANT,
    MIN_INSTANT,
    ApiKey,
    Filter,
    PageRequest,
    Query,
    StoredRecord,
    Tenant,
    Token,
    UpsertCounts,
    Window,
)
from support.stores import new_tenant, page, record


def test_migrate_is_idempotent(contract_store: Store) -> None:
    version = contract_store.migrate()
    assert contract_store.migrate() == version >= 1


def test_tenants(contract_store: Store) -> None:
    tenant_id = new_tenant(contract_store, "US/Eastern")
    assert contract_store.get_tenant(tenant_id) == Tenant(tenant_id, f"tenant {tenant_id[:8]}", "US/Eastern")
    assert contract_store.get_tenant(str(uuid.uuid4())) is None
    with pytest.raises(Conflict):
        contract_store.create_tenant(Tenant(tenant_id, "again", "UTC"))


def test_upsert_counts_and_last_one_wins(contract_store: Store) -> None:
    tenant_id = new_tenant(contract_store)
    first = record(tenant_id, "2020-01-01T00:00:00Z", customer="a")
    second = record(tenant_id, "2020-01-02T00:00:00Z")
    assert contract_store.upsert_records(tenant_id, [first, second], 1) == UpsertCounts(2, 0, 0)
    assert contract_store.upsert_records(tenant_id, [first, second], 2) == UpsertCounts(0, 0, 2)
    changed = record(tenant_id, "2020-01-01T00:00:00Z", first.interaction_id, customer="b")
    again = record(tenant_id, "2020-01-01T00:00:00Z", first.interaction_id, customer="c")
    assert contract_store.upsert_records(tenant_id, [changed, again], 3) == UpsertCounts(0, 1, 0)
    assert contract_store.get_record(tenant_id, first.interaction_id, False) == again.doc


def test_a_records_own_revision_decides_which_version_is_newest(contract_store: Store) -> None:
    tenant_id = new_tenant(contract_store)
    interaction_id = str(uuid.uuid4())

    def version(revision: int | None, customer: str) -> StoredRecord:
        fields: dict[str, object] = {"customer": customer} if revision is None else {"customer": customer,
                                                                                     "revision": revision}
        return record(tenant_id, "2020-01-01T00:00:00Z", interaction_id, **fields)

    def stored_customer() -> str:
        import json

        value: str = json.loads(contract_store.get_record(tenant_id, interaction_id, False) or b"{}")["customer"]
        return value

    assert contract_store.upsert_records(tenant_id, [version(5, "five")], 1) == UpsertCounts(1, 0, 0)
    assert contract_store.upsert_records(tenant_id, [version(4, "four")], 2) == UpsertCounts(0, 0, 1)
    assert contract_store.upsert_records(tenant_id, [version(5, "five again")], 3) == UpsertCounts(0, 0, 1)
    assert stored_customer() == "five"
    assert contract_store.upsert_records(tenant_id, [version(7, "seven"), version(6, "six")], 4) == UpsertCounts(
        0, 1, 0
    )
    assert stored_customer() == "seven"
    assert contract_store.upsert_records(tenant_id, [version(None, "no revision")], 5) == UpsertCounts(0, 1, 0)
    assert stored_customer() == "no revision"
    assert contract_store.upsert_records(tenant_id, [version(1, "one")], 6) == UpsertCounts(0, 1, 0)
    assert stored_customer() == "one"


def test_search_orders_newest_first_with_id_tie_break(contract_store: Store) -> None:
    tenant_id = new_tenant(contract_store)
    ids = [str(uuid.UUID(int=n)) for n in (5, 9, 7)]
    records = [record(tenant_id, "2020-01-01T00:00:00Z", i) for i in ids]
    records.append(record(tenant_id, "2020-01-01T00:00:00.001Z", str(uuid.UUID(int=1))))
    records.append(record(tenant_id, "2019-12-31T23:59:59.999Z", str(uuid.UUID(int=99))))
    contract_store.upsert_records(tenant_id, records, 1)
    total, docs = page(contract_store, tenant_id)
    expected = [str(uuid.UUID(int=1)), *sorted(ids, reverse=True), str(uuid.UUID(int=99))]
    assert total == 5
    assert [_id(doc) for doc in docs] == expected
    walked = [_id(doc) for offset in range(5) for doc in page(contract_store, tenant_id, limit=1, offset=offset)[1]]
    assert walked == expected


def test_window_is_half_open(contract_store: Store) -> None:
    tenant_id = new_tenant(contract_store)
    contract_store.upsert_records(tenant_id, [record(tenant_id, "2020-01-01T10:00:00.000Z")], 1)
    assert page(contract_store, tenant_id, "2020-01-01T10:00:00.000Z", "2020-01-01T10:00:00.001Z")[0] == 1
    assert page(contract_store, tenant_id, "2020-01-01T09:00:00.000Z", "2020-01-01T10:00:00.000Z")[0] == 0
    assert page(contract_store, tenant_id, "2020-01-01T10:00:00.001Z", None)[0] == 0
    assert page(contract_store, tenant_id, None, "2020-01-01T10:00:00.001Z")[0] == 1


def test_paging_total_and_offset_past_the_end(contract_store: Store) -> None:
    tenant_id = new_tenant(contract_store)
    records = [record(tenant_id, f"2020-01-01T00:00:{second:02d}Z") for second in range(25)]
    contract_store.upsert_records(tenant_id, records, 1)
    total, docs = page(contract_store, tenant_id, limit=10, offset=20)
    assert total == 25 and len(docs) == 5
    assert [_start(d) for d in docs] == [f"2020-01-01T00:00:{s:02d}Z" for s in range(4, -1, -1)]
    assert page(contract_store, tenant_id, limit=10, offset=30) == (25, [])
    assert page(contract_store, tenant_id, limit=0) == (25, [])


def test_tenants_never_see_each_other(contract_store: Store) -> None:
    mine, theirs = new_tenant(contract_store), new_tenant(contract_store)
    shared_id = str(uuid.uuid4())
    contract_store.upsert_records(mine, [record(mine, "2020-01-01T00:00:00Z", shared_id, customer="mine")], 1)
    assert contract_store.upsert_records(theirs, [record(theirs, "2020-01-01T00:00:00Z", shared_id,
                                                         customer="theirs")], 1) == UpsertCounts(1, 0, 0)
    assert b'"mine"' in (contract_store.get_record(mine, shared_id, False) or b"")
    assert b'"theirs"' in (contract_store.get_record(theirs, shared_id, False) or b"")
    assert page(contract_store, mine)[0] == 1
    assert all(b"theirs" not in doc for doc in page(contract_store, mine)[1])
    assert contract_store.get_record(new_tenant(contract_store), shared_id, False) is None


def test_nulls_kept_only_when_asked(contract_store: Store) -> None:
    tenant_id = new_tenant(contract_store)
    with_null = record(tenant_id, "2020-01-01T00:00:00Z", endTimestamp=None, customer="x")
    contract_store.upsert_records(tenant_id, [with_null], 1)
    assert b"null" not in page(contract_store, tenant_id)[1][0]
    assert b'"endTimestamp":null' in page(contract_store, tenant_id, include_nulls=True)[1][0]
    assert contract_store.get_record(tenant_id, with_null.interaction_id, True) == with_null.doc_with_nulls


def test_failed_batch_writes_nothing(contract_store: Store) -> None:
    tenant_id = new_tenant(contract_store)
    good = record(tenant_id, "2020-01-01T00:00:00Z")
    broken = StoredRecord(interaction_id=None, start_us=0, end_us=None, doc=b"{}", doc_with_nulls=None)  # type: ignore[arg-type]
    with pytest.raises(Exception):  # noqa: B017 - the backend's own integrity error
        contract_store.upsert_records(tenant_id, [good, broken], 1)
    assert page(contract_store, tenant_id)[0] == 0


def test_keys_and_tokens(contract_store: Store) -> None:
    tenant_id = new_tenant(contract_store)
    key = ApiKey(str(uuid.uuid4()), tenant_id, "read", "hash", created_us=10)
    contract_store.create_key(key)
    assert contract_store.get_key(key.id) == key
    assert contract_store.list_keys(tenant_id) == [key]
    assert contract_store.list_keys(new_tenant(contract_store)) == []
    token = Token("token-hash-" + key.id, tenant_id, key.id, expires_us=2**60)
    contract_store.create_token(token)
    assert contract_store.get_token(token.token_hash) == token
    revoked = contract_store.revoke_key(key.id, 99)
    assert revoked is not None and revoked.revoked_us == 99
    assert contract_store.get_token(token.token_hash) is None
    assert contract_store.revoke_key(str(uuid.uuid4()), 99) is None


def test_ping(contract_store: Store) -> None:
    contract_store.ping()


def _id(doc: bytes) -> str:
    import json

    value: str = json.loads(doc)["interactionId"]
    return value


def _start(doc: bytes) -> str:
    import json

    value: str = json.loads(doc)["startTimestamp"]
    return value


@pytest.mark.parametrize("value", ['say "hi"', "back\\slash", "café ☕ 😀", "tab\there", "12345", "[1, 2]", "null"])
def test_a_facet_value_is_found_exactly_as_written(contract_store: Store, value: str) -> None:
    """Facets go in through each store's own path (on SQLite, unpacked from the record's JSON by SQL): quotes,
    escapes, non-ASCII text and text that looks like JSON come back as the same text, on insert and on update."""
    tenant_id, other, interaction_id = new_tenant(contract_store), new_tenant(contract_store), str(uuid.uuid4())

    def found(kind: str, wanted: str, tenant: str = tenant_id) -> int:
        query = Query(Window(MIN_INSTANT, MAX_INSTANT), filters=(Filter(kind, (wanted,)),))
        return contract_store.search(tenant, PageRequest(query, 10)).total

    contract_store.upsert_records(other, [record(other, "2020-01-01T00:00:00Z", interaction_id, customer="x")], 1)
    contract_store.upsert_records(tenant_id, [record(tenant_id, "2020-01-01T00:00:00Z", interaction_id,
                                                     customer=value)], 1)
    assert (found("customer", value), found("customer", value + "x")) == (1, 0)
    assert (found("customer", "x"), found("customer", "x", other), found("customer", value, other)) == (0, 1, 0)
    contract_store.upsert_records(tenant_id, [record(tenant_id, "2020-01-01T00:00:00Z", interaction_id,
                                                     customer="other", contactPoint=value)], 2)
    assert (found("customer", value), found("customer", "other"), found("contactPoint", value)) == (0, 1, 1)
