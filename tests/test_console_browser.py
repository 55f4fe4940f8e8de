"""The console in a real browser: Debian's Chromium through Playwright, against `cxreport serve` on loopback with a
known day of traffic (tests/support/browser.py). One browser for the module; each test a fresh context (a fresh
tab: its sessionStorage is empty). Screenshots go to tests/output/console/."""

from __future__ import annotations

import os
from collections.abc import Iterator
from typing import Any

import pytest

from support.browser import CHROMIUM, ConsoleServer, console_server, run_axe, screenshot

playwright_api = pytest.importorskip("playwright.sync_api")
pytestmark = pytest.mark.skipif(not os.path.exists(CHROMIUM), reason=f"no Chromium at {CHROMIUM}")


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
        self.page.on("console", lambda msg: self.errors.append(msg.text) if msg.type == "error" else None)
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
    assert [error for error in opened.errors if "401" not in error] == []
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
    tab.errors.clear()  # the browser logs the 401 itself


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
    tab.errors.clear()


