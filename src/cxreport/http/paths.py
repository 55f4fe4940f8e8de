"""Path parameters, declared once with what the OpenAPI document says about them."""

from __future__ import annotations

from typing import Annotated

from litestar.params import PathParameter

TenantId = Annotated[
    str, PathParameter(format="uuid", description="The tenant's id. A key works only on its own tenant (else 403).")
]
InteractionId = Annotated[str, PathParameter(format="uuid", description="The interaction's id.")]
SlaId = Annotated[str, PathParameter(format="uuid", description="The service-level definition's id.")]
KeyId = Annotated[str, PathParameter(format="uuid", description="The API key's id.")]
ContactId = Annotated[
    str,
    PathParameter(
        description="The contact's id, as records carry it (at most 1,000 characters).",
        max_length=1000,
        schema_extra={"pattern": r"^[^\x00\x1f]*[^\s\x00\x1f][^\x00\x1f]*$"},
    ),
]
