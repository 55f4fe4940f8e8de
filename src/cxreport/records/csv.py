"""A record as one CSV row: the columns of the CSV export and how each is read from a record.

CSV has one row per interaction: the top-level fields and statistics, the facets that have a CSV column in the
registry (`records/facets.py`: a flag as true/false, several values space-separated), then counts of segments,
queues and agents. Everything else is left out of CSV (NDJSON has it all).
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Iterable

import msgspec

from cxreport.records.facets import FACETS, RecordView


class CsvRecord(RecordView, kw_only=True):
    """The fields of a record that CSV shows."""

    interactionId: str
    startTimestamp: str
    endTimestamp: str | None = None
    tenantId: str | None = None
    flowName: str | None = None
    interactionTime: float | None = None
    ivrTime: float | None = None
    customerHolds: int | None = None
    customerHoldTime: float | None = None
    customerTransfers: int | None = None
    revision: int | None = None
    segments: list[msgspec.Raw] | None = None


_COUNTS: dict[str, Callable[[CsvRecord], int]] = {
    "segmentCount": lambda record: len(record.segments or ()),
    "queueCount": lambda record: len(record.queues or ()),
    "agentCount": lambda record: len(record.agents or ()),
}
_LISTED = (
    "interactionId",
    "tenantId",
    "startTimestamp",
    "endTimestamp",
    "channelType",
    "direction",
    "customer",
    "contactPoint",
    "contactId",
    "flowId",
    "flowName",
    "flagged",
    "abandoned",
    "interactionTime",
    "ivrTime",
    "customerHolds",
    "customerHoldTime",
    "customerTransfers",
    "customerAbandonTime",
    "revision",
    "segmentCount",
    "queueCount",
    "agentCount",
    "queueIds",
    "agentIds",
)
_FACET_COLUMNS = {facet.csv_column: facet for facet in FACETS if facet.csv_column}
CSV_COLUMNS = (*_LISTED, *(column for column in _FACET_COLUMNS if column not in _LISTED))
"""The header: the columns above in this order, then those of facets added to the registry since."""


def _computed_cell(column: str) -> Callable[[CsvRecord], object] | None:
    """How a column that is not simply a field of the record is computed (None: it is a field)."""
    if column in _COUNTS:
        return _COUNTS[column]
    facet = _FACET_COLUMNS.get(column)
    if facet is None:
        return None
    values = facet.values
    if facet.is_flag:
        return lambda record: "true" if values(record) else "false"
    if facet.multi_valued:
        return lambda record: " ".join(dict.fromkeys(filter(None, values(record))))
    return None


def _field_of(column: str) -> str:
    facet = _FACET_COLUMNS.get(column)
    return facet.source if facet else column


def _row_function() -> Callable[[CsvRecord], tuple[object, ...]]:
    """One function that reads every column of a row: a tuple of attribute reads and calls of the computed
    cells, built once from `CSV_COLUMNS` (as dataclasses build their methods). A loop calling a function per
    column cost three times as much per row, a third of the CSV export's time."""
    computed: dict[str, object] = {}
    parts = []
    for index, column in enumerate(CSV_COLUMNS):
        cell = _computed_cell(column)
        if cell is None:
            parts.append(f"record.{_field_of(column)}")
        else:
            computed[f"cell_{index}"] = cell
            parts.append(f"cell_{index}(record)")
    source = f"lambda record: ({', '.join(parts)},)"
    row: Callable[[CsvRecord], tuple[object, ...]] = eval(source, computed)  # noqa: S307  # built from CSV_COLUMNS
    return row


csv_row = _row_function()
decode_csv_record = msgspec.json.Decoder(CsvRecord).decode


def csv_lines(rows: Iterable[tuple[object, ...]]) -> bytes:
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\r\n").writerows(rows)
    return buffer.getvalue().encode("utf-8")
