"""Events that only record a moment: of an agent allocation (conversation, reply, wrap-up, disconnect) or of
the interaction (hold, resume, customer disconnect, end), and the flow's attributes and hooks.

For each moment the first event in canonical order counts; a repeat changes nothing. A hold while already on
hold and a resume while not on hold are ignored.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from cxreport.metrics import events as ev
from cxreport.metrics.model import AgentEntryState

if TYPE_CHECKING:
    from cxreport.metrics.build import Builder


def _allocation(b: Builder, event: ev._AgentStep) -> AgentEntryState | None:
    agent_entry = b.it.agent_entries.get(event.interactionAgentId)
    if agent_entry is None:
        b.unknown("agent allocation", event.interactionAgentId, event)
    return agent_entry


def conversation_started(b: Builder, event: ev.ConversationStarted, us: int) -> None:
    a = _allocation(b, event)
    if a is not None and a.conversation_start_us is None:
        a.conversation_start_us = us


def conversation_ended(b: Builder, event: ev.ConversationEnded, us: int) -> None:
    a = _allocation(b, event)
    if a is not None and a.conversation_end_us is None:
        a.conversation_end_us = us


def agent_replied(b: Builder, event: ev.AgentReplied, us: int) -> None:
    a = _allocation(b, event)
    if a is not None and a.reply_us is None:
        a.reply_us = us


def wrapup_started(b: Builder, event: ev.WrapupStarted, us: int) -> None:
    a = _allocation(b, event)
    if a is not None and a.wrap_start_us is None:
        a.wrap_start_us = us


def wrapup_ended(b: Builder, event: ev.WrapupEnded, us: int) -> None:
    a = _allocation(b, event)
    if a is not None and a.wrap_end_us is None:
        a.wrap_end_us = us


def agent_disconnect(b: Builder, event: ev.AgentDisconnect, us: int) -> None:
    a = _allocation(b, event)
    if a is not None and a.disconnect_us is None:
        a.disconnect_us = us


def customer_hold(b: Builder, event: ev.CustomerHold, us: int) -> None:
    if b.it.hold_open_us is None:
        b.it.hold_open_us = us
        b.it.holds += 1


def customer_resume(b: Builder, event: ev.CustomerResume, us: int) -> None:
    if b.it.hold_open_us is not None:
        b.it.hold_periods.append((b.it.hold_open_us, us))
        b.it.hold_open_us = None


def customer_disconnect(b: Builder, event: ev.CustomerDisconnect, us: int) -> None:
    if b.it.disconnect_us is None:
        b.it.disconnect_us = us


def interaction_ended(b: Builder, event: ev.InteractionEnded, us: int) -> None:
    if b.it.end_us is None:
        b.it.end_us, b.it.end_type = us, event.endType


def attributes_set(b: Builder, event: ev.CustomAttributesSet, us: int) -> None:
    b.it.attributes.update(event.attributes)


def hook_linked(b: Builder, event: ev.HookLinked, us: int) -> None:
    b.it.hooks[(event.hookType, event.hookSubType, event.hookId)] = None


MOMENT_HANDLERS: dict[type[ev.EventBase], Callable[[Builder, Any, int], None]] = {
    ev.ConversationStarted: conversation_started,
    ev.ConversationEnded: conversation_ended,
    ev.AgentReplied: agent_replied,
    ev.WrapupStarted: wrapup_started,
    ev.WrapupEnded: wrapup_ended,
    ev.AgentDisconnect: agent_disconnect,
    ev.CustomerHold: customer_hold,
    ev.CustomerResume: customer_resume,
    ev.CustomerDisconnect: customer_disconnect,
    ev.InteractionEnded: interaction_ended,
    ev.CustomAttributesSet: attributes_set,
    ev.HookLinked: hook_linked,
}
