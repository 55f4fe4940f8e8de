"""The console's HTTP side, without a browser: the page and its files come from the installed package, with the
security headers; the JSON API keeps its own rules (an unknown /v1 route is still the JSON 404)."""

from __future__ import annotations

import re

import httpx
import pytest

from cxreport.http.console import CONSOLE_CSP, SECURITY_HEADERS, assets
from support.servers import LiveServer


def test_the_console_page_is_served_at_the_root_with_strict_headers(http: httpx.Client) -> None:
    answer = http.get("/")
    assert answer.status_code == 200
    assert answer.headers["content-type"] == "text/html; charset=utf-8"
    for name, value in SECURITY_HEADERS.items():
        assert answer.headers[name] == value
    assert answer.headers["x-content-type-options"] == "nosniff"
    assert answer.headers["x-frame-options"] == "DENY"
    assert answer.headers["referrer-policy"] == "no-referrer"
    assert '<script type="module" src="/console/app.js"></script>' in answer.text


def test_the_policy_allows_no_inline_script_nor_other_origins() -> None:
    directives = dict(part.strip().split(" ", 1) for part in CONSOLE_CSP.split(";"))
    assert directives["default-src"] == "'none'"
    assert directives["script-src"] == "'self'"
    assert directives["connect-src"] == "'self'"
    assert directives["frame-ancestors"] == "'none'"
    assert "unsafe" not in CONSOLE_CSP
    assert "http" not in CONSOLE_CSP


def test_the_page_has_no_inline_script_or_style_and_loads_nothing_from_elsewhere() -> None:
    files = assets()
    page = files["index.html"].body.decode()
    assert re.findall(r"<script[^>]*>([^<]+)</script>", page) == []
    assert " style=" not in page and "<style" not in page
    for name, asset in files.items():
        text = asset.body.decode()
        assert not re.search(r"https?://(?!www\.w3\.org/2000/svg)", text), f"{name} names another origin"
        assert ".innerHTML" not in text and "eval(" not in text and "new Function" not in text, name


@pytest.mark.parametrize("name", ["app.js", "api.js", "dom.js", "format.js", "dashboard.js", "interactions.js",
                                  "interaction.js", "timeline.js", "charts.js", "wallboard.js", "console.css"])
def test_every_file_of_the_console_is_served_with_its_type(http: httpx.Client, name: str) -> None:
    answer = http.get(f"/console/{name}")
    assert answer.status_code == 200
    expected = "text/css" if name.endswith(".css") else "text/javascript"
    assert answer.headers["content-type"].startswith(expected)
    assert answer.headers["x-content-type-options"] == "nosniff"
    assert answer.headers["content-security-policy"] == CONSOLE_CSP
    again = http.get(f"/console/{name}", headers={"If-None-Match": answer.headers["etag"]})
    assert again.status_code == 304


def test_every_import_between_modules_names_a_served_file() -> None:
    files = assets()
    for name, asset in files.items():
        if name.endswith(".js"):
            for imported in re.findall(r'from "\./([\w.-]+)"', asset.body.decode()):
                assert imported in files, f"{name} imports {imported}, which is not packaged"


def test_an_unknown_console_file_and_an_unknown_api_route_are_json_404s(http: httpx.Client) -> None:
    for path in ("/console/nothing.js", "/console/..%2Fapp.py", "/v1/nothing", "/v1/tenants/x/nothing"):
        answer = http.get(path)
        assert answer.status_code == 404, path
        assert answer.headers["content-type"].startswith("application/json")
        assert answer.json()["code"] == "not_found"


def test_the_json_api_is_unchanged_beside_the_console(live_server: LiveServer, http: httpx.Client) -> None:
    assert http.get("/health").json()["status"] == "up"
    assert http.get("/openapi.json").status_code == 200
    assert http.get("/v1/tenants/2336d1ec-c956-47e1-b3b1-fe8fde81b2b4/interactions").status_code == 401


def test_the_page_preloads_every_module_it_imports() -> None:
    files = assets()
    page = files["index.html"].body.decode()
    preloaded = set(re.findall(r'<link rel="modulepreload" href="/console/([\w.-]+)">', page))
    modules = {name for name in files if name.endswith(".js")} - {"app.js"}
    assert preloaded == modules, "index.html preloads every module, so the browser fetches them at once"
