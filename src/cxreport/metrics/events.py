"""The events an interaction produces, one msgspec Struct per type, as a union tagged by `type`.

Every event has `eventId` (unique within the tenant; the store needs it unique within the interaction),
`interactionId` (a UUID), `timestamp` (ISO 8601, read with `cxreport.times.parse_instant`) and the fields
its type needs. Fields this module does not know are ignored (the platform may add some); a missing or
mistyped known field is an error.
`docs/events.md` describes each type with an example; `docs/schemas/event.schema.json` is the JSON Schema.
"""

from __future__ import annotations

from typing import Annotated, Literal

import msgspec

from cxreport.ids import UUID_PATTERN

Id = Annotated[str, msgspec.Meta(min_length=1, max_length=200)]
Uuid = Annotated[str, msgspec.Meta(extra_json_schema={"pattern": UUID_PATTERN})]
"""A UUID's 36-character text. The JSON Schema states the pattern; `decode.py` checks it after decoding, once per
distinct value rather than once per event (all of an interaction's events repeat its id), with msgspec's message."""
Text = Annotated[str, msgspec.Meta(max_length=1000)]
Count = Annotated[int, msgspec.Meta(ge=0)]
ChannelType = Literal["voice", "email", "sms", "chat"]
Direction = Literal["inbound", "outbound", "agent-initiated"]


class EventBase(msgspec.Struct, tag_field="type", kw_only=True, omit_defaults=True, gc=False):
    eventId: Id
    interactionId: Uuid
    timestamp: Annotated[str, msgspec.Meta(min_length=10, max_length=40)]
    sourceItem: Id | None = None
    """The source item (e.g. an Amazon Connect contact record) this event was translated from, when the source
    restates whole items: of an interaction's events naming one sourceItem, only those of its greatest
    `sourceVersion` count (a newer version of the item replaces everything an older one said)."""
    sourceVersion: Count | None = None
    """The version of `sourceItem` this event comes from (absent: 0)."""
    estimated: Text | None = None
    """What of this event the source did not state and the importer estimated: the record is flagged."""


class InteractionStarted(EventBase, tag="interaction-started"):
    """The interaction began: a call or message arrived, or an outbound contact was placed."""

    channelType: ChannelType
    direction: Direction
    customer: Text
    contactPoint: Text
    flowId: Id
    flowName: Text
    contactId: Id | None = None
    tenantId: Uuid | None = None
    interactionSegmentId: Id | None = None
    """The id of segment 0; derived from the interactionId when absent."""


class QueueEntered(EventBase, tag="queue-entered"):
    """The flow put the interaction in a queue (from the IVR or by a transfer)."""

    interactionQueueId: Id
    queueId: Id
    queueName: Text
    entryType: Literal["ivr", "transfer"]
    queueLength: Count
    """Interactions in the queue at entry, this one included."""
    platformQueueId: int | None = None
    queueType: Text = "queue"


class QueueExited(EventBase, tag="queue-exited"):
    """The interaction left a queue it waited in: an agent took it, the customer abandoned, or it was sent on."""

    interactionQueueId: Id
    reason: Literal["success", "abandon", "flow", "timeout", "exit-with-key", "leave-empty"]
    """Sent on by the queue's time limit (`timeout`), a key the caller pressed (`exit-with-key`), no agent left who
    could take calls (`leave-empty`), or the flow for another reason or one not said (`flow`)."""


class QueueRefused(EventBase, tag="queue-refused"):
    """The queue refused the interaction at the door: it never waited there (a queue entry of no time)."""

    interactionQueueId: Id
    queueId: Id
    queueName: Text
    reason: Literal["full", "join-empty", "closed", "divert-wait-time", "divert-caller-agent-ratio"]
    entryType: Literal["ivr", "transfer"] = "ivr"
    platformQueueId: int | None = None
    queueType: Text = "queue"


class _Work(EventBase):
    interactionAgentId: Id
    """One agent allocation: from its offer to its release."""
    agentId: Id
    agentName: Text
    sessionId: Id
    platformAgentId: int | None = None
    tenantAgentId: int | None = None
    queueId: Id | None = None
    interactionQueueId: Id | None = None
    """The queue entry that routed the work; found by queueId and time when absent."""


class WorkOffered(_Work, tag="work-offered"):
    """The interaction was offered to an agent: an allocation starts."""


class WorkAccepted(_Work, tag="work-accepted"):
    """The agent accepted the offer."""


class WorkRejected(_Work, tag="work-rejected"):
    """The agent declined the offer: the allocation ends."""


class WorkMissed(_Work, tag="work-missed"):
    """The offer timed out unanswered: the allocation ends."""


class _AgentStep(EventBase):
    interactionAgentId: Id


class ConversationStarted(_AgentStep, tag="conversation-started"):
    """The agent is connected with the customer (voice: the call is bridged; email: the agent opened it)."""


class ConversationEnded(_AgentStep, tag="conversation-ended"):
    """The agent's conversation with the customer ended."""


class AgentReplied(_AgentStep, tag="agent-replied"):
    """The agent sent the customer a message: an email reply, an SMS or a chat message."""


class WrapupStarted(_AgentStep, tag="wrapup-started"):
    """The agent began after-contact work."""


class WrapupEnded(_AgentStep, tag="wrapup-ended"):
    """After-contact work ended: the allocation is released."""


class AgentDisconnect(_AgentStep, tag="agent-disconnect"):
    """The agent left the interaction; the allocation is released unless wrap-up follows."""


class CustomerHold(EventBase, tag="customer-hold"):
    """The customer was put on hold."""

    interactionAgentId: Id | None = None


class CustomerResume(EventBase, tag="customer-resume"):
    """The customer was taken off hold."""

    interactionAgentId: Id | None = None


class TransferStarted(EventBase, tag="transfer-started"):
    """An agent started a transfer: a new segment begins."""

    interactionSegmentId: Id
    """The segment the transfer opens; it also names the transfer in -connected and -cancelled."""
    interactionAgentId: Id
    """The transferring allocation."""
    transferType: Literal["queue", "agent", "external"]
    transferToQueueId: Id | None = None
    transferToAgentId: Id | None = None
    transferTo: Text | None = None
    consultative: Literal["consult", "conference"] | None = None
    """The transfer began as a consultative call (the transferring agent stayed on while the target joined): it
    is a transfer only if the transferring allocation's conversation ended before the receiving allocation's.
    Otherwise the transferring agent stayed with the customer, and the segment is an added participant instead:
    a consult (`consult`: the target spoke only with the agent) or a conference (`conference`) (`consultative.py`)."""


class TransferConnected(EventBase, tag="transfer-connected"):
    """The transfer reached its target (for a queue transfer: an agent took it from the queue)."""

    interactionSegmentId: Id
    interactionAgentId: Id | None = None
    """The receiving allocation, when the target is an agent."""
    agentId: Id | None = None


class TransferCancelled(EventBase, tag="transfer-cancelled"):
    """The transfer was cancelled before it connected."""

    interactionSegmentId: Id


class ParticipantAdded(EventBase, tag="participant-added"):
    """A participant (agent or external party) joined the conversation: a new segment begins."""

    interactionSegmentId: Id
    participantType: Literal["agent", "external"]
    agentId: Id | None = None
    interactionAgentId: Id | None = None
    """The added agent's allocation."""
    byInteractionAgentId: Id | None = None
    """The allocation of the agent who added the participant."""
    participant: Text | None = None
    consult: bool = False
    """The participant was consulted: they spoke with the agent who added them while the customer was on hold,
    never with the customer (a conference or a supervisor when false)."""


class ParticipantRemoved(EventBase, tag="participant-removed"):
    """A participant added to the conversation left it: that segment ends."""

    interactionSegmentId: Id


class CustomerDisconnect(EventBase, tag="customer-disconnect"):
    """The customer hung up or closed the conversation."""


class InteractionEnded(EventBase, tag="interaction-ended"):
    """The interaction is over for the platform (for email, when the inbound flow finished)."""

    endType: Literal["customer-disconnect", "agent-disconnect", "flow-end", "transfer-external", "timeout", "system"]


class CustomAttributesSet(EventBase, tag="custom-attributes-set"):
    """The flow set named values on the interaction; a later event overrides an earlier one name by name."""

    attributes: dict[Annotated[str, msgspec.Meta(min_length=1, max_length=200)], Text]


class HookLinked(EventBase, tag="hook-linked"):
    """The interaction was linked to an external record (a CRM ticket, a case)."""

    hookType: Id
    hookSubType: Id
    hookId: Id


Event = (
    InteractionStarted
    | QueueEntered
    | QueueExited
    | QueueRefused
    | WorkOffered
    | WorkAccepted
    | WorkRejected
    | WorkMissed
    | ConversationStarted
    | ConversationEnded
    | AgentReplied
    | CustomerHold
    | CustomerResume
    | TransferStarted
    | TransferConnected
    | TransferCancelled
    | ParticipantAdded
    | ParticipantRemoved
    | WrapupStarted
    | WrapupEnded
    | CustomerDisconnect
    | AgentDisconnect
    | InteractionEnded
    | CustomAttributesSet
    | HookLinked
)

TYPE_ORDER: tuple[type[EventBase], ...] = (
    InteractionStarted,
    CustomAttributesSet,
    HookLinked,
    TransferStarted,
    ParticipantAdded,
    QueueEntered,
    QueueRefused,
    WorkOffered,
    WorkRejected,
    WorkMissed,
    WorkAccepted,
    QueueExited,
    TransferConnected,
    ConversationStarted,
    AgentReplied,
    CustomerHold,
    CustomerResume,
    TransferCancelled,
    ParticipantRemoved,
    ConversationEnded,
    AgentDisconnect,
    WrapupStarted,
    WrapupEnded,
    CustomerDisconnect,
    InteractionEnded,
)
"""Events at the same instant are applied in this (lifecycle) order, then by eventId."""

TYPE_RANK: dict[type[EventBase], int] = {cls: rank for rank, cls in enumerate(TYPE_ORDER)}
EVENT_TYPES: tuple[str, ...] = tuple(str(cls.__struct_config__.tag) for cls in TYPE_ORDER)
TYPE_NAME: dict[type[EventBase], str] = dict(zip(TYPE_ORDER, EVENT_TYPES, strict=True))
"""Each event class's `type` value."""


# --- agent states: per agent, independent of interactions -------------------------------------------------


class AgentEventBase(msgspec.Struct, tag_field="type", kw_only=True, omit_defaults=True, gc=False):
    """An agent's login, logout or presence change. No interactionId: these events belong to the agent (the
    store keeps them per tenant and agentId, deduplicated by agentId and eventId, and derives no record)."""

    eventId: Id
    agentId: Id
    timestamp: Annotated[str, msgspec.Meta(min_length=10, max_length=40)]
    agentName: Text | None = None
    sessionId: Id | None = None
    """The login session, as the platform names it (optional)."""
    queueIds: list[Id] | None = None
    """The queues the agent serves in this session or state, when the platform says."""


AgentState = Literal["ready", "not-ready"]


class AgentLoggedIn(AgentEventBase, tag="agent-logged-in"):
    """The agent logged in: a session starts (and a missing logout of the one before ends here)."""

    state: AgentState | None = None
    """The presence the session starts in, when the platform says (else unknown until the first change)."""
    reasonCode: Text | None = None


class AgentLoggedOut(AgentEventBase, tag="agent-logged-out"):
    """The agent logged out: the session ends."""

    reasonCode: Text | None = None
    """Why, when the platform says (a forced logoff, an end of shift)."""


class AgentStateChanged(AgentEventBase, tag="agent-state-changed"):
    """The agent's presence changed: ready to take work, or not ready (with an optional reason: lunch, training)."""

    state: AgentState
    reasonCode: Text | None = None
    """Why the agent is not ready (free text up to 1,000 characters), when the platform says."""


AgentEvent = AgentLoggedIn | AgentLoggedOut | AgentStateChanged
AnyEvent = Event | AgentEvent
"""What an events body may hold: interaction events and agent-state events, mixed."""

AGENT_EVENT_TYPES: tuple[str, ...] = ("agent-logged-in", "agent-state-changed", "agent-logged-out")
AGENT_TYPE_NAME: dict[type[AgentEventBase], str] = dict(
    zip((AgentLoggedIn, AgentStateChanged, AgentLoggedOut), AGENT_EVENT_TYPES, strict=True)
)
AGENT_EVENT_CLASSES: frozenset[type] = frozenset(AGENT_TYPE_NAME)
"""The agent-state event classes: `type(event) in AGENT_EVENT_CLASSES` tells the two kinds apart at a tenth of
`isinstance`'s cost (a Struct class's metaclass makes `isinstance` slow: ~70 ns, on the import's hot path)."""
KNOWN_TYPES: tuple[str, ...] = EVENT_TYPES + AGENT_EVENT_TYPES
"""Every `type` a body may hold: the interaction events' (in lifecycle order), then the agent-state events'."""
