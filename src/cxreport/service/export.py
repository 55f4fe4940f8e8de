"""Export: every record matching a search, streamed in constant memory, as NDJSON or CSV.

NDJSON lines are the stored records, byte for byte. CSV has one row per interaction (`records/csv.py`).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from cxreport.records.csv import CSV_COLUMNS, csv_lines, csv_row, decode_csv_record
from cxreport.store.base import Query, Store

EXPORT_BATCH = 2000
FORMATS = {"ndjson": "application/x-ndjson", "csv": "text/csv; charset=utf-8"}


_NEWLINE = b"\n"


@dataclass(frozen=True, slots=True)
class Chunk:
    parts: list[bytes]
    """The chunk's bytes in pieces, in order: a file takes them as they are (`os.writev`, no copy)."""
    records: int

    @property
    def data(self) -> bytes:
        return self.parts[0] if len(self.parts) == 1 else b"".join(self.parts)


def export_ndjson(store: Store, tenant_id: str, query: Query, include_nulls: bool) -> Iterator[Chunk]:
    for batch in store.export(tenant_id, query, include_nulls, EXPORT_BATCH):
        parts = [_NEWLINE] * (2 * len(batch))
        parts[::2] = batch  # each document, then its newline
        yield Chunk(parts, len(batch))


def export_csv(store: Store, tenant_id: str, query: Query) -> Iterator[Chunk]:
    yield Chunk([csv_lines([CSV_COLUMNS])], 0)
    for batch in store.export(tenant_id, query, False, EXPORT_BATCH):
        yield Chunk([csv_lines([csv_row(decode_csv_record(doc)) for doc in batch])], len(batch))
