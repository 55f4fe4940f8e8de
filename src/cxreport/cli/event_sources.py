"""The events of one input file of `cxreport import-events`, line by line, whatever its format.

A file (or `-`, standard input) is read as gzip when it starts with gzip's magic bytes (a `.gz` file), then
either as cxreport's own NDJSON events or through an importer (`cxreport.importers.translator`). Each source
line comes out as one `SourceLine`: the events it makes, decoded and checked as the events route checks them,
or the reason it was rejected; a line's events are all good or none is kept. A stream that cannot be read to
its end (a truncated gzip) raises `Unreadable` naming the line it stopped at.
"""

from __future__ import annotations

import gzip
import io
import zlib
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import BinaryIO

from cxreport.cli.import_records import open_input
from cxreport.cli.record_files import CountingReader
from cxreport.errors import InvalidRecord
from cxreport.importers import translator
from cxreport.importers.base import ImportOptions
from cxreport.jsontext import NUL_REFUSED, holds_nul
from cxreport.service.events import Incoming, incoming

NATIVE = "cxreport"
_BOM = b"\xef\xbb\xbf"
_GZIP_MAGIC = b"\x1f\x8b"


@dataclass(frozen=True, slots=True)
class SourceLine:
    line: int
    events: list[Incoming]
    error: str | None = None
    position: int | None = None
    """For cxreport's own NDJSON: the event's 0-based position in the file (as the HTTP API's `errors` say)."""


class Unreadable(Exception):
    """The file stops being readable at `line` (a truncated or corrupt gzip, an I/O error)."""

    def __init__(self, line: int, reason: str) -> None:
        super().__init__(reason)
        self.line, self.reason = line, reason


@contextmanager
def opened(path: str) -> Iterator[tuple[CountingReader, BinaryIO]]:
    """The file's raw bytes (counted, for progress) and its content, decompressed when it is gzip."""
    with open_input(path) as stream:
        counter = CountingReader(stream)
        buffered = io.BufferedReader(counter, 1 << 16)
        if buffered.peek(2)[:2] == _GZIP_MAGIC:
            with gzip.GzipFile(fileobj=buffered, mode="rb") as unzipped:
                yield counter, io.BufferedReader(unzipped, 1 << 16)
        else:
            yield counter, buffered


def source_lines(
    content: BinaryIO, source_format: str, options: ImportOptions, tenant_id: str
) -> Iterator[SourceLine]:
    """Each line of `content` with its events, in file order."""
    reached = 0
    try:
        if source_format == NATIVE:
            for item in _native_lines(content, tenant_id):
                reached = item.line
                yield item
            return
        position = 0
        for translated in translator(source_format)(content, options):
            reached = translated.line
            if translated.error is not None:
                yield SourceLine(translated.line, [], translated.error)
                continue
            try:
                events = [incoming(event, position + i, tenant_id) for i, event in enumerate(translated.events)]
            except InvalidRecord as error:
                yield SourceLine(translated.line, [], error.message)
                continue
            position += len(events)
            yield SourceLine(translated.line, events)
    except (EOFError, gzip.BadGzipFile, zlib.error) as error:
        raise Unreadable(reached + 1, f"the gzip stream is truncated or corrupt ({error})") from None
    except OSError as error:
        raise Unreadable(reached + 1, f"reading failed ({error.strerror or error})") from None


def _native_lines(content: BinaryIO, tenant_id: str) -> Iterator[SourceLine]:
    position = 0
    for number, line in enumerate(content, start=1):
        text = line[3:].strip() if number == 1 and line.startswith(_BOM) else line.strip()
        if not text:
            continue
        try:
            if holds_nul(text):  # as a request body with one is refused: neither store takes one
                raise InvalidRecord(f"the event {NUL_REFUSED}")
            yield SourceLine(number, [incoming(text, position, tenant_id)], position=position)
        except InvalidRecord as error:
            yield SourceLine(number, [], error.message, position)
        position += 1
