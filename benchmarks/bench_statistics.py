"""Interval statistics at scale: event import with the queue-entry facts, then `GET …/statistics`'s latency.

    .venv/bin/python benchmarks/bench_statistics.py [--count 1000000] [--days 90] [--queues 30] [--agents 300]
        [--timezone America/New_York] [--repeat 100] [--budget 30]
        [--postgres postgresql://postgres@127.0.0.1:5432/test] [--skip-sqlite] [--reuse-sqlite]

The synthetic generator (`cxreport.cli.synthetic.generate_events`, its catalogue sized to `--queues` and
`--agents`) writes `--count` interactions' events over `--days` local days from 2024-01-01 in `--timezone`
(the tenant's zone) to NDJSON in `benchmarks/out/`, once per set of parameters. Each store gets them through
`import_event_files` in a fresh database, exactly what `cxreport import-events` runs (its batches, its
bulk-writes settings, its statistics refresh after): the records derived and their queue-entry facts are
written in the same transactions, so events/s here include the facts' cost. SQLite's file stays in
`benchmarks/out/` (`--reuse-sqlite` queries it again without loading); PostgreSQL gets a database made for
the run and dropped after.

Then, for each of three queries in the tenant's zone
  - a day of 15-minute buckets for all queues (grouped by queue; a weekday in the middle of the range),
  - a month hourly by queue (the calendar month of the range's middle day, within the range),
  - the whole range (a quarter at 90 days) daily by channel,
p50 and p99 over repeated runs (`--repeat` at most, `--budget` seconds at most, 10 at least; 3 unmeasured
first): the store's sums alone (`Store.queue_entry_slots`), in process (`service.statistics.statistics`, the
function the route calls, and the JSON body the route makes of its table), and over HTTP (a real
`cxreport serve` on loopback, one key, no rate limit). A query the service refuses (more than 10,000
buckets × groups: a month hourly by 30 queues is 21,600 rows) is timed as refused over HTTP (the 400 comes
after the store's sums), and in process with the row limit lifted, so its cost is still known.
Figures are printed and written to `benchmarks/out/statistics-<store>-<parameters>.json`.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit
from zoneinfo import ZoneInfo

import httpx
import msgspec
from bench_search import free_port, percentiles, wait_up

from cxreport.cli.import_events import DEFAULT_BATCH_SIZE, import_event_files
from cxreport.cli.synthetic import generate_events
from cxreport.errors import InvalidParameter
from cxreport.http.statistics import json_body
from cxreport.service import credentials
from cxreport.service import statistics as service
from cxreport.service.intervals import buckets, zone_named
from cxreport.store import Store, open_store
from cxreport.store.base import SlotQuery, Tenant
from cxreport.store.rollups import rollup_for
from cxreport.times import format_instant

OUT = Path(__file__).resolve().parent / "out"
TENANT_ID = "5eed0000-0000-4000-8000-000000000012"
FIRST_DAY = date(2024, 1, 1)


@dataclass(frozen=True, slots=True)
class Query:
    name: str
    start_us: int
    end_us: int
    interval: str
    group_by: tuple[str, ...]


def local_midnight_us(day: date, zone: ZoneInfo) -> int:
    moment = datetime(day.year, day.month, day.day, tzinfo=zone).astimezone(UTC)
    return (moment - datetime(1970, 1, 1, tzinfo=UTC)) // timedelta(microseconds=1)


def queries(days: int, zone: ZoneInfo) -> list[Query]:
    """The three queries over a range of `days` local days from `FIRST_DAY`."""
    last = FIRST_DAY + timedelta(days=days)
    middle = FIRST_DAY + timedelta(days=days // 2)
    while middle.weekday() >= 5 and middle + timedelta(days=1) < last:  # a weekday: a day of full queues
        middle += timedelta(days=1)
    month_start = max(middle.replace(day=1), FIRST_DAY)
    month_end = min((middle.replace(day=28) + timedelta(days=4)).replace(day=1), last)
    return [
        Query(f"a day of 15m for all queues ({middle}, by queue)", local_midnight_us(middle, zone),
              local_midnight_us(middle + timedelta(days=1), zone), "15m", ("queue",)),
        Query(f"a month hourly by queue ({month_start} to {month_end})", local_midnight_us(month_start, zone),
              local_midnight_us(month_end, zone), "hour", ("queue",)),
        Query(f"{days} days daily by channel ({FIRST_DAY} to {last})", local_midnight_us(FIRST_DAY, zone),
              local_midnight_us(last, zone), "day", ("channelType",)),
    ]


def events_file(args: argparse.Namespace, zone: ZoneInfo) -> tuple[Path, int]:
    """The NDJSON event stream (cached by its parameters) and its number of events."""
    OUT.mkdir(exist_ok=True)
    stem = f"statistics-events-{args.count}-{args.days}d-{args.queues}q-{args.agents}a-{args.seed}"
    path, counted = OUT / f"{stem}.ndjson", OUT / f"{stem}.count"
    if path.exists() and counted.exists():
        return path, int(counted.read_text())
    start = format_instant(local_midnight_us(FIRST_DAY, zone))
    end = format_instant(local_midnight_us(FIRST_DAY + timedelta(days=args.days), zone))
    print(f"generating {args.count:,} interactions from {start} to {end} …", file=sys.stderr)
    started = time.perf_counter()
    encode = msgspec.json.Encoder().encode
    total = 0
    with open(path.with_suffix(".tmp"), "wb") as out:
        streams = generate_events(args.count, seed=args.seed, tenant_id=TENANT_ID, start=start, end=end,
                                  queues=args.queues, agents=args.agents)
        for events in streams:
            out.write(b"".join(encode(event) + b"\n" for event in events))
            total += len(events)
    path.with_suffix(".tmp").rename(path)
    counted.write_text(str(total))
    print(f"generated {total:,} events in {time.perf_counter() - started:.0f} s", file=sys.stderr)
    return path, total


def load_events(url: str, tenant: Tenant, path: Path, events: int, batch_size: int) -> dict[str, Any]:
    """`cxreport import-events` of the file into a fresh store: events/s, CPU, load average."""
    store = open_store(url, "bulk-writes")  # as import-events opens it
    store.migrate()
    store.create_tenant(tenant)
    load_before = os.getloadavg()[0]
    started, cpu_started = time.perf_counter(), time.process_time()
    report = import_event_files(store, tenant.id, [str(path)], batch_size=batch_size, progress=sys.stderr.isatty())
    store.refresh_statistics()  # as import-events does after a load
    elapsed, cpu = time.perf_counter() - started, time.process_time() - cpu_started
    store.close()
    assert report.counts.accepted == events and not report.rejected, (report.counts, report.rejected[:3])
    return {
        "events": events, "seconds": round(elapsed, 1), "events_per_s": round(events / elapsed),
        "cpu_seconds": round(cpu, 1), "events_per_cpu_s": round(events / cpu),
        "record_derivations": report.counts.interactions,
        "load_average_before_after": [round(load_before, 1), round(os.getloadavg()[0], 1)],
        "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024),
    }


def timed(action: Callable[[], Any], repeat: int, budget: float) -> dict[str, float]:
    """p50/p99 of `action`: 3 unmeasured runs, then up to `repeat` runs or `budget` seconds (10 runs at least);
    wall clock, and CPU time of this process (`cpu_p50_ms`, `cpu_p99_ms`: what a query costs in process,
    whatever else the machine runs; over HTTP or on PostgreSQL the work is in another process)."""
    return timed_side_by_side({"": action}, repeat, budget)[""]


def timed_side_by_side(actions: dict[str, Callable[[], Any]], repeat: int,
                       budget: float) -> dict[str, dict[str, float]]:
    """`timed` of several actions in interleaved rounds (one run of each per round), so each sees the same
    machine; the budget is for all of them."""
    for action in actions.values():
        for _ in range(3):
            action()
    walls: dict[str, list[float]] = {name: [] for name in actions}
    cpus: dict[str, list[float]] = {name: [] for name in actions}
    deadline = time.perf_counter() + budget
    rounds = 0
    while rounds < repeat and (rounds < 10 or time.perf_counter() < deadline):
        for name, action in actions.items():
            started, cpu_started = time.perf_counter(), time.process_time()
            action()
            walls[name].append(time.perf_counter() - started)
            cpus[name].append(time.process_time() - cpu_started)
        rounds += 1
    found = {}
    for name in actions:
        cpu = percentiles(cpus[name])
        found[name] = {**percentiles(walls[name]), "cpu_p50_ms": cpu["p50_ms"], "cpu_p99_ms": cpu["p99_ms"]}
    return found


@contextmanager
def row_limit_lifted() -> Iterator[None]:
    """The service's 10,000-row limit out of the way (in this process only), to time a query it refuses."""
    limit = service.MAX_BUCKETS
    service.MAX_BUCKETS = 10**9
    try:
        yield
    finally:
        service.MAX_BUCKETS = limit


def request_of(query: Query, zone: str) -> service.StatisticsRequest:
    return service.StatisticsRequest(query.start_us, query.end_us, query.interval, query.group_by, zone)


def in_process(store: Store, query: Query, zone: str, repeat: int, budget: float) -> dict[str, Any]:
    request = request_of(query, zone)
    found = buckets(query.start_us, query.end_us, query.interval, zone_named(zone), 0)
    slots = SlotQuery(query.start_us, query.end_us, found.slot_us, query.group_by, (), None)
    from_facts = replace(slots, use_rollups=False)
    result: dict[str, Any] = {"buckets": len(found), "rollup": getattr(rollup_for(slots), "table", None)}
    sums = timed_side_by_side({"rollups": lambda: store.queue_entry_slots(TENANT_ID, slots),
                               "facts": lambda: store.queue_entry_slots(TENANT_ID, from_facts)}, repeat, budget)
    result["store_sums"], result["store_sums_from_facts"] = sums["rollups"], sums["facts"]
    result["slot_rows"] = len(list(store.queue_entry_slots(TENANT_ID, slots)))
    def ordered(query: SlotQuery) -> list[Any]:
        return sorted(store.queue_entry_slots(TENANT_ID, query), key=lambda row: (row.slot, repr(row.group)))

    assert ordered(slots) == ordered(from_facts), "the rollups and the facts disagree"

    def body() -> bytes:
        return json_body(service.statistics(store, TENANT_ID, request))

    try:
        table = service.statistics(store, TENANT_ID, request)
    except InvalidParameter as refusal:
        result["refused"] = refusal.message
        with row_limit_lifted():
            table = service.statistics(store, TENANT_ID, request)
            result["service_and_body_row_limit_lifted"] = timed(body, repeat, budget)
        pages = -(-len(table.rows) // service.MAX_BUCKETS)

        def every_page() -> None:
            for page in range(pages):
                json_body(service.statistics(store, TENANT_ID, replace(request, limit=service.MAX_BUCKETS,
                                                                       page=page)))

        def first_page() -> None:
            json_body(service.statistics(store, TENANT_ID, replace(request, limit=service.MAX_BUCKETS)))

        paged = timed_side_by_side({"first": first_page, "every": every_page}, repeat, budget)
        result["pages"] = pages
        result["service_and_body_first_page"], result["service_and_body_every_page"] = paged["first"], paged["every"]
    else:
        result["service_and_body"] = timed(body, repeat, budget)
    result["rows"] = len(table.rows)
    result["offered"] = sum(row["offered"] for row in table.rows)
    with row_limit_lifted():
        result["body_bytes"] = len(body())
    return result


def over_http(url: str, store: Store, found: list[Query], zone: str, repeat: int, budget: float) -> list[Any]:
    key = credentials.issue_key(store, TENANT_ID, "read")
    port = free_port()
    server = subprocess.Popen([str(Path(sys.executable).parent / "cxreport"), "serve", "--database", url,
                               "--port", str(port)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                              env={**os.environ, "CXREPORT_RATE_LIMIT": "0"})  # one key, as fast as it can
    try:
        base = f"http://127.0.0.1:{port}"
        wait_up(base, server)
        path = f"/v1/tenants/{TENANT_ID}/statistics"
        results = []
        with httpx.Client(base_url=base, auth=(key.key.id, key.secret), timeout=300) as client:
            for query in found:
                params = {"start": format_instant(query.start_us), "end": format_instant(query.end_us),
                          "interval": query.interval, "groupBy": ",".join(query.group_by), "timezone": zone}
                status = client.get(path, params=params).status_code
                assert status in (200, 400), status

                def get(params: dict[str, str] = params, status: int = status) -> None:
                    assert client.get(path, params=params).status_code == status

                measured: dict[str, Any] = {"status": status, **timed(get, repeat, budget)}
                if status == 400:  # the same table in pages of 10,000 rows, following nextUrl

                    def every_page(params: dict[str, str] = params) -> None:
                        response = client.get(path, params={**params, "limit": str(service.MAX_BUCKETS)})
                        while (following := response.json()["nextUrl"]) is not None:
                            response = client.get(following)
                            assert response.status_code == 200

                    measured["every_page"] = timed(every_page, repeat, budget)
                results.append(measured)
        return results
    finally:
        server.terminate()
        server.wait(timeout=10)


def run(name: str, url: str, args: argparse.Namespace, path: Path | None, events: int) -> dict[str, Any]:
    tenant = Tenant(TENANT_ID, "Statistics Benchmark", args.timezone)
    result: dict[str, Any] = {"store": name, "count": args.count, "days": args.days, "queues": args.queues,
                              "agents": args.agents, "timezone": args.timezone}
    if path is not None:
        print(f"[{name}] import-events of {events:,} events …", file=sys.stderr)
        result["load"] = load_events(url, tenant, path, events, args.batch_size)
        loaded = result["load"]
        print(f"[{name}] loaded: {loaded['events_per_s']:,} events/s ({loaded['seconds']} s, "
              f"{loaded['events_per_cpu_s']:,} events per CPU-second of this process; load average "
              f"{loaded['load_average_before_after'][0]} before, {loaded['load_average_before_after'][1]} after)")
    if path is None:  # a store loaded by an earlier run: brought to this version's schema first, timed
        migrating = open_store(url)
        started = time.perf_counter()
        result["migrated_to"] = migrating.migrate()
        result["migration_seconds"] = round(time.perf_counter() - started, 1)
        migrating.close()
        print(f"[{name}] schema version {result['migrated_to']} ({result['migration_seconds']} s)", file=sys.stderr)
    store = open_store(url)  # as `cxreport serve` opens it
    found = queries(args.days, ZoneInfo(args.timezone))
    result["load_average_queries_start"] = round(os.getloadavg()[0], 1)
    result["queries"] = []
    for query in found:
        print(f"[{name}] in process: {query.name} …", file=sys.stderr)
        result["queries"].append({"name": query.name, "interval": query.interval, "group_by": query.group_by,
                                  "start": format_instant(query.start_us), "end": format_instant(query.end_us),
                                  "in_process": in_process(store, query, args.timezone, args.repeat, args.budget)})
    print(f"[{name}] over HTTP …", file=sys.stderr)
    for entry, http in zip(result["queries"], over_http(url, store, found, args.timezone, args.repeat, args.budget),
                           strict=True):
        entry["http"] = http
    store.close()
    result["load_average_queries_end"] = round(os.getloadavg()[0], 1)
    stem = f"{args.count}-{args.days}d-{args.queues}q-{args.agents}a"
    (OUT / f"statistics-{name}-{stem}.json").write_text(json.dumps(result, indent=2))
    return result


def report(result: dict[str, Any]) -> None:
    def ms(figure: dict[str, float] | None) -> str:
        if not figure:
            return " " * 24
        cpu = f" (CPU {figure['cpu_p50_ms']:.1f} / {figure['cpu_p99_ms']:.1f})" if "cpu_p50_ms" in figure else ""
        return f"{figure['p50_ms']:>9.1f} {figure['p99_ms']:>9.1f} {figure['n']:>4}{cpu}"

    print(f"\n{result['store']}: {result['count']:,} interactions over {result['days']} days,"
          f" {result['queues']} queues, {result['agents']} agents, zone {result['timezone']};"
          f" load average {result['load_average_queries_start']}"
          f" at the start of the queries, {result['load_average_queries_end']} at the end")
    if "load" in result:
        loaded = result["load"]
        print(f"  import-events: {loaded['events']:,} events in {loaded['seconds']} s: {loaded['events_per_s']:,}"
              f" events/s, {loaded['events_per_cpu_s']:,} per CPU-second of this process; load average"
              f" {loaded['load_average_before_after'][0]} → {loaded['load_average_before_after'][1]}")
    print(f"  {'query':<58} {'how':<36} {'p50 ms':>9} {'p99 ms':>9} {'n':>4}")
    for entry in result["queries"]:
        done = entry["in_process"]
        what = f"{done['buckets']} buckets, {done['rows']:,} rows, {done['offered']:,} offered"
        source = f"from {done['rollup']}" if done["rollup"] else "from the facts"
        print(f"  {entry['name']:<58} {'store sums (' + str(done['slot_rows']) + ' slot rows)':<36}"
              f" {ms(done['store_sums'])}")
        print(f"  {'  ' + source:<58} {'store sums from the facts, interleaved':<36}"
              f" {ms(done['store_sums_from_facts'])}")
        if "refused" in done:
            print(f"  {what:<58} {'in process (row limit lifted)':<36} {ms(done['service_and_body_row_limit_lifted'])}")
            pages = f"{done['pages']} pages of <= 10,000 rows"
            first = ms(done["service_and_body_first_page"])
            print(f"  {'  paged: ' + pages:<58} {'in process, first page':<36} {first}")
            print(f"  {'':<58} {'in process, every page':<36} {ms(done['service_and_body_every_page'])}")
            print(f"  {'  refused: ' + done['refused'][:44]:<58} {'HTTP (the 400)':<36} {ms(entry['http'])}")
            print(f"  {'':<58} {'HTTP, every page (nextUrl)':<36} {ms(entry['http'].get('every_page'))}")
        else:
            print(f"  {what:<58} {'in process (service + JSON body)':<36} {ms(done['service_and_body'])}")
            size = f"{done['body_bytes']:,} bytes of JSON"
            print(f"  {size:<58} {'HTTP (cxreport serve)':<36} {ms(entry['http'])}")


def kept_postgres_database(admin_url: str, name: str) -> str:
    """The URL of database `name` on the server of `admin_url`, created (empty) when missing."""
    import psycopg

    with psycopg.connect(admin_url, autocommit=True) as admin:
        if admin.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,)).fetchone() is None:
            admin.execute(f'CREATE DATABASE "{name}"')
    return urlunsplit(urlsplit(admin_url)._replace(path=f"/{name}"))


def check_loaded(url: str, count: int, name: str) -> None:
    """A kept database is queried again only when an earlier run loaded all of `count` interactions into it (a
    load stopped half way leaves the tenant and part of them)."""
    import psycopg

    with psycopg.connect(url) as db:
        row = db.execute("SELECT count(*) FROM interactions WHERE tenant_id = %s", (TENANT_ID,)).fetchone()
    found = row[0] if row else 0
    if found != count:
        raise SystemExit(f"database {name} holds {found:,} interactions, not {count:,}: an earlier load did not "
                         f"finish (or had other parameters); drop it to load it again")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--count", type=int, default=1_000_000, help="interactions (default 1000000)")
    parser.add_argument("--days", type=int, default=90, help="local days from 2024-01-01 (default 90)")
    parser.add_argument("--queues", type=int, default=30)
    parser.add_argument("--agents", type=int, default=300)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--timezone", default="America/New_York", help="the tenant's zone, and the queries'")
    parser.add_argument("--repeat", type=int, default=100, help="runs per figure at most")
    parser.add_argument("--budget", type=float, default=30.0, help="seconds per figure at most (10 runs at least)")
    parser.add_argument("--batch-size", type=int, default=DEFAULT_BATCH_SIZE, help="events a transaction")
    parser.add_argument("--postgres", default=os.environ.get("CXREPORT_BENCH_POSTGRES_URL"),
                        help="admin URL of a PostgreSQL server: a fresh database is created on it and dropped after")
    parser.add_argument("--keep-postgres", metavar="DATABASE",
                        help="load into this database on the --postgres server (made if missing) and keep it; a later "
                        "run with the same name queries it again without loading (when it holds --count interactions)")
    parser.add_argument("--skip-sqlite", action="store_true")
    parser.add_argument("--reuse-sqlite", action="store_true",
                        help="query the SQLite file an earlier run of the same parameters left, without loading")
    args = parser.parse_args()
    zone = ZoneInfo(args.timezone)
    path, events = events_file(args, zone)
    size = path.stat().st_size / 1e6
    print(f"{args.count:,} interactions, {events:,} events ({size:,.0f} MB NDJSON); load average "
          f"{os.getloadavg()[0]:.1f}; {os.cpu_count()} CPUs")
    results = []
    if not args.skip_sqlite:
        db = OUT / f"statistics-{args.count}-{args.days}d-{args.queues}q-{args.agents}a-{args.seed}.db"
        reuse = args.reuse_sqlite and db.exists()
        if not reuse:
            for suffix in ("", "-wal", "-shm"):
                Path(f"{db}{suffix}").unlink(missing_ok=True)
        results.append(run("sqlite", f"sqlite:///{db}", args, None if reuse else path, events))
    if args.postgres and args.keep_postgres:
        url = kept_postgres_database(args.postgres, args.keep_postgres)
        loaded = open_store(url)
        loaded.migrate()
        reuse = loaded.get_tenant(TENANT_ID) is not None
        loaded.close()
        if reuse:
            check_loaded(url, args.count, args.keep_postgres)
        results.append(run("postgresql", url, args, None if reuse else path, events))
    elif args.postgres:
        sys.path.insert(0, str(Path(__file__).parent.parent / "tests"))
        from support.postgres import temporary_postgres_database

        with temporary_postgres_database(args.postgres) as url:
            results.append(run("postgresql", url, args, path, events))
    for result in results:
        report(result)


if __name__ == "__main__":
    main()
