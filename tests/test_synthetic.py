"""cxreport.cli.synthetic: determinism, the seed sample's shape, and records that agree with themselves.

The records are derived from the generator's events by `cxreport.metrics`, so the checks below hold the
generator's model and the derivation's data dictionary together: each expected figure is worked out from the
record's own timestamps as `docs/data-dictionary.md` defines it (default SLA policy: 20 s, ignore-abandons, 20 s).
"""

from __future__ import annotations

import hashlib
import json
import os
import random
import re
import subprocess
import sys
import uuid
from collections import Counter
from datetime import UTC, datetime, timedelta, timezone
from itertools import pairwise
from pathlib import Path
from typing import Any

import msgspec
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import cxreport
from cxreport.cli.demo import DEMO_TENANT, load_demo
from cxreport.cli.synthetic import generate_events, generate_interactions
from cxreport.cli.synthetic.formats import fill_time_tables
from cxreport.cli.synthetic.formats import iso as fast_iso
from cxreport.cli.synthetic.formats import uuid4 as fast_uuid4
from cxreport.metrics import DEFAULT_SLA, decode_events, derive_record
from cxreport.store.base import Store

SEED_SAMPLE = Path(__file__).resolve().parent.parent / "src" / "cxreport" / "data" / "seed-sample-response.json"
TENANT = "2336d1ec-c956-47e1-b3b1-fe8fde81b2b4"
START = "2017-11-13T00:00:00.000Z"
END = "2018-01-10T00:00:00.000Z"
TIMESTAMP = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$")
PHONE = re.compile(r"^\+1555\d{7}$")
NESTED = ("segments", "queues", "agents")
ID_KEYS = ("interactionId", "contactId", "flowId", "interactionSegmentId", "interactionQueueId",
           "interactionAgentId", "queueId", "agentId", "sessionId", "segmentToAgentId")
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
ADDED_BY_CXREPORT = {
    "": {"revision": {"number"}, "interactionEndType": {"str"}, "flaggedReasons": {"list"}, "ivrAbandoned": {"bool"}},
    "queues": {"slaMet": {"bool"}, "queueExitReason": {"str"}},
    "agents": {"agentHoldTime": {"number"}},
}
"""Keys a derived record has that the seed sample does not show (see `tests/test_derive_seed.py`)."""

Record = dict[str, Any]


def to_ms(text: str) -> int:
    moment = datetime.strptime(text, "%Y-%m-%dT%H:%M:%S.%f%z")
    return (moment - EPOCH) // timedelta(milliseconds=1)


def iso(ms: int) -> str:
    return (EPOCH + timedelta(milliseconds=ms)).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


def sec(value: float) -> int:
    """A duration in seconds as whole milliseconds, insisting it has at most 3 decimals."""
    assert isinstance(value, float)
    millis = round(value * 1000)
    assert millis / 1000 == value, value
    return millis


def kind(value: object) -> str:
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, int | float):
        return "number"
    return type(value).__name__


def seed_records() -> list[Record]:
    records: list[Record] = json.loads(SEED_SAMPLE.read_text("utf-8"))["results"]
    return records


def dicts_by_level(records: list[Record]) -> dict[str, list[Record]]:
    """Top-level records under "", and every nested entry under its list's name."""
    levels: dict[str, list[Record]] = {"": list(records), **{name: [] for name in NESTED}}
    for record in records:
        for name in NESTED:
            levels[name].extend(record.get(name, []))
    return levels


@pytest.fixture(scope="module")
def records() -> list[Record]:
    return list(generate_interactions(5000, seed=2024, tenant_id=TENANT))


@pytest.fixture(scope="module")
def many() -> list[Record]:
    return list(generate_interactions(20_000, seed=7, tenant_id=TENANT))


# -- determinism and count ----------------------------------------------------
def test_same_arguments_give_identical_records_in_the_same_order() -> None:
    first = list(generate_interactions(1000, seed=11, tenant_id=TENANT))
    second = list(generate_interactions(1000, seed=11, tenant_id=TENANT))
    assert first == second
    assert json.dumps(first) == json.dumps(second)  # key order too


def test_records_are_the_same_in_another_process_with_another_hash_seed() -> None:
    """Nothing depends on string hashing or on state left by earlier calls (so `demo --seed` reproduces)."""
    script = (
        "import hashlib, json, sys\n"
        "from cxreport.cli.synthetic import generate_interactions\n"
        "records = list(generate_interactions(300, seed=8, tenant_id='t'))\n"
        "sys.stdout.write(hashlib.sha256(json.dumps(records).encode()).hexdigest())\n"
    )
    here = hashlib.sha256(json.dumps(list(generate_interactions(300, seed=8, tenant_id="t"))).encode()).hexdigest()
    src = str(Path(cxreport.__file__).resolve().parents[1])  # the cxreport imported here
    for hash_seed in ("1", "2"):
        env = {**os.environ, "PYTHONHASHSEED": hash_seed, "PYTHONPATH": src}
        done = subprocess.run([sys.executable, "-c", script], env=env, capture_output=True, text=True, check=True)
        assert done.stdout == here


def test_different_seeds_give_different_records() -> None:
    first = list(generate_interactions(200, seed=1, tenant_id=TENANT))
    second = list(generate_interactions(200, seed=2, tenant_id=TENANT))
    assert {r["interactionId"] for r in first}.isdisjoint(r["interactionId"] for r in second)
    assert [r["startTimestamp"] for r in first] != [r["startTimestamp"] for r in second]


def test_a_smaller_count_yields_a_prefix_of_a_larger_one() -> None:
    assert list(generate_interactions(25, seed=5, tenant_id=TENANT)) == list(
        generate_interactions(300, seed=5, tenant_id=TENANT)
    )[:25]


@pytest.mark.parametrize("count", [0, 1, 1000])
def test_count_is_respected(count: int) -> None:
    assert len(list(generate_interactions(count, seed=3, tenant_id=TENANT))) == count


def test_global_random_state_is_left_alone() -> None:
    random.seed(99)
    state = random.getstate()
    list(generate_interactions(200, seed=1, tenant_id=TENANT))
    assert random.getstate() == state


def test_bad_arguments_are_refused_at_the_call() -> None:
    with pytest.raises(ValueError, match="count"):
        generate_interactions(-1, seed=1, tenant_id=TENANT)
    with pytest.raises(ValueError, match="after"):
        generate_interactions(1, seed=1, tenant_id=TENANT, start=END, end=START)
    with pytest.raises(ValueError, match="after"):
        generate_interactions(1, seed=1, tenant_id=TENANT, start=START, end=START)


def test_catalogue_ids_are_the_same_for_every_seed() -> None:
    def catalogue(seed: int) -> tuple[dict[str, str], dict[str, str]]:
        queues: dict[str, str] = {}
        agents: dict[str, str] = {}
        records: list[Record] = list(generate_interactions(3000, seed=seed, tenant_id=TENANT))
        for record in records:
            for entry in record.get("queues", []):
                assert queues.setdefault(entry["queueName"], entry["queueId"]) == entry["queueId"]
            for entry in record.get("agents", []):
                assert agents.setdefault(entry["agentName"], entry["agentId"]) == entry["agentId"]
        return queues, agents

    queues, agents = catalogue(1)
    assert set(queues) == {"Support", "Sales", "Billing", "Tech Support"}
    assert len(agents) == 20
    assert len(set(agents.values())) == 20
    assert catalogue(2) == (queues, agents)


def test_a_larger_catalogue_keeps_the_default_and_adds_to_it() -> None:
    """`queues` and `agents` (the statistics benchmark's 30 and 300): every queue and agent is used, ids and names
    are distinct, the default's four queues and twenty agents keep their ids; the default stream is unchanged."""
    default = {(e["queueName"], e["queueId"]) for r in generate_interactions(2000, seed=1, tenant_id=TENANT)
               for e in r.get("queues", [])}
    queues: dict[str, str] = {}
    agents: dict[str, str] = {}
    for record in generate_interactions(20_000, seed=1, tenant_id=TENANT, queues=30, agents=300):
        for entry in record.get("queues", []):
            assert queues.setdefault(entry["queueName"], entry["queueId"]) == entry["queueId"]
        for entry in record.get("agents", []):
            assert agents.setdefault(entry["agentName"], entry["agentId"]) == entry["agentId"]
    assert len(queues) == len(set(queues.values())) == 30
    assert len(agents) == len(set(agents.values())) == 300
    assert default <= set(queues.items())
    with pytest.raises(ValueError, match="at least"):
        list(generate_events(1, seed=1, tenant_id=TENANT, queues=30, agents=29))
    with pytest.raises(ValueError, match="at least"):
        list(generate_events(1, seed=1, tenant_id=TENANT, queues=3))


# -- events: valid, and the records are what derivation makes of them ----------
def test_the_events_decode_as_cxreport_events() -> None:
    """Each interaction's events, as NDJSON, pass `decode_events` (the check of POST .../events) unchanged."""
    encoder = msgspec.json.Encoder()
    for events in generate_events(500, seed=12, tenant_id=TENANT):
        body = b"\n".join(encoder.encode(event) for event in events)
        assert decode_events(body, TENANT) == events
        assert len({event.eventId for event in events}) == len(events)
        assert {event.interactionId for event in events} == {events[0].interactionId}


def test_the_records_are_derived_from_the_events() -> None:
    """`generate_interactions` is `derive_record` (default SLA policy) over `generate_events`, key order too."""
    events = generate_events(500, seed=13, tenant_id=TENANT)
    records = generate_interactions(500, seed=13, tenant_id=TENANT)
    for stream, record in zip(events, records, strict=True):
        assert json.dumps(record) == json.dumps(derive_record(TENANT, stream, DEFAULT_SLA))


def test_flagged_records_lost_one_event(many: list[Record]) -> None:
    """A flagged record lost one event (the first conversation-ended, or a queue-exited) and says which moment
    was taken instead; nothing else is flagged."""
    for record in many:
        if record.get("flagged"):
            (reason,) = record["flaggedReasons"]
            assert re.match(r"(conversation of agent allocation \S+|queue entry \S+) has no (end|exit)", reason)


def test_the_demo_stores_the_events_and_their_records(store: Store) -> None:
    """`cxreport demo` goes through the events path: each synthetic interaction's events are stored, and its record
    is the one derived from them."""
    result = load_demo(store, 30, seed=5, show_progress=False)
    assert (result.counts.inserted, result.counts.updated, result.counts.unchanged) == (40, 0, 0)
    for record, events in zip(generate_interactions(30, seed=5, tenant_id=DEMO_TENANT.id),
                              generate_events(30, seed=5, tenant_id=DEMO_TENANT.id), strict=True):
        stored = store.events_of(DEMO_TENANT.id, record["interactionId"])
        assert sorted(stored) == sorted(msgspec.json.encode(event) for event in events)
        doc = store.get_record(DEMO_TENANT.id, record["interactionId"], include_nulls=False)
        assert doc is not None and json.loads(doc) == record
    again = load_demo(store, 30, seed=5, show_progress=False)
    assert (again.counts.inserted, again.counts.updated, again.counts.unchanged) == (0, 0, 40)


# -- shape: the seed sample's keys and value types ----------------------------
def test_every_key_and_value_type_appears_in_the_seed_sample(records: list[Record]) -> None:
    allowed: dict[str, dict[str, set[str]]] = {level: {k: set(v) for k, v in keys.items()}
                                              for level, keys in ADDED_BY_CXREPORT.items()}
    for level, entries in dicts_by_level(seed_records()).items():
        for entry in entries:
            for key, value in entry.items():
                allowed.setdefault(level, {}).setdefault(key, set()).add(kind(value))
    for level, entries in dicts_by_level(records).items():
        assert entries, level
        for entry in entries:
            for key, value in entry.items():
                assert key in allowed[level], (level, key)
                assert kind(value) in allowed[level][key], (level, key, value)


def test_the_seeds_shape_variants_all_occur(many: list[Record]) -> None:
    """Abandons without agents, answered contacts with them, transfers, holds, in-progress, flags."""
    assert any("agents" not in r and r.get("queues") and r["queues"][0]["queueAbandoned"] for r in many)
    assert any("agents" not in r and "queues" not in r for r in many)  # hung up in the IVR
    assert any(r.get("customerTransfers") == 2 for r in many)
    assert any(r["customerHolds"] == 3 for r in many)
    assert any("endTimestamp" not in r for r in many)
    assert any(r.get("flagged") is True for r in many)
    assert all("flagged" not in r or r["flagged"] is True for r in many)
    assert any(a.get("agentReadTime") for r in many for a in r.get("agents", []))


# -- every record agrees with itself -----------------------------------------
def test_every_record_is_consistent(records: list[Record]) -> None:
    for record in records:
        check_record(record, to_ms(START), to_ms(END))


def test_interaction_ids_are_unique_lower_case_v4_uuids(records: list[Record]) -> None:
    ids = [r["interactionId"] for r in records]
    assert len(set(ids)) == len(ids) == 5000
    for value in ids:
        assert str(uuid.UUID(value)) == value
        assert uuid.UUID(value).version == 4


def test_segment_queue_and_agent_entry_ids_are_fresh(records: list[Record]) -> None:
    for level, key in (("segments", "interactionSegmentId"), ("queues", "interactionQueueId"),
                       ("agents", "interactionAgentId")):
        values = [entry[key] for entry in dicts_by_level(records)[level]]
        assert len(set(values)) == len(values) > 1000, key
    contact_ids = [r["contactId"] for r in records if "contactId" in r]
    assert 0.45 < len(contact_ids) / len(records) < 0.55
    assert len(set(contact_ids)) == len(contact_ids)


@settings(max_examples=60, deadline=None)
@given(
    seed=st.integers(min_value=-(2**64), max_value=2**64),
    count=st.integers(min_value=0, max_value=40),
    start_ms=st.integers(min_value=to_ms("2000-01-01T00:00:00.000Z"), max_value=to_ms("2040-01-01T00:00:00.000Z")),
    length_ms=st.one_of(st.integers(1, 10_000), st.integers(1, 400 * 86_400_000)),
)
def test_any_seed_and_window_give_consistent_records(seed: int, count: int, start_ms: int, length_ms: int) -> None:
    start, end = iso(start_ms), iso(start_ms + length_ms)
    records = list(generate_interactions(count, seed=seed, tenant_id="t-1", start=start, end=end))
    assert len(records) == count
    for record in records:
        check_record(record, start_ms, start_ms + length_ms, tenant="t-1")


def check_record(record: Record, start_ms: int, end_ms: int, tenant: str = TENANT) -> None:
    assert record["tenantId"] == tenant
    check_formats(record)
    start = to_ms(record["startTimestamp"])
    assert start_ms <= start < end_ms
    if "endTimestamp" in record:
        end = to_ms(record["endTimestamp"])
        assert end >= start
        assert sec(record["interactionTime"]) == end - start
    else:  # still in progress when the window closes
        assert "interactionTime" not in record
        assert start >= end_ms - 86_400_000
    check_segments(record, start)
    check_queues(record, start)
    check_agents(record)
    check_customer(record)


def check_formats(record: Record) -> None:
    for level, entries in dicts_by_level([record]).items():
        for entry in entries:
            for key, value in entry.items():
                if key.endswith("Timestamp"):
                    assert TIMESTAMP.match(value), (level, key, value)
                elif key in ID_KEYS:
                    assert str(uuid.UUID(value)) == value, (level, key, value)
                elif key.endswith("Time"):
                    assert sec(value) >= 0, (level, key, value)


def check_segments(record: Record, start: int) -> None:
    """Segment 0 starts with the interaction; a transfer segment when the transferring agent's conversation
    ends. Each ends when the allocation it belongs to is released (segment 0: its agent's; a transfer: the
    transferring agent's), or at the customer's disconnect when no agent took it. The customer leaves when the
    last conversation ends and the interaction ends 2-90 ms later."""
    segments = record["segments"]
    agents = record.get("agents", [])
    assert [s["segmentNumber"] for s in segments] == list(range(len(segments)))
    assert to_ms(segments[0]["startTimestamp"]) == start
    for previous, segment in pairwise(segments):
        assert segment["segmentStartType"] == "transfer" and segment["transfer"] is True
        source = agents[segment["segmentNumber"] - 1]
        conversation_end = to_ms(source["endTimestamp"]) - sec(source["agentWrapUpTime"])
        assert to_ms(segment["startTimestamp"]) == conversation_end
        assert segment["endTimestamp"] == source["endTimestamp"]
        assert previous["segmentToAgentId"] == source["agentId"]
    if agents and "endTimestamp" in agents[0]:
        assert segments[0]["endTimestamp"] == agents[0]["endTimestamp"]
    assert record.get("customerTransfers", 0) == len(segments) - 1
    for segment in segments:
        if "endTimestamp" in segment:
            lasted = to_ms(segment["endTimestamp"]) - to_ms(segment["startTimestamp"])
            assert sec(segment["segmentTime"]) == lasted
    last = segments[-1]
    if "endTimestamp" in record:
        left = to_ms(last["endTimestamp"])
        if agents:  # the last agent's conversation ended when the customer left
            left = to_ms(agents[-1]["endTimestamp"]) - sec(agents[-1]["agentWrapUpTime"])
        assert 2 <= to_ms(record["endTimestamp"]) - left <= 90
    if last.get("segmentCancelled"):  # the customer hung up
        assert last["segmentEndType"] == "customer-disconnect"
        abandon = to_ms(last["endTimestamp"]) - start
        assert sec(record["customerAbandonTime"]) == sec(last["segmentCancelTime"]) == abandon
        assert "agents" not in record
    else:
        assert "customerAbandonTime" not in record
        assert "agents" in record


def check_queues(record: Record, start: int) -> None:
    queues = record.get("queues", [])
    if not queues:  # hung up in the IVR: all of the time was IVR time
        assert record["ivrTime"] == record["customerAbandonTime"]
        return
    assert sec(record["ivrTime"]) == to_ms(queues[0]["startTimestamp"]) - start
    assert [q["queueEntryType"] for q in queues] == ["ivr"] + ["transfer"] * (len(queues) - 1)
    for queue in queues:
        waited = to_ms(queue["endTimestamp"]) - to_ms(queue["startTimestamp"])
        assert sec(queue["queueTime"]) == waited
        assert queue["queueEntryLength"] >= 1
        if queue["queueExitType"] == "abandon":
            assert queue["queueAbandoned"] is True
            assert sec(queue["queueAbandonTime"]) == sec(queue["slaTime"]) == waited
            assert queue["slaAbandoned"] == (waited >= 20_000)  # the default policy ignores abandons under 20 s
            assert queue.get("slaMet") == (False if waited >= 20_000 else None)
            assert queue["endTimestamp"] == record["segments"][0]["endTimestamp"]
        else:
            assert queue["queueExitType"] == "success"
            assert "queueAbandoned" not in queue
            assert queue["agentId"] in {a["agentId"] for a in record["agents"]}
    first = queues[0]
    if first["queueExitType"] == "success":
        check_answer_time(record, first)


def check_answer_time(record: Record, queue: Record) -> None:
    """timeToAnswer runs to the conversation start: bridging (voice) or reading (email) after acceptance."""
    answered = sec(queue["timeToAnswer"])
    assert sec(queue["slaTime"]) == answered
    extra = answered - sec(queue["queueTime"])
    agent = record["agents"][0]
    assert agent["interactionSegmentId"] == queue["interactionSegmentId"]
    if record["channelType"] == "voice":
        assert 200 <= extra <= 1500
    elif record["channelType"] == "email" and "agentReadTime" in agent:
        assert extra == sec(agent["agentReadTime"])
    else:
        assert extra == 0


def check_agents(record: Record) -> None:
    agents = record.get("agents", [])
    queue_exits = {q["interactionSegmentId"]: to_ms(q["endTimestamp"]) for q in record.get("queues", [])}
    holds = 0
    for agent in agents:
        assert agent["agentWorkAccepted"] is True
        offered = to_ms(agent["startTimestamp"])
        accepted = offered + sec(agent["agentWorkOfferTime"])
        assert sec(agent["agentWorkAcceptedTime"]) == sec(agent["agentWorkOfferTime"])
        if agent["interactionSegmentId"] in queue_exits:  # the queue wait ends when the agent accepts
            assert accepted == queue_exits[agent["interactionSegmentId"]]
        if "endTimestamp" not in agent:  # still talking
            assert "endTimestamp" not in record and "agentHandleTime" not in agent
            continue
        talk, wrap = sec(agent["agentTalkTime"]), sec(agent["agentWrapUpTime"])
        conversation = sec(agent["agentConversationTime"])
        assert sec(agent["agentHandleTime"]) == conversation + wrap
        assert talk == conversation  # holds included, as the original API counts talk
        holds += sec(agent.get("agentHoldTime", 0.0))
        assert sec(agent["agentFocusTime"]) == to_ms(agent["endTimestamp"]) - accepted  # acceptance -> release
        assert sec(agent.get("agentReadTime", 0.0)) < talk
        busy = to_ms(agent["endTimestamp"]) - accepted - conversation - wrap  # bridging, voice only
        assert 200 <= busy <= 1500 if record["channelType"] == "voice" else busy == 0
    assert holds == sec(record.get("customerHoldTime", 0.0))
    assert (record["customerHolds"] > 0) == ("customerHoldTime" in record)
    check_transfers(record, agents)


def check_transfers(record: Record, agents: list[Record]) -> None:
    by_segment = {a["interactionSegmentId"]: a for a in agents}
    for previous, segment in pairwise(record["segments"]):
        source, target = by_segment[previous["interactionSegmentId"]], by_segment[segment["interactionSegmentId"]]
        assert segment["agentId"] == source["agentId"] == previous["segmentToAgentId"]
        assert segment["interactionAgentId"] == source["interactionAgentId"]
        assert segment["segmentToAgentId"] == target["agentId"] != source["agentId"]
        accepted = to_ms(target["startTimestamp"]) + sec(target["agentWorkOfferTime"])
        assert sec(segment["transferTime"]) == accepted - to_ms(segment["startTimestamp"])


def check_customer(record: Record) -> None:
    channel, customer = record["channelType"], record["customer"]
    if channel in ("voice", "sms"):
        assert PHONE.match(customer), customer
    elif channel == "email":
        assert re.fullmatch(r"[a-z]+\.[a-z]+\d*@[a-z.]+", customer), customer
    else:
        assert channel == "chat"
        assert re.fullmatch(r"[a-z]+_[a-z]\d*", customer), customer
    assert record["direction"] == "inbound" or channel == "voice"


# -- realistic mix ------------------------------------------------------------
def test_two_thousand_records_cover_every_channel_and_outcome() -> None:
    records: list[Record] = list(generate_interactions(2000, seed=1, tenant_id=TENANT))
    assert {r["channelType"] for r in records} == {"voice", "email", "sms", "chat"}
    assert any("agents" in r and "endTimestamp" in r for r in records)  # answered
    assert any(q.get("queueAbandoned") for r in records for q in r.get("queues", []))  # abandoned


def test_channel_and_outcome_frequencies(many: list[Record]) -> None:
    n = len(many)
    channels = Counter(r["channelType"] for r in many)
    for channel, share in {"voice": 0.55, "email": 0.20, "sms": 0.12, "chat": 0.13}.items():
        assert abs(channels[channel] / n - share) < 0.02, channel
    answered = [r for r in many if "agents" in r and "endTimestamp" in r]
    abandoned = [r for r in many if r.get("queues") and r["queues"][0].get("queueAbandoned")]
    in_ivr = [r for r in many if "queues" not in r]
    assert 0.80 < len(answered) / n < 0.90
    assert 0.10 < len(abandoned) / n < 0.14
    assert 0.02 < len(in_ivr) / n < 0.04
    quick = [r for r in abandoned if r["queues"][0]["queueAbandonTime"] < 20]
    assert 0.1 < len(quick) / len(abandoned) < 0.6
    transferred = [r for r in answered if "customerTransfers" in r]
    assert 0.06 < len(transferred) / len(answered) < 0.10
    voice = [r for r in answered if r["channelType"] == "voice"]
    assert 0.12 < sum(r["customerHolds"] > 0 for r in voice) / len(voice) < 0.18
    assert 1 <= sum("endTimestamp" not in r for r in many) <= n * 0.01
    assert 0.005 < sum("flagged" in r for r in many) / n < 0.03
    outbound = [r for r in many if r["direction"] == "outbound"]
    assert outbound and all(r["channelType"] == "voice" for r in outbound)


def test_starts_favour_eastern_business_hours_and_weekdays(many: list[Record]) -> None:
    eastern = [datetime.fromtimestamp(to_ms(r["startTimestamp"]) / 1000, timezone(timedelta(hours=-5))) for r in many]
    weekday = [t for t in eastern if t.weekday() < 5]
    business = [t for t in weekday if 9 <= t.hour < 17]
    assert len(business) / len(many) > 0.5
    days = Counter(t.date() for t in eastern)
    weekday_days = [c for d, c in days.items() if d.weekday() < 5]
    weekend_days = [c for d, c in days.items() if d.weekday() >= 5]
    assert sum(weekday_days) / len(weekday_days) > 2 * sum(weekend_days) / len(weekend_days)


def test_a_custom_window_is_honoured() -> None:
    start, end = "2018-03-01T00:00:00.000Z", "2018-03-02T00:00:00.000Z"
    records: list[Record] = list(generate_interactions(500, seed=4, tenant_id=TENANT, start=start, end=end))
    assert all(start <= r["startTimestamp"] < end for r in records)


# -- the fast helpers match the standard library --------------------------------
@given(st.integers(min_value=0, max_value=to_ms("9999-12-31T23:59:59.999Z")))
def test_timestamp_formatting_matches_datetime(ms: int) -> None:
    fill_time_tables()
    assert fast_iso(ms) == iso(ms)


@given(st.integers(min_value=0, max_value=2**128 - 1))
def test_uuid_formatting_matches_the_uuid_module(bits: int) -> None:
    assert fast_uuid4(bits) == str(uuid.UUID(int=bits, version=4))
