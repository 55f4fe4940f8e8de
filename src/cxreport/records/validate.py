"""Records at the boundary: split a request body or file into records, validate each, and turn it into
the exact JSON text that will be stored and served (whitespace removed, numbers and key order kept)."""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import msgspec

from cxreport.errors import InvalidBody, InvalidRecord
from cxreport.ids import normalize_uuid
from cxreport.jsontext import NUL_REFUSED, TOO_DEEP, check_utf8, holds_nul
from cxreport.records.facets import BY_KIND, MAX_FACET_CHARACTERS
from cxreport.records.schema import InteractionRecord
from cxreport.records.stored import StoredRecord, stored_record
from cxreport.times import TimeFormatError, parse_instant

_validate = msgspec.json.Decoder(InteractionRecord)
_decode_exact = msgspec.json.Decoder(float_hook=Decimal)  # Decimal keeps 25.0120 as 25.0120
_encode_exact = msgspec.json.Encoder(decimal_format="number")
_decode_plain = msgspec.json.Decoder()
_encode_plain = msgspec.json.Encoder()
_body_shape = msgspec.json.Decoder(dict[str, msgspec.Raw] | list[msgspec.Raw])
_raw_list = msgspec.json.Decoder(list[msgspec.Raw])

MAX_ERRORS_REPORTED = 100
_MISSING_FIELD = re.compile(r"Object missing required field `(\w+)`")


@dataclass(frozen=True, slots=True)
class Rejection:
    position: int
    message: str

    def as_json(self) -> dict[str, Any]:
        return {"position": self.position, "message": self.message}


def split_body(body: bytes) -> list[msgspec.Raw]:
    """A request body's records: one record object, a JSON array of them, or a seed-shaped envelope
    (an object with `results`)."""
    check_utf8(body)  # a NUL is refused only where the stores keep it as text: see prepare_record
    try:
        shape = _body_shape.decode(body)
    except msgspec.DecodeError as error:
        raise InvalidBody(f"the body is not valid JSON: {error}") from None
    except RecursionError:
        raise InvalidBody(TOO_DEEP) from None
    if isinstance(shape, list):
        return shape
    if "results" in shape and "interactionId" not in shape:
        try:
            return _raw_list.decode(shape["results"])
        except msgspec.ValidationError:
            raise InvalidBody("`results` must be an array of interaction records") from None
    return [msgspec.Raw(body)]


def prepare_record(raw: bytes | msgspec.Raw, tenant_id: str, position: int) -> StoredRecord:
    """Validate one record and build what the store keeps. Raises InvalidRecord naming the field."""
    try:
        record = _validate.decode(raw)
        doc_with_nulls = exact_json(bytes(raw))
    except msgspec.DecodeError as error:
        raise InvalidRecord(_describe(error), position=position) from None
    except RecursionError:
        raise InvalidRecord(TOO_DEEP, position=position) from None
    interaction_id = normalize_uuid(record.interactionId)
    if interaction_id is None:
        raise InvalidRecord(
            f"interactionId {record.interactionId!r} is not a UUID - at `$.interactionId`", position=position
        )
    if record.tenantId is not None and record.tenantId.lower() != tenant_id:
        raise InvalidRecord(
            f"tenantId {record.tenantId!r} is not the tenant {tenant_id} it is sent to - at `$.tenantId`",
            position=position,
        )
    start_us = _instant(record.startTimestamp, "$.startTimestamp", position)
    end_us = _instant(record.endTimestamp, "$.endTimestamp", position) if record.endTimestamp else None
    _check_nested_times(record, position)
    doc = _drop_nulls(doc_with_nulls) if doc_with_nulls.find(b"null") >= 0 else doc_with_nulls
    stored = stored_record(
        interaction_id, start_us, end_us, doc, doc_with_nulls if doc is not doc_with_nulls else None, record.revision,
        record, record,
    )
    _check_facet_values(stored.facets, position)
    if record.queues and holds_nul(doc_with_nulls):
        _check_fact_text(record, position)
    return stored


def _check_facet_values(facets: tuple[tuple[str, str], ...], position: int) -> None:
    for kind, value in facets:
        if len(value) > MAX_FACET_CHARACTERS // 4 and len(value.encode()) > MAX_FACET_CHARACTERS:
            raise InvalidRecord(
                f"{BY_KIND[kind].source} is longer than {MAX_FACET_CHARACTERS} bytes, the most a field "
                "that searches filter on may hold",
                position=position,
            )
        if "\x00" in value:  # kept as text by the stores, and PostgreSQL text cannot hold NUL
            raise InvalidRecord(f"{BY_KIND[kind].source} holds a NUL character", position=position)


_QUEUE_FACT_TEXT = ("interactionQueueId", "queueName", "agentId", "queueExitReason", "queueExitType", "slaId")
"""The text of a queue entry its fact keeps (`records/facts.py`) beyond the facets' (checked above)."""


def _check_fact_text(record: InteractionRecord, position: int) -> None:
    """The queue-entry facts keep text the facets do not, which PostgreSQL text cannot hold with a NUL in it."""
    found = [("$.flowName", record.flowName)]
    found += [(f"$.agents[{index}].agentName", agent.agentName) for index, agent in enumerate(record.agents or ())]
    found += [(f"$.queues[{index}].{field}", getattr(queue, field))
              for index, queue in enumerate(record.queues or ()) for field in _QUEUE_FACT_TEXT]
    for path, value in found:
        if value is not None and "\x00" in value:
            raise InvalidRecord(f"the field {NUL_REFUSED} - at `{path}`", position=position)


def exact_json(raw: bytes) -> bytes:
    """`raw` without insignificant whitespace, every number and key order as written.

    Compact input that plain floats re-encode to the same bytes (the common case) is kept as it is;
    anything else goes through Decimal so that `25.0120` stays `25.0120`."""
    compact = _encode_plain.encode(_decode_plain.decode(raw))
    if compact == raw:
        return raw
    return _encode_exact.encode(_decode_exact.decode(raw))


def _instant(text: str, path: str, position: int) -> int:
    try:
        return parse_instant(text)
    except TimeFormatError as error:
        raise InvalidRecord(f"{error} - at `{path}`", position=position) from None


def _check_nested_times(record: InteractionRecord, position: int) -> None:
    for name in ("segments", "queues", "agents"):
        for index, entry in enumerate(getattr(record, name) or ()):
            for field in ("startTimestamp", "endTimestamp"):
                text = getattr(entry, field)
                if text is not None:
                    _instant(text, f"$.{name}[{index}].{field}", position)


def prepare_records(
    raws: Iterable[bytes | msgspec.Raw], tenant_id: str, first_position: int = 0
) -> tuple[list[StoredRecord], list[Rejection]]:
    """Prepare every record; return the good ones and a rejection for each bad one."""
    good: list[StoredRecord] = []
    rejected: list[Rejection] = []
    for position, raw in enumerate(raws, start=first_position):
        try:
            good.append(prepare_record(raw, tenant_id, position))
        except InvalidRecord as error:
            rejected.append(Rejection(position, error.message))
    return good, rejected


def _describe(error: msgspec.DecodeError) -> str:
    message = str(error)
    if not isinstance(error, msgspec.ValidationError):
        return f"not valid JSON: {message}"
    missing = _MISSING_FIELD.fullmatch(message)
    if missing:  # msgspec names no path for a missing top-level field
        return f"{message} - at `$.{missing.group(1)}`"
    return message


def _drop_nulls(doc: bytes) -> bytes:
    """The record without null-valued fields, at every depth (null items of arrays stay)."""
    return _encode_exact.encode(_without_nulls(_decode_exact.decode(doc)))


def _without_nulls(value: Any) -> Any:
    if isinstance(value, dict):
        return {key: _without_nulls(item) for key, item in value.items() if item is not None}
    if isinstance(value, list):
        return [_without_nulls(item) for item in value]
    return value


def iter_ndjson_lines(lines: Iterable[bytes]) -> Iterator[bytes]:
    """Non-blank lines of an NDJSON stream."""
    for line in lines:
        stripped = line.strip()
        if stripped:
            yield stripped
