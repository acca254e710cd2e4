"""State machines as tables: (state, event) -> next state, one log line per change.

Every protocol and call object of the box (a media leg, Q.921/Q.931, MFC-R2,
an FXO line) keeps its state in a ``StateTable`` rather than in if/else over
strings: the table is the documentation, a test can check that every state
has a row, and an event a state has no row for raises ``IllegalTransition``
naming the object and both states instead of silently doing something.
"""
from __future__ import annotations

import logging
from typing import Iterable, Mapping

from acd_core.errors import IllegalTransition


class StateTable:
    def __init__(self, name: str, states: Iterable[str],
                 rows: Iterable[tuple[str, str, str]], *, initial: Iterable[str] = (),
                 final: Iterable[str] = ()) -> None:
        """``rows`` are ``(state, event, next_state)``; ``final`` states need no row."""
        self.name = name
        self.states = tuple(states)
        self.initial = frozenset(initial)
        self.final = frozenset(final)
        self._next: dict[tuple[str, str], str] = {}
        known = set(self.states)
        for state, event, nxt in rows:
            for s in (state, nxt):
                if s not in known:
                    raise ValueError(f"{name}: row ({state}, {event}) names unknown state {s!r}")
            if (state, event) in self._next:
                raise ValueError(f"{name}: two rows for ({state}, {event})")
            self._next[(state, event)] = nxt
        for s in self.initial | self.final:
            if s not in known:
                raise ValueError(f"{name}: unknown state {s!r}")
        without = [s for s in self.states if s not in self.final and not self.events(s)]
        if without:
            raise ValueError(f"{name}: states without a row: {', '.join(without)}")

    def events(self, state: str) -> frozenset[str]:
        return frozenset(e for (s, e) in self._next if s == state)

    def allows(self, state: str, event: str) -> bool:
        return (state, event) in self._next

    def next(self, state: str, event: str, *, subject: str = "") -> str:
        try:
            return self._next[(state, event)]
        except KeyError:
            raise IllegalTransition(
                f"{self.name} {subject}: no transition for {event!r} in state {state!r}".replace(
                    "  ", " "), machine=self.name, subject=subject, state=state,
                event=event) from None

    def fire(self, state: str, event: str, *, subject: str, log: logging.Logger,
             detail: str = "") -> str:
        """The next state, logged as ``leg 1.1.3: ringing -> answered (confirmed 200)``."""
        nxt = self.next(state, event, subject=subject)
        if nxt != state or detail:
            log.info("%s %s: %s -> %s (%s%s)", self.name, subject, state, nxt, event,
                     f" {detail}" if detail else "")
        return nxt

    def rows(self) -> Mapping[tuple[str, str], str]:
        return dict(self._next)
