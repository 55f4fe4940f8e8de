"""Authentication memoised for at most a second: who an `Authorization` header names, so that a client's
requests after its first cost a hash and a dictionary look-up instead of a database read.

Safe by construction: an entry lives `MEMO_SECONDS` (1 s) at most, and never past its token's expiry, so a key
revoked (or a token expired) in any process stops working everywhere within a second; a revocation in this
process forgets every entry at once (`forget_all`). Only successful authentications are kept; the header is
kept as its SHA-256 digest, never as text. The memo holds at most `MAX_ENTRIES` headers (it is emptied when
full: the next request of each client reads the database again).
"""

from __future__ import annotations

import hashlib

from cxreport import clock
from cxreport.service.credentials import Principal

MEMO_SECONDS = 1
MAX_ENTRIES = 10_000


class PrincipalMemo:
    def __init__(self, memo_seconds: float = MEMO_SECONDS, max_entries: int = MAX_ENTRIES) -> None:
        self._memo_us = int(memo_seconds * 1_000_000)
        self._max_entries = max_entries
        self._entries: dict[bytes, tuple[Principal, int]] = {}

    @staticmethod
    def digest(header: str) -> bytes:
        return hashlib.sha256(header.encode("utf-8", "surrogateescape")).digest()

    def get(self, digest: bytes) -> Principal | None:
        """The principal authenticated for this header less than a second ago (and not past its token's
        expiry), else None."""
        entry = self._entries.get(digest)
        if entry is None:
            return None
        principal, valid_until_us = entry
        if clock.now_us() >= valid_until_us:
            self._entries.pop(digest, None)
            return None
        return principal

    def put(self, digest: bytes, principal: Principal) -> None:
        """Remember a successful authentication (a token's until its expiry at the latest)."""
        valid_until_us = clock.now_us() + self._memo_us
        if principal.expires_us is not None:
            valid_until_us = min(valid_until_us, principal.expires_us)
        if len(self._entries) >= self._max_entries:
            self._entries.clear()
        self._entries[digest] = (principal, valid_until_us)

    def forget_all(self) -> None:
        self._entries.clear()
