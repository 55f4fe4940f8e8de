"""The shape an interaction record must have to be accepted: the fields cxreport knows, with their types.

Unknown fields are allowed and kept (the original API's records carry more statistics than its docs list).
Times are ISO 8601 strings (the forms the search accepts; no zone means UTC), durations are seconds
(numbers), counts whole numbers, flags booleans.
Every field may be null or absent except `interactionId` and `startTimestamp`.
"""

from __future__ import annotations

from typing import Annotated

import msgspec

MAX_SECONDS = 1_000_000_000
"""The largest duration a record may give, in seconds either way (~31.7 years): stored as whole milliseconds
and summed per quarter hour in 64-bit integers, which it keeps far from overflowing."""

Text = str | None
Time = str | None
"""An ISO 8601 date-time, in any form `cxreport.times` accepts (checked after decoding)."""
Seconds = Annotated[float, msgspec.Meta(ge=-MAX_SECONDS, le=MAX_SECONDS)] | None
Count = Annotated[int, msgspec.Meta(ge=-(2**63), le=2**63 - 1)] | None
"""A whole number the stores can hold (64 bits)."""
Version = Annotated[int, msgspec.Meta(ge=-(2**31), le=2**31 - 1)] | None
"""An SLA version number (32 bits, as the stores keep it)."""
Flag = bool | None


class Segment(msgspec.Struct, omit_defaults=True):
    segmentNumber: Count = None
    interactionSegmentId: Text = None
    segmentStartType: Text = None
    segmentEndType: Text = None
    startTimestamp: Time = None
    endTimestamp: Time = None
    segmentTime: Seconds = None
    segmentCancelled: Flag = None
    segmentCancelTime: Seconds = None
    segmentToAgentId: Text = None
    agentId: Text = None
    interactionAgentId: Text = None
    transfer: Flag = None
    transferTime: Seconds = None
    consult: Flag = None
    """An added participant who was consulted, never speaking with the customer (docs/data-dictionary.md)."""


class QueueEntry(msgspec.Struct, omit_defaults=True):
    interactionQueueId: Text = None
    interactionSegmentId: Text = None
    queueId: Text = None
    platformQueueId: Count = None
    queueName: Text = None
    queueType: Text = None
    queueEntryType: Text = None
    queueExitType: Text = None
    """`success`, `abandon` or `flow`, as the original API gives it; `queueExitReason` says which outcome."""
    queueExitReason: Text = None
    """`answered`, `abandoned`, `timed-out`, `exited-with-key`, `left-empty`, `moved-by-flow`, `refused-full`,
    `refused-empty`, `closed` or `diverted` (docs/data-dictionary.md)."""
    queueDivertRule: Text = None
    """For a diverted entry: the rule that diverted it, `wait-time` or `caller-agent-ratio`."""
    queueEntryLength: Count = None
    startTimestamp: Time = None
    endTimestamp: Time = None
    queueTime: Seconds = None
    slaTime: Seconds = None
    timeToAnswer: Seconds = None
    queueAbandoned: Flag = None
    queueAbandonTime: Seconds = None
    slaAbandoned: Flag = None
    slaMet: Flag = None
    """Whether the entry met the service level of the SLA version that judged it (derived records)."""
    slaId: Text = None
    slaVersion: Version = None
    agentId: Text = None


class AgentEntry(msgspec.Struct, omit_defaults=True):
    interactionAgentId: Text = None
    interactionSegmentId: Text = None
    agentId: Text = None
    agentName: Text = None
    platformAgentId: Count = None
    tenantAgentId: Count = None
    sessionId: Text = None
    queueId: Text = None
    startTimestamp: Time = None
    endTimestamp: Time = None
    agentWorkAccepted: Flag = None
    agentWorkOfferTime: Seconds = None
    agentWorkAcceptedTime: Seconds = None
    agentConversationTime: Seconds = None
    agentTalkTime: Seconds = None
    agentHoldTime: Seconds = None
    agentWrapUpTime: Seconds = None
    agentHandleTime: Seconds = None
    agentFocusTime: Seconds = None
    agentReadTime: Seconds = None


class Hook(msgspec.Struct, omit_defaults=True):
    hookType: Text = None
    hookSubType: Text = None
    hookId: Text = None


class InteractionRecord(msgspec.Struct, omit_defaults=True):
    interactionId: str
    startTimestamp: str
    tenantId: Text = None
    endTimestamp: Time = None
    channelType: Text = None
    direction: Text = None
    customer: Text = None
    contactPoint: Text = None
    contactId: Text = None
    flowId: Text = None
    flowName: Text = None
    flagged: Flag = None
    interactionTime: Seconds = None
    ivrTime: Seconds = None
    ivrAbandoned: Flag = None
    """True when the customer hung up before reaching any queue or agent."""
    customerHolds: Count = None
    customerHoldTime: Seconds = None
    customerTransfers: Count = None
    customerAbandonTime: Seconds = None
    segments: list[Segment] | None = None
    queues: list[QueueEntry] | None = None
    agents: list[AgentEntry] | None = None
    hooks: list[Hook] | None = None
    customAttributes: dict[str, str | int | float | bool | None] | None = None
    """Custom attributes set by the flow, name → value."""
    revision: Count = None
    """The record's own version mark: a stored record is only replaced by one with a higher revision."""
