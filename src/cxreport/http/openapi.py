"""Request bodies in the OpenAPI document. Routes read raw bytes (records are validated by our own
decoder, and stored as the exact text sent), so Litestar cannot infer the body; each route names it here."""

from __future__ import annotations

from dataclasses import dataclass

from litestar.openapi.spec import OpenAPIMediaType, OpenAPIType, Operation, Reference, RequestBody, Schema

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


def with_body(body: RequestBody) -> type[Operation]:
    """An Operation class whose request body is `body`."""

    @dataclass
    class OperationWithBody(Operation):
        def __post_init__(self) -> None:
            self.request_body = body

    return OperationWithBody
