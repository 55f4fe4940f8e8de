"""Service-level policies, the pure part: one version of an SLA, and how derivation asks for the right one.

Storage keeps SLA definitions and their versions; derivation only needs, for a queue entry, the version that
was in force for that queue at the moment the entry happened. It asks a `PolicyLookup`. A version applies
from its start (its `effectiveFrom`) until the next one's; the service restates the records a version dated in
the past then judges (`cxreport.service.slas.restate`).
The verdict rules themselves are in `cxreport.metrics.dictionary` (`sla_met`, `sla_abandoned`).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Literal

import msgspec

AbandonType = Literal["ignore-abandons", "count-against-sla"]
NonNegativeSeconds = Annotated[float, msgspec.Meta(ge=0, le=86_400 * 365)]


class SlaPolicy(msgspec.Struct, frozen=True, kw_only=True, omit_defaults=True):
    """One version of a service-level definition.

    - `slaThreshold`: an entry answered within this many seconds met the service level.
    - `abandonType`: `ignore-abandons` leaves abandons shorter than `abandonThreshold` out of the count
      (longer ones count as missed); `count-against-sla` counts every abandon as missed.
    - `slaId`, `slaVersion`: which stored definition this is; copied onto the queue entries it judged.
    """

    slaThreshold: NonNegativeSeconds = 20.0
    abandonType: AbandonType = "ignore-abandons"
    abandonThreshold: NonNegativeSeconds = 20.0
    slaId: str | None = None
    slaVersion: int | None = None

    @property
    def threshold_ms(self) -> int:
        return round(self.slaThreshold * 1000)

    @property
    def abandon_threshold_ms(self) -> int:
        return round(self.abandonThreshold * 1000)


DEFAULT_SLA = SlaPolicy()
"""The tenant default unless changed: 20 s, ignore-abandons, 20 s."""

PolicyLookup = Callable[[str, int], SlaPolicy]
"""`policy_for(queue_id, instant_us)`: the policy in force for that queue at that instant (epoch µs)."""


def policy_lookup(sla: SlaPolicy | PolicyLookup) -> PolicyLookup:
    """A lookup from either one fixed policy or a lookup already."""
    if isinstance(sla, SlaPolicy):
        fixed = sla
        return lambda _queue_id, _instant_us: fixed
    return sla


def versioned_lookup(
    versions: dict[str | None, list[tuple[int, SlaPolicy]]], default: SlaPolicy = DEFAULT_SLA
) -> PolicyLookup:
    """A lookup over policy versions: `versions[queue_id]` (or `versions[None]` for the tenant default) is a
    list of (in force from, epoch µs; policy). An entry is judged by the latest version in force at its
    instant; before the first version of a queue the tenant default applies, and before that `default`."""
    ordered = {key: sorted(items, key=lambda item: item[0]) for key, items in versions.items()}

    def latest(key: str | None, instant_us: int) -> SlaPolicy | None:
        found = None
        for since, policy in ordered.get(key, ()):
            if since > instant_us:
                break
            found = policy
        return found

    def policy_for(queue_id: str, instant_us: int) -> SlaPolicy:
        return latest(queue_id, instant_us) or latest(None, instant_us) or default

    return policy_for
