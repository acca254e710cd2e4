"""Call-center KPIs from the ACD event log, with the calls behind every number.

Input: the ACD trace in log order (``acd_core.acd.trace``: events ``in`` and the
engine's decisions ``out``), as objects or as trace lines (``from_lines``). A log
of events only is replayed through the engine first, so the decisions (agent
states, overflows) are always there.

Definitions (a call's *wait* runs from its join time - a callback keeps its
original one - to the answer or the hang-up; T = ``sl_threshold``, by default
the queue's ``service_level`` when reporting one queue, else 20 s; a *short
abandon* is a caller who hung up before ``short_abandon`` seconds and is left out
of SL and abandon figures, counted apart):

* service level: the formula named by ``sl_formula`` (``SL_FORMULAS``);
* ASA = sum of answered waits / answered;
* AHT = (talk + hold + after-call work) / handled, talk = connected time - hold,
  ACW = the agent's wrap-up after the call;
* abandon rate = abandoned (not short) / (offered - short abandons);
  average abandon time = sum of their waits / their number;
* occupancy = (on-call + wrap-up) / (on-call + wrap-up + available + ringing);
  utilization = (on-call + wrap-up) / logged-in time (paused, resting and
  unreachable count as logged in);
* transfer rate = handled calls ended by a transfer / handled.

Calls overflowing out of the engine (to voicemail, another target) are listed as
``overflowed`` and left out of SL and abandon figures. A call counts in the
report window when it first entered a queue inside ``[start, end)``; agent time
is clipped to the window.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any, Iterable, Mapping

from acd_core import acd
from acd_core.acd import trace
from acd_core.errors import CallboxError, ConfigError

SL_FORMULAS = {
    "abandons-after-T": "answered within T / (answered + abandoned after T)",
    "answered-only": "answered within T / answered",
    "all-abandons": "answered within T / (answered + abandoned)",
    "abandons-within-T-good": "(answered within T + abandoned within T) / (answered + abandoned)",
}


@dataclass(frozen=True)
class KpiSettings:
    sl_threshold: float | None = None  # None: the queue's service_level (20 s across queues)
    short_abandon: float = 5.0        # 0 counts every abandon
    sl_formula: str = "abandons-after-T"
    start: float = -math.inf
    end: float = math.inf
    queue: str | None = None          # only calls that first entered this queue

    def __post_init__(self) -> None:
        if self.sl_formula not in SL_FORMULAS:
            raise ConfigError("unknown service-level formula", key="sl_formula",
                              expected=" | ".join(SL_FORMULAS), got=self.sl_formula)
        if (self.sl_threshold or 0) < 0 or self.short_abandon < 0:
            raise ConfigError("thresholds must be >= 0", sl_threshold=self.sl_threshold,
                              short_abandon=self.short_abandon)


@dataclass(frozen=True)
class Kpi:
    name: str
    value: float | None               # None when the denominator is 0
    numerator: float
    denominator: float
    formula: str
    calls: Mapping[str, tuple[str, ...]]   # the calls behind the numerator and denominator


@dataclass
class CallFacts:
    call: str
    queue: str
    entered: float
    joined: float
    callback: bool = False
    answered: float | None = None
    agent: str | None = None
    ended: float | None = None
    hold: float = 0.0
    transfer: str | None = None
    acw: float = 0.0
    abandoned: float | None = None
    overflowed: str | None = None     # why, when the call left the engine unanswered

    @property
    def wait(self) -> float | None:
        end = self.answered if self.answered is not None else self.abandoned
        return None if end is None else end - self.joined

    @property
    def waited(self) -> float:
        """The wait of a call known to have stopped waiting (answered or abandoned)."""
        if self.wait is None:
            raise CallboxError("call is still waiting", call=self.call)
        return self.wait


@dataclass
class Report:
    kpis: dict[str, Kpi]
    calls: dict[str, CallFacts]
    agents: dict[str, dict[str, float]] = field(default_factory=dict)   # seconds per state

    def __getitem__(self, name: str) -> Kpi:
        return self.kpis[name]


def from_lines(lines: Iterable[str], settings: KpiSettings = KpiSettings()) -> Report:
    """KPIs of a trace; a trace without decisions is replayed to get them."""
    lines = list(lines)
    records = [(n, r) for n, r in trace.read(lines) if r["type"] != "Engine"]
    if any(r["dir"] == "out" for _, r in records):
        items = [trace.build(r, n) for n, r in records]
    else:
        made: dict[int, list[Any]] = {}
        for n, d in trace.replay(lines):
            made.setdefault(n, []).append(d)
        items = []
        for n, r in records:
            items.append(trace.build(r, n))
            items.extend(made.get(n, ()))
    return compute(items, settings)


def _chronological(items: Iterable[Any]) -> Iterable[Any]:
    """The trace puts an event before the decisions it caused, but deadlines that
    fell due before the event fired first: those decisions are moved before it."""
    pending = None
    for item in items:
        if isinstance(item, acd.Decision):
            if pending is not None and item.t >= pending.t:
                yield pending
                pending = None
            yield item
        else:
            if pending is not None:
                yield pending
            pending = item if isinstance(item, acd.Event) else None
            if pending is None:
                yield item
    if pending is not None:
        yield pending


def compute(items: Iterable[Any], settings: KpiSettings = KpiSettings()) -> Report:
    calls: dict[str, CallFacts] = {}
    engine_queues: dict[str, acd.QueueSpec] = {}
    ringing: set[tuple[str, str]] = set()
    wrap: dict[str, tuple[float, str]] = {}       # agent -> (since, call)
    last_call: dict[str, str] = {}
    spans: dict[str, list[tuple[str, float]]] = {}  # agent -> [(state, since)]
    t_end = -math.inf
    for item in _chronological(items):
        t = getattr(item, "t", None)
        if t is not None:
            t_end = max(t_end, t)
        if isinstance(item, acd.QueueSpec):
            engine_queues[item.name] = item
        elif isinstance(item, acd.CallQueued):
            if item.call not in calls:
                calls[item.call] = CallFacts(item.call, item.queue, item.t,
                                             item.t if item.joined is None else item.joined,
                                             callback=item.callback)
        elif isinstance(item, acd.CallbackRequested) and item.call in calls:
            calls[item.call].callback = True
        elif isinstance(item, (acd.Offer, acd.CallbackDue)):
            ringing.add((item.call, item.agent))
        elif isinstance(item, acd.OfferCancelled) or isinstance(
                item, (acd.OfferDeclined, acd.OfferTimedOut, acd.OfferFailed)):
            ringing.discard((item.call, item.agent))
        elif isinstance(item, acd.OfferAccepted):
            c = calls.get(item.call)
            if c is not None and c.answered is None and (item.call, item.agent) in ringing:
                c.answered, c.agent = item.t, item.agent
            ringing.discard((item.call, item.agent))
        elif isinstance(item, acd.CallEnded):
            c = calls.get(item.call)
            if c is not None and c.agent == item.agent and c.ended is None:
                c.ended, c.hold, c.transfer = item.t, item.hold, item.transfer
                last_call[item.agent] = item.call
        elif isinstance(item, acd.CallAbandoned):
            c = calls.get(item.call)
            if c is not None and c.answered is None and c.abandoned is None:
                c.abandoned = item.t
        elif isinstance(item, acd.Overflow):
            c = calls.get(item.call)
            if c is not None and (item.target is None or item.target not in engine_queues):
                c.overflowed = item.why
        elif isinstance(item, acd.AgentState):
            spans.setdefault(item.agent, []).append((item.state, item.t))
            if item.agent in wrap:
                since, cid = wrap.pop(item.agent)
                calls[cid].acw += item.t - since
            if item.state == "wrap-up" and item.agent in last_call:
                wrap[item.agent] = (item.t, last_call[item.agent])
    end = min(settings.end, t_end)
    for agent, (since, cid) in wrap.items():       # log ends inside a wrap-up
        calls[cid].acw += max(0.0, end - since)
    window = {cid: c for cid, c in calls.items()
              if settings.start <= c.entered < settings.end
              and (settings.queue is None or c.queue == settings.queue)}
    agents = _agent_time(spans, settings.start, end)
    threshold = settings.sl_threshold
    if threshold is None:
        spec = engine_queues.get(settings.queue) if settings.queue is not None else None
        threshold = spec.service_level if spec is not None else 20.0
    return Report(_kpis(window, agents, settings, threshold), window, agents)


def _agent_time(spans, start, end) -> dict[str, dict[str, float]]:
    out: dict[str, dict[str, float]] = {}
    for agent, seq in spans.items():
        acc: dict[str, float] = {}
        for (state, since), nxt in zip(seq, seq[1:] + [(None, end)]):
            lo, hi = max(since, start), min(nxt[1], end)
            if hi > lo:
                acc[state] = acc.get(state, 0.0) + hi - lo
        out[agent] = acc
    return out


def _ratio(name, num, den, formula, calls) -> Kpi:
    return Kpi(name, (num / den) if den else None, num, den, formula,
               {k: tuple(v) for k, v in calls.items()})


def _kpis(calls: Mapping[str, CallFacts], agents, s: KpiSettings, T: float) -> dict[str, Kpi]:
    answered = [c for c in calls.values() if c.answered is not None]
    abandoned = [c for c in calls.values() if c.abandoned is not None]
    short = [c for c in abandoned if c.waited < s.short_abandon]
    long_ = [c for c in abandoned if c.waited >= s.short_abandon]
    ans_in = [c for c in answered if c.waited <= T]
    ans_late = [c for c in answered if c.waited > T]
    ab_in = [c for c in long_ if c.waited <= T]
    ab_after = [c for c in long_ if c.waited > T]
    ids = lambda cs: [c.call for c in cs]   # noqa: E731
    groups = {"answered_within": ids(ans_in), "answered_late": ids(ans_late),
              "abandoned_within": ids(ab_in), "abandoned_after": ids(ab_after),
              "short_abandoned": ids(short),
              "overflowed": ids(c for c in calls.values() if c.overflowed)}
    if s.sl_formula == "abandons-after-T":
        num, den = len(ans_in), len(answered) + len(ab_after)
    elif s.sl_formula == "answered-only":
        num, den = len(ans_in), len(answered)
    elif s.sl_formula == "all-abandons":
        num, den = len(ans_in), len(answered) + len(long_)
    else:
        num, den = len(ans_in) + len(ab_in), len(answered) + len(long_)
    formula = SL_FORMULAS[s.sl_formula].replace("T", f"{T:g} s") + (
        f"; abandons under {s.short_abandon:g} s are short and left out" if s.short_abandon else "")
    k: dict[str, Kpi] = {}
    k["service_level"] = _ratio("service_level", num, den, formula, groups)
    k["asa"] = _ratio("asa", sum(c.waited for c in answered), len(answered),
                      "sum of answered waits / answered calls", {"answered": ids(answered)})
    handled = [c for c in answered if c.ended is not None]
    talk = sum(c.ended - c.answered - c.hold for c in handled
               if c.ended is not None and c.answered is not None)
    hold = sum(c.hold for c in handled)
    acw = sum(c.acw for c in handled)
    k["aht"] = _ratio("aht", talk + hold + acw, len(handled),
                      f"(talk {talk:g} s + hold {hold:g} s + ACW {acw:g} s) / handled calls",
                      {"handled": ids(handled)})
    offered = list(calls.values())
    k["abandon_rate"] = _ratio("abandon_rate", len(long_), len(offered) - len(short),
                               "abandoned (not short) / (offered - short abandons)",
                               {"abandoned": ids(long_), "short_abandoned": ids(short),
                                "offered": ids(offered)})
    k["average_abandon_time"] = _ratio("average_abandon_time", sum(c.waited for c in long_),
                                       len(long_), "sum of abandoned waits / abandoned calls",
                                       {"abandoned": ids(long_)})
    k["short_abandons"] = _ratio("short_abandons", len(short), len(offered),
                                 f"abandoned before {s.short_abandon:g} s / offered",
                                 {"short_abandoned": ids(short)})
    work = sum(a.get("on-call", 0.0) + a.get("wrap-up", 0.0) for a in agents.values())
    idle = sum(a.get("available", 0.0) + a.get("ringing", 0.0) for a in agents.values())
    logged = sum(v for a in agents.values() for st, v in a.items() if st != "logged-out")
    k["occupancy"] = _ratio("occupancy", work, work + idle,
                            "(on-call + wrap-up) / (on-call + wrap-up + available + ringing)",
                            {"handled": ids(handled)})
    k["utilization"] = _ratio("utilization", work, logged, "(on-call + wrap-up) / logged-in time",
                              {"handled": ids(handled)})
    transferred = [c for c in handled if c.transfer]
    k["transfer_rate"] = _ratio("transfer_rate", len(transferred), len(handled),
                                "transferred / handled calls",
                                {"transferred": ids(transferred), "handled": ids(handled)})
    return k
