"""Answers of the search's fast path remembered, each with the tenant's change counter it was made under, so that
a search asked again is answered with the same bytes as long as nothing of the tenant changed.

Never stale, in any process: the counter (`Store.realtime_version`) lives in the database and is bumped in every
transaction that writes a tenant's records (records, events, re-derivations: the same invariant the realtime
figures rely on), so a write by any process moves it. A request reads the counter *before* it searches; an
answer is kept under the counter read before it was made, and used only by a request that reads the same
counter. A search may see a write that committed after its counter was read (its answer is then kept under the
older counter, which no request reads once that write is visible): an answer is never older than its counter.
Only the writes of cxreport move the counter: a database changed behind its back (a table dropped, a backup
restored whose counter has since come back to the same value) is noticed within `MAX_AGE_US` (1 s, as the
authentication memo), after which an answer is made again whatever the counter.

Never another tenant's: the key is the path's tenant id and the whole query string, the body depends on nothing
else (not the caller: authorization is checked before, on every request), and the counter is that tenant's.
Bounded: bodies up to `MAX_BODY` bytes, `CXREPORT_SEARCH_ANSWERS_BYTES` in all (all forgotten when full; 0 turns
this off: every search then runs).
"""

from __future__ import annotations

import threading

from cxreport import clock

MAX_AGE_US = 1_000_000
MAX_BODY = 256 * 1024
MAX_BYTES = 16 * 1024 * 1024

Key = tuple[str, bytes]
"""(the tenant id as the path has it, the query string)."""


class Answers:
    def __init__(self, max_body: int = MAX_BODY, max_bytes: int = MAX_BYTES) -> None:
        self.max_body = max_body
        self.max_bytes = max_bytes
        self._kept: dict[Key, tuple[int, int, bytes]] = {}
        """key → (counter, until, body)."""
        self._bytes = 0
        self._lock = threading.Lock()
        self.hits = 0

    def get(self, key: Key, version: int) -> bytes | None:
        """The answer kept for this search under this counter, else None."""
        kept = self._kept.get(key)
        if kept is None or kept[0] != version or clock.now_us() >= kept[1]:
            return None
        self.hits += 1
        return kept[2]

    def put(self, key: Key, version: int, body: bytes) -> None:
        if len(body) > self.max_body:
            return
        with self._lock:
            if self._bytes + len(body) > self.max_bytes:
                self._kept.clear()
                self._bytes = 0
            previous = self._kept.get(key)
            if previous is not None:
                self._bytes -= len(previous[2])
            self._kept[key] = (version, clock.now_us() + MAX_AGE_US, body)
            self._bytes += len(body)
