"""API keys, tokens and roles. Secrets and tokens are random, stored only as SHA-256 hashes, and
compared in constant time. (They carry 256 random bits, so a fast hash is enough: there is nothing for
a slow password hash to protect against a guesser.)"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import uuid
from dataclasses import dataclass

from cxreport import clock
from cxreport.errors import Forbidden, InvalidParameter, NotFound, Unauthenticated
from cxreport.ids import normalize_uuid
from cxreport.store.base import ApiKey, Store, Token

ROLES = ("read", "ingest", "admin")
"""Each role may do everything the roles before it may: read < ingest < admin."""

_ROLE_RANK = {role: rank for rank, role in enumerate(ROLES)}
_TOKEN_PREFIX = "cxt_"  # noqa: S105 - a marker that makes tokens recognizable, not a secret


@dataclass(frozen=True, slots=True)
class Principal:
    """Who is calling: a key of one tenant, with its role."""

    tenant_id: str
    key_id: str
    role: str
    expires_us: int | None = None
    """When the credentials authenticated expire (a token's expiry); None for a key."""

    def require(self, role: str, tenant_id: str) -> None:
        """Raise Forbidden unless this principal may act with `role` on `tenant_id`."""
        if tenant_id != self.tenant_id:
            raise Forbidden("this key may not access that tenant")
        if _ROLE_RANK[self.role] < _ROLE_RANK[role]:
            raise Forbidden(f"this needs the {role!r} role; the key has {self.role!r}")


@dataclass(frozen=True, slots=True)
class IssuedKey:
    key: ApiKey
    secret: str

    def as_json(self) -> dict[str, str]:
        return {"id": self.key.id, "secret": self.secret, "role": self.key.role}


def hash_secret(secret: str) -> str:
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()


def check_role(role: str) -> str:
    if role not in _ROLE_RANK:
        raise InvalidParameter(f"role must be one of {', '.join(ROLES)}, got {role!r}", parameter="role")
    return role


def issue_key(store: Store, tenant_id: str, role: str, max_live: int = 0) -> IssuedKey:
    secret = secrets.token_urlsafe(32)
    key = ApiKey(
        id=str(uuid.uuid4()),
        tenant_id=tenant_id,
        role=check_role(role),
        secret_hash=hash_secret(secret),
        created_us=clock.now_us(),
    )
    store.create_key(key, max_live=max_live)
    return IssuedKey(key, secret)


def revoke_key(store: Store, key_id: str, tenant_id: str | None = None) -> ApiKey:
    """Revoke a key (and its tokens). With `tenant_id`, only a key of that tenant."""
    canonical = normalize_uuid(key_id)
    key = store.get_key(canonical) if canonical is not None else None
    if key is None or (tenant_id is not None and key.tenant_id != tenant_id):
        raise NotFound(f"there is no API key {key_id}")
    revoked = store.revoke_key(key.id, clock.now_us())
    assert revoked is not None
    return revoked


def authenticate_key(store: Store, key_id: str, secret: str) -> Principal:
    """Key ids are UUIDs and, like UUIDs, case-insensitive: an upper-case id finds its key on every store;
    text that is no UUID finds none (and is still hashed and compared, like an unknown key)."""
    canonical = normalize_uuid(key_id)
    key = store.get_key(canonical) if canonical is not None else None
    # Hash and compare even for an unknown key, so timing does not tell which key ids exist.
    expected = key.secret_hash if key else hash_secret("\0no such key")
    matches = hmac.compare_digest(expected, hash_secret(secret))
    if key is None or not matches or key.revoked_us is not None:
        raise Unauthenticated("the API key id or secret is wrong, or the key was revoked")
    return Principal(key.tenant_id, key.id, key.role)


def issue_token(store: Store, principal: Principal, ttl_seconds: int, max_live: int = 0) -> tuple[str, int]:
    """A new token for the principal's key; return it and its expiry (epoch microseconds)."""
    token = _TOKEN_PREFIX + secrets.token_urlsafe(32)
    now_us = clock.now_us()
    expires_us = now_us + ttl_seconds * 1_000_000
    token_row = Token(hash_secret(token), principal.tenant_id, principal.key_id, expires_us)
    store.create_token(token_row, max_live=max_live, now_us=now_us)
    return token, expires_us


def authenticate_token(store: Store, token: str) -> Principal:
    found = store.get_token(hash_secret(token))
    if found is None or found.expires_us <= clock.now_us():
        raise Unauthenticated("the token is unknown, expired or revoked")
    key = store.get_key(found.key_id)
    if key is None or key.revoked_us is not None:
        raise Unauthenticated("the token is unknown, expired or revoked")
    return Principal(key.tenant_id, key.id, key.role, found.expires_us)
