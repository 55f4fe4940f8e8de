"""How many memory arenas the C library's allocator keeps for a serving process's threads.

glibc gives threads that allocate at once arenas of their own, up to 8 per core, and an arena keeps memory its
thread freed for its next allocations rather than giving it back. A server's 40 worker threads building
statistics tables (6-20 MB each) thus kept more and more of what they had once used: bursts of statistics
requests on a 3.3 GiB SQLite file left the process's anonymous memory at 360-450 MB, against 140-170 MB with two
arenas and the same answers (issue 16, `benchmarks/statistics_bursts.py --compare-env MALLOC_ARENA_MAX=2`).
The interpreter lock lets one thread run Python at a time, so the threads seldom contend for an arena.
"""

from __future__ import annotations

import ctypes
import ctypes.util

SERVING_ARENAS = 2
_M_ARENA_MAX = -8
"""`mallopt`'s parameter for the arena count (glibc's malloc.h)."""


def limit_malloc_arenas(count: int = SERVING_ARENAS) -> bool:
    """At most `count` arenas for the threads that start from now on (as `MALLOC_ARENA_MAX` does for a process
    started with it): call before the worker threads start. False where the C library is not glibc (nothing
    changed)."""
    name = ctypes.util.find_library("c")
    if name is None:
        return False
    try:
        mallopt = ctypes.CDLL(name).mallopt
    except (OSError, AttributeError):
        return False
    mallopt.argtypes = [ctypes.c_int, ctypes.c_int]
    mallopt.restype = ctypes.c_int
    return bool(mallopt(_M_ARENA_MAX, count))
