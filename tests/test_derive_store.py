"""A derived record goes to the store without being validated again (`events_ingest.derived_record`): what
it stores must be exactly what `ingest.prepare_record` makes of the record's JSON, which also proves that
derived records pass that validation."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import msgspec
from hypothesis import given
from hypothesis import strategies as st

from cxreport.metrics import DEFAULT_SLA, Event, decode_events, decode_timed_event, derive_record
from cxreport.records.validate import prepare_record
from cxreport.service.events import compact, derived_record
from support.event_strategies import POLICY, fast, interaction_events

STREAMS = Path(__file__).resolve().parent / "data/seed-events"
TENANT = "2336d1ec-c956-47e1-b3b1-fe8fde81b2b4"


def agrees(record: dict[str, Any]) -> None:
    assert derived_record(record, TENANT) == prepare_record(msgspec.json.encode(record), TENANT, 0)


def test_seed_records_are_stored_as_prepare_record_would_store_them() -> None:
    paths = sorted(STREAMS.glob("*.ndjson"))
    assert len(paths) == 10
    for path in paths:
        record = derive_record(TENANT, decode_events(path.read_bytes()), DEFAULT_SLA)
        agrees(record)
        agrees({**record, "customer": "null"})  # the text null: the long way, same result


@fast
@given(interaction_events())
def test_derived_records_are_stored_as_prepare_record_would_store_them(events: list[Event]) -> None:
    agrees(derive_record(TENANT, events, POLICY))


@fast
@given(interaction_events(), st.randoms())
def test_timestamps_parsed_once_derive_the_same_record(events: list[Event], rng: Any) -> None:
    instants: dict[str, int] = {}
    for event in events:
        decoded, time_us = decode_timed_event(msgspec.json.encode(event))
        assert decoded == event
        instants[event.timestamp] = time_us
    shuffled = rng.sample(events, len(events))
    assert derive_record(TENANT, shuffled, POLICY, instants) == derive_record(TENANT, events, POLICY)


def test_compact_removes_only_insignificant_whitespace() -> None:
    assert compact(b'{"a":"x y","b":[1,2.50]}') == b'{"a":"x y","b":[1,2.50]}'
    assert compact(b'{"a":"x\\u00e9","b":1e5}') == b'{"a":"x\\u00e9","b":1e5}'
    assert compact(b'{ "a" :\t"x y" ,\r"b": [1, 2.50] }') == b'{"a":"x y","b":[1,2.50]}'
    assert compact(msgspec.Raw(b'{"a": 1}')) == b'{"a":1}'
    for spaced in (b'{"a":1,\t"b":2}', b'{"a":1,\r"b":2}', b'{"a":1,\n"b":2}', b'{"a":1, "b":2}'):
        assert compact(spaced) == b'{"a":1,"b":2}', "any one whitespace byte sends the text through the formatter"
