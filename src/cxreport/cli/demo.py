"""`cxreport demo`: the seed's tenant ("Your Tenant", US/Eastern) with the seed's 10 sample records plus
synthetic interactions, and the credentials and curl command to query it.

The sample records are ingested as records. The synthetic interactions go in as events, the way
`cxreport import-events` stores them (`service.events.store_events`, in batches): each batch's events and
the records derived from them in one transaction, so their events can be read back too."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from importlib import resources

import msgspec

from cxreport import clock
from cxreport.cli.progress import Progress
from cxreport.cli.synthetic import generate_streams
from cxreport.records.validate import prepare_record
from cxreport.service.credentials import IssuedKey, issue_key
from cxreport.service.events import Incoming, store_events, stored_event
from cxreport.store.base import Store, Tenant, UpsertCounts

DEMO_TENANT = Tenant(id="2336d1ec-c956-47e1-b3b1-fe8fde81b2b4", name="Your Tenant", timezone="US/Eastern")
SEED_QUERY = "startTimeRange=2017-12-29T14:00:00.000Z&endTimeRange=2017-12-29T24:00:00.000Z"
_BATCH = 2000
"""Synthetic interactions per transaction (about 30,000 events)."""


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
    """Create the demo tenant (unless it exists), issue it an admin key, and load the sample and `count`
    synthetic interactions (`seed`). Loading again with the same seed changes nothing.

    `counts`: the sample's records as `upsert_records` counts them; a synthetic interaction counts as inserted
    when its record was derived now (it got new events: its id is a fresh UUID, so its record is new) and
    unchanged when every event of it was stored already."""
    tenant = store.get_tenant(DEMO_TENANT.id)
    if tenant is None:
        store.create_tenant(DEMO_TENANT)
        tenant = DEMO_TENANT
    key = issue_key(store, tenant.id, "admin")
    bar = Progress("loading demo data", count + 10, show=show_progress)
    samples = [prepare_record(raw, DEMO_TENANT.id, position) for position, raw in enumerate(seed_sample_records())]
    counts = store.upsert_records(DEMO_TENANT.id, samples, clock.now_us())
    done = len(samples)
    bar.advance(done, done)
    for interactions, batch in _batches(count, seed):
        derived = store_events(store, DEMO_TENANT.id, batch).interactions
        counts += UpsertCounts(inserted=derived, unchanged=interactions - derived)
        done += interactions
        bar.advance(done, done)
    bar.finish()
    store.refresh_statistics()
    return DemoResult(tenant, key, counts)


def _batches(count: int, seed: int) -> Iterator[tuple[int, list[Incoming]]]:
    """The synthetic interactions' events, `_BATCH` interactions at a time, ready to store (the events' JSON
    text and instants come from the generator: nothing is decoded or parsed again)."""
    encode = msgspec.json.encode
    interactions = 0
    batch: list[Incoming] = []
    for stream in generate_streams(count, seed=seed, tenant_id=DEMO_TENANT.id):
        for event, us in zip(stream.events, stream.instants, strict=True):
            batch.append((event, stored_event(event, encode(event), us)))
        interactions += 1
        if interactions == _BATCH:
            yield interactions, batch
            interactions, batch = 0, []
    if batch:
        yield interactions, batch
