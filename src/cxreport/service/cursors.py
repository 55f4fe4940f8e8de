"""Opaque cursors for keyset paging: the position after the last record seen, bound to the tenant and
the query, signed with a secret every server process on the database shares. A tampered cursor, or one
made for another tenant or another query, is rejected."""

from __future__ import annotations

import base64
import functools
import hashlib
import hmac

import msgspec

from cxreport.errors import InvalidParameter

_VERSION = 1


class CursorCodec:
    def __init__(self, secret: bytes) -> None:
        self._secret = secret

    def encode(self, tenant_id: str, fingerprint: str, position: tuple[int, str]) -> str:
        payload = msgspec.json.encode([_VERSION, tenant_id, fingerprint, position[0], position[1]])
        return _b64(payload) + "." + _b64(self._sign(payload))

    def decode(self, cursor: str, tenant_id: str, fingerprint: str) -> tuple[int, str]:
        """The position in `cursor`; InvalidParameter unless it is intact and made for this tenant and query."""
        try:
            body, signature = cursor.split(".")
            payload = _unb64(body)
            valid = hmac.compare_digest(_unb64(signature), self._sign(payload))
        except ValueError:
            valid = False
        if not valid:
            raise InvalidParameter("cursor is not a cursor this server issued", parameter="cursor")
        version, cursor_tenant, cursor_fingerprint, time_us, interaction_id = msgspec.json.decode(payload)
        if version != _VERSION or cursor_tenant != tenant_id or cursor_fingerprint != fingerprint:
            raise InvalidParameter(
                "cursor was made for another query: repeat the query's filters, window, timeField and sort "
                "with it (nextUrl does)",
                parameter="cursor",
            )
        return int(time_us), str(interaction_id)

    def _sign(self, payload: bytes) -> bytes:
        return hmac.digest(self._secret, payload, "sha256")[:16]  # hmac.new(…).digest(), in one call


@functools.lru_cache(maxsize=1024)  # clients repeat their searches
def fingerprint(*parts: object) -> str:
    """A short digest of what defines a query (not its position): a cursor only continues that query."""
    return hashlib.sha256(msgspec.json.encode(parts)).hexdigest()[:16]


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _unb64(text: str) -> bytes:
    if not text or not text.isascii():
        raise ValueError("not base64")
    try:
        data = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    except (ValueError, TypeError) as error:
        raise ValueError("not base64") from error
    if _b64(data) != text:  # a changed last character can decode to the same bytes: only the canonical text
        raise ValueError("not canonical base64")
    return data
