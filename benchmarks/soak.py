"""Soak: many clients of mixed reads and writes against a real `cxreport serve`, for a while. Zero errors is the
requirement; latency and throughput are reported.

    .venv/bin/python benchmarks/soak.py [--seconds 60] [--clients 32] [--records 20000] [--postgres ADMIN_URL]
        [--bursts 1] [--gap 12]

Once per store (SQLite in a temporary file; PostgreSQL too when `--postgres` names a server, in a fresh
database made for the run and dropped after): load `--records` synthetic interactions into the seed's tenant,
start `cxreport serve` on a loopback port with its default settings (rate limits included), and run
`--clients` threads, each with its own API key and HTTP connection, each picking requests at random by weight:

- reads: the seed's search (a 10-hour window, 10 records), a filtered search (channel and direction, one
  day), the next page of an earlier search by its cursor, one record by id, an export of a one-hour window;
- writes: a batch of 20 records (10 new, 10 earlier ones again with a higher `revision`), and a batch of
  events (new interactions, and the late second half of interactions begun in an earlier batch).

With `--bursts N` the traffic comes in N bursts of `--seconds` each, `--gap` seconds of silence between them
(default 12: longer than anyio's idle worker threads live, 10 s, so threads end and new ones start, as with
real traffic that comes and goes); the server's open files, threads and resident memory (anonymous and
file-backed, from /proc) are read when it is up and idle, after each burst, and at the end after one more gap.

Any answer but a 2xx (or a connection failure) is an error. Prints, per store, requests, errors by status,
p50/p99 latency per kind, requests/s and the server's resources; writes the figures to
`benchmarks/out/soak-*.json`; exits 1 when there was any error.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import msgspec
from bench_derive import TENANT, interaction
from bench_search import free_port, wait_up

from cxreport.cli.import_records import import_files
from cxreport.cli.synthetic import generate_interactions
from cxreport.service import credentials
from cxreport.store import open_store
from cxreport.store.base import Tenant

OUT = Path(__file__).resolve().parent / "out"
BIN = Path(sys.executable).parent
WEIGHTS = {
    "seed search": 20,
    "filtered search": 15,
    "cursor page": 15,
    "get one": 20,
    "export window": 5,
    "record upsert": 15,
    "event batch": 10,
}
SEED_WINDOW = {"startTimeRange": "2017-12-29T14:00:00.000Z", "endTimeRange": "2017-12-29T24:00:00.000Z"}
DAYS = [f"2017-12-{day:02d}" for day in range(1, 32)]
encode = msgspec.json.encode


@dataclass
class Tally:
    """What every client saw, merged under one lock."""

    latencies: dict[str, list[float]] = field(default_factory=dict)
    statuses: Counter[str] = field(default_factory=Counter)
    errors: Counter[str] = field(default_factory=Counter)
    samples: list[str] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def add(self, kind: str, seconds: float, status: str, ok: bool, detail: str) -> None:
        with self.lock:
            self.latencies.setdefault(kind, []).append(seconds)
            self.statuses[status] += 1
            if not ok:
                self.errors[f"{kind}: {status}"] += 1
                if len(self.samples) < 20:
                    self.samples.append(f"{kind}: {status} {detail[:300]}")


class Client:
    """One soak client: its own connection, its own random stream, what it wrote so far."""

    def __init__(self, number: int, base: str, auth: tuple[str, str], ids: list[str], tally: Tally) -> None:
        self.rng = random.Random(number)
        self.http = httpx.Client(base_url=base, auth=auth, timeout=60)
        self.path = f"/v1/tenants/{TENANT}"
        self.ids = ids
        self.tally = tally
        self.cursors: list[dict[str, str]] = []
        self.fresh: Iterator[dict[str, Any]] = generate_interactions(10**7, seed=1000 + number, tenant_id=TENANT)
        self.mine: list[dict[str, Any]] = []
        self.revision = 0
        self.begun: list[list[Any]] = []  # second halves of interactions whose first events went already
        self.interactions = 0
        self.kinds: dict[str, Callable[[], httpx.Request]] = {
            "seed search": self.seed_search,
            "filtered search": self.filtered_search,
            "cursor page": self.cursor_page,
            "get one": self.get_one,
            "export window": self.export_window,
            "record upsert": self.record_upsert,
            "event batch": self.event_batch,
        }

    def run(self, until: float) -> None:
        names, weights = list(WEIGHTS), list(WEIGHTS.values())
        while time.monotonic() < until:
            kind = self.rng.choices(names, weights)[0]
            request = self.kinds[kind]()  # built (records and events generated) before the clock starts
            started = time.perf_counter()
            try:
                response = self.http.send(request)
            except httpx.HTTPError as error:
                self.tally.add(kind, time.perf_counter() - started, type(error).__name__, False, str(error))
                continue
            ok = 200 <= response.status_code < 300
            self.tally.add(kind, time.perf_counter() - started, str(response.status_code), ok, response.text)
            if ok and request.url.path.endswith("/interactions") and request.method == "GET":
                following = response.json()["next"]
                if following is not None:
                    params = {k: v for k, v in request.url.params.items() if k != "cursor"}
                    self.cursors = [*self.cursors[-20:], {**params, "cursor": following}]

    def _search(self, params: dict[str, str]) -> httpx.Request:
        return self.http.build_request("GET", f"{self.path}/interactions", params=params)

    def seed_search(self) -> httpx.Request:
        return self._search(SEED_WINDOW)

    def filtered_search(self) -> httpx.Request:
        day = self.rng.choice(DAYS)
        channel, direction = self.rng.choice([("voice", "inbound"), ("voice", "outbound"), ("email", "inbound")])
        return self._search({"start": day, "end": f"{day}T24:00Z", "channelType": channel, "direction": direction})

    def cursor_page(self) -> httpx.Request:
        if not self.cursors:
            return self.seed_search()
        return self._search(self.cursors.pop(self.rng.randrange(len(self.cursors))))

    def get_one(self) -> httpx.Request:
        return self.http.build_request("GET", f"{self.path}/interactions/{self.rng.choice(self.ids)}")

    def export_window(self) -> httpx.Request:
        day, hour = self.rng.choice(DAYS), self.rng.randrange(13, 22)
        window = {"start": f"{day}T{hour:02d}:00Z", "end": f"{day}T{hour + 1:02d}:00Z", "format": "ndjson"}
        return self.http.build_request("GET", f"{self.path}/interactions/export", params=window)

    def record_upsert(self) -> httpx.Request:
        batch = [next(self.fresh) for _ in range(10)]
        again = self.rng.sample(self.mine, min(10, len(self.mine)))
        for record in again:
            self.revision += 1
            record["revision"] = self.revision
        self.mine += batch
        return self.http.build_request("POST", f"{self.path}/interactions", content=encode(batch + again),
                                       headers={"content-type": "application/json"})

    def event_batch(self) -> httpx.Request:
        events: list[Any] = []
        for _ in range(5):
            stream = interaction(self.rng, self.interactions)
            self.interactions += 1
            half = len(stream) // 2
            events += stream[:half]
            self.begun.append(stream[half:])
        while len(self.begun) > 5:
            events += self.begun.pop(0)
        body = b"\n".join(encode(event) for event in events)
        return self.http.build_request("POST", f"{self.path}/events", content=body,
                                       headers={"content-type": "application/x-ndjson"})


@contextmanager
def sqlite_database() -> Iterator[str]:
    with tempfile.TemporaryDirectory(prefix="cxreport-soak-") as folder:
        yield f"sqlite:///{folder}/soak.db"


def prepare(url: str, records: int, clients: int) -> tuple[list[tuple[str, str]], list[str]]:
    """The seed's tenant with `records` synthetic interactions; an ingest key for each client (the server's
    default rate limit applies per key); the interaction ids."""
    store = open_store(url, "bulk-writes")
    try:
        store.migrate()
        store.create_tenant(Tenant(TENANT, "Soak", "US/Eastern"))
        issued = [credentials.issue_key(store, TENANT, "ingest") for _ in range(clients)]
        lines = [encode(record) for record in generate_interactions(records, seed=1, tenant_id=TENANT)]
        with tempfile.NamedTemporaryFile(suffix=".ndjson") as file:
            file.write(b"\n".join(lines))
            file.flush()
            import_files(store, TENANT, [file.name], progress=False)
    finally:
        store.close()
    keys = [(key.key.id, key.secret) for key in issued]
    return keys, [msgspec.json.decode(line)["interactionId"] for line in lines]


def resources(pid: int) -> dict[str, float]:
    """The serving process's open files, threads and resident memory (MB, anonymous and file-backed)."""
    status = dict(line.split(":", 1) for line in Path(f"/proc/{pid}/status").read_text().splitlines())
    return {"open_files": len(os.listdir(f"/proc/{pid}/fd")), "threads": int(status["Threads"]),
            "rss_anon_mb": int(status["RssAnon"].split()[0]) / 1024,
            "rss_file_mb": int(status["RssFile"].split()[0]) / 1024}


@contextmanager
def server(url: str) -> Iterator[tuple[str, int]]:
    """`cxreport serve` on a loopback port, and its process id; its log's error lines are printed when it
    stops."""
    port = free_port()
    with tempfile.TemporaryFile() as log:
        process = subprocess.Popen([str(BIN / "cxreport"), "serve", "--database", url, "--port", str(port)],
                                   stdout=subprocess.DEVNULL, stderr=log)
        base = f"http://127.0.0.1:{port}"
        try:
            wait_up(base, process)
            yield base, process.pid
        finally:
            process.terminate()
            process.wait(timeout=30)
            log.seek(0)
            errors = [line for line in log.read().decode(errors="replace").splitlines() if "Error" in line]
            if errors:
                print("server log, error lines:", *errors[:20], sep="\n  ")


def soak(label: str, url: str, args: argparse.Namespace) -> dict[str, Any]:
    keys, ids = prepare(url, args.records, args.clients)
    tally = Tally()
    samples: list[tuple[str, dict[str, float]]] = []
    with server(url) as (base, pid):
        samples.append(("idle at start", resources(pid)))
        clients = [Client(number, base, keys[number], ids, tally) for number in range(args.clients)]
        elapsed = 0.0
        for burst in range(args.bursts):
            if burst:
                time.sleep(args.gap)
            started = time.monotonic()
            until = started + args.seconds
            threads = [threading.Thread(target=client.run, args=(until,)) for client in clients]
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join()
            elapsed += time.monotonic() - started
            samples.append((f"after burst {burst + 1}", resources(pid)))
        if args.bursts > 1:
            time.sleep(args.gap)
            samples.append(("idle at end", resources(pid)))
        for client in clients:
            client.http.close()
    figures = report(label, tally, elapsed, args)
    print_resources(samples)
    return {**figures, "resources": dict(samples)}


def print_resources(samples: list[tuple[str, dict[str, float]]]) -> None:
    print(f"  {'server':<16} {'open files':>10} {'threads':>8} {'anon MB':>8} {'file MB':>8}")
    for when, figures in samples:
        print(f"  {when:<16} {figures['open_files']:>10} {figures['threads']:>8} {figures['rss_anon_mb']:>8.1f}"
              f" {figures['rss_file_mb']:>8.1f}")


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))] if ordered else float("nan")


def report(label: str, tally: Tally, elapsed: float, args: argparse.Namespace) -> dict[str, Any]:
    total = sum(len(values) for values in tally.latencies.values())
    errors = sum(tally.errors.values())
    print(f"\n{label}: {args.clients} clients, {elapsed:.1f} s of traffic in {args.bursts} burst(s)"
          f"{f' {args.gap:g} s apart' if args.bursts > 1 else ''}, {args.records} records loaded first")
    print(f"  {'kind':<16} {'requests':>9} {'errors':>7} {'p50 ms':>8} {'p99 ms':>8}")
    kinds: dict[str, Any] = {}
    for kind in (kind for kind, weight in WEIGHTS.items() if weight):
        values = tally.latencies.get(kind, [])
        failed = sum(count for name, count in tally.errors.items() if name.startswith(f"{kind}:"))
        figures = {"requests": len(values), "errors": failed,
                   "p50_ms": percentile(values, 0.5) * 1000, "p99_ms": percentile(values, 0.99) * 1000}
        kinds[kind] = figures
        print(f"  {kind:<16} {len(values):>9} {failed:>7} {figures['p50_ms']:>8.1f} {figures['p99_ms']:>8.1f}")
    print(f"  total {total} requests, {total / elapsed:.0f} requests/s, {errors} errors")
    print(f"  statuses: {dict(sorted(tally.statuses.items()))}")
    for sample in tally.samples:
        print(f"  error: {sample}")
    return {"store": label, "clients": args.clients, "seconds": elapsed, "records": args.records,
            "requests": total, "requests_per_s": total / elapsed, "errors": errors,
            "statuses": dict(tally.statuses), "errors_by_kind": dict(tally.errors), "kinds": kinds}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seconds", type=float, default=60.0, help="how long each store is soaked (default 60)")
    parser.add_argument("--clients", type=int, default=32, help="concurrent clients (default 32)")
    parser.add_argument("--records", type=int, default=20_000, help="interactions loaded first (default 20000)")
    parser.add_argument("--postgres", metavar="ADMIN_URL", default=os.environ.get("CXREPORT_BENCH_POSTGRES_URL"),
                        help="a PostgreSQL server to soak too (a fresh database is created and dropped)")
    parser.add_argument("--bursts", type=int, default=1,
                        help="traffic in this many bursts of --seconds each (default 1)")
    parser.add_argument("--gap", type=float, default=12.0,
                        help="idle seconds between bursts, and after the last (default 12)")
    parser.add_argument("--skip-sqlite", action="store_true", help="soak PostgreSQL only")
    parser.add_argument("--weight", action="append", default=[], metavar="KIND=N",
                        help=f"change a kind's weight (0 leaves it out); kinds: {', '.join(WEIGHTS)}")
    args = parser.parse_args()
    for change in args.weight:
        kind, _, weight = change.rpartition("=")
        if kind not in WEIGHTS or not weight.isdigit():
            parser.error(f"--weight expects KIND=N with KIND one of {', '.join(WEIGHTS)}, got {change!r}")
        WEIGHTS[kind] = int(weight)
    results = []
    if not args.skip_sqlite:
        with sqlite_database() as url:
            results.append(soak("sqlite", url, args))
    if args.postgres:
        sys.path.insert(0, str(Path(__file__).parent.parent / "tests"))
        from support.postgres import temporary_postgres_database

        with temporary_postgres_database(args.postgres) as url:
            results.append(soak("postgres", url, args))
    OUT.mkdir(exist_ok=True)
    (OUT / f"soak-{time.strftime('%Y%m%dT%H%M%S')}.json").write_text(json.dumps(results, indent=2))
    if any(result["errors"] for result in results):
        sys.exit(1)


if __name__ == "__main__":
    main()
