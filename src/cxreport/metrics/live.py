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
from typing import NamedTuple

from cxreport.metrics import events as ev
from cxreport.metrics.timeline import Timed

WAITING, CONVERSATION, WRAP_UP = "waiting", "conversation", "wrap-up"


class LiveActivity(NamedTuple):
    kind: str
    """`waiting`, `conversation` or `wrap-up`."""
    queue_id: str | None
    agent_id: str | None
    since_us: int


_ENDS_CONVERSATION = (ev.ConversationEnded, ev.AgentDisconnect, ev.WrapupStarted, ev.WrapupEnded)


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
        if isinstance(event, ev.QueueEntered):
            waiting[event.interactionQueueId] = LiveActivity(WAITING, event.queueId, None, time_us)
        elif isinstance(event, ev.QueueExited):
            waiting.pop(event.interactionQueueId, None)
        elif isinstance(event, ev.InteractionEnded | ev.CustomerDisconnect):
            waiting.clear()
        elif isinstance(event, ev.WorkOffered | ev.WorkAccepted):
            allocations[event.interactionAgentId] = (event.agentId, event.queueId)
        elif isinstance(event, ev.WorkRejected | ev.WorkMissed):
            talking.pop(event.interactionAgentId, None)
        elif isinstance(event, ev.ConversationStarted):
            agent_id, queue_id = allocations.get(event.interactionAgentId, (None, None))
            talking[event.interactionAgentId] = LiveActivity(CONVERSATION, queue_id, agent_id, time_us)
        if isinstance(event, _ENDS_CONVERSATION):
            talking.pop(event.interactionAgentId, None)
            if isinstance(event, ev.WrapupStarted):
                agent_id, queue_id = allocations.get(event.interactionAgentId, (None, None))
                wrapping[event.interactionAgentId] = LiveActivity(WRAP_UP, queue_id, agent_id, time_us)
            elif isinstance(event, ev.WrapupEnded):
                wrapping.pop(event.interactionAgentId, None)
    return (*waiting.values(), *talking.values(), *wrapping.values()), ordered[-1][0]
