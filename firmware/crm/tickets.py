"""The ticket life cycle as a table, and the escalation rule.

States and events (one row per state: the events it accepts and where they
lead). ``transition()`` is the only way a state changes: it logs one line
``ticket 17: new -> assigned (assign)`` and raises ``IllegalTransition`` for
an event the state has no row for.

SLA: a ticket is due ``due_s`` after it is opened (per type and priority,
table ``sla``). Past due it escalates one level: 0 agent -> 1 team leader ->
2 supervisor, the next level ``escalate_s`` after the previous one. Waiting
for the customer stops the clock: due time and next escalation move by the
time spent waiting. Resolved and closed tickets do not escalate; a reopened
one starts a fresh SLA at level 0.
"""
from __future__ import annotations

import logging

from firmware.errors import IllegalTransition

log = logging.getLogger("callbox.crm.tickets")

STATES = ("new", "assigned", "in_progress", "waiting_customer", "resolved", "closed")
PRIORITIES = ("low", "normal", "high", "urgent")

#: state -> {event: next state}
TRANSITIONS: dict[str, dict[str, str]] = {
    "new": {"assign": "assigned", "resolve": "resolved", "close": "closed"},
    "assigned": {"assign": "assigned", "start": "in_progress", "resolve": "resolved",
                 "close": "closed"},
    "in_progress": {"assign": "assigned", "wait_customer": "waiting_customer",
                    "resolve": "resolved"},
    "waiting_customer": {"customer_replied": "in_progress", "resolve": "resolved",
                         "close": "closed"},
    "resolved": {"reopen": "in_progress", "close": "closed"},
    "closed": {"reopen": "in_progress"},
}

EVENTS: dict[str, str] = {
    "assign": "give the ticket to an agent and/or team",
    "start": "the assignee starts work",
    "wait_customer": "waiting for the customer (SLA clock stops)",
    "customer_replied": "the customer answered (SLA clock runs again)",
    "resolve": "the problem is solved",
    "reopen": "the problem is back (fresh SLA at level 0)",
    "close": "nothing more to do",
}

ESCALATION_LEVELS = ("agent", "team_leader", "supervisor")
MAX_LEVEL = len(ESCALATION_LEVELS) - 1
ESCALATING_STATES = ("new", "assigned", "in_progress")


def transition(ticket: int, state: str, event: str) -> str:
    """The next state for ``event`` in ``state``; logs the change."""
    row = TRANSITIONS.get(state)
    if row is None:
        raise IllegalTransition(f"ticket {ticket}: unknown state", state=state, event=event)
    nxt = row.get(event)
    if nxt is None:
        raise IllegalTransition(
            f"ticket {ticket}: {event} is not allowed in state {state}; allowed: "
            + (", ".join(row) or "nothing"), state=state, event=event, ticket=ticket)
    log.info("ticket %d: %s -> %s (%s)", ticket, state, nxt, event)
    return nxt
