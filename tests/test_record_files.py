"""`read_records`: every file shape `cxreport import` accepts, record positions and line numbers, numbers
kept as written, the errors for what is not JSON, and that a large file is streamed, not read whole."""

from __future__ import annotations

import io
import json
from collections.abc import Iterator
from decimal import Decimal
from importlib import resources
from pathlib import Path
from typing import Any

import pytest

from cxreport.cli import record_files
from cxreport.cli.record_files import CountingReader, SourceRecord, read_records
from cxreport.errors import InvalidBody

SAMPLE_PATH = Path(str(resources.files("cxreport").joinpath("data/seed-sample-response.json")))
SAMPLE: dict[str, Any] = json.loads(SAMPLE_PATH.read_text("utf-8"))
SAMPLE_RESULTS: list[dict[str, Any]] = SAMPLE["results"]
SAMPLE_IDS = [record["interactionId"] for record in SAMPLE_RESULTS]


def read(data: bytes) -> list[SourceRecord]:
    return list(read_records(io.BytesIO(data)))


def decoded(records: list[SourceRecord]) -> list[Any]:
    return [json.loads(record.raw) for record in records]


def record(number: int) -> dict[str, Any]:
    return {
        "interactionId": f"00000000-0000-4000-8000-{number:012d}",
        "startTimestamp": "2018-01-09T20:42:38.962Z",
        "channelType": "voice",
        "n": number,
    }


# --- the seed envelope -----------------------------------------------------------------------------------


def test_pretty_printed_seed_envelope_yields_its_results_in_order() -> None:
    with SAMPLE_PATH.open("rb") as stream:
        records = list(read_records(stream))
    assert [r.position for r in records] == list(range(10))
    assert [r.line for r in records] == [None] * 10
    assert decoded(records) == SAMPLE_RESULTS
    assert [list(json.loads(r.raw)) for r in records] == [list(r) for r in SAMPLE_RESULTS], "key order is kept"
    assert [json.loads(r.raw)["interactionId"] for r in records] == SAMPLE_IDS


def test_envelope_records_come_out_compact_with_numbers_as_written() -> None:
    records = read(SAMPLE_PATH.read_bytes())
    first = records[0].raw
    assert b"\n" not in first
    assert b'"customerAbandonTime":25.012,' in first
    assert b'"interactionTime":25.017,' in first
    assert b'"platformQueueId":743,' in first
    assert b'"customerHolds":0,' in first


def test_envelope_with_results_after_other_fields() -> None:
    body = (
        b'{\n  "total": 2,\n  "page": null,\n  "results": [\n'
        + json.dumps(record(1)).encode()
        + b",\n  "
        + (json.dumps(record(2)).encode() + b'\n  ],\n  "tenantName": "x"\n}\n')
    )
    records = read(body)
    assert decoded(records) == [record(1), record(2)]
    assert [r.position for r in records] == [0, 1]


def test_envelope_with_empty_results_yields_nothing() -> None:
    assert read(b'{\n  "page": null,\n  "total": 0,\n  "results": []\n}\n') == []


def test_compact_one_line_envelope_yields_its_results() -> None:
    """The API's own response (and `json.dumps` of the sample) is one line: still an envelope, not NDJSON."""
    compact = json.dumps(SAMPLE).encode()
    assert b"\n" not in compact
    records = read(compact)
    assert decoded(records) == SAMPLE_RESULTS
    assert [r.position for r in records] == list(range(10))


def test_compact_one_line_envelope_with_empty_results_yields_nothing() -> None:
    assert read(b'{"page":null,"total":0,"results":[]}') == []


def test_envelope_whose_results_is_not_an_array_is_invalid() -> None:
    with pytest.raises(InvalidBody, match="results"):
        read(b'{\n  "results": 5\n}\n')


# --- JSON arrays -----------------------------------------------------------------------------------------


def test_json_array_of_records() -> None:
    records = read(json.dumps([record(1), record(2), record(3)], indent=2).encode())
    assert decoded(records) == [record(1), record(2), record(3)]
    assert [r.position for r in records] == [0, 1, 2]
    assert [r.line for r in records] == [None, None, None]


def test_compact_json_array_on_one_line() -> None:
    records = read(json.dumps([record(7), record(8)]).encode())
    assert decoded(records) == [record(7), record(8)]


def test_empty_array_yields_nothing() -> None:
    assert read(b"[]") == []
    assert read(b"[\n]\n") == []


def test_array_items_that_are_not_objects_still_come_out_each_at_its_position() -> None:
    """Shape checks are the importer's job: it rejects each such record by its position."""
    records = read(b'[1, "x", null, [2], {"a": 1}]')
    assert [(r.position, r.raw) for r in records] == [
        (0, b"1"),
        (1, b'"x"'),
        (2, b"null"),
        (3, b"[2]"),
        (4, b'{"a":1}'),
    ]


def test_whitespace_before_the_document() -> None:
    assert decoded(read(b"\n\n \t \r\n  [" + json.dumps(record(1)).encode() + b"]")) == [record(1)]
    assert decoded(read(b"   \n" + SAMPLE_PATH.read_bytes())) == SAMPLE_RESULTS
    ndjson = read(b"\n\n  " + json.dumps(record(1)).encode() + b"\n" + json.dumps(record(2)).encode())
    assert decoded(ndjson) == [record(1), record(2)]


def test_whitespace_before_the_document_longer_than_a_buffer() -> None:
    assert decoded(read(b" " * 200_000 + b"\n[" + json.dumps(record(1)).encode() + b"]")) == [record(1)]


# --- NDJSON ----------------------------------------------------------------------------------------------


def test_ndjson_with_blank_lines_gives_positions_and_line_numbers() -> None:
    lines = [
        json.dumps(record(1)),
        "",
        "   ",
        json.dumps(record(2)),
        json.dumps(record(3)),
        "",
        "",
        json.dumps(record(4)),
        "",
    ]
    records = read("\n".join(lines).encode())
    assert decoded(records) == [record(1), record(2), record(3), record(4)]
    assert [r.position for r in records] == [0, 1, 2, 3]
    assert [r.line for r in records] == [1, 4, 5, 8]


def test_ndjson_line_numbers_count_leading_blank_lines() -> None:
    """Line numbers are the file's own (what an editor shows), even when the file starts with blank lines."""
    lines = [
        "",
        json.dumps(record(1)),
        "",
        "   ",
        json.dumps(record(2)),
        json.dumps(record(3)),
        "",
    ]
    records = read("\n".join(lines).encode())
    assert decoded(records) == [record(1), record(2), record(3)]
    assert [r.position for r in records] == [0, 1, 2]
    assert [r.line for r in records] == [2, 5, 6]


def test_ndjson_records_are_stripped_of_line_endings() -> None:
    records = read(json.dumps(record(1)).encode() + b"\r\n" + json.dumps(record(2)).encode() + b"  \r\n")
    assert [r.raw for r in records] == [json.dumps(record(1)).encode(), json.dumps(record(2)).encode()]
    assert [r.line for r in records] == [1, 2]


def test_ndjson_without_a_final_newline() -> None:
    records = read(json.dumps(record(1)).encode() + b"\n" + json.dumps(record(2)).encode())
    assert decoded(records) == [record(1), record(2)]
    assert [r.line for r in records] == [1, 2]


def test_ndjson_keeps_a_malformed_later_line_for_the_importer_to_reject() -> None:
    records = read(json.dumps(record(1)).encode() + b"\n\n{not json\n" + json.dumps(record(2)).encode() + b"\n")
    assert [(r.position, r.line) for r in records] == [(0, 1), (1, 3), (2, 4)]
    assert records[1].raw == b"{not json"
    assert json.loads(records[2].raw) == record(2)


def test_single_compact_record_on_one_line() -> None:
    records = read(json.dumps(record(5)).encode() + b"\n")
    assert decoded(records) == [record(5)]
    assert records[0].position == 0


# --- a single pretty-printed record ----------------------------------------------------------------------


def test_single_pretty_printed_record() -> None:
    records = read(json.dumps(SAMPLE_RESULTS[1], indent=4).encode())
    assert len(records) == 1
    assert records[0].position == 0
    assert json.loads(records[0].raw) == SAMPLE_RESULTS[1]
    assert list(json.loads(records[0].raw)) == list(SAMPLE_RESULTS[1])


def test_single_pretty_printed_record_with_an_unknown_results_field_is_one_record() -> None:
    """Unknown fields are kept; an object with an interactionId is a record even when it has `results`
    (the same rule as a request body's)."""
    one = {**record(9), "results": ["pass", "fail"]}
    records = read(json.dumps(one, indent=2).encode())
    assert decoded(records) == [one]


# --- numbers ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "shape",
    ["array", "envelope", "ndjson", "pretty-record"],
)
def test_numbers_keep_their_written_form(shape: str) -> None:
    text = (
        '{"interactionId": "00000000-0000-4000-8000-000000000001", "startTimestamp": "2018-01-09T20:42:38.962Z",'
        ' "customerAbandonTime": 25.0120, "big": 1e5, "whole": 12345678901234567890, "neg": -0.5}'
    )
    body = {
        "array": f"[\n  {text}\n]",
        "envelope": f'{{\n  "page": null,\n  "results": [\n    {text}\n  ]\n}}',
        "ndjson": f"{text}\n",
        "pretty-record": text.replace(", ", ",\n  ").replace("{", "{\n  ", 1),
    }[shape].encode()
    (only,) = read(body)
    assert b'"customerAbandonTime":25.0120' in only.raw.replace(b" ", b"")
    values = json.loads(only.raw, parse_float=Decimal)
    assert str(values["customerAbandonTime"]) == "25.0120"
    assert values["big"] == 100000
    assert isinstance(values["big"], (int, Decimal))
    assert values["whole"] == 12345678901234567890
    assert values["neg"] == Decimal("-0.5")


# --- not JSON --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "body",
    [
        b'[{"a": 1},',
        b'[{"a": 1}, {"b": ]',
        b'{\n  "results": [\n    {"a": 1},\n',
        b'{\n  "a":\n',
        b"[1, 2] trailing garbage",
        b'{\n  "a": 1\n} trailing',
        b"[nope]",
    ],
    ids=[
        "truncated-array",
        "bad-array-item",
        "truncated-envelope",
        "truncated-record",
        "array-trailing",
        "record-trailing",
        "bare-word",
    ],
)
def test_malformed_json_is_invalid_body(body: bytes) -> None:
    with pytest.raises(InvalidBody, match="not valid JSON"):
        read(body)


def test_malformed_json_is_raised_only_where_it_is_reached() -> None:
    """Records before the damage come out first: the importer writes whole batches of them."""
    stream = read_records(io.BytesIO(b"[" + json.dumps(record(1)).encode() + b", {oops"))
    assert json.loads(next(stream).raw) == record(1)
    with pytest.raises(InvalidBody):
        next(stream)


@pytest.mark.parametrize("body", [b"42", b'"text"', b"null", b"true", b"  -1.5\n", b"@"])
def test_top_level_scalar_is_invalid_body(body: bytes) -> None:
    with pytest.raises(InvalidBody, match="expected a JSON object, a JSON array or NDJSON"):
        read(body)


@pytest.mark.parametrize("body", [b"", b"   \n\t\r\n"])
def test_empty_or_blank_file_has_no_records(body: bytes) -> None:
    assert read(body) == []


# --- streams and files -----------------------------------------------------------------------------------


def test_reads_a_real_file_and_a_counting_reader_sees_every_byte(tmp_path: Path) -> None:
    path = tmp_path / "records.ndjson"
    path.write_bytes(b"".join(json.dumps(record(i)).encode() + b"\n" for i in range(50)))
    with path.open("rb") as stream:
        counter = CountingReader(stream)
        records = list(read_records(counter))
    assert decoded(records) == [record(i) for i in range(50)]
    assert counter.count == path.stat().st_size


class GeneratedStream(io.RawIOBase):
    """A binary stream produced on demand from chunks, counting the bytes handed out."""

    def __init__(self, chunks: Iterator[bytes]) -> None:
        self._chunks = chunks
        self._pending = b""
        self.bytes_read = 0
        self.exhausted = False

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        while not self._pending:
            try:
                self._pending = next(self._chunks)
            except StopIteration:
                self.exhausted = True
                return 0
        size = min(len(buffer), len(self._pending))
        buffer[:size] = self._pending[:size]
        self._pending = self._pending[size:]
        self.bytes_read += size
        return size


COUNT = 20_000


def generated_lines() -> Iterator[bytes]:
    for number in range(COUNT):
        yield json.dumps(record(number)).encode()


def ndjson_chunks() -> Iterator[bytes]:
    for line in generated_lines():
        yield line + b"\n"


def array_chunks() -> Iterator[bytes]:
    yield b"["
    for number, line in enumerate(generated_lines()):
        yield (b",\n" if number else b"\n") + line
    yield b"\n]\n"


def envelope_chunks() -> Iterator[bytes]:
    yield b'{\n  "page": null,\n  "limit": 20000,\n  "results": ['
    for number, line in enumerate(generated_lines()):
        yield (b",\n    " if number else b"\n    ") + line
    yield b'\n  ],\n  "total": 20000\n}\n'


@pytest.mark.parametrize("chunks", [ndjson_chunks, array_chunks, envelope_chunks], ids=["ndjson", "array", "envelope"])
def test_a_large_file_is_read_incrementally(chunks: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    # Documents under WHOLE_DOCUMENT_LIMIT (16 MiB) are read whole; lower it so this 3 MB one streams.
    monkeypatch.setattr(record_files, "WHOLE_DOCUMENT_LIMIT", 256 * 1024)
    total = sum(len(chunk) for chunk in chunks())
    assert total > 1_500_000
    stream = GeneratedStream(chunks())
    records = read_records(stream)

    first = next(records)
    assert json.loads(first.raw) == record(0)
    assert first.position == 0
    read_at_first = stream.bytes_read
    assert read_at_first <= 512 * 1024, "the first record comes out after reading a few buffers, not the file"
    assert not stream.exhausted

    count, last = 1, first
    read_at_middle = None
    for item in records:
        assert item.position == count
        if count == COUNT // 2:
            read_at_middle = stream.bytes_read
        count += 1
        last = item
    assert count == COUNT
    assert json.loads(last.raw) == record(COUNT - 1)
    assert read_at_middle is not None and read_at_middle < total * 3 // 4
    assert stream.bytes_read == total
    if chunks is ndjson_chunks:
        assert last.line == COUNT
