"""Interval statistics latency: p50 and p99 of `GET …/statistics`'s use case (in process, no HTTP) on a store
loaded through events, as `import-events` loads it (the stream of `bench_events.py`: one interaction every 25 s
from 2024-01-01, so 100,000 interactions span about 29 days).

    .venv/bin/python benchmarks/bench_statistics.py [--count 100000] [--repeat 20]
        [--postgres postgresql://postgres@127.0.0.1:5432/test]

Queries: one day of 15-minute buckets for all queues (grouped by queue), a month (or as much of it as the data
covers) hourly by queue, the whole range daily by channel; each in UTC and in America/New_York.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

from bench_derive import TENANT
from bench_events import run, stream_file

from cxreport.service.statistics import StatisticsRequest
from cxreport.service.statistics import statistics as interval_statistics
from cxreport.store import open_store
from cxreport.times import parse_instant

DAY_US = 86_400_000_000


def queries(count: int) -> list[tuple[str, StatisticsRequest]]:
    start = parse_instant("2024-01-01T00:00:00Z")
    days = max(1, min(31, count * 25 // 86_400))
    span = max(1, count * 25 // 86_400)
    found = []
    for zone in ("UTC", "America/New_York"):
        first = start + (DAY_US if zone != "UTC" else 0) + (5 * 3_600_000_000 if zone != "UTC" else 0)
        found += [
            (f"a day of 15m by queue ({zone})",
             StatisticsRequest(first, first + DAY_US, "15m", ("queue",), zone)),
            (f"{days} days hourly by queue ({zone})",
             StatisticsRequest(first, first + days * DAY_US, "hour", ("queue",), zone)),
            (f"{span} days daily by channel ({zone})",
             StatisticsRequest(first, first + span * DAY_US, "day", ("channelType",), zone)),
        ]
    return found


def measure(url: str, count: int, repeat: int) -> None:
    store = open_store(url)
    for name, request in queries(count):
        times = []
        rows = 0
        for _ in range(repeat):
            started = time.perf_counter()
            table = interval_statistics(store, TENANT, request)
            times.append((time.perf_counter() - started) * 1000)
            rows = len(table.rows)
        times.sort()
        p99 = times[min(len(times) - 1, round(len(times) * 0.99))]
        print(f"  {name}: p50 {statistics.median(times):.1f} ms, p99 {p99:.1f} ms ({rows} rows)")
    store.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--count", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--repeat", type=int, default=20)
    parser.add_argument("--postgres", default=os.environ.get("CXREPORT_BENCH_POSTGRES_URL"))
    args = parser.parse_args()
    path, events = stream_file(args.count, args.seed)
    print(f"{args.count:,} interactions, {events:,} events; load {os.getloadavg()[0]:.1f}")
    with tempfile.TemporaryDirectory(prefix="cxreport-bench-statistics-") as folder:
        url = f"sqlite:///{folder}/bench.db"
        _report, elapsed, _cpu = run(url, path, 100_000, False)
        print(f"SQLite: loaded in {elapsed:.1f} s")
        measure(url, args.count, args.repeat)
    if args.postgres:
        sys.path.insert(0, str(Path(__file__).parent.parent / "tests"))
        from support.postgres import temporary_postgres_database

        with temporary_postgres_database(args.postgres) as url:
            _report, elapsed, _cpu = run(url, path, 100_000, False)
            store = open_store(url)
            store.refresh_statistics()
            store.close()
            print(f"PostgreSQL: loaded in {elapsed:.1f} s")
            measure(url, args.count, args.repeat)


if __name__ == "__main__":
    main()
