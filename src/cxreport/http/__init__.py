"""The HTTP layer: app factory, routes, authentication, the one error body.

May import: `service`, `store` (its types), `records`, `metrics` and the shared modules (never `cli`).
"""

from cxreport.http.app import create_app

__all__ = ["create_app"]
