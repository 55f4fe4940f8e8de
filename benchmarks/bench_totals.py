"""Exact totals at a million records, before and after (issue 16's "cheap exact totals"), in alternating rounds.

    .venv/bin/python benchmarks/bench_totals.py --a /work/main --a-database URL --b . --b-database URL \
        [--rounds 3] [--repeat 30] [--queue QUEUE_ID]

Two source trees, each against its own copy of the same data (e.g. `bench_search.py`'s 1,000,000-record SQLite
file, and a copy migrated by B: the migration fills B's counts), each round running A then B or B then A in child
processes (`PYTHONPATH=<tree>/src`), so that a drift of the machine hits both. Each child times, in process as the
route runs them (query values checked, the search, the envelope), p50 of wall clock and of this process's CPU:
  - the seed request (a 10-hour window, limit 10), and the same request over the whole tenant (no window; and a
    window with ragged ends: 2017-11-01T00:17:03.123Z to 2018-02-01T23:41:00.500Z);
  - each broad filter alone over the whole tenant, and three of them combined (`channelType=voice`, a queue,
    `abandoned=true`: the slowest row of `bench_filters.py`), and `agentId` (which the counts do not keep);
and checks that both trees give the same totals. On SQLite the query runs in the child, so its CPU is the whole
cost; on PostgreSQL read the wall clock (with the load average, printed). Writes benchmarks/out/totals.json.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
from pathlib import Path
from typing import Any

OUT = Path(__file__).parent / "out"

CHILD = r"""
import json, statistics, sys, time
from cxreport.http import bodies
from cxreport.http.search_query import paged, search_request
from cxreport.records.filters import parse_filters
from cxreport.service import interactions as service
from cxreport.store import open_store

url, tenant, queue, repeat = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
store = open_store(url)
CASES = {
    "seed request (10-hour window)": (("2017-12-29T14:00:00.000Z", "2017-12-29T24:00:00.000Z"), {}),
    "seed request, whole tenant (no window)": ((None, None), {}),
    "seed request, whole tenant (ragged ends)": (("2017-11-01T00:17:03.123Z", "2018-02-01T23:41:00.500Z"), {}),
    "channelType=sms": ((None, None), {"channelType": ["sms"]}),
    "direction=outbound": ((None, None), {"direction": ["outbound"]}),
    "abandoned=true": ((None, None), {"abandoned": ["true"]}),
    "queueId (one)": ((None, None), {"queueId": [queue]}),
    "flowId (one)": ((None, None), {"flowId": ["__FLOW__"]}),
    "channelType=voice + queueId + abandoned=true": ((None, None), {"channelType": ["voice"], "queueId": [queue],
                                                                    "abandoned": ["true"]}),
    "agentId (not kept: the index)": ((None, None), {"agentId": ["__AGENT__"]}),
}
results = {}
for name, ((start, end), filters) in CASES.items():
    filters = {k: [v.replace("__FLOW__", sys.argv[5]).replace("__AGENT__", sys.argv[6]) for v in vs]
               for k, vs in filters.items()}
    search = paged(search_request((start, "startTimeRange"), (end, "endTimeRange"),
                                  filters=parse_filters(filters)), 10, None, None)
    run = lambda: bodies.search_envelope(service.search(store, tenant, search))
    total = json.loads(run())["total"]
    walls, cpus = [], []
    for _ in range(repeat):
        wall, cpu = time.perf_counter(), time.process_time()
        run()
        cpus.append(time.process_time() - cpu)
        walls.append(time.perf_counter() - wall)
    results[name] = {"total": total, "wall_ms": statistics.median(walls) * 1000,
                     "cpu_ms": statistics.median(cpus) * 1000}
store.close()
print(json.dumps(results))
"""


def child(tree: Path, url: str, args: argparse.Namespace) -> dict[str, Any]:
    env = {**os.environ, "PYTHONPATH": str(tree / "src")}
    done = subprocess.run(
        [sys.executable, "-c", CHILD, url, args.tenant, args.queue, str(args.repeat), args.flow, args.agent],
        env=env, check=True, capture_output=True, text=True,
    )
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--a", type=Path, required=True, help="the tree before")
    parser.add_argument("--b", type=Path, required=True, help="the tree after")
    parser.add_argument("--a-database", required=True)
    parser.add_argument("--b-database", required=True)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--repeat", type=int, default=30)
    parser.add_argument("--tenant", default="5eed0000-0000-4000-8000-000000000001")
    parser.add_argument("--queue", default=None, help="default: the first record's first queue in the data file")
    parser.add_argument("--flow", default=None)
    parser.add_argument("--agent", default=None)
    parser.add_argument("--data", type=Path, default=OUT / "interactions-1000000-7.ndjson")
    args = parser.parse_args()
    if args.queue is None or args.flow is None or args.agent is None:
        with open(args.data, "rb") as lines:
            first = next(json.loads(line) for line in lines if b'"agents"' in line and b'"queues"' in line)
        args.queue = args.queue or first["queues"][0]["queueId"]
        args.flow = args.flow or first["flowId"]
        args.agent = args.agent or first["agents"][0]["agentId"]
    sides = {"A": (args.a.resolve(), args.a_database), "B": (args.b.resolve(), args.b_database)}
    rounds: dict[str, list[dict[str, Any]]] = {"A": [], "B": []}
    load = [os.getloadavg()[0]]
    for number in range(args.rounds):
        for side in ("A", "B") if number % 2 == 0 else ("B", "A"):
            rounds[side].append(child(*sides[side], args))
            print(f"round {number + 1} {side} done (load {os.getloadavg()[0]:.1f})", file=sys.stderr)
    load.append(os.getloadavg()[0])
    table: dict[str, Any] = {}
    print(f"{'search (limit 10)':<48} {'total':>9} {'A wall':>9} {'B wall':>9} {'A CPU':>9} {'B CPU':>9}"
          f" {'B/A CPU':>8}")
    for name in rounds["A"][0]:
        totals = {r[name]["total"] for side in rounds.values() for r in side}
        assert len(totals) == 1, f"{name}: the trees disagree on the total: {totals}"
        figures = {f"{side}_{unit}": statistics.median(r[name][unit] for r in rounds[side])
                   for side in rounds for unit in ("wall_ms", "cpu_ms")}
        table[name] = {"total": totals.pop(), **figures}
        row = table[name]
        print(f"{name:<48} {row['total']:>9,} {row['A_wall_ms']:>9.2f} {row['B_wall_ms']:>9.2f} {row['A_cpu_ms']:>9.2f}"
              f" {row['B_cpu_ms']:>9.2f} {row['B_cpu_ms'] / max(row['A_cpu_ms'], 1e-9):>8.3f}")
    print(f"load average {load[0]:.1f} at the start, {load[1]:.1f} at the end; medians of {args.rounds} rounds"
          f" of {args.repeat} runs each")
    OUT.mkdir(exist_ok=True)
    (OUT / "totals.json").write_text(json.dumps({"table": table, "rounds": rounds, "load": load}, indent=2))


if __name__ == "__main__":
    main()
