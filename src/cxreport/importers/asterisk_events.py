"""The cxreport events a queue_log line becomes, built as JSON bytes, with the deterministic ids they share.

Every id is a UUIDv5 of the source's own names (`base.source_id`, namespaced by `--source`), computed from the
line alone, so that each line translates on its own and the same call's lines give the same ids in any file,
in any order:
- the interaction: the call id;
- a queue entry: call id, queue and the **entry second** E, which every line about the stay can work out from
  its own data fields (ENTERQUEUE: its time; CONNECT: time − holdtime; COMPLETE*/TRANSFER: time − calltime −
  holdtime; ABANDON/EXIT*: time − waittime);
- the answering allocation: the queue entry's parts and the member; other offers (RINGNOANSWER, AGENTDUMP,
  SYSCOMPAT): the member and the offer instant;
- an event: the id of what it is about (the queue entry, the allocation, the interaction) and the parts of the
  line that fix it, with the event's type, joined by `/` (`a<queue entry id>/CONNECT/queue-exited`). Events
  that several lines state about one stay (its entry, the interaction's start, the answer) get an id per
  stating verb, prefixed `a` for the line that knows most (ENTERQUEUE, CONNECT) and `b` for the others, so
  that at one instant the first in cxreport's canonical order (which breaks ties by eventId) is the most
  complete, whichever arrived first.
"""

from __future__ import annotations

import time
from functools import lru_cache

import msgspec

from cxreport.importers.base import ImportOptions, source_id

_encode = msgspec.json.encode


def stamp(epoch: int) -> str:
    """Whole UTC seconds as cxreport's canonical instant text (`2012-07-04T07:33:21.000Z`)."""
    return _stamp(epoch)


@lru_cache(maxsize=4096)
def _stamp(epoch: int) -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%S.000Z", time.gmtime(epoch))


def stamp_us(us: int) -> str:
    """Epoch microseconds (a whole number of milliseconds) as an instant text."""
    seconds, rest = divmod(us, 1_000_000)
    return _stamp(seconds)[:20] + f"{rest // 1000:03d}Z"


class Ids:
    """The ids of one source (`--source`), each remembered for the few thousand most recent names."""

    def __init__(self, options: ImportOptions) -> None:
        self.options = options
        self.of = lru_cache(maxsize=16384)(self._of)

    def _of(self, kind: str, *parts: str) -> str:
        return source_id(self.options, kind, *parts)

    def event(self, priority: str, *parts: str) -> str:
        """An event id: the priority, then the parts (the first an id made here) joined by `/`; hashed into a
        UUID after the priority when that would pass 200 characters."""
        joined = "/".join(parts)
        if len(joined) < 200:
            return priority + joined
        return priority + source_id(self.options, "event", *parts)


class Call:
    """The events of one queue_log line about one call: each `add` appends one event."""

    __slots__ = ("events", "ids", "interaction_id")

    def __init__(self, ids: Ids, callid: str) -> None:
        self.ids = ids
        self.interaction_id = ids.of("interaction", callid)
        self.events: list[bytes] = []

    def add(self, kind: str, event_id: str, timestamp: str, **fields: object) -> None:
        self.events.append(_encode({
            "type": kind, "eventId": event_id, "interactionId": self.interaction_id, "timestamp": timestamp, **fields,
        }))


def agent_event(kind: str, event_id: str, agent_id: str, agent: str, timestamp: str, **fields: object) -> bytes:
    body: dict[str, object] = {
        "type": kind, "eventId": event_id, "agentId": agent_id, "timestamp": timestamp, "agentName": agent,
    }
    body.update({name: value for name, value in fields.items() if value is not None})
    return _encode(body)
