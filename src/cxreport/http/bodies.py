"""Response bodies built from stored JSON text: records are joined into their envelope as bytes, never decoded
and encoded again (the cheap path the whole read side is built around)."""

from __future__ import annotations

from collections.abc import Callable

import msgspec

from cxreport.metrics import AgentSession
from cxreport.service.agents import AgentEventsResult
from cxreport.service.search import SearchResult
from cxreport.store.base import MAX_INSTANT, MIN_INSTANT, EventCounts, Tenant, UpsertCounts, Window
from cxreport.times import format_instant

_encode = msgspec.json.encode


def search_envelope(result: SearchResult, next_url: Callable[[str], str] | None = None) -> bytes:
    """The seed's envelope around the page's records, then what this implementation adds (the resolved time
    field, sort and window; the cursor to the next page and the URL that follows it)."""
    request, tenant = result.request, result.tenant
    head = b"".join(
        (
            b'{"page":',
            b"null" if request.page is None else str(request.page).encode(),
            b',"limit":',
            str(request.limit).encode(),
            b',"offset":',
            str(request.offset).encode(),
            b',"tenantId":',
            _encode(tenant.id),
            b',"total":',
            str(result.total).encode(),
            b',"tenantName":',
            _encode(tenant.name),
            b',"tenantTimezone":',
            _encode(tenant.timezone),
            b',"results":[',
        )
    )
    next_cursor = result.next_cursor
    tail = _encode(
        {
            "timeField": request.time_field,
            "sort": "desc" if request.descending else "asc",
            "window": _window_json(request.window),
            "next": next_cursor,
            "nextUrl": next_url(next_cursor) if next_cursor and next_url else None,
            **({"truncated": True} if result.truncated else {}),
        }
    )
    return joined(head, result.docs, b"]," + tail[1:])


def joined(head: bytes, docs: list[bytes], tail: bytes) -> bytes:
    """`head`, the documents separated by commas, then `tail`, made in one allocation: `head + b",".join(docs) +
    tail` copies a page's megabytes three times into fresh memory (1.45 ms for a 2 MB page against 0.16 ms)."""
    if not docs:
        return head + tail
    if len(docs) == 1:
        return b"".join((head, docs[0], tail))
    return b",".join([head + docs[0], *docs[1:-1], docs[-1] + tail])


def _window_json(window: Window) -> dict[str, str | None]:
    return {
        "start": None if window.start_us == MIN_INSTANT else format_instant(window.start_us),
        "end": None if window.end_us == MAX_INSTANT else format_instant(window.end_us),
    }


_DETAIL_FIELDS = (
    "endTimestamp",
    "interactionId",
    "contactPoint",
    "customer",
    "csat",
    "startTimestamp",
    "agents",
    "direction",
    "contactId",
    "channelType",
)
_decode_raw = msgspec.json.Decoder(dict[str, msgspec.Raw])


def with_details(doc: bytes) -> bytes:
    """One record with a `details` object appended (the fields of the original API's detail view, their values
    kept verbatim from the record's own JSON text)."""
    fields = _decode_raw.decode(doc)
    parts = [_encode(name) + b":" + bytes(fields[name]) for name in _DETAIL_FIELDS if name in fields]
    return doc[:-1] + b',"details":{' + b",".join(parts) + b"}}"


def events_envelope(
    tenant: Tenant, interaction_id: str, docs: list[bytes], paging: dict[str, object] | None = None
) -> bytes:
    """`{"tenantId", "interactionId", "results": [...]}` joined from the events' stored text; a page adds
    `limit`, `next` and `nextUrl` after them."""
    head = _encode({"tenantId": tenant.id, "interactionId": interaction_id})[:-1]
    tail = b"]," + _encode(paging)[1:] if paging else b"]}"
    return joined(head + b',"results":[', docs, tail)


def agent_events_envelope(result: AgentEventsResult, next_url: Callable[[str], str] | None = None) -> bytes:
    """`{"tenantId", "agentId", "window", "limit", "results": [...], "sessions", "next", "nextUrl"}`, the results
    joined from the events' stored text."""
    request = result.request
    head = _encode(
        {
            "tenantId": result.tenant.id,
            "agentId": request.agent_id,
            "window": _window_json(request.window),
            "limit": request.limit,
        }
    )
    tail = _encode(
        {
            "sessions": [_session_json(session) for session in result.sessions],
            "next": result.next_cursor,
            "nextUrl": next_url(result.next_cursor) if result.next_cursor and next_url else None,
        }
    )
    return joined(head[:-1] + b',"results":[', result.docs, b"]," + tail[1:])


def _session_json(session: AgentSession) -> dict[str, object]:
    return {
        "sessionId": session.session_id,
        "start": format_instant(session.start_us),
        "end": None if session.end_us is None else format_instant(session.end_us),
        "startedBy": session.started_by,
        "endedBy": session.ended_by,
        "states": [
            {
                "state": period.state,
                "reasonCode": period.reason_code,
                "start": format_instant(period.start_us),
                "end": None if period.end_us is None else format_instant(period.end_us),
            }
            for period in session.states
        ],
    }


def upsert_counts(counts: UpsertCounts) -> bytes:
    return _encode({"inserted": counts.inserted, "updated": counts.updated, "unchanged": counts.unchanged})


def event_counts(counts: EventCounts) -> bytes:
    return _encode({"accepted": counts.accepted, "duplicates": counts.duplicates, "interactions": counts.interactions})
