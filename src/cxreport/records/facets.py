"""What a record exposes to searches: the one registry of facets.

A facet is a (kind, value) pair a record is indexed by and a search can filter on, e.g. ("agentId", "e054…").
Each entry of `FACETS` says, once, everything the layers need to know of it:
- where its values come from in a record (`source`, read from a `RecordView`),
- how the API reaches it (`parameter`, its `aliases`, and the filter grammar: plain values, a true/false flag,
  or part of a compound hook or custom-attribute filter),
- how the stores keep and use it (`multi_valued`; `selectivity`, the order in which a search's filters drive it;
  flags are stored only when true), and the CSV column it fills, if any.

The filters (`records/filters.py`), the stores' SQL (`store/querying.py`), the CLI's export options, the HTTP
parameters and their OpenAPI text (`http/query.py`) and the CSV columns (`records/csv.py`) all read this table:
adding a filterable field is one entry here (plus its field in `RecordView` when it is a new one, and a
migration that fills the facet for stored records).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any, Literal

import msgspec

from cxreport.records.schema import Hook, InteractionRecord

FACET_SEPARATOR = "\x1f"
"""Joins the parts of a compound facet value (hook type, sub-type and id; attribute name and value)."""

MAX_FACET_CHARACTERS = 1000
"""The longest value (UTF-8 bytes) of a field searches filter on, as search filter values are capped too: the
stores index these values, and PostgreSQL's index entries must stay under about 2,700 bytes."""


class AgentRef(msgspec.Struct):
    agentId: str | None = None


class QueueRef(msgspec.Struct):
    queueId: str | None = None
    queueAbandoned: bool | None = None


class RecordView(msgspec.Struct, kw_only=True):
    """The fields of a record that its facets and derived flags are read from (decoded from its JSON text;
    every other field is skipped)."""

    channelType: str | None = None
    direction: str | None = None
    customer: str | None = None
    contactPoint: str | None = None
    contactId: str | None = None
    flowId: str | None = None
    flagged: bool | None = None
    customerAbandonTime: float | None = None
    agents: list[AgentRef] | None = None
    queues: list[QueueRef] | None = None
    hooks: list[Hook] | None = None
    customAttributes: dict[str, str | int | float | bool | None] | None = None


def record_view(record: Mapping[str, Any]) -> RecordView:
    """The facet fields of a record held as a dict (a derived record), without encoding and decoding it."""
    return msgspec.convert(record, RecordView)


Viewable = RecordView | InteractionRecord
"""A record whose facets can be read: a `RecordView` decoded from its text, or the validated record itself."""


# The derived flags: one definition each, for record ingest, derived records and export alike.


def is_abandoned(record: Viewable) -> bool:
    """The customer hung up before reaching an agent: an abandon time, or an abandoned queue entry."""
    return record.customerAbandonTime is not None or any(q.queueAbandoned for q in record.queues or ())


def is_flagged(record: Viewable) -> bool:
    """Some of the record's figures were estimated (derivation says why in `flaggedReasons`)."""
    return bool(record.flagged)


def hook_facets(hook_type: str | None, sub_type: str | None, hook_id: str | None) -> list[tuple[str, str]]:
    """The five facets of one hook: its type, type + sub-type, the whole hook, its id, type + id."""
    parts = [hook_type or "", sub_type or "", hook_id or ""]
    facets = [("hookType", parts[0]), ("hookSubType", FACET_SEPARATOR.join(parts[:2]))]
    facets += [("hook", FACET_SEPARATOR.join(parts)), ("hookId", parts[2])]
    facets.append(("hookTypeId", FACET_SEPARATOR.join((parts[0], parts[2]))))
    return facets


def attribute_facet(name: str, value: str | int | float | bool) -> str:
    text = value if isinstance(value, str) else msgspec.json.encode(value).decode()
    return f"{name}{FACET_SEPARATOR}{text}"


Grammar = Literal["values", "flag", "hook", "attribute"]
"""How the API's filter reaches a facet: comma-separated values; true/false; a part of the hook filter
(hookType, hookSubType, hookId combine); the custom-attribute pair (hookName with attribute-value)."""


@dataclass(frozen=True, slots=True)
class Facet:
    kind: str
    """Its name in the stores (`interaction_facets.kind`) and in `Filter.kind`."""
    source: str
    """Where its values come from in a record, as a JSON path (for people; `values` reads it)."""
    values: Callable[[Viewable], Iterable[str]]
    grammar: Grammar
    selectivity: int
    """Lower is more selective: of a search's filters, the most selective drives the index walk."""
    parameter: str | None = None
    """The query parameter (and CLI option, in kebab case) that filters on it; None when only a combination of
    other parameters reaches it."""
    aliases: tuple[str, ...] = ()
    multi_valued: bool = False
    """A record can have several values (several agents, queues, hooks, attributes)."""
    column: str | None = None
    """The column of the `interactions` table that keeps its (single) value, if any."""
    csv_column: str | None = None
    """The CSV export column that shows it: the value, "true"/"false" for a flag, or the values space-separated."""
    help: str = ""
    test: Callable[[Viewable], bool] | None = None
    """For a flag: the derived flag's definition (`values` gives its true facet when it holds)."""

    @property
    def is_flag(self) -> bool:
        """Stored only when true: `false` is the absence of the `true` facet."""
        return self.grammar == "flag"


def _field(name: str) -> Callable[[Viewable], Iterable[str]]:
    def read(record: Viewable) -> Iterable[str]:
        value = getattr(record, name)
        return () if value is None else (value,)

    return read


def _flag(test: Callable[[Viewable], bool]) -> Callable[[Viewable], Iterable[str]]:
    return lambda record: ("true",) if test(record) else ()


def _agent_ids(record: Viewable) -> Iterable[str]:
    return [a.agentId for a in record.agents or () if a.agentId is not None]


def _queue_ids(record: Viewable) -> Iterable[str]:
    return [q.queueId for q in record.queues or () if q.queueId is not None]


def _hook_part(index: int) -> Callable[[Viewable], Iterable[str]]:
    def read(record: Viewable) -> Iterable[str]:
        return [hook_facets(h.hookType, h.hookSubType, h.hookId)[index][1] for h in record.hooks or ()]

    return read


def _attributes(record: Viewable) -> Iterable[str]:
    attributes = record.customAttributes or {}
    return [attribute_facet(name, value) for name, value in attributes.items() if value is not None]


FACETS: tuple[Facet, ...] = (
    # In the order the API lists its filters (and a search's filters are checked and fingerprinted in).
    Facet("channelType", "channelType", _field("channelType"), "values", 14, "channelType",
          column="channel_type", csv_column="channelType", help="voice, email, sms, chat…"),
    Facet("direction", "direction", _field("direction"), "values", 15, "direction",
          column="direction", csv_column="direction", help="inbound, outbound…"),
    Facet("customer", "customer", _field("customer"), "values", 1, "customer",
          column="customer", csv_column="customer", help="The customer's address (number, e-mail…)."),
    Facet("contactPoint", "contactPoint", _field("contactPoint"), "values", 7, "contactPoint",
          column="contact_point", csv_column="contactPoint", help="The address the customer reached."),
    Facet("contactId", "contactId", _field("contactId"), "values", 0, "contactId", aliases=("contactID",),
          column="contact_id", csv_column="contactId", help="The contact (customer record) id."),
    Facet("agentId", "agents[].agentId", _agent_ids, "values", 8, "agentId", multi_valued=True,
          csv_column="agentIds", help="Any agent entry's agent."),
    Facet("queueId", "queues[].queueId", _queue_ids, "values", 9, "queueId", multi_valued=True,
          csv_column="queueIds", help="Any queue entry's queue."),
    Facet("flowId", "flowId", _field("flowId"), "values", 11, "flowId",
          column="flow_id", csv_column="flowId", help="The flow that handled it."),
    Facet("flagged", "flagged", _flag(is_flagged), "flag", 12, "flagged", test=is_flagged,
          column="flagged", csv_column="flagged", help="Some figures were estimated."),
    Facet("abandoned", "customerAbandonTime, queues[].queueAbandoned", _flag(is_abandoned), "flag", 13,
          "abandoned", test=is_abandoned, column="abandoned", csv_column="abandoned",
          help="The customer hung up before an agent."),
    Facet("hookType", "hooks[].hookType", _hook_part(0), "hook", 10, "hookType", multi_valued=True,
          help="Any hook's type (with hookSubType and hookId: the same hook's)."),
    Facet("hookSubType", "hooks[].hookSubType", _hook_part(1), "hook", 6, "hookSubType", multi_valued=True,
          help="Any hook's sub-type (needs hookType)."),
    Facet("hook", "hooks[]", _hook_part(2), "hook", 2, multi_valued=True),
    Facet("hookId", "hooks[].hookId", _hook_part(3), "hook", 4, "hookId", multi_valued=True,
          help="Any hook's id."),
    Facet("hookTypeId", "hooks[]", _hook_part(4), "hook", 3, multi_valued=True),
    Facet("attr", "customAttributes", _attributes, "attribute", 5, multi_valued=True),
)
"""Every facet; see the module's docstring."""

BY_KIND = {facet.kind: facet for facet in FACETS}
SELECTIVITY = tuple(facet.kind for facet in sorted(FACETS, key=lambda facet: facet.selectivity))
"""Kinds, most selective first."""
FLAG_KINDS = frozenset(facet.kind for facet in FACETS if facet.is_flag)
MULTI_VALUED_KINDS = frozenset(facet.kind for facet in FACETS if facet.multi_valued)
ATTRIBUTE_PARAMETERS = ("hookName", "attribute-value")
"""The custom-attribute filter's pair of parameters (`hookName=N&attribute-value=V`)."""
FILTER_PARAMETERS: tuple[str, ...] = (
    *(name for facet in FACETS if facet.parameter for name in (facet.parameter, *facet.aliases)),
    *ATTRIBUTE_PARAMETERS,
)
"""Every query parameter that filters, in the API's order."""

_FIELDS = tuple((f.kind, f.source) for f in FACETS if f.grammar == "values" and not f.multi_valued)
_FLAGS = tuple((f.kind, f.test) for f in FACETS if f.test is not None)
_LISTS = tuple((f.kind, f.values) for f in FACETS if f.grammar == "values" and f.multi_valued)


def facets_of(record: Viewable) -> tuple[tuple[str, str], ...]:
    """Every (kind, value) a search can filter this record on, each once: its fields, flags and lists as the
    registry says, then each hook's five facets and the attributes (read by kind of source, not facet by facet:
    this runs for every record written)."""
    found: dict[tuple[str, str], None] = {}
    for kind, field in _FIELDS:
        value = getattr(record, field)
        if value is not None:
            found[kind, value] = None
    for kind, test in _FLAGS:
        if test(record):
            found[kind, "true"] = None
    for kind, values in _LISTS:
        for value in values(record):
            found[kind, value] = None
    for hook in record.hooks or ():
        for pair in hook_facets(hook.hookType, hook.hookSubType, hook.hookId):
            found[pair] = None
    if record.customAttributes:
        for value in _attributes(record):
            found["attr", value] = None
    return tuple(found)
