"""Bursts of concurrent statistics requests against a large SQLite file, with idle gaps: does the serving
process's memory stay flat? (issue 16, "its memory stays flat")

    .venv/bin/python benchmarks/statistics_bursts.py [--database FILE] [--days 90] [--bursts 8] [--gap 11]
        [--requests 96] [--concurrency 48] [--compare SRC_DIR]

`--database` is a file `bench_statistics.py` left in `benchmarks/out/` (default: the largest there); `--days`
must be the days it was generated with. Each burst sends `--requests` requests, `--concurrency` at once, of the
three queries `bench_statistics.py` times (a day of 15-minute buckets by queue, the first page of a month
hourly by queue, the range daily by channel), taken in turn; then `--gap` seconds of silence (longer than
anyio's idle worker threads live, 10 s, so threads end and new ones start). The server's open files, threads
and resident memory (anonymous and file-backed, from /proc) are read when it is up, after each burst and at the
end after one more gap. Every answer must be 200.

With `--compare SRC_DIR` the same run is made against a server running another source tree's code
(`PYTHONPATH=SRC_DIR`), with `--compare-env NAME=VALUE` against one with that environment variable set (both
may be given), the two servers taking turns (never at once), so that a change's effect on memory is seen next to
the code or setting before it. Figures are printed and written to `benchmarks/out/statistics-bursts.json`.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import httpx
from bench_search import free_port, wait_up
from bench_statistics import OUT, TENANT_ID, queries
from soak import resources

from cxreport.service import credentials
from cxreport.service.intervals import MAX_BUCKETS
from cxreport.store import open_store
from cxreport.times import format_instant

ZONE = "America/New_York"


def request_params(days: int) -> list[dict[str, str]]:
    return [
        {"start": format_instant(query.start_us), "end": format_instant(query.end_us), "interval": query.interval,
         "groupBy": ",".join(query.group_by), "timezone": ZONE, "limit": str(MAX_BUCKETS)}
        for query in queries(days, ZoneInfo(ZONE))
    ]


class Server:
    """`cxreport serve` on the file, one read key, no rate limit; `PYTHONPATH` set to run another tree's code."""

    def __init__(self, label: str, url: str, key: tuple[str, str], source: str | None, extra: dict[str, str]) -> None:
        self.label = label
        self.port = free_port()
        env = {**os.environ, "CXREPORT_RATE_LIMIT": "0", **extra}
        if source:
            env["PYTHONPATH"] = source
        self.process = subprocess.Popen(
            [str(Path(sys.executable).parent / "cxreport"), "serve", "--database", url, "--port", str(self.port)],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env)
        self.base = f"http://127.0.0.1:{self.port}"
        wait_up(self.base, self.process)
        self.client = httpx.Client(base_url=self.base, auth=key, timeout=120,
                                   limits=httpx.Limits(max_connections=256, max_keepalive_connections=256))
        self.readings: list[dict[str, Any]] = [{"when": "up", **resources(self.process.pid)}]

    def burst(self, params: list[dict[str, str]], requests: int, concurrency: int) -> dict[str, Any]:
        path = f"/v1/tenants/{TENANT_ID}/statistics"
        started = time.perf_counter()
        with ThreadPoolExecutor(concurrency) as pool:
            statuses = list(pool.map(lambda n: self.client.get(path, params=params[n % len(params)]).status_code,
                                     range(requests)))
        seconds = time.perf_counter() - started
        reading = {"when": f"burst {len(self.readings)}", "seconds": round(seconds, 2),
                   "not_200": sum(status != 200 for status in statuses), **resources(self.process.pid)}
        self.readings.append(reading)
        return reading

    def stop(self) -> None:
        self.client.close()
        self.process.terminate()
        self.process.wait(timeout=30)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--database", help="a SQLite file bench_statistics.py made (default: the largest)")
    parser.add_argument("--days", type=int, default=90, help="the days the file was generated with (default 90)")
    parser.add_argument("--bursts", type=int, default=8)
    parser.add_argument("--gap", type=float, default=11.0, help="idle seconds between bursts (default 11)")
    parser.add_argument("--requests", type=int, default=96, help="requests a burst (default 96)")
    parser.add_argument("--concurrency", type=int, default=48, help="requests at once (default 48)")
    parser.add_argument("--compare", metavar="SRC_DIR", help="also a server running this source tree's code")
    parser.add_argument("--compare-env", action="append", default=[], metavar="NAME=VALUE",
                        help="an environment variable of the compared server (its code this tree's without --compare)")
    args = parser.parse_args()
    largest = max(OUT.glob("statistics-*.db"), key=lambda path: path.stat().st_size, default=None)
    database = Path(args.database) if args.database else largest
    if database is None:
        sys.exit("no --database, and no statistics-*.db in benchmarks/out/ (run bench_statistics.py first)")
    url = f"sqlite:///{database.resolve()}"
    store = open_store(url)
    try:
        issued = credentials.issue_key(store, TENANT_ID, "read")
        key = (issued.key.id, issued.secret)
    finally:
        store.close()
    params = request_params(args.days)
    print(f"{database.name}: {database.stat().st_size / 2**30:.1f} GiB; {args.bursts} bursts of {args.requests}"
          f" requests ({args.concurrency} at once), {args.gap:g} s apart")
    servers = [Server("this tree", url, key, None, {})]
    if args.compare or args.compare_env:
        extra = dict(setting.split("=", 1) for setting in args.compare_env)
        source = str(Path(args.compare).resolve()) if args.compare else None
        label = " ".join(["compared", *([args.compare] if args.compare else []), *args.compare_env])
        servers.append(Server(label, url, key, source, extra))
    failures = 0
    try:
        for number in range(args.bursts):
            for server in servers if number % 2 == 0 else servers[::-1]:
                reading = server.burst(params, args.requests, args.concurrency)
                failures += reading["not_200"]
                print(f"{server.label:>40} burst {number + 1}: {reading['seconds']:6.2f} s, files"
                      f" {reading['open_files']:4.0f}, threads {reading['threads']:3.0f}, anon"
                      f" {reading['rss_anon_mb']:7.1f} MB, file-backed {reading['rss_file_mb']:7.1f} MB"
                      + (f", {reading['not_200']} not 200" if reading["not_200"] else ""), flush=True)
            time.sleep(args.gap)
        for server in servers:
            server.readings.append({"when": "idle at the end", **resources(server.process.pid)})
            first, last = server.readings[0], server.readings[-1]
            print(f"{server.label}: anon {first['rss_anon_mb']:.1f} -> {last['rss_anon_mb']:.1f} MB, files"
                  f" {first['open_files']:.0f} -> {last['open_files']:.0f}, threads {first['threads']:.0f} ->"
                  f" {last['threads']:.0f}; after bursts anon"
                  f" {', '.join(format(r['rss_anon_mb'], '.0f') for r in server.readings[1:-1])} MB")
    finally:
        for server in servers:
            server.stop()
    OUT.mkdir(exist_ok=True)
    (OUT / "statistics-bursts.json").write_text(json.dumps(
        {"database": database.name, "args": vars(args), "servers": {s.label: s.readings for s in servers}},
        indent=1))
    if failures:
        sys.exit(f"{failures} answers were not 200")


if __name__ == "__main__":
    main()
