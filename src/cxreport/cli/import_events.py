"""`cxreport import-events`: event files into the store, in atomic batches, with progress and a report.

The files hold cxreport's own NDJSON events (`--format cxreport`) or another platform's log that an importer
translates (`--format asterisk-queue-log`, `connect-ctr`: `cxreport.importers`); either may be gzip. Each batch
goes through the same path as `POST …/events` (`service.events.store_events`): one transaction stores its
events and the records they touch, so an interrupted import leaves whole batches, and running it again
completes it (events already stored are duplicates and change nothing). A batch never splits one source line's
events. A malformed line is reported with its file and line and left out; the other lines of its batch are
stored. With `strict`, every file is read and checked first, and nothing is written if any line is bad.
A file that stops being readable (a truncated gzip) is reported as one line; the batch it was in is not stored.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import ExitStack
from dataclasses import dataclass, field

from cxreport.cli.event_sources import NATIVE, SourceLine, Unreadable, opened, source_lines
from cxreport.cli.import_records import RejectedRecord, input_size, replayable
from cxreport.cli.progress import Progress
from cxreport.importers.base import ImportOptions
from cxreport.service.events import Incoming, store_events
from cxreport.store.base import EventCounts, Store

DEFAULT_BATCH_SIZE = 100_000


@dataclass
class EventImportReport:
    counts: EventCounts = field(default_factory=EventCounts)
    rejected: list[RejectedRecord] = field(default_factory=list)
    lines: int = 0
    """Source lines read (blank lines of NDJSON not counted)."""
    written: bool = True
    """False when `strict` found a bad line, so nothing was written."""


def import_event_files(
    store: Store,
    tenant_id: str,
    paths: list[str],
    *,
    batch_size: int = DEFAULT_BATCH_SIZE,
    progress: bool = True,
    source_format: str = NATIVE,
    options: ImportOptions | None = None,
    strict: bool = False,
) -> EventImportReport:
    for path in paths:  # a missing or unreadable file stops the import before anything is written
        if path != "-":
            open(path, "rb").close()
    options = options or ImportOptions()
    with ExitStack() as stack:
        files = [stack.enter_context(replayable(path)) if strict else path for path in paths]
        if strict:
            check = EventImportReport(written=False)
            for name, path in zip(paths, files, strict=True):
                for _batch in _batches(name, path, tenant_id, batch_size, check, progress, source_format, options,
                                       "checking"):
                    pass
            if check.rejected:
                return check
        report = EventImportReport()
        for name, path in zip(paths, files, strict=True):
            for batch in _batches(name, path, tenant_id, batch_size, report, progress, source_format, options,
                                  "importing"):
                report.counts += store_events(store, tenant_id, batch)
        return report


def _batches(
    name: str,
    path: str,
    tenant_id: str,
    batch_size: int,
    report: EventImportReport,
    show: bool,
    source_format: str,
    options: ImportOptions,
    verb: str,
) -> Iterator[list[Incoming]]:
    by_line = source_format != NATIVE
    with opened(path) as (counter, content):
        bar = Progress(f"{verb} {name}", input_size(path), show=show, unit="events")
        batch: list[Incoming] = []
        first_line = 1
        events = 0
        try:
            for item in source_lines(content, source_format, options, tenant_id):
                report.lines += 1
                if item.error is not None:
                    report.rejected.append(_rejected(name, item, by_line))
                elif item.events:
                    if not batch:
                        first_line = item.line
                    batch += item.events
                    events += len(item.events)
                    if len(batch) >= batch_size:
                        yield batch
                        batch = []
                if not report.lines % 1000:
                    bar.advance(counter.count, events)
        except Unreadable as error:
            stored = "" if not batch else f"; lines {first_line} to {error.line - 1} were not stored either"
            report.rejected.append(RejectedRecord(name, 0, error.line, f"unreadable from here on: {error.reason}"
                                                  + stored, by_line=True))
            batch = []
        if batch:
            yield batch
        bar.advance(counter.count, events)
        bar.finish()


def _rejected(name: str, item: SourceLine, by_line: bool) -> RejectedRecord:
    position = item.position if item.position is not None else 0
    return RejectedRecord(name, position, item.line, item.error or "", by_line=by_line)
