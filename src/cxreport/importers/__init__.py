"""Importers: each translates one platform's own log or record format into cxreport events (`docs/events.md`),
pure and tested on its own; `cxreport import-events --format FORMAT` stores what they yield through the one
events path, so records, statistics and `reporting-events` work exactly as for native events.

`base.py` holds what every importer shares (its options, what it yields, the deterministic ids); one module per
source: `asterisk.py` (Asterisk / FreePBX / Wazo queue_log), `connect.py` (Amazon Connect contact records).

May import: `records`, `metrics` and the shared modules (never `store`, `service`, `http` or `cli`).
"""

from __future__ import annotations

import importlib

from cxreport.importers.base import Translator

SOURCE_FORMATS: dict[str, str] = {
    "asterisk-queue-log": "cxreport.importers.asterisk",
    "connect-ctr": "cxreport.importers.connect",
}
"""Each importable source format → the module whose `translate` reads it (the native format, `cxreport`, needs none)."""


def translator(format_name: str) -> Translator:
    """The `translate` function of a source format's module (imported on first use)."""
    module = importlib.import_module(SOURCE_FORMATS[format_name])
    translate: Translator = module.translate
    return translate
