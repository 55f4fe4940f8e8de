"""Voice calls and agent-state events as event dicts at chosen instants: what realtime tests post."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from typing import Any

from cxreport.times import format_instant

SECOND = 1_000_000


@dataclass
class Call:
    """One inbound call's events, step by step; each step stamps its events at the instant given (µs)."""

    queue_id: str = "q-sales"
    interaction_id: str = field(default_factory=lambda: str(uuid.uuid4()))
    events: list[dict[str, Any]] = field(default_factory=list)
    _visit: str = field(default_factory=lambda: str(uuid.uuid4()))
    _alloc: str = field(default_factory=lambda: str(uuid.uuid4()))
    _agent: tuple[str, str] = ("ag-ana", "Ana")

    def _emit(self, kind: str, at_us: int, **fields: Any) -> dict[str, Any]:
        event = {"type": kind, "eventId": f"{self.interaction_id[:8]}-{len(self.events) + 1}",
                 "interactionId": self.interaction_id, "timestamp": format_instant(at_us), **fields}
        self.events.append(event)
        return event

    def start(self, at_us: int) -> list[dict[str, Any]]:
        """The call arrives and enters its queue one second later."""
        return [
            self._emit("interaction-started", at_us, channelType="voice", direction="inbound", customer="+15550100",
                       contactPoint="+15550199", flowId="flow-1", flowName="Main"),
            self._emit("queue-entered", at_us + SECOND, interactionQueueId=self._visit, queueId=self.queue_id,
                       queueName=self.queue_id.upper(), entryType="ivr", queueLength=1),
        ]

    def answer(self, at_us: int, agent: tuple[str, str] = ("ag-ana", "Ana")) -> list[dict[str, Any]]:
        """Offered, accepted, out of the queue and in conversation at once."""
        self._agent = agent
        work = {"interactionAgentId": self._alloc, "agentId": agent[0], "agentName": agent[1],
                "sessionId": f"s-{agent[0]}", "queueId": self.queue_id, "interactionQueueId": self._visit}
        return [
            self._emit("work-offered", at_us, **work),
            self._emit("work-accepted", at_us, **work),
            self._emit("queue-exited", at_us, interactionQueueId=self._visit, reason="success"),
            self._emit("conversation-started", at_us, interactionAgentId=self._alloc),
        ]

    def hang_up(self, at_us: int) -> list[dict[str, Any]]:
        """The conversation ends, the agent wraps up; the call is over."""
        return [
            self._emit("conversation-ended", at_us, interactionAgentId=self._alloc),
            self._emit("customer-disconnect", at_us),
            self._emit("wrapup-started", at_us, interactionAgentId=self._alloc),
            self._emit("interaction-ended", at_us, endType="customer-disconnect"),
        ]

    def wrap_up_done(self, at_us: int) -> list[dict[str, Any]]:
        return [self._emit("wrapup-ended", at_us, interactionAgentId=self._alloc)]

    def abandon(self, at_us: int) -> list[dict[str, Any]]:
        return [
            self._emit("queue-exited", at_us, interactionQueueId=self._visit, reason="abandon"),
            self._emit("customer-disconnect", at_us),
            self._emit("interaction-ended", at_us, endType="customer-disconnect"),
        ]


def agent_event(agent_id: str, kind: str, at_us: int, state: str | None = None,
                reason: str | None = None) -> dict[str, Any]:
    event: dict[str, Any] = {"type": kind, "eventId": str(uuid.uuid4()), "agentId": agent_id,
                             "timestamp": format_instant(at_us)}
    if state is not None:
        event["state"] = state
    if reason is not None:
        event["reasonCode"] = reason
    return event
