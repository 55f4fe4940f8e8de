"""What the synthetic tenant is made of: its channels and how contacts on each behave, its queues, agents and
flows, and the names its customers have. Queue, agent and flow ids come from a fixed generator, so they are
the same for every seed."""

from __future__ import annotations

import functools
import itertools
import math
import random
from dataclasses import dataclass
from statistics import NormalDist

from cxreport.cli.synthetic.formats import uuid4
from cxreport.metrics.events import ChannelType

QUANTILES = 256
_STANDARD_NORMAL = tuple(NormalDist().inv_cdf((i + 0.5) / QUANTILES) for i in range(QUANTILES))

Quantiles = tuple[int, ...]
"""A duration distribution, as `QUANTILES` evenly spaced quantiles (ms)."""


def _lognormal(median_ms: int, sigma: float, low_ms: int, high_ms: int) -> Quantiles:
    """Quantiles of a lognormal duration, clamped to [low_ms, high_ms]; see `Draws.duration`.

    Whole milliseconds, so that a last-bit difference in another platform's `math.exp`
    cannot change the data.
    """
    return tuple(min(max(round(median_ms * math.exp(sigma * z)), low_ms), high_ms) for z in _STANDARD_NORMAL)


Mix = tuple[tuple[str, ...], tuple[float, ...]]
"""Names and their cumulative weights."""


def _mix(weights: dict[str, float]) -> Mix:
    """Names with cumulative weights, for `Draws.pick`; the weights need not sum to 1."""
    total = sum(weights.values())
    return tuple(weights), tuple(c / total for c in itertools.accumulate(weights.values()))


@dataclass(frozen=True, slots=True)
class Channel:
    """How contacts on one channel behave (probabilities; durations as lognormal quantiles)."""

    name: ChannelType
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


CHANNELS = {
    "voice": Channel(
        name="voice", flow="Basic Flow",
        queues=_mix({"Support": 40, "Sales": 25, "Billing": 20, "Tech Support": 15}),
        outbound=0.12, ivr_abandon=0.062, queue_abandon=0.20, in_progress=0.002, holds=0.15,
        wait=_lognormal(25_000, 1.0, 1_000, 3_600_000), offer=_lognormal(4_000, 0.4, 1_000, 30_000),
        talk=_lognormal(240_000, 0.7, 10_000, 7_200_000), wrap=_lognormal(30_000, 0.7, 2_000, 900_000),
        connect_ms=(200, 1_500), reads=False,
    ),
    "email": Channel(
        name="email", flow="Email Flow",
        queues=_mix({"Support": 50, "Billing": 30, "Sales": 20}),
        outbound=0.0, ivr_abandon=0.0, queue_abandon=0.0, in_progress=0.0, holds=0.0,
        wait=_lognormal(900_000, 1.2, 5_000, 86_400_000), offer=_lognormal(8_000, 0.6, 1_000, 120_000),
        talk=_lognormal(180_000, 0.8, 5_000, 3_600_000), wrap=_lognormal(20_000, 0.7, 1_000, 600_000),
        connect_ms=(0, 0), reads=True,
    ),
    "sms": Channel(
        name="sms", flow="SMS Flow",
        queues=_mix({"Support": 60, "Sales": 25, "Billing": 15}),
        outbound=0.0, ivr_abandon=0.0, queue_abandon=0.05, in_progress=0.002, holds=0.0,
        wait=_lognormal(60_000, 1.1, 1_000, 7_200_000), offer=_lognormal(6_000, 0.5, 1_000, 60_000),
        talk=_lognormal(480_000, 0.8, 10_000, 14_400_000), wrap=_lognormal(20_000, 0.6, 1_000, 600_000),
        connect_ms=(0, 0), reads=False,
    ),
    "chat": Channel(
        name="chat", flow="Chat Flow",
        queues=_mix({"Support": 40, "Tech Support": 35, "Sales": 25}),
        outbound=0.0, ivr_abandon=0.0, queue_abandon=0.12, in_progress=0.002, holds=0.0,
        wait=_lognormal(20_000, 0.9, 1_000, 3_600_000), offer=_lognormal(5_000, 0.5, 1_000, 60_000),
        talk=_lognormal(420_000, 0.6, 15_000, 7_200_000), wrap=_lognormal(25_000, 0.6, 1_000, 600_000),
        connect_ms=(0, 0), reads=False,
    ),
}
CHANNEL_MIX = _mix({"voice": 55, "email": 20, "sms": 12, "chat": 13})
OUTBOUND_FLOW = "Outbound Flow"
OUTBOUND_CALLER_ID = "+15553005000"
TRANSFER_WAIT = _lognormal(15_000, 0.8, 1_000, 1_800_000)
HOLD = _lognormal(40_000, 0.7, 3_000, 900_000)
QUEUE_PATIENCE = _lognormal(35_000, 0.9, 1_000, 1_800_000)
IVR_PATIENCE = _lognormal(15_000, 0.8, 1_000, 600_000)
IVR_MENU = _lognormal(12_000, 0.6, 1_500, 300_000)

_QUEUE_NAMES = ("Support", "Sales", "Billing", "Tech Support")
CONTACT_POINTS = {
    "voice": ("+15553005555", "+15553005600", "+15553005700", "+15553005800"),
    "sms": ("+15553005900",) * 4,
    "email": ("support@example.com", "sales@example.com", "billing@example.com", "techsupport@example.com"),
    "chat": (
        "https://example.com/chat/support",
        "https://example.com/chat/sales",
        "https://example.com/chat/billing",
        "https://example.com/chat/tech",
    ),
}
_AGENT_NAMES = (
    "Avery Brooks", "Priya Shah", "Marcus Lee", "Sofia Alvarez", "Daniel Kim",
    "Grace Okafor", "Liam O'Brien", "Mei Chen", "Noah Fischer", "Amara Diallo",
    "Ethan Novak", "Chloe Martin", "Omar Haddad", "Hannah Weiss", "Lucas Silva",
    "Isabel Rossi", "Jamal Carter", "Yuki Tanaka", "Nora Lindqvist", "Samuel Adeyemi",
)
FIRST_NAMES = ("alex", "sam", "jordan", "taylor", "morgan", "casey", "riley",
               "jamie", "drew", "quinn", "maria", "li", "ana", "omar", "eva", "raj")
LAST_NAMES = ("smith", "garcia", "nguyen", "patel", "johnson", "lopez", "brown",
              "khan", "miller", "davis", "wilson", "moore", "clark", "young")
EMAIL_DOMAINS = ("example.com", "example.org", "example.net", "mail.example.com")
_CATALOGUE_SEED = 20171113


@dataclass(frozen=True, slots=True)
class Queue:
    name: str
    queue_id: str
    platform_id: int
    index: int


@dataclass(frozen=True, slots=True)
class Agent:
    name: str
    agent_id: str
    platform_id: int
    tenant_agent_id: int


QUEUES = len(_QUEUE_NAMES)
"""Queues of the default catalogue: one of each kind."""
AGENTS = len(_AGENT_NAMES)
"""Agents of the default catalogue."""


@dataclass(frozen=True, slots=True)
class Catalogue:
    queues: tuple[Queue, ...]
    by_name: dict[str, Queue]
    staff: dict[str, tuple[Agent, ...]]  # agents serving each queue
    flow_ids: dict[str, str]
    kinds: dict[str, tuple[Queue, ...]]
    """The queues of each kind (the names the channels' mixes pick: Support, Sales, Billing, Tech Support)."""


@functools.cache
def catalogue(queues: int = QUEUES, agents: int = AGENTS) -> Catalogue:
    """The tenant's queues, agents and flows; the same for every seed.

    The default is four queues (one of each kind) and twenty agents. More queues add queues of each kind in
    turn ("Support 2", "Sales 2", …) and more agents add names made of the twenty's first and last names; their
    ids come from a second fixed generator, so the default catalogue's are the same whatever the sizes. Agent i
    is skilled for queues i and i+1 (mod the number of queues). Raises ValueError for fewer than four queues or
    fewer agents than queues (every queue needs two agents, so that a transfer finds another one)."""
    if queues < QUEUES or agents < queues:
        raise ValueError(f"a catalogue needs at least {QUEUES} queues and as many agents; got {queues} and {agents}")
    rng = random.Random(_CATALOGUE_SEED)  # noqa: S311 - made-up data, not secrets
    queue_pids = rng.sample(range(700, 800), len(_QUEUE_NAMES))
    made = [
        Queue(name, uuid4(rng.getrandbits(128)), pid, i)
        for i, (name, pid) in enumerate(zip(_QUEUE_NAMES, queue_pids, strict=True))
    ]
    agent_pids = rng.sample(range(10_000, 20_000), len(_AGENT_NAMES))
    tenant_ids = rng.sample(range(1_000, 10_000), len(_AGENT_NAMES))
    staffed = [
        Agent(name, uuid4(rng.getrandbits(128)), pid, tid)
        for name, pid, tid in zip(_AGENT_NAMES, agent_pids, tenant_ids, strict=True)
    ]
    flow_names = [c.flow for c in CHANNELS.values()] + [OUTBOUND_FLOW]
    flow_ids = {name: uuid4(rng.getrandbits(128)) for name in flow_names}
    if queues > QUEUES or agents > AGENTS:
        _more(made, staffed, queues, agents)
    staff = {q.name: tuple(a for i, a in enumerate(staffed) if q.index in (i % queues, (i + 1) % queues))
             for q in made}
    kinds = {name: tuple(q for q in made if q.index % QUEUES == kind) for kind, name in enumerate(_QUEUE_NAMES)}
    return Catalogue(tuple(made), {q.name: q for q in made}, staff, flow_ids, kinds)


def _more(made: list[Queue], staffed: list[Agent], queues: int, agents: int) -> None:
    """Queues and agents beyond the default's, from a generator of their own."""
    rng = random.Random(_CATALOGUE_SEED + 1)  # noqa: S311 - made-up data, not secrets
    extra = queues - QUEUES
    queue_pids = rng.sample(sorted(set(range(700, 1_000 + extra)) - {q.platform_id for q in made}), extra)
    for i, pid in zip(range(QUEUES, queues), queue_pids, strict=True):
        made.append(Queue(f"{_QUEUE_NAMES[i % QUEUES]} {i // QUEUES + 1}", uuid4(rng.getrandbits(128)), pid, i))
    extra = agents - AGENTS
    agent_pids = rng.sample(sorted(set(range(10_000, 20_000 + extra)) - {a.platform_id for a in staffed}), extra)
    tenant_ids = rng.sample(sorted(set(range(1_000, 10_000 + extra)) - {a.tenant_agent_id for a in staffed}), extra)
    firsts = [name.split(" ", 1)[0] for name in _AGENT_NAMES]
    lasts = [name.split(" ", 1)[1] for name in _AGENT_NAMES]
    pairs = len(_AGENT_NAMES) * (len(_AGENT_NAMES) - 1)  # a first name with another agent's last name
    for n, (pid, tid) in enumerate(zip(agent_pids, tenant_ids, strict=True)):
        first = n % len(_AGENT_NAMES)
        last = (first + 1 + (n // len(_AGENT_NAMES)) % (len(_AGENT_NAMES) - 1)) % len(_AGENT_NAMES)
        name = f"{firsts[first]} {lasts[last]}" + (f" {n // pairs + 1}" if n >= pairs else "")
        staffed.append(Agent(name, uuid4(rng.getrandbits(128)), pid, tid))
