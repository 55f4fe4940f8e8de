"""End-to-end event ingestion into SQLite: events/s through the same path as `import-events` (one thread).

    .venv/bin/python benchmarks/bench_events.py [--count 100000] [--seed 7] [--batch-size 100000] [--profile]
        [--postgres postgresql://postgres@127.0.0.1:5432/test]

Writes a deterministic, realistic NDJSON event stream of `--count` interactions (the generator of
`bench_derive.py`: voice, email, sms and chat; abandons, holds, transfers, wrap-up, some in progress) to
`benchmarks/out/`, then imports it into a fresh SQLite file with `cxreport.cli.import_events.import_event_files`,
exactly what `cxreport import-events` runs: read and decode each line, store the events, read the earlier
events of the touched interactions, derive their records and upsert them (with their facets), one transaction
per batch. Prints events/s, the CPU seconds it took, the load average (the machine may be shared) and, before
and after, how long a bare Python loop takes (the machine's speed, which drifts); with
`--profile`, the top functions by cumulative and own time; with `--postgres`, the same import into a fresh
PostgreSQL database as well.
"""

from __future__ import annotations

import argparse
import cProfile
import os
import pstats
import random
import resource
import sys
import tempfile
import time
from pathlib import Path

import msgspec
from bench_derive import TENANT, interaction

from cxreport.cli.import_events import DEFAULT_BATCH_SIZE, EventImportReport, import_event_files
from cxreport.store import open_store
from cxreport.store.base import Tenant

OUT = Path(__file__).resolve().parent / "out"


def stream_file(count: int, seed: int) -> tuple[Path, int]:
    """The NDJSON stream (cached: same count and seed, same file) and its number of events."""
    OUT.mkdir(exist_ok=True)
    path = OUT / f"events-{count}-{seed}.ndjson"
    counted = OUT / f"events-{count}-{seed}.count"
    if path.exists() and counted.exists():
        return path, int(counted.read_text())
    rng = random.Random(seed)
    encoder = msgspec.json.Encoder()
    total = 0
    with open(path, "wb") as out:
        for index in range(count):
            events = interaction(rng, index)
            out.write(b"".join(encoder.encode(event) + b"\n" for event in events))
            total += len(events)
    counted.write_text(str(total))
    return path, total


def machine_speed() -> float:
    """Seconds for a bare 10-million-step Python loop in a function (best of three): how fast this machine runs
    Python now, so that figures taken on different machines, or minutes apart, can be compared. Session 3's
    machine took 0.47–0.71 s (it ran the import about 2.8 times slower than session 2's: docs/performance.md)."""
    best = float("inf")
    for _ in range(3):
        started = time.perf_counter()
        total = 0
        for step in range(10_000_000):
            total += step
        best = min(best, time.perf_counter() - started)
    return best


def load() -> str:
    """The machine's 1-minute load average: other work sharing the cores makes the figure lower."""
    return f"{os.getloadavg()[0]:.1f}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--count", type=int, default=100_000, help="interactions (default 100000)")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument(
        "--batch-size", type=int, default=DEFAULT_BATCH_SIZE, help="events a transaction (the import-events default)"
    )
    parser.add_argument("--profile", action="store_true", help="run under cProfile and print the top costs")
    parser.add_argument(
        "--postgres",
        default=os.environ.get("CXREPORT_BENCH_POSTGRES_URL"),
        help="admin URL of a PostgreSQL server: the same import into a fresh database there, dropped after",
    )
    args = parser.parse_args()
    path, events = stream_file(args.count, args.seed)
    size_mb = path.stat().st_size / 1e6
    print(f"{args.count:,} interactions, {events:,} events ({size_mb:,.0f} MB NDJSON), batches of {args.batch_size:,}")
    print(f"machine speed: a 10-million-step Python loop in {machine_speed():.2f} s (lower is faster)")
    with tempfile.TemporaryDirectory(prefix="cxreport-bench-events-") as folder:
        report, elapsed, cpu = run(f"sqlite:///{folder}/bench.db", path, args.batch_size, args.profile)
    summary("SQLite", report, events, elapsed, cpu, args.count)
    print(f"machine speed after: {machine_speed():.2f} s (the machine's speed drifts: compare runs whose speeds agree)")
    if args.postgres:
        sys.path.insert(0, str(Path(__file__).parent.parent / "tests"))
        from support.postgres import temporary_postgres_database

        with temporary_postgres_database(args.postgres) as url:
            report, elapsed, cpu = run(url, path, args.batch_size, False)
        summary("PostgreSQL", report, events, elapsed, cpu, args.count)


def run(url: str, path: Path, batch_size: int, profile: bool) -> tuple[EventImportReport, float, float]:
    """`import-events` of the file into a fresh store: its report, the seconds it took and the CPU seconds."""
    store = open_store(url, "bulk-writes")  # as import-events opens it
    store.migrate()
    store.create_tenant(Tenant(TENANT, "bench", "UTC"))
    profiler = cProfile.Profile() if profile else None
    started, cpu_started = time.perf_counter(), time.process_time()
    if profiler:
        profiler.enable()
    report = import_event_files(store, TENANT, [str(path)], batch_size=batch_size, progress=False)
    if profiler:
        profiler.disable()
    elapsed, cpu = time.perf_counter() - started, time.process_time() - cpu_started
    store.close()
    if profiler:
        stats = pstats.Stats(profiler, stream=sys.stdout)
        stats.sort_stats("tottime").print_stats(18)
        stats.sort_stats("cumulative").print_stats(25)
    return report, elapsed, cpu


def summary(name: str, report: EventImportReport, events: int, elapsed: float, cpu: float, count: int) -> None:
    counts = report.counts
    assert counts.accepted == events and not report.rejected, (counts, report.rejected[:3])
    print(f"import-events into {name}: {events / elapsed:,.0f} events/s ({elapsed:.1f} s)")
    print(f"  CPU time of this process {cpu:.1f} s ({events / cpu:,.0f} events per CPU-second, {cpu / elapsed:.2f}"
          f" cores on average: the import runs on one thread, SQLite's checkpoints on another); load {load()}")
    print(f"  peak RSS so far {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:,.0f} MB")
    print(f"  {counts.interactions:,} record derivations for {count:,} interactions")


if __name__ == "__main__":
    main()
