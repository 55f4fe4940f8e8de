"""Export: every record matching a search, streamed in constant memory, as NDJSON or CSV.

NDJSON lines are the stored records, byte for byte. CSV has one row per interaction with the columns in
`CSV_COLUMNS`: the top-level fields and statistics, then counts and ids of segments, queues and agents.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from dataclasses import dataclass

import msgspec

from cxreport.store.base import Query, Store

EXPORT_BATCH = 2000
FORMATS = {"ndjson": "application/x-ndjson", "csv": "text/csv; charset=utf-8"}


class _QueueRef(msgspec.Struct):
    queueId: str | None = None
    queueAbandoned: bool | None = None


class _AgentRef(msgspec.Struct):
    agentId: str | None = None


class CsvRecord(msgspec.Struct):
    """The fields of a record that CSV shows (everything else is left out of CSV; NDJSON has it all)."""

    interactionId: str
    startTimestamp: str
    endTimestamp: str | None = None
    tenantId: str | None = None
    channelType: str | None = None
    direction: str | None = None
    customer: str | None = None
    contactPoint: str | None = None
    contactId: str | None = None
    flowId: str | None = None
    flowName: str | None = None
    flagged: bool | None = None
    interactionTime: float | None = None
    ivrTime: float | None = None
    customerHolds: int | None = None
    customerHoldTime: float | None = None
    customerTransfers: int | None = None
    customerAbandonTime: float | None = None
    revision: int | None = None
    segments: list[msgspec.Raw] | None = None
    queues: list[_QueueRef] | None = None
    agents: list[_AgentRef] | None = None


CSV_COLUMNS = (
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
_decode_csv_record = msgspec.json.Decoder(CsvRecord)


@dataclass(frozen=True, slots=True)
class Chunk:
    data: bytes
    records: int


def export_ndjson(store: Store, tenant_id: str, query: Query, include_nulls: bool) -> Iterator[Chunk]:
    for batch in store.export(tenant_id, query, include_nulls, EXPORT_BATCH):
        yield Chunk(b"\n".join(batch) + b"\n", len(batch))


def export_csv(store: Store, tenant_id: str, query: Query) -> Iterator[Chunk]:
    yield Chunk(_csv_lines([CSV_COLUMNS]), 0)
    for batch in store.export(tenant_id, query, False, EXPORT_BATCH):
        yield Chunk(_csv_lines([csv_row(_decode_csv_record.decode(doc)) for doc in batch]), len(batch))


def csv_row(record: CsvRecord) -> tuple[object, ...]:
    queues = record.queues or []
    agents = record.agents or []
    abandoned = record.customerAbandonTime is not None or any(q.queueAbandoned for q in queues)
    return (
        record.interactionId,
        record.tenantId,
        record.startTimestamp,
        record.endTimestamp,
        record.channelType,
        record.direction,
        record.customer,
        record.contactPoint,
        record.contactId,
        record.flowId,
        record.flowName,
        _flag(record.flagged),
        _flag(abandoned),
        record.interactionTime,
        record.ivrTime,
        record.customerHolds,
        record.customerHoldTime,
        record.customerTransfers,
        record.customerAbandonTime,
        record.revision,
        len(record.segments or []),
        len(queues),
        len(agents),
        " ".join(dict.fromkeys(q.queueId for q in queues if q.queueId)),
        " ".join(dict.fromkeys(a.agentId for a in agents if a.agentId)),
    )


def _flag(value: bool | None) -> str:
    return "true" if value else "false"


def _csv_lines(rows: list[tuple[object, ...]]) -> bytes:
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\r\n").writerows(rows)
    return buffer.getvalue().encode("utf-8")
