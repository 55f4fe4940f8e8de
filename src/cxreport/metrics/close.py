"""Completing what the events leave open, after the pass, and saying so.

A missing timestamp that the statistics need is replaced by the best moment the other events give, and the
record is flagged with one reason per replacement (`flaggedReasons`), so some of its figures may be off:
- a queue entry with no exit, once an agent accepted it (exit at the acceptance), the customer disconnected
  (an abandon at the disconnect) or the interaction ended (at the end);
- a conversation with no end, once its agent disconnected or wrapped up (the earliest of those), or, for a
  voice, sms or chat interaction that ended, at the interaction's end (email conversations outlive it);
- an offer never answered in an ended interaction; an allocation never released although the same agent was
  offered the interaction again; a wrap-up that ended with no start;
- an interaction the customer left and nothing holds any more (no queue entry, no allocation open) but that
  has no interaction-ended: its end time is unknown.
An allocation still in wrap-up after the interaction ended is not flagged: wrap-up (and email work) goes on.
"""

from __future__ import annotations

from cxreport.metrics.dictionary import QUEUE_EXITS
from cxreport.metrics.instants import format_us
from cxreport.metrics.model import AgentEntryState, InteractionState, SegmentState


def close(it: InteractionState) -> None:
    _close_holds(it)
    for agent_entry in it.agent_entries.values():
        _close_allocation(it, agent_entry)
    _close_visits(it)
    for segment in it.segments:
        _close_segment(it, segment)
    _check_left_behind(it)


def _after(candidates: tuple[int | None, ...], start_us: int) -> int | None:
    found = [us for us in candidates if us is not None and us >= start_us]
    return min(found) if found else None


def _close_holds(it: InteractionState) -> None:
    if it.hold_open_us is not None:
        end = _after((it.disconnect_us, it.end_us), it.hold_open_us)
        if end is not None:
            it.hold_periods.append((it.hold_open_us, end))


def _close_allocation(it: InteractionState, a: AgentEntryState) -> None:
    start = a.conversation_start_us
    if start is not None and a.conversation_end_us is None:
        end = _after((a.wrap_start_us, a.disconnect_us, a.wrap_end_us), start)
        if end is None and it.channel != "email":
            end = _after((it.end_us,), start)
        if end is not None:
            a.conversation_end_us = end
            it.reasons.append(f"conversation of agent allocation {a.id} has no end; taken as {format_us(end)}")
    if a.accept_us is None:
        a.release_us = a.decline_us
        if a.decline_us is None and it.end_us is not None:
            it.reasons.append(f"offer of agent allocation {a.id} was never accepted, rejected or missed")
        return
    if a.wrap_end_us is not None:
        a.release_us = a.wrap_end_us
        if a.wrap_start_us is None:
            it.reasons.append(f"wrap-up of agent allocation {a.id} has no start")
    elif a.wrap_start_us is None:
        a.release_us = a.disconnect_us
    if a.release_us is None:
        later = [b.offer_us for b in it.agent_entries.values() if b.agent_id == a.agent_id and b.offer_us is not None]
        again = _after(tuple(later), a.accept_us + 1)
        if again is not None:
            it.reasons.append(
                f"agent allocation {a.id} was never released (its agent was offered the interaction again at "
                f"{format_us(again)})"
            )


def _close_visits(it: InteractionState) -> None:
    for queue_entry in it.queue_entries.values():
        if queue_entry.end_us is not None:
            continue
        taken = queue_entry.agent_entry.accept_us if queue_entry.agent_entry is not None else None
        abandon = _after((it.disconnect_us,), queue_entry.start_us)
        if taken is not None:
            queue_entry.end_us, outcome, what = taken, "success", "left at the agent's acceptance"
        elif abandon is not None:
            queue_entry.end_us, outcome, what = abandon, "abandon", "abandoned at the customer's disconnect"
        elif it.end_us is not None:
            end = max(it.end_us, queue_entry.start_us)
            queue_entry.end_us, outcome, what = end, "flow", "left at the interaction's end"
        else:
            continue
        queue_entry.exit_type, queue_entry.exit_reason = QUEUE_EXITS[outcome]
        taken_at = format_us(queue_entry.end_us)
        it.reasons.append(f"queue entry {queue_entry.id} has no exit; taken as {what} at {taken_at}")


def _close_segment(it: InteractionState, s: SegmentState) -> None:
    disconnect = it.disconnect_us if it.disconnect_us is not None and it.disconnect_us >= s.start_us else None
    if s.kind == "transfer":
        if s.cancel_us is not None:
            s.end_us, s.end_type, s.cancelled = s.cancel_us, "transfer-cancelled", True
            return
        holder = s.by if s.by is not None else s.own
        release = holder.release_us if holder is not None else None
        lost = disconnect is not None and (s.connected_us is None or disconnect < s.connected_us)
        if lost and (release is None or (disconnect is not None and disconnect < release)):
            s.end_us, s.end_type, s.cancelled = disconnect, "customer-disconnect", True
        elif release is not None:
            s.end_us = release
            if s.connected_us is not None:
                s.end_type = "success"
            elif lost:
                s.end_type, s.cancelled = "customer-disconnect", True
        return
    if s.kind == "participant-added":
        released = s.own.release_us if s.own is not None else None
        for end in (s.removed_us, released, it.end_us):
            if end is not None:
                s.end_us, s.end_type = max(end, s.start_us), "success"
                break
        return
    own = s.own
    if own is not None and own.accept_us is not None:
        if own.release_us is not None:
            s.end_us, s.end_type = own.release_us, "success"
    elif own is not None and own.decline_us is not None:
        s.end_us, s.end_type, s.cancelled = own.decline_us, own.declined, True
    elif disconnect is not None:
        s.end_us, s.end_type, s.cancelled = disconnect, "customer-disconnect", True
    elif it.end_us is not None:
        s.end_us, s.end_type = max(it.end_us, s.start_us), it.end_type


def _check_left_behind(it: InteractionState) -> None:
    if it.end_us is not None or it.disconnect_us is None:
        return
    if any(queue_entry.end_us is None for queue_entry in it.queue_entries.values()):
        return
    if any(agent_entry.release_us is None for agent_entry in it.agent_entries.values()):
        return
    it.reasons.append(
        f"the customer disconnected at {format_us(it.disconnect_us)} and no queue or agent holds the "
        "interaction any more, but it has no interaction-ended event: its end time is unknown"
    )
