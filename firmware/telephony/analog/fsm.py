"""A state machine as a table, shared by the FXO line and the FXS port.

Each state is a row naming the events it accepts and the state each leads to.
:meth:`Fsm.transition` moves along one entry, logs one line
(``fxo 1: idle -> ringing (ring)``) and raises :class:`IllegalTransition`
for an event the current state has no entry for, so a driver event that makes
no sense in a state is loud instead of silently ignored.
"""
from __future__ import annotations

import logging
from typing import Mapping

from acd_core.errors import IllegalTransition

log = logging.getLogger("callbox.analog")

Table = Mapping[str, Mapping[str, str]]


def check_table(table: Table, initial: str) -> None:
    """Every target is a row and every row is reachable from ``initial``."""
    for state, row in table.items():
        for event, target in row.items():
            if target not in table:
                raise ValueError(f"{state} --{event}--> {target}: no row for {target}")
    seen, todo = {initial}, [initial]
    while todo:
        for target in table[todo.pop()].values():
            if target not in seen:
                seen.add(target)
                todo.append(target)
    unreachable = set(table) - seen
    if unreachable:
        raise ValueError(f"states never reached from {initial}: {sorted(unreachable)}")


class Fsm:
    def __init__(self, name: str, table: Table, initial: str) -> None:
        check_table(table, initial)
        self.name = name
        self.table = table
        self.state = initial

    def accepts(self, event: str) -> bool:
        return event in self.table[self.state]

    def transition(self, event: str, note: str = "") -> str:
        """Take ``event``; returns the previous state."""
        row = self.table[self.state]
        if event not in row:
            raise IllegalTransition(f"{self.name}: no {event!r} in state {self.state}",
                                    state=self.state, event=event)
        before, self.state = self.state, row[event]
        if before != self.state:         # one line per change; a repeated ring is no change
            log.info("%s: %s -> %s (%s%s)", self.name, before, self.state, event,
                     f", {note}" if note else "")
        return before
