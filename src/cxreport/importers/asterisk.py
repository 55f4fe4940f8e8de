"""Asterisk / FreePBX / Wazo queue_log → cxreport events (`--format asterisk-queue-log`).

Each line translates on its own (`queue_log.parse_line`, then its verb's handler): the events it yields carry
deterministic ids made from the source's own names (`asterisk_events`), so importing a log twice, or its lines
split across files in any order, stores the same events and derives the same records. Call verbs are in
`asterisk_calls`; agent verbs (log-ins, log-offs, pauses, Wazo's wrap-up) here. `docs/importers.md` has the
mapping, the verbs deliberately ignored and why, and how Wazo's statistics follow from cxreport's figures.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import BinaryIO

from cxreport.importers.asterisk_calls import CALL_VERBS
from cxreport.importers.asterisk_events import Ids, agent_event, stamp
from cxreport.importers.base import ImportOptions, Translated
from cxreport.importers.queue_log import BadLine, QueueLogLine, parse_line

IGNORED_VERBS = frozenset({
    "QUEUESTART", "CONFIGRELOAD", "PENALTY", "RINGINUSE", "RINGCANCELED", "LEAVEEMPTY", "OUTCALL",
})
"""Verbs read and deliberately left out (`docs/importers.md` says why for each)."""

_LOGINS = frozenset({"AGENTLOGIN", "AGENTCALLBACKLOGIN", "ADDMEMBER"})
_LOGOFFS = frozenset({"AGENTLOGOFF", "AGENTCALLBACKLOGOFF", "REMOVEMEMBER"})


def agent_line(line: QueueLogLine, ids: Ids) -> list[bytes]:
    """An agent's log-in, log-off or presence change → agent-state events (`docs/events.md`, Agent states)."""
    agent, verb = line.agent, line.verb
    if agent in ("", "NONE"):
        raise BadLine(f"{verb}: the agent (field 4) is missing")
    agent_id, at = ids.of("agent", agent), stamp(line.epoch)
    queues = [ids.of("queue", line.queue)] if line.queue not in ("", "NONE") else None

    def event_id(*extra: str) -> str:
        return ids.of("agent-event", agent, str(line.epoch), verb, line.queue, *line.data, *extra)

    if verb in _LOGINS:
        state = "not-ready" if verb == "ADDMEMBER" and line.text(1) == "PAUSED" else None
        return [agent_event("agent-logged-in", event_id(), agent_id, agent, at, queueIds=queues, state=state)]
    if verb in _LOGOFFS:
        reason = line.text(3) if verb == "AGENTCALLBACKLOGOFF" else ""
        return [agent_event("agent-logged-out", event_id(), agent_id, agent, at, queueIds=queues,
                            reasonCode=reason or None)]
    if verb == "WRAPUPSTART":
        seconds = line.number(1, "wrap-up seconds")
        return [
            agent_event("agent-state-changed", event_id("start"), agent_id, agent, at, state="not-ready",
                        reasonCode="wrapup"),
            agent_event("agent-state-changed", event_id("end"), agent_id, agent, stamp(line.epoch + seconds),
                        state="ready"),
        ]
    if verb in ("UNPAUSE", "UNPAUSEALL"):
        return [agent_event("agent-state-changed", event_id(), agent_id, agent, at, queueIds=queues, state="ready")]
    reason = line.text(1)  # PAUSE, PAUSEALL, PAUSEREASON
    return [agent_event("agent-state-changed", event_id(), agent_id, agent, at, queueIds=queues, state="not-ready",
                        reasonCode=reason or None)]


VERBS: dict[str, Callable[[QueueLogLine, Ids], list[bytes]]] = {
    **CALL_VERBS,
    **dict.fromkeys(
        (*_LOGINS, *_LOGOFFS, "PAUSE", "PAUSEALL", "PAUSEREASON", "UNPAUSE", "UNPAUSEALL", "WRAPUPSTART"),
        agent_line,
    ),
}
"""Every verb mapped, with its handler; `IGNORED_VERBS` are read and left out; any other verb is an error."""


def translate(stream: BinaryIO, options: ImportOptions) -> Iterator[Translated]:
    """Each line of a queue_log (either form) and the events it becomes, or why it cannot be read."""
    ids = Ids(options)
    zone = options.timezone
    verbs = VERBS
    for number, raw in enumerate(stream, start=1):
        text = raw.decode("utf-8", "replace").rstrip("\r\n")
        if number == 1 and text.startswith("\ufeff"):
            text = text[1:]
        try:
            line = parse_line(text.strip(), zone)
            if line is None or line.verb in IGNORED_VERBS:
                yield Translated(number)
                continue
            handler = verbs.get(line.verb)
            if handler is None:
                raise BadLine(f"unknown event {line.verb[:100]!r}")
            yield Translated(number, tuple(handler(line, ids)))
        except BadLine as error:
            yield Translated(number, error=str(error))
