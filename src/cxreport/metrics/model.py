"""The parts of an interaction as derivation sees them, with instants in epoch microseconds: the working
state of an interaction, its segments, queue entries and agent entries (one agent allocation each, offer →
release), which `render.py` turns into the record's JSON (whose shape `records/schema.py` states).

`build.py` fills these from the events in order, `close.py` completes what the events leave open (and
says so), `render.py` turns them into the record with the statistics of `dictionary.py`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

from cxreport.metrics.events import ChannelType, InteractionStarted

SegmentKind = Literal["interaction", "transfer", "participant-added", "reentry"]


@dataclass(slots=True, eq=False)
class SegmentState:
    number: int
    id: str
    kind: SegmentKind
    start_us: int
    by_id: str | None = None
    """The allocation that opened it (the transferring agent, the agent who added a participant)."""
    by: AgentEntryState | None = None
    own: AgentEntryState | None = None
    """The allocation it reached: the first accepted in it, the transfer's receiver, the added agent."""
    to_agent_id: str | None = None
    connected_us: int | None = None
    cancel_us: int | None = None
    removed_us: int | None = None
    end_us: int | None = None
    end_type: str | None = None
    cancelled: bool = False
    consult: bool = False
    """An added participant who was consulted (participant-added `consult`)."""


@dataclass(slots=True, eq=False)
class QueueEntryState:
    id: str
    queue_id: str
    queue_name: str
    platform_queue_id: int | None
    queue_type: str
    entry_type: str
    length: int | None
    start_us: int
    segment: SegmentState
    end_us: int | None = None
    exit_type: str | None = None
    exit_reason: str | None = None
    divert_rule: str | None = None
    refused: bool = False
    """Refused at the door (queue-refused): it ended as it began, and no allocation answers it."""
    agent_entry: AgentEntryState | None = None
    """The first accepted allocation this entry routed the interaction to."""


@dataclass(slots=True, eq=False)
class AgentEntryState:
    id: str
    agent_id: str
    agent_name: str
    session_id: str
    platform_agent_id: int | None
    tenant_agent_id: int | None
    queue_id: str | None
    segment: SegmentState
    queue_entry: QueueEntryState | None
    offer_us: int | None = None
    accept_us: int | None = None
    decline_us: int | None = None
    declined: str | None = None
    conversation_start_us: int | None = None
    conversation_end_us: int | None = None
    reply_us: int | None = None
    wrap_start_us: int | None = None
    wrap_end_us: int | None = None
    disconnect_us: int | None = None
    release_us: int | None = None


@dataclass(slots=True, eq=False)
class InteractionState:
    interaction_id: str
    start_us: int
    started: InteractionStarted | None
    channel: ChannelType | None
    segments: list[SegmentState] = field(default_factory=list)
    segments_by_id: dict[str, SegmentState] = field(default_factory=dict)
    queue_entries: dict[str, QueueEntryState] = field(default_factory=dict)
    agent_entries: dict[str, AgentEntryState] = field(default_factory=dict)
    end_us: int | None = None
    end_type: str | None = None
    disconnect_us: int | None = None
    holds: int = 0
    hold_open_us: int | None = None
    hold_periods: list[tuple[int, int]] = field(default_factory=list)
    transfers: int = 0
    attributes: dict[str, str] = field(default_factory=dict)
    hooks: dict[tuple[str, str, str], None] = field(default_factory=dict)
    reasons: list[str] = field(default_factory=list)
    """Why the record is flagged: each timestamp that was missing, and what was taken instead."""
