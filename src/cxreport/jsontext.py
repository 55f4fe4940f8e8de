"""What every JSON request body must be before it is decoded: UTF-8, and free of NUL characters."""

from __future__ import annotations

import re

from cxreport.errors import InvalidBody

TOO_DEEP = "JSON nested too deeply (more than about 1000 levels)"

_NUL_ESCAPE = re.compile(rb"(?<!\\)(?:\\\\)*\\u0000")
"""`\u0000` in a JSON string (not `\\u0000`, an escaped backslash followed by the letters u0000)."""


def check_utf8(body: bytes) -> None:
    """A JSON request body must be UTF-8 (RFC 8259). Raises InvalidBody."""
    try:
        body.decode("utf-8")
    except UnicodeDecodeError as error:
        raise InvalidBody(f"the body is not UTF-8: byte {body[error.start]:#04x} at offset {error.start}") from None


def check_text(body: bytes) -> None:
    """UTF-8, and no NUL character anywhere: for bodies whose strings become PostgreSQL text (which cannot
    hold NUL), so that neither store takes one. Raises InvalidBody."""
    check_utf8(body)
    if b"\\u0000" in body and _NUL_ESCAPE.search(body):
        raise InvalidBody("the body holds a NUL character (\\u0000), which cxreport does not store")
