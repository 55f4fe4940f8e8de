"""The one source of "now", as UTC epoch microseconds."""

from __future__ import annotations

import time


def now_us() -> int:
    return time.time_ns() // 1000
