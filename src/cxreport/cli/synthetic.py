"""Deterministic synthetic contact-center interaction records.

`generate_interactions` yields dicts shaped like the records in
``data/seed-sample-response.json`` (same key names, value types and key order),
for demos and benchmarks.  Everything is drawn from one ``random.Random(seed)``,
so the same arguments always give the same records in the same order.

Model, per record:

* start: spread over ``[start, end)``, weighted toward business hours in
  US/Eastern (taken as UTC-5, exact for the default November-January window),
  with fewer contacts on weekends and on US holidays.
* channel: voice 55 % (12 % of them outbound), email 20 %, chat 13 %, sms 12 %.
* outcome: about 3 % hang up in the IVR before reaching a queue (voice inbound;
  ``queues`` is empty), 12 % abandon in queue (voice, chat, sms; about a quarter
  within 20 s), under 0.2 % are still talking to an agent when the window ends
  (no ``endTimestamp``/``interactionTime``; the open segment and agent entry have
  no end or totals either), and the rest, about 85 %, are answered.  Records
  where no agent was reached have no ``agents`` key, as in the seed sample.
  8 % of answered contacts are transferred (one in seven of them twice), to
  another queue or straight to another agent; 15 % of answered voice calls have
  1-3 customer holds.  1.5 % are ``flagged``; half carry a ``contactId``.

All times are integer milliseconds until they are written out, so durations
(seconds, 3 decimals) agree exactly with the record's own timestamps:

* interactionTime = end - start; ivrTime = first queue entry - start (for an
  IVR abandon: the time spent in the IVR); customerAbandonTime = abandon - start.
* queueTime = queue exit - entry, the exit being the agent's acceptance or the
  abandon; timeToAnswer = entry -> conversation start (voice: after the call is
  bridged; email: the first reply, once the agent has read the email); slaTime =
  timeToAnswer when answered, queueTime when abandoned.  Transfer queue entries
  carry neither, as in the seed sample.  slaAbandoned: abandoned after 10 s.
* agents: startTimestamp = work offered, endTimestamp = end of wrap-up;
  agentConversationTime = talk + hold; agentHandleTime = talk + hold + wrap-up.
* segments are back to back: a transfer segment starts when the previous agent's
  conversation ends and the last one ends when the customer leaves (hangs up or
  the conversation ends); the interaction closes 2-90 ms after that.

Keys come in the order the seed sample's records use (the same for every
record of a kind).  Queue, agent and flow ids come from a fixed generator and
agents' sessionIds from the agent and the day, so they are the same for every
seed.
"""

from __future__ import annotations

import bisect
import functools
import hashlib
import itertools
import math
import random
from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime
from statistics import NormalDist

__all__ = ["generate_interactions"]

Record = dict[str, object]

_MS_PER_HOUR = 3_600_000
_MS_PER_DAY = 86_400_000
_EASTERN_OFFSET_MS = -5 * _MS_PER_HOUR  # EST; the default window has no DST
_EPOCH_ORDINAL = date(1970, 1, 1).toordinal()

_FLAGGED_SHARE = 0.015
_CONTACT_ID_SHARE = 0.5
_TRANSFER_SHARE = 0.08
_SECOND_TRANSFER_SHARE = 0.15  # of transferred contacts
_QUEUE_TRANSFER_SHARE = 0.6  # the rest go straight to another agent
_SLA_ABANDON_THRESHOLD_MS = 10_000  # abandons after this count against SLA

# Relative contact volume per US/Eastern hour of day, and per weekday (Mon=0).
_HOUR_WEIGHTS = (
    0.15, 0.1, 0.08, 0.08, 0.1, 0.2, 0.4, 0.9, 2.0, 3.2, 3.6, 3.5,
    3.0, 3.3, 3.4, 3.2, 2.8, 2.2, 1.5, 1.1, 0.8, 0.6, 0.4, 0.25,
)
_DAY_WEIGHTS = (1.1, 1.0, 1.0, 1.0, 0.9, 0.35, 0.25)
_HOLIDAY_WEIGHT = 0.25
_FIXED_HOLIDAYS = frozenset({(1, 1), (7, 4), (12, 25)})

_QUANTILES = 256
_STANDARD_NORMAL = tuple(NormalDist().inv_cdf((i + 0.5) / _QUANTILES) for i in range(_QUANTILES))

Quantiles = tuple[int, ...]  # a duration distribution, as _QUANTILES evenly spaced quantiles (ms)


def _lognormal(median_ms: int, sigma: float, low_ms: int, high_ms: int) -> Quantiles:
    """Quantiles of a lognormal duration, clamped to [low_ms, high_ms]; see `_Generator._duration`.

    Whole milliseconds, so that a last-bit difference in another platform's `math.exp`
    cannot change the records.
    """
    return tuple(min(max(round(median_ms * math.exp(sigma * z)), low_ms), high_ms) for z in _STANDARD_NORMAL)


Mix = tuple[tuple[str, ...], tuple[float, ...]]  # names and their cumulative weights


def _mix(weights: dict[str, float]) -> Mix:
    """Names with cumulative weights, for `_Generator._pick`; the weights need not sum to 1."""
    total = sum(weights.values())
    return tuple(weights), tuple(c / total for c in itertools.accumulate(weights.values()))


@dataclass(frozen=True, slots=True)
class _Channel:
    """How contacts on one channel behave (probabilities; durations as lognormal quantiles)."""

    name: str
    flow: str
    queues: Mix
    outbound: float  # voice: calls the agents place
    ivr_abandon: float  # inbound: hang up in the IVR, before any queue
    queue_abandon: float  # inbound: hang up while waiting in queue
    in_progress: float  # still talking to an agent when the window ends
    holds: float  # answered: the customer is put on hold 1-3 times
    wait: Quantiles  # in queue, until an agent accepts
    offer: Quantiles  # the agent is offered the work, until accepting it
    talk: Quantiles
    wrap: Quantiles
    connect_ms: tuple[int, int]  # from acceptance to the conversation (bridging a call)
    reads: bool  # email: the agent reads before the first reply


_CHANNELS = {
    "voice": _Channel(
        name="voice", flow="Basic Flow",
        queues=_mix({"Support": 40, "Sales": 25, "Billing": 20, "Tech Support": 15}),
        outbound=0.12, ivr_abandon=0.062, queue_abandon=0.20, in_progress=0.002, holds=0.15,
        wait=_lognormal(25_000, 1.0, 1_000, 3_600_000), offer=_lognormal(4_000, 0.4, 1_000, 30_000),
        talk=_lognormal(240_000, 0.7, 10_000, 7_200_000), wrap=_lognormal(30_000, 0.7, 2_000, 900_000),
        connect_ms=(200, 1_500), reads=False,
    ),
    "email": _Channel(
        name="email", flow="Email Flow",
        queues=_mix({"Support": 50, "Billing": 30, "Sales": 20}),
        outbound=0.0, ivr_abandon=0.0, queue_abandon=0.0, in_progress=0.0, holds=0.0,
        wait=_lognormal(900_000, 1.2, 5_000, 86_400_000), offer=_lognormal(8_000, 0.6, 1_000, 120_000),
        talk=_lognormal(180_000, 0.8, 5_000, 3_600_000), wrap=_lognormal(20_000, 0.7, 1_000, 600_000),
        connect_ms=(0, 0), reads=True,
    ),
    "sms": _Channel(
        name="sms", flow="SMS Flow",
        queues=_mix({"Support": 60, "Sales": 25, "Billing": 15}),
        outbound=0.0, ivr_abandon=0.0, queue_abandon=0.05, in_progress=0.002, holds=0.0,
        wait=_lognormal(60_000, 1.1, 1_000, 7_200_000), offer=_lognormal(6_000, 0.5, 1_000, 60_000),
        talk=_lognormal(480_000, 0.8, 10_000, 14_400_000), wrap=_lognormal(20_000, 0.6, 1_000, 600_000),
        connect_ms=(0, 0), reads=False,
    ),
    "chat": _Channel(
        name="chat", flow="Chat Flow",
        queues=_mix({"Support": 40, "Tech Support": 35, "Sales": 25}),
        outbound=0.0, ivr_abandon=0.0, queue_abandon=0.12, in_progress=0.002, holds=0.0,
        wait=_lognormal(20_000, 0.9, 1_000, 3_600_000), offer=_lognormal(5_000, 0.5, 1_000, 60_000),
        talk=_lognormal(420_000, 0.6, 15_000, 7_200_000), wrap=_lognormal(25_000, 0.6, 1_000, 600_000),
        connect_ms=(0, 0), reads=False,
    ),
}
_CHANNEL_MIX = _mix({"voice": 55, "email": 20, "sms": 12, "chat": 13})
_OUTBOUND_FLOW = "Outbound Flow"
_OUTBOUND_CALLER_ID = "+15553005000"
_TRANSFER_WAIT = _lognormal(15_000, 0.8, 1_000, 1_800_000)
_HOLD = _lognormal(40_000, 0.7, 3_000, 900_000)
_QUEUE_PATIENCE = _lognormal(35_000, 0.9, 1_000, 1_800_000)
_IVR_PATIENCE = _lognormal(15_000, 0.8, 1_000, 600_000)
_IVR_MENU = _lognormal(12_000, 0.6, 1_500, 300_000)

_QUEUE_NAMES = ("Support", "Sales", "Billing", "Tech Support")
_CONTACT_POINTS = {
    "voice": ("+15553005555", "+15553005600", "+15553005700", "+15553005800"),
    "sms": ("+15553005900",) * 4,
    "email": ("support@example.com", "sales@example.com",
              "billing@example.com", "techsupport@example.com"),
    "chat": ("https://example.com/chat/support", "https://example.com/chat/sales",
             "https://example.com/chat/billing", "https://example.com/chat/tech"),
}
_AGENT_NAMES = (
    "Avery Brooks", "Priya Shah", "Marcus Lee", "Sofia Alvarez", "Daniel Kim",
    "Grace Okafor", "Liam O'Brien", "Mei Chen", "Noah Fischer", "Amara Diallo",
    "Ethan Novak", "Chloe Martin", "Omar Haddad", "Hannah Weiss", "Lucas Silva",
    "Isabel Rossi", "Jamal Carter", "Yuki Tanaka", "Nora Lindqvist", "Samuel Adeyemi",
)
_FIRST_NAMES = ("alex", "sam", "jordan", "taylor", "morgan", "casey", "riley",
                "jamie", "drew", "quinn", "maria", "li", "ana", "omar", "eva", "raj")
_LAST_NAMES = ("smith", "garcia", "nguyen", "patel", "johnson", "lopez", "brown",
               "khan", "miller", "davis", "wilson", "moore", "clark", "young")
_EMAIL_DOMAINS = ("example.com", "example.org", "example.net", "mail.example.com")
_CATALOGUE_SEED = 20171113


@dataclass(frozen=True, slots=True)
class _Queue:
    name: str
    queue_id: str
    platform_id: int
    index: int


@dataclass(frozen=True, slots=True)
class _Agent:
    name: str
    agent_id: str
    platform_id: int
    tenant_agent_id: int


@dataclass(frozen=True, slots=True)
class _Catalogue:
    queues: tuple[_Queue, ...]
    by_name: dict[str, _Queue]
    staff: dict[str, tuple[_Agent, ...]]  # agents serving each queue
    flow_ids: dict[str, str]


_UUID_CLEAR = ~((0xF000 << 64) | (0xC000 << 48)) & ((1 << 128) - 1)
_UUID_SET = (0x4000 << 64) | (0x8000 << 48)


def _uuid4(bits: int) -> str:
    """128 random bits as a version-4 UUID string: ``str(uuid.UUID(int=bits, version=4))``, faster."""
    h = (bits & _UUID_CLEAR | _UUID_SET).to_bytes(16, "big").hex()
    return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}"


@functools.cache
def _catalogue() -> _Catalogue:
    """The tenant's queues, agents and flows; the same for every seed."""
    rng = random.Random(_CATALOGUE_SEED)  # noqa: S311 - made-up data, not secrets
    queue_pids = rng.sample(range(700, 800), len(_QUEUE_NAMES))
    queues = tuple(
        _Queue(name, _uuid4(rng.getrandbits(128)), pid, i)
        for i, (name, pid) in enumerate(zip(_QUEUE_NAMES, queue_pids, strict=True))
    )
    agent_pids = rng.sample(range(10_000, 20_000), len(_AGENT_NAMES))
    tenant_ids = rng.sample(range(1_000, 10_000), len(_AGENT_NAMES))
    agents = [
        _Agent(name, _uuid4(rng.getrandbits(128)), pid, tid)
        for name, pid, tid in zip(_AGENT_NAMES, agent_pids, tenant_ids, strict=True)
    ]
    # Agent i is skilled for queues i and i+1 (mod 4): ten agents per queue.
    staff = {
        q.name: tuple(a for i, a in enumerate(agents) if q.index in (i % 4, (i + 1) % 4))
        for q in queues
    }
    flow_names = [c.flow for c in _CHANNELS.values()] + [_OUTBOUND_FLOW]
    flow_ids = {name: _uuid4(rng.getrandbits(128)) for name in flow_names}
    return _Catalogue(queues, {q.name: q for q in queues}, staff, flow_ids)


# Timestamp pieces, looked up rather than formatted: "YYYY-MM-DDT" per day (filled as
# days come up), "HH:MM:" per minute of the day and "SS.mmmZ" per millisecond of a minute.
_DAY_PREFIX: dict[int, str] = {}
_HH_MM: list[str] = []
_SS_MMM: list[str] = []


def _fill_time_tables() -> None:
    """Build the minute and millisecond tables (about 4 MB, 30 ms) on first use."""
    if not _SS_MMM:
        millis = [f"{milli:03d}Z" for milli in range(1000)]
        _HH_MM[:] = [f"{hour:02d}:{minute:02d}:" for hour in range(24) for minute in range(60)]
        _SS_MMM[:] = [f"{sec:02d}.{tail}" for sec in range(60) for tail in millis]


def _iso(ms: int) -> str:
    """Epoch milliseconds -> ``YYYY-MM-DDTHH:MM:SS.mmmZ`` (after `_fill_time_tables`)."""
    day, rem = divmod(ms, _MS_PER_DAY)
    prefix = _DAY_PREFIX.get(day)
    if prefix is None:
        prefix = _DAY_PREFIX[day] = date.fromordinal(day + _EPOCH_ORDINAL).isoformat() + "T"
    minute, rem = divmod(rem, 60_000)
    return f"{prefix}{_HH_MM[minute]}{_SS_MMM[rem]}"


def _parse_ms(text: str) -> int:
    """ISO-8601 timestamp (naive means UTC) -> epoch milliseconds."""
    moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    delta = moment - datetime(1970, 1, 1, tzinfo=UTC)
    return delta.days * _MS_PER_DAY + delta.seconds * 1000 + delta.microseconds // 1000


@functools.cache
def _session_id(agent_id: str, eastern_day: int) -> str:
    """An agent's login session: one per agent per US/Eastern day."""
    digest = hashlib.blake2b(f"{agent_id}/{eastern_day}".encode(), digest_size=16)
    return _uuid4(int.from_bytes(digest.digest(), "big"))


def _hour_weight(hour_start_ms: int) -> float:
    local = hour_start_ms + _EASTERN_OFFSET_MS
    day = local // _MS_PER_DAY
    hour = (local % _MS_PER_DAY) // _MS_PER_HOUR
    on = date.fromordinal(day + _EPOCH_ORDINAL)
    thanksgiving = on.month == 11 and on.weekday() == 3 and 22 <= on.day <= 28
    if thanksgiving or (on.month, on.day) in _FIXED_HOLIDAYS:
        day_weight = _HOLIDAY_WEIGHT
    else:
        day_weight = _DAY_WEIGHTS[on.weekday()]
    return _HOUR_WEIGHTS[hour] * day_weight


class _StartSampler:
    """Draws start times over [start, end) from hourly business-load weights."""

    def __init__(self, start_ms: int, end_ms: int) -> None:
        self._starts: list[int] = []
        self._lengths: list[int] = []
        self._cum: list[float] = []
        total = 0.0
        t = start_ms
        while t < end_ms:
            stop = min((t // _MS_PER_HOUR + 1) * _MS_PER_HOUR, end_ms)
            total += _hour_weight(t) * (stop - t)
            self._starts.append(t)
            self._lengths.append(stop - t)
            self._cum.append(total)
            t = stop
        self._total = total

    def sample(self, u: float) -> int:
        """Map a uniform draw in [0, 1) to a start time (one draw picks hour and offset)."""
        r = u * self._total
        i = min(bisect.bisect_right(self._cum, r), len(self._cum) - 1)
        low = self._cum[i - 1] if i else 0.0
        length = self._lengths[i]
        offset = int((r - low) / (self._cum[i] - low) * length)
        return self._starts[i] + min(max(offset, 0), length - 1)


@dataclass(slots=True)
class _Context:
    """What is decided about a contact before its outcome."""

    channel: _Channel
    direction: str
    flow: str
    queue: _Queue
    start_ms: int
    start_text: str
    interaction_id: str
    contact_point: str
    customer: str
    contact_id: str | None
    flagged: bool


@dataclass(slots=True)
class _Leg:
    """One agent's part of an answered contact: times in epoch ms, durations in ms.

    Its segment starts at ``seg_start``; the customer enters the queue at ``arrive``
    (a direct transfer: the agent is offered the work then) and waits until the agent
    accepts at ``accept``; the conversation runs from ``talk_start`` (after bridging)
    to ``conv_end`` (talk plus holds) and the agent then wraps up.
    """

    queue: _Queue
    agent: _Agent
    via_queue: bool
    segment_id: str
    queue_entry_id: str
    agent_entry_id: str
    seg_start: int
    arrive: int
    accept: int
    talk_start: int
    conv_end: int
    offer: int
    read: int  # email: reading time, the first part of the talk time
    talk: int
    hold: int
    wrap: int
    focus: int  # agentFocusTime: the whole handle time on voice, less on digital
    entries: int  # queueEntryLength: 1 + offers missed while waiting


class _Generator:
    """Makes one record at a time from a single seeded `random.Random`."""

    def __init__(self, seed: int, tenant_id: str, start_ms: int, end_ms: int) -> None:
        rng = random.Random(seed)  # noqa: S311 - made-up data, not secrets
        self._random = rng.random
        self._bits = rng.getrandbits
        self._tenant_id = tenant_id
        self._start_ms = start_ms
        self._end_ms = end_ms
        self._sampler = _StartSampler(start_ms, end_ms)
        self._catalogue = _catalogue()

    # -- small draws -------------------------------------------------------
    def _uuid(self) -> str:
        return _uuid4(self._bits(128))

    def _between(self, low: int, high: int) -> int:
        return low + int(self._random() * (high - low + 1))

    def _duration(self, quantiles: Quantiles) -> int:
        """Inverse-CDF draw: interpolate between the quantiles around a uniform draw."""
        x = self._random() * (_QUANTILES - 1)
        i = int(x)
        low = quantiles[i]
        return int(low + (quantiles[i + 1] - low) * (x - i))

    def _pick(self, mix: Mix) -> str:
        names, cumulative = mix
        return names[min(bisect.bisect_right(cumulative, self._random()), len(names) - 1)]

    def _customer(self, channel: str) -> str:
        if channel in ("voice", "sms"):
            return f"+1555{int(self._random() * 10_000_000):07d}"
        first = _FIRST_NAMES[int(self._random() * len(_FIRST_NAMES))]
        last = _LAST_NAMES[int(self._random() * len(_LAST_NAMES))]
        number = int(self._random() * 100)
        if channel == "chat":
            return f"{first}_{last[0]}{number}"
        domain = _EMAIL_DOMAINS[int(self._random() * len(_EMAIL_DOMAINS))]
        return f"{first}.{last}{number}@{domain}"

    # -- one record --------------------------------------------------------
    def record(self) -> Record:
        return self._outcome(self._context())

    def _context(self) -> _Context:
        channel = _CHANNELS[self._pick(_CHANNEL_MIX)]
        outbound = self._random() < channel.outbound
        queue = self._catalogue.by_name[self._pick(channel.queues)]
        if outbound:
            flow, contact_point = _OUTBOUND_FLOW, _OUTBOUND_CALLER_ID
        else:
            flow, contact_point = channel.flow, _CONTACT_POINTS[channel.name][queue.index]
        start_ms = self._sampler.sample(self._random())
        return _Context(
            channel=channel,
            direction="outbound" if outbound else "inbound",
            flow=flow,
            queue=queue,
            start_ms=start_ms,
            start_text=_iso(start_ms),
            interaction_id=self._uuid(),
            contact_point=contact_point,
            customer=self._customer(channel.name),
            contact_id=self._uuid() if self._random() < _CONTACT_ID_SHARE else None,
            flagged=self._random() < _FLAGGED_SHARE,
        )

    def _outcome(self, context: _Context) -> Record:
        """Decide how the contact went and build its record."""
        channel = context.channel
        u = self._random()
        if context.direction == "inbound":  # agents place outbound calls: no IVR, no abandons
            if u < channel.ivr_abandon:
                return self._ivr_abandon(context)
            if u < channel.ivr_abandon + channel.queue_abandon:
                return self._queue_abandon(context)
        if u >= 1.0 - channel.in_progress:
            record = self._in_progress(context)
            if record is not None:
                return record
        return self._answered(context)

    def _assemble(self, context: _Context, *, ivr_ms: int, end_ms: int | None, segments: list[Record],
                  queues: list[Record], agents: list[Record], abandon_ms: int | None = None,
                  holds: int = 0, hold_ms: int = 0, transfers: int = 0) -> Record:
        """The whole record, keys in the seed sample's order."""
        record: Record = {"tenantId": self._tenant_id}
        if abandon_ms is not None:
            record["customerAbandonTime"] = abandon_ms / 1000
        if context.flagged:
            record["flagged"] = True
        if holds:
            record["customerHoldTime"] = hold_ms / 1000
        if end_ms is not None:
            record["endTimestamp"] = _iso(end_ms)
        record["flowId"] = self._catalogue.flow_ids[context.flow]
        if transfers:
            record["customerTransfers"] = transfers
        if end_ms is not None:
            record["interactionTime"] = (end_ms - context.start_ms) / 1000
        record["segments"] = segments
        record["interactionId"] = context.interaction_id
        record["contactPoint"] = context.contact_point
        record["customer"] = context.customer
        record["customerHolds"] = holds
        record["startTimestamp"] = context.start_text
        record["ivrTime"] = ivr_ms / 1000
        if agents:
            record["agents"] = agents
        record["flowName"] = context.flow
        record["queues"] = queues
        record["direction"] = context.direction
        if context.contact_id is not None:
            record["contactId"] = context.contact_id
        record["channelType"] = context.channel.name
        return record

    # -- outcomes ----------------------------------------------------------
    def _ivr_ms(self, context: _Context) -> int:
        if context.channel.name == "voice" and context.direction == "inbound":
            return self._duration(_IVR_MENU)
        return self._between(50, 600)  # flow routing only

    def _ivr_abandon(self, context: _Context) -> Record:
        in_ivr = self._duration(_IVR_PATIENCE)
        left = context.start_ms + in_ivr
        segment = _cancelled_segment(self._uuid(), context.start_text, _iso(left), in_ivr)
        return self._assemble(context, ivr_ms=in_ivr, end_ms=left + self._between(2, 90),
                              segments=[segment], queues=[], agents=[], abandon_ms=in_ivr)

    def _queue_abandon(self, context: _Context) -> Record:
        ivr_ms = self._ivr_ms(context)
        waited = self._duration(_QUEUE_PATIENCE)
        entry = context.start_ms + ivr_ms
        left = entry + waited
        left_text = _iso(left)
        segment_id = self._uuid()
        segment = _cancelled_segment(segment_id, context.start_text, left_text, ivr_ms + waited)
        queue = _abandoned_queue_entry(context.queue, segment_id, self._uuid(), _iso(entry),
                                       left_text, waited, self._entries(waited))
        return self._assemble(context, ivr_ms=ivr_ms, end_ms=left + self._between(2, 90),
                              segments=[segment], queues=[queue], agents=[], abandon_ms=ivr_ms + waited)

    def _answered(self, context: _Context) -> Record:
        ivr_ms = self._ivr_ms(context)
        holds, hold_ms = self._holds(context.channel)
        legs = self._legs(context, context.start_ms + ivr_ms, hold_ms)
        segments = [_first_segment(legs[0], context.start_text)]
        queues = [_answered_queue_entry(legs[0], first=True)]
        agents = [_agent_entry(legs[0])]
        for number in range(1, len(legs)):  # transfers
            leg = legs[number]
            segments.append(_transfer_segment(number, legs[number - 1], leg))
            if leg.via_queue:
                queues.append(_answered_queue_entry(leg, first=False))
            agents.append(_agent_entry(leg))
        return self._assemble(context, ivr_ms=ivr_ms, end_ms=legs[-1].conv_end + self._between(2, 90),
                              segments=segments, queues=queues, agents=agents,
                              holds=holds, hold_ms=hold_ms, transfers=len(legs) - 1)

    def _in_progress(self, context: _Context) -> Record | None:
        """Talking to an agent when the window ends; None if it would start before the window."""
        ivr_ms = self._ivr_ms(context)
        leg = self._leg(context.channel, context.queue, None, via_queue=True, hold=0,
                        seg_start=0, arrive=ivr_ms)  # times from the start; moved below
        start = self._end_ms - leg.talk_start - (1 + int(self._random() * leg.talk))
        if start < self._start_ms:
            return None
        leg = replace(leg, seg_start=start, arrive=start + ivr_ms, accept=start + leg.accept,
                      talk_start=start + leg.talk_start, conv_end=start + leg.conv_end)
        context.start_ms, context.start_text = start, _iso(start)
        return self._assemble(context, ivr_ms=ivr_ms, end_ms=None,
                              segments=[_open_segment(leg, context.start_text)],
                              queues=[_answered_queue_entry(leg, first=True)],
                              agents=[_open_agent_entry(leg)])

    # -- answered contacts -------------------------------------------------
    def _holds(self, channel: _Channel) -> tuple[int, int]:
        if self._random() >= channel.holds:
            return 0, 0
        u = self._random()
        count = 1 + (u < 0.30) + (u < 0.08)  # 1 hold 70 %, 2 holds 22 %, 3 holds 8 %
        return count, sum(self._duration(_HOLD) for _ in range(count))

    def _entries(self, wait_ms: int) -> int:
        """queueEntryLength: 1 + offers that went unanswered, more the longer the wait."""
        return 1 + int(self._random() * wait_ms / 120_000)

    def _legs(self, context: _Context, arrive: int, hold_ms: int) -> list[_Leg]:
        """The first agent (holds happen there), then any transfers."""
        channel = context.channel
        legs = [self._leg(channel, context.queue, None, via_queue=True, hold=hold_ms,
                          seg_start=context.start_ms, arrive=arrive)]
        transfers = 0
        if self._random() < _TRANSFER_SHARE:
            transfers = 2 if self._random() < _SECOND_TRANSFER_SHARE else 1
        for _ in range(transfers):
            prev = legs[-1]
            via_queue = self._random() < _QUEUE_TRANSFER_SHARE
            queue = self._other_queue(prev.queue) if via_queue else prev.queue
            arrive = prev.conv_end + self._between(100, 600)
            legs.append(self._leg(channel, queue, prev.agent, via_queue=via_queue, hold=0,
                                  seg_start=prev.conv_end, arrive=arrive))
        return legs

    def _leg(self, channel: _Channel, queue: _Queue, previous: _Agent | None, *,
             via_queue: bool, hold: int, seg_start: int, arrive: int) -> _Leg:
        """Draw one agent leg: the first one when `previous` is None, else a transfer from it."""
        offer = self._duration(channel.offer)
        wait = offer  # a direct transfer waits only for the agent to accept
        if via_queue:
            wait = max(offer, self._duration(channel.wait if previous is None else _TRANSFER_WAIT))
        talk = self._duration(channel.talk)
        wrap = self._duration(channel.wrap)
        handle = talk + hold + wrap
        focus = handle if channel.name == "voice" else int(handle * (0.55 + 0.45 * self._random()))
        talk_start = arrive + wait + self._between(*channel.connect_ms)
        return _Leg(
            queue=queue,
            agent=self._agent_for(queue, previous),
            via_queue=via_queue,
            segment_id=self._uuid(),
            queue_entry_id=self._uuid() if via_queue else "",
            agent_entry_id=self._uuid(),
            seg_start=seg_start,
            arrive=arrive,
            accept=arrive + wait,
            talk_start=talk_start,
            conv_end=talk_start + talk + hold,
            offer=offer,
            read=int(talk * (0.4 + 0.5 * self._random())) if channel.reads else 0,
            talk=talk,
            hold=hold,
            wrap=wrap,
            focus=focus,
            entries=self._entries(wait) if via_queue else 1,
        )

    def _agent_for(self, queue: _Queue, previous: _Agent | None) -> _Agent:
        staff = self._catalogue.staff[queue.name]
        i = int(self._random() * len(staff))
        if staff[i] is previous:
            i = (i + 1) % len(staff)
        return staff[i]

    def _other_queue(self, queue: _Queue) -> _Queue:
        queues = self._catalogue.queues
        return queues[(queue.index + 1 + int(self._random() * (len(queues) - 1))) % len(queues)]


# -- nested entries (pure; keys in the seed sample's order) -------------------
def _agent_entry(leg: _Leg) -> Record:
    """A finished agent leg: offered the work, accepted, talked (and held), wrapped up."""
    agent = leg.agent
    offered = leg.accept - leg.offer
    conversation = leg.talk + leg.hold
    entry: Record = {
        "platformAgentId": agent.platform_id,
        "agentWorkAccepted": True,
        "agentName": agent.name,
        "agentWorkOfferTime": leg.offer / 1000,
        "agentWrapUpTime": leg.wrap / 1000,
        "sessionId": _session_id(agent.agent_id, (offered + _EASTERN_OFFSET_MS) // _MS_PER_DAY),
        "interactionSegmentId": leg.segment_id,
        "agentId": agent.agent_id,
        "interactionAgentId": leg.agent_entry_id,
        "endTimestamp": _iso(leg.conv_end + leg.wrap),
        "agentHandleTime": (conversation + leg.wrap) / 1000,
        "agentFocusTime": leg.focus / 1000,
        "startTimestamp": _iso(offered),
        "tenantAgentId": agent.tenant_agent_id,
        "agentConversationTime": conversation / 1000,
    }
    if leg.read:
        entry["agentReadTime"] = leg.read / 1000
    entry["queueId"] = leg.queue.queue_id
    entry["agentTalkTime"] = leg.talk / 1000
    entry["agentWorkAcceptedTime"] = leg.offer / 1000
    return entry


def _open_agent_entry(leg: _Leg) -> Record:
    """An agent still in conversation: no end, no talk or wrap-up totals yet."""
    agent = leg.agent
    offered = leg.accept - leg.offer
    return {
        "platformAgentId": agent.platform_id,
        "agentWorkAccepted": True,
        "agentName": agent.name,
        "agentWorkOfferTime": leg.offer / 1000,
        "sessionId": _session_id(agent.agent_id, (offered + _EASTERN_OFFSET_MS) // _MS_PER_DAY),
        "interactionSegmentId": leg.segment_id,
        "agentId": agent.agent_id,
        "interactionAgentId": leg.agent_entry_id,
        "startTimestamp": _iso(offered),
        "tenantAgentId": agent.tenant_agent_id,
        "queueId": leg.queue.queue_id,
        "agentWorkAcceptedTime": leg.offer / 1000,
    }


def _cancelled_segment(segment_id: str, start_text: str, left_text: str, lasted_ms: int) -> Record:
    return {
        "segmentNumber": 0,
        "segmentCancelled": True,
        "interactionSegmentId": segment_id,
        "segmentStartType": "interaction",
        "endTimestamp": left_text,
        "segmentEndType": "customer-disconnect",
        "segmentCancelTime": lasted_ms / 1000,
        "startTimestamp": start_text,
        "segmentTime": lasted_ms / 1000,
    }


def _first_segment(leg: _Leg, start_text: str) -> Record:
    return {
        "endTimestamp": _iso(leg.conv_end),
        "interactionSegmentId": leg.segment_id,
        "segmentEndType": "success",
        "segmentStartType": "interaction",
        "segmentToAgentId": leg.agent.agent_id,
        "startTimestamp": start_text,
        "segmentNumber": 0,
        "segmentTime": (leg.conv_end - leg.seg_start) / 1000,
    }


def _open_segment(leg: _Leg, start_text: str) -> Record:
    return {
        "interactionSegmentId": leg.segment_id,
        "segmentStartType": "interaction",
        "segmentToAgentId": leg.agent.agent_id,
        "startTimestamp": start_text,
        "segmentNumber": 0,
    }


def _transfer_segment(number: int, source: _Leg, leg: _Leg) -> Record:
    """Segment `number`: `source`'s agent hands the customer over to `leg`'s."""
    return {
        "segmentNumber": number,
        "interactionSegmentId": leg.segment_id,
        "agentId": source.agent.agent_id,
        "interactionAgentId": source.agent_entry_id,
        "transfer": True,
        "segmentStartType": "transfer",
        "segmentToAgentId": leg.agent.agent_id,
        "endTimestamp": _iso(leg.conv_end),
        "segmentEndType": "success",
        "transferTime": (leg.accept - leg.seg_start) / 1000,
        "startTimestamp": _iso(leg.seg_start),
        "segmentTime": (leg.conv_end - leg.seg_start) / 1000,
    }


def _abandoned_queue_entry(queue: _Queue, segment_id: str, entry_id: str, entry_text: str,
                           left_text: str, waited_ms: int, entries: int) -> Record:
    waited = waited_ms / 1000
    return {
        "queueEntryLength": entries,
        "interactionSegmentId": segment_id,
        "queueAbandonTime": waited,
        "platformQueueId": queue.platform_id,
        "queueAbandoned": True,
        "endTimestamp": left_text,
        "slaAbandoned": waited_ms > _SLA_ABANDON_THRESHOLD_MS,
        "queueExitType": "abandon",
        "queueEntryType": "ivr",
        "interactionQueueId": entry_id,
        "queueType": "queue",
        "startTimestamp": entry_text,
        "queueName": queue.name,
        "queueTime": waited,
        "slaTime": waited,
        "queueId": queue.queue_id,
    }


def _answered_queue_entry(leg: _Leg, first: bool) -> Record:
    """Queue entry ending at the agent's acceptance; SLA fields on the first only."""
    queue = leg.queue
    entry: Record = {
        "queueEntryLength": leg.entries,
        "interactionSegmentId": leg.segment_id,
        "agentId": leg.agent.agent_id,
        "platformQueueId": queue.platform_id,
        "endTimestamp": _iso(leg.accept),
        "queueExitType": "success",
        "queueEntryType": "ivr" if first else "transfer",
        "interactionQueueId": leg.queue_entry_id,
        "queueType": "queue",
        "startTimestamp": _iso(leg.arrive),
        "queueName": queue.name,
        "queueTime": (leg.accept - leg.arrive) / 1000,
    }
    answer = (leg.talk_start + leg.read - leg.arrive) / 1000  # entry -> conversation start
    if first:
        entry["slaTime"] = answer
    entry["queueId"] = queue.queue_id
    if first:
        entry["timeToAnswer"] = answer
    return entry


def generate_interactions(
    count: int,
    *,
    seed: int,
    tenant_id: str,
    start: str = "2017-11-13T00:00:00.000Z",
    end: str = "2018-01-10T00:00:00.000Z",
) -> Iterator[dict[str, object]]:
    """Yield `count` records; same arguments -> identical records (same order, same values).

    Records come in no particular time order; each ``startTimestamp`` lies in
    ``[start, end)``.  Raises ValueError for a negative count or an empty window.
    """
    if count < 0:
        raise ValueError(f"count must be >= 0, got {count}")
    start_ms, end_ms = _parse_ms(start), _parse_ms(end)
    if end_ms <= start_ms:
        raise ValueError(f"end ({end}) must be after start ({start})")
    _fill_time_tables()
    generator = _Generator(seed, tenant_id, start_ms, end_ms)
    return _records(generator.record, count)


def _records(make: Callable[[], Record], count: int) -> Iterator[Record]:
    for _ in range(count):
        yield make()
