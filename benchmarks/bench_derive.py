"""Pure derivation throughput: events/s on one core, events → interaction records (no storage).

    .venv/bin/python benchmarks/bench_derive.py [--count 100000] [--seed 7]

Generates a deterministic, realistic event stream (voice, email, sms and chat; IVR and queue abandons,
answered interactions with holds, wrap-up, rejected offers, transfers, some still in progress), then times:
- derive: `derive_record` per interaction over already decoded events;
- decode + derive: `decode_events` over each interaction's NDJSON, then `derive_record`.
Events are generated and timed in chunks (bounded memory); each chunk is run `--repeat` times and its
fastest run counts, so that a busy machine disturbs the figure less. Figures go to stdout; nothing is
asserted. The end-to-end rate into SQLite is measured by the ingest path, not here.
"""

from __future__ import annotations

import argparse
import random
import time
import uuid
from collections.abc import Callable
from typing import Any

import msgspec

from cxreport.metrics import DEFAULT_SLA, Event, decode_events, derive_record
from cxreport.metrics import events as ev
from cxreport.times import format_instant, parse_instant

TENANT = "2336d1ec-c956-47e1-b3b1-fe8fde81b2b4"
START_US = parse_instant("2024-01-01T00:00:00.000Z")
QUEUES = [(str(uuid.UUID(int=n + 1)), f"Queue {n}", 700 + n) for n in range(20)]
AGENTS = [(str(uuid.UUID(int=10_000 + n)), f"Agent {n}", 15_000 + n) for n in range(300)]


class Gen:
    def __init__(self, rng: random.Random, index: int) -> None:
        self.rng = rng
        self.iid = str(uuid.UUID(int=rng.getrandbits(128), version=1))
        self.us = START_US + index * 25_000_000 + rng.randrange(25_000) * 1000
        self.events: list[Event] = []

    def emit(self, cls: type[ev.EventBase], wait_ms: int = 0, **fields: Any) -> None:
        self.us += wait_ms * 1000
        event_id = f"{self.iid}-{len(self.events)}"
        self.events.append(cls(eventId=event_id, interactionId=self.iid, timestamp=format_instant(self.us), **fields))  # type: ignore[arg-type]

    def ms(self, low: int, high: int) -> int:
        return self.rng.randrange(low, high)

    def work(self, cls: type[ev.EventBase], alloc: str, agent: tuple[str, str, int], queue_id: str, wait: int) -> None:
        self.emit(
            cls,
            wait,
            interactionAgentId=alloc,
            agentId=agent[0],
            agentName=agent[1],
            platformAgentId=agent[2],
            sessionId=agent[0],
            queueId=queue_id,
        )


def interaction(rng: random.Random, index: int) -> list[Event]:
    g = Gen(rng, index)
    channel = rng.choices(["voice", "email", "sms", "chat"], [70, 15, 7, 8])[0]
    g.emit(
        ev.InteractionStarted,
        channelType=channel,
        direction="inbound",
        customer=f"+1555{rng.randrange(10**7):07d}",
        contactPoint="+15553005555",
        flowId=QUEUES[0][0],
        flowName="Main Flow",
        interactionSegmentId=str(uuid.uuid4()),
    )
    if rng.random() < 0.3:
        g.emit(ev.CustomAttributesSet, 50, attributes={"language": rng.choice(["en", "es"]), "tier": "gold"})
    fate = rng.random()
    if fate < 0.05:
        g.emit(ev.CustomerDisconnect, g.ms(2_000, 40_000))
        g.emit(ev.InteractionEnded, 5, endType="customer-disconnect")
        return g.events
    queue_id, name, platform_id = rng.choice(QUEUES)
    visit = str(uuid.uuid4())
    g.emit(
        ev.QueueEntered,
        g.ms(100, 20_000),
        interactionQueueId=visit,
        queueId=queue_id,
        queueName=name,
        platformQueueId=platform_id,
        entryType="ivr",
        queueLength=rng.randrange(1, 30),
    )
    if fate < 0.2:
        g.emit(ev.QueueExited, g.ms(1_000, 120_000), interactionQueueId=visit, reason="abandon")
        g.emit(ev.CustomerDisconnect)
        g.emit(ev.InteractionEnded, 5, endType="customer-disconnect")
        return g.events
    alloc, agent = str(uuid.uuid4()), rng.choice(AGENTS)
    if rng.random() < 0.1:
        g.work(ev.WorkOffered, alloc, agent, queue_id, g.ms(1_000, 60_000))
        g.work(ev.WorkRejected, alloc, agent, queue_id, g.ms(500, 8_000))
        alloc, agent = str(uuid.uuid4()), rng.choice(AGENTS)
    g.work(ev.WorkOffered, alloc, agent, queue_id, g.ms(1_000, 60_000))
    g.work(ev.WorkAccepted, alloc, agent, queue_id, g.ms(500, 8_000))
    g.emit(ev.QueueExited, 300, interactionQueueId=visit, reason="success")
    g.emit(ev.ConversationStarted, 500, interactionAgentId=alloc)
    if channel != "voice":
        g.emit(ev.AgentReplied, g.ms(5_000, 60_000), interactionAgentId=alloc)
    if rng.random() < 0.2:
        g.emit(ev.CustomerHold, g.ms(10_000, 100_000), interactionAgentId=alloc)
        g.emit(ev.CustomerResume, g.ms(5_000, 60_000), interactionAgentId=alloc)
    if fate > 0.97:
        return g.events  # still in progress
    if rng.random() < 0.1:
        segment, visit = str(uuid.uuid4()), str(uuid.uuid4())
        g.emit(
            ev.TransferStarted,
            g.ms(10_000, 100_000),
            interactionSegmentId=segment,
            interactionAgentId=alloc,
            transferType="queue",
            transferToQueueId=queue_id,
        )
        g.emit(
            ev.QueueEntered,
            200,
            interactionQueueId=visit,
            queueId=queue_id,
            queueName=name,
            platformQueueId=platform_id,
            entryType="transfer",
            queueLength=rng.randrange(1, 30),
        )
        g.emit(ev.ConversationEnded, 1_000, interactionAgentId=alloc)
        g.emit(ev.AgentDisconnect, interactionAgentId=alloc)
        alloc, agent = str(uuid.uuid4()), rng.choice(AGENTS)
        g.work(ev.WorkOffered, alloc, agent, queue_id, g.ms(1_000, 30_000))
        g.work(ev.WorkAccepted, alloc, agent, queue_id, g.ms(500, 8_000))
        g.emit(ev.QueueExited, 300, interactionQueueId=visit, reason="success")
        g.emit(ev.TransferConnected, interactionSegmentId=segment, interactionAgentId=alloc, agentId=agent[0])
        g.emit(ev.ConversationStarted, 500, interactionAgentId=alloc)
    g.emit(ev.ConversationEnded, g.ms(20_000, 600_000), interactionAgentId=alloc)
    g.emit(ev.AgentDisconnect, interactionAgentId=alloc)
    g.emit(ev.CustomerDisconnect)
    g.emit(ev.InteractionEnded, 5, endType="customer-disconnect")
    g.emit(ev.WrapupStarted, 10, interactionAgentId=alloc)
    g.emit(ev.WrapupEnded, g.ms(2_000, 90_000), interactionAgentId=alloc)
    return g.events


def best_time(run: Callable[[], object], repeat: int) -> float:
    """The shortest of `repeat` runs: the one least disturbed by whatever else the machine is doing."""
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        run()
        times.append(time.perf_counter() - started)
    return min(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--count", type=int, default=100_000, help="interactions to generate (default 100000)")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--repeat", type=int, default=3, help="runs of each chunk; the fastest counts (default 3)")
    parser.add_argument("--chunk", type=int, default=10_000, help="interactions generated and timed at a time")
    args = parser.parse_args()
    rng = random.Random(args.seed)
    encoder = msgspec.json.Encoder()
    total = derive_s = decode_s = 0.0
    for first in range(0, args.count, args.chunk):
        streams = [interaction(rng, index) for index in range(first, min(first + args.chunk, args.count))]
        bodies = [b"\n".join(encoder.encode(event) for event in stream) for stream in streams]
        total += sum(len(stream) for stream in streams)

        def derive_all(streams: list[list[Event]] = streams) -> None:
            for stream in streams:
                derive_record(TENANT, stream, DEFAULT_SLA)

        def decode_and_derive_all(bodies: list[bytes] = bodies) -> None:
            for body in bodies:
                derive_record(TENANT, decode_events(body), DEFAULT_SLA)

        derive_s += best_time(derive_all, args.repeat)
        decode_s += best_time(decode_and_derive_all, args.repeat)
    print(f"{args.count:,} interactions, {total:,.0f} events ({total / args.count:.1f} per interaction), one core")
    print(f"derive            {total / derive_s:>10,.0f} events/s ({derive_s:.2f} s)")
    print(f"decode + derive   {total / decode_s:>10,.0f} events/s ({decode_s:.2f} s)")


if __name__ == "__main__":
    main()
