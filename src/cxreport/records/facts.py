"""A record's queue-entry facts: one typed row per `queues[]` entry, what interval statistics count.

The stores write a record's facts in the same transaction as the record (and replace them with it), for
records ingested directly and records derived from events alike, so figures never parse a record's JSON at
query time. Each fact is read from the record's own fields (its `queues[]` entry, the agent entry that
answered it, the interaction's channel, direction, flow and flag); the definitions of the figures built from
them are in `docs/data-dictionary.md` ("Interval statistics").
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, NamedTuple

import msgspec

from cxreport.records.schema import AgentEntry, InteractionRecord, QueueEntry
from cxreport.times import TimeFormatError, parse_instant

OUTCOMES = (
    "answered", "abandoned", "timed-out", "exited-with-key", "left-empty", "moved-by-flow", "refused-full",
    "refused-empty", "closed", "diverted",
)
"""How a queue entry ended (`queues[].queueExitReason`); absent while the entry is still queued."""
REFUSALS = frozenset({"refused-full", "refused-empty", "closed", "diverted"})
"""Outcomes where the caller was turned away at the door and never waited."""
_FROM_EXIT_TYPE = {"success": "answered", "abandon": "abandoned", "flow": "moved-by-flow"}
"""The outcome of a record that says only `queueExitType` (records from before `queueExitReason`)."""


class QueueEntryFact(NamedTuple):
    """One queue entry of a record, as interval statistics count it (durations in whole milliseconds)."""

    interaction_id: str
    position: int
    """Its index in the record's `queues[]`."""
    entry_us: int
    """The queue entry's instant (`startTimestamp`; the interaction's start when the entry has none): every
    figure of the entry counts in the bucket of this instant."""
    queue_entry_id: str | None
    queue_id: str | None
    queue_name: str | None
    agent_id: str | None
    """The agent who answered it."""
    agent_name: str | None
    channel_type: str | None
    direction: str | None
    flow_id: str | None
    flow_name: str | None
    outcome: str | None
    queue_ms: int | None
    answer_ms: int | None
    """`timeToAnswer`."""
    sla_ms: int | None
    sla_met: bool | None
    sla_abandoned: bool | None
    sla_id: str | None
    sla_version: int | None
    talk_ms: int | None
    """The answering agent entry's `agentTalkTime`, `agentHoldTime`, `agentWrapUpTime`, `agentHandleTime`."""
    hold_ms: int | None
    wrap_ms: int | None
    handle_ms: int | None
    transfers: int
    """Transfers started by the agent entry that answered it (segments with `transfer` it opened)."""
    flagged: bool
    """The record is flagged: some of its figures were estimated."""


class _Queue(msgspec.Struct):
    interactionQueueId: str | None = None
    interactionSegmentId: str | None = None
    queueId: str | None = None
    queueName: str | None = None
    startTimestamp: str | None = None
    queueExitType: str | None = None
    queueExitReason: str | None = None
    queueAbandoned: bool | None = None
    queueTime: float | None = None
    timeToAnswer: float | None = None
    slaTime: float | None = None
    slaMet: bool | None = None
    slaAbandoned: bool | None = None
    slaId: str | None = None
    slaVersion: int | None = None
    agentId: str | None = None


class _Agent(msgspec.Struct):
    interactionAgentId: str | None = None
    interactionSegmentId: str | None = None
    agentId: str | None = None
    agentName: str | None = None
    queueId: str | None = None
    agentWorkAccepted: bool | None = None
    agentTalkTime: float | None = None
    agentHoldTime: float | None = None
    agentWrapUpTime: float | None = None
    agentHandleTime: float | None = None


class _Segment(msgspec.Struct):
    interactionAgentId: str | None = None
    transfer: bool | None = None


class _EntriesView(msgspec.Struct, kw_only=True):
    """The fields of a record its queue-entry facts are read from, but its segments (every other field is skipped:
    decoding a record without a transfer reads no segment)."""

    channelType: str | None = None
    direction: str | None = None
    flowId: str | None = None
    flowName: str | None = None
    flagged: bool | None = None
    queues: list[_Queue] | None = None
    agents: list[_Agent] | None = None


class FactsView(_EntriesView, kw_only=True):
    """The fields of a record its queue-entry facts are read from (every other field is skipped)."""

    segments: list[_Segment] | None = None


_view = msgspec.json.Decoder(FactsView)
_view_without_segments = msgspec.json.Decoder(_EntriesView)
_QUEUES = b'"queues"'
_TRANSFER = b'"transfer"'


def facts_view(record: Mapping[str, Any]) -> FactsView:
    """The fact fields of a record held as a dict (a derived record), without encoding and decoding it."""
    return msgspec.convert(record, FactsView)


def facts_of_doc(interaction_id: str, start_us: int, doc: bytes) -> tuple[QueueEntryFact, ...]:
    """The facts of a valid record's JSON text (none when it has no queue entry)."""
    if doc.find(_QUEUES) < 0:
        return ()
    decoder = _view if doc.find(_TRANSFER) >= 0 else _view_without_segments  # segments are most of a record
    return facts_of(interaction_id, start_us, decoder.decode(doc))


Factual = _EntriesView | InteractionRecord
"""A record its facts can be read from: a view decoded from its text or converted from its dict, or the validated
record itself (a record ingested directly is decoded once)."""


def facts_of(interaction_id: str, start_us: int, record: Factual) -> tuple[QueueEntryFact, ...]:
    """One fact per queue entry of `record`, in `queues[]` order."""
    if not record.queues:
        return ()
    agents: Sequence[_Agent | AgentEntry] = record.agents or []
    queues: Sequence[_Queue | QueueEntry] = record.queues
    transfers: dict[str, int] = {}
    segments = record.segments if isinstance(record, FactsView | InteractionRecord) else None
    for segment in segments or ():
        if segment.transfer and segment.interactionAgentId is not None:
            transfers[segment.interactionAgentId] = transfers.get(segment.interactionAgentId, 0) + 1
    facts = []
    for position, queue in enumerate(queues):
        agent = answering_agent(queue, agents)
        facts.append(
            QueueEntryFact(
                interaction_id,
                position,
                _instant(queue.startTimestamp, start_us),
                queue.interactionQueueId,
                queue.queueId,
                queue.queueName,
                queue.agentId,
                agent.agentName if agent is not None else None,
                record.channelType,
                record.direction,
                record.flowId,
                record.flowName,
                outcome(queue),
                _ms(queue.queueTime),
                _ms(queue.timeToAnswer),
                _ms(queue.slaTime),
                queue.slaMet,
                queue.slaAbandoned,
                queue.slaId,
                queue.slaVersion,
                _ms(agent.agentTalkTime) if agent is not None else None,
                _ms(agent.agentHoldTime) if agent is not None else None,
                _ms(agent.agentWrapUpTime) if agent is not None else None,
                _ms(agent.agentHandleTime) if agent is not None else None,
                transfers.get(agent.interactionAgentId or "", 0) if agent is not None else 0,
                bool(record.flagged),
            )
        )
    return tuple(facts)


def outcome(queue: _Queue | QueueEntry) -> str | None:
    """How the entry ended: `queueExitReason` when the record says it, else from `queueExitType` and
    `queueAbandoned` (success → answered, abandon → abandoned, flow → moved-by-flow); None while queued."""
    if queue.queueExitReason is not None:
        return queue.queueExitReason
    if queue.queueAbandoned:
        return "abandoned"
    if queue.queueExitType is None:
        return None
    return _FROM_EXIT_TYPE.get(queue.queueExitType, queue.queueExitType)


def answering_agent(queue: _Queue | QueueEntry, agents: Sequence[_Agent | AgentEntry]) -> _Agent | AgentEntry | None:
    """The agent entry that answered a queue entry: of the entry's agent, the first allocation not declined in
    the entry's segment (from the entry's queue when it names one), else that agent's first allocation."""
    if queue.agentId is None:
        return None
    fallback = None
    for agent in agents:
        if agent.agentId != queue.agentId or agent.agentWorkAccepted is False:
            continue
        same_queue = agent.queueId is None or queue.queueId is None or agent.queueId == queue.queueId
        if agent.interactionSegmentId == queue.interactionSegmentId and same_queue:
            return agent
        if fallback is None:
            fallback = agent
    return fallback


def _ms(seconds: float | None) -> int | None:
    return None if seconds is None else round(seconds * 1000)


def _instant(text: str | None, default_us: int) -> int:
    if text is None:
        return default_us
    try:
        return parse_instant(text)
    except TimeFormatError:  # a valid record's times parse; a derived one's too
        return default_us
