"""Two rules that need more than one leg of an interaction, applied to its events in canonical order before the
record is built (pure: the result depends only on the set of events, as the rest of derivation).

- **Consultative transfers.** A `transfer-started` with `consultative` began as a consultative call: the
  transferring agent stayed on while the target joined, and only who left first tells what it became. When the
  transferring allocation's conversation ended before the receiving allocation's, the customer went on with the
  target: a transfer, as stated. When the receiving allocation's conversation ended first (or at the same
  instant), the transferring agent stayed with the customer: no transfer. The segment is then an added
  participant: `transfer-started` becomes `participant-added` (the receiving agent, added by the transferring
  allocation; `consult` when `consultative` says `consult`), its `transfer-connected` is dropped, and a
  `participant-removed` is placed at the receiving allocation's conversation end. While either conversation end
  is missing (a leg not imported yet) the transfer stands, and the record is restated when it arrives.
- **Ends of several source items.** When `interaction-ended` events come from more than one `sourceItem` (the
  legs of an Amazon Connect contact each end when their customer endpoint disconnects), the interaction ends
  with the last of them: only the latest item's `interaction-ended` and `customer-disconnect` apply.

Amazon Connect tells a transfer from a consult or a conference this way (`docs/importers-connect.md`).
"""

from __future__ import annotations

from typing import cast

from cxreport.metrics import events as ev
from cxreport.metrics.timeline import Timed

_RANK = ev.TYPE_RANK


def resolve(timed: list[Timed]) -> list[Timed]:
    """The events as derivation applies them: `timed` itself when neither rule has anything to do."""
    consultative = ended_items = False
    items: set[str] = set()
    for _us, _rank, _event_id, event in timed:
        kind = type(event)
        if kind is ev.TransferStarted and cast(ev.TransferStarted, event).consultative is not None:
            consultative = True
        elif kind is ev.InteractionEnded and event.sourceItem is not None:
            items.add(event.sourceItem)
            ended_items = len(items) > 1
    if ended_items:
        timed = _last_item_ends(timed)
    if consultative:
        timed = _consultative_transfers(timed)
    return timed


def _last_item_ends(timed: list[Timed]) -> list[Timed]:
    ending: set[str] = set()
    last: str | None = None
    for _us, _rank, _event_id, event in timed:  # in canonical order: the last one seen is the latest
        if type(event) is ev.InteractionEnded and event.sourceItem is not None:
            ending.add(event.sourceItem)
            last = event.sourceItem
    ending.discard(last or "")
    ends = (ev.InteractionEnded, ev.CustomerDisconnect)
    return [t for t in timed if not (type(t[3]) in ends and t[3].sourceItem in ending)]


def _consultative_transfers(timed: list[Timed]) -> list[Timed]:
    started: dict[str, ev.TransferStarted] = {}
    connected: dict[str, ev.TransferConnected] = {}
    conversation_ends: dict[str, tuple[int, str]] = {}
    for us, _rank, _event_id, event in timed:
        kind = type(event)
        if kind is ev.TransferStarted:
            transfer = cast(ev.TransferStarted, event)
            if transfer.consultative is not None:
                started.setdefault(transfer.interactionSegmentId, transfer)
        elif kind is ev.TransferConnected:
            reached = cast(ev.TransferConnected, event)
            connected.setdefault(reached.interactionSegmentId, reached)
        elif kind is ev.ConversationEnded:
            ended = cast(ev.ConversationEnded, event)
            conversation_ends.setdefault(ended.interactionAgentId, (us, ended.timestamp))
    stayed: dict[str, Timed] = {}
    for segment_id, transfer in started.items():
        receiver = connected.get(segment_id)
        if receiver is None or receiver.interactionAgentId is None:
            continue
        by_end = conversation_ends.get(transfer.interactionAgentId)
        to_end = conversation_ends.get(receiver.interactionAgentId)
        if by_end is None or to_end is None or by_end[0] < to_end[0]:
            continue  # the transferring agent left first (or it is not known yet): a transfer
        removed = ev.ParticipantRemoved(
            eventId=f"{transfer.eventId}/participant-removed",
            interactionId=transfer.interactionId,
            timestamp=to_end[1],
            sourceItem=transfer.sourceItem,
            sourceVersion=transfer.sourceVersion,
            interactionSegmentId=segment_id,
        )
        stayed[segment_id] = (to_end[0], _RANK[ev.ParticipantRemoved], removed.eventId, removed)
    if not stayed:
        return timed
    out: list[Timed] = []
    for item in timed:
        us, _rank, event_id, event = item
        kind = type(event)
        if kind is ev.TransferStarted or kind is ev.TransferConnected or kind is ev.TransferCancelled:
            segment_id = cast(ev.TransferCancelled, event).interactionSegmentId
            if segment_id in stayed:
                if kind is ev.TransferStarted:
                    added = _participant(started[segment_id], connected[segment_id])
                    out.append((us, _RANK[ev.ParticipantAdded], event_id, added))
                continue
        out.append(item)
    out.extend(stayed.values())
    out.sort(key=lambda t: t[:3])
    return out


def _participant(transfer: ev.TransferStarted, receiver: ev.TransferConnected) -> ev.ParticipantAdded:
    return ev.ParticipantAdded(
        eventId=transfer.eventId,
        interactionId=transfer.interactionId,
        timestamp=transfer.timestamp,
        sourceItem=transfer.sourceItem,
        sourceVersion=transfer.sourceVersion,
        estimated=transfer.estimated,
        interactionSegmentId=transfer.interactionSegmentId,
        participantType="agent",
        agentId=receiver.agentId,
        interactionAgentId=receiver.interactionAgentId,
        byInteractionAgentId=transfer.interactionAgentId,
        consult=transfer.consultative == "consult",
    )
