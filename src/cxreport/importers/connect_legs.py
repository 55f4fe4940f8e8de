"""One Amazon Connect contact record (one leg) → the cxreport events it states, made from that leg alone.

- The first leg (no PreviousContactId) starts the interaction: channel, direction, customer, contact point.
- `Attributes` → `custom-attributes-set` at the leg's start (a later leg's values win name by name), with
  `connect.channel`, `connect.initiationMethod` (first leg) and `connect.disconnectReason` (at the leg's end).
- A leg made by an agent's transfer (`TRANSFER`, PreviousContactId P) → `transfer-started` at its
  InitiationTimestamp, owned by P's allocation (to a queue when the leg was queued, else to an agent), then
  `transfer-connected` when its agent connects, or `transfer-cancelled` at its end when none did.
  `QUEUE_TRANSFER` (a flow moved the contact to another queue) → a queue entry by transfer; `CALLBACK` → a new
  queue entry; `MONITOR` → a supervisor `participant-added` … `participant-removed`.
- `Queue` → `queue-entered` (queueLength 0: a CTR does not tell) and `queue-exited` at DequeueTimestamp:
  `success` when an agent connected, `flow` when a next leg took the contact on (or the flow disconnected),
  `timeout` when the task expired, else `abandon` (queued, never connected to an agent).
- `Agent` → `work-offered` + `work-accepted` + `conversation-started` at ConnectedToAgentTimestamp (the offer's
  ring time is not in a CTR: flagged as estimated); `NumberOfHolds` holds totalling `CustomerHoldDuration`
  (one of `LongestHoldDuration`) spread evenly over the conversation (their times are estimated); the
  conversation ends at AfterContactWorkStartTimestamp (= connected + AgentInteractionDuration + hold), then
  wrap-up until AfterContactWorkEndTimestamp.
- `TransferredToEndpoint` + `TransferCompletedTimestamp` (no next leg) → an external transfer at that instant.
- Every leg but a supervisor's (MONITOR) ends the interaction at its DisconnectTimestamp, the end type from
  DisconnectReason (`customer-disconnect` too when the customer hung up); derivation applies the latest leg's
  end. A TRANSFER leg's transfer is `consultative`: derivation tells a transfer from a consult or a conference
  by which agent left first, which needs the previous leg (`metrics/consultative.py`).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache
from typing import Any

import msgspec

from cxreport.importers.base import SOURCE_NAMESPACE, ImportOptions
from cxreport.importers.connect_contact import AgentInfo, Contact
from cxreport.metrics.instants import format_us
from cxreport.times import TimeFormatError, parse_instant

_encode = msgspec.json.Encoder().encode
_US = 1_000_000
_US_PER_DAY = 86_400 * _US

CHANNELS = {"VOICE": "voice", "CHAT": "chat", "EMAIL": "email"}
"""Connect's channels with a cxreport equivalent; any other (TASK) is taken as email, flagged."""
DIRECTIONS = {
    "INBOUND": "inbound",
    "WEBRTC_API": "inbound",
    "OUTBOUND": "agent-initiated",
    "AGENT_REPLY": "agent-initiated",
    "EXTERNAL_OUTBOUND": "agent-initiated",
    "CALLBACK": "outbound",
    "API": "outbound",
    "FLOW": "outbound",
}
"""InitiationMethod of a first leg → direction (anything else: inbound)."""
END_TYPES = {
    "CUSTOMER_DISCONNECT": "customer-disconnect",
    "AGENT_DISCONNECT": "agent-disconnect",
    "CONTACT_FLOW_DISCONNECT": "flow-end",
    "THIRD_PARTY_DISCONNECT": "transfer-external",
    "EXPIRED": "timeout",
}
"""DisconnectReason → endType (TELECOM_PROBLEM, BARGED, API, OTHER, none: `system`)."""
ATTRIBUTE_NAME_MAX, ATTRIBUTE_VALUE_MAX = 200, 1000
CONSULT_TALK_MAX = 2 * 1_000_000
"""A consulted agent whose AgentInteractionDuration is at most this (µs) never spoke with the customer: a consult,
not a conference (AWS's threshold, identify-conferences-transfers)."""
HOLD_ESTIMATE = "a CTR has no hold times, only their number and durations: the holds are spread evenly"
OFFER_ESTIMATE = "a CTR has no offer time: offered when the agent connected"
TRANSFER_ESTIMATE = "a CTR has no start of an external transfer: taken at TransferCompletedTimestamp"
CHANNEL_ESTIMATE = "channel {} has no cxreport equivalent: taken as email"


class ContactError(ValueError):
    """The contact record cannot be translated (the message says why)."""


@dataclass(frozen=True, slots=True)
class Leg:
    contact_id: str
    version: int
    events: tuple[bytes, ...]


_NAMESPACE = SOURCE_NAMESPACE.bytes


_VARIANT = {c: "89ab"[int(c, 16) & 3] for c in "0123456789abcdef"}


def _uuid5(hashed: Any) -> str:
    h = hashed.hexdigest()
    return f"{h[:8]}-{h[8:12]}-5{h[13:16]}-{_VARIANT[h[16]]}{h[17:20]}-{h[20:32]}"


def fast_id(source: str, kind: str, *parts: str) -> str:
    """`base.source_id`'s UUIDv5, without building a uuid.UUID (tests check that both agree)."""
    name = "\x1f".join((source, kind, *parts)).encode()
    return _uuid5(hashlib.sha1(_NAMESPACE + name, usedforsecurity=False))


@lru_cache(maxsize=65_536)
def cached_id(source: str, kind: str, name: str) -> str:
    """`fast_id` for the ids that recur across records (queues, agents, agent sessions)."""
    return fast_id(source, kind, name)


def _instant(text: str | None, field: str) -> int | None:
    if text is None:
        return None
    if len(text) == 20 and text[19] == "Z":  # AWS's form, 2022-01-05T17:12:59Z: the C-speed path
        try:
            return int(datetime.fromisoformat(text).timestamp()) * _US
        except ValueError:
            pass
    try:
        return parse_instant(text)
    except TimeFormatError as error:
        raise ContactError(f"{field}: {error}") from None


def _seconds(value: float | None) -> int | None:
    return None if value is None else round(value * _US)


def _order(*named: tuple[str, int | None]) -> None:
    """Refuse impossible times: each named instant must not come before the one named before it."""
    previous: tuple[str, int] | None = None
    for name, us in named:
        if us is None:
            continue
        if previous is not None and us < previous[1]:
            raise ContactError(f"impossible times: {name} is before {previous[0]}")
        previous = (name, us)


class _Writer:
    """Builds one leg's events (each one JSON object as bytes) with the fields every event shares."""

    def __init__(self, options: ImportOptions, contact_id: str, interaction_id: str, version: int) -> None:
        self.source = options.source
        self.contact_id = contact_id
        self.interaction_id = interaction_id
        self.version = version
        prefix = "\x1f".join((self.source, "event", contact_id, str(version), "")).encode()
        self.event_prefix = hashlib.sha1(_NAMESPACE + prefix, usedforsecurity=False)
        self.events: list[bytes] = []
        self.times: dict[int, str] = {}
        shared = _encode({"interactionId": interaction_id, "sourceItem": contact_id, "sourceVersion": version})
        self.shared = shared[1:-1]

    def id(self, kind: str, *parts: str) -> str:
        return fast_id(self.source, kind, *parts)

    def add(self, kind: str, us: int, name: str = "", estimated: str | None = None, **fields: Any) -> None:
        """One event; its eventId is the UUIDv5 of (source, "event", ContactId, version, type, name). The JSON
        is joined from parts: the fields every event of the leg shares are encoded once."""
        hashed = self.event_prefix.copy()
        hashed.update(f"{kind}\x1f{name}".encode())
        timestamp = self.times.get(us)
        if timestamp is None:
            timestamp = self.times[us] = format_us(us)
        if estimated is not None:
            fields["estimated"] = estimated
        rest = b"," + _encode(fields)[1:] if fields else b"}"
        head = f'{{"type":"{kind}","eventId":"{_uuid5(hashed)}","timestamp":"{timestamp}",'.encode()
        self.events.append(head + self.shared + rest)


def leg_events(contact: Contact, options: ImportOptions) -> Leg:
    """The events one contact record states. Raises ContactError when it cannot be translated."""
    contact_id = contact.ContactId
    if not contact_id:
        raise ContactError("the contact record has no ContactId")
    if len(contact_id) > 200:
        raise ContactError("ContactId is longer than 200 characters")
    updated = _instant(contact.LastUpdateTimestamp, "LastUpdateTimestamp")
    version = max(updated // _US, 0) if updated is not None else 0
    initial = contact.InitialContactId or contact_id
    out = _Writer(options, contact_id, fast_id(options.source, "interaction", initial), version)
    started = _instant(contact.InitiationTimestamp, "InitiationTimestamp")
    if started is None:
        raise ContactError("the contact record has no InitiationTimestamp")
    ended = _instant(contact.DisconnectTimestamp, "DisconnectTimestamp")
    _order(("InitiationTimestamp", started), ("DisconnectTimestamp", ended))
    method = contact.InitiationMethod or "INBOUND"
    first = contact.PreviousContactId is None and initial == contact_id
    if first:
        _started(out, contact, started, method)
    _attributes(out, contact, started, method if first else None)
    _arrival(out, contact, started, ended, method)
    allocation = _agent(out, contact, ended)
    _queue(out, contact, started, ended, allocation is not None)
    _external_transfer(out, contact, allocation)
    _end(out, contact, ended)
    return Leg(contact_id, version, tuple(out.events))


def _started(out: _Writer, contact: Contact, started: int, method: str) -> None:
    channel = CHANNELS.get(contact.Channel or "VOICE")
    estimated = None if channel is not None else CHANNEL_ESTIMATE.format(contact.Channel)
    customer = contact.CustomerEndpoint.Address if contact.CustomerEndpoint is not None else None
    system = contact.SystemEndpoint.Address if contact.SystemEndpoint is not None else None
    out.add(
        "interaction-started",
        started,
        estimated=estimated,
        channelType=channel or "email",
        direction=DIRECTIONS.get(method, "inbound"),
        customer=(customer or "")[:ATTRIBUTE_VALUE_MAX],
        contactPoint=(system or "")[:ATTRIBUTE_VALUE_MAX],
        flowId=(contact.InstanceARN or "amazon-connect")[:200],
        flowName="Amazon Connect",
        contactId=out.contact_id,
    )


def _attributes(out: _Writer, contact: Contact, started: int, method: str | None) -> None:
    attributes: dict[str, str] = {}
    for name, value in (contact.Attributes or {}).items():
        if name and value is not None:
            text = value if isinstance(value, str) else msgspec.json.encode(value).decode()
            attributes[name[:ATTRIBUTE_NAME_MAX]] = text[:ATTRIBUTE_VALUE_MAX]
    attributes["connect.channel"] = contact.Channel or "VOICE"
    if method is not None:
        attributes["connect.initiationMethod"] = method
    out.add("custom-attributes-set", started, attributes=attributes)


def _arrival(out: _Writer, contact: Contact, started: int, ended: int | None, method: str) -> None:
    """How a later leg joined the interaction (a transfer, a supervisor)."""
    previous = contact.PreviousContactId
    if previous is None:
        return None
    agent = contact.Agent
    connected = _instant(agent.ConnectedToAgentTimestamp, "Agent.ConnectedToAgentTimestamp") if agent else None
    if method == "MONITOR":
        segment = out.id("segment", out.contact_id)
        out.add(
            "participant-added",
            connected or started,
            interactionSegmentId=segment,
            participantType="agent",
            agentId=_agent_id(out, agent) if agent is not None else None,
        )
        if ended is not None:
            out.add("participant-removed", ended, interactionSegmentId=segment)
        return
    if method != "TRANSFER":
        return
    segment = out.id("segment", out.contact_id)
    fields: dict[str, Any] = {"transferType": "queue" if contact.Queue is not None else "agent"}
    if contact.Queue is not None:
        fields["transferToQueueId"] = _queue_id(out, contact)
    elif agent is not None:
        fields["transferToAgentId"] = _agent_id(out, agent)
    if connected is not None and agent is not None:
        # a consultative call: what it became needs the previous leg too (derivation's `consultative.py`); this
        # leg tells a consult (the target never spoke with the customer) from a conference, as AWS does
        talk = _seconds(agent.AgentInteractionDuration) or 0
        fields["consultative"] = "consult" if talk <= CONSULT_TALK_MAX else "conference"
    out.add(
        "transfer-started",
        started,
        interactionSegmentId=segment,
        interactionAgentId=out.id("allocation", previous),
        **fields,
    )
    if connected is not None and agent is not None:
        out.add(
            "transfer-connected",
            connected,
            interactionSegmentId=segment,
            interactionAgentId=out.id("allocation", out.contact_id),
            agentId=_agent_id(out, agent),
        )
    elif ended is not None:
        out.add("transfer-cancelled", ended, interactionSegmentId=segment)


def _queue_id(out: _Writer, contact: Contact) -> str:
    queue = contact.Queue
    assert queue is not None
    return cached_id(out.source, "queue", queue.ARN or queue.Name or "unnamed")


def _agent_id(out: _Writer, agent: AgentInfo) -> str:
    return cached_id(out.source, "agent", agent.ARN or agent.Username or "unnamed")


def _queue(out: _Writer, contact: Contact, started: int, ended: int | None, answered: bool) -> None:
    queue = contact.Queue
    if queue is None:
        return
    entered = _instant(queue.EnqueueTimestamp, "Queue.EnqueueTimestamp")
    if entered is None:
        return  # a queue named but never entered
    dequeued = _instant(queue.DequeueTimestamp, "Queue.DequeueTimestamp")
    waited = _seconds(queue.Duration)
    if dequeued is None:
        dequeued = entered + waited if waited is not None else ended
    _order(("InitiationTimestamp", started), ("Queue.EnqueueTimestamp", entered), ("Queue.DequeueTimestamp", dequeued))
    method = contact.InitiationMethod
    entry = out.id("queue-entry", out.contact_id)
    out.add(
        "queue-entered",
        entered,
        interactionQueueId=entry,
        queueId=_queue_id(out, contact),
        queueName=(queue.Name or queue.ARN or "unnamed")[:ATTRIBUTE_VALUE_MAX],
        entryType="transfer" if method in ("TRANSFER", "QUEUE_TRANSFER") else "ivr",
        queueLength=0,
    )
    if dequeued is None:
        return
    reason = contact.DisconnectReason
    if answered:
        exit_reason = "success"
    elif contact.NextContactId is not None or reason == "CONTACT_FLOW_DISCONNECT":
        exit_reason = "flow"
    elif reason == "EXPIRED":
        exit_reason = "timeout"
    else:
        exit_reason = "abandon"
    out.add("queue-exited", dequeued, interactionQueueId=entry, reason=exit_reason)


def _agent(out: _Writer, contact: Contact, ended: int | None) -> str | None:
    """The leg's agent allocation (its id), when an agent connected."""
    agent = contact.Agent
    if agent is None or contact.InitiationMethod == "MONITOR":
        return None
    connected = _instant(agent.ConnectedToAgentTimestamp, "Agent.ConnectedToAgentTimestamp")
    if connected is None:
        return None
    talk = _seconds(agent.AgentInteractionDuration)
    hold = _seconds(agent.CustomerHoldDuration) or 0
    wrap_start = _instant(agent.AfterContactWorkStartTimestamp, "Agent.AfterContactWorkStartTimestamp")
    wrap_end = _instant(agent.AfterContactWorkEndTimestamp, "Agent.AfterContactWorkEndTimestamp")
    if wrap_end is None and wrap_start is not None and agent.AfterContactWorkDuration is not None:
        wrap_end = wrap_start + (_seconds(agent.AfterContactWorkDuration) or 0)
    conversation_end = wrap_start
    if conversation_end is None:
        conversation_end = connected + talk + hold if talk is not None else ended
    _order(
        ("Agent.ConnectedToAgentTimestamp", connected),
        ("Agent.AfterContactWorkStartTimestamp", conversation_end),
        ("Agent.AfterContactWorkEndTimestamp", wrap_end),
    )
    for name, value in (("AgentInteractionDuration", talk), ("CustomerHoldDuration", hold)):
        if value is not None and value < 0:
            raise ContactError(f"impossible times: Agent.{name} is negative")
    allocation = out.id("allocation", out.contact_id)
    work: dict[str, Any] = {
        "interactionAgentId": allocation,
        "agentId": _agent_id(out, agent),
        "agentName": (agent.Username or agent.ARN or "unnamed")[:ATTRIBUTE_VALUE_MAX],
        "sessionId": out.id("session", agent.ARN or agent.Username or "unnamed", str(connected // _US_PER_DAY)),
    }
    if contact.Queue is not None and contact.Queue.EnqueueTimestamp is not None:
        work["queueId"] = _queue_id(out, contact)
        work["interactionQueueId"] = out.id("queue-entry", out.contact_id)
    out.add("work-offered", connected, estimated=OFFER_ESTIMATE, **work)
    out.add("work-accepted", connected, **work)
    out.add("conversation-started", connected, interactionAgentId=allocation)
    if conversation_end is None:
        return allocation
    _holds(out, agent, allocation, connected, talk, hold)
    out.add("conversation-ended", conversation_end, interactionAgentId=allocation)
    out.add("agent-disconnect", conversation_end, interactionAgentId=allocation)
    if wrap_start is not None:
        out.add("wrapup-started", wrap_start, interactionAgentId=allocation)
        if wrap_end is not None:
            out.add("wrapup-ended", wrap_end, interactionAgentId=allocation)
    return allocation


def _holds(out: _Writer, agent: AgentInfo, allocation: str, connected: int, talk: int | None, hold: int) -> None:
    """NumberOfHolds holds totalling CustomerHoldDuration, the first of LongestHoldDuration, with equal talk
    between them (AgentInteractionDuration split in NumberOfHolds + 1 parts)."""
    count = agent.NumberOfHolds or 0
    if count <= 0 or hold <= 0:
        return
    longest = _seconds(agent.LongestHoldDuration)
    if count == 1:
        durations = [hold]
    elif longest is not None and 0 < longest <= hold:
        rest = hold - longest
        durations = [longest] + [rest // (count - 1)] * (count - 1)
        durations[-1] += rest - sum(durations[1:])
    else:
        durations = [hold // count] * count
        durations[-1] += hold - sum(durations)
    gap = (talk or 0) // (count + 1) // 1000 * 1000  # whole milliseconds: the canonical timestamp form
    at = connected
    for number, duration in enumerate(durations, start=1):
        at += gap
        out.add("customer-hold", at, str(number), estimated=HOLD_ESTIMATE, interactionAgentId=allocation)
        at += duration
        out.add("customer-resume", at, str(number), estimated=HOLD_ESTIMATE, interactionAgentId=allocation)


def _external_transfer(out: _Writer, contact: Contact, allocation: str | None) -> None:
    endpoint = contact.TransferredToEndpoint
    if endpoint is None or not endpoint.Address or contact.NextContactId is not None or allocation is None:
        return
    completed = _instant(contact.TransferCompletedTimestamp, "TransferCompletedTimestamp")
    if completed is None:
        return
    segment = out.id("external-transfer", out.contact_id)
    out.add(
        "transfer-started",
        completed,
        estimated=TRANSFER_ESTIMATE,
        interactionSegmentId=segment,
        interactionAgentId=allocation,
        transferType="external",
        transferTo=endpoint.Address[:ATTRIBUTE_VALUE_MAX],
    )
    out.add("transfer-connected", completed, interactionSegmentId=segment)


def _end(out: _Writer, contact: Contact, ended: int | None) -> None:
    """Every leg but a supervisor's ends the interaction when its customer endpoint disconnects; of several legs'
    ends, derivation applies the latest (`consultative.py`): a consult leg ends before the leg that made it."""
    if ended is None:
        return
    reason = contact.DisconnectReason
    if reason is not None:
        out.add("custom-attributes-set", ended, "end", attributes={"connect.disconnectReason": reason[:1000]})
    if contact.InitiationMethod == "MONITOR":
        return
    last = contact.NextContactId is None
    external = last and contact.TransferredToEndpoint is not None and contact.TransferCompletedTimestamp is not None
    abandoned = last and contact.Agent is None and contact.Queue is not None and reason is None
    if reason == "CUSTOMER_DISCONNECT" or abandoned:
        out.add("customer-disconnect", ended)
    end_type = "transfer-external" if external else END_TYPES.get(reason or "", "system")
    if abandoned:
        end_type = "customer-disconnect"
    out.add("interaction-ended", ended, endType=end_type)
