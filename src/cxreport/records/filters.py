"""The filter grammar shared by search, export and contact history: query parameters → `Filter`s.

Several values of one filter (comma-separated, or the parameter repeated) mean any of them; different
filters must all hold. A filter on agents, queues or hooks matches when any entry of the record matches.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from cxreport.errors import InvalidParameter
from cxreport.records.facets import FACET_SEPARATOR, FACETS, hook_facets


@dataclass(frozen=True, slots=True)
class Filter:
    """The record must have a facet of this kind with one of these values."""

    kind: str
    values: tuple[str, ...]


_VALUE_FILTERS = {
    name: f.kind for f in FACETS if f.grammar == "values" and f.parameter for name in (f.parameter, *f.aliases)
}
"""Query parameter → the kind it filters, for the plain-values filters (aliases included)."""
_FLAG_FILTERS = tuple(f.parameter for f in FACETS if f.grammar == "flag" and f.parameter)
_ALIASED_KINDS = frozenset(f.kind for f in FACETS if f.aliases)

MAX_VALUES = 100
"""Values of one filter (and hook combinations)."""
MAX_QUERY_VALUES = 300
"""Values of every filter of one query together, after duplicates are merged."""
MAX_ATTRIBUTE_PAIRS = 10
"""Different `hookName`/`attribute-value` pairs of one query (each is a probe of its own)."""
MAX_VALUE_LENGTH = 1000


def values_of(parameter: str, raw: Sequence[str]) -> tuple[str, ...]:
    """Every value of a parameter: repeated or comma-separated, each matched exactly as sent (spaces
    included); empty or blank ones are an error, and so is the facets' internal separator."""
    values = tuple(part for text in raw for part in text.split(","))
    if not values or any(not value.strip() for value in values):
        raise InvalidParameter(f"{parameter} has an empty value", parameter=parameter)
    if any(FACET_SEPARATOR in value for value in values):
        raise InvalidParameter(f"{parameter} holds the control character U+001F", parameter=parameter)
    if len(values) > MAX_VALUES:
        raise InvalidParameter(f"{parameter} takes at most {MAX_VALUES} values", parameter=parameter)
    if any(len(value) > MAX_VALUE_LENGTH for value in values):
        raise InvalidParameter(f"{parameter} values are at most {MAX_VALUE_LENGTH} characters", parameter=parameter)
    if any("\x00" in value for value in values):
        raise InvalidParameter(f"{parameter} holds a NUL character", parameter=parameter)
    return tuple(dict.fromkeys(values))


def parse_filters(params: Mapping[str, Sequence[str]]) -> tuple[Filter, ...]:
    """The filters among `params` (name → every value sent), checked, in the registry's order."""
    filters: list[Filter] = []
    for parameter, kind in _VALUE_FILTERS.items():
        if parameter in params:
            filters.append(Filter(kind, values_of(parameter, params[parameter])))
    for parameter in _FLAG_FILTERS:
        if parameter in params:
            filters.append(Filter(parameter, _flags(parameter, params[parameter])))
    filters += _hook_filters(params)
    filters += _attribute_filters(params)
    merged = _merge_same_kind(filters)
    total = sum(len(item.values) for item in merged)
    if total > MAX_QUERY_VALUES:
        parameter = _first_filter_parameter(params)
        raise InvalidParameter(
            f"{parameter} and the other filters hold {total} values in all; at most {MAX_QUERY_VALUES} a query",
            parameter=parameter,
        )
    return merged


def _first_filter_parameter(params: Mapping[str, Sequence[str]]) -> str:
    named = [name for name in (*_VALUE_FILTERS, *_FLAG_FILTERS, "hookType", "hookId", "hookName") if name in params]
    return named[0] if named else "hookName"


def _flags(parameter: str, raw: Sequence[str]) -> tuple[str, ...]:
    values = tuple(value.lower() for value in values_of(parameter, raw))
    if any(value not in ("true", "false") for value in values):
        raise InvalidParameter(f"{parameter} must be true or false", parameter=parameter)
    return values


def _hook_filters(params: Mapping[str, Sequence[str]]) -> list[Filter]:
    types = values_of("hookType", params["hookType"]) if "hookType" in params else None
    subs = values_of("hookSubType", params["hookSubType"]) if "hookSubType" in params else None
    ids = values_of("hookId", params["hookId"]) if "hookId" in params else None
    if subs is not None and types is None:
        raise InvalidParameter("hookSubType needs hookType", parameter="hookSubType")
    combinations = len(types or ()) * len(subs or (1,)) * len(ids or (1,))
    if combinations > MAX_VALUES:
        raise InvalidParameter(
            f"hookType × hookSubType × hookId make {combinations} combinations; at most {MAX_VALUES}",
            parameter="hookType",
        )
    if types is None:
        return [Filter("hookId", ids)] if ids is not None else []
    if subs is None:
        if ids is None:
            return [Filter("hookType", types)]
        return [Filter("hookTypeId", tuple(FACET_SEPARATOR.join((t, i)) for t in types for i in ids))]
    if ids is None:
        return [Filter("hookSubType", tuple(FACET_SEPARATOR.join((t, s)) for t in types for s in subs))]
    whole = [hook_facets(t, s, i)[2][1] for t in types for s in subs for i in ids]
    return [Filter("hook", tuple(whole))]


def _attribute_filters(params: Mapping[str, Sequence[str]]) -> list[Filter]:
    """`hookName=N&attribute-value=V` pairs, by position; several pairs are ANDed."""
    names = list(params.get("hookName", ()))
    values = list(params.get("attribute-value", ()))
    if len(names) != len(values):
        raise InvalidParameter(
            "each hookName needs an attribute-value (they pair up in order)",
            parameter="hookName" if len(names) > len(values) else "attribute-value",
        )
    pairs: dict[tuple[str, frozenset[str]], Filter] = {}
    for name, value in zip(names, values, strict=True):
        if not name.strip():
            raise InvalidParameter("hookName has an empty value", parameter="hookName")
        if "\x00" in name or FACET_SEPARATOR in name or len(name) > MAX_VALUE_LENGTH:
            raise InvalidParameter(
                f"hookName must be at most {MAX_VALUE_LENGTH} characters, with no NUL or U+001F",
                parameter="hookName",
            )
        options = values_of("attribute-value", [value])
        pair = Filter("attr", tuple(f"{name}{FACET_SEPARATOR}{option}" for option in options))
        pairs.setdefault((name, frozenset(options)), pair)  # the same pair twice is one condition
    if len(pairs) > MAX_ATTRIBUTE_PAIRS:
        raise InvalidParameter(
            f"{len(pairs)} different hookName/attribute-value pairs; at most {MAX_ATTRIBUTE_PAIRS} a query",
            parameter="hookName",
        )
    return list(pairs.values())


def _merge_same_kind(filters: list[Filter]) -> tuple[Filter, ...]:
    """A parameter and its alias (contactId, contactID) are one filter; two filters of one kind must both hold,
    so both stay."""
    merged: dict[str, Filter] = {}
    extra: list[Filter] = []
    for item in filters:
        if item.kind in _ALIASED_KINDS and item.kind in merged:
            merged[item.kind] = Filter(item.kind, tuple(dict.fromkeys(merged[item.kind].values + item.values)))
        elif item.kind in merged:
            if item != merged[item.kind] and item not in extra:
                extra.append(item)
        else:
            merged[item.kind] = item
    return (*merged.values(), *extra)
