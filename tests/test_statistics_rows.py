"""A `/statistics` row's figures from its sums (`service.statistics.row_figures`, what every row is built by) equal
the formulas of `docs/data-dictionary.md` spelled with `round()`: the row builder's inline rounding gives round()'s
very floats, ties (a half, exactly) and values where value × 10^n lands near one included."""

from __future__ import annotations

from typing import Any

from hypothesis import example, given
from hypothesis import strategies as st

from cxreport.service.statistics import row_figures
from cxreport.store.statistics import FIGURE_NAMES

RULES = ("ignore-abandons", "count-abandons", "abandons-over-threshold")


def reference(sums: list[int], rules: set[str]) -> dict[str, Any]:
    """The figures as the formulas say, with round() (the builder before it rounded inline)."""
    f = dict(zip(FIGURE_NAMES, sums, strict=True))
    judged, waited, timed, handled = f["slaJudged"], f["waited"], f["answersTimed"], f["handled"]
    row: dict[str, Any] = {name: f[name] for name in FIGURE_NAMES[:14]}
    row["serviceLevel"] = round(100 * f["answeredWithinSla"] / judged, 2) if judged else None
    row["serviceLevelRule"] = (next(iter(rules)) if len(rules) == 1 else "mixed") if rules else None
    row["waited"] = waited
    row["waitTimeTotal"] = f["waitTimeTotal"] / 1000
    row["averageWaitTime"] = round(f["waitTimeTotal"] / waited / 1000, 3) if waited else None
    row["answersTimed"] = timed
    row["answerTimeTotal"] = f["answerTimeTotal"] / 1000
    row["averageSpeedOfAnswer"] = round(f["answerTimeTotal"] / timed / 1000, 3) if timed else None
    row["handled"] = handled
    row["handleTimeTotal"] = f["handleTimeTotal"] / 1000
    row["averageHandleTime"] = round(f["handleTimeTotal"] / handled / 1000, 3) if handled else None
    for total, average in (("talkTimeTotal", "averageTalkTime"), ("holdTimeTotal", "averageHoldTime"),
                           ("wrapUpTimeTotal", "averageWrapUpTime")):
        row[total] = f[total] / 1000
        row[average] = round(f[total] / handled / 1000, 3) if handled else None
    row["transfers"], row["flagged"] = f["transfers"], f["flagged"]
    row["maxWaitTime"] = f["maxWaitTime"] / 1000 if waited else None
    return row


def exactly(row: dict[str, Any]) -> list[tuple[str, str]]:
    """Keys in order and each value's repr: 0.062 and 0.0625, or 0.0 and -0.0, told apart."""
    return [(key, repr(value)) for key, value in row.items()]


counts = st.integers(min_value=0, max_value=2_000)
milliseconds = st.one_of(st.integers(min_value=0, max_value=10**7), st.integers(min_value=0, max_value=10**15))
sums = st.fixed_dictionaries({name: counts for name in FIGURE_NAMES}).flatmap(
    lambda found: st.fixed_dictionaries({
        **{name: st.just(value) for name, value in found.items()},
        **{name: milliseconds for name in ("waitTimeTotal", "answerTimeTotal", "handleTimeTotal", "talkTimeTotal",
                                           "holdTimeTotal", "wrapUpTimeTotal", "maxWaitTime")},
    })
)


@given(sums, st.sets(st.sampled_from(RULES), max_size=2))
@example({**dict.fromkeys(FIGURE_NAMES, 0), "handled": 8, "holdTimeTotal": 500, "waited": 16,  # 0.0625 s: a tie
          "waitTimeTotal": 1000, "slaJudged": 8, "answeredWithinSla": 1}, {"ignore-abandons"})  # 12.5 %
@example({**dict.fromkeys(FIGURE_NAMES, 0), "handled": 3, "talkTimeTotal": 2_000, "slaJudged": 3,
          "answeredWithinSla": 2}, set())  # 0.6666…, 66.666…
@example({**dict.fromkeys(FIGURE_NAMES, 0), "handled": 1, "handleTimeTotal": 10**15}, set())  # past 10^12 ms
def test_row_figures_equal_the_formulas_with_round(found: dict[str, int], rules: set[str]) -> None:
    values = [found[name] for name in FIGURE_NAMES]
    assert exactly(row_figures(values, rules)) == exactly(reference(values, rules))


def test_ties_and_near_ties_round_as_round_does() -> None:
    for total in range(0, 20_000):  # every wait total over 1 to 16 waits: each average's float and its round()
        for waited in (1, 2, 3, 7, 8, 16):
            values = [0] * len(FIGURE_NAMES)
            values[FIGURE_NAMES.index("waited")] = waited
            values[FIGURE_NAMES.index("waitTimeTotal")] = total
            expected = round(total / waited / 1000, 3)
            assert repr(row_figures(values, set())["averageWaitTime"]) == repr(expected), (total, waited)
