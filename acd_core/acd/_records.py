"""The engine's records: queues, agents, memberships, calls, and the buckets that
keep waiting calls in order.

Plain attribute holders, compiled as C structs (``_records.pxd``) so that every
layer of the engine reads and writes them without dictionary look-ups. Only the
engine touches them; what leaves the engine are ``model`` decisions.
"""
from __future__ import annotations

from ._codes import C_WAITING, CONDITION_BITS, IDLE, INF, S_LOGGED_OUT
from .model import STRATEGIES


class _Class:
    """A skill requirement within a queue: ((skill, level), ...)."""

    def __init__(self, key, idx):
        self.key = key
        self.idx = idx


class _Bucket:
    """Waiting calls of one queue, skill class and priority, sorted by (join, seq)."""

    def __init__(self, queue, cls, prio):
        self.queue = queue
        self.cls = cls
        self.prio = prio
        self.calls = []


class _Queue:
    def __init__(self, spec):
        self.name = spec.name
        self.strategy = STRATEGIES.index(spec.strategy)
        self.wrapup = spec.wrapup
        self.max_wait = -1.0 if spec.max_wait is None else spec.max_wait
        self.overflow = spec.overflow
        self.max_len = -1 if spec.max_len is None else spec.max_len
        self.join_mask = _mask(spec.join_empty)
        self.leave_mask = _mask(spec.leave_empty)
        self.announce_every = 0.0 if spec.announce_every is None else spec.announce_every
        self.cb_after = -1.0 if spec.callback_offer_after is None else spec.callback_offer_after
        self.weight = float(spec.weight)
        self.ring_timeout = -1.0 if spec.ring_timeout is None else spec.ring_timeout
        self.ring_step = spec.ring_step
        rows = spec.escalation or ()
        self.esc_after = [float(r.after) for r in rows] or [0.0]
        self.esc_pen = [INF if r.max_penalty is None else float(r.max_penalty) for r in rows] or [INF]
        self.esc_lvl = [INF if r.min_level is None else float(r.min_level) for r in rows] or [INF]
        self.nsteps = len(self.esc_after)
        self.req = {k: float(v) for k, v in spec.skills.items()}
        self.members = []
        self.classes = {}
        self.buckets = {}
        self.active = []
        self.waiting = 0
        self.counts = [0] * 8
        self.rr_last = -1
        self.next_pos = 0
        self.ewt = -1.0


class _Agent:
    def __init__(self, spec, idx):
        self.id = spec.agent
        self.idx = idx
        self.skills = {k: float(v) for k, v in spec.skills.items()}
        self.max_no_answer = spec.max_no_answer
        self.retry_delay = spec.retry_delay
        self.wrapup = -1.0 if spec.wrapup is None else spec.wrapup
        self.members = []
        self.logged_in = False
        self.reachable = False
        self.paused = None
        self.activity = IDLE
        self.status = S_LOGGED_OUT
        self.status_reason = ""
        self.rest_until = -INF
        self.wrap_until = -INF
        self.call = None
        self.offer_id = 0
        self.no_answer = 0
        self.login_t = -INF
        self.last_end = -INF
        self.answered = 0.0
        self.calls = 0
        self.talk = 0.0
        self.busy = 0


class _Member:
    def __init__(self, agent, queue, penalty, weight, pos):
        self.agent = agent
        self.queue = queue
        self.penalty = penalty
        self.weight = weight
        self.pos = pos
        self.memo = {}


class _Call:
    def __init__(self, cid, prio, join, seq, callback, wanted):
        self.id = cid
        self.prio = prio
        self.join = join
        self.seq = seq
        self.callback = callback
        self.wanted = wanted
        self.queue = None
        self.cls = None
        self.bucket = None
        self.weight = 0
        self.entered = join
        self.entry = 0
        self.hops = 0
        self.state = C_WAITING
        self.ring = []
        self.tried = []
        self.ring_cycle = 0
        self.agent = None
        self.cb_offered = False


def _mask(conditions):
    m = 0
    for c in conditions:
        m |= CONDITION_BITS[c]
    return m
