"""Service-level definitions: a tenant default and per-queue choices, each a list of versions. A version judges
the queue entries from its `effectiveFrom` (default: its creation) until the next version's, in the order of
(effectiveFrom, version number); derivation asks `cxreport.service.events.sla_policy`.

A version whose `effectiveFrom` is chosen covers entries stored already: the records derived from events with an
entry in its window (and its queue; the tenant default: any queue) are derived again and stored as a late
event restates a record (`restate`), in batches of `RESTATE_BATCH` interactions, each its own transaction.
Records ingested directly carry their own verdicts and are not restated."""

from __future__ import annotations

import logging
import time
import uuid
from typing import Annotated, TypeVar

import msgspec

from cxreport import clock
from cxreport.errors import InvalidBody, InvalidParameter, NotFound
from cxreport.ids import normalize_uuid
from cxreport.jsontext import NUL_REFUSED, check_utf8, field_at_fault
from cxreport.metrics import DEFAULT_SLA, AbandonType
from cxreport.service.events import rederive
from cxreport.store.base import MAX_INSTANT, Sla, SlaVersion, Store, UpsertCounts, Window
from cxreport.times import TimeFormatError, format_instant, parse_instant

Seconds = Annotated[float, msgspec.Meta(ge=0, le=86_400 * 365)]
T = TypeVar("T")
Instant = Annotated[str, msgspec.Meta(max_length=64)]
RESTATE_BATCH = 500
"""Interactions derived again per transaction when a version covers stored entries."""
log = logging.getLogger("cxreport.slas")


class NewSla(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    """A definition and its first version; without `queueId` it is the tenant default."""

    name: Annotated[str, msgspec.Meta(max_length=200)] | None = None
    queueId: Annotated[str, msgspec.Meta(min_length=1, max_length=200)] | None = None
    slaThreshold: Seconds = DEFAULT_SLA.slaThreshold
    abandonType: AbandonType = DEFAULT_SLA.abandonType
    abandonThreshold: Seconds = DEFAULT_SLA.abandonThreshold
    effectiveFrom: Instant | None = None


class NewSlaVersion(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    """A new version; a field left out keeps the current version's value (the one in force now)."""

    slaThreshold: Seconds | None = None
    abandonType: AbandonType | None = None
    abandonThreshold: Seconds | None = None
    effectiveFrom: Instant | None = None


class SlaVersionBody(msgspec.Struct):
    version: int
    slaThreshold: float
    abandonType: str
    abandonThreshold: float
    effectiveFrom: str
    inForceFrom: str
    """The same instant as `effectiveFrom`: its name before versions could start in the past."""


class SlaBody(msgspec.Struct):
    slaId: str
    name: str | None
    queueId: str | None
    createdAt: str
    current: SlaVersionBody
    versions: list[SlaVersionBody]


class SlaList(msgspec.Struct):
    results: list[SlaBody]


def _decode(body: bytes, kind: type[T]) -> T:
    """The body as `kind` (a struct of text and numbers); a 400 naming the field at fault, a NUL included."""
    check_utf8(body)
    try:
        decoded = msgspec.json.decode(body or b"{}", type=kind)
    except msgspec.ValidationError as error:
        raise InvalidBody(str(error), parameter=field_at_fault(error)) from None
    except msgspec.DecodeError as error:
        raise InvalidBody(f"the body is not valid JSON: {error}") from None
    for name, value in msgspec.structs.asdict(decoded).items():  # type: ignore[arg-type]
        if isinstance(value, str) and "\x00" in value:
            raise InvalidBody(f"{name} {NUL_REFUSED}", parameter=name)
    return decoded


def in_order(sla: Sla) -> list[SlaVersion]:
    """The versions in the order they take over: by effectiveFrom, then number (the higher wins at one instant)."""
    return sorted(sla.versions, key=lambda v: (v.from_us, v.version))


def as_json(sla: Sla) -> SlaBody:
    def body(v: SlaVersion) -> SlaVersionBody:
        since = format_instant(v.from_us)
        return SlaVersionBody(v.version, v.sla_threshold, v.abandon_type, v.abandon_threshold, since, since)

    current = body(in_order(sla)[-1])  # no version starts in the future: the last to take over is in force now
    versions = [body(v) for v in sla.versions]
    return SlaBody(sla.id, sla.name, sla.queue_id, format_instant(sla.created_us), current, versions)


def effective_from(text: str | None, now_us: int) -> int | None:
    """A chosen `effectiveFrom` as epoch µs (None when none was chosen); 400 naming it when it is not an ISO 8601
    instant or is after now (a version cannot be scheduled)."""
    if text is None:
        return None
    try:
        instant = parse_instant(text)
    except TimeFormatError as error:
        raise InvalidBody(f"effectiveFrom: {error}", parameter="effectiveFrom") from None
    if instant > now_us:
        raise InvalidBody(
            f"effectiveFrom {text!r} is in the future (now is {format_instant(now_us)}): a version may start at "
            "the latest now",
            parameter="effectiveFrom",
        )
    return instant


def create(store: Store, tenant_id: str, body: bytes) -> SlaBody:
    new = _decode(body, NewSla)
    now = clock.now_us()
    chosen = effective_from(new.effectiveFrom, now)
    first = SlaVersion(1, new.slaThreshold, new.abandonType, new.abandonThreshold, now if chosen is None else chosen)
    sla = Sla(str(uuid.uuid4()), new.name, new.queueId, now, (first,))
    store.create_sla(tenant_id, sla)
    if chosen is not None:
        restate(store, tenant_id, sla, first)
    return as_json(sla)


def add_version(store: Store, tenant_id: str, sla_id: str, body: bytes) -> SlaBody:
    new = _decode(body, NewSlaVersion)
    chosen = effective_from(new.effectiveFrom, clock.now_us())
    sla = get(store, tenant_id, sla_id)
    current = in_order(sla)[-1]
    version = SlaVersion(
        0,
        current.sla_threshold if new.slaThreshold is None else new.slaThreshold,
        current.abandon_type if new.abandonType is None else new.abandonType,
        current.abandon_threshold if new.abandonThreshold is None else new.abandonThreshold,
        clock.now_us() if chosen is None else chosen,
    )
    added = store.add_sla_version(tenant_id, sla.id, version, exact=chosen is not None)
    if added is None:
        raise NotFound(f"there is no service level {sla_id}")
    sla = get(store, tenant_id, sla.id)
    if chosen is not None:
        restate(store, tenant_id, sla, added)
    return as_json(sla)


def judged_window(sla: Sla, version: SlaVersion) -> Window:
    """The entry instants `version` judges: from its start until the next version of `sla` takes over."""
    versions = in_order(sla)
    position = [v.version for v in versions].index(version.version)
    end = versions[position + 1].from_us if position + 1 < len(versions) else MAX_INSTANT
    return Window(version.from_us, end)


def restate(store: Store, tenant_id: str, sla: Sla, version: SlaVersion) -> UpsertCounts:
    """Derive again, batch by batch, the records of interactions with a queue entry in the window `version`
    judges (in its queue; for the tenant default, in any queue), under the versions as they are at each batch."""
    window = judged_window(sla, version)
    counts, after, began = UpsertCounts(), None, time.monotonic()
    while window.start_us < window.end_us:
        keys = store.restatement_batch(tenant_id, sla.queue_id, window, after, RESTATE_BATCH)
        counts += rederive(store, tenant_id, [interaction_id for _start, interaction_id in keys])
        if len(keys) < RESTATE_BATCH:
            break
        after = keys[-1]
    log.info(
        "SLA %s version %d restated from %s: %d records derived again, %d changed, in %.1f s",
        sla.id, version.version, format_instant(window.start_us), counts.updated + counts.unchanged, counts.updated,
        time.monotonic() - began,
    )
    return counts


def get(store: Store, tenant_id: str, sla_id: str) -> Sla:
    canonical = normalize_uuid(sla_id)
    if canonical is None:
        raise InvalidParameter(f"slaId must be a UUID, got {sla_id!r}", parameter="slaId")
    sla = store.get_sla(tenant_id, canonical)
    if sla is None:
        raise NotFound(f"there is no service level {sla_id}")
    return sla


def list_all(store: Store, tenant_id: str) -> SlaList:
    return SlaList([as_json(sla) for sla in store.list_slas(tenant_id)])
