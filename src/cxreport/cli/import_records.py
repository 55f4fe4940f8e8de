"""`cxreport import`: records from files into the store, in atomic batches, with progress and a report.

Each batch is one transaction, so a killed import leaves whole batches only, and rerunning it converges
(records are upserted by interactionId). With `strict`, every file is checked first and nothing is
written if any record is rejected."""

from __future__ import annotations

import os
import shutil
import sys
import tempfile
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from typing import BinaryIO

from cxreport.cli.batch_writers import BatchWriters
from cxreport.cli.progress import Progress
from cxreport.cli.record_files import CountingReader, SourceRecord, read_records
from cxreport.errors import InvalidBody, InvalidRecord
from cxreport.records.stored import StoredRecord
from cxreport.records.validate import prepare_record
from cxreport.store.base import Store, UpsertCounts


@dataclass(frozen=True, slots=True)
class RejectedRecord:
    file: str
    position: int
    line: int | None
    reason: str
    by_line: bool = False
    """Say only the line (`FILE: line L: reason`): for sources read line by line, whose events have no position."""

    def describe(self) -> str:
        if self.by_line:
            return f"{self.file}: line {self.line}: {' '.join(self.reason.split())}"
        where = f"position {self.position}" + (f" (line {self.line})" if self.line is not None else "")
        return f"{self.file}: {where}: {' '.join(self.reason.split())}"


@dataclass
class ImportReport:
    counts: UpsertCounts = field(default_factory=UpsertCounts)
    rejected: list[RejectedRecord] = field(default_factory=list)

    @property
    def records_read(self) -> int:
        return self.counts.inserted + self.counts.updated + self.counts.unchanged + len(self.rejected)


def import_files(
    store: Store,
    tenant_id: str,
    paths: list[str],
    *,
    strict: bool = False,
    batch_size: int | None = None,
    progress: bool = True,
    writers: int | None = None,
) -> ImportReport:
    """Import the files' records in batches of `batch_size` (default: the store's `bulk_batch_size`), each
    atomic, on `writers` concurrent writers (default: as many as the store takes at once; see `BatchWriters`)."""
    for path in paths:  # a missing or unreadable file stops the import before anything is written
        if path != "-":
            open(path, "rb").close()
    with ExitStack() as stack:
        files = [stack.enter_context(replayable(path)) if strict else path for path in paths]
        if strict:
            check = ImportReport()
            for name, path in zip(paths, files, strict=True):
                for _record in _prepared_records(name, path, tenant_id, check, progress, "checking"):
                    pass
            if check.rejected:
                return check
        report = ImportReport()
        with BatchWriters(store, tenant_id, batch_size or store.bulk_batch_size, writers or store.bulk_writers) as sink:
            for name, path in zip(paths, files, strict=True):
                for record in _prepared_records(name, path, tenant_id, report, progress, "importing"):
                    sink.add(record)
                sink.flush()  # a batch never spans two files
        report.counts = sink.counts
        if report.counts.inserted or report.counts.updated:
            store.refresh_statistics()
        return report


def _prepared_records(
    name: str, path: str, tenant_id: str, report: ImportReport, show: bool, verb: str
) -> Iterator[StoredRecord]:
    with open_input(path) as stream:
        counter = CountingReader(stream)
        total = input_size(path)
        bar = Progress(f"{verb} {name}", total, show=show)
        number = 0
        try:
            for number, source in enumerate(read_records(counter), start=1):
                record = _prepare(source, tenant_id, name, report)
                if record is not None:
                    yield record
                bar.advance(counter.count, number)
        except InvalidBody as error:  # the rest of this file cannot be read: report it, keep what came before
            report.rejected.append(RejectedRecord(name, number, None, f"unreadable from here on: {error.message}"))
        bar.finish()


def _prepare(source: SourceRecord, tenant_id: str, name: str, report: ImportReport) -> StoredRecord | None:
    try:
        return prepare_record(source.raw, tenant_id, source.position)
    except InvalidRecord as error:
        report.rejected.append(RejectedRecord(name, source.position, source.line, error.message))
        return None


@contextmanager
def open_input(path: str) -> Iterator[BinaryIO]:
    if path == "-":
        yield sys.stdin.buffer
    else:
        with open(path, "rb") as stream:
            yield stream


def input_size(path: str) -> int | None:
    try:
        return os.path.getsize(path) if path != "-" else None
    except OSError:
        return None


@contextmanager
def replayable(path: str) -> Iterator[str]:
    """A path that can be read twice: standard input is first copied to a temporary file."""
    if path != "-":
        yield path
        return
    with tempfile.NamedTemporaryFile(prefix="cxreport-stdin-", delete=True) as spool:
        shutil.copyfileobj(sys.stdin.buffer, spool)
        spool.flush()
        yield spool.name
