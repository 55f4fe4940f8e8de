"""Realtime statistics: the batch of 10 statistics' latency on a tenant with a day of traffic in progress, and
what 500 open streams cost (memory and CPU per stream, latency from an accepted event to its push).

    .venv/bin/python benchmarks/bench_realtime.py [--count 20000] [--history 0] [--streams 500] [--repeat 200]
        [--postgres postgresql://postgres@127.0.0.1:5432/test]

`--count` interactions' events (the synthetic generator, 30 queues, 300 agents) over today so far in UTC, and
`--history` more over the 90 days before, are imported into a fresh database (SQLite in `benchmarks/out/`, or a
PostgreSQL database made for the run) through `cxreport import-events`' code path; then a real `cxreport serve`
on loopback answers:
  - the batch of 10 statistics (`POST …/realtime-statistics/batch`) when nothing changed since the last read
    (the snapshot is reused: one read of the change counter) and, interleaved round by round, right after an
    accepted event (every read a new snapshot: today's sums, what is in progress, agent states), p50/p99;
  - `--streams` streams opened on one tenant: the server's RSS and CPU before and after, over 20 idle seconds,
    and over 20 events posted one a second, with each event's latency to its push on every stream.
Results are printed and written to `benchmarks/out/realtime-<store>-<count>.json`, with the load average.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import json
import os
import subprocess
import sys
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import msgspec
from bench_search import free_port, percentiles, wait_up

from cxreport.cli.import_events import DEFAULT_BATCH_SIZE, import_event_files
from cxreport.cli.synthetic import generate_events
from cxreport.service import credentials
from cxreport.store import open_store
from cxreport.store.base import Tenant
from cxreport.times import format_instant

OUT = Path(__file__).resolve().parent / "out"
TENANT_ID = "5eed0000-0000-4000-8000-000000000013"
BATCH = ["interactions-in-queue", "longest-current-wait", "interactions-in-conversation", "agents-ready",
         "agents-not-ready", "offered", "answered", "abandoned", "service-level", "average-speed-of-answer"]


def write_events(path: Path, count: int, start_us: int, end_us: int, seed: int) -> int:
    encode = msgspec.json.Encoder().encode
    total = 0
    with open(path, "ab") as out:
        for events in generate_events(count, seed=seed, tenant_id=TENANT_ID, start=format_instant(start_us),
                                      end=format_instant(end_us), queues=30, agents=300):
            out.write(b"".join(encode(event) + b"\n" for event in events))
            total += len(events)
    return total


def load(url: str, args: argparse.Namespace) -> dict[str, Any]:
    now = datetime.now(UTC)
    today = datetime(now.year, now.month, now.day, tzinfo=UTC)
    to_us = lambda moment: int(moment.timestamp() * 1_000_000)  # noqa: E731
    OUT.mkdir(exist_ok=True)
    path = OUT / f"realtime-events-{args.count}-{args.history}.ndjson"
    path.unlink(missing_ok=True)
    events = 0
    if args.history:
        events += write_events(path, args.history, to_us(today - timedelta(days=90)), to_us(today), 7)
    events += write_events(path, args.count, to_us(today), to_us(now) - 60_000_000, 8)
    store = open_store(url, "bulk-writes")
    store.migrate()
    store.create_tenant(Tenant(TENANT_ID, "bench", "UTC"))
    started = time.perf_counter()
    report = import_event_files(store, TENANT_ID, [str(path)], batch_size=DEFAULT_BATCH_SIZE, progress=False)
    store.refresh_statistics()
    seconds = time.perf_counter() - started
    store.close()
    path.unlink()
    return {"events": events, "accepted": report.counts.accepted, "import_s": round(seconds, 1)}


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


def batch_latency(base: str, read: tuple[str, str], ingest: tuple[str, str], repeat: int) -> dict[str, Any]:
    body = {"requests": {name: {"statistic": name} for name in BATCH}}
    url = f"{base}/v1/tenants/{TENANT_ID}/realtime-statistics/batch"
    unchanged: list[float] = []
    changed: list[float] = []
    with httpx.Client(timeout=60) as client:
        for _ in range(5):
            assert client.post(url, json=body, auth=read).status_code == 200
        for _ in range(repeat):  # interleaved: a read after a change, then a read with nothing changed
            posted = client.post(f"{base}/v1/tenants/{TENANT_ID}/events", content=event_of_a_new_call("bench-q"),
                                 auth=ingest, headers={"content-type": "application/json"})
            assert posted.status_code == 200, posted.text
            for samples in (changed, unchanged):
                started = time.perf_counter()
                response = client.post(url, json=body, auth=read)
                samples.append(time.perf_counter() - started)
                assert response.status_code == 200, response.text
        found = client.post(url, json=body, auth=read).json()["results"]
    return {"after_a_change": percentiles(changed), "nothing_changed": percentiles(unchanged),
            "offered_today": found["offered"]["results"]["count"],
            "in_queue_now": found["interactions-in-queue"]["results"]["count"]}


def process_usage(pid: int) -> tuple[float, float]:
    """(RSS in MB, CPU seconds) of a process."""
    with open(f"/proc/{pid}/status") as status:
        rss = next(int(line.split()[1]) for line in status if line.startswith("VmRSS")) / 1024
    with open(f"/proc/{pid}/stat") as stat:
        fields = stat.read().rsplit(")", 1)[1].split()
    return rss, (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


async def streams(base: str, read: tuple[str, str], ingest: tuple[str, str], count: int, pid: int) -> dict[str, Any]:
    host, port = base.removeprefix("http://").split(":")
    auth = base64.b64encode(f"{read[0]}:{read[1]}".encode()).decode()
    request = (f"GET /v1/tenants/{TENANT_ID}/realtime-statistics/stream HTTP/1.1\r\nHost: {host}\r\n"
               f"Authorization: Basic {auth}\r\nAccept: text/event-stream\r\n\r\n").encode()
    rss_before, cpu_before = process_usage(pid)
    arrivals: dict[int, list[float]] = {}

    async def watch(index: int, ready: asyncio.Event) -> None:
        reader, writer = await asyncio.open_connection(host, int(port))
        writer.write(request)
        await writer.drain()
        seen = 0
        try:
            while True:
                line = await reader.readline()
                if not line:
                    return
                if line.startswith(b"event: statistics"):
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
    await asyncio.wait_for(asyncio.gather(*(ready.wait() for ready in readies)), timeout=120)
    await asyncio.sleep(2)
    rss_open, cpu_open = process_usage(pid)
    await asyncio.sleep(20)
    rss_idle, cpu_idle = process_usage(pid)
    latencies: list[float] = []
    async with httpx.AsyncClient(timeout=30) as client:
        for _ in range(20):
            marks = {index: len(times) for index, times in arrivals.items()}
            posted = time.monotonic()
            response = await client.post(f"{base}/v1/tenants/{TENANT_ID}/events", content=event_of_a_new_call("s-q"),
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
        "event_to_push": percentiles(latencies) | {"max_ms": round(max(latencies) * 1000, 1),
                                                   "pushes": len(latencies), "expected": 20 * count},
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--count", type=int, default=20_000)
    parser.add_argument("--history", type=int, default=0)
    parser.add_argument("--streams", type=int, default=500)
    parser.add_argument("--repeat", type=int, default=200)
    parser.add_argument("--postgres")
    args = parser.parse_args()
    if args.postgres:
        url, label = args.postgres, "postgres"
    else:
        OUT.mkdir(exist_ok=True)
        db = OUT / f"realtime-{args.count}-{args.history}.db"
        for suffix in ("", "-wal", "-shm"):
            Path(f"{db}{suffix}").unlink(missing_ok=True)
        url, label = f"sqlite:///{db}", "sqlite"
    result: dict[str, Any] = {"store": label, "count": args.count, "history": args.history,
                              "load_average_start": os.getloadavg()}
    result["load"] = load(url, args)
    print(json.dumps(result["load"]), file=sys.stderr)
    store = open_store(url)
    read = credentials.issue_key(store, TENANT_ID, "read")
    ingest = credentials.issue_key(store, TENANT_ID, "ingest")
    store.close()
    read_auth, ingest_auth = (read.key.id, read.secret), (ingest.key.id, ingest.secret)
    port = free_port()
    server = subprocess.Popen([str(Path(sys.executable).parent / "cxreport"), "serve", "--database", url, "--port",
                               str(port)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                              env={**os.environ, "CXREPORT_RATE_LIMIT": "0"})
    base = f"http://127.0.0.1:{port}"
    try:
        wait_up(base, server)
        result["batch_of_10"] = batch_latency(base, read_auth, ingest_auth, args.repeat)
        print(json.dumps(result["batch_of_10"]), file=sys.stderr)
        if args.streams:
            result["streams"] = asyncio.run(streams(base, read_auth, ingest_auth, args.streams, server.pid))
    finally:
        server.terminate()
        server.wait(timeout=60)
    result["load_average_end"] = os.getloadavg()
    text = json.dumps(result, indent=2)
    print(text)
    (OUT / f"realtime-{label}-{args.count}-{args.history}.json").write_text(text)


if __name__ == "__main__":
    main()
