"""The HTTP layer: app factory, routes, authentication, the one error body."""

from cxreport.http.app import create_app

__all__ = ["create_app"]
