"""End to end, over HTTP on loopback: cursor paging (every record exactly once, in order, even while records
are ingested and updated), `next`/`nextUrl`, refused cursors, and offset paging agreeing with the walk."""

from __future__ import annotations

import string
import threading
import time
import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import httpx
import pytest

from cxreport.config import Settings
from cxreport.store import open_store
from support.servers import LiveServer, free_port, serving
from support.tenants import TenantKeys, make_tenant_keys

BASE = datetime(2024, 4, 1, tzinfo=UTC)
COUNT = 61
BATCHES = ((0, 20), (20, 45), (45, COUNT))
"""Posted in three requests, so that lastUpdated has three distinct times (and ties within each)."""


def iso(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


def rid(n: int) -> str:
    """Ids in no relation to n: ties on a time are broken in an order the position does not predict."""
    return str(uuid.uuid5(uuid.NAMESPACE_URL, f"cursor-paging/{n}"))


def start_of(n: int) -> datetime:
    return BASE + timedelta(minutes=n // 4)


def end_of(n: int) -> datetime | None:
    return None if n % 7 == 0 else start_of(n) + timedelta(minutes=n % 5)


def record(n: int) -> dict[str, Any]:
    body: dict[str, Any] = {"interactionId": rid(n), "startTimestamp": iso(start_of(n)),
                            "channelType": "voice" if n % 2 else "chat", "agents": [{"agentId": f"ag-{n % 3}"}]}
    end = end_of(n)
    if end is not None:
        body["endTimestamp"] = iso(end)
    return body


def batch_of(n: int) -> int:
    return next(index for index, (low, high) in enumerate(BATCHES) if low <= n < high)


def expected(query: str) -> list[str]:
    """The contract's order for this module's queries, computed from the records themselves."""
    params = dict(parse_qsl(query))
    numbers = list(range(COUNT))
    if "agentId" in params:
        agents = params["agentId"].split(",")
        numbers = [n for n in numbers if f"ag-{n % 3}" in agents]
    if "channelType" in params:
        numbers = [n for n in numbers if record(n)["channelType"] == params["channelType"]]
    field = params.get("timeField", "startTimestamp")
    key: Callable[[int], Any] = {
        "startTimestamp": lambda n: (start_of(n), rid(n)),
        "endTimestamp": lambda n: (end_of(n), rid(n)),
        "lastUpdated": lambda n: (batch_of(n), rid(n)),
    }[field]
    if field == "endTimestamp":
        numbers = [n for n in numbers if end_of(n) is not None]
    if "startTimeRange" in params:
        numbers = [n for n in numbers if start_of(n) >= datetime.fromisoformat(params["startTimeRange"])]
    if "endTimeRange" in params:
        numbers = [n for n in numbers if start_of(n) < datetime.fromisoformat(params["endTimeRange"])]
    ordered = sorted(numbers, key=key, reverse=params.get("sort", "desc") == "desc")
    return [rid(n) for n in ordered]


@pytest.fixture(scope="module")
def tenant(live_server: LiveServer, http: httpx.Client) -> TenantKeys:
    keys = make_tenant_keys(live_server.store)
    for low, high in BATCHES:
        response = http.post(f"/v1/tenants/{keys.id}/interactions", auth=keys.ingest,
                             json=[record(n) for n in range(low, high)])
        assert response.status_code == 200, response.text
        time.sleep(0.005)
    return keys


def get(http: httpx.Client, keys: TenantKeys, query: str) -> httpx.Response:
    return http.get(f"/v1/tenants/{keys.id}/interactions?{query}", auth=keys.read)


def search(http: httpx.Client, keys: TenantKeys, query: str) -> Any:
    response = get(http, keys, query)
    assert response.status_code == 200, response.text
    return response.json()


def ids(body: Any) -> list[str]:
    return [item["interactionId"] for item in body["results"]]


def check_next_url(keys: TenantKeys, body: Any, query: str) -> None:
    url = urlsplit(body["nextUrl"])
    assert not url.scheme and not url.netloc, "path and query only"
    assert url.path == f"/v1/tenants/{keys.id}/interactions"
    sent = [(k, v) for k, v in parse_qsl(query, keep_blank_values=True) if k not in ("cursor", "page", "offset")]
    continued = parse_qsl(url.query, keep_blank_values=True)
    assert ("cursor", body["next"]) in continued
    assert sorted(pair for pair in continued if pair[0] != "cursor") == sorted(sent)


def walk(http: httpx.Client, keys: TenantKeys, query: str, *, by_url: bool = False,
         between_pages: Callable[[], None] | None = None) -> tuple[list[list[str]], list[Any]]:
    """Every page of `query`, continuing by `next` (with the same query) or by `nextUrl` as given."""
    pages: list[list[str]] = []
    bodies: list[Any] = []
    body = search(http, keys, query)
    while True:
        pages.append(ids(body))
        bodies.append(body)
        if body["next"] is None:
            assert body["nextUrl"] is None
            return pages, bodies
        assert isinstance(body["next"], str) and body["next"]
        check_next_url(keys, body, query)
        assert len(pages) <= COUNT + 1, "the walk does not end"
        if between_pages:
            between_pages()
        if by_url:
            response = http.get(body["nextUrl"], auth=keys.read)
            assert response.status_code == 200, response.text
            body = response.json()
        else:
            body = search(http, keys, f"{query}&cursor={body['next']}" if query else f"cursor={body['next']}")


WALKS = [
    "",
    "agentId=ag-1",
    "agentId=ag-1,ag-2",
    "agentId=ag-0,ag-2&channelType=voice",
    "sort=asc",
    "sort=asc&agentId=ag-0,ag-2",
    "timeField=endTimestamp",
    "timeField=endTimestamp&sort=asc&channelType=chat",
    "timeField=lastUpdated",
    "timeField=lastUpdated&sort=asc&agentId=ag-2",
    "startTimeRange=2024-04-01T00:03:00Z&endTimeRange=2024-04-01T00:15:00Z",
    "startTimeRange=2024-04-01T00:03:00Z&endTimeRange=2024-04-01T00:15:00Z&sort=asc&agentId=ag-1",
]


@pytest.mark.parametrize("limit", [2, 7])
@pytest.mark.parametrize("query", WALKS)
def test_a_cursor_walk_returns_every_match_once_in_order(http: httpx.Client, tenant: TenantKeys, query: str,
                                                         limit: int) -> None:
    want = expected(query)
    assert len(want) > 2 * limit, "the walk spans several pages"
    whole = search(http, tenant, f"{query}&limit=1000")
    assert ids(whole) == want and whole["next"] is None and whole["nextUrl"] is None
    pages, bodies = walk(http, tenant, f"{query}&limit={limit}")
    assert [i for page in pages for i in page] == want
    assert [len(page) for page in pages[:-1]] == [limit] * (len(pages) - 1)
    assert 1 <= len(pages[-1]) <= limit
    assert all(body["total"] == len(want) for body in bodies), "total is the whole window's on every page"
    assert all(body["limit"] == limit for body in bodies)


@pytest.mark.parametrize("query", ["", "agentId=ag-1,ag-2&sort=asc", "timeField=endTimestamp&channelType=voice"])
def test_walking_by_next_url_as_given(http: httpx.Client, tenant: TenantKeys, query: str) -> None:
    pages, bodies = walk(http, tenant, f"limit=6&{query}", by_url=True)
    assert [i for page in pages for i in page] == expected(query)
    assert len(pages) > 2
    assert {body["total"] for body in bodies} == {len(expected(query))}


def test_the_last_page_has_no_next_even_when_full(http: httpx.Client, tenant: TenantKeys) -> None:
    want = expected("agentId=ag-1")
    assert len(want) == 20
    pages, bodies = walk(http, tenant, "agentId=ag-1&limit=5")
    assert [len(page) for page in pages] == [5, 5, 5, 5]
    assert bodies[-1]["next"] is None and bodies[-1]["nextUrl"] is None
    single = search(http, tenant, "agentId=ag-1&limit=20")
    assert ids(single) == want and single["next"] is None and single["nextUrl"] is None
    assert search(http, tenant, "agentId=ag-1&limit=19")["next"] is not None
    empty = search(http, tenant, "agentId=ag-404")
    assert empty["results"] == [] and empty["next"] is None and empty["nextUrl"] is None


def test_the_limit_may_change_along_the_walk(http: httpx.Client, tenant: TenantKeys) -> None:
    want = expected("agentId=ag-0,ag-2")
    first = search(http, tenant, "agentId=ag-0,ag-2&limit=3")
    second = search(http, tenant, f"agentId=ag-0,ag-2&limit=10&cursor={first['next']}")
    assert ids(first) + ids(second) == want[:13]
    third = search(http, tenant, f"agentId=ag-0,ag-2&limit=1000&cursor={second['next']}")
    assert ids(third) == want[13:] and third["next"] is None


def test_a_walk_may_start_at_an_offset_and_continue_by_cursor(http: httpx.Client, tenant: TenantKeys) -> None:
    want = expected("sort=asc")
    body = search(http, tenant, "sort=asc&limit=5&offset=12")
    assert ids(body) == want[12:17]
    check_next_url(tenant, body, "sort=asc&limit=5&offset=12")
    assert "offset" not in body["nextUrl"] and "page" not in body["nextUrl"]
    rest = http.get(body["nextUrl"], auth=tenant.read).json()
    assert ids(rest) == want[17:22]
    by_page = search(http, tenant, "sort=asc&limit=5&page=3")
    assert ids(by_page) == want[15:20]
    assert ids(http.get(by_page["nextUrl"], auth=tenant.read).json()) == want[20:25]


def test_next_url_keeps_awkward_filter_values_intact(http: httpx.Client,
                                                    new_tenant: Callable[..., TenantKeys]) -> None:
    keys = new_tenant()
    customers = ["+1 (555) 010-0100", "Zoë & Co/東京", "100% sure?#", "other"]
    records = [{"interactionId": rid(n), "startTimestamp": iso(BASE + timedelta(seconds=n % 4)),
                "customer": customers[n % 4]} for n in range(24)]
    response = http.post(f"/v1/tenants/{keys.id}/interactions", auth=keys.ingest, json=records)
    assert response.status_code == 200, response.text
    wanted = [r for r in records if r["customer"] != "other"]
    want = [r["interactionId"] for r in sorted(wanted, key=lambda r: (r["startTimestamp"], r["interactionId"]),
                                               reverse=True)]
    response = http.get(f"/v1/tenants/{keys.id}/interactions", auth=keys.read,
                        params={"customer": ",".join(customers[:3]), "start": "2024-04-01T02:00+02:00", "limit": 4})
    assert response.status_code == 200, response.text
    body = response.json()
    walked = ids(body)
    while body["nextUrl"]:
        response = http.get(body["nextUrl"], auth=keys.read)
        assert response.status_code == 200, response.text
        body = response.json()
        walked += ids(body)
    assert walked == want and len(want) == 18


# --- offset paging agrees with the walk ------------------------------------------------------------------------

@pytest.mark.parametrize("query", ["", "agentId=ag-1,ag-2&sort=asc", "timeField=endTimestamp&channelType=chat"])
def test_offsets_and_pages_land_where_the_walk_does(http: httpx.Client, tenant: TenantKeys, query: str) -> None:
    pages, _ = walk(http, tenant, f"{query}&limit=7")
    walked = [i for page in pages for i in page]
    for offset in sorted({0, 1, 6, 7, 13, len(walked) // 2, len(walked) - 8, len(walked) - 1, len(walked),
                          len(walked) + 5}):
        body = search(http, tenant, f"{query}&limit=7&offset={offset}")
        assert ids(body) == walked[offset:offset + 7], offset
        assert body["offset"] == offset and body["total"] == len(walked)
    for number, page in enumerate(pages):
        body = search(http, tenant, f"{query}&limit=7&page={number}")
        assert ids(body) == page
        assert body["page"] == number and body["offset"] == 7 * number


# --- refused cursors -----------------------------------------------------------------------------------------

def assert_cursor_refused(response: httpx.Response) -> None:
    assert response.status_code == 400, response.text
    body = response.json()
    assert body["status"] == 400 and body["code"] == "invalid_parameter", body
    assert body["parameter"] == "cursor", body
    assert isinstance(body["message"], str) and body["message"]


@pytest.fixture(scope="module")
def a_cursor(http: httpx.Client, tenant: TenantKeys) -> str:
    cursor: str = search(http, tenant, "agentId=ag-1&limit=3")["next"]
    assert cursor
    return cursor


B64URL = string.ascii_uppercase + string.ascii_lowercase + string.digits + "-_"


def test_a_cursor_with_its_content_changed_is_refused(http: httpx.Client, tenant: TenantKeys,
                                                      a_cursor: str) -> None:
    """Every character in turn replaced by one that decodes to other bytes (the high bit of its 6 flipped)."""
    assert search(http, tenant, f"agentId=ag-1&limit=3&cursor={a_cursor}")["results"]
    for position, char in enumerate(a_cursor):
        replaced = "_" if char == "." else B64URL[B64URL.index(char) ^ 32]
        tampered = a_cursor[:position] + replaced + a_cursor[position + 1:]
        assert_cursor_refused(get(http, tenant, f"agentId=ag-1&limit=3&cursor={tampered}"))


def test_a_cursor_with_any_character_changed_is_refused(http: httpx.Client, tenant: TenantKeys,
                                                        a_cursor: str) -> None:
    """Every character in turn replaced by its neighbour in the alphabet, the last ones included (whose
    low bits base64 leaves unused): a cursor that is not the one the server issued is not accepted."""
    accepted = []
    for position, char in enumerate(a_cursor):
        if char == ".":
            continue
        tampered = a_cursor[:position] + B64URL[B64URL.index(char) ^ 1] + a_cursor[position + 1:]
        response = get(http, tenant, f"agentId=ag-1&limit=3&cursor={tampered}")
        if response.status_code != 400:
            accepted.append((position, tampered))
        else:
            assert_cursor_refused(response)
    assert accepted == [], f"changed cursors accepted (of {len(a_cursor)} characters)"


@pytest.mark.parametrize("cursor", ["", "abc", "a.b", ".", "x" * 300, "WzFd.AAAA", "%00", "..."])
def test_garbage_is_not_a_cursor(http: httpx.Client, tenant: TenantKeys, cursor: str) -> None:
    assert_cursor_refused(http.get(f"/v1/tenants/{tenant.id}/interactions", params={"cursor": cursor},
                                   auth=tenant.read))


def test_a_cursor_of_another_tenant_is_refused(http: httpx.Client, live_server: LiveServer, tenant: TenantKeys,
                                               a_cursor: str) -> None:
    other = make_tenant_keys(live_server.store)
    response = http.post(f"/v1/tenants/{other.id}/interactions", auth=other.ingest,
                         json=[record(n) for n in range(COUNT)])
    assert response.status_code == 200, response.text
    assert search(http, other, "agentId=ag-1&limit=3")["total"] == 20
    assert_cursor_refused(get(http, other, f"agentId=ag-1&limit=3&cursor={a_cursor}"))


@pytest.mark.parametrize("query", [
    "limit=3",
    "agentId=ag-2&limit=3",
    "agentId=ag-1,ag-2&limit=3",
    "agentId=ag-1&channelType=voice&limit=3",
    "agentId=ag-1&flagged=false&limit=3",
    "agentId=ag-1&limit=3&sort=asc",
    "agentId=ag-1&limit=3&timeField=endTimestamp",
    "agentId=ag-1&limit=3&timeField=lastUpdated",
    "agentId=ag-1&limit=3&startTimeRange=2024-04-01T00:00Z",
    "agentId=ag-1&limit=3&endTimeRange=2024-04-02T00:00Z",
    "agentId=ag-1&limit=3&startTimeRange=2024-03-01T00:00Z&endTimeRange=2024-05-01T00:00Z",
])
def test_a_cursor_only_continues_its_own_query(http: httpx.Client, tenant: TenantKeys, a_cursor: str,
                                               query: str) -> None:
    assert_cursor_refused(get(http, tenant, f"{query}&cursor={a_cursor}"))


def test_the_same_query_spelled_otherwise_continues(http: httpx.Client, tenant: TenantKeys) -> None:
    want = expected("agentId=ag-1,ag-2")
    first = search(http, tenant, "agentId=ag-1,ag-2&limit=4&startTimeRange=2024-04-01T00:00Z")
    again = search(http, tenant, f"agentId=ag-1&agentId=ag-2&limit=4&start=2024-04-01T02:00%2B02:00"
                                 f"&cursor={first['next']}")
    assert ids(first) + ids(again) == want[:8]


@pytest.mark.parametrize("extra", ["page=0", "page=1", "offset=0", "offset=5", "page=1&offset=3"])
def test_a_cursor_with_page_or_offset_is_refused(http: httpx.Client, tenant: TenantKeys, a_cursor: str,
                                                 extra: str) -> None:
    assert_cursor_refused(get(http, tenant, f"agentId=ag-1&limit=3&cursor={a_cursor}&{extra}"))


# --- walking while records are ingested and updated -------------------------------------------------------------

class Writer(threading.Thread):
    """Posts new records (some tied with existing start times) and updates existing ones (same start time,
    same agent: still matching) until told to stop."""

    def __init__(self, server: LiveServer, keys: TenantKeys, existing: list[dict[str, Any]]) -> None:
        super().__init__(daemon=True)
        self.server, self.keys, self.existing = server, keys, existing
        self.stop = threading.Event()
        self.posts = 0
        self.new_ids: set[str] = set()
        self.error: str | None = None

    def run(self) -> None:
        round_ = 0
        with self.server.client(self.keys.ingest) as client:
            while not self.stop.is_set():
                round_ += 1
                fresh: list[dict[str, Any]] = []
                for k in range(4):
                    n = round_ * 10 + k
                    start = BASE + timedelta(seconds=(n * 37) % 1200) if k % 2 else \
                        datetime.fromisoformat(self.existing[(n * 13) % len(self.existing)]["startTimestamp"])
                    fresh.append({"interactionId": str(uuid.uuid4()), "startTimestamp": iso(start),
                                  "agents": [{"agentId": f"ag-{n % 3}"}], "customer": f"new-{n}"})
                updated = [{**self.existing[(round_ * 7 + k) % len(self.existing)], "customer": f"round-{round_}"}
                           for k in range(4)]
                response = client.post(f"/v1/tenants/{self.keys.id}/interactions", json=fresh + updated)
                if response.status_code != 200:
                    self.error = response.text
                    return
                self.new_ids.update(item["interactionId"] for item in fresh)
                self.posts += 1


@pytest.mark.parametrize("query", ["", "agentId=ag-1,ag-2&sort=asc"])
def test_a_cursor_walk_under_concurrent_ingest_misses_nothing_and_repeats_nothing(
        live_server: LiveServer, http: httpx.Client, new_tenant: Callable[..., TenantKeys], query: str) -> None:
    keys = new_tenant()
    existing = [{"interactionId": str(uuid.uuid4()),
                 "startTimestamp": iso(BASE + timedelta(seconds=(n // 3) * 4)),
                 "agents": [{"agentId": f"ag-{n % 3}"}], "customer": "original"} for n in range(300)]
    response = http.post(f"/v1/tenants/{keys.id}/interactions", auth=keys.ingest, json=existing)
    assert response.status_code == 200, response.text
    before = search(http, keys, f"{query}&limit=1000")
    before_ids = ids(before)
    assert len(before_ids) == before["total"] > 150

    writer = Writer(live_server, keys, existing)
    posts_seen: list[int] = []
    writer.start()
    try:
        deadline = time.monotonic() + 5
        while writer.posts == 0 and time.monotonic() < deadline:
            time.sleep(0.001)

        def interleave() -> None:
            """Every few pages, wait (boundedly) for the writer's next post: writes land during the walk
            however fast the walk runs and however slow the writer is."""
            posts_seen.append(writer.posts)
            if len(posts_seen) % 4 == 0:
                wait_until = time.monotonic() + 5
                while writer.posts == posts_seen[-1] and time.monotonic() < wait_until:
                    time.sleep(0.001)

        pages, bodies = walk(http, keys, f"{query}&limit=7", between_pages=interleave)
    finally:
        writer.stop.set()
        writer.join(timeout=10)
    assert writer.error is None, writer.error
    assert posts_seen[-1] - posts_seen[0] >= 3, "records were written while the walk went on"
    walked = [i for page in pages for i in page]
    assert len(walked) == len(set(walked)), "no record twice"
    assert set(before_ids) <= set(walked), f"missed: {sorted(set(before_ids) - set(walked))}"
    assert set(walked) - set(before_ids) <= writer.new_ids, "nothing but the new records besides"
    time_key = [(item["startTimestamp"], item["interactionId"]) for body in bodies for item in body["results"]]
    assert time_key == sorted(time_key, reverse="sort=asc" not in query), "in order throughout"
    assert [i for i in walked if i in set(before_ids)] == before_ids, "the records that were there, in order"
    after = search(http, keys, f"{query}&limit=1000")
    assert set(walked) <= set(ids(after))


def test_pages_are_capped_in_bytes(tmp_path: Path) -> None:
    """CXREPORT_MAX_PAGE_BYTES ends a page early (`truncated`, with `next`); a record larger than the cap alone
    is a page of its own, so a cursor walk still returns every record once."""
    settings = Settings(database_url=f"sqlite:///{tmp_path / 'bytes.db'}", port=free_port(), rate_limit=0,
                        max_page_bytes=3000)
    capped = open_store(settings.database_url)
    capped.migrate()
    keys = make_tenant_keys(capped)
    sizes = [800] * 7 + [6000] + [800] * 4
    records = [{"interactionId": f"00000000-0000-4000-8000-{n:012d}",
                "startTimestamp": f"2024-01-01T00:{n:02d}:00.000Z", "contactId": "ct-1", "flowName": "x" * size}
               for n, size in enumerate(sizes)]
    try:
        with serving(settings, capped) as base, httpx.Client(base_url=base, timeout=30) as client:
            assert client.post(f"/v1/tenants/{keys.id}/interactions", json=records, auth=keys.ingest).status_code == 200
            seen: list[str] = []
            pages: list[int] = []
            url: str | None = f"/v1/tenants/{keys.id}/interactions?limit=100&sort=asc"
            while url:
                body = client.get(url, auth=keys.read).json()
                pages.append(len(body["results"]))
                seen += [record["interactionId"] for record in body["results"]]
                assert body.get("truncated") is (True if body["next"] else None)
                url = body["nextUrl"]
            assert seen == [record["interactionId"] for record in records]
            assert pages == [3, 3, 1, 1, 3, 1]  # ~830 bytes a record in 3000; the 6000-byte one alone
            history = client.get(f"/v1/tenants/{keys.id}/contacts/ct-1/interactions?limit=10", auth=keys.read).json()
            assert history["truncated"] is True and 1 <= len(history["results"]) <= 3
            small = client.get(f"/v1/tenants/{keys.id}/interactions?limit=2&sort=asc", auth=keys.read).json()
            assert "truncated" not in small and len(small["results"]) == 2
    finally:
        capped.close()
