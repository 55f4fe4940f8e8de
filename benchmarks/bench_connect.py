"""Amazon Connect contact record import against native event import of the same events, side by side.

    .venv/bin/python benchmarks/bench_connect.py [--count 200000] [--rounds 2] [--batch 100000]

Generates `--count` contact records (NDJSON; 80 % answered with holds and wrap-up, 10 % abandoned, 10 %
transferred by an agent to a queue: a second leg) into benchmarks/out/, and the cxreport events they translate
into (the native file). Each round imports both into a fresh SQLite database, in a child process of its own
(so its peak RSS is its own), the order alternating from round to round: connect = read + translate + store
through `incoming`/`store_events` in batches of `--batch` events, as `cxreport import-events` does; native =
the same events from their NDJSON file through the same path. Prints events/s, events per CPU-second, their
ratio (target: connect ≥ 80 % of native), each child's peak RSS, and the load average; writes
benchmarks/out/bench_connect.json.
"""

from __future__ import annotations

import argparse
import io
import json
import os
import random
import resource
import subprocess
import sys
import tempfile
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import msgspec

OUT = Path(__file__).resolve().parent / "out"
BASE = datetime(2024, 3, 4, 8, 0, tzinfo=UTC)
INSTANCE = "arn:aws:connect:eu-west-1:123456789012:instance/11111111-2222-3333-4444-555555555555"


def stamp(at: datetime) -> str:
    return at.strftime("%Y-%m-%dT%H:%M:%SZ")


def contact_records(index: int, rng: random.Random) -> list[dict[str, Any]]:
    """One interaction's legs (one, or two for a transfer)."""
    contact_id = str(uuid.UUID(int=rng.getrandbits(128), version=4))
    start = BASE + timedelta(seconds=index * 3)
    enqueue = start + timedelta(seconds=rng.randint(5, 60))
    wait = rng.randint(1, 300)
    dequeue = enqueue + timedelta(seconds=wait)
    kind = rng.random()
    record: dict[str, Any] = {
        "AWSAccountId": "123456789012",
        "AWSContactTraceRecordFormatVersion": "2017-03-10",
        "ContactId": contact_id,
        "InitialContactId": None,
        "PreviousContactId": None,
        "NextContactId": None,
        "Channel": "VOICE",
        "InitiationMethod": "INBOUND",
        "InitiationTimestamp": stamp(start),
        "ConnectedToSystemTimestamp": stamp(start),
        "CustomerEndpoint": {"Address": f"+1555{rng.randint(0, 9999999):07d}", "Type": "TELEPHONE_NUMBER"},
        "SystemEndpoint": {"Address": "+18005550100", "Type": "TELEPHONE_NUMBER"},
        "InstanceARN": INSTANCE,
        "Attributes": {"language": rng.choice(["en", "fr", "de"]), "tier": rng.choice(["gold", "silver"])},
        "Queue": {
            "ARN": f"{INSTANCE}/queue/q{rng.randint(1, 20)}",
            "Name": f"Queue {rng.randint(1, 20)}",
            "EnqueueTimestamp": stamp(enqueue),
            "DequeueTimestamp": stamp(dequeue),
            "Duration": wait,
        },
        "Recordings": [{"Location": f"bucket/{contact_id}.wav", "Status": "AVAILABLE", "Type": "AUDIO"}],
    }
    if kind < 0.1:  # abandoned
        record.update(DisconnectTimestamp=stamp(dequeue), DisconnectReason="CUSTOMER_DISCONNECT", Agent=None)
        record["LastUpdateTimestamp"] = stamp(dequeue + timedelta(seconds=5))
        return [record]
    talk, holds = rng.randint(30, 600), rng.choice([0, 0, 1, 2])
    hold = holds * rng.randint(5, 60)
    acw_start = dequeue + timedelta(seconds=talk + hold)
    acw = rng.randint(0, 120)
    name = f"agent{rng.randint(1, 200)}"
    record["Agent"] = {
        "ARN": f"{INSTANCE}/agent/{name}",
        "Username": name,
        "ConnectedToAgentTimestamp": stamp(dequeue),
        "AgentInteractionDuration": talk,
        "CustomerHoldDuration": hold,
        "NumberOfHolds": holds,
        "LongestHoldDuration": hold // holds if holds else 0,
        "AfterContactWorkStartTimestamp": stamp(acw_start),
        "AfterContactWorkEndTimestamp": stamp(acw_start + timedelta(seconds=acw)),
        "AfterContactWorkDuration": acw,
    }
    record.update(DisconnectTimestamp=stamp(acw_start), DisconnectReason="CUSTOMER_DISCONNECT")
    record["LastUpdateTimestamp"] = stamp(acw_start + timedelta(seconds=acw + 5))
    if kind >= 0.2:
        return [record]
    second_id = str(uuid.UUID(int=rng.getrandbits(128), version=4))
    record.update(NextContactId=second_id, DisconnectReason="AGENT_DISCONNECT")
    record["TransferCompletedTimestamp"] = stamp(acw_start)
    begin = acw_start - timedelta(seconds=10)
    enqueue2 = begin + timedelta(seconds=1)
    dequeue2 = enqueue2 + timedelta(seconds=20)
    acw2 = dequeue2 + timedelta(seconds=200)
    second = dict(record)
    second.update(
        ContactId=second_id,
        InitialContactId=contact_id,
        PreviousContactId=contact_id,
        NextContactId=None,
        InitiationMethod="TRANSFER",
        InitiationTimestamp=stamp(begin),
        DisconnectTimestamp=stamp(acw2),
        DisconnectReason="CUSTOMER_DISCONNECT",
        LastUpdateTimestamp=stamp(acw2 + timedelta(seconds=30)),
        TransferCompletedTimestamp=None,
        Queue={
            **record["Queue"],
            "EnqueueTimestamp": stamp(enqueue2),
            "DequeueTimestamp": stamp(dequeue2),
            "Duration": 20,
        },
        Agent={
            **record["Agent"],
            "ConnectedToAgentTimestamp": stamp(dequeue2),
            "AgentInteractionDuration": 200,
            "CustomerHoldDuration": 0,
            "NumberOfHolds": 0,
            "AfterContactWorkStartTimestamp": stamp(acw2),
            "AfterContactWorkEndTimestamp": stamp(acw2 + timedelta(seconds=20)),
            "AfterContactWorkDuration": 20,
        },
    )
    return [record, second]


def generate(count: int) -> tuple[Path, Path]:
    """The contact record file (`count` records) and the native events file they translate into."""
    from cxreport.importers.base import ImportOptions
    from cxreport.importers.connect import translate

    OUT.mkdir(exist_ok=True)
    ctrs, events = OUT / f"connect-ctrs-{count}.ndjson", OUT / f"connect-events-{count}.ndjson"
    if ctrs.exists() and events.exists():
        return ctrs, events
    rng = random.Random(7)
    written = 0
    with ctrs.open("wb") as out:
        index = 0
        while written < count:
            for record in contact_records(index, rng)[: count - written]:
                out.write(msgspec.json.encode(record) + b"\n")
                written += 1
            index += 1
    with ctrs.open("rb") as source, events.open("wb") as out:
        for item in translate(source, ImportOptions(source="bench")):
            assert item.error is None, item.error
            for event in item.events:
                out.write(event + b"\n")
    return ctrs, events


def run_child(mode: str, path: Path, database: Path, batch_size: int) -> dict[str, Any]:
    """In this (child) process: import one file into a fresh store; the figures as JSON."""
    from cxreport.importers.base import ImportOptions
    from cxreport.importers.connect import translate
    from cxreport.service.events import Incoming, incoming, store_events
    from cxreport.store import open_store
    from cxreport.store.base import Tenant

    store = open_store(f"sqlite:///{database}")
    store.migrate()
    tenant_id = str(uuid.uuid4())
    store.create_tenant(Tenant(tenant_id, "bench", "UTC"))
    wall, cpu = time.perf_counter(), time.process_time()
    stored = 0
    batch: list[Incoming] = []
    with path.open("rb") as stream:
        if mode == "connect":
            lines = (event for item in translate(stream, ImportOptions(source="bench")) for event in item.events)
        else:
            lines = (line.rstrip(b"\n") for line in io.BufferedReader(stream, 1 << 16))  # type: ignore[arg-type]
        for text in lines:
            batch.append(incoming(text, len(batch), tenant_id))
            if len(batch) >= batch_size:
                stored += store_events(store, tenant_id, batch).accepted
                batch = []
        if batch:
            stored += store_events(store, tenant_id, batch).accepted
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    store.close()
    peak_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return {"mode": mode, "events": stored, "seconds": wall, "cpu_seconds": cpu, "peak_rss_mb": peak_kb / 1024}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=200_000)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--batch", type=int, default=100_000)
    parser.add_argument("--child", nargs=3, metavar=("MODE", "FILE", "DATABASE"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        mode, path, database = args.child
        print(json.dumps(run_child(mode, Path(path), Path(database), args.batch)))
        return
    ctrs, events = generate(args.count)
    load_start = os.getloadavg()
    runs: list[dict[str, Any]] = []
    for round_number in range(args.rounds):
        order = ("connect", "native") if round_number % 2 == 0 else ("native", "connect")
        for mode in order:
            with tempfile.TemporaryDirectory() as folder:
                database = Path(folder) / "bench.db"
                command = [sys.executable, __file__, "--batch", str(args.batch), "--child", mode,
                           str(ctrs if mode == "connect" else events), str(database)]
                result = json.loads(subprocess.run(command, check=True, capture_output=True, text=True).stdout)
            result["round"] = round_number
            runs.append(result)
            print(
                f"round {round_number} {mode:8} {result['events']:>9,} events  {result['seconds']:7.1f} s  "
                f"{result['events'] / result['seconds']:9,.0f} events/s  "
                f"{result['events'] / result['cpu_seconds']:9,.0f} events/CPU-s  "
                f"peak RSS {result['peak_rss_mb']:.0f} MB"
            )
    summary: dict[str, Any] = {"count": args.count, "runs": runs, "load_average": [load_start, os.getloadavg()]}
    for figure in ("seconds", "cpu_seconds"):
        rates = {}
        for mode in ("connect", "native"):
            mine = [r for r in runs if r["mode"] == mode]
            rates[mode] = sum(r["events"] for r in mine) / sum(r[figure] for r in mine)
        summary[f"ratio_per_{figure}"] = rates["connect"] / rates["native"]
        print(f"connect / native, events per {figure.replace('_', ' ')}: {rates['connect'] / rates['native']:.1%}")
    print(f"load average: start {load_start}, end {os.getloadavg()}")
    (OUT / "bench_connect.json").write_text(json.dumps(summary, indent=2))


if __name__ == "__main__":
    main()
