"""The cyclic garbage collector paused while a statistics table is built: reading a month's ~20,000 slot rows and
building 10,000 row dicts allocates ~100,000 objects that form no cycles, yet each 700 allocations start a
collection, and their survivors, promoted, start full ones over the whole heap — ~30 % of the month page's CPU
time (`docs/performance.md`). Reference counting frees everything as usual meanwhile; only cycles wait.

Pauses nest and overlap across threads: the collector is off while any pause lasts and back on (if it was on
before the first) when the last one ends; cyclic garbage made meanwhile, here or in other threads, is collected
then. So that overlapping pauses without a break (a busy server answering statistics all the time) cannot keep
cycles uncollected for long, a pause that ends while others go on runs a collection itself when the collector
has been off for over `LONGEST_OFF` seconds.
"""

from __future__ import annotations

import gc
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager

_lock = threading.Lock()
_pauses = 0
_was_enabled = False
_off_since = 0.0
LONGEST_OFF = 1.0


@contextmanager
def collector_paused() -> Iterator[None]:
    global _pauses, _was_enabled, _off_since
    with _lock:
        if _pauses == 0:
            _was_enabled = gc.isenabled()
            _off_since = time.monotonic()
            gc.disable()
        _pauses += 1
    try:
        yield
    finally:
        overdue = False
        with _lock:
            _pauses -= 1
            if _pauses == 0 and _was_enabled:
                gc.enable()
            elif _pauses and _was_enabled and time.monotonic() - _off_since > LONGEST_OFF:
                _off_since = time.monotonic()
                overdue = True
        if overdue:
            gc.collect()
