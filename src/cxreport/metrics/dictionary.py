"""The data dictionary as code: every statistic of an interaction record, one named function each.

Instants are epoch microseconds (`cxreport.times.parse_instant`). Durations are worked out in whole
microseconds and turned into seconds once, at the end, by `seconds()`: rounded half up to the millisecond,
so that the value has at most three decimals and prints exactly (`25.012`). A negative span (events whose
clocks disagree) counts as zero. `docs/data-dictionary.md` lists every field with its definition and unit;
the definitions marked *chosen* are not publicly defined by the original API and were picked to agree with
the seed sample (`src/cxreport/data/seed-sample-response.json`).
"""

from __future__ import annotations

from collections.abc import Iterable

from cxreport.metrics.sla import SlaPolicy


def milliseconds(us: int) -> int:
    """Microseconds to whole milliseconds, half up; below zero is zero."""
    return (us + 500) // 1000 if us > 0 else 0


def seconds(us: int) -> float:
    """Microseconds to seconds with millisecond decimals (exact: an integer of ms divided by 1000)."""
    return (us + 500) // 1000 / 1000 if us > 0 else 0.0


def span_us(start_us: int, end_us: int) -> int:
    """The microseconds from start to end; zero when the end comes first."""
    return end_us - start_us if end_us > start_us else 0


# --- the interaction -----------------------------------------------------------------------------------


def interaction_time(start_us: int, end_us: int) -> float:
    """`interactionTime`: interaction-ended − interaction-started. Absent while in progress."""
    return seconds(end_us - start_us)


def ivr_time(start_us: int, left_ivr_us: int) -> float:
    """`ivrTime`: interaction start → the first of: first queue entry, first offer to an agent, the customer's
    disconnect, the interaction's end. A disconnect before any queue or agent is an IVR abandon."""
    return seconds(left_ivr_us - start_us)


def ivr_abandoned(disconnect_us: int | None, reached_us: int | None) -> bool:
    """`ivrAbandoned`: the customer disconnected before reaching any queue or agent, i.e. before the first queue
    entry (one the queue refused included) and the first allocation (its offer; the acceptance or refusal when
    the offer is missing). Only true appears in the record."""
    return disconnect_us is not None and (reached_us is None or disconnect_us < reached_us)


def customer_abandon_time(start_us: int, abandon_us: int) -> float:
    """`customerAbandonTime`: interaction start → the customer's disconnect, when the customer disconnected
    before any agent's conversation started (in the IVR or in a queue). Absent otherwise."""
    return seconds(abandon_us - start_us)


def customer_hold_time(periods: Iterable[tuple[int, int]]) -> float:
    """`customerHoldTime`: the sum of all hold periods (customer-hold → customer-resume; a hold never
    resumed ends at the customer's disconnect or the interaction's end). `customerHolds` counts the holds."""
    return seconds(sum(end - start for start, end in periods if end > start))


# --- segments ------------------------------------------------------------------------------------------


def segment_time(start_us: int, end_us: int) -> float:
    """`segmentTime`: segment start → segment end. A segment ends when the allocation it belongs to is released
    (segment 0: the first agent who accepted it; a transfer: the transferring agent), at the customer's
    disconnect before an agent took it, or when the transfer is cancelled."""
    return seconds(end_us - start_us)


def segment_cancel_time(start_us: int, end_us: int) -> float:
    """`segmentCancelTime`: the `segmentTime` of a cancelled segment (abandoned or transfer cancelled)."""
    return seconds(end_us - start_us)


def transfer_time(started_us: int, connected_us: int) -> float:
    """`transferTime` (*chosen*): transfer-started → transfer-connected, i.e. until the target took the
    interaction (for a transfer to a queue, when an agent took it from that queue). Sample: 8.153 =
    transfer start 17:58:11.831 → exit of the transfer's queue entry 17:58:19.984."""
    return seconds(connected_us - started_us)


# --- queue entries -------------------------------------------------------------------------------------


QUEUE_EXITS: dict[str, tuple[str, str]] = {
    "success": ("success", "answered"),
    "abandon": ("abandon", "abandoned"),
    "timeout": ("flow", "timed-out"),
    "exit-with-key": ("flow", "exited-with-key"),
    "leave-empty": ("flow", "left-empty"),
    "flow": ("flow", "moved-by-flow"),
}
"""How an entry that waited ended, by its queue-exited `reason`: (`queueExitType`, `queueExitReason`).
`queueExitReason` names the outcome; `queueExitType` keeps the original API's three values (`success`,
`abandon`, `flow`), so every way the caller was sent on without an agent or an abandon is `flow` there."""

QUEUE_REFUSALS: dict[str, tuple[str, str | None]] = {
    "full": ("refused-full", None),
    "join-empty": ("refused-empty", None),
    "closed": ("closed", None),
    "divert-wait-time": ("diverted", "wait-time"),
    "divert-caller-agent-ratio": ("diverted", "caller-agent-ratio"),
}
"""How an entry refused at the door ended, by its queue-refused `reason`: (`queueExitReason`, `queueDivertRule`).
Its `queueExitType` is `REFUSED_EXIT_TYPE`: the flow took the caller on elsewhere."""

REFUSED_EXIT_TYPE = "flow"


def queue_time(entry_us: int, exit_us: int) -> float:
    """`queueTime`: queue-entered → queue-exited (the agent took it, the customer abandoned, the flow moved it);
    0 for an entry the queue refused at the door (queue-refused), which never waited."""
    return seconds(exit_us - entry_us)


def queue_abandon_time(entry_us: int, abandon_us: int) -> float:
    """`queueAbandonTime`: queue entry → the abandon (the exit of an entry the customer abandoned)."""
    return seconds(abandon_us - entry_us)


def time_to_answer(entry_us: int, answer_us: int) -> float:
    """`timeToAnswer`: queue entry → the answer by the agent this entry routed the interaction to. The answer
    is the start of the conversation for voice, and the agent's first reply for email, sms and chat (the
    sample's email and sms answers fall well inside the conversation, where a reply was sent)."""
    return seconds(answer_us - entry_us)


def sla_time_us(entry_us: int, answer_us: int | None, abandon_us: int | None) -> int | None:
    """`slaTime` in µs: the time to answer when answered, the queue time when abandoned, else none. Only
    entries from the IVR (`queueEntryType` `ivr`) are judged; an entry made by a transfer is not."""
    if answer_us is not None:
        return span_us(entry_us, answer_us)
    if abandon_us is not None:
        return span_us(entry_us, abandon_us)
    return None


def sla_met(policy: SlaPolicy, answered_after_us: int | None, abandoned_after_us: int | None) -> bool | None:
    """`slaMet` (*chosen*), the verdict of one queue entry under the policy in force when it was entered:
    true when answered within `slaThreshold` (inclusive, in ms); false when answered later, and false for an
    abandon that counts (every abandon with `count-against-sla`; with `ignore-abandons`, one at or after
    `abandonThreshold`); none (left out of the service level) for an abandon that is ignored, or while the
    entry is neither answered nor abandoned."""
    if answered_after_us is not None:
        return milliseconds(answered_after_us) <= policy.threshold_ms
    if abandoned_after_us is not None and sla_abandoned(policy, abandoned_after_us):
        return False
    return None


def sla_abandoned(policy: SlaPolicy, abandoned_after_us: int) -> bool:
    """`slaAbandoned` (*chosen*), for an abandoned entry only: true when the abandon counts against the service
    level (`count-against-sla`, or `ignore-abandons` with `queueAbandonTime` ≥ `abandonThreshold`), false
    when it is a short abandon the policy ignores. All four abandons of the sample say true, one of them
    after 15.74 s: the sample's tenant counted abandons against the SLA (or its threshold was lower)."""
    if policy.abandonType == "count-against-sla":
        return True
    return milliseconds(abandoned_after_us) >= policy.abandon_threshold_ms


# --- agent allocations (offer → release) ---------------------------------------------------------------


def agent_work_offer_time(offered_us: int, answered_us: int) -> float:
    """`agentWorkOfferTime` (*chosen*): offer → the agent's answer to it (accepted, rejected or missed), i.e.
    how long the offer was pending. Equal to `agentWorkAcceptedTime` in every sample record."""
    return seconds(answered_us - offered_us)


def agent_work_accepted_time(offered_us: int, accepted_us: int) -> float:
    """`agentWorkAcceptedTime`: offer → acceptance; only for accepted offers (`agentWorkAccepted` true)."""
    return seconds(accepted_us - offered_us)


def agent_conversation_time(start_us: int, end_us: int) -> float:
    """`agentConversationTime`: conversation-started → conversation-ended for this allocation, holds included."""
    return seconds(end_us - start_us)


def agent_hold_us(start_us: int, end_us: int, holds: Iterable[tuple[int, int]]) -> int:
    """`agentHoldTime` in µs: the part of the customer's hold periods inside this allocation's conversation."""
    return sum(span_us(max(start_us, hold_start), min(end_us, hold_end)) for hold_start, hold_end in holds)


def agent_talk_time(start_us: int, end_us: int) -> float:
    """`agentTalkTime`: conversation-started → conversation-ended, holds included, as the original API counts it:
    its one sample allocation with a hold (`9776ff80`) has talk = conversation, and the hold fits nowhere else.
    Hold stays visible in `agentHoldTime` and `customerHoldTime`; talk without hold is `agentConversationTime` −
    `agentHoldTime`."""
    return seconds(end_us - start_us)


def agent_wrap_up_time(start_us: int, end_us: int) -> float:
    """`agentWrapUpTime`: wrapup-started → wrapup-ended (after-contact work)."""
    return seconds(end_us - start_us)


def agent_handle_time(conversation_us: int, wrap_up_us: int) -> float:
    """`agentHandleTime`: talk (holds included) + wrap-up, that is conversation + wrap-up: the industry's talk +
    hold + after-contact work, and talk + wrap-up in every sample record, the one with a hold included."""
    return seconds(conversation_us + wrap_up_us)


def agent_focus_time(accepted_us: int, released_us: int) -> float:
    """`agentFocusTime` (*chosen*): acceptance → release, the time the work occupied the agent (conversation,
    holds, gaps and wrap-up). The sample's 145.5 in every allocation follows from no timestamp."""
    return seconds(released_us - accepted_us)


def agent_read_time(delivered_us: int, replied_us: int) -> float:
    """`agentReadTime` (*chosen*, email only): the email's delivery to the agent (the exit of the queue entry that
    routed it; the acceptance when none did) → the agent's first reply. In the sample, for every email,
    `timeToAnswer` = `queueTime` + `agentReadTime` to the millisecond."""
    return seconds(replied_us - delivered_us)
