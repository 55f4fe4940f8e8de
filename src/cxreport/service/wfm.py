"""WFM intervals in the original API's shape: the interval statistics of 15-minute UTC buckets, grouped by queue,
agent or agent and queue, with each figure under the original's name. A thin use of `service.statistics`, so
the figures are those of `/statistics` for the same range by construction; the mapping is written down in
`docs/api.md` ("WFM intervals"). Typed values in, values out; no HTTP, no SQL.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from cxreport import clock
from cxreport.errors import InvalidParameter
from cxreport.service.statistics import StatisticsRequest, nonempty_rows
from cxreport.store.base import Store
from cxreport.times import format_instant, parse_instant

ENTITIES = {"queue": ("queue",), "agent": ("agent",), "agent-queue": ("agent", "queue")}
"""The path's entity → the statistics' groupBy (agent first in agent-queue: rows go agent by agent)."""
BUCKET_US = 15 * 60_000_000
MAX_RANGE_US = 7 * 86_400_000_000
"""A range of at most 7 days (672 buckets)."""
SETTLING_US = 10 * 60_000_000
"""Nothing from the last 10 minutes: interval data is not served before its entries have mostly ended."""

_Figure = Callable[[dict[str, Any]], Any]
FIELDS: tuple[tuple[str, _Figure], ...] = (
    ("offeredCallCount", lambda row: row["offered"]),
    ("answeredCallCount", lambda row: row["answered"]),
    ("abandonedCallCount", lambda row: row["abandoned"]),
    ("answerTime", lambda row: row["answerTimeTotal"]),
    ("avgTimeToAnswer", lambda row: row["averageSpeedOfAnswer"]),
    ("handleTime", lambda row: row["handleTimeTotal"]),
    ("avgHandleTime", lambda row: row["averageHandleTime"]),
    ("agentWrapUpTime", lambda row: row["wrapUpTimeTotal"]),
    ("avgWrapUpTime", lambda row: row["averageWrapUpTime"]),
    ("sla", lambda row: row["serviceLevel"]),
)
"""Each field of an interval and how it reads the /statistics row of the same bucket and group (times are
already seconds with millisecond decimals there; `sla` a percentage)."""
_IDS = {"queue": ("queueId", "queueName"), "agent": ("agentId", "agentName")}


@dataclass(frozen=True, slots=True)
class WfmRequest:
    entity: str
    start_us: int
    end_us: int
    limit: int
    offset: int


@dataclass(frozen=True, slots=True)
class WfmPage:
    tenant_id: str
    tenant_name: str
    tenant_timezone: str
    request: WfmRequest
    total: int
    """Intervals (bucket × entity rows) in the whole range."""
    results: list[dict[str, Any]]
    """The page's intervals; None stands for a figure without a value (no answer to average, …)."""


def check_entity(entity: str) -> tuple[str, ...]:
    group_by = ENTITIES.get(entity)
    if group_by is None:
        raise InvalidParameter(f"entity {entity!r} is not one of {', '.join(ENTITIES)}", parameter="entity")
    return group_by


def check_range(start_us: int, end_us: int, now_us: int) -> None:
    """The original's rules, each a 400 naming its parameter: start before end, both on 15-minute boundaries
    (of UTC, hence of every zone, as every offset is a multiple of 15 minutes), at most 7 days, and an end at
    least 10 minutes ago."""
    if end_us <= start_us:
        raise InvalidParameter("start must be before end", parameter="start")
    for name, instant in (("start", start_us), ("end", end_us)):
        if instant % BUCKET_US:
            raise InvalidParameter(
                f"{name} ({format_instant(instant)}) is not on a 15-minute boundary (:00, :15, :30 or :45)",
                parameter=name,
            )
    if end_us - start_us > MAX_RANGE_US:
        raise InvalidParameter("the range is longer than 7 days; ask for at most 7 days at a time", parameter="end")
    latest = (now_us - SETTLING_US) // BUCKET_US * BUCKET_US
    if end_us > latest:
        raise InvalidParameter(
            f"end ({format_instant(end_us)}) is later than {format_instant(latest)}: intervals are served only "
            "once they ended at least 10 minutes ago",
            parameter="end",
        )


def wfm_intervals(store: Store, tenant_id: str, request: WfmRequest, now_us: int | None = None) -> WfmPage:
    """One page of the range's intervals: every 15-minute bucket and entity holding at least one queue entry,
    by bucket, then entity (as /statistics orders its rows). Entries nobody answered belong to no agent: the
    agent views leave them out (the queue view counts them)."""
    group_by = check_entity(request.entity)
    check_range(request.start_us, request.end_us, clock.now_us() if now_us is None else now_us)
    asked = StatisticsRequest(request.start_us, request.end_us, "15m", group_by, timezone="UTC")
    keep = None if "agent" not in group_by else _answered
    found = nonempty_rows(store, tenant_id, asked, request.offset, request.limit, keep)
    tenant = found.tenant
    return WfmPage(tenant.id, tenant.name, tenant.timezone, request, found.total,
                   [_interval(row, group_by) for row in found.rows])


def _answered(group: tuple[str | None, ...]) -> bool:
    """An agent view's group (agent first): one with an agent."""
    return group[0] is not None


def _interval(row: dict[str, Any], group_by: tuple[str, ...]) -> dict[str, Any]:
    found: dict[str, Any] = {
        "start": format_instant(parse_instant(row["start"])),
        "end": format_instant(parse_instant(row["end"])),
    }
    for group in group_by:
        for name in _IDS[group]:
            found[name] = row[name]
    for name, figure in FIELDS:
        found[name] = figure(row)
    return found


__all__ = ["ENTITIES", "FIELDS", "WfmPage", "WfmRequest", "check_entity", "check_range", "wfm_intervals"]
