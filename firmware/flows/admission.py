"""Before answering: would anyone take this call?

A caller sent to a queue nobody would answer used to be answered, told "no agent" and
cleared back: a call charged to the caller for a message, and on an E1 trunk a call
the exchange counts as completed. A PBX refuses such a call before it answers, with the
signal the carrier expects: busy or congestion, so the exchange can play its own tone or
try elsewhere. ``refusal`` decides it for the inbound flow (``flows.inbound``) while the
call is still unanswered: SIP before the final response, ISDN before CONNECT, MFC-R2
before group B.

Only a destination that leads straight to a queue is asked: the route's target is
``queue:<name>``, or an IVR whose entry reaches a queue without asking the caller
anything (``play`` and ``set`` nodes only). Such a queue is asked through the ACD
engine's one join rule (``Engine.would_refuse``: max length, join- and leave-when-empty
over the queue's current agents, following the queue's overflows inside the engine),
so the answer is the one the call would get on joining. The call is refused when the
rule refuses and the last overflow leaves for nothing (the queue's default "no agent")
or ``hangup``; an overflow to voicemail, a message, an IVR or a number is a place that
takes the call, which is then answered as before. An IVR that asks the caller first
(a menu, an input, a lookup, a branch on call data, a schedule) is answered as before:
which queue the caller ends up in is not known yet.
"""
from __future__ import annotations

import logging
from dataclasses import dataclass

from firmware.flows.context import FlowContext
from firmware.store.ivrtree import TREE_TARGETS
from firmware.store.targets import Target
from firmware.telephony.sip import REFUSED_REASON

log = logging.getLogger("callbox.flows.admission")

#: ``queue_rules.refuse_with`` -> the SIP final response a flow refuses with; a line
#: turns it into its own signal (``telephony.lines.causes``: 486 -> Q.850 17 user busy,
#: 503 -> 41 temporary failure; an MFC-R2 channel sends group B busy or congestion).
#: A 503 carries ``REFUSED_REASON`` so the SIP edge does not take it for a failing node.
SIGNALS: dict[str, tuple[int, str]] = {"busy": (486, "Busy Here"),
                                       "congestion": (503, REFUSED_REASON)}

#: IVR nodes that lead on without asking the caller anything
_PASS_THROUGH = ("play", "set")


@dataclass(frozen=True)
class Refusal:
    """Why a call is refused before answering, and with what."""
    queue: str                 # the queue the destination leads to (its refuse_with counts)
    why: str                   # the join rule's reason at the last queue: join-empty ...
    signal: str                # busy | congestion
    via: tuple[str, ...]       # the queues the call would have passed through, in order

    @property
    def code(self) -> int:
        return SIGNALS[self.signal][0]

    @property
    def reason(self) -> str:
        return SIGNALS[self.signal][1]

    def describe(self) -> str:
        path = " > ".join(self.via)
        return f"nobody would take the call: queue {path} refuses ({self.why}), {self.signal}"


async def refusal(ctx: FlowContext, target: str) -> Refusal | None:
    """The refusal for a call about to be sent to ``target``, or None to answer it."""
    queue = await entry_queue(ctx, target)
    if queue is None:
        return None
    overflows = ctx.acd.would_refuse(queue)
    if not overflows:
        return None
    last = overflows[-1]
    if last.target not in (None, "hangup"):
        return None                        # voicemail, a message ...: somewhere takes it
    rules = await ctx.store.inbound.queue_rules(queue)
    return Refusal(queue, last.why, rules.refuse_with, tuple(o.queue for o in overflows))


async def entry_queue(ctx: FlowContext, target: str) -> str | None:
    """The queue ``target`` leads to without asking the caller anything, else None."""
    t = Target.parse(target)
    if t.kind == "queue":
        return t.name
    if t.kind != "ivr":
        return None
    tree = await ctx.store.inbound.ivr_tree(t.name)
    if tree is None:
        return None
    node_id: str | None = tree.start
    seen: set[str] = set()
    while node_id is not None and node_id not in seen:
        seen.add(node_id)
        node = tree.nodes[node_id]
        if node.type not in _PASS_THROUGH:
            return None
        nxt = Target.parse(node.get("next"), f"ivr.nodes.{node_id}.next", TREE_TARGETS)
        if nxt.kind == "queue":
            return nxt.name
        node_id = nxt.name if nxt.kind == "node" else None
    return None
