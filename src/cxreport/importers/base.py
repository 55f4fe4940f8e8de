"""What every importer shares: the options it is given, what it yields, and the deterministic ids it makes."""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import BinaryIO
from zoneinfo import ZoneInfo

UTC = ZoneInfo("UTC")

SOURCE_NAMESPACE = uuid.UUID("6f2b8f1e-5d0c-5a51-9c36-3c1d4f0e7a42")
"""The UUIDv5 namespace of every id an importer derives from a source's own ids."""


@dataclass(frozen=True, slots=True)
class ImportOptions:
    source: str = "default"
    """`--source NAME`: namespaces every derived id, so two systems' call ids never collide."""
    timezone: ZoneInfo = UTC
    """`--timezone ZONE`: the zone of a source's local (zone-less) times."""


@dataclass(frozen=True, slots=True)
class Translated:
    """One source item (a line, an object) and the cxreport events it becomes."""

    line: int
    """The 1-based line of the source where the item starts (for `FILE: line L: reason`)."""
    events: tuple[bytes, ...] = ()
    """The cxreport events, each one JSON object as bytes; empty for an item deliberately ignored."""
    error: str | None = None
    """Why the item could not be translated (then `events` is empty); reported, never stored."""


Translator = Callable[[BinaryIO, ImportOptions], Iterator[Translated]]
"""An importer: reads a whole (already decompressed) source stream and yields what each item becomes."""


def source_id(options: ImportOptions, kind: str, *parts: str) -> str:
    """A deterministic UUIDv5 for an entity of `kind` (interaction, queue, agent, event …) named by the source's
    own ids `parts`, namespaced by the source name: importing the same data twice gives the same ids.

    `str(uuid.uuid5(SOURCE_NAMESPACE, name))`, computed without building a `UUID` (a third of the cost: importers
    make several ids a line)."""
    name = "\x1f".join((options.source, kind, *parts))
    digest = bytearray(_sha1(_NAMESPACE_BYTES + name.encode("utf-8")).digest()[:16])
    digest[6] = (digest[6] & 0x0F) | 0x50  # version 5
    digest[8] = (digest[8] & 0x3F) | 0x80  # RFC 4122 variant
    text = digest.hex()
    return f"{text[:8]}-{text[8:12]}-{text[12:16]}-{text[16:20]}-{text[20:]}"


_NAMESPACE_BYTES = SOURCE_NAMESPACE.bytes
_sha1 = hashlib.sha1
