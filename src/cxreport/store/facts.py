"""Queue-entry facts in the stores: the table's columns, the rows of the records an upsert writes, and the
fill of the table from the records stored before it existed (right after migration 5, in its transaction).

A record's facts are written in the upsert that writes the record, and replaced with it: SQLite and
PostgreSQL each call `fact_rows` from their `_upsert` (the statements differ: `executemany`, COPY)."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sequence
from typing import Any

from cxreport.records.facts import facts_of_doc
from cxreport.records.stored import StoredRecord

FACTS_VERSION = 5
"""The schema version that creates `queue_entry_facts`; the stores fill it right after applying it."""

FACT_COLUMNS = (
    "tenant_id, entry_us, interaction_id, position, {start}, queue_entry_id, queue_id, queue_name, agent_id, "
    "agent_name, channel_type, direction, flow_id, flow_name, outcome, queue_ms, answer_ms, sla_ms, sla_met, "
    "sla_abandoned, sla_id, sla_version, talk_ms, hold_ms, wrap_ms, handle_ms, transfers, flagged"
)
"""In the order of `fact_rows`' tuples; `{start}` is the store's column of the record's start (facet probes)."""

BACKFILL_BATCH = 2000


def fact_rows(
    tenant_id: str, records: Iterable[StoredRecord], start_param: Callable[[int], object]
) -> list[tuple[object, ...]]:
    """The rows of these records' facts, in the order of `FACT_COLUMNS`, sorted by key (index inserts stay
    local); `start_param` turns the record's start into the store's parameter."""
    rows: list[tuple[object, ...]] = [
        (tenant_id, fact.entry_us, fact.interaction_id, fact.position, start_param(record.start_us), *fact[3:])
        for record in records
        for fact in record.facts
    ]
    rows.sort(key=lambda row: (row[1], row[2], row[3]))
    return rows


Write = Callable[[Sequence[tuple[object, ...]]], None]


def backfill(batches: Iterator[Sequence[Any]], start_param: Callable[[int], object], write: Write) -> int:
    """Fill `queue_entry_facts` from stored records: `batches` yields rows (tenant id, interaction id, start µs,
    doc); `write` inserts fact rows. Returns how many facts were written."""
    written = 0
    for batch in batches:
        rows = []
        for tenant_id, interaction_id, start_us, doc in batch:
            start = int(start_us)
            for fact in facts_of_doc(str(interaction_id), start, bytes(doc)):
                rows.append((str(tenant_id), fact.entry_us, str(interaction_id), fact.position, start_param(start),
                             *fact[3:]))
        if rows:
            write(rows)
            written += len(rows)
    return written
