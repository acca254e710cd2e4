"""Steady multiframes: when the cable may skip work it has already done.

An idle healthy span sends the same multiframe both ways 500 times a second:
HDLC flags on TS16, the same TS0, the same CRC-4 of the same content, and
receivers in sync that stay in sync. Recomputing all of that is what an idle
simulated card spent its CPU on. The cable therefore looks for a *fixed point*:
a multiframe step after which every field that decides the next step is what it
was before, during which nothing visible happened (no interrupt raised, no HDLC
octet or frame out). From such a state the next step does exactly the same
again, so the cable may account for any number of them at once (see
:meth:`drivers.sim.e1cable.E1Cable.sync`) instead of computing them.

Each simulator class declares, in a :class:`StateTable`, how a step uses each of
its fields:

* ``key``: fields holding immutable values (numbers, flags, bytes, callbacks,
  results), compared as they are before and after the witnessed step, and
  against the current state before every skip;
* ``copied``: fields holding mutable containers (registers, FIFOs, queues), each
  with the function that copies it into the key (``bytes``, ``tuple``,
  :func:`items`), so that a later change cannot alter a recorded key;
* ``saturating``: counters past whose cap nothing a step does changes
  (``E1Receiver._mfas_hits``: only "two or more multiframe words in a row"
  matters); the key holds ``min(value, cap)`` and a skip adds what the witnessed
  step added;
* ``counters``: move by one each step and decide *when* something happens
  (``Pef2256Sim._mf_count``: the one-second counter latch, slips); kept out of
  the key, and the endpoint's ``steady_horizon()`` stops a skip short of the next
  step where that something happens, so that step is always computed;
* ``events``: counts that move only when a step does something visible; a step
  that moved one is no witness;
* ``parts``: sub-objects with their own table (receiver, TS0 builder, HDLC);
* ``ignored``: every other field, each with the reason no step depends on it.

``tests/drivers/test_steady.py`` checks that every field of every simulator
object is in its table, so a field added later cannot escape the comparison.
"""
from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field
from operator import attrgetter
from typing import Any, Callable, Protocol

Copy = Callable[[Any], Any]
# what a ``key`` field must never hold: a container a step could change in place
CONTAINERS = (bytearray, list, dict, set, deque)


def items(d: dict[Any, Any]) -> tuple[tuple[Any, Any], ...]:
    return tuple(d.items())


def _getter(names: tuple[str, ...]) -> Callable[[Any], tuple[Any, ...]]:
    """``obj -> tuple of those fields`` (``attrgetter`` returns a bare value for one name)."""
    if not names:
        return lambda obj: ()
    if len(names) == 1:
        one = attrgetter(names[0])
        return lambda obj: (one(obj),)
    return attrgetter(*names)


@dataclass(frozen=True)
class StateTable:
    """How one simulator class's fields take part in a multiframe step (module docstring)."""

    owner: str
    key: tuple[str, ...]
    ignored: dict[str, str]
    copied: dict[str, Copy] = field(default_factory=dict)
    saturating: dict[str, int] = field(default_factory=dict)
    counters: tuple[str, ...] = ()
    events: tuple[str, ...] = ()
    parts: dict[str, "StateTable"] = field(default_factory=dict)
    # derived from the above by __post_init__ (set with object.__setattr__: frozen)
    _key: Callable[[Any], tuple[Any, ...]] = field(init=False, repr=False, compare=False)
    _copied: tuple[tuple[Callable[[Any], Any], Copy], ...] = field(init=False, repr=False,
                                                                  compare=False)
    _saturating: tuple[tuple[Callable[[Any], Any], int], ...] = field(init=False, repr=False,
                                                                     compare=False)
    _parts: tuple[tuple[Callable[[Any], Any], "StateTable"], ...] = field(init=False, repr=False,
                                                                         compare=False)

    def __post_init__(self) -> None:
        # built once: the key is taken 20-odd times per simulated second of an idle span
        object.__setattr__(self, "_key", _getter(self.key))
        object.__setattr__(self, "_copied", tuple((attrgetter(n), c) for n, c in self.copied.items()))
        object.__setattr__(self, "_saturating", tuple((attrgetter(n), cap)
                                                      for n, cap in self.saturating.items()))
        object.__setattr__(self, "_parts", tuple((attrgetter(n), t) for n, t in self.parts.items()))

    def fields(self) -> set[str]:
        """Every field the table accounts for (the completeness test compares with ``vars()``)."""
        return {*self.key, *self.copied, *self.ignored, *self.saturating, *self.counters,
                *self.events, *self.parts}

    def state(self, obj: Any) -> tuple[Any, ...]:
        """The key: what decides ``obj``'s next step, frozen."""
        out: list[Any] = [self._key(obj)]
        for get, copy in self._copied:
            out.append(copy(get(obj)))
        for get, cap in self._saturating:
            out.append(min(get(obj), cap))
        for get, table in self._parts:
            out.append(table.state(get(obj)))
        return tuple(out)

    def counts(self, obj: Any) -> tuple[int, ...]:
        """Saturating fields, counters and events, in a fixed order (see :meth:`deltas`)."""
        out = [getattr(obj, n) for n in self.saturating]
        out += [getattr(obj, n) for n in self.counters]
        out += [getattr(obj, n) for n in self.events]
        for name, table in self.parts.items():
            out += table.counts(getattr(obj, name))
        return tuple(out)

    def deltas(self, obj: Any, before: tuple[int, ...]) -> tuple[int, ...] | None:
        """What one step added to each count, or None when it moved an event (no witness)
        or a counter by other than one."""
        after = self.counts(obj)
        d = tuple(a - b for a, b in zip(after, before))
        pos = 0
        for table in self._flat():
            pos += len(table.saturating)
            for i in range(len(table.counters)):
                if d[pos + i] != 1:
                    return None
            pos += len(table.counters)
            for i in range(len(table.events)):
                if d[pos + i]:
                    return None
            pos += len(table.events)
        return d

    def advance(self, obj: Any, deltas: tuple[int, ...], n: int) -> int:
        """Add ``n`` skipped steps' worth of ``deltas`` to ``obj``; returns how many it used.

        A saturating field stays at or past its cap either way, which is all a step can
        tell about it: one the witnessed step counted up goes on counting, one it set
        (delta 0 or less) is left as it is.
        """
        pos = 0
        for name in self.saturating:
            if deltas[pos] > 0:
                setattr(obj, name, getattr(obj, name) + deltas[pos] * n)
            pos += 1
        for name in self.counters:
            setattr(obj, name, getattr(obj, name) + n)
            pos += 1
        pos += len(self.events)
        for name, table in self.parts.items():
            pos += table.advance(getattr(obj, name), deltas[pos:], n)
        return pos

    def _flat(self) -> list["StateTable"]:
        out = [self]
        for table in self.parts.values():
            out += table._flat()
        return out


class SteadyEndpoint(Protocol):
    """What the cable asks of an end to skip steps (``Pef2256Sim``, ``ExchangeSim``)."""

    def steady_key(self) -> tuple[Any, ...] | None:
        """What decides this end's next step; None while it has work queued."""

    def steady_counts(self) -> tuple[int, ...]:
        """The table's counts, taken before a step that may be a witness."""

    def steady_memo(self, before: tuple[int, ...]) -> Any:
        """After that step: what each skipped step adds, or None (no witness)."""

    def steady_horizon(self) -> int:
        """How many steps may be skipped before one that acts on a schedule."""

    def steady_skip(self, n: int, memo: Any) -> None:
        """Account for ``n`` steps like the witnessed one."""
