"""The console in a real browser: Debian's Chromium through Playwright, against `cxreport serve` on loopback with a
known day of traffic (tests/support/browser.py). One browser for the module; each test a fresh context (a fresh
tab: its sessionStorage is empty). Screenshots go to tests/output/console/."""

from __future__ import annotations

import json
import os
import re
import time
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from support.browser import (
    CHROMIUM,
    DAY,
    DAY_END,
    DAY_START,
    INTERACTIONS,
    ConsoleServer,
    console_server,
    run_axe,
    screenshot,
)

playwright_api = pytest.importorskip("playwright.sync_api")
pytestmark = pytest.mark.skipif(not os.path.exists(CHROMIUM) and not os.environ.get("CI"),
                                reason=f"no Chromium at {CHROMIUM} (apt-get install -y chromium; under CI this fails)")


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ConsoleServer]:
    with console_server(tmp_path_factory.mktemp("console")) as running:
        yield running


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    with playwright_api.sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        yield launched
        launched.close()


class Tab:
    """A fresh browser context on the console, recording what went wrong in the page."""

    def __init__(self, browser: Any, server: ConsoleServer, width: int = 1280, height: int = 800) -> None:
        self.server = server
        self.context = browser.new_context(viewport={"width": width, "height": height}, accept_downloads=True)
        self.page = self.context.new_page()
        self.page.set_default_timeout(10_000)
        self.errors: list[str] = []
        self.statuses: list[tuple[int, str]] = []
        self.page.on("pageerror", lambda error: self.errors.append(str(error)))
        # The browser logs each failed request itself ("Failed to load resource: … 404"): the tests check those
        # answers through the page; script errors and anything else the console logs count.
        self.page.on("console", lambda msg: self.errors.append(msg.text)
                     if msg.type == "error" and not msg.text.startswith("Failed to load resource") else None)
        self.page.on("response", lambda response: self.statuses.append((response.status, response.url)))

    def open(self, hash_path: str = "") -> Any:
        self.page.goto(f"{self.server.base_url}/{hash_path}")
        return self.page

    def sign_in(self, role: str = "read") -> Any:
        key_id, secret = self.server.keys.auth(role)
        page = self.open()
        page.get_by_label("Key id").fill(key_id)
        page.get_by_label("Secret").fill(secret)
        page.get_by_role("button", name="Sign in").click()
        page.get_by_role("button", name="Sign out").wait_for()
        return page

    def close(self) -> None:
        self.context.close()


@pytest.fixture
def tab(browser: Any, server: ConsoleServer) -> Iterator[Tab]:
    opened = Tab(browser, server)
    yield opened
    opened.close()
    assert opened.errors == []
    assert [status for status in opened.statuses if status[0] == 429] == [], "the console outran the rate limit"


def test_sign_in_shows_the_tenant_and_its_zone_and_sign_out_forgets_the_token(tab: Tab) -> None:
    page = tab.open()
    assert page.get_by_role("heading", name="cxreport console").is_visible()
    assert run_axe(page) == []
    screenshot(page, "01-sign-in")
    page = tab.sign_in()
    header = page.locator("#who")
    assert "Console Test Center" in header.inner_text()
    assert "US/Eastern" in header.inner_text()
    stored = page.evaluate("() => JSON.parse(sessionStorage.getItem('cxreport.session'))")
    assert stored["tenantId"] == tab.server.keys.id and stored["token"]
    assert page.evaluate("() => localStorage.length") == 0
    assert "cxreport.session" not in str(tab.context.cookies())
    page.get_by_role("button", name="Sign out").click()
    page.get_by_role("button", name="Sign in").wait_for()
    assert "You are signed out" in page.inner_text("main")
    assert page.evaluate("() => sessionStorage.getItem('cxreport.session')") is None


def test_a_wrong_secret_is_refused_in_words(tab: Tab) -> None:
    page = tab.open()
    page.get_by_label("Key id").fill(tab.server.keys.read[0])
    page.get_by_label("Secret").fill("not-the-secret")
    page.get_by_role("button", name="Sign in").click()
    alert = page.get_by_role("alert")
    alert.wait_for()
    assert "not valid" in alert.inner_text()


def test_an_expired_token_returns_to_sign_in_with_a_message(tab: Tab) -> None:
    page = tab.sign_in()
    page.evaluate("""() => {
        const saved = JSON.parse(sessionStorage.getItem('cxreport.session'));
        saved.token = 'expired-or-revoked';
        sessionStorage.setItem('cxreport.session', JSON.stringify(saved));
    }""")
    page.goto(f"{tab.server.base_url}/#/interactions")
    page.get_by_role("button", name="Sign in").wait_for()
    assert "Your session has expired" in page.inner_text("main")
    assert page.evaluate("() => sessionStorage.getItem('cxreport.session')") is None




def _day_ids(server: ConsoleServer) -> list[str]:
    with server.api() as client:
        answer = client.get(f"/v1/tenants/{server.keys.id}/interactions/export",
                            params={"startTimeRange": DAY_START, "endTimeRange": DAY_END})
    assert answer.status_code == 200
    return [json.loads(line)["interactionId"] for line in answer.text.splitlines() if line]


def _row_ids(page: Any) -> list[str]:
    ids: list[str] = page.eval_on_selector_all("table.results tbody tr", "rows => rows.map(r => r.dataset.id)")
    return ids


def test_search_the_day_page_to_its_end_and_back_and_export_it(tab: Tab) -> None:
    expected = _day_ids(tab.server)
    assert len(expected) == INTERACTIONS
    page = tab.sign_in()
    page.get_by_role("link", name="Interactions", exact=True).click()
    page.get_by_label("From (day)").fill(DAY)
    page.get_by_label("To (day, included)").fill(DAY)
    page.get_by_label("Per page").select_option("50")
    page.get_by_role("button", name="Search").click()
    pager = page.locator(".pager .where")
    pager.filter(has_text=f"of {INTERACTIONS}").wait_for()
    assert run_axe(page) == []
    screenshot(page, "04-interactions")
    seen: list[str] = []
    for number in range(1, INTERACTIONS // 50 + 1):
        pager.filter(has_text=f"page {number}").wait_for()
        seen += _row_ids(page)
        older = page.get_by_role("button", name="Older →")
        if number < INTERACTIONS // 50:
            older.click()
    assert seen == expected, "cursor paging returns every interaction of the day once, newest first"
    assert page.get_by_role("button", name="Older →").is_disabled()
    page.get_by_role("button", name="← Newer").click()
    pager.filter(has_text=f"page {INTERACTIONS // 50 - 1}").wait_for()
    assert _row_ids(page) == expected[-100:-50]
    first_cell = page.locator("table.results tbody tr").first.locator("td").first.inner_text()
    assert first_cell.startswith(DAY), "start times are shown in the tenant's zone"

    with page.expect_download() as download_info:
        page.get_by_role("button", name="Export CSV").click()
    path = download_info.value.path()
    text = Path(path).read_text("utf-8")
    lines = text.splitlines()
    assert lines[0].startswith("interactionId,tenantId,startTimestamp")
    assert [line.split(",")[0] for line in lines[1:]] == expected
    assert download_info.value.suggested_filename == f"interactions-{DAY}-to-{DAY}.csv"


def test_filters_narrow_the_search_and_an_empty_result_says_what_to_do(tab: Tab) -> None:
    page = tab.sign_in()
    page.goto(f"{tab.server.base_url}/#/interactions?from={DAY}&to={DAY}&channelType=email&abandoned=false&limit=100")
    page.locator(".pager .where").wait_for()
    with tab.server.api() as client:
        answer = client.get(f"/v1/tenants/{tab.server.keys.id}/interactions", params={
            "startTimeRange": DAY_START, "endTimeRange": DAY_END, "channelType": "email", "abandoned": "false",
            "limit": 100}).json()
    assert _row_ids(page) == [record["interactionId"] for record in answer["results"]]
    assert f"of {answer['total']}" in page.locator(".pager .where").inner_text()
    channels = page.eval_on_selector_all("table.results tbody tr td:nth-child(2)",
                                         "cells => cells.map(c => c.textContent)")
    assert set(channels) == {"email"}
    page.get_by_label("Customer").fill("+10000000000")
    page.get_by_role("button", name="Search").click()
    page.get_by_text("No interactions match.").wait_for()
    assert "clear a filter" in page.inner_text("main")
    screenshot(page, "05-interactions-empty")
    page.get_by_role("button", name="Clear filters").last.click()
    page.locator(".pager .where").wait_for()


def _an_interaction_with(server: ConsoleServer, *fields: str) -> dict[str, Any]:
    with server.api() as client:
        answer = client.get(f"/v1/tenants/{server.keys.id}/interactions/export",
                            params={"startTimeRange": DAY_START, "endTimeRange": DAY_END})
    for line in answer.text.splitlines():
        record: dict[str, Any] = json.loads(line)
        if all(record.get(name) for name in fields):
            return record
    raise AssertionError(f"the dataset has no interaction with {fields}")


def test_one_interaction_shows_its_timeline_statistics_events_and_json(tab: Tab) -> None:
    record = _an_interaction_with(tab.server, "customerTransfers", "customerHoldTime")
    page = tab.sign_in()
    page.goto(f"{tab.server.base_url}/#/interactions/{record['interactionId']}")
    timeline = page.locator("svg.timeline")
    timeline.wait_for()
    lanes = page.eval_on_selector_all("svg.timeline g[data-lane]", "gs => gs.map(g => g.dataset.lane)")
    assert lanes[0] == "Interaction"
    assert "Customer on hold" in lanes
    assert sum(lane.startswith("Queue · ") for lane in lanes) == len(record["queues"])
    assert sum(lane.startswith("Agent · ") for lane in lanes) == len(record["agents"])
    assert sum(lane.startswith("Segment ") for lane in lanes) == len(record["segments"])
    kinds = set(page.eval_on_selector_all("svg.timeline rect", "rs => rs.map(r => r.dataset.kind)"))
    assert {"ivr", "queue", "offer", "talk", "hold", "wrap", "transfer"} <= kinds
    # To scale: the first queue bar starts and ends where the record says.
    queue = record["queues"][0]
    bar = page.locator("svg.timeline rect[data-kind=queue]").first
    assert bar.get_attribute("data-start") == queue["startTimestamp"]
    assert bar.get_attribute("data-end") == queue["endTimestamp"]
    statistics = page.locator(".statistics")
    for name in ("interactionTime", "customerHoldTime", "queueTime", "agentHandleTime", "segmentTime"):
        assert statistics.get_by_text(name, exact=True).count() >= 1
    assert run_axe(page) == []
    screenshot(page, "06-interaction")

    with tab.server.api() as client:
        events = client.get(f"/v1/tenants/{tab.server.keys.id}/interactions/{record['interactionId']}"
                            "/reporting-events").json()["results"]
    page.get_by_role("button", name=f"Events ({len(events)})").click()
    assert page.locator("table.events tbody tr").count() == len(events)
    page.get_by_role("button", name="Raw JSON").click()
    shown = json.loads(page.locator("pre.raw").inner_text())
    assert shown["interactionId"] == record["interactionId"]
    assert shown["queues"] == record["queues"]
    page.get_by_role("link", name="← Back to the interactions").click()
    page.get_by_role("heading", name="Interactions").wait_for()


def test_an_unknown_interaction_says_so(tab: Tab) -> None:
    page = tab.sign_in()
    page.goto(f"{tab.server.base_url}/#/interactions/00000000-0000-4000-8000-000000000000")
    page.get_by_text("No such interaction.").wait_for()


def _table(page: Any, caption: str) -> list[list[str]]:
    table = page.locator("table.numbers").filter(has=page.locator("caption", has_text=caption))
    rows: list[list[str]] = table.evaluate("""t => [...t.tBodies[0].rows].map(r =>
        [r.cells[0].textContent, ...[...r.cells].slice(1).map(c => c.dataset.value)])""")
    return rows


def _number(text: str) -> float | None:
    return float(text) if text != "" else None


def test_the_dashboard_of_the_day_matches_the_statistics(tab: Tab) -> None:
    page = tab.sign_in()
    page.get_by_role("link", name="Dashboard", exact=True).click()
    page.get_by_text("No queue entries in this range.").first.wait_for()  # today: the dataset is of 2017
    assert "Try another range" in page.inner_text("main")
    page.get_by_label("From", exact=True).fill(DAY)
    page.get_by_label("To (included)").fill(DAY)
    page.get_by_role("button", name="Show").click()
    page.locator("svg.chart").first.wait_for()
    assert "US/Eastern" in page.inner_text("main")
    with tab.server.api() as client:
        base = f"/v1/tenants/{tab.server.keys.id}"
        stats = client.get(f"{base}/statistics", params={"start": DAY_START, "end": DAY_END, "interval": "hour"}).json()
        queues = client.get(f"{base}/statistics", params={"start": DAY_START, "end": DAY_END, "interval": "total",
                                                          "groupBy": "queue"}).json()
        agents = client.get(f"{base}/agent-statistics", params={"start": DAY_START, "end": DAY_END,
                                                                "interval": "total"}).json()
    assert len(stats["rows"]) == 24
    volume = _table(page, "Queue entries per hour")
    assert [row[0] for row in volume] == [row["start"][11:16] if row["start"][11:16] != "00:00" else
                                          f"{row['start'][5:10]} 00:00" for row in stats["rows"]]
    assert [[_number(v) for v in row[1:]] for row in volume] == [
        [row["offered"], row["answered"], row["abandoned"]] for row in stats["rows"]]
    assert sum(row["offered"] for row in stats["rows"]) > 500
    # The bars carry the same values.
    bars = page.eval_on_selector_all("svg.chart rect[data-series=Offered]",
                                     "rs => rs.map(r => Number(r.dataset.value))")
    assert bars == [row["offered"] for row in stats["rows"]]
    service = _table(page, "Service level per hour")
    assert [_number(row[1]) for row in service] == [row["serviceLevel"] for row in stats["rows"]]
    per_queue = _table(page, "Per queue, over the range")
    expected_queues = [row for row in queues["rows"] if row["offered"] > 0]
    assert [row[0] for row in per_queue] == [row["queueName"] or row["queueId"] for row in expected_queues]
    assert [[_number(v) for v in row[5:7]] for row in per_queue] == [
        [row["averageSpeedOfAnswer"], row["averageHandleTime"]] for row in expected_queues]
    agent_rows = _table(page, "Agents over the range")
    assert len(agent_rows) == len(agents["rows"]) == len(tab.server.agent_ids)
    by_agent = {row["agentName"] or row["agentId"]: row for row in agents["rows"]}
    for row in agent_rows:
        expected = by_agent[row[0]]
        assert [_number(v) for v in row[1:]] == [expected["answered"], expected["averageHandleTime"],
                                                 expected["occupancy"], expected["notReadyTime"],
                                                 expected["loggedInTime"]]
        assert expected["notReadyTime"] == 1800  # the lunch break of tests/support/browser.py's shift
    totals = page.locator("[data-testid=totals]").inner_text()
    assert f"{sum(row['offered'] for row in stats['rows']):,}" in totals
    assert run_axe(page) == []
    screenshot(page, "03-dashboard")

    with page.expect_download() as download_info:
        page.get_by_role("button", name="Download CSV").first.click()
    csv_lines = Path(download_info.value.path()).read_text("utf-8").splitlines()
    assert len(csv_lines) == 25 and "offered" in csv_lines[0]
    assert download_info.value.suggested_filename == f"statistics-{DAY}-to-{DAY}-hour.csv"


def _realtime_routes(server: ConsoleServer) -> bool:
    with server.api() as client:
        return client.get(f"/v1/tenants/{server.keys.id}/realtime-statistics/available").status_code != 404


def _figure(page: Any, queue: str, figure: str) -> str:
    text: str = page.locator(f"[data-queue='{queue}'] [data-figure='{figure}'] .value").inner_text()
    return text


def _wait_for_figure(page: Any, queue: str, figure: str, value: str) -> float:
    """Seconds until the wallboard shows `value`, without a reload (fails after 5 s)."""
    started = time.monotonic()
    page.locator(f"[data-queue='{queue}'] [data-figure='{figure}'] .value", has_text=re.compile(f"^{re.escape(value)}$")
                 ).wait_for(timeout=5000)
    return time.monotonic() - started


def test_the_wallboard_changes_when_events_arrive(tab: Tab) -> None:
    if not _realtime_routes(tab.server):
        pytest.skip("this server has no realtime routes (issue 13)")
    page = tab.sign_in()
    page.get_by_text("Live · updated").wait_for()
    page.locator("[data-queue='all']").wait_for()
    waiting = int(_figure(page, "all", "waiting").replace(",", ""))
    offered = int(_figure(page, "all", "offered").replace(",", ""))
    ready = int(_figure(page, "agents", "agents-ready").replace(",", ""))
    marker = page.evaluate("() => { window.__sameDocument = true; return location.href; }")
    now = datetime.now(UTC)
    stamp = lambda seconds: (now + timedelta(seconds=seconds)).isoformat().replace("+00:00", "Z")  # noqa: E731
    interaction = str(uuid.uuid4())
    started = [
        {"type": "interaction-started", "eventId": "w-1", "interactionId": interaction, "timestamp": stamp(-30),
         "channelType": "voice", "direction": "inbound", "customer": "+15550001111", "contactPoint": "+15553000000",
         "flowId": "wall-flow", "flowName": "Wall Flow"},
        {"type": "queue-entered", "eventId": "w-2", "interactionId": interaction, "timestamp": stamp(-25),
         "interactionQueueId": str(uuid.uuid4()), "queueId": "wall-queue", "queueName": "Wall Queue",
         "entryType": "ivr", "queueLength": 1},
        {"type": "agent-logged-in", "eventId": "wall-agent-1", "agentId": "wall-agent", "timestamp": stamp(-20),
         "state": "ready", "agentName": "Wally Agent"},
    ]
    with tab.server.api("ingest") as client:
        posted = client.post(f"/v1/tenants/{tab.server.keys.id}/events", json=started)
        assert posted.status_code == 200, posted.text
        seconds = _wait_for_figure(page, "all", "waiting", f"{waiting + 1:,}")
        print(f"wallboard: waiting count changed {seconds:.2f} s after the events were accepted")
        _wait_for_figure(page, "all", "offered", f"{offered + 1:,}")
        _wait_for_figure(page, "agents", "agents-ready", f"{ready + 1:,}")
        page.locator("[data-queue='wall-queue']").wait_for()
        assert "Wall Queue" in page.locator("[data-queue='wall-queue'] h2").inner_text()
        longest = page.locator("[data-queue='wall-queue'] [data-figure='longest']")
        assert "Over 20 s" in longest.inner_text() or "Over a minute" in longest.inner_text()
        assert "warn" in (longest.get_attribute("class") or "") or "bad" in (longest.get_attribute("class") or "")
        assert run_axe(page) == []
        screenshot(page, "02-wallboard")
        ended = [
            {"type": "queue-exited", "eventId": "w-3", "interactionId": interaction, "timestamp": stamp(0),
             "interactionQueueId": started[1]["interactionQueueId"], "queueId": "wall-queue", "reason": "abandon"},
            {"type": "customer-disconnect", "eventId": "w-4", "interactionId": interaction, "timestamp": stamp(0)},
            {"type": "interaction-ended", "eventId": "w-5", "interactionId": interaction, "timestamp": stamp(0),
             "endType": "customer-disconnect"},
        ]
        assert client.post(f"/v1/tenants/{tab.server.keys.id}/events", json=ended).status_code == 200
    _wait_for_figure(page, "all", "waiting", f"{waiting:,}")
    _wait_for_figure(page, "wall-queue", "abandoned", "1")
    assert page.evaluate("() => window.__sameDocument === true && location.href") == marker, "no reload"


def test_the_keyboard_alone_signs_in_and_moves_between_views_with_a_visible_focus(tab: Tab) -> None:
    page = tab.open()
    page.get_by_label("Key id").wait_for()
    key_id, secret = tab.server.keys.read
    assert page.evaluate("() => document.activeElement.name") == "keyId"
    page.keyboard.type(key_id)
    page.keyboard.press("Tab")
    page.keyboard.type(secret)
    page.keyboard.press("Enter")
    page.get_by_role("button", name="Sign out").wait_for()
    assert page.evaluate("() => document.activeElement.id") == "main", "focus moves to the new view"
    page.reload()
    page.get_by_role("button", name="Sign out").wait_for()
    page.keyboard.press("Tab")  # the skip link first
    assert page.evaluate("() => document.activeElement.textContent") == "Skip to content"
    stops = []
    for _ in range(4):
        page.keyboard.press("Tab")
        stops.append(page.evaluate("""() => {
            const e = document.activeElement, style = getComputedStyle(e);
            return [e.textContent.trim(), style.outlineStyle, parseFloat(style.outlineWidth)];
        }"""))
    assert [stop[0] for stop in stops] == ["Wallboard", "Dashboard", "Interactions", "Sign out"]
    assert all(style != "none" and width >= 2 for _, style, width in stops), stops
    page.keyboard.press("Shift+Tab")
    page.keyboard.press("Enter")  # Interactions
    page.get_by_role("heading", name="Interactions").wait_for()


@pytest.mark.parametrize("view", ["interactions", "dashboard"])
def test_phone_width_keeps_every_view_within_the_screen(browser: Any, server: ConsoleServer, view: str) -> None:
    phone = Tab(browser, server, width=390, height=844)
    try:
        page = phone.sign_in()
        hash_path = {"interactions": f"#/interactions?from={DAY}&to={DAY}",
                     "dashboard": f"#/dashboard?range=custom&from={DAY}&to={DAY}"}[view]
        page.goto(f"{server.base_url}/{hash_path}")
        page.locator(".pager .where, svg.chart").first.wait_for()
        assert page.evaluate("() => document.documentElement.scrollWidth <= window.innerWidth + 1")
        assert run_axe(page) == []
        screenshot(page, f"07-phone-{view}")
        assert phone.errors == []
    finally:
        phone.close()
