"""One pass over an interaction's events in canonical order, building its segments, queue entries and agent
allocations (`model.py`). Each decision looks only at events before it in that order, so the result is a
function of the set of events.

Structure rules:
- Segment 0 starts with the interaction. A transfer and an added participant each open a segment, and so
  does an offer to an agent who already accepted the interaction in the segment it would join (the same
  agent entering again: `reentry`).
- A queue entry belongs to the segment that put it there: an entry by transfer to the latest transfer still
  pending, an entry from the IVR to the latest interaction or re-entry segment.
- An allocation belongs to the segment of the queue entry that routed it (named by the offer, else the latest
  open entry of the offer's queue), else to the participant segment that named it, else the latest segment.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any

from cxreport.metrics import events as ev
from cxreport.metrics.dictionary import QUEUE_EXITS, QUEUE_REFUSALS, REFUSED_EXIT_TYPE
from cxreport.metrics.model import AgentEntryState, InteractionState, QueueEntryState, SegmentKind, SegmentState
from cxreport.metrics.moments import MOMENT_HANDLERS
from cxreport.metrics.timeline import Timed

_SEGMENT_NAMESPACE = uuid.UUID("6b1d4c1e-2f7a-5e0b-9a53-3c1c0f6d8e21")


def derived_id(interaction_id: str, name: str) -> str:
    """A stable segment id for a segment whose opening event names none: a UUID (version 5) of the interaction
    and a name (`segment-0`, or the eventId of the offer that opened a re-entry)."""
    return str(uuid.uuid5(_SEGMENT_NAMESPACE, f"{interaction_id}/{name}"))


class Builder:
    def __init__(self, interaction: InteractionState) -> None:
        self.it = interaction
        self.pending_participants: dict[str, SegmentState] = {}

    def apply(self, timed: list[Timed]) -> None:
        handlers = _HANDLERS
        for us, _rank, _event_id, event in timed:
            handlers[type(event)](self, event, us)

    # --- segments ----------------------------------------------------------------------------------

    def open_segment(self, kind: SegmentKind, segment_id: str, start_us: int) -> SegmentState:
        segment = SegmentState(len(self.it.segments), segment_id, kind, start_us)
        self.it.segments.append(segment)
        self.it.segments_by_id[segment_id] = segment
        return segment

    def latest_segment(self, kinds: tuple[str, ...] | None = None) -> SegmentState:
        for segment in reversed(self.it.segments):
            if (kinds is None or segment.kind in kinds) and segment.cancel_us is None:
                return segment
        return self.it.segments[0]

    def unknown(self, what: str, identifier: str, event: ev.EventBase) -> None:
        """Flag an event about a part of the interaction that no event started (the event is ignored)."""
        tag = event.__struct_config__.tag
        self.it.reasons.append(f"{tag} {event.eventId} refers to {what} {identifier}, which no event started")

    # --- handlers ----------------------------------------------------------------------------------

    def interaction_started(self, event: ev.InteractionStarted, us: int) -> None:
        pass  # read before the pass: it fixes the start and segment 0

    def entry_segment(self, entry_type: str) -> SegmentState:
        if entry_type == "transfer":
            segment = self.latest_segment(("transfer",))
            if segment.connected_us is not None:
                segment = self.latest_segment()
            return segment
        return self.latest_segment(("interaction", "reentry"))

    def queue_entered(self, event: ev.QueueEntered, us: int) -> None:
        if event.interactionQueueId in self.it.queue_entries:
            return
        self.it.queue_entries[event.interactionQueueId] = QueueEntryState(
            event.interactionQueueId,
            event.queueId,
            event.queueName,
            event.platformQueueId,
            event.queueType,
            event.entryType,
            event.queueLength,
            us,
            self.entry_segment(event.entryType),
        )

    def queue_refused(self, event: ev.QueueRefused, us: int) -> None:
        """A queue entry that ends as it begins; the first event about a queue entry id makes it."""
        if event.interactionQueueId in self.it.queue_entries:
            return
        exit_reason, divert_rule = QUEUE_REFUSALS[event.reason]
        self.it.queue_entries[event.interactionQueueId] = QueueEntryState(
            event.interactionQueueId,
            event.queueId,
            event.queueName,
            event.platformQueueId,
            event.queueType,
            event.entryType,
            None,
            us,
            self.entry_segment(event.entryType),
            end_us=us,
            exit_type=REFUSED_EXIT_TYPE,
            exit_reason=exit_reason,
            divert_rule=divert_rule,
            refused=True,
        )

    def queue_exited(self, event: ev.QueueExited, us: int) -> None:
        queue_entry = self.it.queue_entries.get(event.interactionQueueId)
        if queue_entry is None:
            self.unknown("queue entry", event.interactionQueueId, event)
        elif queue_entry.end_us is None:
            queue_entry.end_us = us
            queue_entry.exit_type, queue_entry.exit_reason = QUEUE_EXITS[event.reason]

    def agent_entry(self, event: ev._Work, us: int) -> AgentEntryState:
        found = self.it.agent_entries.get(event.interactionAgentId)
        if found is not None:
            if found.platform_agent_id is None:
                found.platform_agent_id = event.platformAgentId
            if found.tenant_agent_id is None:
                found.tenant_agent_id = event.tenantAgentId
            return found
        queue_entry = self.routing_visit(event)
        segment = self.pending_participants.get(event.interactionAgentId)
        if segment is None:
            segment = queue_entry.segment if queue_entry is not None else self.latest_segment()
            if self.accepted_in(segment, event.agentId):
                segment_id = derived_id(self.it.interaction_id, event.eventId)
                segment = self.open_segment("reentry", segment_id, us)
        agent_entry = AgentEntryState(
            event.interactionAgentId,
            event.agentId,
            event.agentName,
            event.sessionId,
            event.platformAgentId,
            event.tenantAgentId,
            event.queueId if event.queueId is not None else queue_entry.queue_id if queue_entry is not None else None,
            segment,
            queue_entry,
        )
        if segment.kind == "reentry" and segment.own is None:
            segment.own = agent_entry
            segment.to_agent_id = agent_entry.agent_id
        self.it.agent_entries[agent_entry.id] = agent_entry
        return agent_entry

    def routing_visit(self, event: ev._Work) -> QueueEntryState | None:
        if event.interactionQueueId is not None:
            return self.it.queue_entries.get(event.interactionQueueId)
        for queue_entry in reversed(self.it.queue_entries.values()):
            if queue_entry.end_us is None and event.queueId in (None, queue_entry.queue_id):
                return queue_entry
        return None

    def accepted_in(self, segment: SegmentState, agent_id: str) -> bool:
        return any(
            a.segment is segment and a.agent_id == agent_id and a.accept_us is not None
            for a in self.it.agent_entries.values()
        )

    def work_offered(self, event: ev.WorkOffered, us: int) -> None:
        agent_entry = self.agent_entry(event, us)
        if agent_entry.offer_us is None:
            agent_entry.offer_us = us

    def work_accepted(self, event: ev.WorkAccepted, us: int) -> None:
        agent_entry = self.agent_entry(event, us)
        if agent_entry.accept_us is not None or agent_entry.decline_us is not None:
            return
        agent_entry.accept_us = us
        queue_entry = agent_entry.queue_entry
        if queue_entry is not None and queue_entry.agent_entry is None and not queue_entry.refused:
            queue_entry.agent_entry = agent_entry
        segment = agent_entry.segment
        if segment.own is None:
            segment.own = agent_entry
            if segment.to_agent_id is None:
                segment.to_agent_id = agent_entry.agent_id

    def work_declined(self, event: ev.WorkRejected | ev.WorkMissed, us: int) -> None:
        agent_entry = self.agent_entry(event, us)
        if agent_entry.accept_us is None and agent_entry.decline_us is None:
            agent_entry.decline_us = us
            agent_entry.declined = str(event.__struct_config__.tag)

    def transfer_started(self, event: ev.TransferStarted, us: int) -> None:
        if event.interactionSegmentId in self.it.segments_by_id:
            return
        self.it.transfers += 1
        segment = self.open_segment("transfer", event.interactionSegmentId, us)
        segment.by_id = event.interactionAgentId
        segment.by = self.it.agent_entries.get(event.interactionAgentId)

    def transfer_connected(self, event: ev.TransferConnected, us: int) -> None:
        segment = self.it.segments_by_id.get(event.interactionSegmentId)
        if segment is None or segment.kind != "transfer":
            self.unknown("transfer", event.interactionSegmentId, event)
        elif segment.connected_us is None and segment.cancel_us is None:
            segment.connected_us = us
            segment.to_agent_id = event.agentId or segment.to_agent_id
            receiver = self.it.agent_entries.get(event.interactionAgentId or "")
            if receiver is not None and segment.own is None:
                segment.own = receiver
                segment.to_agent_id = segment.to_agent_id or receiver.agent_id

    def transfer_cancelled(self, event: ev.TransferCancelled, us: int) -> None:
        segment = self.it.segments_by_id.get(event.interactionSegmentId)
        if segment is None or segment.kind != "transfer":
            self.unknown("transfer", event.interactionSegmentId, event)
        elif segment.connected_us is None and segment.cancel_us is None:
            segment.cancel_us = us

    def participant_added(self, event: ev.ParticipantAdded, us: int) -> None:
        if event.interactionSegmentId in self.it.segments_by_id:
            return
        segment = self.open_segment("participant-added", event.interactionSegmentId, us)
        segment.by_id = event.byInteractionAgentId
        segment.by = self.it.agent_entries.get(event.byInteractionAgentId or "")
        segment.to_agent_id = event.agentId
        segment.consult = event.consult
        if event.interactionAgentId is not None:
            self.pending_participants[event.interactionAgentId] = segment

    def participant_removed(self, event: ev.ParticipantRemoved, us: int) -> None:
        segment = self.it.segments_by_id.get(event.interactionSegmentId)
        if segment is None or segment.kind != "participant-added":
            self.unknown("participant", event.interactionSegmentId, event)
        elif segment.removed_us is None:
            segment.removed_us = us


_HANDLERS: dict[type[ev.EventBase], Callable[[Builder, Any, int], None]] = {
    ev.InteractionStarted: Builder.interaction_started,
    ev.QueueEntered: Builder.queue_entered,
    ev.QueueExited: Builder.queue_exited,
    ev.QueueRefused: Builder.queue_refused,
    ev.WorkOffered: Builder.work_offered,
    ev.WorkAccepted: Builder.work_accepted,
    ev.WorkRejected: Builder.work_declined,
    ev.WorkMissed: Builder.work_declined,
    ev.TransferStarted: Builder.transfer_started,
    ev.TransferConnected: Builder.transfer_connected,
    ev.TransferCancelled: Builder.transfer_cancelled,
    ev.ParticipantAdded: Builder.participant_added,
    ev.ParticipantRemoved: Builder.participant_removed,
    **MOMENT_HANDLERS,
}
