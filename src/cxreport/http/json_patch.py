"""JSON Patch (RFC 6902) between two JSON documents of objects, as the realtime stream sends a picture's changes.

Only `add` (which replaces an object member that exists) and `remove` are produced, on object members: objects
are compared member by member (down to where the caller says to replace them whole), anything else (numbers,
strings, null, lists) is replaced whole. Member names are
escaped as JSON Pointers (RFC 6901: `~` as `~0`, `/` as `~1`).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any


def pointer(path: tuple[str, ...]) -> str:
    return "".join("/" + part.replace("~", "~0").replace("/", "~1") for part in path)


def diff(old: Any, new: Any, path: tuple[str, ...] = (),
         whole: Callable[[tuple[str, ...]], bool] = lambda _path: False) -> list[dict[str, Any]]:
    """The operations that turn `old` into `new` (empty when they are equal); an object at a path where `whole`
    holds is replaced whole when it changed rather than member by member (fewer, shorter operations)."""
    if isinstance(old, dict) and isinstance(new, dict) and not (path and whole(path)):
        ops: list[dict[str, Any]] = []
        for key, value in new.items():
            if key not in old:
                ops.append({"op": "add", "path": pointer((*path, key)), "value": value})
            elif old[key] != value:
                ops += diff(old[key], value, (*path, key), whole)
        ops += [{"op": "remove", "path": pointer((*path, key))} for key in old if key not in new]
        return ops
    if old == new and type(old) is type(new):
        return []
    return [{"op": "add", "path": pointer(path), "value": new}]


def apply(document: Any, ops: list[dict[str, Any]]) -> Any:
    """`document` with `ops` applied (the subset `diff` produces); the reference a client can check itself by."""
    for op in ops:
        parts = [part.replace("~1", "/").replace("~0", "~") for part in op["path"].split("/")[1:]]
        if not parts:
            document = op["value"]
            continue
        parent = document
        for part in parts[:-1]:
            parent = parent[part]
        if op["op"] == "remove":
            del parent[parts[-1]]
        else:
            parent[parts[-1]] = op["value"]
    return document
