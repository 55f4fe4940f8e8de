"""The search's fast path (`http/fast_search.py`) answers exactly as the declared route does: two servers on
loopback over one database, one with the fast path and one without, asked the same requests; every answer's
status, headers (but `date`) and body must be the same, byte for byte. And the fast path does take the requests
it is meant for, and hands every other one to the route."""

from __future__ import annotations

import base64
import json
import logging
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass, replace
from pathlib import Path

import httpx
import pytest

from cxreport.config import Settings
from cxreport.http import create_app
from cxreport.http.fast_search import INLINE_BELOW_S, FastSearch, search_from_query
from cxreport.http.search_query import paged, search_request
from cxreport.records.filters import Filter
from cxreport.service import credentials
from cxreport.service.principal_cache import PrincipalMemo
from cxreport.store import Store, open_store
from support.data import SEED_TENANT_ID
from support.servers import free_port, serving_app
from support.tenants import TenantKeys, make_tenant_keys

PATH = f"/v1/tenants/{SEED_TENANT_ID}/interactions"
WINDOW = "startTimeRange=2017-12-01T00:00:00.000Z&endTimeRange=2018-02-01T00:00:00.000Z"


@dataclass
class Pair:
    fast: str
    slow: str
    fast_path: FastSearch
    keys: TenantKeys
    other: TenantKeys
    store: Store


@pytest.fixture(scope="module")
def pair(tmp_path_factory: pytest.TempPathFactory, sample_raw_records: list[bytes]) -> Iterator[Pair]:
    folder: Path = tmp_path_factory.mktemp("fast")
    store = open_store(f"sqlite:///{folder / 'cxreport.db'}")
    store.migrate()
    keys = make_tenant_keys(store, SEED_TENANT_ID)
    other = make_tenant_keys(store)
    body = b"[" + b",".join(sample_raw_records) + b"]"
    settings = Settings(database_url=f"sqlite:///{folder / 'cxreport.db'}", port=free_port(), rate_limit=0)
    fast_app = create_app(settings, store)
    slow_app = create_app(settings, store, fast_paths=False)
    fast_path = fast_app.asgi_handler.fast  # type: ignore[attr-defined]
    assert isinstance(fast_path, FastSearch)
    # A memo of a minute, so that a request right after a key's first is surely the fast path's (with the
    # default second, one request a second of each key reads the database through the route again)
    fast_path.memo = fast_app.state.principals = PrincipalMemo(memo_seconds=60)
    assert slow_app.asgi_handler.fast is None  # type: ignore[attr-defined]
    with serving_app(fast_app, settings.port) as fast, serving_app(slow_app, free_port()) as slow:
        reply = httpx.post(f"{slow}{PATH}", content=body, auth=keys.ingest, timeout=30)
        assert reply.json() == {"inserted": 10, "updated": 0, "unchanged": 0}
        yield Pair(fast, slow, fast_path, keys, other, store)
    store.close()


def _answer(response: httpx.Response) -> tuple[int, list[tuple[bytes, bytes]], bytes]:
    headers = [(name.lower(), value) for name, value in response.headers.raw if name.lower() != b"date"]
    assert headers[0] == (b"server", b"uvicorn")  # uvicorn's, then the app's
    headers = headers[1:]
    return response.status_code, headers, response.content


def _both(pair: Pair, query: str, auth: tuple[str, str] | None, path: str = PATH,
          headers: dict[str, str] | None = None) -> tuple[tuple[int, list[tuple[bytes, bytes]], bytes], int]:
    """The answer of both servers (asserted equal), and how many requests the fast path answered meanwhile."""
    answered = pair.fast_path.answered
    url = f"{path}?{query}" if query else path
    fast = _answer(httpx.get(pair.fast + url, auth=auth, headers=headers, timeout=30))
    slow = _answer(httpx.get(pair.slow + url, auth=auth, headers=headers, timeout=30))
    assert fast == slow, query
    return fast, pair.fast_path.answered - answered


ANSWERED = [
    "",
    WINDOW,
    "startTimeRange=2017-12-29T14:00:00.000Z&endTimeRange=2017-12-29T24:00:00.000Z",
    f"{WINDOW}&limit=3",
    f"{WINDOW}&limit=3&page=1",
    f"{WINDOW}&limit=3&offset=3",
    f"{WINDOW}&limit=3&page=1&offset=3",
    f"{WINDOW}&limit=0",
    f"{WINDOW}&sort=asc&limit=4",
    f"{WINDOW}&timeField=endTimestamp",
    f"{WINDOW}&includeNulls=true",
    f"{WINDOW}&includenulls=false&includeNulls=true",
    "start=2017-12-01T00:00Z&end=2018-01-01",
    f"{WINDOW}&channelType=voice",
    f"{WINDOW}&channelType=voice,email&direction=inbound",
    f"{WINDOW}&flagged=true",
    f"{WINDOW}&abandoned=false&limit=2",
    f"{WINDOW}&queueId=3703e470-834a-11e7-b08f-6e56a766befb",
    f"{WINDOW}&customer=%2B15553005556",
    f"{WINDOW}&customer=+15553005556",
    "startTimeRange=2030-01-01T00:00:00Z",
]


@pytest.mark.parametrize("query", ANSWERED)
def test_the_fast_path_answers_searches_as_the_route_does(pair: Pair, query: str) -> None:
    _both(pair, "limit=1", pair.keys.read)  # the key known to both servers' memos
    (status, headers, body), answered = _both(pair, query, pair.keys.read)
    assert status == 200, body
    assert answered == 1
    assert headers == [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]
    assert json.loads(body)["tenantId"] == SEED_TENANT_ID


REFUSED = [
    "limit=abc", "limit=1.0", "limit=1e3", "limit=-1", "limit=1001", "limit=", "limit=99999999999999999999",
    "page=-1", "page=1&offset=5", "offset=2000000000", "cursor=garbage", "cursor=x&page=1",
    "startTimeRange=yesterday", "endTimeRange=2017-13-01T00:00Z", "start=2017-12-01T00:00Z&startTimeRange=2017-12-01",
    "startTimeRange=2018-01-01T00:00Z&endTimeRange=2017-01-01T00:00Z", "sort=up", "timeField=createdAt",
    "unknown=1", "channelType=", "channelType=voice&channelType=sms", "channelType=%20", "flagged=TRUE",
    "flagged=maybe", "includeNulls=yes", "includeNulls=1", "hookName=x", "attribute-value=y", "hookSubType=a",
    "limit=5&limit=6", "format=csv", "limit=007", "limit=+5", "startTimeRange=2017-12-01T00:00Z%00",
]


@pytest.mark.parametrize("query", REFUSED)
def test_the_route_answers_what_the_fast_path_leaves_and_errors_stay_the_same(pair: Pair, query: str) -> None:
    _both(pair, "limit=1", pair.keys.read)
    (status, _headers, body), _answered = _both(pair, query, pair.keys.read)
    if query in ("channelType=voice&channelType=sms", "includeNulls=1", "limit=5&limit=6", "flagged=TRUE"):
        assert status in (200, 400), body  # whatever the route makes of these, the fast path left them to it
    else:
        assert status == 400, body
    if status == 400:
        assert json.loads(body)["code"] in ("invalid_parameter", "unknown_parameter"), body


@pytest.mark.parametrize("query", ["limit=abc", "channelType=voice&channelType=sms", "includeNulls=1",
                                   "limit=1.0", "unknown=1", "cursor=garbage", "format=csv"])
def test_what_the_fast_path_cannot_read_surely_goes_to_the_route_untouched(pair: Pair, query: str) -> None:
    _both(pair, "limit=1", pair.keys.read)
    _, answered = _both(pair, query, pair.keys.read)
    assert answered == (1 if query == "cursor=garbage" else 0)  # a bad cursor shows only in the search itself


def test_authentication_and_authorization_errors_are_the_routes(pair: Pair) -> None:
    _both(pair, "limit=1", pair.keys.read)
    cases: list[tuple[tuple[str, str] | None, dict[str, str] | None, int]] = [
        (None, None, 401),
        ((pair.keys.read[0], "wrong"), None, 401),
        (pair.other.read, None, 403),
        (None, {"authorization": "Bearer nothing"}, 401),
        (None, {"authorization": "Digest x"}, 401),
        (pair.keys.ingest, None, 200),
        (pair.keys.admin, None, 200),
    ]
    for auth, headers, expected in cases:
        _both(pair, WINDOW, auth, headers=headers)  # the first: the memo learns a good key
        (status, sent, body), answered = _both(pair, WINDOW, auth, headers=headers)
        assert status == expected, body
        assert answered == (1 if expected == 200 else 0)
        if expected == 401:
            assert (b"www-authenticate", b'Basic realm="cxreport", Token') in sent


def test_other_paths_and_methods_go_to_the_route(pair: Pair) -> None:
    _both(pair, "limit=1", pair.keys.read)
    upper = f"/v1/tenants/{SEED_TENANT_ID.upper()}/interactions"
    for path, expected, fast in ((PATH + "/", 200, 0), (upper, 200, 1), (f"{PATH}/export", 200, 0),
                                 (f"/v1/tenants/{pair.other.id}/interactions", 403, 0)):
        (status, _, body), answered = _both(pair, WINDOW, pair.keys.read, path=path)
        assert (status, answered) == (expected, fast), (path, body)
    answered = pair.fast_path.answered
    fast = httpx.head(pair.fast + PATH, auth=pair.keys.read, timeout=30)
    slow = httpx.head(pair.slow + PATH, auth=pair.keys.read, timeout=30)
    assert fast.status_code == slow.status_code
    assert pair.fast_path.answered == answered


def test_a_cursor_walk_is_the_same_on_both_paths(pair: Pair) -> None:
    query = f"{WINDOW}&limit=3"
    _both(pair, query, pair.keys.read)
    seen: list[str] = []
    for _ in range(10):
        (status, _, body), answered = _both(pair, query, pair.keys.read)
        page = json.loads(body)
        assert status == 200 and answered == 1
        seen += [record["interactionId"] for record in page["results"]]
        if page["next"] is None:
            break
        assert page["nextUrl"].startswith(PATH + "?")
        query = page["nextUrl"].split("?", 1)[1]
    assert len(seen) == len(set(seen)) == 10


def test_a_revoked_key_stops_working_on_the_fast_path_within_a_second(tmp_path: Path) -> None:
    store = open_store(f"sqlite:///{tmp_path / 'revoked.db'}")
    store.migrate()
    keys = make_tenant_keys(store, SEED_TENANT_ID)
    settings = Settings(database_url=f"sqlite:///{tmp_path / 'revoked.db'}", port=free_port(), rate_limit=0)
    app = create_app(settings, store)
    with serving_app(app, settings.port) as base, httpx.Client(base_url=base, auth=keys.read, timeout=30) as client:
        assert [client.get(PATH).status_code for _ in range(3)] == [200, 200, 200]
        fast = app.asgi_handler.fast  # type: ignore[attr-defined]
        assert fast.answered == 3  # the first too: the key looked up by the fast path, as the guard would
        credentials.revoke_key(store, keys.read[0], SEED_TENANT_ID)  # as another process would: no forget_all
        time.sleep(1.05)
        refused = client.get(PATH)
        assert fast.answered == 3
    store.close()
    assert refused.status_code == 401, refused.text
    assert refused.json()["code"] == "unauthenticated"


def test_a_failing_search_is_answered_by_the_apps_handlers(pair: Pair) -> None:
    """A cursor that is no cursor fails in the search itself, after the fast path took the request: the app's
    exception handler renders it, as the route's failure is rendered."""
    _both(pair, "limit=1", pair.keys.read)
    (status, sent, body), answered = _both(pair, f"{WINDOW}&cursor=bm90LWEtY3Vyc29y", pair.keys.read)
    assert answered == 1
    assert status == 400 and json.loads(body)["parameter"] == "cursor"
    assert sent == [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]


def test_rate_limit_headers_and_the_429_are_the_same(tmp_path: Path, sample_raw_records: list[bytes]) -> None:
    store = open_store(f"sqlite:///{tmp_path / 'limited.db'}")
    store.migrate()
    keys = make_tenant_keys(store, SEED_TENANT_ID)
    settings = Settings(database_url=f"sqlite:///{tmp_path / 'limited.db'}", port=free_port(), rate_limit=1,
                        rate_burst=4)
    fast_app, slow_app = create_app(settings, store), create_app(settings, store, fast_paths=False)
    answers: dict[str, list[tuple[int, list[tuple[bytes, bytes]], bytes]]] = {}
    with serving_app(fast_app, settings.port) as fast, serving_app(slow_app, free_port()) as slow:
        for name, base in (("fast", fast), ("slow", slow)):
            with httpx.Client(base_url=base, auth=keys.read, timeout=30) as client:
                answers[name] = [_answer(client.get(PATH, params={"limit": "1"})) for _ in range(6)]
    store.close()
    assert [status for status, _, _ in answers["fast"]] == [200, 200, 200, 200, 429, 429]
    assert fast_app.asgi_handler.fast.answered == 4  # type: ignore[attr-defined]  # the 429s are the route's
    for fast_answer, slow_answer in zip(answers["fast"], answers["slow"], strict=True):
        fast_headers, slow_headers = dict(fast_answer[1]), dict(slow_answer[1])
        assert fast_answer[0] == slow_answer[0]
        assert fast_answer[2] == slow_answer[2]
        assert fast_headers.keys() == slow_headers.keys()
        assert fast_headers[b"ratelimit-remaining"] == slow_headers[b"ratelimit-remaining"]
    assert [dict(h)[b"ratelimit-remaining"] for _, h, _ in answers["fast"]] == [b"3", b"2", b"1", b"0", b"0", b"0"]
    assert b"retry-after" in dict(answers["fast"][4][1])


def test_the_access_log_names_the_route_tenant_and_key_on_the_fast_path(
        pair: Pair, caplog: pytest.LogCaptureFixture) -> None:
    _both(pair, "limit=1", pair.keys.read)
    answered = pair.fast_path.answered
    with caplog.at_level(logging.INFO, logger="cxreport.access"):
        assert httpx.get(pair.fast + PATH, params={"limit": "2"}, auth=pair.keys.read, timeout=30).status_code == 200
    assert pair.fast_path.answered == answered + 1
    entries = [json.loads(r.getMessage()) for r in caplog.records if r.name == "cxreport.access"]
    assert entries[-1]["route"] == "/v1/tenants/{tenantId}/interactions"
    assert entries[-1]["tenant"] == SEED_TENANT_ID and entries[-1]["key"] == pair.keys.read[0]
    assert entries[-1]["status"] == 200 and entries[-1]["bytes"] > 1000


def test_search_from_query_reads_what_the_route_reads() -> None:
    expected = paged(search_request(("2017-12-29T14:00:00.000Z", "startTimeRange"),
                                    ("2017-12-29T24:00:00.000Z", "endTimeRange")), 10, None, None)
    seed = b"startTimeRange=2017-12-29T14:00:00.000Z&endTimeRange=2017-12-29T24:00:00.000Z&limit=10"
    assert search_from_query(seed, 0) == expected
    filtered = search_from_query(b"channelType=voice,sms&flagged=true&sort=asc&limit=5&page=2", 99)
    assert filtered is not None
    assert filtered.filters == (Filter("channelType", ("voice", "sms")), Filter("flagged", ("true",)))
    assert (filtered.descending, filtered.limit, filtered.offset, filtered.page, filtered.max_bytes) == (
        False, 5, 10, 2, 99)
    for unsure in (b"limit=007", b"limit=+5", b"limit=1.0", b"limit=", b"x=1", b"limit=1&limit=2", b"includeNulls=1",
                   b"flagged=True"):
        assert search_from_query(unsure, 0) is None, unsure
    with pytest.raises(Exception, match="limit must be between 0 and 1000"):
        search_from_query(b"limit=1001", 0)


def test_basic_credentials_with_odd_headers_go_to_the_route(pair: Pair) -> None:
    _both(pair, "limit=1", pair.keys.read)
    token = base64.b64encode(f"{pair.keys.read[0]}:{pair.keys.read[1]}".encode()).decode()
    (status, _, _), answered = _both(pair, "", None, headers={"authorization": f"Basic {token}", "host": "bad host"})
    assert status == 400 and answered == 0


def test_each_search_is_timed_and_one_that_was_slow_is_timed_again(pair: Pair) -> None:
    """On SQLite a search whose last run was short runs on the event loop; every run is timed, so the decision
    follows the search's cost (here: a remembered slow run sends it to a worker thread, which times it anew)."""
    fast = pair.fast_path
    assert fast.inline is True  # SQLite's reads are in-process work
    query = f"{WINDOW}&limit=2&sort=asc"
    _both(pair, "limit=1", pair.keys.read)
    _both(pair, query, pair.keys.read)
    timed = [key for key in fast._durations if key[1].endswith(b"limit=2&sort=asc")]
    assert len(timed) == 1 and timed[0][0] == SEED_TENANT_ID
    assert 0 < fast._durations[timed[0]] < INLINE_BELOW_S
    fast._durations[timed[0]] = 10.0  # as if its last run had taken 10 s
    (status, _, _), answered = _both(pair, query, pair.keys.read)
    assert (status, answered) == (200, 1)
    assert fast._durations[timed[0]] < INLINE_BELOW_S


_WRITE_IN_ANOTHER_PROCESS = """
import sys
from cxreport.service import interactions
from cxreport.store import open_store
store = open_store(sys.argv[1])
print(interactions.ingest(store, sys.argv[2], sys.argv[3].encode()).inserted)
store.close()
"""


def test_a_remembered_answer_is_never_stale_nor_another_tenants(
        tmp_path: Path, sample_raw_records: list[bytes]) -> None:
    """A search asked again is answered from the bytes remembered under the tenant's change counter: the same
    bytes as the route's; a write in another process (its own connection, its own memory) moves the counter, and
    the next search sees the write; a write to another tenant changes nothing of this tenant's answers, and the
    same query string of another tenant is that tenant's answer."""
    url = f"sqlite:///{tmp_path / 'answers.db'}"
    store = open_store(url)
    store.migrate()
    keys, other = make_tenant_keys(store, SEED_TENANT_ID), make_tenant_keys(store)
    settings = Settings(database_url=url, port=free_port(), rate_limit=0)
    fast_app, slow_app = create_app(settings, store), create_app(settings, store, fast_paths=False)
    fast_path: FastSearch = fast_app.asgi_handler.fast  # type: ignore[attr-defined]
    fast_path.memo = fast_app.state.principals = PrincipalMemo(memo_seconds=60)
    first, rest = b"[" + sample_raw_records[0] + b"]", b"[" + b",".join(sample_raw_records[1:]) + b"]"

    def write(tenant: str, body: bytes) -> None:
        done = subprocess.run([sys.executable, "-c", _WRITE_IN_ANOTHER_PROCESS, url, tenant, body.decode()],
                              capture_output=True, text=True, check=True)
        assert int(done.stdout) > 0, done.stderr

    with serving_app(fast_app, settings.port) as fast, serving_app(slow_app, free_port()) as slow:
        pair = Pair(fast, slow, fast_path, keys, other, store)

        def total(auth: tuple[str, str] = keys.read, path: str = PATH) -> int:
            (status, _, body), answered = _both(pair, WINDOW, auth, path=path)
            assert (status, answered) == (200, 1), body
            return int(json.loads(body)["total"])

        write(SEED_TENANT_ID, first)
        assert total() == 1
        answers = fast_path.answers
        assert answers is not None
        hits = answers.hits
        assert total() == 1
        assert answers.hits == hits + 1  # the same bytes as the route's, remembered
        write(other.id, first.replace(b"2336d1ec-c956-47e1-b3b1-fe8fde81b2b4", other.id.encode()))
        assert total() == 1 and answers.hits == hits + 2  # another tenant's write moves nothing here
        assert total(other.read, f"/v1/tenants/{other.id}/interactions") == 1  # its own answer, not ours
        write(SEED_TENANT_ID, rest)
        assert total() == 10  # the write of another process, seen at once
        assert answers.hits == hits + 2
    store.close()


def test_remembered_answers_can_be_turned_off(tmp_path: Path) -> None:
    store = open_store(f"sqlite:///{tmp_path / 'off.db'}")
    store.migrate()
    settings = Settings(database_url=f"sqlite:///{tmp_path / 'off.db'}", search_answers_bytes=0)
    assert FastSearch(create_app(settings, store)).answers is None
    assert FastSearch(create_app(replace(settings, search_answers_bytes=1000), store)).answers is not None
    store.close()


def test_a_remembered_answer_lives_a_second_at_most(pair: Pair) -> None:
    """Changes made behind cxreport's back (no counter moved) are seen within a second."""
    answers = pair.fast_path.answers
    assert answers is not None
    query = f"{WINDOW}&limit=4"
    _both(pair, "limit=1", pair.keys.read)
    _both(pair, query, pair.keys.read)
    hits = answers.hits
    _both(pair, query, pair.keys.read)
    assert answers.hits == hits + 1
    time.sleep(1.05)
    (status, _, _), answered = _both(pair, query, pair.keys.read)
    assert (status, answered) == (200, 1)
    assert answers.hits == hits + 1  # made again
