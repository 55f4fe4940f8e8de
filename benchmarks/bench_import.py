"""Bulk import rate and peak memory, next to the SQLite driver's own `executemany` of the same documents (issue 16).

    .venv/bin/python benchmarks/bench_import.py --count 100000 --rounds 3 \\
        [--postgres postgresql://postgres@127.0.0.1:5432/test] [--stores driver,sqlite,postgresql]

Every run is a process of its own (so that its peak RSS, `VmHWM`, is its own), started one after another,
the order rotating each round so that a change in the machine's load hits all of them:
- `driver`: the file's lines, each record's interactionId read by msgspec, `executemany` of an upsert
  (`INSERT … ON CONFLICT DO UPDATE`) into a fresh SQLite table keyed (tenant_id, interaction_id) holding the
  document, 2,000 records a transaction, WAL and `synchronous = NORMAL` as cxreport's: the limit the issue
  measures `cxreport import` against;
- `sqlite`: `cxreport import`'s code path and memory settings (`import_files`, workload `bulk-writes`) into a
  fresh SQLite file;
- `postgresql`: the same into a fresh PostgreSQL database (created on the server the admin URL names, dropped
  after), with the CPU of the server processes serving the import's connections.
Printed: records/s (median and best), CPU seconds of the importing process (all its threads), records per CPU
second of its busiest thread (reading and validating, or the writer: the rate the run would reach on an idle
machine with a core per thread, which the machine's load changes little), peak RSS, the ratios of cxreport's
SQLite import to the driver's in each round (they run back to back) and their medians, and the load average.
Results: benchmarks/out/import.json.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import sqlite3
import statistics
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

from bench_search import OUT, TENANT, data_file

_TICKS = os.sysconf("SC_CLK_TCK")
_DRIVER_BATCH = 2000


def process_cpu_seconds(pid: int) -> float:
    """User + system CPU of a process, from /proc (0 once it is gone)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except FileNotFoundError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / _TICKS


def own_cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def peak_rss_mb() -> float:
    """This process's peak resident set (anonymous and file-backed pages, memory maps included)."""
    status = Path("/proc/self/status").read_text()
    return int(status.split("VmHWM:")[1].split()[0]) / 1024


class ThreadCpu:
    """CPU of each thread of this process, sampled while a run goes on (a thread's last sample counts): the
    busiest thread's CPU is the run's critical path, about its wall time on an idle machine with a core per
    thread, whatever the load while it is measured."""

    def __init__(self) -> None:
        self._last: dict[int, float] = {}
        self._first: dict[int, float] = {}
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)

    def __enter__(self) -> ThreadCpu:
        self._read(skip=-1)
        self._first = dict(self._last)
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()

    @property
    def seconds(self) -> list[float]:
        """CPU seconds of each thread since the start, the busiest first (the sampler left out; threads that used
        none too)."""
        used = [seconds - self._first.get(tid, 0.0) for tid, seconds in self._last.items()]
        return sorted((round(seconds, 2) for seconds in used if seconds > 0), reverse=True)

    def _sample(self) -> None:
        me = threading.get_native_id()
        while True:
            self._read(skip=me)
            if self._stop.wait(0.05):
                return

    def _read(self, skip: int) -> None:
        for task in Path("/proc/self/task").iterdir():
            tid = int(task.name)
            if tid == skip:
                continue
            try:
                fields = (task / "stat").read_text().rsplit(")", 1)[1].split()
            except (FileNotFoundError, ProcessLookupError):
                continue
            self._last[tid] = (int(fields[11]) + int(fields[12])) / _TICKS


class ServerCpu:
    """CPU used by the PostgreSQL backends connected to one database, sampled while the import runs
    (a backend's last sample before it exits is what counts)."""

    def __init__(self, admin_url: str, database: str) -> None:
        self._admin_url = admin_url
        self._database = database
        self._first: dict[int, float] = {}
        self._last: dict[int, float] = {}
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)

    def __enter__(self) -> ServerCpu:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()

    @property
    def seconds(self) -> float:
        return sum(last - self._first.get(pid, 0.0) for pid, last in self._last.items())

    def _sample(self) -> None:
        import psycopg

        with psycopg.connect(self._admin_url, autocommit=True) as admin:
            while True:
                rows = admin.execute(
                    "SELECT pid FROM pg_stat_activity WHERE datname = %s", (self._database,)
                ).fetchall()
                for (pid,) in rows:
                    self._last[pid] = process_cpu_seconds(pid)
                if self._stop.wait(0.1):
                    return


def fresh_sqlite(name: str, count: int) -> Path:
    database = OUT / f"import-{name}-{count}.db"
    for suffix in ("", "-wal", "-shm"):
        Path(f"{database}{suffix}").unlink(missing_ok=True)
    return database


def run_driver(path: Path, database: Path) -> dict[str, Any]:
    """The limit: the same documents, upserted by the driver's `executemany` into a table keyed the same way."""
    import msgspec

    class Identified(msgspec.Struct):
        interactionId: str

    identify = msgspec.json.Decoder(Identified)
    db = sqlite3.connect(database, isolation_level=None)
    for pragma in ("page_size = 16384", "journal_mode = WAL", "synchronous = NORMAL"):
        db.execute(f"PRAGMA {pragma}")
    db.execute(
        "CREATE TABLE documents (tenant_id TEXT NOT NULL, interaction_id TEXT NOT NULL, doc BLOB NOT NULL,"
        " PRIMARY KEY (tenant_id, interaction_id))"
    )
    upsert = "INSERT INTO documents VALUES (?, ?, ?) ON CONFLICT DO UPDATE SET doc = excluded.doc"
    records = 0

    def write(batch: list[tuple[str, str, bytes]]) -> None:
        db.execute("BEGIN IMMEDIATE")
        db.executemany(upsert, batch)
        db.execute("COMMIT")

    with open(path, "rb") as lines:
        batch: list[tuple[str, str, bytes]] = []
        for line in lines:
            document = line.rstrip(b"\n")
            batch.append((TENANT.id, identify.decode(document).interactionId, document))
            if len(batch) == _DRIVER_BATCH:
                write(batch)
                records += len(batch)
                batch = []
        if batch:
            write(batch)
            records += len(batch)
    db.close()
    return {"records": records}


def run_cxreport(url: str, path: Path, writers: int | None, admin_url: str | None) -> dict[str, Any]:
    from cxreport.cli.import_records import import_files
    from cxreport.store import open_store

    store = open_store(url, workload="bulk-writes")
    store.migrate()
    store.create_tenant(TENANT)
    server = ServerCpu(admin_url, url.rsplit("/", 1)[1]) if admin_url else None
    if server:
        server.__enter__()
    report = import_files(store, TENANT.id, [str(path)], progress=False, writers=writers)
    if server:
        server.__exit__()
    store.close()
    result: dict[str, Any] = {"records": report.records_read, "writers": writers or store.bulk_writers}
    if server:
        result["server_cpu_s"] = round(server.seconds, 1)
    return result


def one_run(kind: str, path: Path, count: int, writers: int | None, admin_url: str | None) -> dict[str, Any]:
    """One import in this process (`--one`), timed from the first read to the last commit."""
    threads = ThreadCpu().__enter__()
    started, cpu_started = time.perf_counter(), own_cpu_seconds()
    if kind == "driver":
        result = run_driver(path, fresh_sqlite("driver", count))
    elif kind == "sqlite":
        result = run_cxreport(f"sqlite:///{fresh_sqlite('cxreport', count)}", path, writers, None)
    else:
        if not admin_url:
            raise SystemExit("--postgres is needed for the postgresql runs")
        sys.path.insert(0, str(Path(__file__).parent.parent / "tests"))
        from support.postgres import temporary_postgres_database

        with temporary_postgres_database(admin_url) as url:
            started, cpu_started = time.perf_counter(), own_cpu_seconds()
            result = run_cxreport(url, path, writers, admin_url)
    elapsed, cpu = time.perf_counter() - started, own_cpu_seconds() - cpu_started
    threads.__exit__()
    busiest = threads.seconds[0]
    return {
        "store": kind,
        **result,
        "seconds": round(elapsed, 2),
        "records_per_s": round(result["records"] / elapsed),
        "client_cpu_s": round(cpu, 2),
        "thread_cpu_s": threads.seconds,
        "records_per_busiest_thread_cpu_s": round(result["records"] / busiest),
        "peak_rss_mb": round(peak_rss_mb()),
        "load_average": round(os.getloadavg()[0], 2),
    }


def spawn(kind: str, path: Path, args: argparse.Namespace) -> dict[str, Any]:
    command = [sys.executable, __file__, "--one", kind, "--count", str(args.count), "--seed", str(args.seed)]
    if args.postgres:
        command += ["--postgres", args.postgres]
    if args.writers:
        command += ["--writers", str(args.writers)]
    output = subprocess.run(command, check=True, capture_output=True, text=True).stdout
    result: dict[str, Any] = json.loads(output.strip().splitlines()[-1])
    print(json.dumps(result), file=sys.stderr)
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--count", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--postgres", default=os.environ.get("CXREPORT_BENCH_POSTGRES_URL"),
                        help="admin URL of a PostgreSQL server: a fresh database per run, dropped after")
    parser.add_argument("--stores", default=None,
                        help="runs of each round, comma-separated (default: driver,sqlite and, with --postgres, "
                        "postgresql)")
    parser.add_argument("--writers", type=int, default=None, help="writers for both stores (default: each store's)")
    parser.add_argument("--one", choices=("driver", "sqlite", "postgresql"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    path = data_file(args.count, args.seed)
    if args.one:
        print(json.dumps(one_run(args.one, path, args.count, args.writers, args.postgres)))
        return
    kinds = (args.stores or ("driver,sqlite,postgresql" if args.postgres else "driver,sqlite")).split(",")
    results: list[dict[str, Any]] = []
    ratios: list[float] = []
    cpu_ratios: list[float] = []
    for round_number in range(args.rounds):
        shift = round_number % len(kinds)
        by_kind = {kind: spawn(kind, path, args) for kind in kinds[shift:] + kinds[:shift]}
        results += by_kind.values()
        if "driver" in by_kind and "sqlite" in by_kind:
            ratios.append(by_kind["sqlite"]["records_per_s"] / by_kind["driver"]["records_per_s"])
            cpu_ratios.append(by_kind["sqlite"]["records_per_busiest_thread_cpu_s"]
                              / by_kind["driver"]["records_per_busiest_thread_cpu_s"])
    for kind in ("driver", "sqlite"):
        fresh_sqlite(kind if kind == "driver" else "cxreport", args.count)  # leave no database behind
    OUT.mkdir(exist_ok=True)
    (OUT / "import.json").write_text(json.dumps(results, indent=2))
    print(f"{args.count:,} records, {args.rounds} round(s); load average {os.getloadavg()[0]:.2f}")
    print(f"{'run':<12}{'records/s (median)':>20}{'best':>10}{'CPU s':>8}{'records/CPU s':>15}"
          f"{'records/busiest thread CPU s':>30}{'peak RSS MB':>13}{'server CPU s':>14}")
    for kind in kinds:
        runs = [result for result in results if result["store"] == kind]
        rates = [result["records_per_s"] for result in runs]
        cpu = statistics.median(result["client_cpu_s"] for result in runs)
        server = [result["server_cpu_s"] for result in runs if "server_cpu_s" in result]
        print(f"{kind:<12}{statistics.median(rates):>20,.0f}{max(rates):>10,}{cpu:>8.1f}"
              f"{runs[0]['records'] / cpu:>15,.0f}"
              f"{statistics.median(r['records_per_busiest_thread_cpu_s'] for r in runs):>30,.0f}"
              f"{max(result['peak_rss_mb'] for result in runs):>13}"
              f"{statistics.median(server) if server else '':>14}")
    if ratios:
        print(f"cxreport import / driver executemany, records/s, per round: "
              f"{', '.join(f'{ratio:.2f}' for ratio in ratios)}; median {statistics.median(ratios):.2f}")
        print(f"the same per CPU second of the busiest thread (the rate on an idle machine, a core a thread): "
              f"{', '.join(f'{ratio:.2f}' for ratio in cpu_ratios)}; median {statistics.median(cpu_ratios):.2f}")


if __name__ == "__main__":
    main()
