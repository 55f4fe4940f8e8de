from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from cxreport.times import TimeFormatError, format_instant, parse_instant

MS = 1000
DAY = 86_400 * 1_000_000
BASE = parse_instant("2017-12-29T14:00:00.000Z")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2017-12-29T14:00:00.000Z", "2017-12-29T14:00:00.000Z"),
        ("2017-12-29T14:00:00Z", "2017-12-29T14:00:00.000Z"),
        ("2017-12-29T14:00Z", "2017-12-29T14:00:00.000Z"),
        ("2017-12-29T14:00", "2017-12-29T14:00:00.000Z"),
        ("2017-12-29t14:00z", "2017-12-29T14:00:00.000Z"),
        ("2017-12-29 14:00:00", "2017-12-29T14:00:00.000Z"),
        ("2017-12-29", "2017-12-29T00:00:00.000Z"),
        ("2017-12-29T24:00:00.000Z", "2017-12-30T00:00:00.000Z"),
        ("2017-12-31T24:00Z", "2018-01-01T00:00:00.000Z"),
        ("2016-02-29T24:00", "2016-03-01T00:00:00.000Z"),
        ("2017-12-29T14:00:00.5Z", "2017-12-29T14:00:00.500Z"),
        ("2017-12-29T14:00:00.123456Z", "2017-12-29T14:00:00.123456Z"),
        ("2017-12-29T14:00:00.123456789Z", "2017-12-29T14:00:00.123456Z"),
        ("2017-12-29T14:00:00,25Z", "2017-12-29T14:00:00.250Z"),
        ("2017-12-29T09:00:00-05:00", "2017-12-29T14:00:00.000Z"),
        ("2017-12-29T19:30:00+0530", "2017-12-29T14:00:00.000Z"),
        ("2017-12-29T16:00+02", "2017-12-29T14:00:00.000Z"),
        ("2017-12-29T16:00 02:00", "2017-12-29T14:00:00.000Z"),
        ("1969-12-31T23:59:59.999Z", "1969-12-31T23:59:59.999Z"),
    ],
)
def test_accepted_forms(text: str, expected: str) -> None:
    assert format_instant(parse_instant(text)) == expected


@pytest.mark.parametrize(
    "text",
    [
        "",
        " 2017-12-29T14:00Z",
        "2017-12-29T14:00Z ",
        "2017-12-29T25:00Z",
        "2017-12-29T24:00:01Z",
        "2017-12-29T24:00:00.001Z",
        "2017-12-29T23:60Z",
        "2017-12-29T23:59:60Z",
        "2017-02-30",
        "2017-02-29T00:00Z",
        "2017-13-01",
        "2017-00-10",
        "2017-12-29T14:00+24:00",
        "2017-12-29T14:00+05:60",
        "2017-12-29T14",
        "2017-12-29T14:00:00.Z",
        "2017-12-29T14:00:00Q",
        "17-12-29",
        "2017/12/29",
        "١٢٣٤-12-29",
        "now",
        "1514556000000",
    ],
)
def test_rejected_forms(text: str) -> None:
    with pytest.raises(TimeFormatError):
        parse_instant(text)


def test_bounds_at_the_millisecond() -> None:
    assert parse_instant("2017-12-29T14:00:00.001Z") - BASE == MS
    assert parse_instant("2017-12-29T24:00Z") - BASE == DAY - 14 * 3600 * 1_000_000


@given(st.integers(min_value=parse_instant("0001-01-01"), max_value=parse_instant("9999-12-31T23:59:59.999999")))
def test_format_then_parse_round_trips(micros: int) -> None:
    assert parse_instant(format_instant(micros)) == micros


@pytest.mark.parametrize("text", ["0001-01-01T00:00:00.000Z", "0500-06-01T12:30:00.000Z", "0999-12-31T23:59:59.999Z",
                                  "9999-12-31T23:59:59.999999Z"])
def test_years_before_1000_are_written_with_four_digits(text: str) -> None:
    assert format_instant(parse_instant(text)) == text
