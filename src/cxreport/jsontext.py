"""What every JSON request body must be before it is decoded: UTF-8, and free of NUL characters."""

from __future__ import annotations

import re

import msgspec

from cxreport.errors import InvalidBody

TOO_DEEP = "JSON nested too deeply (more than about 1000 levels)"
NUL_REFUSED = "holds a NUL character (\\u0000), which cxreport does not store"

_NUL_ESCAPE = re.compile(rb"(?<!\\)(?:\\\\)*\\u0000")
"""`\u0000` in a JSON string (not `\\u0000`, an escaped backslash followed by the letters u0000)."""


_TOP_FIELD = re.compile(r" - at `\$\.(\w+)`$")


def field_at_fault(error: msgspec.DecodeError) -> str | None:
    """The top-level field of a JSON object body that msgspec's validation error is about, if it names one (a
    400's `parameter`)."""
    if not isinstance(error, msgspec.ValidationError):
        return None
    match = _TOP_FIELD.search(str(error))
    return match.group(1) if match else None


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
    if holds_nul(body):
        raise InvalidBody(f"the body {NUL_REFUSED}")


def holds_nul(text: bytes) -> bool:
    """Whether JSON text holds a NUL character in a string (`\\u0000`; a raw NUL byte is no JSON at all)."""
    return text.find(b"\\u0000") >= 0 and _NUL_ESCAPE.search(text) is not None
