"""Two source trees, A (before) and B (after), on the hot paths, in alternating rounds: is B slower?

    .venv/bin/python benchmarks/ab.py --a /work/baseline --b /work/main [--rounds 3] [--count 100000]
        [--only search,import,events,export] [--tolerance 5]

Each round runs every chosen benchmark once for each tree, the order alternating from round to round
(A B, B A, A B, …) so that a drift in the machine's speed hits both sides alike:
  search   bench_search.py: the seed request (10-hour window, limit 10) and the 1000-record page of that window,
           p50 in process and over HTTP (a real `cxreport serve`), and the rate of its SQLite load;
  import   bench_import.py --stores sqlite: record import, records/s (and per CPU-second);
  events   bench_events.py: event import into SQLite, events/s (and per CPU-second), the machine's speed;
  export   bench_filters.py: `cxreport export` to a file, NDJSON and CSV, records/s (it reuses the database
           the same tree's search run left; without `search` it loads its own first, unmeasured).
It prints, per figure, the median of each side, B/A, whether B is slower by more than the tolerance, and every
round's values; the load average at the start and the end; and writes it all to <work>/ab-results.json.
Figures marked "(control)" run no cxreport code (a bare Python loop; a prebuilt body over the same HTTP stack):
when they differ between A and B, the machine moved, not the code.

Each tree's own benchmark scripts run against its own code: they are copied into <work>/<A|B>/benchmarks/ and run
with PYTHONPATH=<tree>/src and the venv's interpreter (its editable install is a path entry, so PYTHONPATH wins;
every run checks where `cxreport` was imported from). The scripts start `cxreport` (serve, export) as
`Path(sys.executable).parent / "cxreport"`; the venv's console script names B's entry point, so every run sees a
`sys.executable` in <work>/<A|B>/bin/, next to a `cxreport` that calls the tree's own entry point (read from its
pyproject.toml). Both trees read the same data files: generated once by A's scripts into <work>/data/ (kept for
later runs of the same --count) and linked into each copy's out/ folder. Neither tree is written to.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import time
import tomllib
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

PYTHON = Path(sys.executable)
SEED = 7  # bench_filters.py always reads the data set of seed 7
BENCHMARKS = ("search", "import", "events", "export")

# Runs a benchmark script as `python script.py args` would, after checking that `cxreport` comes from the tree's
# src/ and with sys.executable pointing at the shim folder (see the module docstring).
RUNNER = """
import os, runpy, sys
script, executable, src, *args = sys.argv[1:]
import cxreport
if not cxreport.__file__.startswith(src + os.sep):
    raise SystemExit(f"cxreport was imported from {cxreport.__file__}, not from {src}")
sys.executable = executable
sys.argv = [script, *args]
sys.path[0] = os.path.dirname(script)
runpy.run_path(script, run_name="__main__")
"""

CONSOLE_SCRIPT = """#!{python}
import os, sys
import cxreport
if not cxreport.__file__.startswith({src!r} + os.sep):
    raise SystemExit(f"cxreport was imported from {{cxreport.__file__}}, not from {src!r}")
from {module} import {function}
sys.exit({function}())
"""


@dataclass(frozen=True)
class Tree:
    """One side of the comparison: the source tree and the folder its benchmark scripts run from."""

    label: str
    root: Path
    home: Path  # <work>/<label>: benchmarks/ (copies of the tree's scripts, out/), bin/, tests -> the tree's

    @property
    def src(self) -> Path:
        return self.root / "src"

    @property
    def benchmarks(self) -> Path:
        return self.home / "benchmarks"

    @property
    def out(self) -> Path:
        return self.benchmarks / "out"

    def describe(self) -> str:
        def git(*args: str) -> str:
            done = subprocess.run(["git", "-C", str(self.root), *args], capture_output=True, text=True, check=False)
            return done.stdout.strip()

        changes = git("diff", "HEAD", "--", "src", "benchmarks")
        dirty = f" + uncommitted changes {hashlib.sha256(changes.encode()).hexdigest()[:8]}" if changes else ""
        subject = git("log", "-1", "--format=%s")[:70]
        return f"{self.label} = {self.root} at {git('rev-parse', '--short', 'HEAD')}{dirty}: {subject}"


def prepare(tree: Tree) -> None:
    """Copy the tree's benchmark scripts into tree.home and make the shim folder (bin/python, bin/cxreport)."""
    if not (tree.src / "cxreport").is_dir() or not (tree.root / "benchmarks").is_dir():
        raise SystemExit(f"{tree.root} is not a cxreport tree (no src/cxreport or benchmarks/)")
    tree.out.mkdir(parents=True, exist_ok=True)
    for old in tree.benchmarks.glob("*.py"):
        old.unlink()
    for script in (tree.root / "benchmarks").glob("*.py"):
        shutil.copy2(script, tree.benchmarks / script.name)
    tests = tree.home / "tests"  # bench_import.py imports tests_support from ../tests
    if tests.is_symlink():
        tests.unlink()
    tests.symlink_to(tree.root / "tests")
    entry = tomllib.loads((tree.root / "pyproject.toml").read_text())["project"]["scripts"]["cxreport"]
    module, function = entry.split(":")
    bin_dir = tree.home / "bin"
    bin_dir.mkdir(exist_ok=True)
    write_executable(bin_dir / "python", f'#!/bin/sh\nexec "{PYTHON}" "$@"\n')
    write_executable(bin_dir / "cxreport",
                     CONSOLE_SCRIPT.format(python=PYTHON, src=str(tree.src), module=module, function=function))


def write_executable(path: Path, text: str) -> None:
    path.write_text(text)
    path.chmod(0o755)


def environment(tree: Tree, work: Path) -> dict[str, str]:
    env = {**os.environ, "PYTHONPATH": str(tree.src)}
    env.pop("CXREPORT_BENCH_POSTGRES_URL", None)  # SQLite only: the scripts would add PostgreSQL runs
    env.pop("PYTHONDONTWRITEBYTECODE", None)  # compiled modules are cached in <work>/pycache, not in the trees
    env["PYTHONPYCACHEPREFIX"] = str(work / "pycache")
    return env


def run_script(tree: Tree, work: Path, script: str, args: list[str], log: Path) -> str:
    """Run one of the tree's benchmark scripts; its stdout (stdout and stderr are also kept in `log`)."""
    command = [str(PYTHON), "-c", RUNNER, str(tree.benchmarks / script), str(tree.home / "bin" / "python"),
               str(tree.src), *args]
    done = subprocess.run(command, cwd=tree.benchmarks, env=environment(tree, work), capture_output=True, text=True,
                          check=False)
    log.write_text(f"$ {script} {' '.join(args)}\n--- stdout\n{done.stdout}\n--- stderr\n{done.stderr}")
    if done.returncode != 0:
        tail = "\n".join(done.stderr.splitlines()[-15:])
        raise SystemExit(f"{tree.label}: {script} failed (exit {done.returncode}); log {log}\n{tail}")
    return done.stdout


def share_data(trees: list[Tree], work: Path, names: list[str], generate: str) -> None:
    """Make `names` (files the scripts cache in out/) the same files for every tree: generated once, by the first
    tree's scripts (`generate` is Python run in its benchmarks folder), kept in <work>/data and linked."""
    data = work / "data"
    data.mkdir(exist_ok=True)
    first = trees[0]
    if not all((data / name).exists() for name in names):
        for name in names:
            (first.out / name).unlink(missing_ok=True)
        started = time.perf_counter()
        print(f"generating {', '.join(names)} with {first.label}'s scripts …", flush=True)
        command = [str(PYTHON), "-c", f"import sys; sys.path.insert(0, '.'); {generate}"]
        subprocess.run(command, cwd=first.benchmarks, env=environment(first, work), check=True)
        for name in names:
            os.replace(first.out / name, data / name)
        print(f"  {time.perf_counter() - started:.0f} s", flush=True)
    for tree in trees:
        for name in names:
            link = tree.out / name
            if link.is_symlink() or link.exists():
                link.unlink()
            link.symlink_to(data / name)


# What each benchmark reports, parsed from the JSON the script wrote or the lines it printed.
Figures = dict[str, float]


def search_figures(tree: Tree, stdout: str) -> Figures:
    results = json.loads((tree.out / "results-sqlite.json").read_text())
    return {
        "seed request p50 in process, ms": results["in_process"]["seed_request_limit_10"]["p50_ms"],
        "1000-record page p50 in process, ms": results["in_process"]["page_1000_seed_window"]["p50_ms"],
        "seed request p50 over HTTP, ms": results["http"]["seed_request_limit_10"]["p50_ms"],
        "1000-record page p50 over HTTP, ms": results["http"]["page_1000_seed_window"]["p50_ms"],
        "record import records/s (bench_search's load)": results["import"]["records_per_s"],
        # the same stack (Litestar on uvicorn) serving a prebuilt body: no cxreport code, so A and B should agree
        "prebuilt body, page's size, p50 over HTTP, ms (control)":
            results["http"]["prebuilt_body_same_size_same_stack"]["p50_ms"],
        "prebuilt small body p50 over HTTP, ms (control)": results["http"]["prebuilt_small_body_same_stack"]["p50_ms"],
    }


def import_figures(tree: Tree, stdout: str) -> Figures:
    (result,) = json.loads((tree.out / "import.json").read_text())
    return {
        "record import records/s": result["records_per_s"],
        "record import records per CPU-second": round(result["records"] / result["client_cpu_s"]),
    }


def events_figures(tree: Tree, stdout: str) -> Figures:
    def number(pattern: str) -> float:
        found = re.search(pattern, stdout)
        if not found:
            raise SystemExit(f"{tree.label}: bench_events.py printed no line matching {pattern!r}:\n{stdout}")
        return float(found.group(1).replace(",", ""))

    return {
        "event import events/s": number(r"import-events into SQLite: ([\d,]+) events/s"),
        "event import events per CPU-second": number(r"\(([\d,]+) events per CPU-second"),
        "machine speed before events, s (control)": number(r"machine speed: .* in ([\d.]+) s"),
        "machine speed after events, s (control)": number(r"machine speed after: ([\d.]+) s"),
    }


def export_figures(tree: Tree, stdout: str) -> Figures:
    results = json.loads((tree.out / "filters-sqlite.json").read_text())
    return {
        "export NDJSON records/s": results["export_ndjson"]["records_per_s"],
        "export CSV records/s": results["export_csv"]["records_per_s"],
    }


@dataclass(frozen=True)
class Benchmark:
    script: str
    args: Callable[[argparse.Namespace], list[str]]
    outputs: tuple[str, ...]  # files in out/ the figures are read from: removed before each run
    figures: Callable[[Tree, str], Figures]


SUITE = {
    "search": Benchmark("bench_search.py", lambda o: ["--count", str(o.count), "--seed", str(SEED)],
                        ("results-sqlite.json",), search_figures),
    "import": Benchmark("bench_import.py", lambda o: ["--count", str(o.count), "--seed", str(SEED),
                                                      "--stores", "sqlite", "--rounds", "1"],
                        ("import.json",), import_figures),
    "events": Benchmark("bench_events.py", lambda o: ["--count", str(o.events_count), "--seed", str(SEED)],
                        (), events_figures),
    "export": Benchmark("bench_filters.py", lambda o: ["--count", str(o.count)],
                        ("filters-sqlite.json",), export_figures),
}


def measure(tree: Tree, work: Path, benchmark: Benchmark, args: list[str], log: Path) -> tuple[Figures, float]:
    """One run of a benchmark for a tree: its figures and the seconds the run took."""
    for output in benchmark.outputs:
        (tree.out / output).unlink(missing_ok=True)
    started = time.perf_counter()
    stdout = run_script(tree, work, benchmark.script, args, log)
    elapsed = time.perf_counter() - started
    try:
        return benchmark.figures(tree, stdout), elapsed
    except (OSError, KeyError, ValueError, ZeroDivisionError) as error:
        raise SystemExit(f"{tree.label}: no figures from {benchmark.script} ({error!r}); log {log}") from error


def lower_is_better(figure: str) -> bool:
    return figure.removesuffix(" (control)").endswith((", ms", ", s"))


def verdict(figure: str, a: float, b: float, tolerance: float) -> str:
    """How much slower B is than A (a latency that grew, a rate that fell), in per cent."""
    slower = (b / a - 1) * 100 if lower_is_better(figure) else (a / b - 1) * 100
    word = f"{slower:+.1f} % slower" if slower >= 0.05 else f"{-slower:.1f} % faster" if slower <= -0.05 else "same"
    if figure.endswith("(control)"):
        return f"{word} (the machine)"
    return f"{word}  !! over {tolerance:g} %" if slower > tolerance else word


def load_average() -> str:
    return " ".join(f"{value:.2f}" for value in os.getloadavg())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--a", type=Path, required=True, help="the tree before (e.g. a worktree of the old main)")
    parser.add_argument("--b", type=Path, required=True, help="the tree after")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--count", type=int, default=100_000, help="records for search, import and export")
    parser.add_argument("--events-count", type=int, default=None,
                        help="interactions for the event import (default: --count, at most 100000, as run.sh)")
    parser.add_argument("--only", default=",".join(BENCHMARKS), help=f"comma-separated, of {', '.join(BENCHMARKS)}")
    parser.add_argument("--tolerance", type=float, default=5.0, help="per cent B may be slower (default 5)")
    parser.add_argument("--work", type=Path, default=Path(__file__).resolve().parent / "out" / "ab",
                        help="scratch folder: script copies, shared data files, logs, results (default %(default)s)")
    options = parser.parse_args()
    options.events_count = options.events_count or min(options.count, 100_000)
    chosen = [name for name in options.only.split(",") if name]
    unknown = set(chosen) - set(BENCHMARKS)
    if unknown:
        parser.error(f"unknown benchmark(s) {', '.join(sorted(unknown))}: choose among {', '.join(BENCHMARKS)}")
    work = options.work.resolve()
    trees = [Tree("A", options.a.resolve(), work / "A"), Tree("B", options.b.resolve(), work / "B")]
    logs = work / "logs"
    logs.mkdir(parents=True, exist_ok=True)
    described = {}
    for tree in trees:
        prepare(tree)
        described[tree.label] = tree.describe()
        for suffix in ("", "-wal", "-shm"):  # no export from a database an earlier run of the tree left
            (tree.out / f"bench-{options.count}.db{suffix}").unlink(missing_ok=True)
        print(described[tree.label])
    load_at_start = load_average()
    print(f"load average at the start: {load_at_start}  ({os.cpu_count()} CPUs)")
    print(f"rounds {options.rounds}, --count {options.count:,}, events --count {options.events_count:,}, "
          f"benchmarks {', '.join(chosen)}; logs in {logs}", flush=True)

    started = time.perf_counter()
    if {"search", "import", "export"} & set(chosen):
        share_data(trees, work, [f"interactions-{options.count}-{SEED}.ndjson"],
                   f"import bench_search; bench_search.data_file({options.count}, {SEED})")
    if "events" in chosen:
        stem = f"events-{options.events_count}-{SEED}"
        share_data(trees, work, [f"{stem}.ndjson", f"{stem}.count"],
                   f"import bench_events; bench_events.stream_file({options.events_count}, {SEED})")

    # values[figure][label] = one value per round
    values: dict[str, dict[str, list[float]]] = {}
    seconds: dict[str, dict[str, list[float]]] = {name: {"A": [], "B": []} for name in chosen}
    for round_number in range(options.rounds):
        order = trees if round_number % 2 == 0 else trees[::-1]
        for name in chosen:
            benchmark = SUITE[name]
            for tree in order:
                log = logs / f"round{round_number + 1}-{name}-{tree.label}.log"
                figures, elapsed = measure(tree, work, benchmark, benchmark.args(options), log)
                seconds[name][tree.label].append(round(elapsed, 1))
                for figure, value in figures.items():
                    values.setdefault(figure, {"A": [], "B": []})[tree.label].append(value)
                print(f"round {round_number + 1}/{options.rounds}  {name:<7} {tree.label}  {elapsed:6.1f} s  "
                      f"load {load_average()}", flush=True)
    total = time.perf_counter() - started
    load_at_end = load_average()

    print()
    rows = []
    for figure, sides in values.items():
        a, b = statistics.median(sides["A"]), statistics.median(sides["B"])
        rows.append({"figure": figure, "a_median": a, "b_median": b, "b_over_a": round(b / a, 4),
                     "verdict": verdict(figure, a, b, options.tolerance), "a_rounds": sides["A"],
                     "b_rounds": sides["B"]})
    width = max(len(row["figure"]) for row in rows) + 2
    verdict_width = max(len(row["verdict"]) for row in rows) + 2
    print(f"{'figure':<{width}}{'A median':>12}{'B median':>12}{'B/A':>8}  {'B vs A':<{verdict_width}}"
          "rounds A | rounds B")
    for row in rows:
        print(f"{row['figure']:<{width}}{row['a_median']:>12,.6g}{row['b_median']:>12,.6g}{row['b_over_a']:>8.3f}  "
              f"{row['verdict']:<{verdict_width}}{' '.join(f'{v:g}' for v in row['a_rounds'])} | "
              f"{' '.join(f'{v:g}' for v in row['b_rounds'])}")
    print(f"\nload average at the start: {load_at_start}; at the end: {load_at_end}")
    for tree in trees:
        if tree.describe() != described[tree.label]:
            print(f"!! {tree.label} changed while it was measured (commit or uncommitted changes to src/, "
                  f"benchmarks/): now {tree.describe()}")
    print(f"{options.rounds} round(s) in {total:.0f} s; seconds per run: "
          + "; ".join(f"{name} A {statistics.median(s['A']):.0f} B {statistics.median(s['B']):.0f}"
                      for name, s in seconds.items()))
    summary: dict[str, Any] = {
        "command": " ".join([Path(sys.executable).name, *sys.argv]),
        "trees": [described[tree.label] for tree in trees],
        "rounds": options.rounds, "count": options.count, "events_count": options.events_count,
        "load_average_start": load_at_start, "load_average_end": load_at_end, "seconds": round(total),
        "run_seconds": seconds, "figures": rows,
    }
    (work / "ab-results.json").write_text(json.dumps(summary, indent=2))
    print(f"written to {work / 'ab-results.json'}")


if __name__ == "__main__":
    main()
