"""Text the generator writes often, made fast: UUIDs from random bits, timestamps from epoch milliseconds."""

from __future__ import annotations

import functools
import hashlib
from datetime import UTC, date, datetime

MS_PER_HOUR = 3_600_000
MS_PER_DAY = 86_400_000
EASTERN_OFFSET_MS = -5 * MS_PER_HOUR  # EST; the default window has no DST
EPOCH_ORDINAL = date(1970, 1, 1).toordinal()

_UUID_CLEAR = ~((0xF000 << 64) | (0xC000 << 48)) & ((1 << 128) - 1)
_UUID_SET = (0x4000 << 64) | (0x8000 << 48)


def uuid4(bits: int) -> str:
    """128 random bits as a version-4 UUID string: ``str(uuid.UUID(int=bits, version=4))``, faster."""
    h = (bits & _UUID_CLEAR | _UUID_SET).to_bytes(16, "big").hex()
    return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}"


@functools.cache
def session_id(agent_id: str, eastern_day: int) -> str:
    """An agent's login session: one per agent per US/Eastern day."""
    digest = hashlib.blake2b(f"{agent_id}/{eastern_day}".encode(), digest_size=16)
    return uuid4(int.from_bytes(digest.digest(), "big"))


# Timestamp pieces, looked up rather than formatted: "YYYY-MM-DDT" per day (filled as
# days come up), "HH:MM:" per minute of the day and "SS.mmmZ" per millisecond of a minute.
_DAY_PREFIX: dict[int, str] = {}
_HH_MM: list[str] = []
_SS_MMM: list[str] = []


def fill_time_tables() -> None:
    """Build the minute and millisecond tables (about 4 MB, 30 ms) on first use."""
    if not _SS_MMM:
        millis = [f"{milli:03d}Z" for milli in range(1000)]
        _HH_MM[:] = [f"{hour:02d}:{minute:02d}:" for hour in range(24) for minute in range(60)]
        _SS_MMM[:] = [f"{sec:02d}.{tail}" for sec in range(60) for tail in millis]


def iso(ms: int) -> str:
    """Epoch milliseconds -> ``YYYY-MM-DDTHH:MM:SS.mmmZ`` (after `fill_time_tables`)."""
    day, rem = divmod(ms, MS_PER_DAY)
    prefix = _DAY_PREFIX.get(day)
    if prefix is None:
        prefix = _DAY_PREFIX[day] = date.fromordinal(day + EPOCH_ORDINAL).isoformat() + "T"
    minute, rem = divmod(rem, 60_000)
    return f"{prefix}{_HH_MM[minute]}{_SS_MMM[rem]}"


def parse_ms(text: str) -> int:
    """ISO-8601 timestamp (naive means UTC) -> epoch milliseconds."""
    moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    delta = moment - datetime(1970, 1, 1, tzinfo=UTC)
    return delta.days * MS_PER_DAY + delta.seconds * 1000 + delta.microseconds // 1000
