"""Identifiers: the one check of a UUID's text, used by every layer (records, events, path ids, the stores)."""

from __future__ import annotations

import re

UUID_PATTERN = "^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$"
"""A UUID's 36-character text, in either case (as the JSON Schema and OpenAPI document state it)."""
_UUID = re.compile(UUID_PATTERN)


def is_uuid(text: str) -> bool:
    """Whether `text` is a UUID's 36-character text."""
    return _UUID.fullmatch(text) is not None


def normalize_uuid(text: str) -> str | None:
    """The canonical lower-case form of a UUID string, or None when it is not one."""
    return text.lower() if _UUID.fullmatch(text) else None
