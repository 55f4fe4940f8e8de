"""Response and request shapes, for the OpenAPI document (and for decoding small request bodies).

Records themselves are never pushed through these on the read path: responses are prebuilt bytes and
these types only describe them."""

from __future__ import annotations

import msgspec

from cxreport.records.schema import InteractionRecord


class ResolvedWindow(msgspec.Struct):
    """The resolved half-open window [start, end); null for an open side."""

    start: str | None
    end: str | None


class SearchEnvelope(msgspec.Struct):
    """A page of interactions: the original API's envelope, then what cxreport adds. Clients must tolerate
    keys added in later versions."""

    page: int | None
    limit: int
    offset: int
    tenantId: str
    total: int
    tenantName: str
    tenantTimezone: str
    results: list[InteractionRecord]
    timeField: str
    sort: str
    window: ResolvedWindow
    next: str | None
    nextUrl: str | None
    truncated: bool | None = None
    """Present (true) when CXREPORT_MAX_PAGE_BYTES ended the page before `limit` records."""


class InteractionDetails(msgspec.Struct, omit_defaults=True):
    interactionId: str
    startTimestamp: str
    endTimestamp: str | None = None
    contactPoint: str | None = None
    customer: str | None = None
    csat: float | None = None
    agents: list[dict[str, object]] | None = None
    direction: str | None = None
    contactId: str | None = None
    channelType: str | None = None


class InteractionWithDetails(InteractionRecord):
    details: InteractionDetails | None = None


class IngestResult(msgspec.Struct):
    inserted: int
    updated: int
    unchanged: int


class TokenRequest(msgspec.Struct, forbid_unknown_fields=True):
    """Credentials (when not sent as HTTP Basic) and the token's lifetime in seconds."""

    username: str | None = None
    password: str | None = None
    ttl: int | float | None = None
    """Whole seconds; JSON does not tell 3600 from 3600.0, so a whole float is accepted too."""


class TokenResponse(msgspec.Struct):
    token: str
    expiresAt: str
    ttl: int
    tenantId: str
    role: str


class ApiKeyInfo(msgspec.Struct, omit_defaults=True):
    id: str
    tenantId: str
    role: str
    createdAt: str
    revokedAt: str | None = None


class NewApiKey(msgspec.Struct):
    id: str
    secret: str
    role: str


class NewKeyRequest(msgspec.Struct, forbid_unknown_fields=True):
    role: str = "read"


class Health(msgspec.Struct):
    status: str
    database: str
    version: str


class EventIngestResult(msgspec.Struct):
    accepted: int
    """Events stored now."""
    duplicates: int
    """Events whose interactionId and eventId the tenant had already (or repeated in the request): they change
    nothing."""
    interactions: int
    """Interactions whose record was derived again."""


class ReportingEvents(msgspec.Struct, omit_defaults=True):
    tenantId: str
    interactionId: str
    results: list[dict[str, object]]
    """The stored events, as sent (insignificant whitespace removed), in time order."""
    limit: int | None = None
    """Only with `limit` (a page): it, and `next`/`nextUrl` (null on the last page)."""
    next: str | None = None
    nextUrl: str | None = None


class WfmInterval(msgspec.Struct, omit_defaults=True):
    """One 15-minute interval of one entity, in the original API's names (docs/api.md, "WFM intervals"): counts,
    times in seconds with millisecond decimals, `sla` a percentage. Null figures are left out unless
    `includenulls=true`; the ids present are the entity's."""

    start: str
    end: str
    offeredCallCount: int
    answeredCallCount: int
    abandonedCallCount: int
    answerTime: float
    handleTime: float
    agentWrapUpTime: float
    queueId: str | None = None
    queueName: str | None = None
    agentId: str | None = None
    agentName: str | None = None
    avgTimeToAnswer: float | None = None
    avgHandleTime: float | None = None
    avgWrapUpTime: float | None = None
    sla: float | None = None


class WfmEnvelope(msgspec.Struct):
    """A page of WFM intervals: the original API's envelope, then the range it covers."""

    page: int | None
    limit: int
    offset: int
    tenantId: str
    total: int
    tenantName: str
    tenantTimezone: str
    results: list[WfmInterval]
    entity: str
    start: str
    end: str
    interval: str
