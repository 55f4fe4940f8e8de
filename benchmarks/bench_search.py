"""Import rate and search latency at scale, on SQLite and (when a URL is given) PostgreSQL, side by side.

    .venv/bin/python benchmarks/bench_search.py --count 1000000 [--postgres postgresql://postgres@127.0.0.1/test]

For each store: import rate (records/s) of an NDJSON file through `cxreport import`'s code path, then
p50/p99 latency of
  - the seed request (a 10-hour window, limit 10) and a 1000-record page, in-process (the service call
    that builds the response body) and over HTTP (a real `cxreport serve` process on loopback);
  - the same 1000 rows fetched by raw SQL (no count, no envelope), the floor the store imposes;
  - a prebuilt body of the same size served by the same stack (Litestar on uvicorn), the floor HTTP imposes;
  - deep pages (offset 900,000) by offset.
Figures are printed as a table and written to benchmarks/out/results-<store>.json.
"""

from __future__ import annotations

import argparse
import json
import os
import socket
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import msgspec

from cxreport.cli.import_records import import_files
from cxreport.cli.synthetic import generate_interactions
from cxreport.http import bodies
from cxreport.http.search_query import paged, search_request
from cxreport.service import credentials
from cxreport.service import interactions as service
from cxreport.store import Store, open_store
from cxreport.store.base import Tenant

OUT = Path(__file__).parent / "out"
TENANT = Tenant("5eed0000-0000-4000-8000-000000000001", "Benchmark Tenant", "US/Eastern")
SEED_WINDOW = ("2017-12-29T14:00:00.000Z", "2017-12-29T24:00:00.000Z")


def data_file(count: int, seed: int) -> Path:
    """NDJSON of `count` synthetic records, generated once and cached."""
    OUT.mkdir(exist_ok=True)
    path = OUT / f"interactions-{count}-{seed}.ndjson"
    if not path.exists():
        started = time.perf_counter()
        encode = msgspec.json.encode
        with open(path.with_suffix(".tmp"), "wb") as out:
            for record in generate_interactions(count, seed=seed, tenant_id=TENANT.id):
                out.write(encode(record) + b"\n")
        path.with_suffix(".tmp").rename(path)
        print(f"generated {count:,} records in {time.perf_counter() - started:.1f}s", file=sys.stderr)
    return path


def percentiles(samples: list[float]) -> dict[str, float]:
    ordered = sorted(samples)
    return {
        "p50_ms": round(statistics.median(ordered) * 1000, 3),
        "p99_ms": round(ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))] * 1000, 3),
        "n": len(ordered),
    }


def timed(action: Callable[[], Any], repeat: int, warmup: int = 3) -> dict[str, float]:
    for _ in range(warmup):
        action()
    samples = []
    for _ in range(repeat):
        started = time.perf_counter()
        action()
        samples.append(time.perf_counter() - started)
    return percentiles(samples)


def load(store: Store, path: Path) -> dict[str, Any]:
    store.migrate()
    if store.get_tenant(TENANT.id) is None:
        store.create_tenant(TENANT)
    started = time.perf_counter()
    report = import_files(store, TENANT.id, [str(path)], progress=sys.stderr.isatty())
    elapsed = time.perf_counter() - started
    read = report.records_read
    return {"records": read, "seconds": round(elapsed, 2), "records_per_s": round(read / elapsed),
            "inserted": report.counts.inserted, "unchanged": report.counts.unchanged}


def search_body(store: Store, start: str | None = None, end: str | None = None, limit: int | None = None,
                offset: int | None = None) -> bytes:
    """A search in process as the route runs it: the query's values checked, the search, the envelope."""
    search = paged(search_request((start, "startTimeRange"), (end, "endTimeRange")), limit, None, offset)
    return bodies.search_envelope(service.search(store, TENANT.id, search))


def in_process(store: Store, repeat: int) -> dict[str, Any]:
    start, end = SEED_WINDOW
    body = search_body(store, start, end, limit=1000)
    return {
        "seed_request_limit_10": timed(lambda: search_body(store, start, end), repeat),
        "page_1000_seed_window": timed(lambda: search_body(store, start, end, limit=1000), repeat),
        "page_1000_all_data": timed(lambda: search_body(store, limit=1000), max(repeat // 4, 10)),
        "deep_offset_900000_limit_10": timed(lambda: search_body(store, limit=10, offset=900_000),
                                             max(repeat // 4, 10)),
        "deep_offset_900000_limit_1000": timed(lambda: search_body(store, limit=1000, offset=900_000),
                                               max(repeat // 4, 10)),
        "page_1000_body_bytes": len(body),
        "seed_window_total": json.loads(search_body(store, start, end))["total"],
    }


def raw_sql(url: str, repeat: int) -> dict[str, Any]:
    """The same 1000 rows as the seed-window page, by the simplest SQL: the store's floor."""
    from cxreport.times import parse_instant

    start, end = (parse_instant(t) for t in SEED_WINDOW)
    if url.startswith("sqlite"):
        import sqlite3

        from cxreport.store.sqlite import sqlite_path_from_url

        db = sqlite3.connect(sqlite_path_from_url(url))
        sql = ("SELECT doc FROM interactions WHERE tenant_id = ? AND start_us >= ? AND start_us < ?"
               " ORDER BY start_us DESC, interaction_id DESC LIMIT 1000")
        return timed(lambda: db.execute(sql, (TENANT.id, start, end)).fetchall(), repeat)
    import psycopg

    from cxreport.store.postgres import timestamp_param

    pg = psycopg.connect(url, options="-c plan_cache_mode=force_custom_plan")
    sql = ("SELECT doc::text FROM interactions WHERE tenant_id = %s AND start_ts >= %s AND start_ts < %s"
           " ORDER BY start_ts DESC, interaction_id DESC LIMIT 1000")
    args = (TENANT.id, timestamp_param(start), timestamp_param(end))
    return timed(lambda: pg.execute(sql, args).fetchall(), repeat)  # type: ignore[arg-type]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def wait_up(base: str, process: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError("the server exited")
        try:
            if httpx.get(f"{base}/health", timeout=1).status_code in (200, 503):
                return
        except httpx.HTTPError:
            time.sleep(0.1)
    raise RuntimeError("the server did not start")


def over_http(url: str, store: Store, repeat: int, body_size: int) -> dict[str, Any]:
    key = credentials.issue_key(store, TENANT.id, "read")
    port, const_port = free_port(), free_port()
    bin_dir = Path(sys.executable).parent
    server = subprocess.Popen([str(bin_dir / "cxreport"), "serve", "--database", url, "--port", str(port)],
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                              env={**os.environ, "CXREPORT_RATE_LIMIT": "0"})  # one key, as fast as it can
    constant = subprocess.Popen([sys.executable, str(Path(__file__).parent / "constant_server.py"),
                                 str(const_port), str(body_size)],
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        base, const_base = f"http://127.0.0.1:{port}", f"http://127.0.0.1:{const_port}"
        wait_up(base, server)
        wait_up(const_base, constant)
        path = f"/v1/tenants/{TENANT.id}/interactions"
        seed = {"startTimeRange": SEED_WINDOW[0], "endTimeRange": SEED_WINDOW[1]}
        with httpx.Client(base_url=base, auth=(key.key.id, key.secret), timeout=60) as client, \
                httpx.Client(base_url=const_base, timeout=60) as const_client:
            def get(params: dict[str, Any]) -> Callable[[], Any]:
                return lambda: client.get(path, params=params).raise_for_status()
            return {
                "seed_request_limit_10": timed(get(seed), repeat),
                "page_1000_seed_window": timed(get({**seed, "limit": 1000}), repeat),
                "prebuilt_body_same_size_same_stack": timed(lambda: const_client.get("/").raise_for_status(), repeat),
                "prebuilt_small_body_same_stack": timed(lambda: const_client.get("/small").raise_for_status(), repeat),
            }
    finally:
        for process in (server, constant):
            process.terminate()
            process.wait(timeout=10)


def run(name: str, url: str, path: Path, repeat: int) -> dict[str, Any]:
    print(f"[{name}] importing {path.name} …", file=sys.stderr)
    importing = open_store(url, workload="bulk-writes")  # as `cxreport import` opens it
    results: dict[str, Any] = {"store": name, "import": load(importing, path)}
    importing.close()
    store = open_store(url)  # as `cxreport serve` opens it
    if name == "postgresql":
        import psycopg

        with psycopg.connect(url, autocommit=True) as pg:
            pg.execute("VACUUM ANALYZE interactions")
    print(f"[{name}] in-process latency …", file=sys.stderr)
    results["in_process"] = in_process(store, repeat)
    results["raw_sql_1000_rows_seed_window"] = raw_sql(url, repeat)
    print(f"[{name}] over HTTP …", file=sys.stderr)
    results["http"] = over_http(url, store, repeat, results["in_process"]["page_1000_body_bytes"])
    store.close()
    OUT.mkdir(exist_ok=True)
    (OUT / f"results-{name}.json").write_text(json.dumps(results, indent=2))
    return results


def print_table(all_results: list[dict[str, Any]]) -> None:
    rows: list[tuple[str, list[str]]] = []

    def add(label: str, get: Callable[[dict[str, Any]], Any]) -> None:
        rows.append((label, [str(get(r)) for r in all_results]))

    add("import records/s", lambda r: r["import"]["records_per_s"])
    add("import seconds", lambda r: r["import"]["seconds"])
    for section in ("in_process", "http"):
        for key in all_results[0][section]:
            if isinstance(all_results[0][section][key], dict):
                add(f"{section}: {key} p50/p99 ms",
                    lambda r, s=section, k=key: f"{r[s][k]['p50_ms']} / {r[s][k]['p99_ms']}")
    add("raw SQL 1000 rows p50/p99 ms",
        lambda r: f"{r['raw_sql_1000_rows_seed_window']['p50_ms']} / {r['raw_sql_1000_rows_seed_window']['p99_ms']}")
    add("seed window total", lambda r: r["in_process"]["seed_window_total"])
    add("1000-record page bytes", lambda r: r["in_process"]["page_1000_body_bytes"])
    width = max(len(label) for label, _ in rows) + 2
    print("".ljust(width) + "".join(r["store"].ljust(24) for r in all_results))
    for label, values in rows:
        print(label.ljust(width) + "".join(v.ljust(24) for v in values))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--count", type=int, default=1_000_000)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--repeat", type=int, default=200)
    parser.add_argument("--postgres", default=os.environ.get("CXREPORT_BENCH_POSTGRES_URL"),
                        help="admin URL of a PostgreSQL server: a fresh database is created on it and dropped after")
    parser.add_argument("--skip-sqlite", action="store_true")
    args = parser.parse_args()
    path = data_file(args.count, args.seed)
    results = []
    if not args.skip_sqlite:
        sqlite_file = OUT / f"bench-{args.count}.db"
        for suffix in ("", "-wal", "-shm"):
            Path(f"{sqlite_file}{suffix}").unlink(missing_ok=True)
        results.append(run("sqlite", f"sqlite:///{sqlite_file}", path, args.repeat))
    if args.postgres:
        sys.path.insert(0, str(Path(__file__).parent.parent / "tests"))
        from support.postgres import temporary_postgres_database

        with temporary_postgres_database(args.postgres) as url:
            results.append(run("postgresql", url, path, args.repeat))
    print_table(results)


if __name__ == "__main__":
    main()
