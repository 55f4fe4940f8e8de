"""A record as the stores keep it: its exact JSON text, its times, and what searches filter it by."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import msgspec

from cxreport.records.facets import BY_KIND, FACETS, RecordView, facets_of


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

    def supersedes(self, stored_revision: int | None) -> bool:
        """Whether this record may replace one stored with `stored_revision` (see `Store.upsert_records`)."""
        return self.revision is None or stored_revision is None or self.revision > stored_revision


_view = msgspec.json.Decoder(RecordView)
_COLUMNS = tuple((facet.column, facet.is_flag) for facet in FACETS if facet.column)


def stored_record(
    interaction_id: str, start_us: int, end_us: int | None, doc: bytes, doc_with_nulls: bytes | None,
    revision: int | None,
) -> StoredRecord:
    """What the store keeps of a valid record's JSON text `doc`: its facets and promoted columns, read through
    the facet registry (the same for records ingested directly and records derived from events)."""
    facets = facets_of(_view.decode(doc))
    columns: dict[str, Any] = {column: False if is_flag else None for column, is_flag in _COLUMNS}
    for kind, value in facets:
        facet = BY_KIND[kind]
        if facet.column and (facet.is_flag or columns[facet.column] is None):
            columns[facet.column] = True if facet.is_flag else value
    return StoredRecord(
        interaction_id=interaction_id,
        start_us=start_us,
        end_us=end_us,
        doc=doc,
        doc_with_nulls=doc_with_nulls,
        revision=revision,
        facets=facets,
        **columns,
    )
