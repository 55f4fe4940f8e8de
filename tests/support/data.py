"""The seed sample (`src/cxreport/data/seed-sample-response.json`) and the event streams it was rebuilt from
(`tests/data/seed-events/<interactionId>.ndjson`), and copies of those streams under new ids."""

from __future__ import annotations

import json
import uuid
from importlib import resources
from pathlib import Path
from typing import Any

import msgspec

SEED_TENANT_ID = "2336d1ec-c956-47e1-b3b1-fe8fde81b2b4"
SEED_QUERY = "startTimeRange=2017-12-29T14:00:00.000Z&endTimeRange=2017-12-29T24:00:00.000Z"
SAMPLE_PATH = Path(str(resources.files("cxreport").joinpath("data/seed-sample-response.json")))
SAMPLE: dict[str, Any] = json.loads(SAMPLE_PATH.read_text("utf-8"))
SAMPLE_RESULTS: list[dict[str, Any]] = SAMPLE["results"]
SAMPLE_IDS = [record["interactionId"] for record in SAMPLE_RESULTS]
STREAMS = Path(__file__).resolve().parent.parent / "data" / "seed-events"


def seed_stream_names() -> list[str]:
    return sorted(path.stem for path in STREAMS.glob("*.ndjson"))


def event_stream(seed_id: str, tenant_id: str, new_id: str | None = None) -> tuple[str, list[bytes]]:
    """The seed interaction `seed_id`'s events (compact JSON, as the store keeps them) as those of a new
    interaction of `tenant_id`: its own interaction id, and event ids unique to it."""
    interaction_id = new_id or str(uuid.uuid4())
    text = (STREAMS / f"{seed_id}.ndjson").read_text()
    text = text.replace(SEED_TENANT_ID, tenant_id).replace(seed_id, interaction_id)
    text = text.replace(f'"eventId": "{seed_id[:8]}-', f'"eventId": "{interaction_id}-')
    lines = [msgspec.json.format(line.encode(), indent=-1) for line in text.splitlines() if line.strip()]
    return interaction_id, lines
