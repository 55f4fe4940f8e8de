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
from cxreport.jsontext import TOO_DEEP, check_utf8
from cxreport.records.schema import InteractionRecord
from cxreport.store.base import StoredRecord
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
    facets = facets_of(record)
    for kind, value in facets:
        if len(value) > MAX_FACET_CHARACTERS // 4 and len(value.encode()) > MAX_FACET_CHARACTERS:
            raise InvalidRecord(
                f"{_FACET_FIELDS.get(kind, kind)} is longer than {MAX_FACET_CHARACTERS} bytes, the most a field "
                "that searches filter on may hold",
                position=position,
            )
        if "\x00" in value:  # kept as text by the stores, and PostgreSQL text cannot hold NUL
            raise InvalidRecord(f"{_FACET_FIELDS.get(kind, kind)} holds a NUL character", position=position)
    return StoredRecord(
        interaction_id=interaction_id,
        start_us=start_us,
        end_us=end_us,
        doc=doc,
        doc_with_nulls=doc_with_nulls if doc is not doc_with_nulls else None,
        channel_type=record.channelType,
        direction=record.direction,
        customer=record.customer,
        contact_point=record.contactPoint,
        contact_id=record.contactId,
        flow_id=record.flowId,
        flagged=bool(record.flagged),
        abandoned=is_abandoned(record),
        revision=record.revision,
        facets=facets,
    )


MAX_FACET_CHARACTERS = 1000
"""The longest value (UTF-8 bytes) of a field searches filter on, as search filter values are capped too: the
stores index these values, and PostgreSQL's index entries must stay under about 2,700 bytes."""
_FACET_FIELDS = {"agentId": "agents[].agentId", "queueId": "queues[].queueId", "attr": "customAttributes",
                 "hook": "hooks[]", "hookType": "hooks[].hookType", "hookSubType": "hooks[]",
                 "hookId": "hooks[].hookId", "hookTypeId": "hooks[]"}

FACET_SEPARATOR = "\x1f"
"""Joins the parts of a compound facet value (hook type, sub-type and id; attribute name and value)."""


def is_abandoned(record: InteractionRecord) -> bool:
    """The customer hung up before reaching an agent: an abandon time, or an abandoned queue entry."""
    return record.customerAbandonTime is not None or any(q.queueAbandoned for q in record.queues or ())


def facets_of(record: InteractionRecord) -> tuple[tuple[str, str], ...]:
    """Every (kind, value) a search can filter this record on."""
    found: dict[tuple[str, str], None] = {}
    for kind, value in (
        ("channelType", record.channelType),
        ("direction", record.direction),
        ("customer", record.customer),
        ("contactPoint", record.contactPoint),
        ("contactId", record.contactId),
        ("flowId", record.flowId),
        ("flagged", "true" if record.flagged else None),
        ("abandoned", "true" if is_abandoned(record) else None),
    ):
        if value is not None:
            found[kind, value] = None
    for agent in record.agents or ():
        if agent.agentId is not None:
            found["agentId", agent.agentId] = None
    for queue in record.queues or ():
        if queue.queueId is not None:
            found["queueId", queue.queueId] = None
    for hook in record.hooks or ():
        for kind, value in hook_facets(hook.hookType, hook.hookSubType, hook.hookId):
            found[kind, value] = None
    for name, attribute in (record.customAttributes or {}).items():
        if attribute is not None:
            found["attr", attribute_facet(name, attribute)] = None
    return tuple(found)


def hook_facets(hook_type: str | None, sub_type: str | None, hook_id: str | None) -> list[tuple[str, str]]:
    parts = [hook_type or "", sub_type or "", hook_id or ""]
    facets = [("hookType", parts[0]), ("hookSubType", FACET_SEPARATOR.join(parts[:2]))]
    facets += [("hook", FACET_SEPARATOR.join(parts)), ("hookId", parts[2])]
    facets.append(("hookTypeId", FACET_SEPARATOR.join((parts[0], parts[2]))))
    return facets


def attribute_facet(name: str, value: str | int | float | bool) -> str:
    text = value if isinstance(value, str) else msgspec.json.encode(value).decode()
    return f"{name}{FACET_SEPARATOR}{text}"


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
