"""Interval buckets aligned in a time zone: their boundaries as UTC instants (epoch microseconds). Pure.

A day is the local calendar day, from the first instant of that date to the first instant of the next (23 or
25 hours on DST-change days; a midnight that does not exist starts the day at the end of the gap). A week
starts on `week_start` (Monday unless asked), a month on the 1st. A 15-minute, 30-minute or hour bucket starts
at every instant whose local wall-clock time is a multiple of its length past the hour: a wall-clock time that
happens twice (a fall-back hour) starts two buckets, one that never happens (a spring-forward gap) none.
`total` is one bucket, the whole range.
"""

from __future__ import annotations

from bisect import bisect_right
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta, tzinfo
from functools import reduce
from math import gcd
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from cxreport.errors import InvalidParameter

INTERVALS = ("15m", "30m", "hour", "day", "week", "month", "total")
_MINUTES = {"15m": 15, "30m": 30, "hour": 60}
WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
MAX_BUCKETS = 10_000
"""The most buckets (× groups) one answer may hold."""
MAX_RANGE_DAYS = 732
"""The longest range one answer may cover (two years, a leap day included)."""

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_MICRO = timedelta(microseconds=1)
FIRST_START = datetime(2, 1, 1, tzinfo=UTC)
LAST_END = datetime(9999, 1, 1, tzinfo=UTC)
"""Ranges lie within the years 0002 to 9998 (UTC): a zone's local dates, and the day, week or month after a
bucket, must exist in Python's calendar (years 1 to 9999) for the buckets to be computed."""
_FIRST_START_US = (FIRST_START - _EPOCH) // _MICRO
_LAST_END_US = (LAST_END - _EPOCH) // _MICRO
_US_PER_MINUTE = 60_000_000
_US_PER_DAY = 86_400_000_000


def zone_named(name: str) -> ZoneInfo:
    """The IANA zone `name` (400 naming `timezone` when there is none)."""
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError, OSError):
        message = f"timezone {name!r} is not an IANA time zone such as Europe/Paris"
        raise InvalidParameter(message, parameter="timezone") from None


def weekday_named(name: str | None) -> int:
    """Monday = 0 … Sunday = 6, from a day's English name (any case); Monday when not given."""
    if name is None:
        return 0
    try:
        return WEEKDAYS.index(name.strip().lower())
    except ValueError:
        raise InvalidParameter(f"weekStart must be one of {', '.join(WEEKDAYS)}", parameter="weekStart") from None


@dataclass(frozen=True, slots=True)
class Buckets:
    """The boundaries b0 < b1 < … < bn of n buckets [b(i), b(i+1)) covering [b0, bn)."""

    boundaries: tuple[int, ...]
    zone: tzinfo

    def __len__(self) -> int:
        return len(self.boundaries) - 1

    @property
    def slot_us(self) -> int:
        """The longest span that divides every bucket: slots of it from b0 never straddle a boundary."""
        first = self.boundaries[0]
        return reduce(gcd, (boundary - first for boundary in self.boundaries[1:]), 0)

    def index_of(self, instant_us: int) -> int:
        """The bucket holding `instant_us` (which lies in [b0, bn))."""
        return bisect_right(self.boundaries, instant_us) - 1

    def local(self, instant_us: int) -> str:
        """ISO 8601 in the zone, with its offset: 2026-03-08T03:00:00-04:00."""
        return to_local(instant_us, self.zone).isoformat()


def to_local(instant_us: int, zone: tzinfo) -> datetime:
    return (_EPOCH + timedelta(microseconds=instant_us)).astimezone(zone)


def buckets(start_us: int, end_us: int, interval: str, zone: tzinfo, week_start: int = 0) -> Buckets:
    """The buckets of `interval` in `zone` covering [start_us, end_us), whose ends must be bucket boundaries
    (any for `total`). Raises InvalidParameter naming what is wrong: the interval, a misaligned start or end,
    a range that is empty, outside the years 0002 to 9998, longer than `MAX_RANGE_DAYS` or of more than
    `MAX_BUCKETS` buckets."""
    if interval not in INTERVALS:
        raise InvalidParameter(f"interval must be one of {', '.join(INTERVALS)}", parameter="interval")
    if end_us <= start_us:
        raise InvalidParameter("start must be before end", parameter="start")
    if start_us < _FIRST_START_US:
        raise InvalidParameter(f"start must be at or after {FIRST_START.date()}T00:00:00Z", parameter="start")
    if end_us > _LAST_END_US:
        raise InvalidParameter(f"end must be at or before {LAST_END.date()}T00:00:00Z", parameter="end")
    if end_us - start_us > MAX_RANGE_DAYS * _US_PER_DAY:
        raise InvalidParameter(f"the range is longer than {MAX_RANGE_DAYS} days; ask for less", parameter="end")
    if interval == "total":
        return Buckets((start_us, end_us), zone)
    minutes = _MINUTES.get(interval)
    if minutes is not None and (end_us - start_us) // (minutes * _US_PER_MINUTE) > MAX_BUCKETS + 50:
        raise _too_many(interval)
    _check_aligned(start_us, interval, minutes, zone, week_start, "start")
    _check_aligned(end_us, interval, minutes, zone, week_start, "end")
    if minutes is None:
        found = _calendar_boundaries(start_us, end_us, interval, zone)
    else:
        found = _clock_boundaries(start_us, end_us, minutes, zone)
    if len(found) - 1 > MAX_BUCKETS:
        raise _too_many(interval)
    return Buckets(tuple(found), zone)


def _too_many(interval: str) -> InvalidParameter:
    return InvalidParameter(
        f"more than {MAX_BUCKETS} buckets of {interval}: ask for a shorter range or a longer interval",
        parameter="interval",
    )


def _instant(wall: datetime, zone: tzinfo, fold: int = 0) -> int:
    """A local wall-clock time as an instant: fold 0 the earlier of a repeated one; a time in a gap maps to
    the instant its wall time would have had before the change, i.e. past the gap's start."""
    return (wall.replace(tzinfo=zone, fold=fold) - _EPOCH) // _MICRO


def day_start(day: date, zone: tzinfo) -> int:
    """The first instant of a local calendar date (its midnight, or the end of a gap holding midnight)."""
    return _instant(datetime(day.year, day.month, day.day), zone)  # noqa: DTZ001  # a wall-clock time


def _check_aligned(instant_us: int, interval: str, minutes: int | None, zone: tzinfo, week_start: int,
                   parameter: str) -> None:
    local = to_local(instant_us, zone)
    if minutes is not None:
        aligned = local.minute % minutes == 0 and local.second == 0 and local.microsecond == 0
    else:
        aligned = day_start(local.date(), zone) == instant_us
        if interval == "week":
            aligned = aligned and local.weekday() == week_start
        elif interval == "month":
            aligned = aligned and local.day == 1
    if not aligned:
        raise InvalidParameter(
            f"{parameter} ({local.isoformat()} in {zone}) is not at the start of a {interval} bucket",
            parameter=parameter,
        )


def _next_date(day: date, interval: str) -> date:
    if interval == "day":
        return day + timedelta(days=1)
    if interval == "week":
        return day + timedelta(days=7)
    return date(day.year + day.month // 12, day.month % 12 + 1, 1)


def _calendar_boundaries(start_us: int, end_us: int, interval: str, zone: tzinfo) -> list[int]:
    day = to_local(start_us, zone).date()
    found = [start_us]
    while found[-1] < end_us:
        day = _next_date(day, interval)
        found.append(day_start(day, zone))
        if len(found) > MAX_BUCKETS + 1:
            raise _too_many(interval)
    return found


def _clock_boundaries(start_us: int, end_us: int, minutes: int, zone: tzinfo) -> list[int]:
    """Day by local day: a day without an offset change steps evenly; one with a change enumerates its
    wall-clock times (both instants of a repeated one, none of a skipped one)."""
    step = minutes * _US_PER_MINUTE
    found: list[int] = []
    day = to_local(start_us, zone).date()
    while True:
        begin, end = day_start(day, zone), day_start(day + timedelta(days=1), zone)
        if begin >= end_us:
            break
        if _offset(begin, zone) == _offset(end - 1, zone) and end - begin == _US_PER_DAY:
            found.extend(range(begin, end, step))
        else:
            found.extend(_wall_clock_starts(day, begin, end, minutes, zone))
        day += timedelta(days=1)
    found = [instant for instant in found if start_us <= instant < end_us]
    found.append(end_us)
    return found


def _wall_clock_starts(day: date, begin: int, end: int, minutes: int, zone: tzinfo) -> list[int]:
    midnight = datetime(day.year, day.month, day.day)  # noqa: DTZ001  # a wall-clock time
    starts = set()
    for k in range(24 * 60 // minutes):
        wall = midnight + timedelta(minutes=k * minutes)
        for fold in (0, 1):
            instant = _instant(wall, zone, fold)
            if to_local(instant, zone).replace(tzinfo=None) == wall and begin <= instant < end:
                starts.add(instant)
    return sorted(starts)


def _offset(instant_us: int, zone: tzinfo) -> timedelta | None:
    return to_local(instant_us, zone).utcoffset()
