"""Where a PostgreSQL import's CPU goes, per statement: the client thread's CPU and the server backend's CPU
(its `/proc/PID/schedstat` run time, nanoseconds) spent in each kind of statement of `upsert_records`.

    .venv/bin/python benchmarks/profile_pg_import.py --postgres postgresql://postgres@127.0.0.1:5432/test \\
        [--count 20000] [--batch-size 2000] [--skip 0]

The first `--count` records of the benchmark file (`bench_search.data_file(100000, 7)`: random time order) are
imported into a fresh database, one batch after another on one connection (no writer threads: each
statement's CPU is its own). The server must run on this machine (the backend's CPU is read from /proc).
Printed per statement kind: calls, client CPU µs and server CPU µs per record, and the share of each.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections import defaultdict
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from pathlib import Path
from typing import Any

import psycopg
from bench_search import TENANT, data_file

_TOTALS: dict[str, list[float]] = defaultdict(lambda: [0, 0.0, 0.0])
_BACKENDS: dict[int, int] = {}


def _label(query: Any) -> str:
    text = " ".join(str(query if isinstance(query, str) else getattr(query, "as_string", lambda _c: query)(None))
                    .split())
    return text[:70]


def _server_ns(connection: psycopg.Connection[Any]) -> int:
    pid = _BACKENDS.get(id(connection))
    if pid is None:
        pid = _BACKENDS[id(connection)] = connection.info.backend_pid
    return int(Path(f"/proc/{pid}/schedstat").read_text().split()[0])


def _all_backends_ns(admin_url: str, database: str) -> int:
    """Run time of every backend connected to `database` (the writes' and any autovacuum worker's), in ns."""
    with psycopg.connect(admin_url, autocommit=True) as admin:
        pids = [pid for (pid,) in admin.execute(
            "SELECT pid FROM pg_stat_activity WHERE datname = %s AND pid <> pg_backend_pid()", (database,))]
    total = 0
    for pid in pids:
        with suppress(FileNotFoundError):
            total += int(Path(f"/proc/{pid}/schedstat").read_text().split()[0])
    return total


@contextmanager
def _measured(connection: psycopg.Connection[Any], label: str) -> Iterator[None]:
    client, server = time.thread_time_ns(), _server_ns(connection)
    try:
        yield
    finally:
        total = _TOTALS[label]
        total[0] += 1
        total[1] += time.thread_time_ns() - client
        total[2] += _server_ns(connection) - server


def _instrument() -> None:
    """Wrap psycopg's cursor methods (the driver's, not cxreport's) to attribute CPU to statements."""
    execute, executemany, copy = psycopg.Cursor.execute, psycopg.Cursor.executemany, psycopg.Cursor.copy

    def timed_execute(self: psycopg.Cursor[Any], query: Any, params: Any = None, **kwargs: Any) -> Any:
        with _measured(self.connection, _label(query)):
            return execute(self, query, params, **kwargs)

    def timed_executemany(self: psycopg.Cursor[Any], query: Any, params_seq: Any, **kwargs: Any) -> Any:
        with _measured(self.connection, "many: " + _label(query)):
            return executemany(self, query, params_seq, **kwargs)

    @contextmanager
    def timed_copy(self: psycopg.Cursor[Any], statement: Any, *args: Any, **kwargs: Any) -> Iterator[Any]:
        with _measured(self.connection, _label(statement)), copy(self, statement, *args, **kwargs) as c:
            yield c

    psycopg.Cursor.execute = timed_execute  # type: ignore[method-assign]
    psycopg.Cursor.executemany = timed_executemany  # type: ignore[method-assign]
    psycopg.Cursor.copy = timed_copy  # type: ignore[method-assign,assignment]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--postgres", required=True)
    parser.add_argument("--count", type=int, default=20_000)
    parser.add_argument("--batch-size", type=int, default=2000)
    args = parser.parse_args()
    sys.path.insert(0, str(Path(__file__).parent.parent / "tests"))
    from cxreport import clock
    from cxreport.records.validate import prepare_record
    from cxreport.store import open_store
    from support.postgres import temporary_postgres_database

    lines = []
    with open(data_file(100_000, 7), "rb") as source:
        for line in source:
            lines.append(line.rstrip(b"\n"))
            if len(lines) == args.count:
                break
    records = [prepare_record(line, TENANT.id, n) for n, line in enumerate(lines)]
    with temporary_postgres_database(args.postgres) as url:
        store = open_store(url, workload="bulk-writes")
        store.migrate()
        store.create_tenant(TENANT)
        _instrument()
        database = url.rsplit("/", 1)[1]
        started, cpu = time.perf_counter(), time.thread_time()
        whole = _all_backends_ns(args.postgres, database)
        for at in range(0, len(records), args.batch_size):
            store.upsert_records(TENANT.id, records[at : at + args.batch_size], clock.now_us())
        elapsed, cpu = time.perf_counter() - started, time.thread_time() - cpu
        whole = _all_backends_ns(args.postgres, database) - whole
        vacuum = _all_backends_ns(args.postgres, database)
        store.refresh_statistics()
        vacuum = _all_backends_ns(args.postgres, database) - vacuum
        store.close()
    n = len(records)
    client_total = sum(t[1] for t in _TOTALS.values()) / 1e3
    server_total = sum(t[2] for t in _TOTALS.values()) / 1e3
    print(f"{n:,} records, batches of {args.batch_size}: {elapsed:.1f} s wall, {n / elapsed:,.0f} records/s; "
          f"client thread CPU {cpu * 1e6 / n:.1f} µs/record (in statements {client_total / n:.1f}), "
          f"server CPU {server_total / n:.1f} µs/record")
    print(f"every backend of the database: {whole / 1e3 / n:.1f} µs/record in the writes (commits included), "
          f"{vacuum / 1e3 / n:.1f} µs/record in the VACUUM (ANALYZE) after them")
    print(f"{'calls':>7}{'client µs/rec':>15}{'server µs/rec':>15}  statement")
    for label, (calls, client, server) in sorted(_TOTALS.items(), key=lambda item: -(item[1][1] + item[1][2])):
        print(f"{calls:>7}{client / 1e3 / n:>15.1f}{server / 1e3 / n:>15.1f}  {label}")


if __name__ == "__main__":
    main()
