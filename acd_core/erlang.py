"""Erlang C: how long callers wait for a given staff, and the staff for a target.

Inputs in one time unit (seconds here): ``calls`` arriving in ``period``, average
handle time ``aht`` (talk + hold + after-call work). Traffic A = calls x aht /
period (Erlangs); N agents; occupancy A/N must stay below 1 for a queue to be
stable (otherwise the wait grows without bound: probability 1, ASA infinite).

* P_wait = [A^N/N! * N/(N-A)] / [sum_{i<N} A^i/i! + A^N/N! * N/(N-A)], computed
  through the Erlang B recursion B(A,0) = 1, B(A,k) = A*B / (k + A*B), then
  P_wait = N*B / (N - A*(1-B)), which never overflows (no factorials).
* SL(t) = 1 - P_wait * exp(-(N - A) * t / aht); ASA = P_wait * aht / (N - A).
* Agents needed = the smallest N meeting the SL target (and ASA target and
  maximum occupancy when given); scheduled = ceil(N / (1 - shrinkage)).

Erlang C assumes Poisson arrivals, exponential handle times and callers who
never hang up, so it overstates the staff needed slightly when callers abandon.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

from acd_core.errors import ConfigError


def traffic(calls: float, period: float, aht: float) -> float:
    """Offered load in Erlangs."""
    if period <= 0 or aht <= 0 or calls < 0:
        raise ConfigError("need calls >= 0, period > 0, aht > 0", calls=calls, period=period, aht=aht)
    return calls * aht / period


def erlang_b(a: float, n: int) -> float:
    """Blocking probability with ``n`` servers and no queue."""
    if n < 0 or a < 0:
        raise ConfigError("need traffic >= 0 and agents >= 0", traffic=a, agents=n)
    b = 1.0
    for k in range(1, n + 1):
        b = a * b / (k + a * b)
    return b


def p_wait(a: float, n: int) -> float:
    """Probability that a caller has to wait (1.0 when n <= A)."""
    if n <= a:
        return 1.0
    b = erlang_b(a, n)
    return n * b / (n - a * (1.0 - b))


def service_level(a: float, n: int, aht: float, target: float) -> float:
    """Share of callers answered within ``target`` seconds."""
    if n <= a:
        return 0.0
    return 1.0 - p_wait(a, n) * math.exp(-(n - a) * target / aht)


def asa(a: float, n: int, aht: float) -> float:
    """Average speed of answer over all callers (waiting or not)."""
    if n <= a:
        return math.inf
    return p_wait(a, n) * aht / (n - a)


@dataclass(frozen=True)
class Staffing:
    agents: int            # on the phones
    scheduled: int         # with shrinkage: agents / (1 - shrinkage), rounded up
    traffic: float
    p_wait: float
    service_level: float
    asa: float
    occupancy: float


def agents_needed(calls: float, period: float, aht: float, *, target_sl: float = 0.8,
                  target_time: float = 20.0, target_asa: float | None = None,
                  max_occupancy: float = 1.0, shrinkage: float = 0.0) -> Staffing:
    """The smallest staff meeting every given target (80/20 by default)."""
    if not 0.0 <= shrinkage < 1.0:
        raise ConfigError("shrinkage must be in [0, 1)", key="shrinkage", got=shrinkage)
    if not 0.0 < max_occupancy <= 1.0 or not 0.0 <= target_sl < 1.0:
        raise ConfigError("max_occupancy in (0, 1], target_sl in [0, 1)",
                          max_occupancy=max_occupancy, target_sl=target_sl)
    a = traffic(calls, period, aht)
    n = max(1, math.floor(a) + 1)
    while True:
        sl = service_level(a, n, aht, target_time)
        wait = asa(a, n, aht)
        if sl >= target_sl and a / n <= max_occupancy and (target_asa is None or wait <= target_asa):
            break
        n += 1
    return Staffing(agents=n, scheduled=math.ceil(n / (1.0 - shrinkage) - 1e-9), traffic=a,
                    p_wait=p_wait(a, n), service_level=sl, asa=wait, occupancy=a / n)
