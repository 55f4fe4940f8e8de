"""Reading records from files too large for memory: a seed-shaped envelope, a JSON array, or NDJSON.

Each record comes out as JSON bytes with its position (0-based index in the file) and, for NDJSON, its
line number. Rules:
- A file starting with `[` is a JSON array of records, streamed.
- A file whose first line is a whole JSON value is NDJSON: each line is a record or an envelope (an object
  with `results` and no `interactionId`), whose records are read in order.
- Otherwise it is one JSON document: when it is under 16 MiB it is read whole and split like a request
  body (a record, an array or an envelope); a larger one must be an envelope, whose `results` are streamed.
"""

from __future__ import annotations

import io
from collections.abc import Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, BinaryIO, cast

import ijson
import msgspec

from cxreport.errors import InvalidBody
from cxreport.records.validate import exact_json, split_body

if TYPE_CHECKING:
    Buffered = io.BufferedReader[Any]

_encode_exact = msgspec.json.Encoder(decimal_format="number")
_CHUNK = 1 << 16
WHOLE_DOCUMENT_LIMIT = 16 << 20
_BOM = b"\xef\xbb\xbf"


@dataclass(frozen=True, slots=True)
class SourceRecord:
    position: int
    raw: bytes
    line: int | None = None


class CountingReader(io.RawIOBase):
    """Wraps a binary stream and counts the bytes read from it (for progress)."""

    def __init__(self, stream: BinaryIO) -> None:
        self._stream = stream
        self.count = 0

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: bytearray | memoryview) -> int:  # type: ignore[override]
        data = self._stream.read(len(buffer))
        buffer[: len(data)] = data
        self.count += len(data)
        return len(data)


def read_records(stream: BinaryIO | io.RawIOBase) -> Iterator[SourceRecord]:
    """The records of a JSON document or NDJSON stream, in file order."""
    buffered: Buffered = (
        stream if isinstance(stream, io.BufferedReader) else io.BufferedReader(cast(io.RawIOBase, stream), _CHUNK)
    )
    first, blank_lines = _skip_to_first_value(buffered)
    if first is None:
        return
    if first == ord("["):
        yield from _array_items(buffered, "item")
    elif first == ord("{"):
        yield from _object_or_ndjson(buffered, first_line_number=blank_lines + 1)
    else:
        raise InvalidBody("expected a JSON object, a JSON array or NDJSON (one record per line)")


def _skip_to_first_value(stream: Buffered) -> tuple[int | None, int]:
    """Skip a byte-order mark and white space; return the first significant byte and the newlines skipped."""
    if stream.peek(3)[:3] == _BOM:
        stream.read(3)
    newlines = 0
    while True:
        peeked = stream.peek(1)
        if not peeked:
            return None, newlines
        stripped = peeked.lstrip()
        skipped = stream.read(len(peeked) - len(stripped))
        newlines += skipped.count(b"\n")
        if stripped:
            return stripped[0], newlines


def _array_items(stream: BinaryIO | io.RawIOBase | Buffered, prefix: str) -> Iterator[SourceRecord]:
    # use_float=False: ijson yields Decimal for non-integers, so 25.0120 keeps its digits.
    position = 0
    try:
        for item in ijson.items(stream, prefix, use_float=False):
            yield SourceRecord(position, _encode_exact.encode(item))
            position += 1
    except ijson.JSONError as error:
        raise InvalidBody(f"not valid JSON after record {position}: {error}") from None


def _object_or_ndjson(stream: Buffered, first_line_number: int) -> Iterator[SourceRecord]:
    first_line = stream.readline(WHOLE_DOCUMENT_LIMIT)
    if not _is_json(first_line):
        yield from _document(first_line, stream)
        return
    position = 0
    for line_number, line in enumerate(_chain_lines(first_line, stream), start=first_line_number):
        stripped = line.strip()
        if not stripped:
            continue
        for raw in _records_of_line(stripped, line_number):
            yield SourceRecord(position, raw, line=line_number)
            position += 1


def _chain_lines(first: bytes, rest: Buffered) -> Iterator[bytes]:
    yield first
    yield from rest


def _is_json(line: bytes) -> bool:
    try:
        msgspec.json.decode(line, type=msgspec.Raw)
    except msgspec.DecodeError:
        return False
    return True


def _records_of_line(line: bytes, line_number: int) -> list[bytes]:
    """An NDJSON line holds one record, or an envelope of them."""
    if b'"results"' not in line:
        return [line]
    try:
        return [bytes(raw) for raw in split_body(line)]
    except InvalidBody as error:
        raise InvalidBody(f"line {line_number}: {error.message}") from None


def _document(head: bytes, rest: Buffered) -> Iterator[SourceRecord]:
    """One pretty-printed JSON document: split whole when small, else stream its `results`."""
    body = head + rest.read(WHOLE_DOCUMENT_LIMIT - len(head) + 1)
    if len(body) <= WHOLE_DOCUMENT_LIMIT:
        for position, raw in enumerate(split_body(body)):
            yield SourceRecord(position, exact_json(bytes(raw)))
        return
    yield from _array_items(io.BufferedReader(_Chain(body, rest), _CHUNK), "results.item")


class _Chain(io.RawIOBase):
    """Bytes already read, followed by the rest of a stream."""

    def __init__(self, head: bytes, rest: Buffered) -> None:
        self._head = memoryview(head)
        self._rest = rest

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: bytearray | memoryview) -> int:  # type: ignore[override]
        if self._head:
            size = min(len(buffer), len(self._head))
            buffer[:size], self._head = self._head[:size], self._head[size:]
            return size
        data = self._rest.read(len(buffer))
        buffer[: len(data)] = data
        return len(data)
