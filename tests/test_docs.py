"""The docs keep up with the code: every setting (its `Settings` field and its environment variable), every
error `code`, every CLI command and every route is named in README.md or docs/*.md, and every relative link
there points at a file that exists (and at a heading of it, for an `#anchor`)."""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Iterator
from pathlib import Path

import click
import pytest

from cxreport import errors
from cxreport.cli.main import cli
from cxreport.config import Settings
from cxreport.http import create_app
from cxreport.http import errors as http_errors
from cxreport.store import Store

ROOT = Path(__file__).resolve().parent.parent
DOCS = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]

NOT_YET_WRITTEN = {ROOT / "docs" / "architecture.md"}
"""Linked before it is written (issue 11's layers and glossary): a link to it counts only once it exists."""

UI_ROUTES = re.compile(r"^/docs/")
"""Litestar's own pages and assets behind `GET /docs` (the interactive OpenAPI page), documented as that page."""

FENCE = re.compile(r"^```.*?^```", re.M | re.S)
CODE_SPAN = re.compile(r"`([^`\n]+)`")
METHODS = "GET|POST|PUT|PATCH|DELETE"
ROUTE = re.compile(rf"\b((?:{METHODS})(?:/(?:{METHODS}))*) (/[^\s`|?)]*)")
LINK = re.compile(r"(?<!!)\[[^\]]*\]\(([^)\s]+)(?:\s+\"[^\"]*\")?\)|^\[[^\]]+\]:\s*(\S+)", re.M)


def read(path: Path) -> str:
    return path.read_text("utf-8")


def code_words() -> set[str]:
    """Every word (letters, digits, `_`, `-`) written as code in the docs: in `spans` or fenced blocks."""
    words: set[str] = set()
    for path in DOCS:
        text = read(path)
        for code in [*CODE_SPAN.findall(FENCE.sub("", text)), *FENCE.findall(text)]:
            words.update(re.findall(r"[A-Za-z0-9_][A-Za-z0-9_-]*", code))
    return words


def code_texts() -> list[str]:
    texts: list[str] = []
    for path in DOCS:
        text = read(path)
        texts += [*CODE_SPAN.findall(FENCE.sub("", text)), *FENCE.findall(text)]
    return texts


def test_every_setting_and_its_environment_variable_is_documented() -> None:
    words = code_words()
    missing = [name for setting in dataclasses.fields(Settings)
               for name in (setting.name, setting.metadata["env"]) if name not in words]
    assert missing == [], "add them to the settings table in README.md"


def error_classes(base: type[errors.CxError] = errors.CxError) -> Iterator[type[errors.CxError]]:
    yield base
    for sub in base.__subclasses__():
        yield from error_classes(sub)


def test_every_error_code_is_documented() -> None:
    codes = {cls.code for cls in error_classes()} | set(http_errors._CODES_BY_STATUS.values())
    assert "invalid_parameter" in codes and "method_not_allowed" in codes
    assert sorted(codes - code_words()) == [], "add them to the codes in docs/api.md (Errors)"


def commands(group: click.Group, prefix: str) -> Iterator[str]:
    for name, command in group.commands.items():
        yield f"{prefix} {name}"
        if isinstance(command, click.Group):
            yield from commands(command, f"{prefix} {name}")


def test_every_cli_command_is_documented() -> None:
    found = list(commands(cli, "cxreport"))
    assert "cxreport keys revoke" in found and "cxreport import-events" in found
    texts = code_texts()
    missing = [command for command in found
               if not any(re.search(rf"{re.escape(command)}(?![\w-])", text) for text in texts)]
    assert missing == [], "add them to the command table in README.md"


def documented_routes() -> set[tuple[str, str]]:
    routes: set[tuple[str, str]] = set()
    for path in DOCS:
        for methods, route in ROUTE.findall(read(path)):
            routes.update((method, route) for method in methods.split("/"))
    return routes


@pytest.fixture
def app_routes(store: Store, tmp_path: Path) -> set[tuple[str, str]]:
    app = create_app(Settings(database_url=f"sqlite:///{tmp_path / 'test.db'}"), store)
    return {
        (method, re.sub(r"\{(\w+):\w+\}", r"{\1}", route.path))
        for route in app.routes if not UI_ROUTES.match(route.path)
        for method in getattr(route, "methods", ()) if method not in ("OPTIONS", "HEAD")
    }


def test_every_route_is_documented(app_routes: set[tuple[str, str]]) -> None:
    assert ("GET", "/v1/tenants/{tenantId}/interactions") in app_routes
    assert sorted(app_routes - documented_routes()) == [], "add them to the route table in README.md"


def slug(heading: str) -> str:
    """The anchor GitHub gives a heading: lower case, punctuation dropped, spaces become hyphens."""
    text = re.sub(r"[`*_]|\[([^\]]*)\]\([^)]*\)", r"\1", heading.strip()).lower()
    return re.sub(r"[^\w\- ]", "", text).replace(" ", "-")


def anchors(path: Path) -> set[str]:
    return {slug(line.lstrip("#")) for line in FENCE.sub("", read(path)).splitlines() if re.match(r"#{1,6} ", line)}


def broken_links(path: Path) -> list[str]:
    broken = []
    for inline, reference in LINK.findall(CODE_SPAN.sub("", FENCE.sub("", read(path)))):
        target = inline or reference
        if re.match(r"[a-z][a-z0-9+.-]*:", target):  # https:, mailto:: not checked here
            continue
        file_part, _, anchor = target.partition("#")
        linked = (path.parent / file_part).resolve() if file_part else path
        if not linked.exists():
            if linked not in NOT_YET_WRITTEN:
                broken.append(f"{target}: no such file")
        elif anchor and linked.suffix == ".md" and anchor not in anchors(linked):
            broken.append(f"{target}: no such heading")
    return broken


@pytest.mark.parametrize("path", DOCS, ids=[str(path.relative_to(ROOT)) for path in DOCS])
def test_every_relative_link_points_at_something(path: Path) -> None:
    assert broken_links(path) == []


def test_the_link_check_sees_a_broken_link_and_a_broken_anchor(tmp_path: Path) -> None:
    (tmp_path / "other.md").write_text("# Other\n\n## Search semantics\n")
    doc = tmp_path / "doc.md"
    doc.write_text("[a](other.md) [b](other.md#search-semantics) [c](gone.md) [d](other.md#nowhere) [e](#top)\n"
                   "[f](https://example.com/x) `[g](ignored.md)`\n\n# Top\n")
    assert broken_links(doc) == ["gone.md: no such file", "other.md#nowhere: no such heading"]
