"""ISO 8601 instants as clients really send them, turned into UTC epoch microseconds.

Accepted: `2017-12-29T14:00:00.000Z`, any number of fractional digits (digits past the microsecond are
truncated), numeric offsets (`+02:00`, `+0200`, `+02`), no zone at all (meaning UTC), short forms without
seconds (`2018-09-06T12:00Z`), a bare date (midnight UTC), a space or lower-case `t` as separator, and
`T24:00:00.000Z`, which ISO 8601 defines as the end of that day (the next day's 00:00). A space where
the offset's sign should be is read as `+`: it is what an unencoded `+` in a query string turns into.
Impossible values (`T25:00`, `2017-02-30`, `+25:00`) are rejected.
"""

from __future__ import annotations

import functools
import re
from datetime import UTC, date, datetime, timedelta

_INSTANT = re.compile(
    r"""
    (?P<year>\d{4})-(?P<month>\d{2})-(?P<day>\d{2})
    (?:
        [Tt\ ]
        (?P<hour>\d{2}):(?P<minute>\d{2})
        (?::(?P<second>\d{2})(?:[.,](?P<fraction>\d+))?)?
        (?P<zone>[Zz]|[+\-\ ]\d{2}(?::?\d{2})?)?
    )?
    """,
    re.VERBOSE | re.ASCII,
)

_EPOCH_DAY = date(1970, 1, 1).toordinal()
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_ONE_MICROSECOND = timedelta(microseconds=1)
_US_PER_SECOND = 1_000_000
_US_PER_DAY = 86_400 * _US_PER_SECOND
_FIRST_US = (date.min.toordinal() - _EPOCH_DAY) * _US_PER_DAY
_LAST_US = (date.max.toordinal() + 1 - _EPOCH_DAY) * _US_PER_DAY - 1


class TimeFormatError(ValueError):
    """The text is not an ISO 8601 instant this parser accepts, or names an impossible time."""


def parse_instant(text: str) -> int:
    """Return the instant `text` names as microseconds since 1970-01-01T00:00:00Z."""
    if len(text) == 24 and text[10] == "T" and text[19] == "." and text[23] == "Z" and text.isascii():
        # The canonical form records are written in (2017-12-29T14:00:00.000Z): a C-speed fast path.
        try:
            return (datetime.fromisoformat(text) - _EPOCH) // _ONE_MICROSECOND
        except ValueError:
            pass  # the general parser below says precisely what is wrong
    match = _INSTANT.fullmatch(text)
    if match is None:
        raise TimeFormatError(f"{text!r} is not an ISO 8601 date-time such as 2017-12-29T14:00:00.000Z")
    parts = match.groupdict()
    try:
        day = date(int(parts["year"]), int(parts["month"]), int(parts["day"]))
    except ValueError:
        raise TimeFormatError(f"{text!r} names a date that does not exist") from None
    hour, minute = int(parts["hour"] or 0), int(parts["minute"] or 0)
    second = int(parts["second"] or 0)
    micros = int((parts["fraction"] or "0")[:6].ljust(6, "0"))
    if hour == 24 and minute == second == 0 and not (parts["fraction"] or "0").strip("0"):
        if day == date.max:
            raise TimeFormatError(f"{text!r} is after the last instant cxreport can store (year 9999)")
        hour, day = 0, day + timedelta(days=1)
    if hour > 23 or minute > 59 or second > 59:
        raise TimeFormatError(f"{text!r} names a time of day that does not exist")
    offset = _offset_seconds(parts["zone"], text)
    seconds_of_day = hour * 3600 + minute * 60 + second - offset
    instant = (day.toordinal() - _EPOCH_DAY) * _US_PER_DAY + seconds_of_day * _US_PER_SECOND + micros
    if not _FIRST_US <= instant <= _LAST_US:
        raise TimeFormatError(f"{text!r} is outside the years 0001 to 9999 in UTC, which cxreport can store")
    return instant


def _offset_seconds(zone: str | None, text: str) -> int:
    if zone is None or zone in ("Z", "z"):
        return 0
    sign = -1 if zone[0] == "-" else 1
    digits = zone[1:].replace(":", "")
    hours, minutes = int(digits[:2]), int(digits[2:] or 0)
    if hours > 23 or minutes > 59:
        raise TimeFormatError(f"{text!r} has a UTC offset that does not exist")
    return sign * (hours * 3600 + minutes * 60)


@functools.lru_cache(maxsize=4096)  # the same instants recur: a search's window bounds, a page's boundaries
def format_instant(micros: int) -> str:
    """Format epoch microseconds as `YYYY-MM-DDTHH:MM:SS.mmmZ` (6 fractional digits when needed)."""
    # naive UTC, so that isoformat adds no offset; isoformat, not strftime: glibc's %Y does not pad a year
    # before 1000 to four digits
    moment = datetime(1970, 1, 1) + timedelta(microseconds=micros)  # noqa: DTZ001
    return moment.isoformat(timespec="microseconds" if moment.microsecond % 1000 else "milliseconds") + "Z"


def instant_to_datetime(micros: int) -> datetime:
    return datetime(1970, 1, 1, tzinfo=UTC) + timedelta(microseconds=micros)
