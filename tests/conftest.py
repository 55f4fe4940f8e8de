"""Shared fixtures, and only fixtures: a real SQLite database per test, a real server on loopback per session,
tenants with keys of every role, a PostgreSQL database when one is configured, the `cxreport` command bound to a
database. The helpers they use live in `tests/support/`; nothing imports this module."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import pytest

pytest.register_assert_rewrite("support")

from cxreport.cli.demo import seed_sample, seed_sample_records  # noqa: E402
from cxreport.config import Settings  # noqa: E402
from cxreport.store import Store, open_store  # noqa: E402
from support.cli import Cli  # noqa: E402
from support.data import SEED_TENANT_ID  # noqa: E402
from support.postgres import POSTGRES_URL_VARIABLE, temporary_postgres_database  # noqa: E402
from support.servers import MAX_BODY_BYTES, LiveServer, free_port, serving  # noqa: E402
from support.tenants import TenantKeys, make_tenant_keys  # noqa: E402


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    opened = open_store(f"sqlite:///{tmp_path / 'test.db'}")
    opened.migrate()
    yield opened
    opened.close()


@pytest.fixture(scope="session")
def sample() -> dict[str, object]:
    return seed_sample()


@pytest.fixture(scope="session")
def sample_raw_records() -> list[bytes]:
    return seed_sample_records()


STORES = ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)]


def _database_url(request: pytest.FixtureRequest, folder: Path) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{folder / 'cxreport.db'}"
    url: str = request.getfixturevalue("postgres_url")
    return url


@pytest.fixture(scope="session", params=STORES)
def live_server(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    """cxreport served by uvicorn on a loopback port, in a thread of the test process: once per store, so
    every end-to-end test runs against SQLite and PostgreSQL alike."""
    database_url = _database_url(request, tmp_path_factory.mktemp("live"))
    # No rate limit: the suite makes thousands of requests with one key as fast as it can (cursor walks);
    # tests/test_limits.py runs servers of its own with the default limit and a tight one.
    settings = Settings(database_url=database_url, port=free_port(), max_body_bytes=MAX_BODY_BYTES, rate_limit=0)
    served_store = open_store(settings.database_url)
    served_store.migrate()
    with serving(settings, served_store) as base_url:
        yield LiveServer(base_url, served_store, settings)
    served_store.close()


@pytest.fixture(scope="module")
def http(live_server: LiveServer) -> Iterator[httpx.Client]:
    """One client per test module (making an httpx client costs ~50 ms); each request names its auth."""
    with live_server.client() as client:
        yield client


@pytest.fixture
def new_tenant(live_server: LiveServer) -> Callable[..., TenantKeys]:
    """Create a fresh tenant (with keys of every role) in the live server's database."""

    def make(tenant_id: str | None = None, **kwargs: str) -> TenantKeys:
        return make_tenant_keys(live_server.store, tenant_id, **kwargs)

    return make


def _post_sample(server: LiveServer, keys: TenantKeys, raws: list[bytes]) -> None:
    body = b"[" + b",".join(raws) + b"]"
    with server.client(keys.ingest) as client:
        response = client.post(f"/v1/tenants/{keys.id}/interactions", content=body,
                               headers={"content-type": "application/json"})
    assert response.status_code == 200, response.text
    assert response.json() == {"inserted": 10, "updated": 0, "unchanged": 0}


@pytest.fixture(scope="session")
def seed_tenant(live_server: LiveServer, sample_raw_records: list[bytes]) -> TenantKeys:
    """The seed's own tenant (its real id) holding exactly the sample's 10 records. Read it, never write it."""
    keys = make_tenant_keys(live_server.store, SEED_TENANT_ID)
    _post_sample(live_server, keys, sample_raw_records)
    return keys


@pytest.fixture
def sample_tenant(live_server: LiveServer, new_tenant: Callable[..., TenantKeys],
                  sample_raw_records: list[bytes]) -> TenantKeys:
    """A fresh tenant holding the sample's 10 records (their tenantId rewritten to it): free to modify."""
    keys = new_tenant()
    _post_sample(live_server, keys, [raw.replace(SEED_TENANT_ID.encode(), keys.id.encode())
                                     for raw in sample_raw_records])
    return keys


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str]:
    """A fresh, uniquely named PostgreSQL database for this test session, dropped afterwards."""
    admin_url = os.environ.get(POSTGRES_URL_VARIABLE)
    if not admin_url:
        pytest.skip(f"PostgreSQL tests need {POSTGRES_URL_VARIABLE}, e.g. postgresql://postgres@127.0.0.1:5432/test")
    with temporary_postgres_database(admin_url) as url:
        yield url


@pytest.fixture(params=STORES)
def contract_store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Store]:
    """Each backend in turn, migrated; the contract suite runs against both."""
    opened = open_store(_database_url(request, tmp_path))
    opened.migrate()
    yield opened
    opened.close()


@pytest.fixture(params=STORES)
def fresh_database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A database of its own for this test (a new SQLite file, or a new PostgreSQL database dropped after):
    for tests that change the schema or need no other test's rows."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'own.db'}"
        return
    request.getfixturevalue("postgres_url")  # skips, with the reason, when no server is configured
    with temporary_postgres_database(os.environ[POSTGRES_URL_VARIABLE]) as url:
        yield url


# --- the `cxreport` command (tests/test_cli_*.py) -----------------------------------------------------------


@pytest.fixture
def cli(tmp_path: Path) -> Cli:
    """The installed `cxreport` command, working in this test's folder on a SQLite database of its own."""
    return Cli(tmp_path, f"sqlite:///{tmp_path}/x.db")


@pytest.fixture
def cli_seed_tenant(cli: Cli) -> str:
    """The seed's tenant id, created (US/Eastern) in `cli`'s database through `cxreport tenants create`."""
    cli.create_tenant("--id", SEED_TENANT_ID, "--timezone", "US/Eastern", name="Your Tenant")
    return SEED_TENANT_ID

