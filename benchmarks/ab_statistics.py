"""Two source trees, A (before) and B (after), on `GET …/statistics` in process, in alternating rounds, on a
store an earlier `bench_statistics.py` run loaded: CPU and wall time per query, and whether the answers are the
same bytes.

    .venv/bin/python benchmarks/ab_statistics.py --a /tmp/before --b . --database sqlite:///benchmarks/out/x.db
        [--days 90] [--timezone America/New_York] [--rounds 6] [--runs 5]

The queries are `bench_statistics.py`'s three (a day of 15m by queue, a month hourly by queue — its first page of
10,000 rows —, the range daily by channel), each timed as the route runs it: `service.statistics` and the JSON
body of its table; and the month's store sums alone (`Store.queue_entry_slots`). Each round runs every query
`--runs` times (after one unmeasured run) in a fresh process per tree, with PYTHONPATH=<tree>/src (every run
checks where `cxreport` came from), the order of the trees alternating from round to round (A B, B A, …) so a
drift in the machine's speed hits both alike. It prints, per figure, p50 and p99 of each side's CPU time (this
process's: SQLite runs in it, PostgreSQL's server does not) and wall time, B/A of the CPU p50s, and the load
average; it fails if a tree's JSON bodies differ from the other's.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import subprocess
import sys
import time
from dataclasses import replace
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

HERE = Path(__file__).resolve().parent


def child(args: argparse.Namespace) -> None:
    """One tree's round: every figure `--runs` times; JSON of the times and the bodies' digests on stdout."""
    import cxreport

    if not cxreport.__file__.startswith(str(Path(args.src).resolve()) + os.sep):
        raise SystemExit(f"cxreport was imported from {cxreport.__file__}, not from {args.src}")
    from bench_statistics import TENANT_ID, queries, request_of

    from cxreport.http.statistics import json_body
    from cxreport.service import statistics as service
    from cxreport.service.intervals import buckets, zone_named
    from cxreport.store import open_store
    from cxreport.store.base import SlotQuery

    store = open_store(args.database)
    day, month, quarter = queries(args.days, ZoneInfo(args.timezone))
    found = buckets(month.start_us, month.end_us, month.interval, zone_named(args.timezone), 0)
    month_slots = SlotQuery(month.start_us, month.end_us, found.slot_us, month.group_by)
    figures = {
        "day: service + JSON": lambda: json_body(service.statistics(store, TENANT_ID, request_of(day, args.timezone))),
        "month: store sums": lambda: store.queue_entry_slots(TENANT_ID, month_slots),
        "month: first page, service + JSON": lambda: json_body(service.statistics(
            store, TENANT_ID, replace(request_of(month, args.timezone), limit=service.MAX_BUCKETS))),
        "quarter: service + JSON": lambda: json_body(
            service.statistics(store, TENANT_ID, request_of(quarter, args.timezone))),
    }
    found_times: dict[str, Any] = {}
    for name, action in figures.items():
        first = action()
        digest = hashlib.sha256(first).hexdigest() if isinstance(first, bytes) else None
        cpus, walls = [], []
        for _ in range(args.runs):
            started, cpu_started = time.perf_counter(), time.process_time()
            action()
            walls.append(time.perf_counter() - started)
            cpus.append(time.process_time() - cpu_started)
        found_times[name] = {"cpu": cpus, "wall": walls, "digest": digest}
    store.close()
    print(json.dumps(found_times))


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))] * 1000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--a", type=Path, help="the tree before")
    parser.add_argument("--b", type=Path, help="the tree after")
    parser.add_argument("--database", required=True, help="a store URL (sqlite:///path or postgresql://…)")
    parser.add_argument("--days", type=int, default=90, help="the range the store was loaded with")
    parser.add_argument("--timezone", default="America/New_York")
    parser.add_argument("--rounds", type=int, default=6)
    parser.add_argument("--runs", type=int, default=5, help="runs of each figure per round and tree")
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--src", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args)
        return
    trees = {"A": args.a.resolve(), "B": args.b.resolve()}
    times: dict[str, dict[str, dict[str, list[float]]]] = {"A": {}, "B": {}}
    digests: dict[str, dict[str, set[str | None]]] = {"A": {}, "B": {}}
    load_start = os.getloadavg()[0]
    for round_ in range(args.rounds):
        for side in ("A", "B") if round_ % 2 == 0 else ("B", "A"):
            src = trees[side] / "src"
            command = [sys.executable, str(Path(__file__).resolve()), "--child", "--src", str(src),
                       "--database", args.database, "--days", str(args.days), "--timezone", args.timezone,
                       "--runs", str(args.runs)]
            done = subprocess.run(command, env={**os.environ, "PYTHONPATH": f"{src}{os.pathsep}{HERE}"},
                                  capture_output=True, text=True, check=True)
            for name, found in json.loads(done.stdout).items():
                into = times[side].setdefault(name, {"cpu": [], "wall": []})
                into["cpu"] += found["cpu"]
                into["wall"] += found["wall"]
                digests[side].setdefault(name, set()).add(found["digest"])
        print(f"round {round_ + 1}/{args.rounds} done, load average {os.getloadavg()[0]:.1f}", file=sys.stderr)
    print(f"{args.database}: {args.rounds} rounds × {args.runs} runs per tree; load average {load_start:.1f} at the "
          f"start, {os.getloadavg()[0]:.1f} at the end")
    print(f"  {'figure (ms)':<36} {'A CPU p50/p99':>16} {'B CPU p50/p99':>16} {'B/A':>6} {'A wall p50':>11}"
          f" {'B wall p50':>11}  same bytes")
    same_everywhere = True
    for name in times["A"]:
        a, b = times["A"][name], times["B"][name]
        same = len(digests["A"][name] | digests["B"][name]) == 1
        same_everywhere &= same
        ratio = percentile(b["cpu"], 0.5) / percentile(a["cpu"], 0.5)
        print(f"  {name:<36} {percentile(a['cpu'], .5):>7.1f} {percentile(a['cpu'], .99):>7.1f}"
              f"  {percentile(b['cpu'], .5):>7.1f} {percentile(b['cpu'], .99):>7.1f} {ratio:>6.2f}"
              f" {percentile(a['wall'], .5):>11.1f} {percentile(b['wall'], .5):>11.1f}  {same}")
    if not same_everywhere:
        raise SystemExit("the trees' JSON bodies differ")


if __name__ == "__main__":
    main()
