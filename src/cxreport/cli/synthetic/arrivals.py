"""When contacts arrive: spread over a window, weighted toward business hours in US/Eastern (taken as UTC-5,
exact for the default November-January window), with fewer contacts on weekends and on US holidays."""

from __future__ import annotations

import bisect
from datetime import date

from cxreport.cli.synthetic.formats import EASTERN_OFFSET_MS, EPOCH_ORDINAL, MS_PER_DAY, MS_PER_HOUR

# Relative contact volume per US/Eastern hour of day, and per weekday (Mon=0).
_HOUR_WEIGHTS = (
    0.15, 0.1, 0.08, 0.08, 0.1, 0.2, 0.4, 0.9, 2.0, 3.2, 3.6, 3.5,
    3.0, 3.3, 3.4, 3.2, 2.8, 2.2, 1.5, 1.1, 0.8, 0.6, 0.4, 0.25,
)
_DAY_WEIGHTS = (1.1, 1.0, 1.0, 1.0, 0.9, 0.35, 0.25)
_HOLIDAY_WEIGHT = 0.25
_FIXED_HOLIDAYS = frozenset({(1, 1), (7, 4), (12, 25)})


def _hour_weight(hour_start_ms: int) -> float:
    local = hour_start_ms + EASTERN_OFFSET_MS
    day = local // MS_PER_DAY
    hour = (local % MS_PER_DAY) // MS_PER_HOUR
    on = date.fromordinal(day + EPOCH_ORDINAL)
    thanksgiving = on.month == 11 and on.weekday() == 3 and 22 <= on.day <= 28
    if thanksgiving or (on.month, on.day) in _FIXED_HOLIDAYS:
        day_weight = _HOLIDAY_WEIGHT
    else:
        day_weight = _DAY_WEIGHTS[on.weekday()]
    return _HOUR_WEIGHTS[hour] * day_weight


class StartSampler:
    """Draws start times over [start, end) from hourly business-load weights."""

    def __init__(self, start_ms: int, end_ms: int) -> None:
        self._starts: list[int] = []
        self._lengths: list[int] = []
        self._cum: list[float] = []
        total = 0.0
        t = start_ms
        while t < end_ms:
            stop = min((t // MS_PER_HOUR + 1) * MS_PER_HOUR, end_ms)
            total += _hour_weight(t) * (stop - t)
            self._starts.append(t)
            self._lengths.append(stop - t)
            self._cum.append(total)
            t = stop
        self._total = total

    def sample(self, u: float) -> int:
        """Map a uniform draw in [0, 1) to a start time (one draw picks hour and offset)."""
        r = u * self._total
        i = min(bisect.bisect_right(self._cum, r), len(self._cum) - 1)
        low = self._cum[i - 1] if i else 0.0
        length = self._lengths[i]
        offset = int((r - low) / (self._cum[i] - low) * length)
        return self._starts[i] + min(max(offset, 0), length - 1)
