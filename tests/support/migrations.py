"""The tables migrations create, read from their text: what a test that runs migrations again drops first."""

from __future__ import annotations

import re

from cxreport.store.sqlite_schema import MIGRATIONS


def tables_created_from(version: int) -> list[str]:
    """Every table that migration `version` and the later ones create (their names are the same in both
    stores), in the order they create them."""
    return [name for text in MIGRATIONS[version - 1 :] for name in re.findall(r"CREATE TABLE (\w+)", text)]
