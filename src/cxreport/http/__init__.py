"""The HTTP layer: app factory, routes, authentication, the one error body.

May import: `service`, `store` (its types), `records`, `metrics` and the shared modules (never `cli`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from cxreport.http.app import create_app

__all__ = ["create_app"]


def __getattr__(name: str) -> Any:
    """`create_app` is imported when first asked for, so that a module of this package that needs no web
    framework (`search_query.py`, `bodies.py`) can be imported without Litestar (the CLI's export does)."""
    if name == "create_app":
        from cxreport.http.app import create_app

        return create_app
    raise AttributeError(name)
