"""Who gets a call: the global order for a freed agent, the queue's strategy for
an arriving call, and ring-progressively's next member.

Eligibility (penalty and skill levels against the queue's escalation row for the
call's wait) is memoised per member and skill class in ``_threshold``: rows only
widen, so a member's first eligible row decides for every wait. See
docs/acd-trace.md for each strategy's rule and edges.
"""
from __future__ import annotations

from ._codes import (C_WAITING, FEWEST_CALLS, INF, LEAST_TALK, LINEAR, LONGEST_IDLE,
                     METRIC_NAMES, PROGRESSIVE, RANDOM, RING_ALL, ROUND_ROBIN, S_AVAILABLE,
                     STATUS_NAMES, T_STEP, WEIGHTED_RANDOM)
from ._offers import _Offers
from .model import STRATEGIES


def _better(a, b):
    """True when call ``a`` comes before call ``b`` in the global order."""
    if a.prio != b.prio:
        return a.prio > b.prio
    if a.join != b.join:
        return a.join < b.join
    if a.weight != b.weight:
        return a.weight > b.weight
    return a.seq < b.seq


def _step(q, join, now):
    """Index of the escalation row that applies to a call that joined at ``join``."""
    i = q.nsteps - 1
    while i > 0 and join + q.esc_after[i] > now:
        i -= 1
    return i


def _threshold(m, cls):
    """First escalation row at which member ``m`` may take calls of class ``cls``
    (``q.nsteps`` = never). Rows only widen, so eligibility is monotone in wait."""
    r = m.memo.get(cls)
    if r is not None:
        return r
    q = m.queue
    skills = m.agent.skills
    result = q.nsteps
    for i in range(q.nsteps):
        if m.penalty > q.esc_pen[i]:
            continue
        ok = True
        cap = q.esc_lvl[i]
        for skill, level in cls.key:
            need = level if level < cap else cap
            if skills.get(skill, 0.0) < need:
                ok = False
                break
        if ok:
            result = i
            break
    m.memo[cls] = result
    return result


class _Strategies(_Offers):
    def _best_call(self, a):
        """The first waiting call in the global order that agent ``a`` may take."""
        best = None
        for m in a.members:
            q = m.queue
            if not q.waiting:
                continue
            for b in q.active:
                head = b.calls[0]
                if best is not None and not _better(head, best):
                    continue
                thr = _threshold(m, b.cls)
                if thr < q.nsteps and head.join + q.esc_after[thr] <= self._now:
                    best = head
        return best

    def _serve_agent(self, a, trigger):
        """A free agent takes the most deserving call it may take, if any."""
        if a.status != S_AVAILABLE:
            return
        best = None
        bm = None
        considered = []
        skipped = []
        now = self._now
        for m in a.members:
            q = m.queue
            if not q.waiting:
                continue
            for b in q.active:
                head = b.calls[0]
                thr = _threshold(m, b.cls)
                if thr >= q.nsteps:
                    skipped.append([head.id, q.name, "skills", None])
                    continue
                at = head.join + q.esc_after[thr]
                if at > now:
                    skipped.append([head.id, q.name, "escalation", at])
                    continue
                considered.append([head.id, q.name, head.prio, head.join])
                if best is None or _better(head, best):
                    best = head
                    bm = m
        if best is None or bm is None:
            return
        q = bm.queue
        reason = {"trigger": trigger, "rule": "global-order", "strategy": STRATEGIES[q.strategy],
                  "eligible": [[a.id, bm.penalty, None]], "chosen": [a.id, bm.penalty, None],
                  "skipped": [], "calls": considered, "skipped_calls": skipped}
        self._offer(best, [bm], reason)

    def _serve_call(self, call, trigger):
        """Offers a waiting call to free eligible members by the queue's strategy.

        Free agents normally have no other call to take (the invariant), except
        agents freed in the same event and calls whose escalation row falls due
        at this very instant: a chosen agent that may take a call ahead of this
        one takes that call instead, and the choice is made again."""
        q = call.queue
        while call.state == C_WAITING and q.counts[S_AVAILABLE]:
            chosen, reason = self._choose(call, trigger)
            if not chosen:
                return
            retry = False
            for m in chosen:
                best = self._best_call(m.agent)
                if best is not call:
                    self._serve_agent(m.agent, trigger)
                    retry = True
            if not retry:
                self._offer(call, chosen, reason)
                return

    def _choose(self, call, trigger):
        """The members the strategy picks for ``call`` now, and why."""
        q = call.queue
        step = _step(q, call.join, self._now)
        cls = call.cls
        strategy = q.strategy
        if call.callback and (strategy == RING_ALL or strategy == PROGRESSIVE):
            # A callback reserves one agent (the daemon rings it, then dials the
            # caller): the one ring-progressively would ring first.
            strategy = LINEAR
        cands = []
        eligible = []
        skipped = []
        best_pen = 1 << 30
        for m in q.members:
            a = m.agent
            if a.status != S_AVAILABLE:
                skipped.append([a.id, STATUS_NAMES[a.status]])
                continue
            thr = _threshold(m, cls)
            if thr > step:
                skipped.append([a.id, "skills" if thr >= q.nsteps else "escalation"])
                continue
            cands.append(m)
            if m.penalty < best_pen:
                best_pen = m.penalty
        chosen: list = []
        if not cands:
            return chosen, None
        pick = None
        draw = -1.0
        if strategy == RING_ALL:
            for m in cands:
                eligible.append([m.agent.id, m.penalty, None])
                if m.penalty == best_pen:
                    chosen.append(m)
        elif strategy == RANDOM or strategy == WEIGHTED_RANDOM:
            tier = []
            total = 0.0
            for m in cands:
                eligible.append([m.agent.id, m.penalty, m.weight if strategy == WEIGHTED_RANDOM
                                 else None])
                if m.penalty == best_pen:
                    tier.append(m)
                    total += m.weight if strategy == WEIGHTED_RANDOM else 1.0
            draw = self._rng.random() * total
            acc = 0.0
            for m in tier:
                acc += m.weight if strategy == WEIGHTED_RANDOM else 1.0
                if draw < acc:
                    pick = m
                    break
            if pick is None:       # all weights zero
                pick = tier[0]
            chosen.append(pick)
        else:
            best_val = INF
            for m in cands:
                val = self._metric(strategy, m, q)
                eligible.append([m.agent.id, m.penalty, val])
                if pick is None or m.penalty < pick.penalty or (m.penalty == pick.penalty
                                                                and val < best_val):
                    pick = m
                    best_val = val
            chosen.append(pick)
        first = chosen[0]
        reason = {"trigger": trigger, "rule": METRIC_NAMES[strategy],
                  "strategy": STRATEGIES[q.strategy], "step": step,
                  "eligible": eligible, "chosen": [first.agent.id, first.penalty,
                                                   eligible[cands.index(first)][2]],
                  "skipped": skipped}
        if draw >= 0:
            reason["draw"] = draw
        return chosen, reason

    def _metric(self, strategy, m, q):
        """Lower is better; ties go to the earlier member position."""
        a = m.agent
        if strategy == LONGEST_IDLE:
            return a.last_end if a.last_end > a.login_t else a.login_t
        if strategy == FEWEST_CALLS:
            return float(a.calls)
        if strategy == LEAST_TALK:
            return a.talk
        if strategy == ROUND_ROBIN:
            return float(m.pos) if m.pos > q.rr_last else m.pos + 1e15
        return float(m.pos)

    def _ring_step(self, call):
        """ring-progressively: add the next free eligible member to the ringing
        (never to a callback: it has its one agent reserved)."""
        if call.callback:
            return
        q = call.queue
        step = _step(q, call.join, self._now)
        pick = None
        skipped = []
        for m in q.members:
            a = m.agent
            if a in call.tried or a in call.ring:
                continue
            if a.status != S_AVAILABLE:
                skipped.append([a.id, STATUS_NAMES[a.status]])
                continue
            if _threshold(m, call.cls) > step:
                skipped.append([a.id, "skills"])
                continue
            if self._best_call(a) is not None:   # waiting work first (same-instant rows)
                self._serve_agent(a, "ring-step")
                continue
            if pick is None or m.penalty < pick.penalty:
                pick = m
        if pick is not None:
            reason = {"trigger": "ring-step", "rule": "position", "strategy": "ring-progressively",
                      "step": step, "eligible": [[pick.agent.id, pick.penalty, pick.pos]],
                      "chosen": [pick.agent.id, pick.penalty, pick.pos], "skipped": skipped,
                      "ringing": [x.id for x in call.ring]}
            self._ring(call, pick.agent, reason)
        self._push(self._now + q.ring_step, T_STEP, call, None, call.ring_cycle)
