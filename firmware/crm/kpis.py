"""The KPIs the CDR rollup cannot give: abandon rate and average abandon time,
occupancy, utilization, adherence, first-contact resolution, CSAT and transfer rate.

Where each comes from, and why there:

* abandons, occupancy, utilization, transfer rate: the ACD trace in the event log
  (``acd.trace`` rows), folded by ``acd_core.kpi.compute`` -- the one set of
  formulas the project has (its docstring defines them). Agent state time only
  exists there. Trace times are the runner's monotonic clock, so each record is
  moved to wall time by the offset (``event_log.ts`` - ``t``) of the last input
  event before it; a restart of the daemon starts a new offset;
* adherence: the share of an agent's scheduled minutes it spent in a working state
  (available, ringing, on-call, wrap-up). An agent's schedule is the inbound
  schedule named ``agent-<extension>`` (same weekly hours, holidays and time zone as
  the opening hours: ``firmware.store.schedules``); an agent without one has no
  adherence (None). Sampled at each minute of the window, so state changes are
  counted to the minute;
* FCR by repeat-call window: of the answered calls with a caller number, the share
  after which the same number did not call again within ``repeat_h`` hours (from
  the CDRs);
* CSAT: of the survey answers given with a digit on a numeric scale (a question
  whose choices are digits, at least three), the share in the top two of that
  scale (4-5 of 1-5, 2-3 of 1-3); with the average score.

By team, a team's row is its agents together (an agent is a seat; its team is the team
of the user whose seat it is): state times, handled calls, scheduled and working
minutes, FCR calls and survey answers are summed before the shares are taken, so a
team's occupancy is not an average of its agents' shares. Agents of no team make the
row ``""``. Abandons are the queues': a team row has none.
"""
from __future__ import annotations

import json
from typing import Any, Iterable

from acd_core import acd
from acd_core.acd import trace
from acd_core.errors import DecodeError
from acd_core.kpi import KpiSettings, Report, compute
from firmware.store.db import ValidationError

WORKING = frozenset({"available", "ringing", "on-call", "wrap-up"})
BY = ("total", "queue", "agent", "team")
MAX_ADHERENCE_DAYS = 93         # minutes sampled per agent: 93 days is 134k evaluations


async def trace_items(db: Any, until: float) -> list[Any]:
    """The ACD trace up to ``until`` (wall time) as specs, events and decisions whose
    ``t`` is wall time; records of an unknown type are skipped (a newer firmware's)."""
    rows = await db.fetchall("SELECT ts, data FROM event_log WHERE kind = 'acd.trace'"
                             " AND ts < ? ORDER BY seq", (until,))
    items: list[Any] = []
    offset = 0.0
    for ts, data in rows:
        try:
            rec = json.loads(data)
        except ValueError:
            continue
        if rec.get("type") == "Engine":
            continue
        if "t" in rec and isinstance(rec["t"], (int, float)):
            if rec.get("dir") == "in":
                offset = ts - rec["t"]
            rec["t"] = rec["t"] + offset
        try:
            items.append(trace.build(rec))
        except (KeyError, DecodeError):
            continue
    return items


def spans(items: Iterable[Any]) -> dict[str, list[tuple[str, float]]]:
    """Per agent its states in order: ``[(state, since), ...]``."""
    out: dict[str, list[tuple[str, float]]] = {}
    for item in items:
        if isinstance(item, acd.AgentState):
            out.setdefault(item.agent, []).append((item.state, item.t))
    return out


def state_at(seq: list[tuple[str, float]], t: float) -> str:
    state = "logged-out"
    for st, since in seq:
        if since > t:
            break
        state = st
    return state


def adherence(seq: list[tuple[str, float]], schedule: Any, since: float, until: float
              ) -> tuple[float | None, int, int]:
    """``(share, working minutes on schedule, scheduled minutes)``; share None when
    nothing was scheduled in the window."""
    if until - since > MAX_ADHERENCE_DAYS * 86400:
        raise ValidationError("until", f"a window of at most {MAX_ADHERENCE_DAYS} days for "
                              "adherence", until - since)
    scheduled = working = 0
    i, state = 0, "logged-out"
    t = since
    while t < until:
        while i < len(seq) and seq[i][1] <= t:
            state = seq[i][0]
            i += 1
        if schedule.state_at(t).open:
            scheduled += 1
            working += state in WORKING
        t += 60.0
    return (working / scheduled if scheduled else None), working, scheduled


def _ratio(num: float, den: float, digits: int = 4) -> float | None:
    return round(num / den, digits) if den else None


def acd_rows(items: list[Any], by: str, since: float, until: float, queue: str | None,
             schedules: dict[str, Any], teams: dict[str, str] | None = None
             ) -> dict[str, dict[str, Any]]:
    """Per group (``total``, each queue, each agent, or each team: its agents' time and
    calls together, ``teams`` mapping an agent to its team) the trace's KPIs."""
    settings = KpiSettings(start=since, end=until, queue=queue)
    whole = compute(items, settings)
    if by == "total":
        return {"all": _queue_row(whole) | _agent_row(whole, None)}
    if by == "queue":
        out = {}
        for q in sorted({c.queue for c in whole.calls.values()}):
            rep = compute(items, KpiSettings(start=since, end=until, queue=q))
            out[q] = _queue_row(rep)
        return out
    agent_spans = spans(items)
    agents = sorted(set(whole.agents) | {c.agent for c in whole.calls.values() if c.agent})
    members: dict[str, set[str]] = {}
    for agent in agents:
        key = agent if by == "agent" else (teams or {}).get(agent, "")
        members.setdefault(key, set()).add(agent)
    out = {}
    for key, group in members.items():
        row = _agent_row(whole, group)
        scheduled = [a for a in group if a in schedules]
        if scheduled:                           # minutes add up over a team's agents
            work = planned = 0
            for agent in scheduled:
                _, w, n = adherence(agent_spans.get(agent, []), schedules[agent], since,
                                    until)
                work, planned = work + w, planned + n
            row.update(adherence=_ratio(work, planned), adherence_minutes=work,
                       scheduled_minutes=planned)
        out[key] = row
    return out


def _queue_row(rep: Report) -> dict[str, Any]:
    ab = rep["abandon_rate"]
    avg = rep["average_abandon_time"]
    tr = rep["transfer_rate"]
    return {"offered": len(rep.calls), "abandoned": int(ab.numerator),
            "abandon_rate": None if ab.value is None else round(ab.value, 4),
            "average_abandon_s": None if avg.value is None else round(avg.value, 2),
            "handled": int(tr.denominator), "transferred": int(tr.numerator),
            "transfer_rate": None if tr.value is None else round(tr.value, 4)}


def _agent_row(rep: Report, agents: set[str] | None) -> dict[str, Any]:
    """Occupancy, utilization and transfer rate of ``agents`` together (None: the total,
    without the transfer rate, which is the queues')."""
    times = rep.agents if agents is None else {a: rep.agents.get(a, {}) for a in agents}
    work = sum(a.get("on-call", 0.0) + a.get("wrap-up", 0.0) for a in times.values())
    idle = sum(a.get("available", 0.0) + a.get("ringing", 0.0) for a in times.values())
    logged = sum(v for a in times.values() for st, v in a.items() if st != "logged-out")
    row: dict[str, Any] = {"occupancy": _ratio(work, work + idle),
                           "utilization": _ratio(work, logged),
                           "adherence": None}
    if agents is not None:
        handled = [c for c in rep.calls.values() if c.agent in agents and c.ended is not None]
        moved = [c for c in handled if c.transfer]
        row.update(handled=len(handled), transferred=len(moved),
                   transfer_rate=_ratio(len(moved), len(handled)))
    return row


_GROUP = {"total": "'all'", "queue": "c.queue", "agent": "c.agent", "team": "c.agent"}


def _regroup(by: str, teams: dict[str, str] | None, key: str | None) -> str:
    """The group of a row keyed by agent when the report is by team."""
    return (teams or {}).get(key or "", "") if by == "team" else (key or "")


async def fcr_rows(db: Any, by: str, since: float, until: float, repeat_h: float,
                   queue: str | None, teams: dict[str, str] | None = None
                   ) -> dict[str, dict[str, Any]]:
    """Per group: answered calls with a number, those followed by a repeat, FCR."""
    rows = await db.fetchall(
        f"SELECT {_GROUP[by]} AS k, COUNT(*) AS n, SUM(EXISTS(SELECT 1 FROM cdr r"
        " WHERE r.caller_number = c.caller_number AND r.started_at > c.started_at"
        " AND r.started_at <= c.started_at + ?)) AS repeated FROM cdr c"
        " WHERE c.disposition = 'answered' AND c.caller_number <> ''"
        " AND c.started_at >= ? AND c.started_at < ?"
        + (" AND c.queue = ?" if queue is not None else "") + " GROUP BY k",
        [repeat_h * 3600.0, since, until] + ([queue] if queue is not None else []))
    acc: dict[str, list[int]] = {}             # group -> [calls, repeated]
    for r in rows:
        a = acc.setdefault(_regroup(by, teams, r["k"]), [0, 0])
        a[0] += r["n"]
        a[1] += r["repeated"] or 0
    return {k: {"fcr_calls": n, "repeat_calls": rep, "fcr": _ratio(n - rep, n)}
            for k, (n, rep) in acc.items()}


async def csat_rows(db: Any, by: str, since: float, until: float, queue: str | None,
                    teams: dict[str, str] | None = None) -> dict[str, dict[str, Any]]:
    """Per group: survey answers on a numeric scale, satisfied ones, CSAT, average."""
    rows = await db.fetchall(
        f"SELECT {_GROUP[by]} AS k, a.digit, q.choices FROM survey_answers a"
        " JOIN survey_questions q ON q.survey_id = a.survey_id AND q.position = a.position"
        " LEFT JOIN cdr c ON c.id = a.call_id WHERE a.ts >= ? AND a.ts < ?"
        + (" AND c.queue = ?" if queue is not None else ""),
        [since, until] + ([queue] if queue is not None else []))
    acc: dict[str, list[int]] = {}             # k -> [answers, satisfied, score sum]
    for r in rows:
        try:
            scale = sorted(int(d) for d in json.loads(r["choices"]))
            score = int(r["digit"])
        except (ValueError, TypeError):
            continue                           # not a numeric scale, or a '#' answer
        if len(scale) < 3 or score not in scale:
            continue
        a = acc.setdefault("all" if by == "total" else _regroup(by, teams, r["k"]),
                           [0, 0, 0])
        a[0] += 1
        a[1] += score >= scale[-2]
        a[2] += score
    return {k: {"csat_answers": n, "csat_satisfied": sat, "csat": _ratio(sat, n),
                "csat_average": round(total / n, 2) if n else None}
            for k, (n, sat, total) in acc.items()}


async def report(store: Any, by: str, since: float, until: float, queue: str | None = None,
                 repeat_h: float = 24.0) -> list[dict[str, Any]]:
    """The rows of the quality report: one per group, every KPI of this module."""
    if by not in BY:
        raise ValidationError("by", "one of " + ", ".join(BY), by)
    if not until > since:
        raise ValidationError("until", "a time after since", until)
    if not 0 < repeat_h <= 24 * 30:
        raise ValidationError("repeat_h", "hours between 0 and 720", repeat_h)
    items = await trace_items(store.db, until)
    schedules: dict[str, Any] = {}
    teams: dict[str, str] | None = None
    if by == "team":                            # an agent (seat) is in its user's team
        teams = {u.seat: u.team or "" for u in await store.users.list() if u.seat}
    if by in ("agent", "team"):
        for s in await store.inbound.schedules():
            if s.name.startswith("agent-"):
                schedules[s.name[len("agent-"):]] = s
    groups = acd_rows(items, by, since, until, queue, schedules, teams)
    key = by if by in ("queue", "team") else "agent"
    fcr = await fcr_rows(store.db, by, since, until, repeat_h, queue, teams)
    csat = await csat_rows(store.db, by, since, until, queue, teams)
    out = []
    for k in sorted(set(groups) | set(fcr) | set(csat)):
        row: dict[str, Any] = {"key": k} if by == "total" else {key: k}
        row.update(groups.get(k, {}))
        row.update(fcr.get(k, {"fcr_calls": 0, "repeat_calls": 0, "fcr": None}))
        row.update(csat.get(k, {"csat_answers": 0, "csat_satisfied": 0, "csat": None,
                                "csat_average": None}))
        out.append(row)
    return out
