"""The request path at the limit: cxreport over HTTP next to a prebuilt body on the same stack and the raw SQL.

    .venv/bin/python benchmarks/bench_http.py [--count 300000] [--rounds 3] [--seconds 10] [--connections 16]
        [--postgres ADMIN_URL] [--postgres-database NAME] [--workers 2] [--no-deadline] [--compare SRC_DIR]

Tried as a new user would: `cxreport demo --count COUNT` (once, cached in benchmarks/out/), `cxreport serve` with
the rate limit off, and wrk (`wrk -t2 -cCONNECTIONS -dSECONDS`, Debian's package) for each request:

- the seed request (the seed's 10-hour window, limit 10) and a month's 1000-record page;
- the same bodies, prebuilt, from a Litestar-on-uvicorn server (`constant_server.py`): the floor HTTP imposes;
- in process: the raw SQL (count + page, rows fetched) and the search as the route runs it (no HTTP);
- a server with `CXREPORT_SEARCH_ANSWERS_BYTES=0` (SQLite, the seed request): every search run, none answered
  from the remembered answers;
- with `--no-deadline`, a second server with `CXREPORT_STATEMENT_TIMEOUT_MS=0` (the deadline's cost);
- with `--workers N`, a server with `--workers N` (the seed request);
- with `--compare SRC_DIR`, a second `cxreport serve` running another source tree's code (`PYTHONPATH=SRC_DIR`,
  e.g. `git worktree add /tmp/before main` and `/tmp/before/src`): before and after, in the same rounds;
- with `--postgres ADMIN_URL`, the same demo in PostgreSQL (database `cxreport_bench_http_COUNT`, loaded by
  `cxreport demo` once and kept for later runs, like the SQLite file).

Every round runs every measurement once, the order reversed each round; the figures are medians over rounds.
Server CPU per request is the server process tree's utime + stime (from /proc) over the requests wrk counted:
unlike req/s, it hardly moves when other work shares the machine. Ratios are of figures from the same run.
Writes benchmarks/out/bench-http.json.
"""

from __future__ import annotations

import argparse
import base64
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
from bench_search import free_port, wait_up

from cxreport.cli.demo import DEMO_TENANT
from cxreport.http import bodies
from cxreport.http.search_query import paged, search_request
from cxreport.service import credentials
from cxreport.service import interactions as service
from cxreport.store import open_store
from cxreport.times import parse_instant

OUT = Path(__file__).resolve().parent / "out"
BIN = Path(sys.executable).parent
TICKS = os.sysconf("SC_CLK_TCK")
SEED = ("2017-12-29T14:00:00.000Z", "2017-12-29T24:00:00.000Z", 10)
MONTH = ("2017-12-01T00:00:00.000Z", "2018-01-01T00:00:00.000Z", 1000)
REQUESTS = {"seed": SEED, "page": MONTH}


def require_wrk() -> str:
    found = shutil.which("wrk")
    if found is None:
        sys.exit("bench_http.py needs wrk, the HTTP load generator: `apt-get install -y wrk` (Debian, Ubuntu), "
                 "`brew install wrk` (macOS), or build it from https://github.com/wg/wrk")
    return found


def demo_database(url: str, count: int) -> None:
    print(f"loading the demo ({count:,} interactions) into {url} …", file=sys.stderr)
    subprocess.run([str(BIN / "cxreport"), "demo", "--database", url, "--count", str(count)], check=True,
                   stdout=subprocess.DEVNULL)


def postgres_database(admin_url: str, count: int, name: str | None = None) -> str:
    """A database `cxreport_bench_http_COUNT` (or `name`) on the server, with the demo loaded (once: kept for
    later runs, like the SQLite file; drop it to start afresh)."""
    from urllib.parse import urlsplit, urlunsplit

    import psycopg

    name = name or f"cxreport_bench_http_{count}"
    url = urlunsplit(urlsplit(admin_url)._replace(path=f"/{name}"))
    with psycopg.connect(admin_url, autocommit=True) as admin:
        if admin.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,)).fetchone() is None:
            admin.execute(f'CREATE DATABASE "{name}"')
    with psycopg.connect(url) as database:
        loaded = database.execute("SELECT to_regclass('interactions') IS NOT NULL").fetchone()
        if loaded and loaded[0]:
            loaded = database.execute("SELECT count(*) >= %s FROM interactions", (count,)).fetchone()
    if not (loaded and loaded[0]):
        demo_database(url, count)
    return url


def query(request: tuple[str, str, int]) -> str:
    start, end, limit = request
    return f"startTimeRange={start}&endTimeRange={end}&limit={limit}"


def tree_cpu_seconds(pid: int) -> float:
    """utime + stime of a process and all its descendants (the workers of `serve --workers`)."""
    parents: dict[int, int] = {}
    times: dict[int, int] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            fields = Path(f"/proc/{entry}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        parents[int(entry)] = int(fields[1])
        times[int(entry)] = int(fields[11]) + int(fields[12])
    total, todo = 0, [pid]
    while todo:
        current = todo.pop()
        total += times.get(current, 0)
        todo += [child for child, parent in parents.items() if parent == current]
    return total / TICKS


@dataclass
class Target:
    """One URL under wrk, with the process whose CPU it costs."""

    name: str
    url: str
    pid: int
    headers: list[str] = field(default_factory=list)
    rates: list[float] = field(default_factory=list)
    cpu_ms: list[float] = field(default_factory=list)


def run_wrk(wrk: str, target: Target, seconds: int, connections: int) -> None:
    before = tree_cpu_seconds(target.pid)
    command = [wrk, "-t2", f"-c{connections}", f"-d{seconds}s", "--timeout", "30s", "--latency"]
    for header in target.headers:
        command += ["-H", header]
    output = subprocess.run([*command, target.url], check=True, capture_output=True, text=True).stdout
    cpu = tree_cpu_seconds(target.pid) - before
    if "Non-2xx" in output or "Socket errors" in output:
        sys.exit(f"{target.name}: wrk saw errors:\n{output}")
    done = int(re.search(r"(\d+) requests in", output).group(1))  # type: ignore[union-attr]
    target.rates.append(float(re.search(r"Requests/sec:\s*([\d.]+)", output).group(1)))  # type: ignore[union-attr]
    target.cpu_ms.append(cpu / done * 1000)


@contextmanager
def server(command: list[str], env: dict[str, str], port: int) -> Iterator[int]:
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                               env={**os.environ, **env})
    try:
        wait_up(f"http://127.0.0.1:{port}", process)
        yield process.pid
    finally:
        process.terminate()
        process.wait(timeout=30)


def cxreport_server(stack: ExitStack, url: str, env: dict[str, str], *extra: str) -> tuple[str, int]:
    port = free_port()
    command = [str(BIN / "cxreport"), "serve", "--database", url, "--port", str(port), *extra]
    pid = stack.enter_context(server(command, {"CXREPORT_RATE_LIMIT": "0", **env}, port))
    return f"http://127.0.0.1:{port}", pid


class InProcess:
    """The raw SQL (count + page, rows fetched) and the search as the route runs it, CPU per call."""

    def __init__(self, url: str) -> None:
        self.store = open_store(url)
        self.url = url
        self.cpu_ms: dict[str, list[float]] = {}
        if url.startswith("sqlite"):
            import sqlite3

            from cxreport.store.sqlite import sqlite_path_from_url

            db = sqlite3.connect(sqlite_path_from_url(url))
            where = "WHERE tenant_id = ? AND start_us >= ? AND start_us < ?"
            order = "ORDER BY start_us DESC, interaction_id DESC LIMIT ?"

            def raw(start: int, end: int, limit: int) -> Any:
                args = (DEMO_TENANT.id, start, end)
                db.execute(f"SELECT count(*) FROM interactions {where}", args).fetchone()
                return db.execute(f"SELECT doc FROM interactions {where} {order}", (*args, limit)).fetchall()
        else:
            import psycopg

            from cxreport.store.postgres import timestamp_param

            pg = psycopg.connect(url, autocommit=True)
            where = "WHERE tenant_id = %s AND start_ts >= %s AND start_ts < %s"
            order = "ORDER BY start_ts DESC, interaction_id DESC LIMIT %s"

            def raw(start: int, end: int, limit: int) -> Any:
                args = (DEMO_TENANT.id, timestamp_param(start), timestamp_param(end))
                pg.execute(f"SELECT count(*) FROM interactions {where}", args).fetchone()
                return pg.execute(f"SELECT doc::text FROM interactions {where} {order}", (*args, limit)).fetchall()
        self.raw = raw

    def search(self, start: str, end: str, limit: int) -> bytes:
        checked = paged(search_request((start, "startTimeRange"), (end, "endTimeRange")), limit, None, None)
        return bodies.search_envelope(service.search(self.store, DEMO_TENANT.id, checked))

    def measure(self, name: str, call: Callable[[], Any], seconds: float) -> None:
        call()
        started, calls, until = time.process_time(), 0, time.monotonic() + seconds
        while time.monotonic() < until:
            call()
            calls += 1
        self.cpu_ms.setdefault(name, []).append((time.process_time() - started) / calls * 1000)

    def round(self, seconds: float) -> None:
        for label, (start, end, limit) in REQUESTS.items():
            bounds = parse_instant(start), parse_instant(end)
            self.measure(f"raw SQL {label}", lambda b=bounds, n=limit: self.raw(*b, n), seconds)  # type: ignore[misc]
            self.measure(f"search {label}", lambda s=start, e=end, n=limit: self.search(s, e, n), seconds)  # type: ignore[misc]


def median(values: list[float]) -> float:
    return statistics.median(values) if values else float("nan")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--count", type=int, default=300_000)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--postgres", default=os.environ.get("CXREPORT_BENCH_POSTGRES_URL"))
    parser.add_argument("--postgres-database", metavar="NAME",
                        help="the demo's database on that server (default cxreport_bench_http_COUNT)")
    parser.add_argument("--workers", type=int, default=0, help="also a `serve --workers N` server")
    parser.add_argument("--no-deadline", action="store_true", help="also a server without statement deadline")
    parser.add_argument("--compare", metavar="SRC_DIR", help="also a server running the code of this source tree")
    args = parser.parse_args()
    wrk = require_wrk()
    OUT.mkdir(exist_ok=True)
    sqlite_file = OUT / f"http-demo-{args.count}.db"
    sqlite_url = f"sqlite:///{sqlite_file}"
    if not sqlite_file.exists():
        demo_database(sqlite_url, args.count)
    load = [os.getloadavg()]
    with ExitStack() as stack:
        stores = {"SQLite": sqlite_url}
        if args.postgres:
            stores["PostgreSQL"] = postgres_database(args.postgres, args.count, args.postgres_database)
        targets: list[Target] = []
        in_process: dict[str, InProcess] = {}
        sizes: dict[str, int] = {}
        for name, url in stores.items():
            store = open_store(url)
            key = credentials.issue_key(store, DEMO_TENANT.id, "read")
            store.close()
            auth = "Authorization: Basic " + base64.b64encode(f"{key.key.id}:{key.secret}".encode()).decode()
            path = f"/v1/tenants/{DEMO_TENANT.id}/interactions"
            servers = [("", *cxreport_server(stack, url, {}))]
            if name == "SQLite":  # every search run, none answered from the remembered answers
                servers.append((" answers off", *cxreport_server(stack, url, {"CXREPORT_SEARCH_ANSWERS_BYTES": "0"})))
            if args.no_deadline and name == "SQLite":
                servers.append((" no deadline", *cxreport_server(stack, url, {"CXREPORT_STATEMENT_TIMEOUT_MS": "0"})))
            if args.compare and name == "SQLite":
                compared = str(Path(args.compare).resolve())
                servers.append((" compared", *cxreport_server(stack, url, {"PYTHONPATH": compared})))
            if args.workers and name == "SQLite":
                servers.append((f" {args.workers} workers",
                                *cxreport_server(stack, url, {}, "--workers", str(args.workers))))
            for suffix, base, pid in servers:
                for label, request in REQUESTS.items():
                    if (suffix.endswith("workers") or suffix.endswith("answers off")) and label != "seed":
                        continue
                    full = f"{base}{path}?{query(request)}"
                    if not sizes.get(label):
                        sizes[label] = len(httpx.get(full, headers=[auth.split(": ", 1)], timeout=60).content)
                    targets.append(Target(f"{name}{suffix} {label}", full, pid, [auth]))
            in_process[name] = InProcess(url)
        port = free_port()
        pid = stack.enter_context(server([sys.executable, str(Path(__file__).parent / "constant_server.py"),
                                          str(port), str(sizes["page"]), str(sizes["seed"])], {}, port))
        targets += [Target("prebuilt seed", f"http://127.0.0.1:{port}/small", pid),
                    Target("prebuilt page", f"http://127.0.0.1:{port}/", pid)]
        for number in range(args.rounds):
            print(f"round {number + 1} of {args.rounds} …", file=sys.stderr)
            for target in targets if number % 2 == 0 else targets[::-1]:
                run_wrk(wrk, target, args.seconds, args.connections)
            for measured in in_process.values():
                measured.round(min(args.seconds, 3))
    load.append(os.getloadavg())
    report(targets, in_process, sizes, load, args)


def report(targets: list[Target], in_process: dict[str, InProcess], sizes: dict[str, int],
           load: list[tuple[float, float, float]], args: argparse.Namespace) -> None:
    by_name = {t.name: t for t in targets}
    print(f"\nwrk -t2 -c{args.connections} -d{args.seconds}s, {args.rounds} interleaved rounds, medians; "
          f"demo of {args.count:,}; seed body {sizes['seed']:,} B, page body {sizes['page']:,} B")
    print(f"{'':34}{'req/s':>10}{'server CPU ms/req':>20}")
    for target in targets:
        print(f"{target.name:34}{median(target.rates):>10,.0f}{median(target.cpu_ms):>20.3f}")
    for store, measured in in_process.items():
        for name, values in measured.cpu_ms.items():
            print(f"{store + ' in process: ' + name:34}{'':>10}{median(values):>20.3f}")
    print("\nratios (same run):")
    results: dict[str, Any] = {}
    for store, measured in in_process.items():
        seed, page = by_name[f"{store} seed"], by_name[f"{store} page"]
        ratios = {
            "seed req/s vs prebuilt (target >= 0.5)": median(seed.rates) / median(by_name["prebuilt seed"].rates),
            "seed CPU vs prebuilt": median(seed.cpu_ms) / median(by_name["prebuilt seed"].cpu_ms),
            "page CPU vs raw SQL (target <= 1.3)": median(page.cpu_ms) / median(measured.cpu_ms["raw SQL page"]),
            "seed CPU vs raw SQL": median(seed.cpu_ms) / median(measured.cpu_ms["raw SQL seed"]),
            "page req/s vs prebuilt": median(page.rates) / median(by_name["prebuilt page"].rates),
        }
        if f"{store} no deadline seed" in by_name:
            for label in REQUESTS:
                ratios[f"{label} CPU, deadline vs none"] = (
                    median(by_name[f"{store} {label}"].cpu_ms) / median(by_name[f"{store} no deadline {label}"].cpu_ms))
        if f"{store} compared seed" in by_name:
            for label in REQUESTS:
                compared = by_name[f"{store} compared {label}"]
                ratios[f"{label} CPU vs the compared tree's"] = median(by_name[f"{store} {label}"].cpu_ms) / median(
                    compared.cpu_ms)
            ratios["compared tree: seed req/s vs prebuilt"] = (
                median(by_name[f"{store} compared seed"].rates) / median(by_name["prebuilt seed"].rates))
        if f"{store} answers off seed" in by_name:
            off = by_name[f"{store} answers off seed"]
            ratios["seed req/s, answers off, vs prebuilt"] = median(off.rates) / median(by_name["prebuilt seed"].rates)
            ratios["seed CPU, answers off, vs prebuilt"] = median(off.cpu_ms) / median(by_name["prebuilt seed"].cpu_ms)
        workers = next((t for t in targets if t.name.startswith(store) and "workers" in t.name), None)
        if workers is not None:
            ratios[f"seed req/s, {workers.name.split()[1]} workers vs 1"] = median(workers.rates) / median(seed.rates)
        for label, value in ratios.items():
            print(f"  {store}: {label}: {value:.2f}")
        results[store] = ratios
    print(f"load average: start {load[0]}, end {load[1]}")
    document = {"targets": {t.name: {"req_s": t.rates, "cpu_ms": t.cpu_ms} for t in targets},
                "in_process_cpu_ms": {s: m.cpu_ms for s, m in in_process.items()}, "ratios": results,
                "sizes": sizes, "load": load, "args": vars(args)}
    (OUT / "bench-http.json").write_text(json.dumps(document, indent=2))


if __name__ == "__main__":
    main()
