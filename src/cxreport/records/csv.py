"""A record as one CSV row: the columns of the CSV export and how each is read from a record.

CSV has one row per interaction: the top-level fields and statistics, the facets that have a CSV column in the
registry (`records/facets.py`: a flag as true/false, several values space-separated), then counts of segments,
queues and agents. Everything else is left out of CSV (NDJSON has it all).

Formula injection (OWASP, "CSV Injection"): a text cell that starts with `=`, `+`, `-`, `@`, a tab or a carriage
return is one a spreadsheet may run as a formula, so it gets a leading `'` (`=HYPERLINK(…)` → `'=HYPERLINK(…)`,
`+15550001` → `'+15550001`); the csv module quotes the cell as it needs. Numbers are numbers, not text, and keep
their sign. NDJSON and JSON carry every value as stored.
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


FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")
"""What a spreadsheet may read as the start of a formula (OWASP's list)."""
_TRIGGERS = "".join(FORMULA_TRIGGERS)


def neutralised(value: object) -> object:
    """A cell as it may go to a spreadsheet: text that could start a formula gets a leading `'`."""
    if isinstance(value, str) and value and value[0] in _TRIGGERS:
        return "'" + value
    return value


_NUMERIC = frozenset(
    field.name for field in msgspec.structs.fields(CsvRecord) if field.type in (float | None, int | None)
)
_SAFE_TEXT = frozenset({"interactionId", "tenantId", "startTimestamp", "endTimestamp"})
"""Text columns that never start with a trigger: UUIDs and timestamps the server formats."""

_COUNTS = {"segmentCount": "segments", "queueCount": "queues", "agentCount": "agents"}
"""Columns that count a list's entries."""
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


def _cell(column: str, index: int, names: dict[str, object]) -> str:
    """The expression that reads one column of `record` (binding in `names` what it calls)."""
    if column in _COUNTS:
        return f"len(record.{_COUNTS[column]} or ())"
    facet = _FACET_COLUMNS.get(column)
    if facet is None:
        if column in _NUMERIC or column in _SAFE_TEXT:
            return f"record.{column}"
        return _text(f"record.{column}", index)
    if facet.test is not None:
        names[f"test_{index}"] = facet.test
        return f'("true" if test_{index}(record) else "false")'
    if facet.multi_valued:
        names[f"values_{index}"] = facet.values
        return _text(f'" ".join(dict.fromkeys(filter(None, values_{index}(record))))', index)
    return _text(f"record.{facet.source}", index)


def _text(expression: str, index: int) -> str:
    """`expression` (text or None), neutralised inline: a call per cell would cost the export a tenth more."""
    cell = f"cell_{index}"
    return f"({cell} if not ({cell} := {expression}) or {cell}[0] not in {_TRIGGERS!r} else \"'\" + {cell})"


def _row_function() -> Callable[[CsvRecord], tuple[object, ...]]:
    """One function that reads every column of a row: a tuple display of attribute reads and the few computed
    cells, built once from `CSV_COLUMNS` (as dataclasses build their methods). A loop calling a function per
    column cost three times as much per row, a third of the CSV export's time."""
    names: dict[str, object] = {}
    cells = [_cell(column, index, names) for index, column in enumerate(CSV_COLUMNS)]
    source = f"lambda record: ({', '.join(cells)},)"
    row: Callable[[CsvRecord], tuple[object, ...]] = eval(source, names)  # noqa: S307  # built from CSV_COLUMNS
    return row


csv_row = _row_function()
decode_csv_record = msgspec.json.Decoder(CsvRecord).decode


def csv_lines(rows: Iterable[tuple[object, ...]]) -> bytes:
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\r\n").writerows(rows)
    return buffer.getvalue().encode("utf-8")
