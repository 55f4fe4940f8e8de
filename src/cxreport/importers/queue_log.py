"""Reading Asterisk queue_log lines, in either of their two forms (detected line by line):

- the file form Asterisk writes (`main/logger.c`): `epoch|callid|queue|agent|event|data1|data2|…`, whole-second
  epochs, a `|` after the event even without data, any number of data fields;
- the database-table form exported as text (`queue_log` tables of Wazo, FreePBX with ODBC):
  `time|callid|queuename|agent|event|data1..data5`, the time local (in `--timezone`) with microseconds, or
  with its own UTC offset (`2012-07-03 15:27:23.896208+02`, as PostgreSQL prints a `timestamptz`).

Both forms give one `QueueLogLine`: its instant in whole UTC seconds (sub-second digits are dropped, so that the
durations Asterisk reports in whole seconds place every event exactly, and both forms of one log give the same
events) and its data fields without the trailing empty ones (data5 of the table form may hold several `|`
separated values, e.g. ATTENDEDTRANSFER LINK's `10|1`: splitting on every `|` reads both forms alike).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

_LATEST_EPOCH = 253_402_300_799
"""9999-12-31T23:59:59Z: the last second cxreport can store."""
_TABLE_HEADER = "time|callid|"


class BadLine(ValueError):
    """A line that is not a queue_log line, or names an impossible time or value; the message says which."""


@dataclass(frozen=True, slots=True)
class QueueLogLine:
    epoch: int
    """The line's instant, whole seconds since 1970-01-01T00:00:00Z."""
    callid: str
    queue: str
    agent: str
    verb: str
    data: tuple[str, ...]

    def number(self, index: int, name: str, *, default: int | None = None) -> int:
        """data{index} (1-based) as a whole number ≥ 0; `default` when it is absent or empty (else an error)."""
        text = self.data[index - 1] if index <= len(self.data) else ""
        if not text and default is not None:
            return default
        if not text.isdigit() or not text.isascii():
            raise BadLine(f"{self.verb}: data{index} ({name}) must be a whole number, not {text!r}")
        value = int(text)
        if value > 366 * 86_400 * 10:  # ten years: no queue wait or call lasts that long
            raise BadLine(f"{self.verb}: data{index} ({name}) is impossibly large: {text}")
        return value

    def text(self, index: int) -> str:
        """data{index} (1-based), empty when absent."""
        return self.data[index - 1] if index <= len(self.data) else ""


def parse_line(line: str, zone: ZoneInfo) -> QueueLogLine | None:
    """The line read, or None for a line that holds none (blank, a `#` comment, the table form's header row)."""
    if not line or line[0] == "#" or line.startswith(_TABLE_HEADER):
        return None
    fields = line.split("|")
    if len(fields) < 5:
        raise BadLine(f"expected at least 5 '|'-separated fields (time|callid|queue|agent|event), found {len(fields)}")
    stamp, callid, queue, agent, verb = fields[0], fields[1], fields[2], fields[3], fields[4]
    if not verb:
        raise BadLine("the event (field 5) is empty")
    data = fields[5:]
    while data and not data[-1]:
        data.pop()
    return QueueLogLine(epoch_of(stamp, zone), callid, queue, agent, verb, tuple(data))


def epoch_of(stamp: str, zone: ZoneInfo) -> int:
    """A line's time field as whole UTC seconds: an epoch (the file form) or a local date-time (the table form)."""
    if stamp.isdigit() and stamp.isascii():
        epoch = int(stamp)
        if epoch > _LATEST_EPOCH:
            raise BadLine(f"the time {stamp} is after the year 9999")
        return epoch
    return _table_time(stamp, zone)


_cache: dict[tuple[str, str], int] = {}


def _table_time(stamp: str, zone: ZoneInfo) -> int:
    if len(stamp) < 19 or stamp[4] != "-" or stamp[10] not in " T":
        raise BadLine(f"the time {stamp!r} is neither an epoch nor a date-time such as 2012-07-04 07:33:21.165823")
    second, rest = stamp[:19], stamp[19:]
    offset = ""
    if rest.startswith("."):
        digits = len(rest) - len(rest[1:].lstrip("0123456789"))
        rest = rest[digits:]
    if rest:
        offset = rest
    key = (second + offset, zone.key)
    found = _cache.get(key)
    if found is not None:
        return found
    try:
        local = datetime.fromisoformat(second.replace(" ", "T") + offset)
    except ValueError:
        raise BadLine(f"the time {stamp!r} does not exist") from None
    if local.tzinfo is None:
        local = local.replace(tzinfo=zone)
        back = datetime.fromtimestamp(local.timestamp(), zone).replace(tzinfo=None)
        if back != local.replace(tzinfo=None):  # a wall-clock time the change to summer time skipped
            raise BadLine(f"the time {stamp!r} does not exist in {zone.key} (skipped by a change of UTC offset)")
    epoch = int((local - _EPOCH).total_seconds())
    if not 0 <= epoch <= _LATEST_EPOCH:
        raise BadLine(f"the time {stamp!r} is outside the years 1970 to 9999")
    if len(_cache) > 4096:
        _cache.clear()
    _cache[key] = epoch
    return epoch


_EPOCH = datetime(1970, 1, 1, tzinfo=ZoneInfo("UTC"))
