"""`cxreport import-events`: NDJSON event files into the store, in atomic batches, with progress and a report.

Each batch goes through the same path as `POST …/events` (`events_ingest.store_events`): one transaction
stores its events and the records they touch, so an interrupted import leaves whole batches, and running it
again completes it (events already stored are duplicates and change nothing). A malformed event is reported
with its position and line and left out; the other events of its batch are stored.
"""

from __future__ import annotations

import io
from collections.abc import Iterator
from dataclasses import dataclass, field

from cxreport.cli.import_records import RejectedRecord, input_size, open_input
from cxreport.cli.progress import Progress
from cxreport.cli.record_files import CountingReader
from cxreport.errors import InvalidRecord
from cxreport.jsontext import NUL_REFUSED, holds_nul
from cxreport.service.events import Incoming, incoming, store_events
from cxreport.store.base import EventCounts, Store

DEFAULT_BATCH_SIZE = 100_000
_BOM = b"\xef\xbb\xbf"


@dataclass
class EventImportReport:
    counts: EventCounts = field(default_factory=EventCounts)
    rejected: list[RejectedRecord] = field(default_factory=list)


def import_event_files(
    store: Store, tenant_id: str, paths: list[str], *, batch_size: int = DEFAULT_BATCH_SIZE, progress: bool = True
) -> EventImportReport:
    for path in paths:  # a missing or unreadable file stops the import before anything is written
        if path != "-":
            open(path, "rb").close()
    report = EventImportReport()
    for path in paths:
        for batch in _batches(path, tenant_id, batch_size, report, progress):
            report.counts += store_events(store, tenant_id, batch)
    return report


def _batches(
    path: str, tenant_id: str, batch_size: int, report: EventImportReport, show: bool
) -> Iterator[list[Incoming]]:
    with open_input(path) as stream:
        counter = CountingReader(stream)
        bar = Progress(f"importing {path}", input_size(path), show=show, unit="events")
        batch: list[Incoming] = []
        position = 0
        for number, line in enumerate(io.BufferedReader(counter, 1 << 16), start=1):
            text = line[3:].strip() if number == 1 and line.startswith(_BOM) else line.strip()
            if not text:
                continue
            try:
                if holds_nul(text):  # as a request body with one is refused: neither store takes one
                    raise InvalidRecord(f"the event {NUL_REFUSED}")
                batch.append(incoming(text, position, tenant_id))
            except InvalidRecord as error:
                report.rejected.append(RejectedRecord(path, position, number, error.message))
            position += 1
            if len(batch) >= batch_size:
                yield batch
                batch = []
            if not position % 1000:
                bar.advance(counter.count, position)
        if batch:
            yield batch
        bar.advance(counter.count, position)
        bar.finish()
