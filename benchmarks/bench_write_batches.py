"""In-process timing of the soak's write batches (no HTTP): record batches through
`service.interactions.ingest` and event batches through `service.interactions.ingest_events`, the same
functions the HTTP routes run in their write thread, with bodies built by `benchmarks/soak.py`'s own
`Client.record_upsert` / `Client.event_batch` (32 clients round-robin, as the soak's).

Per batch: wall time of the service call, thread CPU, time holding the store's write lock (`_write`), and the
time of each SQL statement group (execute/executemany timed on the write connection), the derivation
(`rebuild`) and validation (`prepare_records`). Nothing is changed in the store's behaviour.

    .venv/bin/python benchmarks/bench_write_batches.py --db /tmp/x.db --records 20000 --batches 200 \
        [--explicit-checkpoints] [--profile out.prof] [--json out.json]

The --db file is created with `--records` synthetic interactions (soak.prepare) when missing; pass --copy-from
to start from a copy of a prepared file instead (each run writes to the database).
"""
from __future__ import annotations

import argparse
import json
import random
import shutil
import sqlite3
import statistics
import sys
import time
from collections import defaultdict
from contextlib import contextmanager
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))  # the soak's loading and batch shapes

import soak
from bench_derive import TENANT

import cxreport
from cxreport.service import events as service_events
from cxreport.service import interactions as service
from cxreport.store import open_store
from cxreport.store import sqlite as store_sqlite

T = defaultdict(float)  # label -> seconds, for the current batch
N = defaultdict(int)


def label(sql: str) -> str:
    s = " ".join(sql.split())
    u = s.upper()
    if u.startswith("BEGIN"):
        return "begin"
    if u.startswith("COMMIT"):
        return "commit"
    if u.startswith("PRAGMA"):
        return "pragma"
    if "FROM TENANTS" in u:
        return "tenant lookup"
    if "INTO REALTIME_SLOTS" in u:
        return "realtime slot counters"
    if "REALTIME_CHANGES" in u:
        return "realtime change counter"
    if "LIVE_INTERACTIONS" in u:
        return "live interactions"
    if "INTERACTION_HOURS" in u:
        return "hourly counts"
    if "INTERACTION_FACETS" in u:
        return "facets: delete old" if u.startswith("DELETE") else "facets: insert"
    if "NEW_FACT_CELLS" in u and ("_ROLLUPS" not in u):
        return "rollup add: cells"
    if "NEW_FACT_CELLS" in u:
        return "rollup add: merge"
    if "_ROLLUPS" in u:
        hourly = "_HOUR_ROLLUPS" in u.split(" SELECT")[0] if not u.startswith("DELETE") else "_HOUR_ROLLUPS" in u
        kind = "hour" if hourly else "quarter"
        return f"rollup refresh: {'delete' if u.startswith('DELETE') else 'rebuild'} {kind}"
    if "QUEUE_ENTRY_FACTS" in u:
        if u.startswith("SELECT"):
            return "facts: read old"
        return "facts: delete old" if u.startswith("DELETE") else "facts: insert"
    if "FROM EVENTS" in u or "INTO EVENTS" in u:
        return "events: insert" if u.startswith("INSERT") else "events: read"
    if "AGENT" in u:
        return "agent events"
    if "SLA" in u:
        return "slas read"
    if u.startswith("INSERT INTO INTERACTIONS"):
        return "records: insert"
    if u.startswith("UPDATE INTERACTIONS"):
        return "records: update"
    if "FROM INTERACTIONS" in u:
        return "records: read stored"
    return "other: " + s[:60]


_labels: dict[str, str] = {}


def labelled(sql: str) -> str:
    found = _labels.get(sql)
    if found is None:
        found = _labels[sql] = label(sql)
    return found


class TimedConnection(sqlite3.Connection):
    def execute(self, sql, params=(), /):  # type: ignore[override]
        t, c = time.perf_counter(), time.thread_time()
        try:
            return super().execute(sql, params)
        finally:
            name = labelled(sql)
            T["sql: " + name] += time.perf_counter() - t
            if name == "commit":
                T["commit thread CPU"] += time.thread_time() - c

    def executemany(self, sql, rows, /):  # type: ignore[override]
        rows = list(rows)
        t = time.perf_counter()
        try:
            return super().executemany(sql, rows)
        finally:
            T["sql: " + labelled(sql)] += time.perf_counter() - t


def instrument(store) -> None:
    real_connect = sqlite3.connect

    def connect(*args, **kwargs):
        kwargs["factory"] = TimedConnection
        return real_connect(*args, **kwargs)

    store_sqlite.sqlite3.connect = connect  # the module's name; SqliteStore._connect calls sqlite3.connect
    original_write = type(store)._write

    @contextmanager
    def timed_write(self):
        t = time.perf_counter()
        with original_write(self) as db:  # its BEGIN is timed as SQL
            yield db
        T["write lock held"] += time.perf_counter() - t

    type(store)._write = timed_write
    service.prepare_records = timed("py: validate records", service.prepare_records)
    service_events.read_events = timed("py: decode events", service_events.read_events)
    real_rebuilder = service_events.rebuilder
    service_events.rebuilder = lambda *a, **k: timed("py: derive records", real_rebuilder(*a, **k))


def timed(label: str, function):
    """`function`, its wall time added to `T[label]` at every call."""

    def call(*args, **kwargs):
        started = time.perf_counter()
        try:
            return function(*args, **kwargs)
        finally:
            T[label] += time.perf_counter() - started

    return call


def build(path: Path, records: int, clients: int) -> None:
    t = time.perf_counter()
    soak.prepare(f"sqlite:///{path}", records, clients)
    db = sqlite3.connect(path)
    db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    db.close()
    print(f"built {path} with {records} records in {time.perf_counter() - t:.1f} s", file=sys.stderr)


def pct(values, q):
    s = sorted(values)
    return s[min(len(s) - 1, int(q * len(s)))]


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("--db", required=True)
    p.add_argument("--records", type=int, default=20_000)
    p.add_argument("--copy-from", help="start from a copy of this prepared database file")
    p.add_argument("--batches", type=int, default=200, help="of each kind")
    p.add_argument("--clients", type=int, default=32)
    p.add_argument("--warmup", type=int, default=2, help="untimed rounds of both kinds per client first")
    p.add_argument("--profile", help="cProfile the timed batches into this file")
    p.add_argument("--json")
    p.add_argument("--explicit-checkpoints", action="store_true",
                   help="wal_autocheckpoint off; after a batch whose commit left >= 1000 WAL frames, "
                        "PRAGMA wal_checkpoint(TRUNCATE) timed as the batch's 'checkpoint' (what the default "
                        "autocheckpoint does inside COMMIT), and WAL frames written per batch counted")
    p.add_argument("--checkpoint-frames", type=int, default=1000,
                   help="with --explicit-checkpoints: the WAL size that triggers one (SQLite's default 1000)")
    p.add_argument("--only", choices=["record", "event"], help="time batches of this kind only")
    p.add_argument("--keep-wal", help="copy the database and its WAL here at the end (for wal_pages.py)")
    p.add_argument("--no-instrument", action="store_true", help="plain timing, no per-statement wrappers")
    args = p.parse_args()
    path = Path(args.db)
    if args.copy_from:
        for suffix in ("", "-wal", "-shm"):
            Path(str(path) + suffix).unlink(missing_ok=True)
        shutil.copy(args.copy_from, path)
    elif not path.exists():
        build(path, args.records, args.clients)
    store = open_store(f"sqlite:///{path}")  # the server's settings (FOR_SERVING)
    if not args.no_instrument:
        instrument(store)
    clients = [soak.Client(n, "http://127.0.0.1:9", ("k", "s"), [], soak.Tally()) for n in range(args.clients)]
    cap = 0
    from cxreport.config import Settings
    cap = Settings.from_env().max_events_per_interaction

    def run(kind: str, client) -> bytes:
        if kind == "record":
            body = client.record_upsert().content
            return lambda: service.ingest(store, TENANT, body)
        body = client.event_batch().content
        return lambda: service.ingest_events(store, TENANT, body, cap)

    for _ in range(args.warmup):
        for c in clients:
            run("record", c)()
            run("event", c)()
    # the timed batches: the soak's mix (15 record : 10 event), interleaved, round-robin over the clients
    rng = random.Random(5)
    kinds = ([] if args.only == "event" else ["record"] * args.batches) + (
        [] if args.only == "record" else ["event"] * args.batches)
    rng.shuffle(kinds)
    results: dict[str, list[dict[str, float]]] = {"record": [], "event": []}
    profiler = None
    if args.profile:
        import cProfile
        profiler = cProfile.Profile()
    wal = Path(str(path) + "-wal")
    page = store._db.execute("PRAGMA page_size").fetchone()[0]

    def frames() -> int:
        return max(0, (wal.stat().st_size - 32) // (page + 24)) if wal.exists() else 0

    if args.explicit_checkpoints:
        store._db.execute("PRAGMA wal_autocheckpoint = 0")
        store._db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    for i, kind in enumerate(kinds):
        call = run(kind, clients[i % len(clients)])  # body built outside the clock, as the soak does
        T.clear()
        before = frames() if args.explicit_checkpoints else 0
        c0, t0, p0 = time.thread_time(), time.perf_counter(), time.process_time()
        if profiler:
            profiler.enable()
        call()
        if args.explicit_checkpoints:
            after = frames()
            T["wal frames"] = (after - before) / 1000  # shown /1000 so the ms columns stay readable
            if after >= args.checkpoint_frames:
                t = time.perf_counter()
                store._db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
                T["sql: checkpoint (explicit)"] += time.perf_counter() - t
        if profiler:
            profiler.disable()
        wall, cpu = time.perf_counter() - t0, time.thread_time() - c0
        row = {"wall": wall, "cpu": cpu, "process cpu": time.process_time() - p0, **T}
        results[kind].append(row)
    if profiler:
        profiler.dump_stats(args.profile)
    if args.keep_wal:
        shutil.copy(path, args.keep_wal)
        shutil.copy(str(path) + "-wal", args.keep_wal + "-wal")
    count = store._db.execute("SELECT count(*) FROM interactions").fetchone()[0]
    facts = store._db.execute("SELECT count(*) FROM queue_entry_facts").fetchone()[0]
    summary = {"db": str(path), "records_in_db": count, "facts_in_db": facts, "kinds": {}}
    for kind, rows in results.items():
        labels = sorted({k for r in rows for k in r}, key=lambda k: -sum(r.get(k, 0) for r in rows))
        means = {k: 1000 * sum(r.get(k, 0) for r in rows) / len(rows) for k in labels}
        if not rows:
            summary["kinds"][kind] = {"batches": 0}
            continue
        summary["kinds"][kind] = {
            "batches": len(rows),
            "wall_ms_p50": 1000 * statistics.median(r["wall"] for r in rows),
            "wall_ms_p90": 1000 * pct([r["wall"] for r in rows], 0.9),
            "wall_ms_max": 1000 * max(r["wall"] for r in rows),
            "cpu_ms_p50": 1000 * statistics.median(r["cpu"] for r in rows),
            "cpu_ms_p90": 1000 * pct([r["cpu"] for r in rows], 0.9),
            "mean_ms": means,
        }
    print(f"db {path}: {count} records, {facts} facts after the run; cxreport from {cxreport.__file__}")
    for kind, s in summary["kinds"].items():
        if not s["batches"]:
            continue
        print(f"\n{kind} batches ({s['batches']}): wall p50 {s['wall_ms_p50']:.2f} p90 {s['wall_ms_p90']:.2f} "
              f"max {s['wall_ms_max']:.1f} ms; thread CPU p50 {s['cpu_ms_p50']:.2f} p90 {s['cpu_ms_p90']:.2f} ms")
        total = s["mean_ms"]["wall"]
        sql = sum(v for k, v in s["mean_ms"].items() if k.startswith("sql: "))
        py = sum(v for k, v in s["mean_ms"].items() if k.startswith("py: "))
        for k, v in s["mean_ms"].items():
            print(f"  {k:<40} {v:8.3f} ms {100 * v / total:5.1f}%")
        print(f"  {'(all SQL)':<40} {sql:8.3f} ms {100 * sql / total:5.1f}%")
        other = total - sql - py
        print(f"  {'(other Python = wall - SQL - py:*)':<40} {other:8.3f} ms {100 * other / total:5.1f}%")
    if args.json:
        Path(args.json).write_text(json.dumps({"summary": summary, "rows": results}, indent=1))


if __name__ == "__main__":
    main()
