"""Per-API-key rate limits: a token bucket per key id, in this server process's memory.

Each key may make `burst` requests at once and `rate` a second after that. Several server processes
each keep their own buckets, so behind N processes a key may make up to N times as many. A request over
the limit is a 429 (`RateLimited`); every authenticated response says where the key stands in
`RateLimit-Limit`, `RateLimit-Remaining` and `RateLimit-Reset` (seconds until the bucket is full again).
"""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from litestar.connection import ASGIConnection

from cxreport.errors import RateLimited


@dataclass(frozen=True, slots=True)
class Allowance:
    """Where a key stands after a request; `retry_after` > 0 when the request was refused."""

    limit: int
    remaining: int
    reset_seconds: int
    retry_after: int = 0

    def headers(self) -> list[tuple[bytes, bytes]]:
        return [
            (b"ratelimit-limit", str(self.limit).encode()),
            (b"ratelimit-remaining", str(self.remaining).encode()),
            (b"ratelimit-reset", str(self.reset_seconds).encode()),
        ]


class RateLimiter:
    """Token buckets by key id. `rate` 0 turns limiting off (`take` always allows and returns None)."""

    def __init__(self, rate: int, burst: int, clock: Callable[[], float] = time.monotonic) -> None:
        self.rate = max(rate, 0)
        self.burst = max(burst, 1)
        self._clock = clock
        self._buckets: dict[str, tuple[float, float]] = {}  # key id → (tokens, when counted)
        self._lock = threading.Lock()

    def take(self, key_id: str) -> Allowance | None:
        """Spend one request of `key_id`'s allowance if it has one left; say where the key stands."""
        if not self.rate:
            return None
        with self._lock:
            now = self._clock()
            tokens, counted = self._buckets.get(key_id, (float(self.burst), now))
            tokens = min(float(self.burst), tokens + (now - counted) * self.rate)
            allowed = tokens >= 1
            if allowed:
                tokens -= 1
            self._buckets[key_id] = (tokens, now)
        retry_after = 0 if allowed else max(1, math.ceil((1 - tokens) / self.rate))
        reset = math.ceil((self.burst - tokens) / self.rate)
        return Allowance(self.burst, math.floor(tokens), reset, retry_after)


def charge(connection: ASGIConnection[Any, Any, Any, Any], key_id: str) -> None:
    """Count a request of `key_id` (an authenticated key): remember its allowance for the response headers,
    and refuse it (`RateLimited`, a 429) when the key is over its rate."""
    limiter: RateLimiter = connection.app.state.rate_limiter
    allowance = limiter.take(key_id)
    if allowance is None:
        return
    connection.state.rate_allowance = allowance
    if allowance.retry_after:
        raise RateLimited(
            f"this API key may make {limiter.rate} requests a second ({limiter.burst} at once); "
            f"retry in {allowance.retry_after} s",
            retry_after=allowance.retry_after,
        )
