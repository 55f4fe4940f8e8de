"""The generic-plan trap, measured: the store's page query run 100 times in one PostgreSQL connection,
with psycopg's defaults (server-side prepared after 5 executions, PostgreSQL may then switch to a generic
plan) and with the store's setting (`plan_cache_mode=force_custom_plan`).

    .venv/bin/python benchmarks/bench_plan_cache.py --postgres postgresql://postgres@127.0.0.1:5432/test \
        [--count 200000]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path
from typing import Any

import psycopg

sys.path.insert(0, str(Path(__file__).parent))
sys.path.insert(0, str(Path(__file__).parent.parent / "tests"))

from bench_search import TENANT, data_file

from cxreport.cli.import_records import import_files
from cxreport.store import open_store
from cxreport.store.base import Query, Window
from cxreport.store.postgres import DIALECT
from cxreport.store.querying import count_statement, page_statement
from cxreport.times import parse_instant
from support.postgres import temporary_postgres_database

# Windows of different sizes: a plan that is right for one is not for another, which is what a generic
# plan gets wrong.
WINDOWS = [
    ("2017-12-29T14:00:00Z", "2017-12-30T00:00:00Z"),
    ("2017-11-01T00:00:00Z", "2018-02-01T00:00:00Z"),
    ("2017-12-01T00:00:00Z", "2017-12-08T00:00:00Z"),
    ("2018-01-09T23:00:00Z", "2018-01-10T00:00:00Z"),
]


def run(url: str, options: str | None, label: str) -> dict[str, Any]:
    kwargs = {"options": options} if options else {}
    samples: list[float] = []
    with psycopg.connect(url, autocommit=True, **kwargs) as connection:
        for execution in range(100):
            start, end = WINDOWS[execution % len(WINDOWS)]
            query = Query(Window(parse_instant(start), parse_instant(end)))
            count = count_statement(TENANT.id, query, DIALECT)
            page = page_statement(TENANT.id, query, DIALECT, limit=1000, offset=0, include_nulls=False)
            began = time.perf_counter()
            connection.execute(count.sql, count.params).fetchone()
            connection.execute(page.sql, page.params).fetchall()
            samples.append((time.perf_counter() - began) * 1000)
    first, rest = samples[:5], samples[5:]
    return {"label": label, "first_5_median_ms": round(statistics.median(first), 2),
            "after_5_median_ms": round(statistics.median(rest), 2), "after_5_max_ms": round(max(rest), 2)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--postgres", required=True, help="admin URL; a fresh database is made and dropped")
    parser.add_argument("--count", type=int, default=200_000)
    args = parser.parse_args()
    path = data_file(args.count, 7)
    with temporary_postgres_database(args.postgres) as url:
        store = open_store(url)
        store.migrate()
        store.create_tenant(TENANT)
        import_files(store, TENANT.id, [str(path)], progress=False)
        store.close()
        with psycopg.connect(url, autocommit=True) as connection:
            connection.execute("VACUUM ANALYZE interactions")
        for result in (run(url, None, "psycopg defaults (prepared after 5)"),
                       run(url, "-c plan_cache_mode=force_custom_plan", "force_custom_plan (the store's)")):
            print(f"{result['label']:<40} first 5: {result['first_5_median_ms']:>8} ms   "
                  f"then: median {result['after_5_median_ms']:>8} ms, max {result['after_5_max_ms']:>8} ms")


if __name__ == "__main__":
    main()
