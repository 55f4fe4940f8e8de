"""Events at the boundary: a request body or file (one event, a JSON array, or NDJSON) into typed events.

Every event is checked on its own, so that an error names its position (0-based index of the event in the
body) and the field: `event 3 (line 4): Expected `str`, got `int` - at `$.queueId``. A body with any bad
event is rejected whole (`RejectedBatch`, listing up to `MAX_ERRORS_REPORTED` of them).
"""

from __future__ import annotations

import re
from typing import cast

import msgspec

from cxreport.errors import InvalidBody, InvalidRecord, RejectedBatch
from cxreport.ids import UUID_PATTERN, is_uuid
from cxreport.jsontext import TOO_DEEP, check_text
from cxreport.metrics.events import AGENT_EVENT_CLASSES, KNOWN_TYPES, AnyEvent, Event, InteractionStarted
from cxreport.times import TimeFormatError, parse_instant

MAX_ERRORS_REPORTED = 100
_decoder = msgspec.json.Decoder(AnyEvent)
_list_decoder = msgspec.json.Decoder(list[AnyEvent])
_raw_list = msgspec.json.Decoder(list[msgspec.Raw])
_raw_one = msgspec.json.Decoder(msgspec.Raw)
_MISSING_FIELD = re.compile(r"Object missing required field `(\w+)`")
_PATH = re.compile(r" - at `(\$[^`]*)`$")
_KNOWN_UUIDS: set[str] = set()
"""UUIDs already found well formed: most events repeat an interactionId seen a moment before."""
_KNOWN_UUIDS_KEPT = 100_000


def decode_event(raw: bytes | msgspec.Raw, position: int = 0, tenant_id: str | None = None) -> AnyEvent:
    """One event (of an interaction, or an agent-state event) from its JSON text. Raises InvalidRecord naming
    `position` and the field's JSON path.

    With `tenant_id`, an interaction-started event naming another tenant is refused."""
    return decode_timed_event(raw, position, tenant_id)[0]


def decode_timed_event(
    raw: bytes | msgspec.Raw, position: int = 0, tenant_id: str | None = None
) -> tuple[AnyEvent, int]:
    """`decode_event`, with the event's instant (epoch µs) that checking its timestamp has parsed."""
    try:
        event: AnyEvent = _decoder.decode(raw)
    except msgspec.ValidationError as error:
        message = _describe(str(error))
        match = _PATH.search(message)
        raise InvalidRecord(message, position=position, path=match.group(1) if match else None) from None
    except msgspec.DecodeError as error:
        raise InvalidRecord(f"not valid JSON: {error}", position=position) from None
    except RecursionError:
        raise InvalidRecord("JSON nested too deeply", position=position) from None
    return event, _checked(event, position, tenant_id)


def decode_interaction_event(raw: bytes | msgspec.Raw) -> tuple[Event, int]:
    """A stored interaction event (the events table holds no other kind) with its instant: as
    `decode_timed_event`, typed for derivation."""
    event, instant = decode_timed_event(raw)
    if type(event) in AGENT_EVENT_CLASSES:
        raise InvalidRecord(f"{event.eventId} is an agent-state event, not an interaction's", path="$.type")
    return cast("Event", event), instant


def _checked(event: AnyEvent, position: int, tenant_id: str | None) -> int:
    """What a decoded event is checked for beyond its types (raises InvalidRecord); returns its instant."""
    interaction_id = getattr(event, "interactionId", None)  # agent-state events have none
    if interaction_id is not None:
        _check_uuid(interaction_id, "interactionId", position)
    try:
        instant = parse_instant(event.timestamp)
    except TimeFormatError as error:
        raise InvalidRecord(f"{error} - at `$.timestamp`", position=position, path="$.timestamp") from None
    if isinstance(event, InteractionStarted) and event.tenantId is not None:
        _check_uuid(event.tenantId, "tenantId", position)
        if tenant_id is not None:
            _check_tenant(event.tenantId, tenant_id, position)
    return instant


def _check_uuid(text: str, field: str, position: int) -> None:
    """The `Uuid` fields' pattern, as msgspec would check it and in its words."""
    if text in _KNOWN_UUIDS:
        return
    if not is_uuid(text):
        raise InvalidRecord(
            f"Expected `str` matching regex {UUID_PATTERN!r} - at `$.{field}`", position=position, path=f"$.{field}"
        )
    if len(_KNOWN_UUIDS) >= _KNOWN_UUIDS_KEPT:
        _KNOWN_UUIDS.clear()
    _KNOWN_UUIDS.add(text)


def _check_tenant(named: str, tenant_id: str, position: int) -> None:
    if named.lower() != tenant_id.lower():
        raise InvalidRecord(
            f"tenantId {named!r} is not the tenant {tenant_id} it is sent to - at `$.tenantId`",
            position=position,
            path="$.tenantId",
        )


def decode_events(raw: bytes, tenant_id: str | None = None) -> list[AnyEvent]:
    """Every event of a body: one JSON object, a JSON array of objects, or NDJSON (one object a line).

    Raises InvalidBody when the body is not JSON at all, RejectedBatch when any event is malformed."""
    events = _decode_whole(raw)
    if events and all(_fine(event, tenant_id) for event in events):
        return events
    items = split_events(raw)  # something is wrong: check event by event to say where and what
    events = []
    errors: list[dict[str, object]] = []
    first = ""
    for position, (item, line) in enumerate(items):
        try:
            events.append(decode_event(item, position, tenant_id))
        except InvalidRecord as error:
            where = f"event {position}" + (f" (line {line})" if line is not None else "")
            entry: dict[str, object] = {"position": position, "message": error.message}
            if line is not None:
                entry["line"] = line
            if error.path is not None:
                entry["path"] = error.path
            errors.append(entry)
            first = first or f"{where}: {error.message}"
    if errors:
        raise RejectedBatch(
            f"{len(errors)} of {len(items)} events are invalid, so none was accepted; the first, {first}",
            errors[:MAX_ERRORS_REPORTED],
        )
    return events


def _decode_whole(raw: bytes) -> list[AnyEvent] | None:
    """The fast path: the whole body in one call; None when anything in it is malformed."""
    body = raw[3:] if raw.startswith(b"\xef\xbb\xbf") else raw
    try:
        if body.lstrip().startswith(b"["):
            return _list_decoder.decode(body)
        return [_decoder.decode(body)]
    except msgspec.DecodeError:
        pass
    except RecursionError:
        return None
    try:
        return _decoder.decode_lines(body)
    except (msgspec.DecodeError, RecursionError):
        return None


def _fine(event: AnyEvent, tenant_id: str | None) -> bool:
    try:
        _checked(event, 0, tenant_id)
    except InvalidRecord:
        return False
    return True


def split_events(raw: bytes) -> list[tuple[bytes | msgspec.Raw, int | None]]:
    """The body's events as (JSON text, 1-based line number for NDJSON else None)."""
    if raw.startswith(b"\xef\xbb\xbf"):
        raw = raw[3:]
    check_text(raw)
    body = raw.lstrip()
    if not body:
        raise InvalidBody("the body holds no event")
    if body.startswith(b"["):
        try:
            return [(item, None) for item in _raw_list.decode(body)]
        except msgspec.DecodeError as error:
            raise InvalidBody(f"the body is not a JSON array of events: {error}") from None
        except RecursionError:
            raise InvalidBody(TOO_DEEP) from None
    try:
        return [(_raw_one.decode(body), None)]
    except msgspec.DecodeError:
        pass  # not a single JSON value: NDJSON, one event a line
    except RecursionError:
        raise InvalidBody(TOO_DEEP) from None
    return [(line.strip(), number) for number, line in enumerate(raw.split(b"\n"), start=1) if line.strip()]


def _describe(message: str) -> str:
    missing = _MISSING_FIELD.fullmatch(message)
    if missing:  # msgspec names no path for a missing top-level field
        return f"{message} - at `$.{missing.group(1)}`"
    if message.startswith("Invalid value") and message.endswith(" - at `$.type`"):
        return f"{message[: -len(' - at `$.type`')]} (known types: {', '.join(KNOWN_TYPES)}) - at `$.type`"
    return message
