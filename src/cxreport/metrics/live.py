"""What an interaction is doing now, from its events so far: the queue entries it waits in, the agents in
conversation with it, the agents in wrap-up on it. Pure; what realtime statistics count as "now".

- Waiting: from `queue-entered` until the entry's `queue-exited` (by `interactionQueueId`), or the end of the
  interaction (`interaction-ended`, `customer-disconnect`). A refused entry never waits.
- In conversation: an agent allocation (`interactionAgentId`) from `conversation-started` until
  `conversation-ended`, `agent-disconnect`, `wrapup-started`, `wrapup-ended` or a declined or missed offer.
- In wrap-up: from `wrapup-started` until `wrapup-ended`.
Events are taken in derivation's canonical order (`timeline.py`: time, lifecycle type order, eventId). An
interaction whose events stopped without an end stays "in progress" here; realtime statistics leave it out after
the staleness limit.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import NamedTuple, cast

from cxreport.metrics import events as ev
from cxreport.metrics.timeline import Timed

WAITING, CONVERSATION, WRAP_UP = "waiting", "conversation", "wrap-up"


class LiveActivity(NamedTuple):
    kind: str
    """`waiting`, `conversation` or `wrap-up`."""
    queue_id: str | None
    agent_id: str | None
    since_us: int


_ENDS_CONVERSATION = frozenset({ev.ConversationEnded, ev.AgentDisconnect, ev.WrapupStarted, ev.WrapupEnded})
_ENDS_INTERACTION = frozenset({ev.InteractionEnded, ev.CustomerDisconnect})
_OFFERS = frozenset({ev.WorkOffered, ev.WorkAccepted})
_DECLINES = frozenset({ev.WorkRejected, ev.WorkMissed})
_RELEVANT = frozenset({ev.QueueEntered, ev.QueueExited, ev.ConversationStarted}) | _ENDS_CONVERSATION | \
    _ENDS_INTERACTION | _OFFERS | _DECLINES
"""The events that change what is in progress (compared by exact class: `isinstance` on a Struct is slow)."""


def live_activities(ordered: Sequence[Timed]) -> tuple[tuple[LiveActivity, ...], int | None]:
    """An interaction's events in canonical order → what is in progress after the last of them, and the last
    event's time."""
    if not ordered:
        return (), None
    waiting: dict[str, LiveActivity] = {}
    talking: dict[str, LiveActivity] = {}
    wrapping: dict[str, LiveActivity] = {}
    allocations: dict[str, tuple[str, str | None]] = {}
    for time_us, _rank, _event_id, event in ordered:
        kind = type(event)
        if kind not in _RELEVANT:
            continue
        if kind is ev.QueueEntered:
            entered = cast(ev.QueueEntered, event)
            waiting[entered.interactionQueueId] = LiveActivity(WAITING, entered.queueId, None, time_us)
        elif kind is ev.QueueExited:
            waiting.pop(cast(ev.QueueExited, event).interactionQueueId, None)
        elif kind in _ENDS_INTERACTION:
            waiting.clear()
        elif kind in _OFFERS:
            work = cast(ev.WorkOffered, event)
            allocations[work.interactionAgentId] = (work.agentId, work.queueId)
        elif kind in _DECLINES:
            talking.pop(cast(ev.WorkRejected, event).interactionAgentId, None)
        elif kind is ev.ConversationStarted:
            step = cast(ev.ConversationStarted, event)
            agent_id, queue_id = allocations.get(step.interactionAgentId, (None, None))
            talking[step.interactionAgentId] = LiveActivity(CONVERSATION, queue_id, agent_id, time_us)
        else:  # one that ends a conversation
            allocation = cast(ev.ConversationEnded, event).interactionAgentId
            talking.pop(allocation, None)
            if kind is ev.WrapupStarted:
                agent_id, queue_id = allocations.get(allocation, (None, None))
                wrapping[allocation] = LiveActivity(WRAP_UP, queue_id, agent_id, time_us)
            elif kind is ev.WrapupEnded:
                wrapping.pop(allocation, None)
    return (*waiting.values(), *talking.values(), *wrapping.values()), ordered[-1][0]
