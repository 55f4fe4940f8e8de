"""`cxreport demo`: the seed's tenant ("Your Tenant", US/Eastern) with the seed's 10 sample records plus
synthetic interactions, and the credentials and curl command to query it."""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from importlib import resources

import msgspec

from cxreport import clock
from cxreport.cli.progress import Progress
from cxreport.cli.synthetic import generate_interactions
from cxreport.records.stored import StoredRecord
from cxreport.records.validate import prepare_record
from cxreport.service.credentials import IssuedKey, issue_key
from cxreport.store.base import Store, Tenant, UpsertCounts

DEMO_TENANT = Tenant(id="2336d1ec-c956-47e1-b3b1-fe8fde81b2b4", name="Your Tenant", timezone="US/Eastern")
SEED_QUERY = "startTimeRange=2017-12-29T14:00:00.000Z&endTimeRange=2017-12-29T24:00:00.000Z"
_BATCH = 2000


@dataclass(frozen=True, slots=True)
class DemoResult:
    tenant: Tenant
    key: IssuedKey
    counts: UpsertCounts

    def curl(self, base_url: str) -> str:
        url = f"{base_url}/v1/tenants/{self.tenant.id}/interactions?{SEED_QUERY}"
        return f"curl -u '{self.key.key.id}:{self.key.secret}' '{url}'"


def seed_sample() -> dict[str, object]:
    """The seed document's sample response, as shipped with the package."""
    text = resources.files("cxreport").joinpath("data/seed-sample-response.json").read_text("utf-8")
    sample: dict[str, object] = json.loads(text)
    return sample


def seed_sample_records() -> list[bytes]:
    """The sample's records as JSON text, exactly as written in the sample (numbers and key order kept)."""
    raw = resources.files("cxreport").joinpath("data/seed-sample-response.json").read_bytes()
    envelope = msgspec.json.decode(raw, type=dict[str, msgspec.Raw])
    return [bytes(record) for record in msgspec.json.decode(envelope["results"], type=list[msgspec.Raw])]


def load_demo(store: Store, count: int, seed: int, show_progress: bool = True) -> DemoResult:
    tenant = store.get_tenant(DEMO_TENANT.id)
    if tenant is None:
        store.create_tenant(DEMO_TENANT)
        tenant = DEMO_TENANT
    key = issue_key(store, tenant.id, "admin")
    counts = UpsertCounts()
    bar = Progress("loading demo data", count + 10, show=show_progress)
    done = 0
    for batch in _batches(_demo_records(count, seed)):
        counts += store.upsert_records(DEMO_TENANT.id, batch, clock.now_us())
        done += len(batch)
        bar.advance(done, done)
    bar.finish()
    store.refresh_statistics()
    return DemoResult(tenant, key, counts)


def _demo_records(count: int, seed: int) -> Iterator[StoredRecord]:
    for position, raw in enumerate(seed_sample_records()):
        yield prepare_record(raw, DEMO_TENANT.id, position)
    encode = msgspec.json.encode
    records = generate_interactions(count, seed=seed, tenant_id=DEMO_TENANT.id)
    for position, record in enumerate(records, start=10):
        yield prepare_record(encode(record), DEMO_TENANT.id, position)


def _batches(records: Iterable[StoredRecord]) -> Iterator[list[StoredRecord]]:
    batch: list[StoredRecord] = []
    for record in records:
        batch.append(record)
        if len(batch) == _BATCH:
            yield batch
            batch = []
    if batch:
        yield batch
