"""Hypothesis strategies for valid event streams: one interaction's events, of any channel and lifecycle
(abandoned in the IVR or a queue, answered, transferred, re-queued), some still in progress or missing one."""

from __future__ import annotations

import uuid
from typing import Any

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st

from cxreport.metrics import Event, SlaPolicy
from cxreport.metrics import events as ev
from cxreport.times import format_instant, parse_instant

TENANT = "2336d1ec-c956-47e1-b3b1-fe8fde81b2b4"
POLICY = SlaPolicy(slaThreshold=20, abandonType="ignore-abandons", abandonThreshold=10)
BASE_US = parse_instant("2024-03-01T09:00:00.000Z")
QUEUES = [("q-sales", "Sales", 11), ("q-support", "Support", 12)]
AGENTS = [("ag-ana", "Ana"), ("ag-bo", "Bo"), ("ag-cy", "Cy")]
fast = settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])


class Stream:
    """Builds one interaction's events with strictly non-decreasing timestamps (ties happen: steps of 0 ms)."""

    def __init__(self, draw: st.DrawFn) -> None:
        self.draw = draw
        self.iid = str(draw(st.uuids(version=4)))
        self.us = BASE_US + draw(st.integers(0, 10**9)) * 1000
        self.events: list[Event] = []
        self.ids = 0

    def step(self, most_ms: int = 30_000) -> None:
        self.us += self.draw(st.sampled_from([0, 1, 7, 999])) * 1000 + self.draw(st.integers(0, most_ms)) * 1000

    def new_id(self) -> str:
        self.ids += 1
        return f"{self.iid[:8]}-{self.ids}"

    def emit(self, cls: type[ev.EventBase], **fields: Any) -> None:
        stamp = format_instant(self.us)
        self.events.append(cls(eventId=self.new_id(), interactionId=self.iid, timestamp=stamp, **fields))  # type: ignore[arg-type]
        self.step()


def work(cls: type[ev.EventBase], s: Stream, alloc: str, agent: tuple[str, str], queue: str | None) -> None:
    s.emit(
        cls, interactionAgentId=alloc, agentId=agent[0], agentName=agent[1], sessionId=f"s-{agent[0]}", queueId=queue
    )


def queue_visit(s: Stream, entry_type: str) -> tuple[str, str]:
    queue_id, name, platform_id = s.draw(st.sampled_from(QUEUES))
    visit = str(uuid.uuid4())
    s.emit(
        ev.QueueEntered,
        interactionQueueId=visit,
        queueId=queue_id,
        queueName=name,
        platformQueueId=platform_id,
        entryType=entry_type,
        queueLength=s.draw(st.integers(1, 9)),
    )
    return visit, queue_id


def allocate(s: Stream, queue_id: str, agent: tuple[str, str] | None = None) -> tuple[str, tuple[str, str]]:
    """Offers until one is accepted; returns the accepted allocation and its agent."""
    while True:
        chosen = agent or s.draw(st.sampled_from(AGENTS))
        alloc = str(uuid.uuid4())
        work(ev.WorkOffered, s, alloc, chosen, queue_id)
        outcome = s.draw(st.sampled_from(["accept", "accept", "reject", "miss"]))
        if outcome == "accept":
            work(ev.WorkAccepted, s, alloc, chosen, queue_id)
            return alloc, chosen
        work(ev.WorkRejected if outcome == "reject" else ev.WorkMissed, s, alloc, chosen, queue_id)


def converse(s: Stream, alloc: str, channel: str) -> None:
    s.emit(ev.ConversationStarted, interactionAgentId=alloc)
    if channel != "voice" or s.draw(st.booleans()):
        s.emit(ev.AgentReplied, interactionAgentId=alloc)
    for _ in range(s.draw(st.integers(0, 2))):
        s.emit(ev.CustomerHold, interactionAgentId=alloc)
        s.emit(ev.CustomerResume, interactionAgentId=alloc)


def release(s: Stream, alloc: str) -> None:
    s.emit(ev.ConversationEnded, interactionAgentId=alloc)
    s.emit(ev.AgentDisconnect, interactionAgentId=alloc)
    if s.draw(st.booleans()):
        s.emit(ev.WrapupStarted, interactionAgentId=alloc)
        s.emit(ev.WrapupEnded, interactionAgentId=alloc)


def answered(s: Stream, channel: str) -> None:
    visit, queue_id = queue_visit(s, "ivr")
    alloc, agent = allocate(s, queue_id)
    s.emit(ev.QueueExited, interactionQueueId=visit, reason="success")
    converse(s, alloc, channel)
    for _ in range(s.draw(st.integers(0, 2))):
        if s.draw(st.integers(0, 3)) == 0:  # the agent's line drops; the flow queues the customer again
            release(s, alloc)
            visit, queue_id = queue_visit(s, "ivr")
            alloc, agent = allocate(s, queue_id, agent if s.draw(st.booleans()) else None)
            s.emit(ev.QueueExited, interactionQueueId=visit, reason="success")
            converse(s, alloc, channel)
            continue
        segment = str(uuid.uuid4())
        s.emit(ev.TransferStarted, interactionSegmentId=segment, interactionAgentId=alloc, transferType="queue")
        if s.draw(st.booleans()):
            s.emit(ev.TransferCancelled, interactionSegmentId=segment)
            continue
        visit, queue_id = queue_visit(s, "transfer")
        release(s, alloc)
        same = s.draw(st.booleans())
        alloc, agent = allocate(s, queue_id, agent if same else None)
        s.emit(ev.QueueExited, interactionQueueId=visit, reason="success")
        s.emit(ev.TransferConnected, interactionSegmentId=segment, interactionAgentId=alloc, agentId=agent[0])
        converse(s, alloc, channel)
    release(s, alloc)


@st.composite
def interaction_events(draw: st.DrawFn) -> list[Event]:
    s = Stream(draw)
    channel = draw(st.sampled_from(["voice", "email", "sms", "chat"]))
    s.emit(
        ev.InteractionStarted,
        channelType=channel,
        direction="inbound",
        customer="+15550001",
        contactPoint="+15550002",
        flowId="flow-1",
        flowName="Main",
        interactionSegmentId=draw(st.none() | st.just(str(uuid.uuid4()))),
    )
    if draw(st.booleans()):
        s.emit(ev.CustomAttributesSet, attributes=draw(st.dictionaries(st.sampled_from("abc"), st.sampled_from("xyz"))))
    if draw(st.booleans()):
        s.emit(ev.HookLinked, hookType="zendesk", hookSubType="ticket", hookId=str(draw(st.integers(1, 99))))
    lifecycle = draw(st.sampled_from(["ivr-abandon", "queue-abandon", "answered", "answered", "answered"]))
    if lifecycle == "queue-abandon":
        visit, queue_id = queue_visit(s, "ivr")
        if draw(st.booleans()):
            work(ev.WorkOffered, s, alloc := str(uuid.uuid4()), AGENTS[0], queue_id)
            work(ev.WorkMissed, s, alloc, AGENTS[0], queue_id)
        s.emit(ev.QueueExited, interactionQueueId=visit, reason="abandon")
    elif lifecycle == "answered":
        answered(s, channel)
    s.emit(ev.CustomerDisconnect)
    s.emit(ev.InteractionEnded, endType="customer-disconnect")
    events = s.events
    if draw(st.booleans()):  # in progress: only the first events have arrived so far
        events = events[: draw(st.integers(1, len(events)))]
    if len(events) > 2 and draw(st.integers(0, 4)) == 0:  # an event lost on the way
        del events[draw(st.integers(1, len(events) - 1))]
    return events
