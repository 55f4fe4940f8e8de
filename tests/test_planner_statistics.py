"""After a bulk load PostgreSQL has statistics of what was loaded: `cxreport import`, `import-events` and
`demo` VACUUM (ANALYZE) the tables they grew (their pages all-visible, so counts are index-only scans), so the
first searches are planned from the data, not from guesses (a filtered search on a fresh, unanalyzed load of
20,000 records took 1.1 s instead of 0.5 ms; with autovacuum off, the guesses would stay)."""

from __future__ import annotations

import os
import subprocess
from collections.abc import Iterator
from pathlib import Path

import msgspec
import psycopg
import pytest

from cxreport.cli.synthetic import generate_interactions
from cxreport.store import open_store
from support.data import event_stream, seed_stream_names
from support.postgres import POSTGRES_URL_VARIABLE
from support.processes import COMMAND
from support.tenants import make_tenant_keys

pytestmark = pytest.mark.postgres
RECORDS = 3_000


@pytest.fixture
def database_url(postgres_url: str) -> Iterator[str]:
    from support.postgres import temporary_postgres_database

    with temporary_postgres_database(os.environ[POSTGRES_URL_VARIABLE]) as url:
        yield url


def _all_visible(url: str) -> dict[str, float]:
    """The share of each searched table's pages that the visibility map marks all-visible (1.0: counts are
    index-only scans that never visit the table)."""
    with psycopg.connect(url) as connection:
        rows = connection.execute(
            "SELECT relname, relallvisible::float / greatest(relpages, 1) FROM pg_class"
            " WHERE relname IN ('interactions', 'interaction_facets') AND relkind = 'r'"
        ).fetchall()
    return {name: share for name, share in rows}


def _tuples(url: str) -> dict[str, int]:
    """What the planner believes each table holds (-1: never analyzed)."""
    with psycopg.connect(url) as connection:
        rows = connection.execute(
            "SELECT relname, reltuples::bigint FROM pg_class"
            " WHERE relname IN ('interactions', 'interaction_facets', 'events') AND relkind = 'r'"
        ).fetchall()
    return {name: count for name, count in rows}


def test_import_and_import_events_leave_the_planner_statistics(database_url: str, tmp_path: Path) -> None:
    store = open_store(database_url)
    store.migrate()
    tenant = make_tenant_keys(store, name="statistics").id
    store.close()
    assert _tuples(database_url)["interactions"] == -1

    records = tmp_path / "records.ndjson"
    records.write_bytes(b"".join(msgspec.json.encode(r) + b"\n" for r in generate_interactions(
        RECORDS, seed=3, tenant_id=tenant)))
    done = subprocess.run([COMMAND, "import", "--database", database_url, "--tenant", tenant, str(records)],
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert _tuples(database_url)["interactions"] == RECORDS
    assert _all_visible(database_url) == {"interactions": 1.0, "interaction_facets": 1.0}

    streams = [event_stream(seed_id, tenant) for seed_id in seed_stream_names()]
    events = tmp_path / "events.ndjson"
    events.write_bytes(b"".join(line + b"\n" for _, lines in streams for line in lines))
    done = subprocess.run([COMMAND, "import-events", "--database", database_url, "--tenant", tenant, str(events)],
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    counted = _tuples(database_url)
    assert counted["events"] == sum(len(lines) for _, lines in streams)
    assert counted["interactions"] == RECORDS + len(streams)


def test_demo_leaves_the_planner_statistics(database_url: str) -> None:
    done = subprocess.run([COMMAND, "demo", "--database", database_url, "--count", "500"],
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert _tuples(database_url)["interactions"] == 510  # the seed's 10 sample records and 500 synthetic ones
    assert _all_visible(database_url) == {"interactions": 1.0, "interaction_facets": 1.0}
