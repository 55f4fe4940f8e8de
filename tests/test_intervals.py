"""Interval buckets aligned in a zone (`service/intervals.py`): DST days of 23 and 25 hours, half-hour and
45-minute offsets, weeks, months, and the refusals, each naming its parameter."""

from __future__ import annotations

import itertools
from zoneinfo import ZoneInfo

import pytest

from cxreport.errors import InvalidParameter
from cxreport.service.intervals import MAX_BUCKETS, buckets, weekday_named, zone_named
from cxreport.times import format_instant, parse_instant

NEW_YORK = ZoneInfo("America/New_York")
KOLKATA = ZoneInfo("Asia/Kolkata")
KATHMANDU = ZoneInfo("Asia/Kathmandu")
HOUR_US = 3_600_000_000


def us(text: str) -> int:
    return parse_instant(text)


def spans_in_hours(found: object) -> list[float]:
    bounds = found.boundaries  # type: ignore[attr-defined]
    return [(b - a) / HOUR_US for a, b in itertools.pairwise(bounds)]


def test_new_york_spring_forward_day_has_23_hours_and_23_hourly_buckets() -> None:
    start, end = us("2026-03-08T00:00-05:00"), us("2026-03-09T00:00-04:00")
    day = buckets(start, end, "day", NEW_YORK)
    assert spans_in_hours(day) == [23]
    hours = buckets(start, end, "hour", NEW_YORK)
    assert len(hours) == 23
    assert [hours.local(b) for b in hours.boundaries[1:4]] == [
        "2026-03-08T01:00:00-05:00", "2026-03-08T03:00:00-04:00", "2026-03-08T04:00:00-04:00"]
    quarters = buckets(start, end, "15m", NEW_YORK)
    assert len(quarters) == 23 * 4
    assert quarters.local(quarters.boundaries[8]) == "2026-03-08T03:00:00-04:00"


def test_new_york_fall_back_day_has_25_hours_and_the_repeated_hour_twice() -> None:
    start, end = us("2026-11-01T00:00-04:00"), us("2026-11-02T00:00-05:00")
    assert spans_in_hours(buckets(start, end, "day", NEW_YORK)) == [25]
    hours = buckets(start, end, "hour", NEW_YORK)
    assert len(hours) == 25
    assert [hours.local(b) for b in hours.boundaries[1:4]] == [
        "2026-11-01T01:00:00-04:00", "2026-11-01T01:00:00-05:00", "2026-11-01T02:00:00-05:00"]
    assert len(buckets(start, end, "30m", NEW_YORK)) == 50
    assert len(buckets(start, end, "15m", NEW_YORK)) == 100


def test_a_week_across_both_changes_of_a_year_and_days_of_23_24_25_hours() -> None:
    days = buckets(us("2026-03-02T00:00-05:00"), us("2026-11-09T00:00-05:00"), "day", NEW_YORK)
    spans = spans_in_hours(days)
    assert sorted(set(spans)) == [23, 24, 25]
    assert (spans.count(23), spans.count(25)) == (1, 1)
    weeks = buckets(us("2026-03-02T00:00-05:00"), us("2026-11-09T00:00-05:00"), "week", NEW_YORK)
    assert all(days.local(b).startswith("2026-") for b in weeks.boundaries)
    assert sorted(set(spans_in_hours(weeks))) == [167, 168, 169]


def test_kolkata_half_hour_offset_days_and_hours_start_at_half_past_utc() -> None:
    day = buckets(us("2026-01-01T00:00+05:30"), us("2026-01-03T00:00+05:30"), "day", KOLKATA)
    assert [format_instant(b) for b in day.boundaries] == [
        "2025-12-31T18:30:00.000Z", "2026-01-01T18:30:00.000Z", "2026-01-02T18:30:00.000Z"]
    hours = buckets(us("2026-01-01T00:00+05:30"), us("2026-01-01T03:00+05:30"), "hour", KOLKATA)
    assert [format_instant(b)[11:16] for b in hours.boundaries] == ["18:30", "19:30", "20:30", "21:30"]
    assert hours.local(hours.boundaries[1]) == "2026-01-01T01:00:00+05:30"
    with pytest.raises(InvalidParameter) as refused:
        buckets(us("2026-01-01T00:00Z"), us("2026-01-02T00:00Z"), "hour", KOLKATA)
    assert refused.value.parameter == "start"


def test_kathmandu_45_minute_offset() -> None:
    day = buckets(us("2026-05-01T00:00+05:45"), us("2026-05-02T00:00+05:45"), "day", KATHMANDU)
    assert [format_instant(b) for b in day.boundaries] == ["2026-04-30T18:15:00.000Z", "2026-05-01T18:15:00.000Z"]
    halves = buckets(us("2026-05-01T00:00+05:45"), us("2026-05-01T02:00+05:45"), "30m", KATHMANDU)
    assert [format_instant(b)[11:16] for b in halves.boundaries] == ["18:15", "18:45", "19:15", "19:45", "20:15"]
    assert halves.local(halves.boundaries[0]) == "2026-05-01T00:00:00+05:45"
    assert halves.slot_us == 30 * 60_000_000


def test_weeks_start_on_monday_or_the_day_asked() -> None:
    utc = ZoneInfo("UTC")
    weeks = buckets(us("2026-06-01"), us("2026-06-15"), "week", utc)  # 1 June 2026 is a Monday
    assert len(weeks) == 2
    with pytest.raises(InvalidParameter) as refused:
        buckets(us("2026-05-31"), us("2026-06-14"), "week", utc)
    assert refused.value.parameter == "start"
    assert len(buckets(us("2026-05-31"), us("2026-06-14"), "week", utc, weekday_named("Sunday"))) == 2
    with pytest.raises(InvalidParameter) as refused:
        weekday_named("someday")
    assert refused.value.parameter == "weekStart"


def test_months_are_calendar_months_in_the_zone() -> None:
    months = buckets(us("2026-01-01T00:00-05:00"), us("2027-01-01T00:00-05:00"), "month", NEW_YORK)
    assert len(months) == 12
    assert months.local(months.boundaries[3]) == "2026-04-01T00:00:00-04:00"
    assert months.local(months.boundaries[11]) == "2026-12-01T00:00:00-05:00"
    with pytest.raises(InvalidParameter) as refused:
        buckets(us("2026-01-01T00:00-05:00"), us("2026-02-02T00:00-05:00"), "month", NEW_YORK)
    assert refused.value.parameter == "end"


def test_total_is_one_bucket_of_any_range() -> None:
    found = buckets(us("2026-01-01T00:07:13Z"), us("2026-01-03T05:00Z"), "total", NEW_YORK)
    assert found.boundaries == (us("2026-01-01T00:07:13Z"), us("2026-01-03T05:00Z"))


def test_slots_divide_every_bucket() -> None:
    days = buckets(us("2026-03-07T00:00-05:00"), us("2026-03-10T00:00-04:00"), "day", NEW_YORK)
    assert days.slot_us == HOUR_US
    utc_days = buckets(us("2026-03-07"), us("2026-03-10"), "day", ZoneInfo("UTC"))
    assert utc_days.slot_us == 24 * HOUR_US
    assert [utc_days.index_of(us(t)) for t in ("2026-03-07", "2026-03-08T23:59:59.999999Z", "2026-03-09")] == [0, 1, 2]


def test_refusals_name_their_parameter() -> None:
    utc = ZoneInfo("UTC")
    cases = [
        (lambda: buckets(us("2026-01-01"), us("2026-01-01"), "day", utc), "start"),
        (lambda: buckets(us("2026-01-02"), us("2026-01-01"), "day", utc), "start"),
        (lambda: buckets(us("2026-01-01"), us("2026-01-02"), "minute", utc), "interval"),
        (lambda: buckets(us("2026-01-01T00:10Z"), us("2026-01-02"), "15m", utc), "start"),
        (lambda: buckets(us("2026-01-01"), us("2026-01-02T00:10Z"), "hour", utc), "end"),
        (lambda: buckets(us("2026-01-01"), us("2026-12-01"), "15m", utc), "interval"),
        (lambda: buckets(us("2020-01-01"), us("2026-01-01"), "month", utc), "end"),
        (lambda: zone_named("Mars/Olympus_Mons"), "timezone"),
        (lambda: zone_named("../../etc/passwd"), "timezone"),
    ]
    for attempt, parameter in cases:
        with pytest.raises(InvalidParameter) as refused:
            attempt()
        assert refused.value.parameter == parameter


def test_at_most_max_buckets() -> None:
    utc = ZoneInfo("UTC")
    start = us("2026-01-01")
    assert len(buckets(start, start + MAX_BUCKETS * 15 * 60_000_000, "15m", utc)) == MAX_BUCKETS
    with pytest.raises(InvalidParameter):
        buckets(start, start + (MAX_BUCKETS + 1) * 15 * 60_000_000, "15m", utc)
