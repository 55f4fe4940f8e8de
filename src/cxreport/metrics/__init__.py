"""The derivation core: contact-center events → interaction records with their statistics.

Pure code (no storage, no HTTP): decode events at the boundary, derive one record per interaction from the
set of its events, judge queue entries by the SLA policy in force. The statistics' definitions live in
`cxreport.metrics.dictionary`; `docs/data-dictionary.md` and `docs/events.md` document them.

May import: the shared modules only (`errors`, `times`, `ids`, `jsontext`): derivation is pure.
"""

from cxreport.metrics.decode import decode_event, decode_events, decode_timed_event, split_events
from cxreport.metrics.derive import MixedInteractions, derive_record, derive_records
from cxreport.metrics.events import (
    EVENT_TYPES,
    TYPE_NAME,
    AgentDisconnect,
    AgentReplied,
    ConversationEnded,
    ConversationStarted,
    CustomAttributesSet,
    CustomerDisconnect,
    CustomerHold,
    CustomerResume,
    Event,
    EventBase,
    HookLinked,
    InteractionEnded,
    InteractionStarted,
    ParticipantAdded,
    ParticipantRemoved,
    QueueEntered,
    QueueExited,
    QueueRefused,
    TransferCancelled,
    TransferConnected,
    TransferStarted,
    WorkAccepted,
    WorkMissed,
    WorkOffered,
    WorkRejected,
    WrapupEnded,
    WrapupStarted,
)
from cxreport.metrics.render import Record
from cxreport.metrics.sla import DEFAULT_SLA, AbandonType, PolicyLookup, SlaPolicy, policy_lookup, versioned_lookup
from cxreport.metrics.timeline import timeline

__all__ = [
    "DEFAULT_SLA",
    "EVENT_TYPES",
    "TYPE_NAME",
    "AbandonType",
    "AgentDisconnect",
    "AgentReplied",
    "ConversationEnded",
    "ConversationStarted",
    "CustomAttributesSet",
    "CustomerDisconnect",
    "CustomerHold",
    "CustomerResume",
    "Event",
    "EventBase",
    "HookLinked",
    "InteractionEnded",
    "InteractionStarted",
    "MixedInteractions",
    "ParticipantAdded",
    "ParticipantRemoved",
    "PolicyLookup",
    "QueueEntered",
    "QueueExited",
    "QueueRefused",
    "Record",
    "SlaPolicy",
    "TransferCancelled",
    "TransferConnected",
    "TransferStarted",
    "WorkAccepted",
    "WorkMissed",
    "WorkOffered",
    "WorkRejected",
    "WrapupEnded",
    "WrapupStarted",
    "decode_event",
    "decode_events",
    "decode_timed_event",
    "derive_record",
    "derive_records",
    "policy_lookup",
    "split_events",
    "timeline",
    "versioned_lookup",
]
