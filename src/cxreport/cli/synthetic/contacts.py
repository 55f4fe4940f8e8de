"""One contact at a time: what happens to it (drawn from one seeded `random.Random`) and the events that say so.

Per contact, in the order the draws are made: the channel, direction, queue, start, ids, customer, contact id
and whether one of its events is lost; then the outcome: a hang-up in the IVR (voice inbound), an abandon in
queue, still talking to an agent when the window ends, or answered (with holds and up to two transfers). All
times are integer milliseconds; the events carry them as `YYYY-MM-DDTHH:MM:SS.mmmZ`.
"""

from __future__ import annotations

import bisect
import random
from dataclasses import dataclass, replace
from typing import Literal

from cxreport.cli.synthetic.arrivals import StartSampler
from cxreport.cli.synthetic.catalogue import (
    AGENTS,
    CHANNEL_MIX,
    CHANNELS,
    CONTACT_POINTS,
    EMAIL_DOMAINS,
    FIRST_NAMES,
    HOLD,
    IVR_MENU,
    IVR_PATIENCE,
    LAST_NAMES,
    OUTBOUND_CALLER_ID,
    OUTBOUND_FLOW,
    QUANTILES,
    QUEUE_PATIENCE,
    QUEUES,
    TRANSFER_WAIT,
    Agent,
    Channel,
    Mix,
    Quantiles,
    Queue,
    catalogue,
)
from cxreport.cli.synthetic.formats import EASTERN_OFFSET_MS, MS_PER_DAY, session_id, uuid4
from cxreport.cli.synthetic.stream import Stream
from cxreport.metrics import events as ev
from cxreport.metrics.events import Direction

_EndType = Literal["customer-disconnect", "agent-disconnect"]

_LOST_EVENT_SHARE = 0.015  # the platform lost one event: the record is flagged
_CONTACT_ID_SHARE = 0.5
_TRANSFER_SHARE = 0.08
_SECOND_TRANSFER_SHARE = 0.15  # of transferred contacts
_QUEUE_TRANSFER_SHARE = 0.6  # the rest go straight to another agent


@dataclass(slots=True)
class _Context:
    """What is decided about a contact before its outcome."""

    channel: Channel
    direction: Direction
    flow: str
    queue: Queue
    start_ms: int
    interaction_id: str
    segment_id: str
    contact_point: str
    customer: str
    contact_id: str | None
    loses_event: bool


@dataclass(slots=True)
class _Leg:
    """One agent's part of an answered contact: times in epoch ms, durations in ms.

    Its segment starts at ``seg_start``; the customer enters the queue at ``arrive``
    (a direct transfer: the agent is offered the work then) and waits until the agent
    accepts at ``accept``; the conversation runs from ``talk_start`` (after bridging)
    to ``conv_end`` (talk plus holds) and the agent then wraps up.
    """

    queue: Queue
    agent: Agent
    via_queue: bool
    segment_id: str
    queue_entry_id: str
    agent_entry_id: str
    seg_start: int
    arrive: int
    accept: int
    talk_start: int
    conv_end: int
    offer: int
    read: int  # email: from the acceptance to the first reply
    talk: int
    wrap: int
    entries: int  # queueLength at entry


class Generator:
    """Makes one contact's events at a time from a single seeded `random.Random`."""

    def __init__(self, seed: int, tenant_id: str, start_ms: int, end_ms: int, *, queues: int = QUEUES,
                 agents: int = AGENTS) -> None:
        rng = random.Random(seed)  # noqa: S311 - made-up data, not secrets
        self._random = rng.random
        self._bits = rng.getrandbits
        self._tenant_id = tenant_id
        self._start_ms = start_ms
        self._end_ms = end_ms
        self._sampler = StartSampler(start_ms, end_ms)
        self._catalogue = catalogue(queues, agents)

    # -- small draws -------------------------------------------------------
    def _uuid(self) -> str:
        return uuid4(self._bits(128))

    def _between(self, low: int, high: int) -> int:
        return low + int(self._random() * (high - low + 1))

    def _duration(self, quantiles: Quantiles) -> int:
        """Inverse-CDF draw: interpolate between the quantiles around a uniform draw."""
        x = self._random() * (QUANTILES - 1)
        i = int(x)
        low = quantiles[i]
        return int(low + (quantiles[i + 1] - low) * (x - i))

    def _pick(self, mix: Mix) -> str:
        names, cumulative = mix
        return names[min(bisect.bisect_right(cumulative, self._random()), len(names) - 1)]

    def _customer(self, channel: str) -> str:
        if channel in ("voice", "sms"):
            return f"+1555{int(self._random() * 10_000_000):07d}"
        first = FIRST_NAMES[int(self._random() * len(FIRST_NAMES))]
        last = LAST_NAMES[int(self._random() * len(LAST_NAMES))]
        number = int(self._random() * 100)
        if channel == "chat":
            return f"{first}_{last[0]}{number}"
        domain = EMAIL_DOMAINS[int(self._random() * len(EMAIL_DOMAINS))]
        return f"{first}.{last}{number}@{domain}"

    # -- one contact -------------------------------------------------------
    def contact(self) -> Stream:
        """The next contact's events."""
        context = self._context()
        stream = Stream(context.interaction_id)
        self._outcome(context, stream)
        return stream

    def _context(self) -> _Context:
        channel = CHANNELS[self._pick(CHANNEL_MIX)]
        outbound = self._random() < channel.outbound
        queue = self._queue_of(self._pick(channel.queues))
        if outbound:
            flow, contact_point = OUTBOUND_FLOW, OUTBOUND_CALLER_ID
        else:
            flow, contact_point = channel.flow, CONTACT_POINTS[channel.name][queue.index % QUEUES]
        return _Context(
            channel=channel,
            direction="outbound" if outbound else "inbound",
            flow=flow,
            queue=queue,
            start_ms=self._sampler.sample(self._random()),
            interaction_id=self._uuid(),
            segment_id="",  # drawn with the outcome
            contact_point=contact_point,
            customer=self._customer(channel.name),
            contact_id=self._uuid() if self._random() < _CONTACT_ID_SHARE else None,
            loses_event=self._random() < _LOST_EVENT_SHARE,
        )

    def _queue_of(self, kind: str) -> Queue:
        """One queue of the kind: the default catalogue has one of each (and no draw is made for it)."""
        queues = self._catalogue.kinds[kind]
        return queues[int(self._random() * len(queues))] if len(queues) > 1 else queues[0]

    def _outcome(self, context: _Context, stream: Stream) -> None:
        """Decide how the contact went and write its events."""
        channel = context.channel
        u = self._random()
        if context.direction == "inbound":  # agents place outbound calls: no IVR, no abandons
            if u < channel.ivr_abandon:
                return self._ivr_abandon(context, stream)
            if u < channel.ivr_abandon + channel.queue_abandon:
                return self._queue_abandon(context, stream)
        if u >= 1.0 - channel.in_progress and self._in_progress(context, stream):
            return None
        return self._answered(context, stream)

    def _started(self, context: _Context, stream: Stream) -> None:
        s = stream
        s.add(
            ev.InteractionStarted(
                **s.head(context.start_ms),
                channelType=context.channel.name,
                direction=context.direction,
                customer=context.customer,
                contactPoint=context.contact_point,
                flowId=self._catalogue.flow_ids[context.flow],
                flowName=context.flow,
                contactId=context.contact_id,
                tenantId=self._tenant_id,
                interactionSegmentId=context.segment_id,
            ),
            context.start_ms,
        )

    def _left(self, stream: Stream, left_ms: int, end_type: _EndType = "customer-disconnect") -> None:
        """The customer leaves at `left_ms` (not for email: the agent closes it); the interaction ends soon after."""
        s = stream
        if end_type == "customer-disconnect":
            s.add(ev.CustomerDisconnect(**s.head(left_ms)), left_ms)
        end_ms = left_ms + self._between(2, 90)
        s.add(ev.InteractionEnded(**s.head(end_ms), endType=end_type), end_ms)

    # -- outcomes ----------------------------------------------------------
    def _ivr_ms(self, context: _Context) -> int:
        if context.channel.name == "voice" and context.direction == "inbound":
            return self._duration(IVR_MENU)
        return self._between(50, 600)  # flow routing only

    def _ivr_abandon(self, context: _Context, stream: Stream) -> None:
        """Hung up in the IVR, before any queue (no event is lost here: none would leave a trace)."""
        in_ivr = self._duration(IVR_PATIENCE)
        context.segment_id = self._uuid()
        self._started(context, stream)
        self._left(stream, context.start_ms + in_ivr)

    def _queue_abandon(self, context: _Context, stream: Stream) -> None:
        """Hung up while waiting in queue; a lost event is the queue-exited (taken from the disconnect)."""
        ivr_ms = self._ivr_ms(context)
        waited = self._duration(QUEUE_PATIENCE)
        entry = context.start_ms + ivr_ms
        left = entry + waited
        context.segment_id = self._uuid()
        entry_id = self._uuid()
        self._started(context, stream)
        s = stream
        queue = context.queue
        s.add(
            ev.QueueEntered(
                **s.head(entry), interactionQueueId=entry_id, queueId=queue.queue_id, queueName=queue.name,
                entryType="ivr", queueLength=self._entries(waited), platformQueueId=queue.platform_id,
            ),
            entry,
        )
        if not context.loses_event:
            s.add(ev.QueueExited(**s.head(left), interactionQueueId=entry_id, reason="abandon"), left)
        self._left(stream, left)

    def _answered(self, context: _Context, stream: Stream) -> None:
        ivr_ms = self._ivr_ms(context)
        holds = self._holds(context.channel)
        legs = self._legs(context, context.start_ms + ivr_ms, sum(holds))
        context.segment_id = legs[0].segment_id
        self._started(context, stream)
        for number, leg in enumerate(legs):
            if number:
                self._transfer(stream, legs[number - 1], leg)
            self._work(context, stream, leg, first=number == 0)
            if number == 0:
                self._holds_of(stream, leg, holds)
            lost = context.loses_event and number == 0  # the first conversation-ended (closed at the wrap-up)
            self._finish(stream, leg, conversation_ended=not lost)
        self._left(stream, legs[-1].conv_end, "agent-disconnect" if context.channel.name == "email" else
                   "customer-disconnect")

    def _in_progress(self, context: _Context, stream: Stream) -> bool:
        """Talking to an agent when the window ends; False (nothing written) if it would start before the window."""
        ivr_ms = self._ivr_ms(context)
        leg = self._leg(context.channel, context.queue, None, via_queue=True, hold=0,
                        seg_start=0, arrive=ivr_ms)  # times from the start; moved below
        start = self._end_ms - leg.talk_start - (1 + int(self._random() * leg.talk))
        if start < self._start_ms:
            return False
        leg = replace(leg, seg_start=start, arrive=start + ivr_ms, accept=start + leg.accept,
                      talk_start=start + leg.talk_start, conv_end=start + leg.conv_end)
        context.start_ms, context.segment_id = start, leg.segment_id
        self._started(context, stream)
        self._work(context, stream, leg, first=True, queue_exited=not context.loses_event)
        return True

    # -- an answered contact's events ----------------------------------------
    def _work(self, context: _Context, stream: Stream, leg: _Leg, *, first: bool, queue_exited: bool = True) -> None:
        """The leg's queue entry (unless a direct transfer), the offer, its acceptance and the conversation's start
        with the first reply (email after reading; sms and chat at once; voice answers by talking)."""
        s = stream
        queue, agent = leg.queue, leg.agent
        if leg.via_queue:
            s.add(
                ev.QueueEntered(
                    **s.head(leg.arrive), interactionQueueId=leg.queue_entry_id, queueId=queue.queue_id,
                    queueName=queue.name, entryType="ivr" if first else "transfer", queueLength=leg.entries,
                    platformQueueId=queue.platform_id,
                ),
                leg.arrive,
            )
        offered = leg.accept - leg.offer
        session = session_id(agent.agent_id, (offered + EASTERN_OFFSET_MS) // MS_PER_DAY)
        routed_by = leg.queue_entry_id if leg.via_queue else None
        for kind, at in ((ev.WorkOffered, offered), (ev.WorkAccepted, leg.accept)):
            s.add(
                kind(
                    **s.head(at), interactionAgentId=leg.agent_entry_id, agentId=agent.agent_id,
                    agentName=agent.name, sessionId=session, platformAgentId=agent.platform_id,
                    tenantAgentId=agent.tenant_agent_id, queueId=queue.queue_id, interactionQueueId=routed_by,
                ),
                at,
            )
        if leg.via_queue and queue_exited:
            s.add(ev.QueueExited(**s.head(leg.accept), interactionQueueId=leg.queue_entry_id, reason="success"),
                  leg.accept)
        if not first:
            s.add(
                ev.TransferConnected(
                    **s.head(leg.accept), interactionSegmentId=leg.segment_id,
                    interactionAgentId=leg.agent_entry_id, agentId=agent.agent_id,
                ),
                leg.accept,
            )
        s.add(ev.ConversationStarted(**s.head(leg.talk_start), interactionAgentId=leg.agent_entry_id), leg.talk_start)
        if context.channel.name != "voice":
            replied = leg.talk_start + leg.read
            s.add(ev.AgentReplied(**s.head(replied), interactionAgentId=leg.agent_entry_id), replied)

    def _holds_of(self, stream: Stream, leg: _Leg, holds: list[int]) -> None:
        """The holds, spread evenly over the talk of the leg's conversation."""
        s = stream
        at = leg.talk_start
        for number, hold in enumerate(holds):
            at += leg.talk * (number + 1) // (len(holds) + 1) - leg.talk * number // (len(holds) + 1)
            s.add(ev.CustomerHold(**s.head(at), interactionAgentId=leg.agent_entry_id), at)
            at += hold
            s.add(ev.CustomerResume(**s.head(at), interactionAgentId=leg.agent_entry_id), at)

    def _finish(self, stream: Stream, leg: _Leg, *, conversation_ended: bool) -> None:
        """The conversation ends at ``conv_end``, and the agent wraps up."""
        s = stream
        agent_entry = leg.agent_entry_id
        if conversation_ended:
            s.add(ev.ConversationEnded(**s.head(leg.conv_end), interactionAgentId=agent_entry), leg.conv_end)
        s.add(ev.WrapupStarted(**s.head(leg.conv_end), interactionAgentId=agent_entry), leg.conv_end)
        released = leg.conv_end + leg.wrap
        s.add(ev.WrapupEnded(**s.head(released), interactionAgentId=agent_entry), released)

    def _transfer(self, stream: Stream, source: _Leg, leg: _Leg) -> None:
        """`source`'s agent hands the customer over, to `leg`'s queue or straight to `leg`'s agent."""
        s = stream
        s.add(
            ev.TransferStarted(
                **s.head(leg.seg_start), interactionSegmentId=leg.segment_id,
                interactionAgentId=source.agent_entry_id, transferType="queue" if leg.via_queue else "agent",
                transferToQueueId=leg.queue.queue_id if leg.via_queue else None,
                transferToAgentId=None if leg.via_queue else leg.agent.agent_id,
            ),
            leg.seg_start,
        )

    # -- answered contacts -------------------------------------------------
    def _holds(self, channel: Channel) -> list[int]:
        if self._random() >= channel.holds:
            return []
        u = self._random()
        count = 1 + (u < 0.30) + (u < 0.08)  # 1 hold 70 %, 2 holds 22 %, 3 holds 8 %
        return [self._duration(HOLD) for _ in range(count)]

    def _entries(self, wait_ms: int) -> int:
        """queueLength at entry: 1 and more, more the longer the wait."""
        return 1 + int(self._random() * wait_ms / 120_000)

    def _legs(self, context: _Context, arrive: int, hold_ms: int) -> list[_Leg]:
        """The first agent (holds happen there), then any transfers."""
        channel = context.channel
        legs = [self._leg(channel, context.queue, None, via_queue=True, hold=hold_ms,
                          seg_start=context.start_ms, arrive=arrive)]
        transfers = 0
        if self._random() < _TRANSFER_SHARE:
            transfers = 2 if self._random() < _SECOND_TRANSFER_SHARE else 1
        for _ in range(transfers):
            prev = legs[-1]
            via_queue = self._random() < _QUEUE_TRANSFER_SHARE
            queue = self._other_queue(prev.queue) if via_queue else prev.queue
            arrive = prev.conv_end + self._between(100, 600)
            legs.append(self._leg(channel, queue, prev.agent, via_queue=via_queue, hold=0,
                                  seg_start=prev.conv_end, arrive=arrive))
        return legs

    def _leg(self, channel: Channel, queue: Queue, previous: Agent | None, *,
             via_queue: bool, hold: int, seg_start: int, arrive: int) -> _Leg:
        """Draw one agent leg: the first one when `previous` is None, else a transfer from it."""
        offer = self._duration(channel.offer)
        wait = offer  # a direct transfer waits only for the agent to accept
        if via_queue:
            wait = max(offer, self._duration(channel.wait if previous is None else TRANSFER_WAIT))
        talk = self._duration(channel.talk)
        wrap = self._duration(channel.wrap)
        talk_start = arrive + wait + self._between(*channel.connect_ms)
        return _Leg(
            queue=queue,
            agent=self._agent_for(queue, previous),
            via_queue=via_queue,
            segment_id=self._uuid(),
            queue_entry_id=self._uuid() if via_queue else "",
            agent_entry_id=self._uuid(),
            seg_start=seg_start,
            arrive=arrive,
            accept=arrive + wait,
            talk_start=talk_start,
            conv_end=talk_start + talk + hold,
            offer=offer,
            read=int(talk * (0.4 + 0.5 * self._random())) if channel.reads else 0,
            talk=talk,
            wrap=wrap,
            entries=self._entries(wait) if via_queue else 1,
        )

    def _agent_for(self, queue: Queue, previous: Agent | None) -> Agent:
        staff = self._catalogue.staff[queue.name]
        i = int(self._random() * len(staff))
        if staff[i] is previous:
            i = (i + 1) % len(staff)
        return staff[i]

    def _other_queue(self, queue: Queue) -> Queue:
        queues = self._catalogue.queues
        return queues[(queue.index + 1 + int(self._random() * (len(queues) - 1))) % len(queues)]
