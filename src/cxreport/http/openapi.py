"""Request bodies in the OpenAPI document. Routes read raw bytes (records are validated by our own
decoder, and stored as the exact text sent), so Litestar cannot infer the body; each route names it here."""

from __future__ import annotations

from dataclasses import dataclass

from litestar.openapi.spec import (
    OpenAPIFormat,
    OpenAPIMediaType,
    OpenAPIType,
    Operation,
    Reference,
    RequestBody,
    Schema,
)

_RECORD = Reference(ref="#/components/schemas/InteractionRecord")

RECORDS_BODY = RequestBody(
    description="One interaction record, a JSON array of records, or a seed-shaped envelope with `results`.",
    required=True,
    content={
        "application/json": OpenAPIMediaType(
            schema=Schema(
                one_of=[
                    _RECORD,
                    Schema(type=OpenAPIType.ARRAY, items=_RECORD),
                    Schema(
                        type=OpenAPIType.OBJECT,
                        required=["results"],
                        properties={"results": Schema(type=OpenAPIType.ARRAY, items=_RECORD)},
                    ),
                ]
            )
        )
    },
)

TOKEN_BODY = RequestBody(
    description="Key credentials (username = key id, password = secret) when not sent as HTTP Basic; `ttl` in seconds.",
    required=False,
    content={
        "application/json": OpenAPIMediaType(
            schema=Schema(
                type=OpenAPIType.OBJECT,
                properties={
                    "username": Schema(type=OpenAPIType.STRING, description="API key id"),
                    "password": Schema(type=OpenAPIType.STRING, description="API key secret"),
                    "ttl": Schema(type=OpenAPIType.INTEGER, minimum=1),
                },
                additional_properties=False,
            )
        )
    },
)

NEW_KEY_BODY = RequestBody(
    description="The new key's role (default `read`).",
    required=False,
    content={
        "application/json": OpenAPIMediaType(
            schema=Schema(
                type=OpenAPIType.OBJECT,
                properties={"role": Schema(type=OpenAPIType.STRING, enum=["read", "ingest", "admin"])},
                additional_properties=False,
            )
        )
    },
)


_EVENT = Schema(
    type=OpenAPIType.OBJECT,
    required=["type", "eventId", "interactionId", "timestamp"],
    properties={
        "type": Schema(type=OpenAPIType.STRING, description="The event type (docs/events.md lists them)"),
        "eventId": Schema(type=OpenAPIType.STRING, description="Unique within the tenant"),
        "interactionId": Schema(type=OpenAPIType.STRING, format=OpenAPIFormat.UUID),
        "timestamp": Schema(type=OpenAPIType.STRING, format=OpenAPIFormat.DATE_TIME),
    },
    description="One event; the fields its type needs are in docs/events.md and docs/schemas/event.schema.json.",
)

EVENTS_BODY = RequestBody(
    description="One event, a JSON array of events, or NDJSON (one event a line). All or nothing.",
    required=True,
    content={
        "application/json": OpenAPIMediaType(
            schema=Schema(one_of=[_EVENT, Schema(type=OpenAPIType.ARRAY, items=_EVENT)])
        ),
        "application/x-ndjson": OpenAPIMediaType(
            schema=Schema(type=OpenAPIType.STRING, description="One event a line")
        ),
    },
)

_SECONDS = Schema(type=OpenAPIType.NUMBER, minimum=0, maximum=86_400 * 365)
_ABANDON_TYPE = Schema(type=OpenAPIType.STRING, enum=["ignore-abandons", "count-against-sla"])
_EFFECTIVE_FROM = Schema(
    type=OpenAPIType.STRING,
    format=OpenAPIFormat.DATE_TIME,
    max_length=64,
    description=(
        "ISO 8601 instant from which the version judges queue entries, at the latest now (default: now). In the "
        "past, the derived records it then judges are restated."
    ),
    examples=["2024-01-01T00:00:00Z"],
)

NEW_SLA_BODY = RequestBody(
    description=(
        "A service-level definition and its first version: for one queue (`queueId`) or, without it, the tenant "
        "default. Thresholds in seconds; absent fields take the defaults (20, ignore-abandons, 20)."
    ),
    required=False,
    content={
        "application/json": OpenAPIMediaType(
            schema=Schema(
                type=OpenAPIType.OBJECT,
                properties={
                    "name": Schema(type=OpenAPIType.STRING, max_length=200),
                    "queueId": Schema(type=OpenAPIType.STRING, min_length=1, max_length=200),
                    "slaThreshold": _SECONDS,
                    "abandonType": _ABANDON_TYPE,
                    "abandonThreshold": _SECONDS,
                    "effectiveFrom": _EFFECTIVE_FROM,
                },
                additional_properties=False,
            )
        )
    },
)

NEW_SLA_VERSION_BODY = RequestBody(
    description=(
        "A new version, in force from `effectiveFrom` (default: now) until the next version's; an absent field "
        "keeps the current version's value."
    ),
    required=False,
    content={
        "application/json": OpenAPIMediaType(
            schema=Schema(
                type=OpenAPIType.OBJECT,
                properties={
                    "slaThreshold": _SECONDS,
                    "abandonType": _ABANDON_TYPE,
                    "abandonThreshold": _SECONDS,
                    "effectiveFrom": _EFFECTIVE_FROM,
                },
                additional_properties=False,
            )
        )
    },
)


@dataclass
class PublicOperation(Operation):
    """An operation that needs no credentials: `security: []` overrides the document's default (Litestar
    leaves an empty list out, which would mean "the default applies")."""

    def __post_init__(self) -> None:
        self.security = []


@dataclass
class ExportOperation(Operation):
    """The export's 200 is NDJSON or CSV, as `format` chooses: one media type each, both plain text."""

    def __post_init__(self) -> None:
        ok = self.responses.get("200") if self.responses else None
        if ok is not None and not isinstance(ok, Reference):
            text = OpenAPIMediaType(schema=Schema(type=OpenAPIType.STRING))
            ok.content = {"application/x-ndjson": text, "text/csv": text}


def with_body(body: RequestBody) -> type[Operation]:
    """An Operation class whose request body is `body`."""

    @dataclass
    class OperationWithBody(Operation):
        def __post_init__(self) -> None:
            self.request_body = body

    return OperationWithBody
