"""The CPU cost of neutralising CSV formula cells (issue 17, item 6): rows a CPU-second of `csv_row` +
`csv_lines` as the export runs them, with the neutralising row function against one built without it, side by
side, in interleaved rounds.

    .venv/bin/python benchmarks/bench_csv_cells.py [--rows 20000] [--rounds 7]

Records are synthetic: one in 10 has a customer that starts with `+` (neutralised), the rest plain text.
"""

from __future__ import annotations

import argparse
import os
import statistics
import time
from collections.abc import Callable

import msgspec

from cxreport.records import csv as csv_module
from cxreport.records.csv import CSV_COLUMNS, CsvRecord, csv_lines, csv_row, decode_csv_record


def plain_row_function() -> Callable[[CsvRecord], tuple[object, ...]]:
    """The row function as it was before neutralisation: every text column read as is."""
    original = csv_module._text
    csv_module._text = lambda expression, index: expression
    try:
        return csv_module._row_function()
    finally:
        csv_module._text = original


def records(count: int) -> list[CsvRecord]:
    made = []
    for n in range(count):
        doc = {"interactionId": f"00000000-0000-4000-8000-{n:012d}", "startTimestamp": "2024-01-01T00:00:00.000Z",
               "customer": f"+1555{n:07d}" if n % 10 == 0 else f"cust-{n}", "contactPoint": f"cp-{n % 6}",
               "flowName": f"Flow {n % 4}", "channelType": "voice", "direction": "inbound", "ivrTime": 1.5,
               "queues": [{"queueId": f"q-{n % 5}"}], "agents": [{"agentId": f"a-{n % 7}"}]}
        made.append(decode_csv_record(msgspec.json.encode(doc)))
    return made


def cpu_seconds(row: Callable[[CsvRecord], tuple[object, ...]], rows: list[CsvRecord]) -> float:
    started = time.process_time()
    for start in range(0, len(rows), 2000):
        csv_lines(row(record) for record in rows[start : start + 2000])
    return time.process_time() - started


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=20_000)
    parser.add_argument("--rounds", type=int, default=7)
    args = parser.parse_args()
    rows, plain = records(args.rows), plain_row_function()
    assert len(csv_row(rows[0])) == len(CSV_COLUMNS)
    timings: dict[str, list[float]] = {"plain": [], "neutralised": []}
    for _ in range(args.rounds):
        timings["plain"].append(cpu_seconds(plain, rows))
        timings["neutralised"].append(cpu_seconds(csv_row, rows))
    medians = {name: statistics.median(values) for name, values in timings.items()}
    for name, median in medians.items():
        print(f"{name:12} {args.rows / median:12,.0f} rows/CPU-s  (median of {args.rounds} rounds)")
    print(f"neutralised / plain CPU: {medians['neutralised'] / medians['plain']:.3f}")
    print(f"load average: {' '.join(f'{value:.2f}' for value in os.getloadavg())}")


if __name__ == "__main__":
    main()
