"""Deterministic synthetic contact-center interactions, as events, for demos, tests and benchmarks.

`generate_events` yields each interaction's events (`cxreport.metrics` events, which encode to the JSON of
`docs/events.md`); `generate_interactions` yields the records `cxreport.metrics.derive_record` derives from
them under the default SLA policy, so the demo and the benchmarks exercise the real derivation. Everything is
drawn from one ``random.Random(seed)``: the same arguments always give the same events in the same order.

The model, per interaction (`contacts.py`; the tenant's channels, queues and agents in `catalogue.py`):

* start: spread over ``[start, end)``, weighted toward business hours in US/Eastern, with fewer contacts on
  weekends and on US holidays (`arrivals.py`).
* channel: voice 55 % (12 % of them outbound), email 20 %, chat 13 %, sms 12 %.
* outcome: about 3 % hang up in the IVR before reaching a queue (voice inbound), 12 % abandon in queue
  (voice, chat, sms; about a quarter within 20 s), under 0.2 % are still talking to an agent when the window
  ends (their events stop there), and the rest, about 85 %, are answered: offered to an agent who accepts,
  talks (voice: after the call is bridged; email: replies after reading; sms and chat: reply at once) and
  wraps up. 8 % of answered contacts are transferred (one in seven of them twice), to another queue or
  straight to another agent, when the agent's conversation ends; 15 % of answered voice calls have 1-3
  customer holds. The customer leaves when the last conversation ends (an email is closed by its agent) and
  the interaction ends 2-90 ms later.
* 1.5 % lose one event on the way (the queue-exited of an abandon or of a contact still in progress, the
  first agent's conversation-ended of an answered one): derivation completes the record from the other events
  and flags it. Half carry a ``contactId``.

Queue, agent and flow ids come from a fixed generator and agents' sessionIds from the agent and the day, so
they are the same for every seed. The tenant has 4 queues (Support, Sales, Billing, Tech Support) and 20
agents unless `queues` and `agents` ask for more: further queues of each kind in turn (a contact picks its
queue's kind from its channel's mix, then one of that kind's queues), further agents each skilled for two
queues; the default catalogue's ids and events stay the same.
"""

from __future__ import annotations

from collections.abc import Iterator

from cxreport.cli.synthetic.catalogue import AGENTS, QUEUES
from cxreport.cli.synthetic.contacts import Generator
from cxreport.cli.synthetic.formats import fill_time_tables, parse_ms
from cxreport.cli.synthetic.stream import Stream
from cxreport.metrics import DEFAULT_SLA, Event, Record, derive_record

__all__ = ["Stream", "generate_events", "generate_interactions", "generate_streams"]

DEFAULT_START = "2017-11-13T00:00:00.000Z"
DEFAULT_END = "2018-01-10T00:00:00.000Z"


def generate_streams(
    count: int, *, seed: int, tenant_id: str, start: str = DEFAULT_START, end: str = DEFAULT_END,
    queues: int = QUEUES, agents: int = AGENTS,
) -> Iterator[Stream]:
    """Yield `count` interactions' events, each with their instants; same arguments -> identical events.

    Interactions come in no particular time order; each starts in ``[start, end)``. `tenant_id` is written
    into each interaction-started event (`tenantId`), so it must be a UUID for the events to decode.
    `queues` and `agents` size the tenant's catalogue (`catalogue.py`: by default 4 queues and 20 agents; a
    larger one keeps the default's ids and adds to them). Raises ValueError for a negative count, an empty
    window or a catalogue too small.
    """
    if count < 0:
        raise ValueError(f"count must be >= 0, got {count}")
    start_ms, end_ms = parse_ms(start), parse_ms(end)
    if end_ms <= start_ms:
        raise ValueError(f"end ({end}) must be after start ({start})")
    fill_time_tables()
    return _streams(Generator(seed, tenant_id, start_ms, end_ms, queues=queues, agents=agents), count)


def _streams(generator: Generator, count: int) -> Iterator[Stream]:
    for _ in range(count):
        yield generator.contact()


def generate_events(
    count: int, *, seed: int, tenant_id: str, start: str = DEFAULT_START, end: str = DEFAULT_END,
    queues: int = QUEUES, agents: int = AGENTS,
) -> Iterator[list[Event]]:
    """Yield `count` interactions' events (`generate_streams` without the instants)."""
    streams = generate_streams(count, seed=seed, tenant_id=tenant_id, start=start, end=end, queues=queues,
                               agents=agents)
    return (stream.events for stream in streams)


def generate_interactions(
    count: int, *, seed: int, tenant_id: str, start: str = DEFAULT_START, end: str = DEFAULT_END,
    queues: int = QUEUES, agents: int = AGENTS,
) -> Iterator[Record]:
    """Yield the records derived from `generate_events` (same arguments), under the default SLA policy."""
    streams = generate_streams(count, seed=seed, tenant_id=tenant_id, start=start, end=end, queues=queues,
                               agents=agents)
    return (derived(stream, tenant_id) for stream in streams)


def derived(stream: Stream, tenant_id: str) -> Record:
    """The record of one interaction's events, as `cxreport.metrics.derive_record` makes it (default SLA)."""
    instants = dict(zip([event.timestamp for event in stream.events], stream.instants, strict=True))
    return derive_record(tenant_id, stream.events, DEFAULT_SLA, instants)
