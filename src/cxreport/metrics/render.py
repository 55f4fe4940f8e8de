"""The interaction record, in the seed's shape and key names, from a closed `Interaction`.

Conventions (those of the seed sample): instants as `YYYY-MM-DDTHH:MM:SS.mmmZ`; durations in seconds with
millisecond decimals; a statistic that does not apply (yet) is left out rather than null; the flags that mark
an exception (`flagged`, `ivrAbandoned`, `segmentCancelled`, `transfer`, `queueAbandoned`) appear only when
true, while the verdicts `agentWorkAccepted`, `slaMet` and `slaAbandoned` appear as true or false once known.
`customerHolds` is always present; `customerHoldTime` and `customerTransfers` only when there were any.
"""

from __future__ import annotations

from typing import Any

from cxreport.metrics import dictionary as d
from cxreport.metrics.instants import format_us
from cxreport.metrics.model import AgentEntryState, InteractionState, QueueEntryState, SegmentState
from cxreport.metrics.sla import PolicyLookup

Record = dict[str, Any]


def render(it: InteractionState, tenant_id: str, policy_for: PolicyLookup, revision: int) -> Record:
    record: Record = {"tenantId": tenant_id, "interactionId": it.interaction_id}
    record["startTimestamp"] = format_us(it.start_us)
    if it.end_us is not None:
        record["endTimestamp"] = format_us(it.end_us)
    started = it.started
    if started is not None:
        record["channelType"] = started.channelType
        record["direction"] = started.direction
        record["customer"] = started.customer
        record["contactPoint"] = started.contactPoint
        if started.contactId is not None:
            record["contactId"] = started.contactId
        record["flowId"] = started.flowId
        record["flowName"] = started.flowName
    if it.end_us is not None:
        record["interactionTime"] = d.interaction_time(it.start_us, it.end_us)
        record["interactionEndType"] = it.end_type
    _interaction_statistics(it, record)
    if it.reasons:
        record["flagged"] = True
        record["flaggedReasons"] = list(it.reasons)
    if it.attributes:
        record["customAttributes"] = dict(it.attributes)
    if it.hooks:
        record["hooks"] = [{"hookType": t, "hookSubType": s, "hookId": i} for t, s, i in it.hooks]
    record["segments"] = [_segment(segment) for segment in it.segments]
    if it.queue_entries:
        record["queues"] = [_queue(it, queue_entry, policy_for) for queue_entry in it.queue_entries.values()]
    if it.agent_entries:
        record["agents"] = [_agent(it, agent_entry) for agent_entry in it.agent_entries.values()]
    record["revision"] = revision
    return record


def _interaction_statistics(it: InteractionState, record: Record) -> None:
    left_ivr = it.end_us
    if it.disconnect_us is not None and (left_ivr is None or it.disconnect_us < left_ivr):
        left_ivr = it.disconnect_us
    for queue_entry in it.queue_entries.values():
        if left_ivr is None or queue_entry.start_us < left_ivr:
            left_ivr = queue_entry.start_us
    answered = False
    disconnect = it.disconnect_us
    for a in it.agent_entries.values():
        if a.offer_us is not None and (left_ivr is None or a.offer_us < left_ivr):
            left_ivr = a.offer_us
        if disconnect is not None and a.conversation_start_us is not None and a.conversation_start_us <= disconnect:
            answered = True
    if left_ivr is not None:
        record["ivrTime"] = d.ivr_time(it.start_us, left_ivr)
    if disconnect is not None and not answered:
        if d.ivr_abandoned(disconnect, _reached_us(it)):
            record["ivrAbandoned"] = True
        record["customerAbandonTime"] = d.customer_abandon_time(it.start_us, disconnect)
    record["customerHolds"] = it.holds
    if it.hold_periods:
        record["customerHoldTime"] = d.customer_hold_time(it.hold_periods)
    if it.transfers:
        record["customerTransfers"] = it.transfers


def _reached_us(it: InteractionState) -> int | None:
    """When the customer first reached a queue (an entry or a refusal) or an agent (an allocation's first moment)."""
    moments = [queue_entry.start_us for queue_entry in it.queue_entries.values()]
    for a in it.agent_entries.values():
        first = a.offer_us if a.offer_us is not None else a.accept_us if a.accept_us is not None else a.decline_us
        if first is not None:
            moments.append(first)
    return min(moments, default=None)


def _segment(s: SegmentState) -> Record:
    out: Record = {
        "segmentNumber": s.number,
        "interactionSegmentId": s.id,
        "segmentStartType": s.kind,
        "startTimestamp": format_us(s.start_us),
    }
    if s.end_us is not None:
        out["endTimestamp"] = format_us(s.end_us)
        out["segmentTime"] = d.segment_time(s.start_us, s.end_us)
        if s.cancelled:
            out["segmentCancelTime"] = d.segment_cancel_time(s.start_us, s.end_us)
    if s.end_type is not None:
        out["segmentEndType"] = s.end_type
    if s.cancelled:
        out["segmentCancelled"] = True
    if s.to_agent_id is not None:
        out["segmentToAgentId"] = s.to_agent_id
    opener = s.own if s.kind == "reentry" else s.by  # who opened it: re-entering, transferring, adding
    if opener is not None:
        out["agentId"] = opener.agent_id
    opener_id = opener.id if opener is not None else s.by_id
    if opener_id is not None:
        out["interactionAgentId"] = opener_id
    if s.consult:
        out["consult"] = True
    if s.kind == "transfer":
        out["transfer"] = True
        if s.connected_us is not None:
            out["transferTime"] = d.transfer_time(s.start_us, s.connected_us)
    return out


def _answer_us(it: InteractionState, a: AgentEntryState) -> int | None:
    return a.conversation_start_us if it.channel == "voice" else a.reply_us


def _queue(it: InteractionState, v: QueueEntryState, policy_for: PolicyLookup) -> Record:
    out: Record = {
        "interactionQueueId": v.id,
        "interactionSegmentId": v.segment.id,
        "queueId": v.queue_id,
    }
    if v.platform_queue_id is not None:
        out["platformQueueId"] = v.platform_queue_id
    out["queueName"] = v.queue_name
    out["queueType"] = v.queue_type
    out["queueEntryType"] = v.entry_type
    if v.length is not None:
        out["queueEntryLength"] = v.length
    out["startTimestamp"] = format_us(v.start_us)
    abandon_us = None
    if v.end_us is not None:
        out["endTimestamp"] = format_us(v.end_us)
        out["queueExitType"] = v.exit_type
        out["queueExitReason"] = v.exit_reason
        if v.divert_rule is not None:
            out["queueDivertRule"] = v.divert_rule
        out["queueTime"] = d.queue_time(v.start_us, v.end_us)
        if v.exit_type == "abandon":
            abandon_us = v.end_us
            out["queueAbandoned"] = True
            out["queueAbandonTime"] = d.queue_abandon_time(v.start_us, v.end_us)
    answer_us = _answer_us(it, v.agent_entry) if v.agent_entry is not None else None
    if answer_us is not None:
        out["timeToAnswer"] = d.time_to_answer(v.start_us, answer_us)
    if v.entry_type == "ivr":
        _sla(out, v, policy_for, answer_us, abandon_us)
    if v.agent_entry is not None:
        out["agentId"] = v.agent_entry.agent_id
    return out


def _sla(
    out: Record, v: QueueEntryState, policy_for: PolicyLookup, answer_us: int | None, abandon_us: int | None
) -> None:
    sla_us = d.sla_time_us(v.start_us, answer_us, abandon_us)
    if sla_us is None:
        return
    out["slaTime"] = d.seconds(sla_us)
    policy = policy_for(v.queue_id, v.start_us)
    answered = sla_us if answer_us is not None else None
    abandoned = sla_us if answer_us is None else None
    met = d.sla_met(policy, answered, abandoned)
    if met is not None:
        out["slaMet"] = met
    if abandoned is not None:
        out["slaAbandoned"] = d.sla_abandoned(policy, abandoned)
    if policy.slaId is not None:
        out["slaId"] = policy.slaId
    if policy.slaVersion is not None:
        out["slaVersion"] = policy.slaVersion


def _agent(it: InteractionState, a: AgentEntryState) -> Record:
    out: Record = {"interactionAgentId": a.id, "interactionSegmentId": a.segment.id, "agentId": a.agent_id}
    out["agentName"] = a.agent_name
    if a.platform_agent_id is not None:
        out["platformAgentId"] = a.platform_agent_id
    if a.tenant_agent_id is not None:
        out["tenantAgentId"] = a.tenant_agent_id
    out["sessionId"] = a.session_id
    if a.queue_id is not None:
        out["queueId"] = a.queue_id
    start = a.offer_us if a.offer_us is not None else a.accept_us if a.accept_us is not None else a.decline_us
    if start is not None:
        out["startTimestamp"] = format_us(start)
    if a.release_us is not None:
        out["endTimestamp"] = format_us(a.release_us)
    answered = a.accept_us if a.accept_us is not None else a.decline_us
    if answered is not None:
        out["agentWorkAccepted"] = a.accept_us is not None
        if a.offer_us is not None:
            out["agentWorkOfferTime"] = d.agent_work_offer_time(a.offer_us, answered)
            if a.accept_us is not None:
                out["agentWorkAcceptedTime"] = d.agent_work_accepted_time(a.offer_us, a.accept_us)
    _agent_work(it, a, out)
    return out


def _agent_work(it: InteractionState, a: AgentEntryState, out: Record) -> None:
    conversation_us = None
    if a.conversation_start_us is not None and a.conversation_end_us is not None:
        conversation_us = d.span_us(a.conversation_start_us, a.conversation_end_us)
        holds = it.hold_periods
        hold_us = d.agent_hold_us(a.conversation_start_us, a.conversation_end_us, holds) if holds else 0
        out["agentConversationTime"] = d.agent_conversation_time(a.conversation_start_us, a.conversation_end_us)
        if hold_us:
            out["agentHoldTime"] = d.seconds(hold_us)
        out["agentTalkTime"] = d.agent_talk_time(a.conversation_start_us, a.conversation_end_us)
    wrap_us = 0
    if a.wrap_start_us is not None and a.wrap_end_us is not None:
        wrap_us = d.span_us(a.wrap_start_us, a.wrap_end_us)
        out["agentWrapUpTime"] = d.agent_wrap_up_time(a.wrap_start_us, a.wrap_end_us)
    if a.accept_us is not None and a.release_us is not None:
        if conversation_us is not None:
            out["agentHandleTime"] = d.agent_handle_time(conversation_us, wrap_us)
        out["agentFocusTime"] = d.agent_focus_time(a.accept_us, a.release_us)
    if it.channel == "email" and a.reply_us is not None and a.accept_us is not None:
        queue_entry = a.queue_entry
        delivered = queue_entry.end_us if queue_entry is not None and queue_entry.end_us is not None else a.accept_us
        out["agentReadTime"] = d.agent_read_time(delivered, a.reply_us)
