"""One interaction's events as the generator writes them: typed `cxreport.metrics` events, each with its instant
(epoch µs) kept beside it so that nobody parses the timestamps the generator has just formatted."""

from __future__ import annotations

from typing import TypedDict

from cxreport.cli.synthetic.formats import iso
from cxreport.metrics import Event


class Head(TypedDict):
    """The fields every event has."""

    eventId: str
    interactionId: str
    timestamp: str


class Stream:
    """Events of one interaction, numbered in the order they are added (``<interactionId>-<nn>``)."""

    __slots__ = ("events", "instants", "interaction_id")

    def __init__(self, interaction_id: str) -> None:
        self.interaction_id = interaction_id
        self.events: list[Event] = []
        self.instants: list[int] = []
        """Each event's timestamp in epoch µs, in the same order."""

    def head(self, ms: int) -> Head:
        """The common fields of the next event, at `ms` (epoch milliseconds); `add` it next."""
        number = len(self.events) + 1
        return {"eventId": f"{self.interaction_id}-{number:02d}", "interactionId": self.interaction_id,
                "timestamp": iso(ms)}

    def add(self, event: Event, ms: int) -> None:
        self.events.append(event)
        self.instants.append(ms * 1000)
