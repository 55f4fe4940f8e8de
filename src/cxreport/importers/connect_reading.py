"""Amazon Connect contact records as they are delivered: the JSON objects of a stream, whatever holds them.

Accepted, detected from the data: one object; a JSON array of objects; NDJSON; objects concatenated with no
delimiter at all (`}{`, as Kinesis Data Firehose writes them to S3); and the Lambda envelopes, whose records
carry each contact record base64-encoded (Kinesis Data Streams `{"Records": [{"kinesis": {"data": …}}]}`,
Firehose transformation `{"records": [{"recordId": …, "data": …}]}`), found in any of those forms.

The stream is read in chunks and never held whole: an object is cut out of the buffer at a `}` that can end
it (followed by `{`, `,`, `]`, a line's end or the end of the data, with as many `{` as `}` before it) and decoded with
msgspec; a wrong cut (braces inside strings) fails to decode and the next candidate is tried. A malformed
object is reported at the line where it starts and reading resumes at the next line that starts with `{`.
"""

from __future__ import annotations

import base64
import binascii
import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import BinaryIO

import msgspec

from cxreport.importers.connect_contact import Contact

CHUNK_SIZE = 1 << 20
MAX_OBJECT_SIZE = 16 << 20
"""A contact record is a few KiB; an object still open after this many bytes is reported as malformed."""

_BOM = b"\xef\xbb\xbf"
_WHITESPACE = b" \t\r\n"
_CANDIDATE = re.compile(rb"\}(?=[ \t\r\n]*(?:[{,\]]|(?P<end>\Z))|[ \t\r]*\n)")
_NEXT_LINE_OBJECT = re.compile(rb"\n\{")
_TOKENS = re.compile(rb'"(?:[^"\\]|\\.)*"|[{}]', re.DOTALL)
_decode_item = msgspec.json.Decoder(Contact).decode


@dataclass(frozen=True, slots=True)
class Item:
    """A contact record read from the stream (or why the object at `line` is not one)."""

    line: int
    contact: Contact | None = None
    error: str | None = None


class _Buffer:
    """The unread part of the stream, with the line number of its first byte."""

    def __init__(self, stream: BinaryIO | None, data: bytes = b"") -> None:
        self.stream = stream
        self.data = data
        self.pos = 0
        self.line = 1
        self.eof = stream is None

    def more(self) -> bool:
        """Read another chunk (dropping what was consumed); False at the end of the stream."""
        if self.eof or self.stream is None:
            return False
        chunk = self.stream.read(CHUNK_SIZE)
        if not chunk:
            self.eof = True
            return False
        self.data = self.data[self.pos :] + chunk
        self.pos = 0
        return True

    def advance(self, to: int) -> None:
        self.line += self.data.count(b"\n", self.pos, to)
        self.pos = to

    def skip_whitespace(self) -> int | None:
        """The next byte that is not whitespace (consumed up to it), or None at the end of the stream."""
        while True:
            data, pos = self.data, self.pos
            end = len(data)
            while pos < end and data[pos] in _WHITESPACE:
                pos += 1
            self.advance(pos)
            if pos < end:
                return data[pos]
            if not self.more():
                return None


def read_contacts(stream: BinaryIO) -> Iterator[Item]:
    """Every contact record of the stream, in the order they come, each with the line where it starts."""
    buffer = _Buffer(stream)
    buffer.more()
    if buffer.data.startswith(_BOM):
        buffer.pos = len(_BOM)
    yield from _read(buffer, envelope_line=None)


def _read(buffer: _Buffer, envelope_line: int | None) -> Iterator[Item]:
    first = buffer.skip_whitespace()
    in_array = first == ord("[")
    if in_array:
        buffer.advance(buffer.pos + 1)
    while True:
        byte = buffer.skip_whitespace()
        if byte is None:
            if in_array:
                yield Item(_line(buffer, envelope_line), error="the JSON array is not closed (truncated input?)")
            return
        if in_array and byte == ord("]"):
            buffer.advance(buffer.pos + 1)
            in_array = False
            continue
        if in_array and byte == ord(","):
            buffer.advance(buffer.pos + 1)
            continue
        line = _line(buffer, envelope_line)
        if byte != ord("{"):
            yield Item(line, error=f"expected a JSON object, found {_show(buffer)}")
            if not _resync(buffer):
                return
            continue
        found = _cut_object(buffer)
        if isinstance(found, str):
            yield Item(line, error=found)
            if not _resync(buffer):
                return
            continue
        yield from _items(found, line)


def _cut_object(buffer: _Buffer) -> Contact | str:
    """Decode the object starting at the buffer's position and consume it; or say why there is none.

    The braces before each candidate end are counted once (running counts), so a string full of `}{` costs
    linear time."""
    start = buffer.pos
    counted = start
    opens = closes = 0
    last_error = "the object is not closed (truncated input?)"
    while True:
        data = buffer.data
        match = _CANDIDATE.search(data, counted)
        if match is None or (match.group("end") is not None and not buffer.eof):  # more data may follow: read it first
            if len(data) - start > MAX_OBJECT_SIZE:
                return f"no end of the object within {MAX_OBJECT_SIZE} bytes"
            offset = buffer.pos
            if buffer.more():  # the buffer now starts at the old position
                start -= offset
                counted -= offset
                continue
            if match is None:
                return _precise(buffer, start, last_error)
        end = match.end()
        opens += data.count(b"{", counted, end)
        closes += data.count(b"}", counted, end)
        if opens == closes or data.startswith(b"\n", end):
            try:
                found = _decode_item(data[start:end])
            except msgspec.ValidationError as error:
                buffer.advance(end)
                return f"not a contact record: {error}"
            except msgspec.DecodeError as error:
                last_error = f"malformed JSON: {error}"
            else:
                buffer.advance(end)
                return found
        if _NEXT_LINE_OBJECT.search(data, max(counted - 1, start), end) is not None:
            return _precise(buffer, start, last_error)  # a line starting a new object came first
        counted = end


def _precise(buffer: _Buffer, start: int, error: str) -> Contact | str:
    """The slow way, when braces inside strings defeated the counting: find the object's end by tokens (whole
    strings, braces), which knows what is inside a string; or return `error`."""
    depth = 0
    data = buffer.data
    for token in _TOKENS.finditer(data, start):
        kind = token.group()
        if kind == b"{":
            depth += 1
        elif kind == b"}":
            depth -= 1
            if depth == 0:
                try:
                    found = _decode_item(data[start : token.end()])
                except msgspec.ValidationError as failure:
                    buffer.advance(token.end())
                    return f"not a contact record: {failure}"
                except msgspec.DecodeError:
                    return error
                buffer.advance(token.end())
                return found
    return error


def _items(contact: Contact, line: int) -> Iterator[Item]:
    records = contact.envelope
    if records is None:
        yield Item(line, contact=contact)
        return
    for index, record in enumerate(records):
        data = record.kinesis.data if record.kinesis is not None else record.data
        if data is None:
            yield Item(line, error=f"envelope record {index} has no data")
            continue
        try:
            decoded = base64.b64decode(data, validate=True)
        except (binascii.Error, ValueError):
            yield Item(line, error=f"envelope record {index}: data is not valid base64")
            continue
        for item in _read(_Buffer(None, decoded), envelope_line=line):
            if item.error is not None:
                yield Item(line, error=f"envelope record {index}: {item.error}")
            else:
                yield item


def _line(buffer: _Buffer, envelope_line: int | None) -> int:
    return buffer.line if envelope_line is None else envelope_line


def _show(buffer: _Buffer) -> str:
    text = buffer.data[buffer.pos : buffer.pos + 20].split(b"\n")[0]
    return repr(text.decode("utf-8", "replace"))


def _resync(buffer: _Buffer) -> bool:
    """Skip to the next line that starts with `{`; False when there is none."""
    while True:
        match = _NEXT_LINE_OBJECT.search(buffer.data, buffer.pos + 1)
        if match is not None:
            buffer.advance(match.end() - 1)
            return True
        keep = buffer.data.rfind(b"\n")
        if keep > buffer.pos:
            buffer.advance(keep)
        if not buffer.more():
            buffer.advance(len(buffer.data))
            return False
