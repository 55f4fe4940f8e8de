"""Service-level definitions: a tenant default and per-queue choices, each a list of versions. A version is
in force from its creation on; derivation judges each queue entry by the version in force when it happened
(`cxreport.service.events.sla_policy`), so a change never rewrites history."""

from __future__ import annotations

import re
import uuid
from typing import Annotated, TypeVar

import msgspec

from cxreport import clock
from cxreport.errors import InvalidBody, InvalidParameter, NotFound
from cxreport.ids import normalize_uuid
from cxreport.jsontext import check_text
from cxreport.metrics import DEFAULT_SLA, AbandonType
from cxreport.store.base import Sla, SlaVersion, Store
from cxreport.times import format_instant

Seconds = Annotated[float, msgspec.Meta(ge=0, le=86_400 * 365)]
T = TypeVar("T")
_PATH = re.compile(r" - at `\$\.(\w+)`$")


class NewSla(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    """A definition and its first version; without `queueId` it is the tenant default."""

    name: Annotated[str, msgspec.Meta(max_length=200)] | None = None
    queueId: Annotated[str, msgspec.Meta(min_length=1, max_length=200)] | None = None
    slaThreshold: Seconds = DEFAULT_SLA.slaThreshold
    abandonType: AbandonType = DEFAULT_SLA.abandonType
    abandonThreshold: Seconds = DEFAULT_SLA.abandonThreshold


class NewSlaVersion(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    """A new version; a field left out keeps the previous version's value."""

    slaThreshold: Seconds | None = None
    abandonType: AbandonType | None = None
    abandonThreshold: Seconds | None = None


class SlaVersionBody(msgspec.Struct):
    version: int
    slaThreshold: float
    abandonType: str
    abandonThreshold: float
    inForceFrom: str


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
    try:
        check_text(body)
        return msgspec.json.decode(body or b"{}", type=kind)
    except msgspec.ValidationError as error:
        message = str(error)
        match = _PATH.search(message)
        raise InvalidBody(message, parameter=match.group(1) if match else None) from None
    except msgspec.DecodeError as error:
        raise InvalidBody(f"the body is not valid JSON: {error}") from None


def as_json(sla: Sla) -> SlaBody:
    versions = [
        SlaVersionBody(v.version, v.sla_threshold, v.abandon_type, v.abandon_threshold, format_instant(v.from_us))
        for v in sla.versions
    ]
    return SlaBody(sla.id, sla.name, sla.queue_id, format_instant(sla.created_us), versions[-1], versions)


def create(store: Store, tenant_id: str, body: bytes) -> SlaBody:
    new = _decode(body, NewSla)
    now = clock.now_us()
    first = SlaVersion(1, new.slaThreshold, new.abandonType, new.abandonThreshold, now)
    sla = Sla(str(uuid.uuid4()), new.name, new.queueId, now, (first,))
    store.create_sla(tenant_id, sla)
    return as_json(sla)


def add_version(store: Store, tenant_id: str, sla_id: str, body: bytes) -> SlaBody:
    new = _decode(body, NewSlaVersion)
    sla = get(store, tenant_id, sla_id)
    last = sla.versions[-1]
    version = SlaVersion(
        0,
        last.sla_threshold if new.slaThreshold is None else new.slaThreshold,
        last.abandon_type if new.abandonType is None else new.abandonType,
        last.abandon_threshold if new.abandonThreshold is None else new.abandonThreshold,
        clock.now_us(),
    )
    if store.add_sla_version(tenant_id, sla.id, version) is None:
        raise NotFound(f"there is no service level {sla_id}")
    return as_json(get(store, tenant_id, sla.id))


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
