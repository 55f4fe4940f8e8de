"""Property: any record ingested reads back equal (values, key order, number text), with and without nulls."""

from __future__ import annotations

import json
import tempfile
import uuid
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cxreport.http import bodies
from cxreport.http.search_query import paged, search_request
from cxreport.records.schema import InteractionRecord
from cxreport.service import interactions as service
from cxreport.store import open_store
from cxreport.store.base import Tenant
from cxreport.times import format_instant

KNOWN_FIELDS = set(InteractionRecord.__struct_fields__)

scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**80), max_value=2**80),
    st.floats(allow_nan=False, allow_infinity=False),
    st.text(max_size=20),
)
json_values = st.recursive(
    scalars,
    lambda inner: st.one_of(st.lists(inner, max_size=4), st.dictionaries(st.text(max_size=8), inner, max_size=4)),
    max_leaves=12,
)
extra_fields = st.dictionaries(st.text(max_size=12).filter(lambda key: key not in KNOWN_FIELDS), json_values,
                               max_size=6)
instants = st.integers(min_value=0, max_value=4_000_000_000_000_000).map(format_instant)


def without_nulls(value: Any) -> Any:
    if isinstance(value, dict):
        return {key: without_nulls(item) for key, item in value.items() if item is not None}
    if isinstance(value, list):
        return [without_nulls(item) for item in value]
    return value


_store = open_store(f"sqlite:///{tempfile.mkdtemp(prefix='cxreport-prop-')}/prop.db")
_store.migrate()
_tenant = Tenant(str(uuid.uuid4()), "property", "UTC")
_store.create_tenant(_tenant)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.uuids(), instants, extra_fields, st.sampled_from(["json.dumps", "indented"]))
def test_any_record_reads_back_equal(interaction_id: uuid.UUID, start: str, extra: dict[str, Any], style: str) -> None:
    record = {"interactionId": str(interaction_id), "startTimestamp": start, **extra}
    body = json.dumps(record, indent=2 if style == "indented" else None).encode()
    service.ingest(_store, _tenant.id, body)

    with_nulls = _store.get_record(_tenant.id, str(interaction_id), True)
    assert with_nulls is not None
    assert json.loads(with_nulls) == record
    assert list(json.loads(with_nulls)) == list(record)
    assert json.loads(_store.get_record(_tenant.id, str(interaction_id), False) or b"") == without_nulls(record)

    search = paged(search_request((start, "startTimeRange"), (None, "endTimeRange")), 1000, None, None)
    page = json.loads(bodies.search_envelope(service.search(_store, _tenant.id, search)))
    found = [r for r in page["results"] if r["interactionId"] == str(interaction_id)]
    assert found == [without_nulls(record)]


@given(st.lists(st.decimals(allow_nan=False, allow_infinity=False, places=None).map(str), min_size=1, max_size=5))
@settings(max_examples=100, deadline=None)
def test_numbers_keep_their_digits(numbers: list[str]) -> None:
    interaction_id = str(uuid.uuid4())
    text = f'{{"interactionId":"{interaction_id}","startTimestamp":"2020-01-01T00:00:00Z","n":[{",".join(numbers)}]}}'
    service.ingest(_store, _tenant.id, text.encode())
    stored = _store.get_record(_tenant.id, interaction_id, True)
    assert stored is not None
    assert [str(n) for n in json.loads(stored, parse_float=str, parse_int=str)["n"]] == [
        str(n) for n in json.loads(text, parse_float=str, parse_int=str)["n"]
    ]
