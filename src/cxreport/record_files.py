"""Reading records from files too large for memory: a seed-shaped envelope, a JSON array, or NDJSON.

Each record comes out as JSON bytes with its position (0-based index in the file) and, for NDJSON, its
line number. Nothing is read whole except a file that holds a single pretty-printed record."""

from __future__ import annotations

import io
from collections.abc import Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, BinaryIO, cast

if TYPE_CHECKING:
    Buffered = io.BufferedReader[Any]

import ijson
import msgspec

from cxreport.errors import InvalidBody
from cxreport.ingest import split_body

_encode_exact = msgspec.json.Encoder(decimal_format="number")
_CHUNK = 1 << 16
_SINGLE_RECORD_LIMIT = 1 << 20


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
    first = _first_significant_byte(buffered)
    if first is None:
        return
    if first == ord("["):
        yield from _array_items(buffered, "item")
    elif first == ord("{"):
        yield from _object_or_ndjson(buffered)
    else:
        raise InvalidBody("expected a JSON object, a JSON array or NDJSON (one record per line)")


def _first_significant_byte(stream: Buffered) -> int | None:
    while True:
        peeked = stream.peek(1)
        if not peeked:
            return None
        stripped = peeked.lstrip()
        if stripped:
            stream.read(len(peeked) - len(stripped))
            return stripped[0]
        stream.read(len(peeked))


def _array_items(stream: BinaryIO | io.RawIOBase, prefix: str) -> Iterator[SourceRecord]:
    # use_float=False: ijson yields Decimal for non-integers, so 25.0120 keeps its digits.
    try:
        for position, item in enumerate(ijson.items(stream, prefix, use_float=False)):
            yield SourceRecord(position, _encode_exact.encode(item))
    except ijson.JSONError as error:
        raise InvalidBody(f"the file is not valid JSON: {error}") from None


def _object_or_ndjson(stream: Buffered) -> Iterator[SourceRecord]:
    """An object first: NDJSON when the first line is a whole JSON value, else one JSON document."""
    first_line = stream.readline()
    try:
        msgspec.json.decode(first_line)
    except msgspec.DecodeError:
        yield from _document(first_line, stream)
        return
    yield SourceRecord(0, first_line.strip(), line=1)
    position = 1
    for line_number, line in enumerate(stream, start=2):
        stripped = line.strip()
        if stripped:
            yield SourceRecord(position, stripped, line=line_number)
            position += 1


def _document(head: bytes, rest: Buffered) -> Iterator[SourceRecord]:
    """A pretty-printed object: an envelope whose `results` are streamed, or a single record."""
    replay = io.BufferedReader(_Chain(head, rest), _CHUNK)
    spool = io.BytesIO()
    found_any = False
    for record in _array_items(_Tee(replay, spool, limit=_SINGLE_RECORD_LIMIT), "results.item"):
        found_any = True
        yield record
    if not found_any:
        if spool.tell() >= _SINGLE_RECORD_LIMIT:
            raise InvalidBody("a JSON object without `results` over 1 MiB: split it into records (NDJSON)")
        for position, raw in enumerate(split_body(spool.getvalue())):
            yield SourceRecord(position, bytes(raw))


class _Chain(io.RawIOBase):
    """Bytes already read, followed by the rest of a stream."""

    def __init__(self, head: bytes, rest: Buffered) -> None:
        self._head = head
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


class _Tee(io.RawIOBase):
    """Reads through a stream, keeping a copy of the first `limit` bytes (to reparse a small document)."""

    def __init__(self, stream: Buffered, copy: io.BytesIO, limit: int) -> None:
        self._stream = stream
        self._copy = copy
        self._limit = limit

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: bytearray | memoryview) -> int:  # type: ignore[override]
        data = self._stream.read(len(buffer))
        if self._copy.tell() < self._limit:
            self._copy.write(data)
        buffer[: len(data)] = data
        return len(data)
