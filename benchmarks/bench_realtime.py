"""Realtime statistics: the batch of 10 statistics' latency on a tenant with a day of traffic in progress, and
what 500 open streams cost (memory and CPU per stream, latency from an accepted event to its push).

    .venv/bin/python benchmarks/bench_realtime.py [--count 20000] [--history 0] [--streams 500] [--repeat 200]
        [--postgres postgresql://postgres@127.0.0.1:5432/test] [--base FILE.db [--tenant ID]] [--reuse]

`--count` interactions' events (the synthetic generator, 30 queues, 300 agents) over the tenant's local day so
far (events after now left out, so that the latest calls are still waiting or talking; and every agent logged
in, a third of them not ready), and `--history` more over the 90 days before, are imported into a fresh database
(SQLite in `benchmarks/out/`, or a PostgreSQL database made for the run) through `cxreport import-events`' code
path. `--base` starts instead from a copy (in `benchmarks/out/`) of a SQLite database made by
`bench_statistics.py` (e.g. its 1,000,000 interactions over 90 days; the tenant `--tenant`, its zone kept) and
adds today's traffic to it. Then, in process and over a real `cxreport serve` on loopback:
  - the batch of 10 statistics (`POST …/realtime-statistics/batch`) right after an accepted event (every read a
    new snapshot: today's sums of the quarter hours that changed, what is in progress, agent states) and, round
    by round interleaved, with nothing changed (the snapshot is reused: one read of the change counter): p50/p99
    wall ms, and CPU ms (in process: the thread's; over HTTP: the server's, summed over its threads from
    /proc/PID/task/*/schedstat, per request);
  - `--streams` streams opened on one tenant: the server's RSS and CPU before and after, over 20 idle seconds,
    and over 20 events posted one a second, with each event's latency to its push on every stream, and the
    size of the events sent.
Results are printed and written to `benchmarks/out/realtime-<store>-<count>.json`, with the load average.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import json
import os
import random
import shutil
import subprocess
import sys
import time
import uuid
from pathlib import Path
from typing import Any

import httpx
import msgspec
from bench_search import free_port, percentiles, wait_up

from cxreport.cli.import_events import DEFAULT_BATCH_SIZE, import_event_files
from cxreport.cli.synthetic import generate_streams
from cxreport.service import credentials
from cxreport.service.realtime import local_day
from cxreport.store import open_store
from cxreport.store.base import Tenant
from cxreport.times import format_instant

OUT = Path(__file__).resolve().parent / "out"
TENANT_ID = "5eed0000-0000-4000-8000-000000000013"
BATCH = ["interactions-in-queue", "longest-current-wait", "interactions-in-conversation", "agents-ready",
         "agents-not-ready", "offered", "answered", "abandoned", "service-level", "average-speed-of-answer"]


def write_events(path: Path, tenant_id: str, count: int, start_us: int, end_us: int, seed: int,
                 until_us: int | None = None) -> tuple[int, set[str]]:
    """Append `count` interactions' events over [start, end) (those after `until_us` left out); the number of
    events written, and the agents they name."""
    encode = msgspec.json.Encoder().encode
    total = 0
    agents: set[str] = set()
    with open(path, "ab") as out:
        for stream in generate_streams(count, seed=seed, tenant_id=tenant_id, start=format_instant(start_us),
                                       end=format_instant(end_us), queues=30, agents=300):
            kept = [event for event, at in zip(stream.events, stream.instants, strict=True)
                    if until_us is None or at <= until_us]
            agents.update(agent for event in kept if isinstance(agent := getattr(event, "agentId", None), str))
            out.write(b"".join(encode(event) + b"\n" for event in kept))
            total += len(kept)
    return total, agents


def write_agent_events(path: Path, agents: set[str], start_us: int, now_us: int, seed: int) -> int:
    """Every agent logged in at the day's start (or 8 hours ago), a third of them not ready since (a reason)."""
    rng = random.Random(seed)
    login = max(start_us, now_us - 8 * 3600 * 1_000_000)
    lines = []
    for agent in sorted(agents):
        lines.append({"type": "agent-logged-in", "eventId": f"{agent}-login-{login}", "agentId": agent,
                      "timestamp": format_instant(login), "state": "ready"})
        if rng.random() < 1 / 3:
            at = rng.randrange(login, now_us)
            lines.append({"type": "agent-state-changed", "eventId": f"{agent}-away-{at}", "agentId": agent,
                          "timestamp": format_instant(at), "state": "not-ready",
                          "reasonCode": rng.choice(["lunch", "break", "training"])})
    with open(path, "ab") as out:
        out.write(b"".join(json.dumps(line).encode() + b"\n" for line in lines))
    return len(lines)


def load(url: str, args: argparse.Namespace, tenant: Tenant) -> dict[str, Any]:
    now_us = int(time.time() * 1_000_000)
    day_start = local_day(tenant.timezone, now_us)[0]
    OUT.mkdir(exist_ok=True)
    path = OUT / f"realtime-events-{args.count}-{args.history}.ndjson"
    path.unlink(missing_ok=True)
    events = 0
    if args.history:
        events += write_events(path, tenant.id, args.history, day_start - 90 * 86_400_000_000, day_start, 7)[0]
    today, agents = write_events(path, tenant.id, args.count, day_start, now_us - 60_000_000, 8, now_us)
    events += today + write_agent_events(path, agents, day_start, now_us, 9)
    store = open_store(url, "bulk-writes")
    store.migrate()
    if store.get_tenant(tenant.id) is None:
        store.create_tenant(tenant)
    started = time.perf_counter()
    report = import_event_files(store, tenant.id, [str(path)], batch_size=DEFAULT_BATCH_SIZE, progress=False)
    store.refresh_statistics()
    seconds = time.perf_counter() - started
    store.close()
    path.unlink()
    return {"events": events, "today_events": today, "agents": len(agents), "accepted": report.counts.accepted,
            "import_s": round(seconds, 1), "local_day_start": format_instant(day_start),
            "local_day_elapsed_h": round((now_us - day_start) / 3.6e9, 2)}


def event_of_a_new_call(queue: str) -> bytes:
    iid = str(uuid.uuid4())
    at = format_instant(int(time.time() * 1_000_000))
    return json.dumps([
        {"type": "interaction-started", "eventId": f"{iid}-1", "interactionId": iid, "timestamp": at,
         "channelType": "voice", "direction": "inbound", "customer": "+1555", "contactPoint": "+1556",
         "flowId": "f", "flowName": "F"},
        {"type": "queue-entered", "eventId": f"{iid}-2", "interactionId": iid, "timestamp": at,
         "interactionQueueId": iid, "queueId": queue, "queueName": queue, "entryType": "ivr", "queueLength": 1},
    ]).encode()


def server_cpu_ns(pid: int) -> int:
    """The CPU time of every thread of a process so far, in ns (the scheduler's own count, not clock ticks)."""
    total = 0
    for task in os.listdir(f"/proc/{pid}/task"):
        try:
            total += int(Path(f"/proc/{pid}/task/{task}/schedstat").read_text().split()[0])
        except (FileNotFoundError, ProcessLookupError):  # a thread that ended meanwhile
            continue
    return total


def _summary(wall: list[float], cpu: list[float]) -> dict[str, Any]:
    found = percentiles(wall)
    cpu_found = percentiles(cpu)
    return {"wall_p50_ms": found["p50_ms"], "wall_p99_ms": found["p99_ms"], "cpu_p50_ms": cpu_found["p50_ms"],
            "cpu_p99_ms": cpu_found["p99_ms"], "cpu_mean_ms": round(sum(cpu) * 1000 / len(cpu), 3),
            "n": found["n"]}


def batch_latency(base: str, tenant_id: str, read: tuple[str, str], ingest: tuple[str, str], repeat: int,
                  pid: int) -> dict[str, Any]:
    body = {"requests": {name: {"statistic": name} for name in BATCH}}
    url = f"{base}/v1/tenants/{tenant_id}/realtime-statistics/batch"
    wall: dict[str, list[float]] = {"after_a_change": [], "nothing_changed": []}
    cpu: dict[str, list[float]] = {"after_a_change": [], "nothing_changed": []}
    with httpx.Client(timeout=60) as client:
        for _ in range(5):
            assert client.post(url, json=body, auth=read).status_code == 200
        for _ in range(repeat):  # interleaved: a read after a change, then a read with nothing changed
            posted = client.post(f"{base}/v1/tenants/{tenant_id}/events", content=event_of_a_new_call("bench-q"),
                                 auth=ingest, headers={"content-type": "application/json"})
            assert posted.status_code == 200, posted.text
            for name in ("after_a_change", "nothing_changed"):
                started, cpu_started = time.perf_counter(), server_cpu_ns(pid)
                response = client.post(url, json=body, auth=read)
                wall[name].append(time.perf_counter() - started)
                cpu[name].append((server_cpu_ns(pid) - cpu_started) / 1e9)
                assert response.status_code == 200, response.text
        found = client.post(url, json=body, auth=read).json()["results"]
    return {**{name: _summary(wall[name], cpu[name]) for name in wall},
            "offered_today": found["offered"]["results"]["count"],
            "in_queue_now": found["interactions-in-queue"]["results"]["count"],
            "in_conversation_now": found["interactions-in-conversation"]["results"]["count"],
            "agents_ready": found["agents-ready"]["results"]["count"]}


def in_process(url: str, tenant_id: str, repeat: int) -> dict[str, Any]:
    """The batch's work without HTTP (`Realtime.snapshot` and the 10 figures), wall and CPU time of the reading
    thread, after a change (an event stored in process first) and with nothing changed, interleaved round by
    round; and the first read of a new process (the whole day so far summed)."""
    from cxreport import clock
    from cxreport.service.events import read_events, store_events
    from cxreport.service.realtime import Realtime
    from cxreport.service.realtime_figures import RealtimeRequest, figure

    store = open_store(url)
    figures = Realtime(store)

    def read() -> None:
        snapshot = figures.snapshot(tenant_id)
        now_us = clock.now_us()
        for name in BATCH:
            figure(snapshot, RealtimeRequest(name), now_us)

    wall: dict[str, list[float]] = {"after_a_change": [], "nothing_changed": []}
    cpu: dict[str, list[float]] = {"after_a_change": [], "nothing_changed": []}
    started, cpu_started = time.perf_counter(), time.thread_time()
    read()
    first = {"wall_ms": round((time.perf_counter() - started) * 1000, 1),
             "cpu_ms": round((time.thread_time() - cpu_started) * 1000, 1)}
    for _ in range(repeat):
        store_events(store, tenant_id, read_events(event_of_a_new_call("bench-q"), tenant_id))
        for name in ("after_a_change", "nothing_changed"):
            started, cpu_started = time.perf_counter(), time.thread_time()
            read()
            wall[name].append(time.perf_counter() - started)
            cpu[name].append(time.thread_time() - cpu_started)
    store.close()
    return {"first_read_of_a_process": first, **{name: _summary(wall[name], cpu[name]) for name in wall}}


def process_usage(pid: int) -> tuple[float, float]:
    """(RSS in MB, CPU seconds) of a process."""
    with open(f"/proc/{pid}/status") as status:
        rss = next(int(line.split()[1]) for line in status if line.startswith("VmRSS")) / 1024
    with open(f"/proc/{pid}/stat") as stat:
        fields = stat.read().rsplit(")", 1)[1].split()
    return rss, (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


async def streams(base: str, tenant_id: str, read: tuple[str, str], ingest: tuple[str, str], count: int,
                  pid: int) -> dict[str, Any]:
    host, port = base.removeprefix("http://").split(":")
    auth = base64.b64encode(f"{read[0]}:{read[1]}".encode()).decode()
    request = (f"GET /v1/tenants/{tenant_id}/realtime-statistics/stream HTTP/1.1\r\nHost: {host}\r\n"
               f"Authorization: Basic {auth}\r\nAccept: text/event-stream\r\n\r\n").encode()
    rss_before, cpu_before = process_usage(pid)
    arrivals: dict[int, list[float]] = {}
    sizes: dict[str, list[int]] = {"statistics": [], "patch": []}

    async def watch(index: int, ready: asyncio.Event) -> None:
        reader, writer = await asyncio.open_connection(host, int(port), limit=2**24)  # a picture is one line
        writer.write(request)
        await writer.drain()
        seen = 0
        kind = ""
        try:
            status = await reader.readline()
            if b" 200 " not in status:
                raise RuntimeError(f"stream {index}: {status!r}")
            while True:
                line = await reader.readline()
                if not line:
                    return
                if line.startswith(b"data: "):
                    sizes[kind].append(len(line))
                if line.startswith(b"event: "):
                    kind = line[7:].strip().decode()
                    seen += 1
                    if seen == 1:
                        ready.set()
                    arrivals.setdefault(index, []).append(time.monotonic())
        finally:
            writer.close()

    readies = [asyncio.Event() for _ in range(count)]
    tasks = []
    for index in range(count):
        tasks.append(asyncio.create_task(watch(index, readies[index])))
        if index % 50 == 49:
            await asyncio.sleep(0.1)
    waiting: asyncio.Future[Any] = asyncio.ensure_future(asyncio.gather(*(ready.wait() for ready in readies)))
    pending: set[asyncio.Future[Any]] = {waiting, *tasks}
    deadline = time.monotonic() + 120
    while not waiting.done():  # every stream's first event, or the first stream that ended (a 429, …)
        done, pending = await asyncio.wait(pending, timeout=deadline - time.monotonic(),
                                           return_when=asyncio.FIRST_COMPLETED)
        if not done:
            raise RuntimeError("not every stream sent its first event within 120 s")
        ended = [task for task in done if task is not waiting]
        if ended:
            raise RuntimeError(f"a stream ended before its first event: {ended[0].exception()!r}")
    await asyncio.sleep(2)
    rss_open, cpu_open = process_usage(pid)
    await asyncio.sleep(20)
    rss_idle, cpu_idle = process_usage(pid)
    latencies: list[float] = []
    async with httpx.AsyncClient(timeout=30) as client:
        for _ in range(20):
            marks = {index: len(times) for index, times in arrivals.items()}
            posted = time.monotonic()
            response = await client.post(f"{base}/v1/tenants/{tenant_id}/events", content=event_of_a_new_call("s-q"),
                                         auth=ingest, headers={"content-type": "application/json"})
            assert response.status_code == 200
            deadline = time.monotonic() + 5
            while time.monotonic() < deadline and any(len(arrivals[i]) <= marks[i] for i in marks):
                await asyncio.sleep(0.01)
            latencies += [arrivals[i][marks[i]] - posted for i in marks if len(arrivals[i]) > marks[i]]
            await asyncio.sleep(1)
    rss_busy, cpu_busy = process_usage(pid)
    for task in tasks:
        task.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)
    return {
        "streams": count,
        "rss_mb_before_open_idle_busy": [round(v, 1) for v in (rss_before, rss_open, rss_idle, rss_busy)],
        "rss_kb_per_stream": round((rss_open - rss_before) * 1024 / count, 1),
        "cpu_s_opening": round(cpu_open - cpu_before, 2),
        "cpu_ms_per_stream_opened": round((cpu_open - cpu_before) * 1000 / count, 2),
        "cpu_s_20_idle_seconds": round(cpu_idle - cpu_open, 2),
        "cpu_s_20_events": round(cpu_busy - cpu_idle, 2),
        "cpu_ms_per_push_per_stream": round((cpu_busy - cpu_idle) * 1000 / (20 * count), 3),
        "event_bytes": {kind: {"n": len(found), "median": sorted(found)[len(found) // 2], "max": max(found)}
                        for kind, found in sizes.items() if found},
        "event_to_push": percentiles(latencies) | {"max_ms": round(max(latencies) * 1000, 1),
                                                   "pushes": len(latencies), "expected": 20 * count},
    }


def base_copy(base: Path) -> Path:
    """A copy of `base` (and its write-ahead log) in `benchmarks/out/`, to add today's traffic to."""
    OUT.mkdir(exist_ok=True)
    db = OUT / f"realtime-base-{base.stem}.db"
    for suffix in ("", "-wal", "-shm"):
        Path(f"{db}{suffix}").unlink(missing_ok=True)
    print(f"copying {base} …", file=sys.stderr)
    for suffix in ("", "-wal"):
        if Path(f"{base}{suffix}").exists():
            shutil.copyfile(f"{base}{suffix}", f"{db}{suffix}")
    return db


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--count", type=int, default=20_000, help="interactions today so far")
    parser.add_argument("--history", type=int, default=0, help="interactions over the 90 days before")
    parser.add_argument("--streams", type=int, default=500)
    parser.add_argument("--repeat", type=int, default=200)
    parser.add_argument("--postgres", help="an empty PostgreSQL database to load and query")
    parser.add_argument("--base", type=Path, help="a SQLite database of bench_statistics.py to start from (copied)")
    parser.add_argument("--tenant", default=TENANT_ID, help="the tenant (with --base: bench_statistics.py's)")
    parser.add_argument("--timezone", default="UTC", help="a new tenant's zone")
    parser.add_argument("--reuse", action="store_true", help="query the SQLite file of an earlier run (no load)")
    args = parser.parse_args()
    if args.base and args.tenant == TENANT_ID:
        args.tenant = "5eed0000-0000-4000-8000-000000000012"
    if args.postgres:
        url, label = args.postgres, "postgres"
    else:
        OUT.mkdir(exist_ok=True)
        if args.base:
            db = OUT / f"realtime-base-{args.base.stem}.db"
            if not args.reuse:
                db = base_copy(args.base)
        else:
            db = OUT / f"realtime-{args.count}-{args.history}.db"
            if not args.reuse:
                for suffix in ("", "-wal", "-shm"):
                    Path(f"{db}{suffix}").unlink(missing_ok=True)
        url, label = f"sqlite:///{db}", "sqlite"
    store = open_store(url)
    store.migrate()  # (the base's own schema may be older)
    tenant = store.get_tenant(args.tenant) or Tenant(args.tenant, "bench", args.timezone)
    store.close()
    result: dict[str, Any] = {"store": label, "count": args.count, "history": args.history,
                              "base": str(args.base) if args.base else None, "tenant": tenant.id,
                              "timezone": tenant.timezone, "load_average_start": os.getloadavg()}
    if not args.reuse:
        result["load"] = load(url, args, tenant)
        print(json.dumps(result["load"]), file=sys.stderr)
    store = open_store(url)
    read = credentials.issue_key(store, tenant.id, "read")
    ingest = credentials.issue_key(store, tenant.id, "ingest")
    store.close()
    result["in_process"] = in_process(url, tenant.id, args.repeat)
    print(json.dumps(result["in_process"]), file=sys.stderr)
    read_auth, ingest_auth = (read.key.id, read.secret), (ingest.key.id, ingest.secret)
    port = free_port()
    server = subprocess.Popen([str(Path(sys.executable).parent / "cxreport"), "serve", "--database", url, "--port",
                               str(port)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                              env={**os.environ, "CXREPORT_RATE_LIMIT": "0",  # one key opens every stream
                                   "CXREPORT_REALTIME_MAX_STREAMS_PER_KEY": str(max(args.streams, 1))})
    base = f"http://127.0.0.1:{port}"
    try:
        wait_up(base, server)
        result["batch_of_10"] = batch_latency(base, tenant.id, read_auth, ingest_auth, args.repeat, server.pid)
        print(json.dumps(result["batch_of_10"]), file=sys.stderr)
        if args.streams:
            result["streams"] = asyncio.run(streams(base, tenant.id, read_auth, ingest_auth, args.streams,
                                                    server.pid))
    finally:
        server.terminate()
        server.wait(timeout=60)
    result["load_average_end"] = os.getloadavg()
    text = json.dumps(result, indent=2)
    print(text)
    name = f"realtime-{label}-{args.count}-{args.history}{'-' + args.base.stem if args.base else ''}.json"
    (OUT / name).write_text(text)


if __name__ == "__main__":
    main()
