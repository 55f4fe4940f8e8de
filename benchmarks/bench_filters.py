"""Filters, cursor paging and export at scale (issue 5's figures), on SQLite or PostgreSQL.

    .venv/bin/python benchmarks/bench_filters.py --count 1000000 [--postgres ADMIN_URL]

Loads the synthetic data set once (SQLite: kept in benchmarks/out/ for reruns; PostgreSQL: a fresh database,
dropped after), then prints p50/p99 of
  - a 10-record page for each filter alone (the whole data set as the window), with its total;
  - the page at the 900,000th record by cursor, next to the first page (with and without the exact total);
  - the same by offset;
and the export rate and peak memory of `cxreport export` (NDJSON and CSV) to a file.

`--export-only --export-rounds 3` (SQLite; issue 16's figure): only `cxreport export` to a file next to the raw
SQL read + write loop of the same documents (one SELECT of the tenant's documents in the export's order, each
written to a file with a newline; once with the driver's defaults, once through a memory map of the file),
each a process of its own, the order rotating each round, with the ratio of their records/s per round, CPU
seconds (user, system) and peak RSS (all, and anonymous: without the file pages a memory map holds).
"""

from __future__ import annotations

import argparse
import compileall
import json
import os
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).parent))
sys.path.insert(0, str(Path(__file__).parent.parent / "tests"))

from bench_search import OUT, TENANT, data_file, load, timed

import cxreport
from cxreport.http import bodies
from cxreport.records.filters import parse_filters
from cxreport.service import interactions as service
from cxreport.service.cursors import CursorCodec
from cxreport.service.search import SearchRequest, page_request
from cxreport.store import Store, open_store
from cxreport.store.base import PageRequest


def sample_values(path: Path) -> dict[str, str]:
    """A realistic value for each filter, taken from the data set itself."""
    with open(path, "rb") as lines:
        records = [json.loads(next(lines)) for _ in range(2000)]
    answered = next(r for r in records if r.get("agents") and r.get("contactId"))
    return {
        "channelType": "sms",
        "direction": "outbound",
        "customer": answered["customer"],
        "contactPoint": answered["contactPoint"],
        "contactId": answered["contactId"],
        "agentId": answered["agents"][0]["agentId"],
        "queueId": answered["queues"][0]["queueId"],
        "flowId": answered["flowId"],
        "flagged": "true",
        "abandoned": "true",
    }


def search_body(store: Store, search: SearchRequest, cursors: CursorCodec | None = None) -> bytes:
    return bodies.search_envelope(service.search(store, TENANT.id, search, cursors))


def filter_pages(store: Store, values: dict[str, str], repeat: int) -> dict[str, Any]:
    results: dict[str, Any] = {}
    for name, value in values.items():
        params = SearchRequest(filters=parse_filters({name: [value]}))
        total = json.loads(search_body(store, params))["total"]
        results[f"{name}={value[:12]}"] = {**timed(lambda p=params: search_body(store, p), repeat), "total": total}
    combined = SearchRequest(filters=parse_filters({"channelType": ["voice"], "queueId": [values["queueId"]],
                                                    "abandoned": ["true"]}))
    results["channelType+queueId+abandoned"] = {
        **timed(lambda: search_body(store, combined), repeat),
        "total": json.loads(search_body(store, combined))["total"],
    }
    return results


def deep_pages(store: Store, cursors: CursorCodec, count: int, repeat: int) -> dict[str, Any]:
    position = min(900_000, count - 20)
    first = SearchRequest(limit=10)
    first_request, fingerprint = page_request(first, TENANT.id, cursors)
    key = store.search(TENANT.id, PageRequest(first_request.query, 1, position - 1, count=False)).key(0)
    deep = SearchRequest(limit=10, cursor=cursors.encode(TENANT.id, fingerprint, key))
    deep_request = page_request(deep, TENANT.id, cursors)[0]
    return {
        "position": position,
        "first_page_with_total": timed(lambda: search_body(store, first, cursors), repeat),
        "cursor_page_with_total": timed(lambda: search_body(store, deep, cursors), repeat),
        "first_page_without_total": timed(
            lambda: store.search(TENANT.id, PageRequest(first_request.query, 11, count=False)), repeat),
        "cursor_page_without_total": timed(
            lambda: store.search(TENANT.id, PageRequest(deep_request.query, 11, count=False)), repeat),
        "offset_page_without_total": timed(
            lambda: store.search(TENANT.id, PageRequest(first_request.query, 11, position, count=False)),
            max(repeat // 5, 5)),
    }


def run_measuring_peak(command: list[str]) -> tuple[float, float]:
    """Run a command; return its peak resident memory in MB (VmHWM, polled while it runs) and the peak of its
    anonymous part (RssAnon: the process's own memory, without the file pages it maps). Not the children's
    ru_maxrss: a child started by vfork inherits the parent's high-water mark until it execs."""
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    peak_kb = anon_kb = 0
    while process.poll() is None:
        try:
            status = Path(f"/proc/{process.pid}/status").read_text()
            peak_kb = max(peak_kb, int(status.split("VmHWM:")[1].split()[0]))
            anon_kb = max(anon_kb, int(status.split("RssAnon:")[1].split()[0]))
        except (FileNotFoundError, IndexError, ProcessLookupError):  # it exited between poll() and the read
            pass
        time.sleep(0.02)
    if process.returncode != 0:
        raise subprocess.CalledProcessError(process.returncode, command)
    return peak_kb / 1024, anon_kb / 1024


def export_run(url: str, export_format: str, count: int) -> dict[str, Any]:
    target = OUT / f"export.{export_format}"
    command = [str(Path(sys.executable).parent / "cxreport"), "export", "--database", url, "--tenant", TENANT.id,
               "--format", export_format, "--output", str(target)]
    started = time.perf_counter()
    measured = run_measuring_peak_and_cpu(command)
    return _export_result(measured, time.perf_counter() - started, target, count)


def _export_result(measured: dict[str, float], seconds: float, target: Path, count: int) -> dict[str, Any]:
    size = target.stat().st_size
    target.unlink()
    return {"records": count, "seconds": round(seconds, 2), "records_per_s": round(count / seconds),
            **{name: round(value, 2) for name, value in measured.items()}, "file_mb": round(size / 2**20, 1)}


RAW_EXPORT = """
import sqlite3, sys
database, tenant, target, mmap_size = sys.argv[1:5]
db = sqlite3.connect(database)
db.execute(f"PRAGMA mmap_size = {int(mmap_size)}")
with open(target, "wb") as out:
    write = out.write
    for (doc,) in db.execute(
        "SELECT doc FROM interactions WHERE tenant_id = ? ORDER BY start_us DESC, interaction_id DESC", (tenant,)
    ):
        write(doc)
        write(b"\\n")
"""
"""The limit `cxreport export` is measured against: the driver reading the documents in the export's order
(with the driver's defaults, or, `raw-mmap`, through a memory map of the file as `cxreport export` reads)."""


def raw_export_run(database: Path, count: int, mmap_size: int = 0) -> dict[str, Any]:
    target = OUT / "export-raw.ndjson"
    started = time.perf_counter()
    measured = run_measuring_peak_and_cpu([sys.executable, "-c", RAW_EXPORT, str(database), TENANT.id,
                                           str(target), str(mmap_size)])
    return _export_result(measured, time.perf_counter() - started, target, count)


def run_measuring_peak_and_cpu(command: list[str]) -> dict[str, float]:
    """`run_measuring_peak`, and the CPU seconds the command used (its own and its children's)."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    peak, anon = run_measuring_peak(command)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    user, system = after.ru_utime - before.ru_utime, after.ru_stime - before.ru_stime
    return {"cpu_s": user + system, "user_s": user, "sys_s": system, "peak_rss_mb": peak, "peak_anon_mb": anon}


def export_against_raw(database: Path, count: int, rounds: int) -> None:
    """`cxreport export` NDJSON to a file next to the raw loop (and the raw loop through a memory map),
    interleaved, the order rotating each round; prints the ratios and the load average."""
    contenders = {
        "raw": lambda: raw_export_run(database, count),
        "cxreport": lambda: export_run(f"sqlite:///{database}", "ndjson", count),
        "raw-mmap": lambda: raw_export_run(database, count, mmap_size=1 << 40),
    }
    # An installed package comes byte-compiled; with PYTHONDONTWRITEBYTECODE set (as on the shared machine) an
    # editable install would compile every module of cxreport again in each run (~0.09 s of CPU).
    compileall.compile_dir(str(Path(cxreport.__file__).parent), quiet=1)
    runs: dict[str, list[dict[str, Any]]] = {name: [] for name in contenders}
    ratios: dict[str, list[float]] = {"raw": [], "raw-mmap": []}
    loads = []
    names = list(contenders)
    for round_number in range(rounds):
        order = names[round_number % len(names):] + names[:round_number % len(names)]
        for name in order:
            result = contenders[name]()
            print(json.dumps({name: result}), file=sys.stderr)
            runs[name].append(result)
        loads.append(os.getloadavg()[0])
        for name in ratios:
            ratios[name].append(runs["cxreport"][-1]["records_per_s"] / runs[name][-1]["records_per_s"])
    (OUT / "export-vs-raw.json").write_text(json.dumps(runs, indent=2))
    print(f"{count:,} records, {rounds} round(s); load average per round {', '.join(f'{x:.1f}' for x in loads)}")
    print(f"{'export to a file':<20}{'records/s (median)':>20}{'best':>10}{'CPU s':>8}{'user':>7}{'sys':>7}"
          f"{'peak RSS MB':>13}{'anon MB':>9}")
    for name, results in runs.items():
        rates = [result["records_per_s"] for result in results]

        def median(key: str, of: list[dict[str, Any]] = results) -> float:
            return statistics.median(result[key] for result in of)

        print(f"{name:<20}{statistics.median(rates):>20,.0f}{max(rates):>10,}{median('cpu_s'):>8.2f}"
              f"{median('user_s'):>7.2f}{median('sys_s'):>7.2f}{max(r['peak_rss_mb'] for r in results):>13.1f}"
              f"{max(r['peak_anon_mb'] for r in results):>9.1f}")
    for name, values in ratios.items():
        print(f"cxreport export / {name} loop, records/s, per round: {', '.join(f'{r:.2f}' for r in values)};"
              f" median {statistics.median(values):.2f}")


def run(name: str, url: str, path: Path, count: int, repeat: int, fresh: bool) -> dict[str, Any]:
    store = open_store(url)
    results: dict[str, Any] = {"store": name}
    if fresh:
        results["import"] = load(store, path)
    if name == "postgresql":
        import psycopg

        with psycopg.connect(url, autocommit=True) as pg:
            pg.execute("VACUUM ANALYZE")
    cursors = CursorCodec(b"benchmark")
    results["filters"] = filter_pages(store, sample_values(path), repeat)
    results["deep"] = deep_pages(store, cursors, count, repeat)
    store.close()
    results["export_ndjson"] = export_run(url, "ndjson", count)
    results["export_csv"] = export_run(url, "csv", count)
    (OUT / f"filters-{name}.json").write_text(json.dumps(results, indent=2))
    print(json.dumps(results, indent=2))
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--count", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=50)
    parser.add_argument("--postgres", default=None, help="admin URL: load into a fresh database, dropped after")
    parser.add_argument("--export-only", action="store_true", help="SQLite: only export against the raw loop")
    parser.add_argument("--export-rounds", type=int, default=3)
    args = parser.parse_args()
    path = data_file(args.count, 7)
    if args.postgres:
        from support.postgres import temporary_postgres_database

        with temporary_postgres_database(args.postgres) as url:
            run("postgresql", url, path, args.count, args.repeat, fresh=True)
        return
    database = OUT / f"bench-{args.count}.db"  # bench_search.py leaves its SQLite file here: reuse it
    fresh = not database.exists()
    if args.export_only:
        if fresh:
            store = open_store(f"sqlite:///{database}")
            load(store, path)
            store.close()
        export_against_raw(database, args.count, args.export_rounds)
        return
    run("sqlite", f"sqlite:///{database}", path, args.count, args.repeat, fresh)


if __name__ == "__main__":
    main()
