"""The queue_log verbs about calls → cxreport interaction events (`docs/importers.md` has the table).

Durations come from the data fields: a queue exit is placed at entry + the reported wait, a conversation's
start at entry + holdtime and its end at that + calltime. Each line about a stay also states the stay's entry
and the interaction's start (and a line closing an answered stay, its answer), so that a file holding only the
end of a call (a rotated log) still gives whole queue entries; ENTERQUEUE's and CONNECT's own statements win
where they say more (see `asterisk_events`).
"""

from __future__ import annotations

from collections.abc import Callable

from cxreport.importers.asterisk_events import Call, Ids, stamp, stamp_us
from cxreport.importers.queue_log import BadLine, QueueLogLine

_NONE = ("", "NONE")


def _call(line: QueueLogLine, ids: Ids, *, queue: bool = True) -> Call:
    if line.callid in _NONE:
        raise BadLine(f"{line.verb}: the call id (field 2) is missing")
    if queue and line.queue in _NONE:
        raise BadLine(f"{line.verb}: the queue (field 3) is missing")
    return Call(ids, line.callid)


class Stay:
    """One stay of a call in a queue, as one line sees it: the call, the queue and the entry second."""

    def __init__(self, line: QueueLogLine, ids: Ids, entry: int) -> None:
        if entry < 0:
            raise BadLine(f"{line.verb}: the durations it reports put the queue entry before 1970")
        self.line, self.ids, self.entry = line, ids, entry
        self.call = _call(line, ids)
        self.queue_id = ids.of("queue", line.queue)
        self.entry_id = ids.of("queue-entry", line.callid, line.queue, str(entry))
        self.key = (line.callid, line.queue, str(entry))

    def event_id(self, priority: str, kind: str, verb: str | None = None) -> str:
        return self.ids.event(priority, self.entry_id, verb or self.line.verb, kind)

    def enter(self, priority: str, customer: str, length: int, verb: str | None = None) -> None:
        """The interaction's start and the queue entry, at the entry second."""
        at = stamp(self.entry)
        self.call.add(
            "interaction-started", self.event_id(priority, "interaction-started", verb), at,
            channelType="voice", direction="inbound", customer=customer, contactPoint=self.line.queue,
            flowId=self.ids.of("flow", self.line.queue), flowName=self.line.queue,
        )
        self.call.add(
            "queue-entered", self.event_id(priority, "queue-entered", verb), at, interactionQueueId=self.entry_id,
            queueId=self.queue_id, queueName=self.line.queue, entryType="ivr", queueLength=max(length, 1),
        )

    def answer(self, priority: str, answered: int, ring: int) -> str:
        """The answer by the line's member `ring` seconds after the offer; returns the allocation's id."""
        line, ids = self.line, self.ids
        if line.agent in _NONE:
            raise BadLine(f"{line.verb}: the member (field 4) is missing")
        allocation = ids.of("allocation", *self.key, line.agent)
        work = {
            "interactionAgentId": allocation, "agentId": ids.of("agent", line.agent), "agentName": line.agent,
            "sessionId": session_id(ids, line.agent, answered), "queueId": self.queue_id,
            "interactionQueueId": self.entry_id,
        }
        at = stamp(answered)
        self.call.add("work-offered", self.event_id(priority, "work-offered"), stamp(max(answered - ring, 0)), **work)
        self.call.add("work-accepted", self.event_id(priority, "work-accepted"), at, **work)
        self.call.add("queue-exited", self.event_id(priority, "queue-exited"), at, interactionQueueId=self.entry_id,
                      reason="success")
        self.call.add("conversation-started", self.event_id(priority, "conversation-started"), at,
                      interactionAgentId=allocation)
        return allocation


def session_id(ids: Ids, agent: str, epoch: int) -> str:
    """queue_log names no login session: one per member and UTC day."""
    return ids.of("session", agent, str(epoch // 86_400))


def enterqueue(line: QueueLogLine, ids: Ids) -> list[bytes]:
    stay = Stay(line, ids, line.epoch)
    stay.enter("a", line.text(2), line.number(3, "origposition", default=1))
    if line.text(4):
        stay.call.add("custom-attributes-set", stay.event_id("a", "custom-attributes-set"), stamp(line.epoch),
                      attributes={"callerIdName": line.text(4)})
    return stay.call.events


def connect(line: QueueLogLine, ids: Ids) -> list[bytes]:
    hold = line.number(1, "holdtime")
    stay = Stay(line, ids, line.epoch - hold)
    stay.enter("b", "", 1)
    stay.answer("a", line.epoch, line.number(3, "ringtime", default=0))
    return stay.call.events


def _ended_conversation(line: QueueLogLine, ids: Ids, hold: int, talk: int, position: int) -> tuple[Stay, str]:
    stay = Stay(line, ids, line.epoch - talk - hold)
    stay.enter("b", "", position)
    allocation = stay.answer("b", stay.entry + hold, 0)
    at = stamp(line.epoch)
    stay.call.add("conversation-ended", stay.event_id("a", "conversation-ended"), at, interactionAgentId=allocation)
    stay.call.add("agent-disconnect", stay.event_id("a", "agent-disconnect"), at, interactionAgentId=allocation)
    return stay, allocation


def complete(line: QueueLogLine, ids: Ids) -> list[bytes]:
    hold, talk = line.number(1, "holdtime"), line.number(2, "calltime")
    stay, _allocation = _ended_conversation(line, ids, hold, talk, line.number(3, "origposition", default=1))
    at = stamp(line.epoch)
    by_caller = line.verb == "COMPLETECALLER"
    if by_caller:
        stay.call.add("customer-disconnect", stay.event_id("a", "customer-disconnect"), at)
    end_type = "customer-disconnect" if by_caller else "agent-disconnect"
    stay.call.add("interaction-ended", stay.event_id("a", "interaction-ended"), at, endType=end_type)
    return stay.call.events


def transfer(line: QueueLogLine, ids: Ids) -> list[bytes]:
    """TRANSFER (Asterisk ≤ 11), BLINDTRANSFER and ATTENDEDTRANSFER (12+): the conversation ends and a transfer
    starts; an attended transfer is complete when it is logged (the caller talks with the target)."""
    verb, method = line.verb, line.text(1)
    if verb != "ATTENDEDTRANSFER":
        target, first = f"{line.text(1)}@{line.text(2)}", 3
    elif method == "LINK":
        target, first = f"{line.text(2)} {line.text(3)}", 4
    elif method in ("BRIDGE", "APP"):
        target, first = f"{method.lower()} {line.text(2)}", 3
    else:
        raise BadLine(f"ATTENDEDTRANSFER: data1 must be BRIDGE, APP or LINK, not {method!r}")
    hold, talk = line.number(first, "holdtime"), line.number(first + 1, "calltime")
    stay, allocation = _ended_conversation(line, ids, hold, talk, line.number(first + 2, "origposition", default=1))
    at = stamp(line.epoch)
    segment = ids.of("transfer", *stay.key, line.agent)
    stay.call.add("transfer-started", stay.event_id("a", "transfer-started"), at, interactionSegmentId=segment,
                  interactionAgentId=allocation, transferType="external", transferTo=target)
    if verb == "ATTENDEDTRANSFER":
        stay.call.add("transfer-connected", stay.event_id("a", "transfer-connected"), at,
                      interactionSegmentId=segment)
    return stay.call.events


_EXITS = {  # verb → (queue-exited reason, data index of the wait, of the original position)
    "ABANDON": ("abandon", 3, 2),
    "EXITWITHTIMEOUT": ("timeout", 3, 2),
    "EXITWITHKEY": ("exit-with-key", 4, 3),
    "EXITEMPTY": ("leave-empty", 3, 2),
    "WITHDRAW": ("flow", 3, 2),
}


def exit_queue(line: QueueLogLine, ids: Ids) -> list[bytes]:
    reason, wait_at, position_at = _EXITS[line.verb]
    stay = Stay(line, ids, line.epoch - line.number(wait_at, "waittime"))
    stay.enter("b", "", line.number(position_at, "origposition", default=1))
    at = stamp(line.epoch)
    stay.call.add("queue-exited", stay.event_id("a", "queue-exited"), at, interactionQueueId=stay.entry_id,
                  reason=reason)
    if reason == "abandon":
        stay.call.add("customer-disconnect", stay.event_id("a", "customer-disconnect"), at)
        stay.call.add("interaction-ended", stay.event_id("a", "interaction-ended"), at, endType="customer-disconnect")
    return stay.call.events


_REFUSALS = {
    "FULL": "full", "JOINEMPTY": "join-empty", "CLOSED": "closed",
    "DIVERT_CA_RATIO": "divert-caller-agent-ratio", "DIVERT_HOLDTIME": "divert-wait-time",
}


def refuse(line: QueueLogLine, ids: Ids) -> list[bytes]:
    """Wazo's refusals at the queue's door: the call never waited there (a queue entry of no time)."""
    call = _call(line, ids)
    at, key = stamp(line.epoch), (line.callid, line.queue, str(line.epoch), line.verb)
    entry_id = ids.of("queue-entry", *key)
    call.add("interaction-started", ids.event("b", entry_id, "interaction-started"), at, channelType="voice",
             direction="inbound", customer="", contactPoint=line.queue, flowId=ids.of("flow", line.queue),
             flowName=line.queue)
    call.add("queue-refused", ids.event("a", entry_id, "queue-refused"), at,
             interactionQueueId=entry_id, queueId=ids.of("queue", line.queue),
             queueName=line.queue, reason=_REFUSALS[line.verb])
    return call.events


def offer_declined(line: QueueLogLine, ids: Ids) -> list[bytes]:
    """An offer that came to nothing: RINGNOANSWER (rang `data1` ms unanswered), AGENTDUMP (the member hung up
    during the announcement: rejected), SYSCOMPAT (answered but the channels could not be bridged: missed)."""
    call = _call(line, ids)
    if line.agent in _NONE:
        raise BadLine(f"{line.verb}: the member (field 4) is missing")
    ring_ms = line.number(1, "ringtime in ms") if line.verb == "RINGNOANSWER" else 0
    offered_us = max(line.epoch * 1_000_000 - ring_ms * 1000, 0)
    key = (line.callid, line.queue, line.agent, str(offered_us), line.verb)
    allocation = ids.of("allocation", *key)
    work = {
        "interactionAgentId": allocation, "agentId": ids.of("agent", line.agent), "agentName": line.agent,
        "sessionId": session_id(ids, line.agent, line.epoch), "queueId": ids.of("queue", line.queue),
    }
    declined = "work-rejected" if line.verb == "AGENTDUMP" else "work-missed"
    call.add("work-offered", ids.event("a", allocation, "work-offered"), stamp_us(offered_us), **work)
    call.add(declined, ids.event("a", allocation, declined), stamp(line.epoch), **work)
    return call.events


def hold(line: QueueLogLine, ids: Ids) -> list[bytes]:
    """QueueMetrics' CALLERONHOLD / CALLEROFFHOLD."""
    call = _call(line, ids, queue=False)
    kind = "customer-hold" if line.verb == "CALLERONHOLD" else "customer-resume"
    call.add(kind, ids.event("a", call.interaction_id, str(line.epoch), kind, line.queue), stamp(line.epoch))
    return call.events


def attributes(line: QueueLogLine, ids: Ids) -> list[bytes]:
    """FreePBX's DID (the number dialled) and INFO (no standard meaning: kept as text)."""
    call = _call(line, ids, queue=False)
    name, value = ("did", line.text(1)) if line.verb == "DID" else ("info", "|".join(line.data))
    event_id = ids.event("a", call.interaction_id, str(line.epoch), line.verb, line.queue, value)
    call.add("custom-attributes-set", event_id, stamp(line.epoch), attributes={name: value})
    return call.events


CALL_VERBS: dict[str, Callable[[QueueLogLine, Ids], list[bytes]]] = {
    "ENTERQUEUE": enterqueue,
    "CONNECT": connect,
    "COMPLETEAGENT": complete,
    "COMPLETECALLER": complete,
    "TRANSFER": transfer,
    "BLINDTRANSFER": transfer,
    "ATTENDEDTRANSFER": transfer,
    **dict.fromkeys(_EXITS, exit_queue),
    **dict.fromkeys(_REFUSALS, refuse),
    "RINGNOANSWER": offer_declined,
    "AGENTDUMP": offer_declined,
    "SYSCOMPAT": offer_declined,
    "CALLERONHOLD": hold,
    "CALLEROFFHOLD": hold,
    "DID": attributes,
    "INFO": attributes,
}
