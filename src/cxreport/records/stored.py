"""A record as the stores keep it: its exact JSON text, its times, and what searches filter it by."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import msgspec

if TYPE_CHECKING:  # importing `metrics` builds the whole derivation core: the export needs none of it
    from cxreport.metrics.live import LiveActivity
from cxreport.records.facets import FACETS, RecordView, Viewable, facets_of
from cxreport.records.facts import Factual, QueueEntryFact, facts_of, facts_of_doc


@dataclass(frozen=True, slots=True)
class StoredRecord:
    """One interaction record ready to store: its JSON text and the columns promoted from it."""

    interaction_id: str
    start_us: int
    end_us: int | None
    doc: bytes
    """The record as JSON with null-valued fields left out (what clients get by default)."""
    doc_with_nulls: bytes | None
    """The record as ingested, nulls included; None when it has no null to keep."""
    channel_type: str | None = None
    direction: str | None = None
    customer: str | None = None
    contact_point: str | None = None
    contact_id: str | None = None
    flow_id: str | None = None
    flagged: bool = False
    abandoned: bool = False
    revision: int | None = None
    """The record's own `revision`, when it carries one."""
    facets: tuple[tuple[str, str], ...] = ()
    """(kind, value) pairs a search can filter on, e.g. ("agentId", "e054…"), served by an index."""
    facts: tuple[QueueEntryFact, ...] = ()
    """One per `queues[]` entry: what interval statistics count (`records/facts.py`), written with the record."""
    live: tuple[LiveActivity, ...] = ()
    """What is in progress in the interaction (derived records only: `metrics/live.py`)."""
    last_event_us: int | None = None
    """Its latest event's instant (derived records only)."""

    def supersedes(self, stored_revision: int | None) -> bool:
        """Whether this record may replace one stored with `stored_revision` (see `Store.upsert_records`)."""
        return self.revision is None or stored_revision is None or self.revision > stored_revision


_decode_view = msgspec.json.Decoder(RecordView).decode
_FIELD_COLUMNS = tuple((f.column, f.source) for f in FACETS if f.column and f.test is None)
_FLAG_COLUMNS = tuple((f.column, f.test) for f in FACETS if f.column and f.test is not None)


def stored_record(
    interaction_id: str, start_us: int, end_us: int | None, doc: bytes, doc_with_nulls: bytes | None,
    revision: int | None, view: Viewable | None = None, facts_view: Factual | None = None,
) -> StoredRecord:
    """What the store keeps of a valid record's JSON text `doc`: its facets and promoted columns, read through
    the facet registry (the same for records ingested directly and records derived from events). `view` is the
    record already decoded, when the caller has it (else its fields are decoded from `doc`); its queue-entry facts
    come from `facts_view` likewise."""
    if view is None:
        view = _decode_view(doc)
    columns: dict[str, Any] = {column: getattr(view, field) for column, field in _FIELD_COLUMNS}
    for column, test in _FLAG_COLUMNS:
        columns[column] = test(view)
    return StoredRecord(
        interaction_id=interaction_id,
        start_us=start_us,
        end_us=end_us,
        doc=doc,
        doc_with_nulls=doc_with_nulls,
        revision=revision,
        facets=facets_of(view),
        facts=facts_of_doc(interaction_id, start_us, doc) if facts_view is None else facts_of(
            interaction_id, start_us, facts_view
        ),
        **columns,
    )
