"""cxreport: a self-hostable contact-center interaction reporting service."""

__version__ = "0.1.0"
