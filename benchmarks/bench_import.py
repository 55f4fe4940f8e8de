"""Bulk import rate, SQLite and PostgreSQL side by side on the same file (issue 3's criterion).

    .venv/bin/python benchmarks/bench_import.py --count 1000000 --postgres postgresql://postgres@127.0.0.1:5432/test

Each round imports the file into a fresh SQLite file and a fresh PostgreSQL database (created on the
server the admin URL names, dropped after), through `cxreport import`'s code path and memory settings,
alternating which store goes first so that a change in the machine's load hits both. Besides records/s it
prints where the CPU went: this process (reading, validating, and for SQLite the database itself) and, for
PostgreSQL, the server processes serving the import's connections. Results: benchmarks/out/import.json.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import threading
import time
from pathlib import Path
from typing import Any

from bench_search import OUT, TENANT, data_file

from cxreport.cli.import_records import import_files
from cxreport.store import open_store

_TICKS = os.sysconf("SC_CLK_TCK")


def process_cpu_seconds(pid: int) -> float:
    """User + system CPU of a process, from /proc (0 once it is gone)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except FileNotFoundError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / _TICKS


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


def import_once(name: str, url: str, path: Path, writers: int | None, admin_url: str | None) -> dict[str, Any]:
    store = open_store(url, workload="bulk-writes")
    store.migrate()
    store.create_tenant(TENANT)
    server = ServerCpu(admin_url, url.rsplit("/", 1)[1]) if admin_url else None
    started, cpu_started = time.perf_counter(), time.process_time()
    if server:
        server.__enter__()
    report = import_files(store, TENANT.id, [str(path)], progress=sys.stderr.isatty(), writers=writers)
    elapsed, client_cpu = time.perf_counter() - started, time.process_time() - cpu_started
    if server:
        server.__exit__()
    store.close()
    records = report.records_read
    result = {
        "store": name,
        "records": records,
        "seconds": round(elapsed, 1),
        "records_per_s": round(records / elapsed),
        "client_cpu_s": round(client_cpu, 1),
        "server_cpu_s": round(server.seconds, 1) if server else None,
        "writers": writers or store.bulk_writers,
        "load_average": round(os.getloadavg()[0], 1),
    }
    print(json.dumps(result), file=sys.stderr)
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--count", type=int, default=1_000_000)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--rounds", type=int, default=1)
    parser.add_argument("--postgres", default=os.environ.get("CXREPORT_BENCH_POSTGRES_URL"),
                        help="admin URL of a PostgreSQL server: a fresh database per round, dropped after")
    parser.add_argument("--stores", default="sqlite,postgresql", help="which stores, comma-separated")
    parser.add_argument("--writers", type=int, default=None, help="writers for both stores (default: each store's)")
    args = parser.parse_args()
    path = data_file(args.count, args.seed)
    sys.path.insert(0, str(Path(__file__).parent.parent / "tests"))
    from support.postgres import temporary_postgres_database

    results: list[dict[str, Any]] = []
    for round_number in range(args.rounds):
        order = ["sqlite", "postgresql"] if round_number % 2 == 0 else ["postgresql", "sqlite"]
        for name in (name for name in order if name in args.stores.split(",")):
            if name == "sqlite":
                database = OUT / f"import-{args.count}.db"
                for suffix in ("", "-wal", "-shm"):
                    Path(f"{database}{suffix}").unlink(missing_ok=True)
                results.append(import_once(name, f"sqlite:///{database}", path, args.writers, None))
            elif args.postgres:
                with temporary_postgres_database(args.postgres) as url:
                    results.append(import_once(name, url, path, args.writers, args.postgres))
    OUT.mkdir(exist_ok=True)
    (OUT / "import.json").write_text(json.dumps(results, indent=2))
    print(f"{'store':<12}{'records/s (median)':>20}{'best':>10}{'client CPU s':>14}{'server CPU s':>14}")
    for name in ("sqlite", "postgresql"):
        runs = [result for result in results if result["store"] == name]
        if runs:
            rates = [result["records_per_s"] for result in runs]
            server = runs[0]["server_cpu_s"]
            print(f"{name:<12}{statistics.median(rates):>20,.0f}{max(rates):>10,}"
                  f"{statistics.median(r['client_cpu_s'] for r in runs):>14}"
                  f"{'' if server is None else statistics.median(r['server_cpu_s'] for r in runs):>14}")


if __name__ == "__main__":
    main()
