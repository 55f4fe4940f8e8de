"""The Asterisk queue_log importer against native event import, side by side: events/s and per CPU-second.

    .venv/bin/python benchmarks/bench_importers.py [--lines 1000000] [--rounds 2] [--seed 7]

Generates a deterministic queue_log of `--lines` lines (file form: answered calls with unanswered rings before
the answer, abandons, timeouts, blind transfers, agents pausing; about 4 lines a call) into `benchmarks/out/`,
and the very same events as cxreport NDJSON (what the importer makes of it, written once). Then, in alternating
rounds (queue_log, NDJSON; NDJSON, queue_log; …) so that a drift in the machine's speed hits both alike, each
is imported by `import_event_files` (what `cxreport import-events` runs) into a fresh SQLite database, in a
child process of its own, which reports its wall time, CPU seconds and peak RSS. Prints each run, the medians,
the ratio queue_log / native (events/s and events per CPU-second; the target is ≥ 80 %), the load average,
and the peak RSS of a run on a quarter of the lines beside the whole (flat memory: they should be alike).
"""

from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

OUT = Path(__file__).resolve().parent / "out"
TENANT = "5f2d9c1e-0b7a-4e43-9a51-3f0c2d6b7e19"
QUEUES = ("sales", "support", "billing", "vip")
AGENTS = tuple(f"Agent/{n}" for n in range(1000, 1060))


def queue_log(lines: int, seed: int) -> Path:
    """The generated queue_log (cached by size and seed)."""
    OUT.mkdir(exist_ok=True)
    path = OUT / f"queue_log-{lines}-{seed}"
    if path.exists():
        return path
    rng = random.Random(seed)
    t = 1_700_000_000
    written = 0
    with open(path, "w") as out:
        call = 0
        while written < lines:
            call += 1
            t += rng.randint(0, 3)
            callid, queue = f"{t}.{call}", rng.choice(QUEUES)
            rows = [f"{t}|{callid}|{queue}|NONE|ENTERQUEUE||555{call % 10_000_000:07d}|{rng.randint(1, 9)}|"]
            wait = rng.randint(0, 120)
            fate = rng.random()
            if fate < 0.70:
                agent = rng.choice(AGENTS)
                if rng.random() < 0.3:
                    rows.append(f"{t + wait // 2}|{callid}|{queue}|{rng.choice(AGENTS)}|RINGNOANSWER|15000")
                ring, talk = rng.randint(1, 10), rng.randint(20, 600)
                rows.append(f"{t + wait}|{callid}|{queue}|{agent}|CONNECT|{wait}|{callid}1|{ring}|")
                if rng.random() < 0.1:
                    rows.append(f"{t + wait + talk}|{callid}|{queue}|{agent}|BLINDTRANSFER|200|default|{wait}|{talk}|1")
                else:
                    verb = rng.choice(("COMPLETEAGENT", "COMPLETECALLER"))
                    rows.append(f"{t + wait + talk}|{callid}|{queue}|{agent}|{verb}|{wait}|{talk}|1|")
            elif fate < 0.90:
                rows.append(f"{t + wait}|{callid}|{queue}|NONE|ABANDON|1|1|{wait}|")
            else:
                rows.append(f"{t + 120}|{callid}|{queue}|NONE|EXITWITHTIMEOUT|1|1|120|")
            if rng.random() < 0.05:
                rows.append(f"{t}|NONE|NONE|{rng.choice(AGENTS)}|{rng.choice(('PAUSEALL|lunch', 'UNPAUSEALL|'))}")
            out.write("\n".join(rows) + "\n")
            written += len(rows)
    return path


def native_copy(log: Path) -> tuple[Path, int]:
    """The same events as cxreport NDJSON (what the importer makes of the log) and their number."""
    from cxreport.importers.asterisk import translate
    from cxreport.importers.base import ImportOptions

    path = log.with_suffix(".ndjson")
    counted = log.with_suffix(".count")
    if path.exists() and counted.exists():
        return path, int(counted.read_text())
    total = 0
    with open(log, "rb") as source, open(path, "wb") as out:
        for item in translate(source, ImportOptions()):
            assert item.error is None, item
            out.write(b"".join(event + b"\n" for event in item.events))
            total += len(item.events)
    counted.write_text(str(total))
    return path, total


CHILD = """
import json, resource, sys, time
from cxreport.cli.import_events import import_event_files
from cxreport.importers.base import ImportOptions
from cxreport.store import open_store
from cxreport.store.base import Tenant
url, path, source_format, tenant = sys.argv[1:5]
store = open_store(url, "bulk-writes")
store.migrate()
store.create_tenant(Tenant(tenant, "bench", "UTC"))
started, cpu = time.perf_counter(), time.process_time()
report = import_event_files(store, tenant, [path], progress=False, source_format=source_format,
                            options=ImportOptions())
wall, cpu = time.perf_counter() - started, time.process_time() - cpu
store.close()
counts = report.counts
print(json.dumps({"events": counts.accepted + counts.duplicates, "rejected": len(report.rejected), "wall": wall,
                  "cpu": cpu, "rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))
"""


def run(path: Path, source_format: str) -> dict[str, float]:
    with tempfile.TemporaryDirectory(prefix="cxreport-bench-importers-") as folder:
        done = subprocess.run(
            [sys.executable, "-c", CHILD, f"sqlite:///{folder}/bench.db", str(path), source_format, TENANT],
            capture_output=True, check=True, text=True,
        )
    result: dict[str, float] = json.loads(done.stdout)
    assert result["rejected"] == 0, result
    return result


def describe(name: str, result: dict[str, float]) -> str:
    return (f"{name:>9}: {result['events'] / result['wall']:>9,.0f} events/s, {result['events'] / result['cpu']:>9,.0f}"
            f" per CPU-second ({result['cpu']:.1f} CPU-s, {result['wall']:.1f} s), peak RSS {result['rss_mb']:,.0f} MB")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--lines", type=int, default=1_000_000)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    log = queue_log(args.lines, args.seed)
    native, events = native_copy(log)
    print(f"queue_log of {args.lines:,} lines ({log.stat().st_size / 1e6:,.0f} MB) → {events:,} events "
          f"({native.stat().st_size / 1e6:,.0f} MB as NDJSON); load at start {os.getloadavg()[0]:.1f}")
    runs: dict[str, list[dict[str, float]]] = {"queue_log": [], "native": []}
    for round_number in range(args.rounds):
        order = [("queue_log", log, "asterisk-queue-log"), ("native", native, "cxreport")]
        for name, path, source_format in order if round_number % 2 == 0 else order[::-1]:
            result = run(path, source_format)
            assert result["events"] == events, (name, result)
            runs[name].append(result)
            print(f"round {round_number + 1} {describe(name, result)}")
    rate = {name: statistics.median(r["events"] / r["wall"] for r in found) for name, found in runs.items()}
    per_cpu = {name: statistics.median(r["events"] / r["cpu"] for r in found) for name, found in runs.items()}
    print(f"median events/s: queue_log {rate['queue_log']:,.0f}, native {rate['native']:,.0f}: "
          f"{100 * rate['queue_log'] / rate['native']:.0f} % (target ≥ 80 %)")
    print(f"median events per CPU-second: queue_log {per_cpu['queue_log']:,.0f}, native {per_cpu['native']:,.0f}: "
          f"{100 * per_cpu['queue_log'] / per_cpu['native']:.0f} %")
    quarter = queue_log(args.lines // 4, args.seed)
    small = run(quarter, "asterisk-queue-log")
    print(f"flat memory: peak RSS {small['rss_mb']:,.0f} MB for {args.lines // 4:,} lines, "
          f"{max(r['rss_mb'] for r in runs['queue_log']):,.0f} MB for {args.lines:,}")
    print(f"load at end {os.getloadavg()[0]:.1f}")



if __name__ == "__main__":
    main()
